/*-------------------------------------------------------------------------
 *
 * functions.c
 *		  The analytics functions of ritual: week since signup, anomaly
 *		  flags, session numbers, and the previous and next non-null value
 *		  of a window (what the reports' previous and next event types are).
 *
 * Their meaning is fixed by docs/metrics.md; docs/functions.md
 * quotes it and writes down every rule decided here where it is silent.
 * Names given as text (week modes, flag names) are matched
 * case-insensitively, like the fields of date_trunc(), and an unknown name
 * is reported with the valid ones and the closest match.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/int128.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"
#include "windowapi.h"

#include "ritual.h"
#include "analytics/analytics.h"

PG_FUNCTION_INFO_V1(ritual_week_since_signup_date);
PG_FUNCTION_INFO_V1(ritual_week_since_signup_timestamp);
PG_FUNCTION_INFO_V1(ritual_week_since_signup_timestamptz);
PG_FUNCTION_INFO_V1(ritual_event_flags);
PG_FUNCTION_INFO_V1(ritual_profile_flags);
PG_FUNCTION_INFO_V1(ritual_flag_names);
PG_FUNCTION_INFO_V1(ritual_flag_bits);
PG_FUNCTION_INFO_V1(ritual_flag_bit);
PG_FUNCTION_INFO_V1(ritual_session_number);
PG_FUNCTION_INFO_V1(ritual_previous_non_null);
PG_FUNCTION_INFO_V1(ritual_next_non_null);
PG_FUNCTION_INFO_V1(ritual_step_seconds);


/* ----------------------------------------------------------------
 *		Names given as text
 * ----------------------------------------------------------------
 */

/*
 * The index of the word of 'words' (NULL-terminated) that 'value' spells,
 * ignoring case.  Any other value is an error that lists the valid words
 * and suggests the closest: 'what' names the kind of word in the message
 * ("week mode"), 'valid' starts the hint's list ("Valid modes are").
 */
static int
word_index(text *value, const char *const *words, const char *what,
		   const char *valid)
{
	const char *s = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	StringInfoData list;
	const char *suggestion;
	char	   *lowered;

	for (int i = 0; words[i] != NULL; i++)
	{
		if (strlen(words[i]) == (size_t) len &&
			pg_strncasecmp(s, words[i], len) == 0)
			return i;
	}

	initStringInfo(&list);
	for (const char *const *w = words; *w != NULL; w++)
		appendStringInfo(&list, "%s'%s'", list.len > 0 ? ", " : "", *w);

	/* names are matched ignoring case, so are suggestions */
	lowered = asc_tolower(s, len);
	suggestion = ritual_closest_word(lowered, words);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized %s \"%s\"", what, text_to_cstring(value)),
			 suggestion ?
			 errhint("Perhaps you meant '%s'. %s %s.",
					 suggestion, valid, list.data) :
			 errhint("%s %s.", valid, list.data)));
}


/* ----------------------------------------------------------------
 *		week_since_signup
 * ----------------------------------------------------------------
 */

static const char *const week_mode_names[] = {
	[WEEK_SUNDAY] = "sunday",
	[WEEK_MONDAY] = "monday",
	[WEEK_ROLLING] = "rolling",
	NULL
};

/* The mode that 'mode' names, ignoring case; an error for any other. */
static WeekMode
parse_week_mode(text *mode)
{
	return (WeekMode) word_index(mode, week_mode_names, "week mode",
								 "Valid modes are");
}

/*
 * The week of day 'event' counted from day 'signup', the signup's week being
 * week 1; both are days since 2000-01-01 (a Saturday), finite.
 *
 * Day n + 6 is a multiple of 7 exactly when n is a Sunday, so
 * floor((n + 6) / 7) numbers the Sunday-start weeks and their difference is
 * the count of Sunday boundaries crossed, BigQuery's DATE_DIFF(..., WEEK);
 * likewise n + 5 for Mondays.  Days of dates span less than 2^31, so no
 * step overflows and the result fits an int32.
 */
