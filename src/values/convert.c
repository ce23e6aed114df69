/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  Turn a field's text into a column value, so that a value means
 *		  exactly what the type's input function makes of it, either raising
 *		  the type's error or reporting it softly.
 *
 * The plain spellings of the common types (integers, floats, booleans,
 * text, ISO dates and timestamps) are parsed here, giving the very value the
 * input function would; anything else, including every invalid value, goes
 * to the input function, which also words the error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/typcache.h"

#include "values/convert.h"

/*
 * ritual_soft_input_needs_subtransaction
 *		Whether an error of type 'typid''s input function can only be caught
 *		safely inside a subtransaction.
 *
 * From PostgreSQL 16 input functions report bad input softly and nothing
 * needs one.  Before, the error is caught after it was raised, which is
 * safe only when the code that raised it held nothing the error left
 * behind: true of the built-in input functions of scalar types.  A domain's
 * CHECK may call any function (SPI, snapshots, plan cache), an input
 * function of an extension may do anything, and record_in holds the row
 * type's descriptor while a field fails; array_in, range_in and
 * multirange_in are only as safe as the input of what they contain.
 */
bool
ritual_soft_input_needs_subtransaction(pg_attribute_unused() Oid typid)
{
#if PG_VERSION_NUM >= 160000
	return false;
#else
	Oid			in_func_oid;
	Oid			typioparam;
	TypeCacheEntry *typentry;

	check_stack_depth();
	getTypeInputInfo(typid, &in_func_oid, &typioparam);
	if (in_func_oid >= FirstGenbkiObjectId)
		return true;
	switch (in_func_oid)
	{
		case F_DOMAIN_IN:
		case F_RECORD_IN:
			return true;
		case F_ARRAY_IN:
			return ritual_soft_input_needs_subtransaction(get_element_type(typid));
		case F_RANGE_IN:
			typentry = lookup_type_cache(typid, TYPECACHE_RANGE_INFO);
			/* a range type's canonical function is its own code */
			return typentry->rng_canonical_finfo.fn_oid >= FirstGenbkiObjectId ||
				ritual_soft_input_needs_subtransaction(typentry->rngelemtype->type_id);
		case F_MULTIRANGE_IN:
			typentry = lookup_type_cache(typid, TYPECACHE_MULTIRANGE_INFO);
			return ritual_soft_input_needs_subtransaction(typentry->rngtype->type_id);
		default:
			return false;
	}
#endif
}

/*
 * ritual_converter_init
 *		Look up the input function of type 'typid'.
 */
void
ritual_converter_init(RitualConverter *conv, Oid typid, int32 typmod)
{
	Oid			in_func_oid;

	conv->typid = typid;
	conv->typmod = typmod;
	getTypeInputInfo(typid, &in_func_oid, &conv->typioparam);
	fmgr_info(in_func_oid, &conv->in_func);
	conv->is_domain = (get_typtype(typid) == TYPTYPE_DOMAIN);
	conv->soft_needs_subtransaction = ritual_soft_input_needs_subtransaction(typid);
	conv->max_bytes = -1;
	conv->arena = NULL;
	memset(conv->last_date, 0, sizeof(conv->last_date));	/* matches no date */

	switch (typid)
	{
		case INT2OID:
			conv->fast = FAST_INT2;
			break;
		case INT4OID:
			conv->fast = FAST_INT4;
			break;
		case INT8OID:
			conv->fast = FAST_INT8;
			break;
		case FLOAT4OID:
			conv->fast = FAST_FLOAT4;
			break;
		case FLOAT8OID:
			conv->fast = FAST_FLOAT8;
			break;
		case BOOLOID:
			conv->fast = FAST_BOOL;
			break;
		case TEXTOID:
			conv->fast = FAST_TEXT;
			break;
		case VARCHAROID:
			conv->fast = FAST_TEXT;
			/* n characters take at least n bytes */
			if (typmod >= VARHDRSZ)
				conv->max_bytes = typmod - VARHDRSZ;
			break;
		case DATEOID:
			conv->fast = FAST_DATE;
			break;
		case TIMESTAMPOID:
			/* a lower precision rounds: left to the input function */
			conv->fast = (typmod < 0 || typmod == MAX_TIMESTAMP_PRECISION) ?
				FAST_TIMESTAMP : FAST_NONE;
			break;
		case TIMESTAMPTZOID:
			conv->fast = (typmod < 0 || typmod == MAX_TIMESTAMP_PRECISION) ?
				FAST_TIMESTAMPTZ : FAST_NONE;
			break;
		default:
			conv->fast = FAST_NONE;
			break;
	}
}

