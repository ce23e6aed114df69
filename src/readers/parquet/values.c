/*-------------------------------------------------------------------------
 *
 * values.c
 *		  Show a single Parquet value (a statistics' min or max) as text,
 *		  decoded by its column's physical and logical types.
 *
 * Integers, floats, decimals, dates, times, timestamps, UUIDs and strings
 * are shown as people write them; anything else, or a value whose length
 * does not fit its type, is shown as hex (\x...), so that nothing is
 * misread.  Text that is not valid UTF-8 (or not convertible to the
 * database's encoding) is shown as hex too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/shortest_dec.h"
#include "common/string.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "parquet.h"
#include "datatype/timestamp.h"

/* parquet.thrift's ConvertedType values this file interprets */
#define CONVERTED_UTF8				0
#define CONVERTED_ENUM				4
#define CONVERTED_DECIMAL			5
#define CONVERTED_DATE				6
#define CONVERTED_TIME_MILLIS		7
#define CONVERTED_TIME_MICROS		8
#define CONVERTED_TIMESTAMP_MILLIS	9
#define CONVERTED_TIMESTAMP_MICROS	10
#define CONVERTED_UINT_8			11
#define CONVERTED_UINT_64			14
#define CONVERTED_INT_64			18
#define CONVERTED_JSON				19

/* 0001-01-01 and 9999-12-31 in days since 1970-01-01, the dates shown */
#define FIRST_DAY					(-719162)
#define LAST_DAY					2932896

/* decimals longer than this are shown as hex (precision 38 takes 16) */
#define MAX_DECIMAL_BYTES			64
/* and so are those of a scale beyond this, which no real file has */
#define MAX_DECIMAL_SCALE			1000

/*
 * parquet_meaning
 *		What a leaf's values mean: its LogicalType or, for older writers,
 *		its ConvertedType.
 */
ParquetMeaning
parquet_meaning(const ParquetSchemaElement *leaf)
{
	ParquetMeaning m = {PARQUET_LOGICAL_NONE, 0, false, PARQUET_UNIT_NONE, false, 0, 0};
	const ParquetLogicalType *lt;

	if (leaf == NULL)
		return m;
	lt = &leaf->logical_type;
	if (lt->kind != PARQUET_LOGICAL_NONE)
	{
		m.kind = lt->kind;
		m.scale = lt->scale;
		m.utc = lt->adjusted_to_utc;
		m.unit = lt->unit;
		m.is_unsigned = (lt->kind == PARQUET_LOGICAL_INTEGER && !lt->is_signed);
		m.bit_width = lt->kind == PARQUET_LOGICAL_INTEGER ? lt->bit_width : 0;
		m.precision = lt->kind == PARQUET_LOGICAL_DECIMAL ? lt->precision : 0;
		return m;
	}
	if (!leaf->has_converted_type)
		return m;
	switch (leaf->converted_type)
	{
		case CONVERTED_UTF8:
			m.kind = PARQUET_LOGICAL_STRING;
			break;
		case CONVERTED_ENUM:
			m.kind = PARQUET_LOGICAL_ENUM;
			break;
		case CONVERTED_JSON:
			m.kind = PARQUET_LOGICAL_JSON;
			break;
		case CONVERTED_DECIMAL:
			m.kind = PARQUET_LOGICAL_DECIMAL;
			m.scale = leaf->has_scale ? leaf->scale : 0;
			m.precision = leaf->has_precision ? leaf->precision : 0;
			break;
		case CONVERTED_DATE:
			m.kind = PARQUET_LOGICAL_DATE;
			break;
		case CONVERTED_TIME_MILLIS:
		case CONVERTED_TIME_MICROS:
			m.kind = PARQUET_LOGICAL_TIME;
			m.unit = leaf->converted_type == CONVERTED_TIME_MILLIS ?
				PARQUET_MILLIS : PARQUET_MICROS;
			break;
		case CONVERTED_TIMESTAMP_MILLIS:
		case CONVERTED_TIMESTAMP_MICROS:
			/* LogicalTypes.md: these mean instants, adjusted to UTC */
			m.kind = PARQUET_LOGICAL_TIMESTAMP;
			m.utc = true;
			m.unit = leaf->converted_type == CONVERTED_TIMESTAMP_MILLIS ?
				PARQUET_MILLIS : PARQUET_MICROS;
			break;
		default:
			m.is_unsigned = (leaf->converted_type >= CONVERTED_UINT_8 &&
							 leaf->converted_type <= CONVERTED_UINT_64);
			if (m.is_unsigned)
				m.kind = PARQUET_LOGICAL_INTEGER;
			/* UINT_8 to UINT_64, then INT_8 to INT_64 */
			if (leaf->converted_type >= CONVERTED_UINT_8 &&
				leaf->converted_type <= CONVERTED_INT_64)
				m.bit_width = 8 << ((leaf->converted_type - CONVERTED_UINT_8) % 4);
			break;
	}
	return m;
}