int32
ritual_week_number(int64 event, int64 signup, WeekMode mode)
{
	int64		weeks = 0;

	switch (mode)
	{
		case WEEK_SUNDAY:
			weeks = ritual_floor_div(event + 6, 7) - ritual_floor_div(signup + 6, 7);
			break;
		case WEEK_MONDAY:
			weeks = ritual_floor_div(event + 5, 7) - ritual_floor_div(signup + 5, 7);
			break;
		case WEEK_ROLLING:
			weeks = ritual_floor_div(event - signup, 7);
			break;
	}
	return (int32) (weeks + 1);
}

/*
 * week_since_signup(event date, signup date, mode text)
 *		The week number; NULL when a date is infinite.
 */
Datum
ritual_week_since_signup_date(PG_FUNCTION_ARGS)
{
	DateADT		event = PG_GETARG_DATEADT(0);
	DateADT		signup = PG_GETARG_DATEADT(1);
	WeekMode	mode = parse_week_mode(PG_GETARG_TEXT_PP(2));

	if (DATE_NOT_FINITE(event) || DATE_NOT_FINITE(signup))
		PG_RETURN_NULL();
	PG_RETURN_INT32(ritual_week_number(event, signup, mode));
}

/*
 * week_since_signup(event timestamp, signup date, mode text)
 *		The same for the day of a timestamp.
 */
Datum
ritual_week_since_signup_timestamp(PG_FUNCTION_ARGS)
{
	Timestamp	event = PG_GETARG_TIMESTAMP(0);
	DateADT		signup = PG_GETARG_DATEADT(1);
	WeekMode	mode = parse_week_mode(PG_GETARG_TEXT_PP(2));

	if (TIMESTAMP_NOT_FINITE(event) || DATE_NOT_FINITE(signup))
		PG_RETURN_NULL();
	PG_RETURN_INT32(ritual_week_number(ritual_timestamp_day(event), signup, mode));
}

/*
 * week_since_signup(event timestamptz, signup date, mode text)
 *		The same for the day of a timestamptz in the session's TimeZone,
 *		as timestamptz::date gives it.
 */