/*
 * An optionally signed run of at most max_digits decimal digits and nothing
 * else; the input functions also take spaces, underscores (16+) and more
 * digits, but those are left to them.
 */
static inline bool
parse_integer(const char *s, int len, int max_digits, int64 *result)
{
	const char *end = s + len;
	bool		negative = false;
	int64		value = 0;

	if (s < end && (*s == '-' || *s == '+'))
	{
		negative = (*s == '-');
		s++;
	}
	if (s == end || end - s > max_digits)
		return false;
	for (; s < end; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		value = value * 10 + (*s - '0');
	}
	*result = negative ? -value : value;
	return true;
}

/* Exactly 'n' digits at s, as a number; -1 if they are not all digits. */
static inline int
parse_digits(const char *s, int n)
{
	int			value = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	return value;
}

/* YYYY-MM-DD, a real day of years 1 to 9999, as days since 2000-01-01. */
static inline bool
parse_iso_date(const char *s, int32 *days)
{
	int			year = parse_digits(s, 4);
	int			month = parse_digits(s + 5, 2);
	int			day = parse_digits(s + 8, 2);

	if (s[4] != '-' || s[7] != '-' || year < 1 || month < 1 || month > 12 ||
		day < 1 || day > day_tab[isleap(year)][month - 1])
		return false;
	*days = date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
	return true;
}

/*
 * parse_iso_date, remembering the last date read: events come in runs of
 * the same day.
 */
static inline bool
parse_iso_date_cached(RitualConverter *conv, const char *s, int32 *days)
{
	if (memcmp(s, conv->last_date, 10) == 0)
	{
		*days = conv->last_days;
		return true;
	}
	if (!parse_iso_date(s, days))
		return false;
	memcpy(conv->last_date, s, 10);
	conv->last_days = *days;
	return true;
}

/*
 * YYYY-MM-DD, then optionally a space or 'T' and HH:MM:SS with up to six
 * fractional digits, as microseconds since 2000-01-01; *rest points after
 * what was read.
 */
static inline bool
parse_iso_timestamp(RitualConverter *conv, const char *s, int len,
					int64 *usecs, const char **rest)
{
	const char *end = s + len;
	int32		days;
	int			hour,
				minute,
				second;
	int64		fraction = 0;
	const char *p;

	if (len < 10 || !parse_iso_date_cached(conv, s, &days))
		return false;
	*usecs = days * USECS_PER_DAY;
	*rest = s + 10;
	if (len == 10)
		return true;

	p = s + 10;
	if (end - p < 9 || (*p != ' ' && *p != 'T') || p[3] != ':' || p[6] != ':')
		return false;
	hour = parse_digits(p + 1, 2);
	minute = parse_digits(p + 4, 2);
	second = parse_digits(p + 7, 2);
	/* 24:00:00 and leap seconds are valid, but left to the input function */
	if (hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		second < 0 || second > 59)
		return false;
	p += 9;
	if (p < end && *p == '.')
	{
		int			digits = 0;

		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++)
		{
			if (digits == 6)
				return false;	/* more digits round: the input function's */
			fraction = fraction * 10 + (*p - '0');
		}
		if (digits == 0)
			return false;
		for (; digits < 6; digits++)
			fraction *= 10;
	}
	*usecs += ((hour * INT64CONST(60) + minute) * 60 + second) * USECS_PER_SEC +
		fraction;
	*rest = p;
	return true;
}

/*
 * A time zone written as Z, +HH, +HHMM or +HH:MM (or with -), as seconds
 * east of UTC.
 */
static inline bool
parse_zone_offset(const char *s, const char *end, int *seconds)
{
	int			hours,
				minutes = 0;
	int			sign;

	if (end - s == 1 && *s == 'Z')
	{
		*seconds = 0;
		return true;
	}
	if (end - s < 3 || (*s != '+' && *s != '-'))
		return false;
	sign = (*s == '-') ? -1 : 1;
	hours = parse_digits(s + 1, 2);
	s += 3;
	if (end - s == 3 && *s == ':')
		s++;
	if (end - s == 2)
	{
		minutes = parse_digits(s, 2);
		s += 2;
	}
	if (s != end || hours < 0 || hours > 15 || minutes < 0 || minutes > 59)
		return false;
	*seconds = sign * (hours * 3600 + minutes * 60);
	return true;
}

/* A finite decimal number strtod/strtof read whole, without range errors. */
static inline bool
is_plain_float(const char *s, int len, const char *endptr)
{
	if (len == 0 || endptr != s + len || errno != 0)
		return false;
	/* "inf", "nan" and hexadecimal forms are left to the input function */
	for (int i = 0; i < len; i++)
	{
		char		c = s[i];

		if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
			  c == '-' || c == '+'))
			return false;
	}
	return true;
}