/*
 * Whether the deprecated min and max (sorted as signed numbers, or bytes)
 * mean anything for the leaf: not for unsigned integers.
 */
bool
parquet_signed_order(const ParquetSchemaElement *leaf)
{
	return !parquet_meaning(leaf).is_unsigned;
}

static char *
hex_text(const ParquetValue *v)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "\\x");
	for (int i = 0; i < v->len; i++)
		appendStringInfo(&s, "%02x", (uint8) v->data[i]);
	return s.data;
}

static char *
string_text(const ParquetValue *v)
{
	/* libpgcommon's check, which stops at a NUL byte as at any bad byte */
	if (pg_encoding_verifymbstr(PG_UTF8, v->data, v->len) == v->len &&
		(GetDatabaseEncoding() == PG_UTF8 ||
		 pg_is_ascii(v->data)))
		return pnstrdup(v->data, v->len);
	return hex_text(v);
}

static int64
little_endian(const ParquetValue *v)
{
	uint64		u = 0;

	for (int i = v->len - 1; i >= 0; i--)
		u = (u << 8) | (uint8) v->data[i];
	/* sign-extend a 4-byte value */
	if (v->len == 4)
		return (int32) (uint32) u;
	return (int64) u;
}

/* digits (no sign) with a decimal point put 'scale' digits from the right */
static char *
scaled_text(bool negative, const char *digits, int scale)
{
	StringInfoData s;
	int			n = strlen(digits);

	initStringInfo(&s);
	if (negative)
		appendStringInfoChar(&s, '-');
	if (scale <= 0)
	{
		appendStringInfoString(&s, digits);
		return s.data;
	}
	if (n <= scale)
	{
		appendStringInfoString(&s, "0.");
		for (int i = n; i < scale; i++)
			appendStringInfoChar(&s, '0');
		appendStringInfoString(&s, digits);
	}
	else
	{
		appendBinaryStringInfo(&s, digits, n - scale);
		appendStringInfoChar(&s, '.');
		appendStringInfoString(&s, digits + n - scale);
	}
	return s.data;
}

static char *
int64_scaled_text(int64 value, int scale)
{
	char		digits[24];
	uint64		magnitude = value < 0 ? -(uint64) value : (uint64) value;

	snprintf(digits, sizeof(digits), UINT64_FORMAT, magnitude);
	return scaled_text(value < 0, digits, scale);
}

/*
 * A decimal stored as a big-endian two's-complement integer of any length
 * (FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY): its digits by repeated division.
 */
static char *
big_endian_decimal_text(const ParquetValue *v, int scale)
{
	uint8		magnitude[MAX_DECIMAL_BYTES];
	char		digits[MAX_DECIMAL_BYTES * 3 + 1];
	int			ndigits = 0;
	bool		negative = v->len > 0 && (v->data[0] & 0x80);
	bool		nonzero = true;

	memcpy(magnitude, v->data, v->len);
	if (negative)
	{
		/* two's complement: invert and add one */
		int			carry = 1;

		for (int i = v->len - 1; i >= 0; i--)
		{
			int			b = (uint8) ~magnitude[i] + carry;

			magnitude[i] = (uint8) b;
			carry = b >> 8;
		}
	}
	while (nonzero)
	{
		int			remainder = 0;

		nonzero = false;
		for (int i = 0; i < v->len; i++)
		{
			int			cur = (remainder << 8) | magnitude[i];

			magnitude[i] = cur / 10;
			remainder = cur % 10;
			nonzero |= magnitude[i] != 0;
		}
		digits[ndigits++] = '0' + remainder;
	}
	/* the digits came least significant first */
	for (int i = 0; i < ndigits / 2; i++)
	{
		char		c = digits[i];

		digits[i] = digits[ndigits - 1 - i];
		digits[ndigits - 1 - i] = c;
	}
	digits[ndigits] = '\0';
	return scaled_text(negative, digits, scale);
}