Datum
ritual_week_since_signup_timestamptz(PG_FUNCTION_ARGS)
{
	TimestampTz event = PG_GETARG_TIMESTAMPTZ(0);
	DateADT		signup = PG_GETARG_DATEADT(1);
	WeekMode	mode = parse_week_mode(PG_GETARG_TEXT_PP(2));
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int64		day;

	if (TIMESTAMP_NOT_FINITE(event) || DATE_NOT_FINITE(signup))
		PG_RETURN_NULL();
	if (timestamp2tm(event, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	day = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	PG_RETURN_INT32(ritual_week_number(day, signup, mode));
}


/* ----------------------------------------------------------------
 *		Anomaly flags
 * ----------------------------------------------------------------
 */

/* The anomaly kinds; kind i is bit 1 << i.  Names and bits never change. */
static const char *const flag_names[] = {
	"missing_user_id",			/* 1 */
	"missing_event_type",		/* 2 */
	"missing_event_date",		/* 4 */
	"unknown_event_type",		/* 8 */
	"unknown_user",				/* 16 */
	"event_before_signup",		/* 32 */
	"future_event",				/* 64 */
	"duplicate",				/* 128 */
	"conflicting_profile",		/* 256 */
	"missing_signup_date",		/* 512 */
	NULL
};

#define FLAG_MISSING_USER_ID		0x001
#define FLAG_MISSING_EVENT_TYPE		0x002
#define FLAG_MISSING_EVENT_DATE		0x004
#define FLAG_UNKNOWN_EVENT_TYPE		0x008
#define FLAG_UNKNOWN_USER			0x010
#define FLAG_EVENT_BEFORE_SIGNUP	0x020
#define FLAG_FUTURE_EVENT			0x040
/* FLAG_DUPLICATE (0x080) is in analytics.h */
#define FLAG_CONFLICTING_PROFILE	0x100
#define FLAG_MISSING_SIGNUP_DATE	0x200

#define NUM_FLAGS		(lengthof(flag_names) - 1)
#define ALL_FLAGS		((1 << NUM_FLAGS) - 1)

/* true when the text is empty or only spaces, what btrim() leaves empty */
bool
ritual_text_is_blank(text *t)
{
	const char *p = VARDATA_ANY(t);
	const char *end = p + VARSIZE_ANY_EXHDR(t);

	for (; p < end; p++)
	{
		if (*p != ' ')
			return false;
	}
	return true;
}

/*
 * The kinds one event row shows by itself; a lookup that gave no answer
 * (unknown neither way) raises no flag.
 */
int32
ritual_event_flag_bits(const EventFacts *facts)
{
	int32		flags = 0;

	if (!facts->has_user)
		flags |= FLAG_MISSING_USER_ID;
	if (!facts->has_type)
		flags |= FLAG_MISSING_EVENT_TYPE;
	if (!facts->has_date)
		flags |= FLAG_MISSING_EVENT_DATE;

	/* only a type that is there can be unknown, and only a user id */
	if (facts->has_type && facts->type_unknown)
		flags |= FLAG_UNKNOWN_EVENT_TYPE;
	if (facts->has_user && facts->user_unknown)
		flags |= FLAG_UNKNOWN_USER;

	/* the signup date is that of a user that is there and not unknown */
	if (facts->has_user && !facts->user_unknown && facts->has_date && facts->has_signup &&
		ritual_timestamp_date(facts->event_date) < facts->signup)
		flags |= FLAG_EVENT_BEFORE_SIGNUP;

	if (facts->has_date && facts->has_reference && facts->event_date > facts->reference)
		flags |= FLAG_FUTURE_EVENT;

	return flags;
}

/*
 * event_flags(user_id, event_type, event_date, known_event_type, known_user,
 *			   signup_date, reference_time)
 *		The kinds one event row shows by itself, from its fields and what
 *		the caller looked up; a NULL lookup answer raises no flag.
 */
Datum
ritual_event_flags(PG_FUNCTION_ARGS)
{
	EventFacts	facts;

	facts.has_user = !PG_ARGISNULL(0);
	facts.has_type = !PG_ARGISNULL(1) &&
		!ritual_text_is_blank(PG_GETARG_TEXT_PP(1));
	facts.has_date = !PG_ARGISNULL(2);
	facts.event_date = facts.has_date ? PG_GETARG_TIMESTAMP(2) : 0;
	facts.type_unknown = !PG_ARGISNULL(3) && !PG_GETARG_BOOL(3);
	facts.user_unknown = !PG_ARGISNULL(4) && !PG_GETARG_BOOL(4);
	facts.has_signup = !PG_ARGISNULL(5);
	facts.signup = facts.has_signup ? PG_GETARG_DATEADT(5) : 0;
	facts.has_reference = !PG_ARGISNULL(6);
	facts.reference = facts.has_reference ? PG_GETARG_TIMESTAMP(6) : 0;

	PG_RETURN_INT32(ritual_event_flag_bits(&facts));
}

/*
 * profile_flags(signup_date, conflicting)
 *		The kinds a profile shows: no signup date, or several that differ.
 */
Datum
ritual_profile_flags(PG_FUNCTION_ARGS)
{
	int32		flags = 0;

	if (PG_ARGISNULL(0))
		flags |= FLAG_MISSING_SIGNUP_DATE;
	if (!PG_ARGISNULL(1) && PG_GETARG_BOOL(1))
		flags |= FLAG_CONFLICTING_PROFILE;
	PG_RETURN_INT32(flags);
}

/*
 * flag_names(flags)
 *		The names of the kinds in 'flags', in bit order; an error for a bit
 *		that is no kind.
 */
Datum
ritual_flag_names(PG_FUNCTION_ARGS)
{
	int32		flags = PG_GETARG_INT32(0);
	uint32		unknown = (uint32) flags & ~(uint32) ALL_FLAGS;
	Datum		names[NUM_FLAGS];
	int			n = 0;

	if (unknown != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid anomaly flags %d", flags),
				 errdetail("Bit %u is not an anomaly flag; the flags are the bits 1 to %u.",
						   unknown & -unknown, 1U << (NUM_FLAGS - 1))));

	for (int i = 0; i < (int) NUM_FLAGS; i++)
	{
		if (flags & (1 << i))
			names[n++] = CStringGetTextDatum(flag_names[i]);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID,
										  -1, false, TYPALIGN_INT));
}