/*
 * ritual_convert_fast
 *		Convert the common spellings of the common types; false when the
 *		input function must decide.  'str' is NUL-terminated at str[len].
 */
bool
ritual_convert_fast(RitualConverter *conv, const char *str, int len,
					Datum *result)
{
	int64		integer;
	int32		days;
	const char *rest;
	char	   *endptr;
	int			offset;

	switch (conv->fast)
	{
		case FAST_NONE:
			return false;
		case FAST_INT2:
			if (!parse_integer(str, len, 4, &integer) ||
				integer < PG_INT16_MIN || integer > PG_INT16_MAX)
				return false;
			*result = Int16GetDatum((int16) integer);
			return true;
		case FAST_INT4:
			if (!parse_integer(str, len, 9, &integer))
				return false;
			*result = Int32GetDatum((int32) integer);
			return true;
		case FAST_INT8:
			if (!parse_integer(str, len, 18, &integer))
				return false;
			*result = Int64GetDatum(integer);
			return true;
		case FAST_FLOAT4:
			{
				float4		value;

				errno = 0;
				value = strtof(str, &endptr);
				if (!is_plain_float(str, len, endptr) || isinf(value))
					return false;
				*result = Float4GetDatum(value);
				return true;
			}
		case FAST_FLOAT8:
			{
				float8		value;

				errno = 0;
				value = strtod(str, &endptr);
				if (!is_plain_float(str, len, endptr) || isinf(value))
					return false;
				*result = Float8GetDatum(value);
				return true;
			}
		case FAST_BOOL:
			if ((len == 1 && (str[0] == 't' || str[0] == '1')) ||
				(len == 4 && memcmp(str, "true", 4) == 0))
				*result = BoolGetDatum(true);
			else if ((len == 1 && (str[0] == 'f' || str[0] == '0')) ||
					 (len == 5 && memcmp(str, "false", 5) == 0))
				*result = BoolGetDatum(false);
			else
				return false;
			return true;
		case FAST_TEXT:
			if (conv->max_bytes >= 0 && len > conv->max_bytes)
				return false;
			if (conv->arena == NULL)
				*result = PointerGetDatum(cstring_to_text_with_len(str, len));
			else
			{
				RitualRowArena *arena = conv->arena;
				text	   *value = (text *) (arena->data + arena->used);

				Assert(arena->used + RITUAL_ARENA_TEXT_SIZE(len) <= arena->size);
				SET_VARSIZE(value, VARHDRSZ + len);
				memcpy(VARDATA(value), str, len);
				arena->used += RITUAL_ARENA_TEXT_SIZE(len);
				*result = PointerGetDatum(value);
			}
			return true;
		case FAST_DATE:
			if (len != 10 || !parse_iso_date_cached(conv, str, &days))
				return false;
			*result = DateADTGetDatum(days);
			return true;
		case FAST_TIMESTAMP:
			/* a time zone is read but ignored, as timestamp_in does */
			if (!parse_iso_timestamp(conv, str, len, &integer, &rest) ||
				(rest != str + len &&
				 !parse_zone_offset(rest, str + len, &offset)))
				return false;
			*result = TimestampGetDatum(integer);
			return true;
		case FAST_TIMESTAMPTZ:
			/* without a zone the session's TimeZone decides: not here */
			if (!parse_iso_timestamp(conv, str, len, &integer, &rest) ||
				rest == str + len ||
				!parse_zone_offset(rest, str + len, &offset))
				return false;
			*result = TimestampTzGetDatum(integer - offset * USECS_PER_SEC);
			return true;
	}
	return false;
}

/*
 * ritual_convert
 *		Convert 'str' (NULL for a NULL value of a domain, whose constraints
 *		must still be checked); errors are raised.
 */
Datum
ritual_convert(RitualConverter *conv, char *str, int len)
{
	Datum		result;

	if (str != NULL && ritual_convert_fast(conv, str, len, &result))
		return result;
	return InputFunctionCall(&conv->in_func, str, conv->typioparam,
							 conv->typmod);
}

#if PG_VERSION_NUM < 160000
/* An error that says the value is bad, not that something else went wrong. */
static bool
is_bad_value_error(const ErrorData *edata)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	return category == ERRCODE_DATA_EXCEPTION ||
		category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION;
}

/*
 * A domain's CHECK or a type's own input function may run any code (SPI,
 * plpgsql, catalog caches): its error is caught inside a subtransaction,
 * whose rollback releases what that code held.
 */