/* the units of a time unit in a second and the digits of its fraction */
static bool
unit_scale(ParquetTimeUnit unit, int64 *per_second, int *fraction_digits)
{
	switch (unit)
	{
		case PARQUET_MILLIS:
			*per_second = 1000;
			*fraction_digits = 3;
			return true;
		case PARQUET_MICROS:
			*per_second = 1000000;
			*fraction_digits = 6;
			return true;
		case PARQUET_NANOS:
			*per_second = INT64CONST(1000000000);
			*fraction_digits = 9;
			return true;
		default:
			return false;
	}
}

/* append ".fff" with trailing zeros dropped, nothing for a whole second */
static void
append_fraction(StringInfo s, int64 fraction, int fraction_digits)
{
	char		buf[16];
	int			n;

	if (fraction == 0)
		return;
	snprintf(buf, sizeof(buf), "%0*lld", fraction_digits, (long long) fraction);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		n--;
	appendStringInfo(s, ".%.*s", n, buf);
}

/*
 * Days since 1970-01-01 as YYYY-MM-DD in the proleptic Gregorian calendar;
 * false outside years 1 to 9999 (four digits, no era).  The arithmetic is
 * Howard Hinnant's civil_from_days, which needs none of the server's date
 * code, so that the fuzz build links this file alone.
 */
static bool
append_date(StringInfo s, int64 days)
{
	int64		z,
				era,
				day_of_era,
				year_of_era,
				day_of_year,
				month_index,
				year;

	if (days < FIRST_DAY || days > LAST_DAY)
		return false;
	/* count from 0000-03-01, so that a leap day ends its year */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	day_of_era = z - era * 146097;
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
				   day_of_era / 146096) / 365;
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
								year_of_era / 100);
	month_index = (5 * day_of_year + 2) / 153;	/* 0 is March */
	year = year_of_era + era * 400 + (month_index >= 10 ? 1 : 0);
	appendStringInfo(s, "%04d-%02d-%02d", (int) year,
					 (int) (month_index < 10 ? month_index + 3 : month_index - 9),
					 (int) (day_of_year - (153 * month_index + 2) / 5 + 1));
	return true;
}

static void
append_time_of_day(StringInfo s, int64 seconds, int64 fraction, int fraction_digits)
{
	appendStringInfo(s, "%02d:%02d:%02d", (int) (seconds / 3600),
					 (int) (seconds / 60 % 60), (int) (seconds % 60));
	append_fraction(s, fraction, fraction_digits);
}

/* NULL when the value is out of the range shown */
static char *
timestamp_text(int64 value, const ParquetMeaning *m)
{
	int64		per_second;
	int			fraction_digits;
	int64		seconds,
				fraction,
				days;
	StringInfoData s;

	if (!unit_scale(m->unit, &per_second, &fraction_digits))
		return NULL;
	/* floor division, so that instants before 1970 count back */
	seconds = value / per_second;
	fraction = value % per_second;
	if (fraction < 0)
	{
		seconds--;
		fraction += per_second;
	}
	days = seconds / SECS_PER_DAY;
	seconds %= SECS_PER_DAY;
	if (seconds < 0)
	{
		days--;
		seconds += SECS_PER_DAY;
	}
	initStringInfo(&s);
	if (!append_date(&s, days))
		return NULL;
	appendStringInfoChar(&s, ' ');
	append_time_of_day(&s, seconds, fraction, fraction_digits);
	if (m->utc)
		appendStringInfoString(&s, "+00");
	return s.data;
}