/*
 * array_to_string(flag_names(flags), ','): the names of the kinds of valid
 * flags, comma-separated, as enriched_events.flag_names shows them.
 */
text *
ritual_flag_names_text(int32 flags)
{
	StringInfoData names;
	text	   *result;

	Assert(((uint32) flags & ~(uint32) ALL_FLAGS) == 0);
	initStringInfo(&names);
	for (int i = 0; i < (int) NUM_FLAGS; i++)
	{
		if (flags & (1 << i))
			appendStringInfo(&names, "%s%s", names.len > 0 ? "," : "", flag_names[i]);
	}
	result = cstring_to_text_with_len(names.data, names.len);
	pfree(names.data);
	return result;
}

/* The bit of the kind that 'name' names, ignoring case; an error for none. */
static int32
flag_bit(text *name)
{
	return 1 << word_index(name, flag_names, "anomaly flag",
						   "Valid flags are");
}

/*
 * flag_bits(names)
 *		The OR of the bits of the kinds named in a one-dimensional array.
 */
Datum
ritual_flag_bits(PG_FUNCTION_ARGS)
{
	ArrayType  *names = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int32		flags = 0;

	if (ARR_NDIM(names) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("anomaly flag names must be a one-dimensional array")));

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("anomaly flag names must not contain nulls")));
		flags |= flag_bit(DatumGetTextPP(elems[i]));
	}
	PG_RETURN_INT32(flags);
}

/*
 * flag_bit(name)
 *		The bit of one kind.
 */
Datum
ritual_flag_bit(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(flag_bit(PG_GETARG_TEXT_PP(0)));
}


/* ----------------------------------------------------------------
 *		session_number
 * ----------------------------------------------------------------
 */

/*
 * What session_number keeps for the partition, in its partition-local
 * memory, which starts zeroed.
 */
typedef struct SessionState
{
	int64		session;		/* number of the current session; 0 until
								 * the partition's first non-null time */
	Timestamp	last;			/* the latest non-null time seen */
} SessionState;

/* Show a timestamp or timestamptz argument of session_number in a message. */
static char *
session_time_out(FunctionCallInfo fcinfo, Timestamp t)
{
	if (get_fn_expr_argtype(fcinfo->flinfo, 0) == TIMESTAMPTZOID)
		return DatumGetCString(DirectFunctionCall1(timestamptz_out,
												   TimestampTzGetDatum(t)));
	return DatumGetCString(DirectFunctionCall1(timestamp_out,
											   TimestampGetDatum(t)));
}

/*
 * The gap as microseconds, a day being 24 hours; an error when it holds
 * months, which have no fixed length, or is not positive.  Computed in 128
 * bits: days of an interval can exceed what int64 microseconds hold.
 */
INT128
ritual_session_gap_usecs(Interval *gap)
{
	INT128		usecs = int64_to_int128(gap->time);

	if (gap->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session gap must not contain months or years"),
				 errdetail("A month has no fixed length, so \"%s\" is no fixed gap.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(gap)))),
				 errhint("Give the gap in days, hours, minutes or seconds, such as '30 days'.")));

	int128_add_int64_mul_int64(&usecs, gap->day, USECS_PER_DAY);
	if (int128_compare(usecs, int64_to_int128(0)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session gap must be greater than zero"),
				 errdetail("The gap given is \"%s\".",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(gap))))));
	return usecs;
}

/*
 * Whether time 't', not earlier than 'last', starts a new session: more
 * than 'gap' after it, computed exactly; an infinity is farther than any gap.
 */