static bool
convert_in_subtransaction(RitualConverter *conv, char *str, Datum *result,
						  char **message)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	volatile bool converted = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		*result = InputFunctionCall(&conv->in_func, str, conv->typioparam,
									conv->typmod);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		if (!is_bad_value_error(edata))
			ReThrowError(edata);
		*message = edata->message;
		converted = false;
	}
	PG_END_TRY();
	return converted;
}

/*
 * The error of a value that a parallel query converted without a
 * subtransaction says why on_error did not apply.
 */
static void
parallel_convert_error_callback(void *arg)
{
	errcontext("on_error cannot catch errors of type %s in a parallel query; "
			   "set max_parallel_workers_per_gather to 0 to read past them",
			   format_type_be(*(Oid *) arg));
}

/*
 * A value whose error only a subtransaction can catch, in a process that
 * cannot start one: the process of a parallel query that a ritual_fdw scan
 * did not ask for (the planner keeps such scans out of parallel workers, but
 * the leader of a Gather elsewhere in the plan, or one forced by
 * force_parallel_mode, is in parallel mode as well).  The value is
 * converted as under on_error 'stop', so a bad one is an error.
 */
static Datum
convert_in_parallel_mode(RitualConverter *conv, char *str)
{
	ErrorContextCallback callback;
	Datum		result;

	callback.callback = parallel_convert_error_callback;
	callback.arg = &conv->typid;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	result = InputFunctionCall(&conv->in_func, str, conv->typioparam,
							   conv->typmod);
	error_context_stack = callback.previous;
	return result;
}
#endif

/*
 * ritual_convert_soft
 *		Like ritual_convert, but a value the type rejects returns false and
 *		the reason in *message instead of raising an error.
 *
 * Before PostgreSQL 16 input functions cannot report errors softly, so the
 * error is caught: around a built-in input function of a scalar type
 * directly, around anything else in a subtransaction (see
 * ritual_soft_input_needs_subtransaction).  Only data exceptions (class 22)
 * and constraint violations of domains (class 23) are taken as a bad value;
 * anything else (out of memory, a cancel) is raised again.
 */
bool
ritual_convert_soft(RitualConverter *conv, char *str, int len, Datum *result,
					char **message)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};
#else
	MemoryContext caller_context = CurrentMemoryContext;
	volatile bool converted = true;
#endif

	if (str != NULL && ritual_convert_fast(conv, str, len, result))
		return true;

#if PG_VERSION_NUM >= 160000
	escontext.details_wanted = true;
	if (InputFunctionCallSafe(&conv->in_func, str, conv->typioparam,
							  conv->typmod, (Node *) &escontext, result))
		return true;
	*message = escontext.error_data->message;
	return false;
#else
	if (conv->soft_needs_subtransaction)
	{
		if (!IsInParallelMode())
			return convert_in_subtransaction(conv, str, result, message);
		*result = convert_in_parallel_mode(conv, str);
		return true;
	}

	/*
	 * A built-in input function of a scalar type leaves nothing behind when
	 * it raises an error about its input, so catching the error is safe.
	 */
	PG_TRY();
	{
		*result = InputFunctionCall(&conv->in_func, str, conv->typioparam,
									conv->typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		if (!is_bad_value_error(edata))
			PG_RE_THROW();
		FlushErrorState();
		*message = edata->message;
		converted = false;
	}
	PG_END_TRY();
	return converted;
#endif
}

/*
 * ritual_printable_text
 *		Valid text for some bytes of a file: at most 'max_bytes' of them,
 *		whole characters only, with invalid bytes and NUL written as \xNN,
 *		and with 'escape_controls' every other control character too.
 */
char *
ritual_printable_text(const char *value, int len, int max_bytes,
					  bool escape_controls)
{
	StringInfoData buf;
	int			encoding = GetDatabaseEncoding();
	int			i = 0;

	initStringInfo(&buf);
	while (i < len && i < max_bytes)
	{
		unsigned char c = (unsigned char) value[i];
		int			charlen;

		if (c == 0 || (escape_controls && (c < 0x20 || c == 0x7f)))
		{
			appendStringInfo(&buf, "\\x%02x", c);
			i++;
			continue;
		}
		if (IS_HIGHBIT_SET(c))
		{
			charlen = pg_encoding_verifymbchar(encoding, value + i, len - i);
			if (charlen <= 0)
			{
				appendStringInfo(&buf, "\\x%02x", c);
				i++;
				continue;
			}
			appendBinaryStringInfo(&buf, value + i, charlen);
			i += charlen;
			continue;
		}
		appendStringInfoChar(&buf, (char) c);
		i++;
	}
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * ritual_shown_value
 *		A printable, bounded rendering of a field for error messages.
 */
char *
ritual_shown_value(const char *value, int len)
{
	return ritual_printable_text(value, len, RITUAL_SHOWN_VALUE_BYTES, true);
}