static char *
time_text(int64 value, const ParquetMeaning *m)
{
	int64		per_second;
	int			fraction_digits;
	StringInfoData s;

	if (!unit_scale(m->unit, &per_second, &fraction_digits) ||
		value < 0 || value > SECS_PER_DAY * per_second)
		return NULL;
	initStringInfo(&s);
	append_time_of_day(&s, value / per_second, value % per_second,
					   fraction_digits);
	if (m->utc)
		appendStringInfoString(&s, "+00");
	return s.data;
}

static char *
date_text(int64 days)
{
	StringInfoData s;

	initStringInfo(&s);
	return append_date(&s, days) ? s.data : NULL;
}

static char *
uuid_text(const ParquetValue *v)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			appendStringInfoChar(&s, '-');
		appendStringInfo(&s, "%02x", (uint8) v->data[i]);
	}
	return s.data;
}

/* an INT32 or INT64 value by its meaning; NULL to show it as hex */
static char *
integer_text(int64 value, ParquetType type, const ParquetMeaning *m)
{
	switch (m->kind)
	{
		case PARQUET_LOGICAL_DATE:
			return date_text(value);
		case PARQUET_LOGICAL_TIME:
			return time_text(value, m);
		case PARQUET_LOGICAL_TIMESTAMP:
			return timestamp_text(value, m);
		case PARQUET_LOGICAL_DECIMAL:
			if (m->scale < 0 || m->scale > MAX_DECIMAL_SCALE)
				return NULL;
			return int64_scaled_text(value, m->scale);
		default:
			break;
	}
	if (m->is_unsigned)
		return psprintf(UINT64_FORMAT,
						type == PARQUET_INT32 ? (uint64) (uint32) value : (uint64) value);
	return psprintf(INT64_FORMAT, value);
}

/*
 * The text of one value of a column whose physical type is 'type' and
 * whose schema leaf is 'leaf' (NULL if unknown); NULL for an absent value.
 */
char *
parquet_value_text(const ParquetSchemaElement *leaf, ParquetType type,
				   const ParquetValue *value)
{
	ParquetMeaning m = parquet_meaning(leaf);
	char		buf[32];
	char	   *text = NULL;

	if (value->data == NULL)
		return NULL;
	switch (type)
	{
		case PARQUET_BOOLEAN:
			if (value->len == 1 && (uint8) value->data[0] <= 1)
				text = pstrdup(value->data[0] ? "true" : "false");
			break;
		case PARQUET_INT32:
			if (value->len == 4)
				text = integer_text(little_endian(value), type, &m);
			break;
		case PARQUET_INT64:
			if (value->len == 8)
				text = integer_text(little_endian(value), type, &m);
			break;
		case PARQUET_FLOAT:
			if (value->len == 4)
			{
				uint32		bits = (uint32) little_endian(value);
				float		f;

				memcpy(&f, &bits, sizeof(f));
				float_to_shortest_decimal_buf(f, buf);
				text = pstrdup(buf);
			}
			break;
		case PARQUET_DOUBLE:
			if (value->len == 8)
			{
				uint64		bits = (uint64) little_endian(value);
				double		d;

				memcpy(&d, &bits, sizeof(d));
				double_to_shortest_decimal_buf(d, buf);
				text = pstrdup(buf);
			}
			break;
		case PARQUET_BYTE_ARRAY:
		case PARQUET_FIXED_LEN_BYTE_ARRAY:
			if (m.kind == PARQUET_LOGICAL_DECIMAL &&
				value->len > 0 && value->len <= MAX_DECIMAL_BYTES &&
				m.scale >= 0 && m.scale <= MAX_DECIMAL_SCALE)
				text = big_endian_decimal_text(value, m.scale);
			else if (m.kind == PARQUET_LOGICAL_UUID && value->len == 16)
				text = uuid_text(value);
			else if (m.kind != PARQUET_LOGICAL_DECIMAL &&
					 m.kind != PARQUET_LOGICAL_UUID &&
					 m.kind != PARQUET_LOGICAL_FLOAT16)
				text = string_text(value);
			break;
		default:
			break;
	}
	return text ? text : hex_text(value);
}