bool
ritual_session_breaks(Timestamp last, Timestamp t, INT128 gap)
{
	INT128		elapsed = int64_to_int128(t);

	if (t == last)
		return false;
	if (TIMESTAMP_NOT_FINITE(t) || TIMESTAMP_NOT_FINITE(last))
		return true;
	int128_add_int64_mul_int64(&elapsed, last, -1);
	return int128_compare(elapsed, gap) > 0;
}

/*
 * session_number(event_time, gap) OVER (PARTITION BY ... ORDER BY event_time)
 *		The number of the current row's session in its partition.
 *
 * Rows come in the window's order, which must be that of event_time: a row
 * starts a new session when more than 'gap' has passed since the previous
 * non-null time.  A NULL time (or gap) gives NULL and leaves the session
 * as it was.  A time earlier than the previous one means the window is
 * ordered by something else; the numbers would be wrong, so it is an error.
 */
Datum
ritual_session_number(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SessionState *state;
	Timestamp	t;
	Interval   *gap_arg;
	INT128		gap;
	bool		isnull;

	/* the gap first, so that a bad one is reported even on NULL times */
	gap_arg = DatumGetIntervalP(WinGetFuncArgCurrent(winobj, 1, &isnull));
	if (isnull)
		PG_RETURN_NULL();
	gap = ritual_session_gap_usecs(gap_arg);

	t = DatumGetTimestamp(WinGetFuncArgCurrent(winobj, 0, &isnull));
	if (isnull)
		PG_RETURN_NULL();

	state = (SessionState *)
		WinGetPartitionLocalMemory(winobj, sizeof(SessionState));

	if (state->session == 0)
		state->session = 1;
	else if (t < state->last)
		ereport(ERROR,
				(errcode(ERRCODE_WINDOWING_ERROR),
				 errmsg("session_number needs the rows of its window in event time order"),
				 errdetail("A row at %s comes after a row at %s.",
						   session_time_out(fcinfo, t),
						   session_time_out(fcinfo, state->last)),
				 errhint("Order the window by the function's first argument, as in OVER (PARTITION BY user_id ORDER BY event_date).")));
	else if (ritual_session_breaks(state->last, t, gap))
		state->session++;
	state->last = t;

	PG_RETURN_INT64(state->session);
}


/* ----------------------------------------------------------------
 *		previous_non_null, next_non_null
 * ----------------------------------------------------------------
 */

/*
 * A value of the argument's type kept across rows, in the partition's
 * memory.  The one returned for a row must outlive that row's output, so a
 * value replaced is freed at the next call, not at once.
 */
typedef struct KeptValue
{
	Datum		value;
	bool		kept;			/* value holds one */
	Datum		retired;		/* the value replaced last, to free */
	bool		has_retired;
} KeptValue;

/* The argument type's length and by-value flag, looked up once per query. */
typedef struct ArgumentType
{
	int16		typlen;
	bool		typbyval;
} ArgumentType;

static ArgumentType *
argument_type(FunctionCallInfo fcinfo)
{
	ArgumentType *type = (ArgumentType *) fcinfo->flinfo->fn_extra;

	if (type == NULL)
	{
		type = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(ArgumentType));
		get_typlenbyval(get_fn_expr_argtype(fcinfo->flinfo, 0), &type->typlen, &type->typbyval);
		fcinfo->flinfo->fn_extra = type;
	}
	return type;
}

/* Free the value replaced at the previous call. */
static void
free_retired(KeptValue *kept, bool typbyval)
{
	if (kept->has_retired && !typbyval)
		pfree(DatumGetPointer(kept->retired));
	kept->has_retired = false;
}

/* Keep a copy of 'value' (or nothing), retiring the one kept before. */
static void
keep_value(KeptValue *kept, Datum value, bool keep, MemoryContext partition,
		   ArgumentType *type)
{
	MemoryContext old;

	if (kept->kept)
	{
		kept->retired = kept->value;
		kept->has_retired = true;
	}
	kept->kept = keep;
	if (keep)
	{
		old = MemoryContextSwitchTo(partition);
		kept->value = datumCopy(value, type->typbyval, type->typlen);
		MemoryContextSwitchTo(old);
	}
}

/*
 * previous_non_null(value) OVER (PARTITION BY ... ORDER BY ...)
 *		The value of the closest earlier row of the partition whose value is
 *		not NULL: lag(value) IGNORE NULLS of the SQL standard.
 *
 * One pass in constant memory: the last non-null value is kept, and the
 * window never has to go back for it.
 */
Datum
ritual_previous_non_null(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	KeptValue  *kept = (KeptValue *) WinGetPartitionLocalMemory(winobj, sizeof(KeptValue));
	ArgumentType *type = argument_type(fcinfo);
	bool		isnull;
	Datum		current;
	Datum		result = kept->value;
	bool		result_null = !kept->kept;

	free_retired(kept, type->typbyval);
	WinSetMarkPosition(winobj, WinGetCurrentPosition(winobj));
	current = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (!isnull)
		keep_value(kept, current, true, GetMemoryChunkContext(kept), type);
	if (result_null)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * What next_non_null keeps for the partition (zeroed at its start).
 */
typedef struct NextNonNullState
{
	KeptValue	next;			/* the value of the first non-null row ahead */
	int64		next_position;	/* its position plus one (0: none yet) */
	int64		examined;		/* rows before this position were looked at */
	bool		at_end;			/* no non-null row from 'examined' on */
} NextNonNullState;

/*
 * next_non_null(value) OVER (PARTITION BY ... ORDER BY ...)
 *		The value of the closest later row of the partition whose value is
 *		not NULL: lead(value) IGNORE NULLS of the SQL standard.
 *
 * Each row of the partition is read once, forward, however many NULLs
 * follow each other: the value found ahead is kept until the current row
 * passes it.
 */
Datum
ritual_next_non_null(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	NextNonNullState *state = (NextNonNullState *)
		WinGetPartitionLocalMemory(winobj, sizeof(NextNonNullState));
	int64		current = WinGetCurrentPosition(winobj);
	ArgumentType *type = argument_type(fcinfo);
	bool		isnull;
	bool		isout;
	Datum		value;

	free_retired(&state->next, type->typbyval);
	WinSetMarkPosition(winobj, current);
	if (state->next_position - 1 > current)
		PG_RETURN_DATUM(state->next.value);
	keep_value(&state->next, (Datum) 0, false, GetMemoryChunkContext(state), type);
	if (state->at_end)
		PG_RETURN_NULL();

	state->examined = Max(state->examined, current + 1);
	for (;;)
	{
		int64		distance = state->examined - current;

		CHECK_FOR_INTERRUPTS();
		if (distance > INT_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("next_non_null cannot look more than %d rows ahead", INT_MAX)));
		value = WinGetFuncArgInPartition(winobj, 0, (int) distance, WINDOW_SEEK_CURRENT,
										 false, &isnull, &isout);
		if (isout)
		{
			state->at_end = true;
			PG_RETURN_NULL();
		}
		state->examined++;
		if (!isnull)
		{
			state->next_position = state->examined;
			keep_value(&state->next, value, true, GetMemoryChunkContext(state), type);
			PG_RETURN_DATUM(state->next.value);
		}
	}
}

/*
 * ritual.step_seconds(earlier, later): the seconds of a funnel's step, as
 * the funnels' pass measures them, for the coordinator's medians
 * (src/sql/code/shards.sql); the exact double the pass would compute,
 * where extract(epoch FROM ...) goes through numeric.
 */
Datum
ritual_step_seconds(PG_FUNCTION_ARGS)
{
	Timestamp	earlier = PG_GETARG_TIMESTAMP(0);
	Timestamp	later = PG_GETARG_TIMESTAMP(1);
	int64		difference;

	if (TIMESTAMP_NOT_FINITE(earlier) || TIMESTAMP_NOT_FINITE(later) ||
		pg_sub_s64_overflow(later, earlier, &difference))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("step_seconds needs two finite timestamps less than 292,000 years apart")));
	PG_RETURN_FLOAT8(ritual_seconds_between(earlier, later));
}
