/*
 * calendar.c
 *		Civil dates as day numbers; strict parsers and fast formatters.
 *
 * The parsers decide which rows ritual-generate counts as having a missing
 * user_id or event_date, so they accept exactly the spellings the generator
 * writes as valid and PostgreSQL accepts, and refuse its invalid ones (which
 * PostgreSQL refuses too: months 0 and 13, day 0 or past the month's end,
 * hour 25, empty text).
 */
#include "calendar.h"

#include <string.h>

int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Howard Hinnant's days_from_civil: proleptic Gregorian, exact for all years. */
int64_t
days_from_civil(int64_t year, int month, int day)
{
	int64_t		y = year - (month <= 2);
	int64_t		era = floor_div(y, 400);
	int64_t		yoe = y - era * 400;
	int64_t		doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t		z = days + 719468;
	int64_t		era = floor_div(z, 146097);
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			m = (int) (mp < 10 ? mp + 3 : mp - 9);

	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

int
days_in_month(int64_t year, int month)
{
	static const int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return (month == 2 && leap) ? 29 : lengths[month - 1];
}

/* 1970-01-01 was a Thursday. */
int
weekday_sunday0(int64_t days)
{
	int64_t		w = (days + 4) % 7;

	return (int) (w < 0 ? w + 7 : w);
}

static inline void
put_digits(char *dst, int64_t value, int width)
{
	for (int i = width - 1; i >= 0; i--)
	{
		dst[i] = (char) ('0' + value % 10);
		value /= 10;
	}
}

void
format_date(char *dst, int64_t days)
{
	int64_t		year;
	int			month,
				day;

	civil_from_days(days, &year, &month, &day);
	put_digits(dst, year, 4);
	dst[4] = '-';
	put_digits(dst + 5, month, 2);
	dst[7] = '-';
	put_digits(dst + 8, day, 2);
}

void
format_time_of_day(char *dst, int seconds)
{
	put_digits(dst, seconds / 3600, 2);
	dst[2] = ':';
	put_digits(dst + 3, seconds / 60 % 60, 2);
	dst[5] = ':';
	put_digits(dst + 6, seconds % 60, 2);
}

void
format_date_text(char *dst, int64_t days)
{
	format_date(dst, days);
	dst[10] = '\0';
}

void
format_timestamp_text(char *dst, int64_t seconds)
{
	int64_t		days = floor_div(seconds, SECONDS_PER_DAY);

	format_date(dst, days);
	dst[10] = ' ';
	format_time_of_day(dst + 11, (int) (seconds - days * SECONDS_PER_DAY));
	dst[19] = '\0';
}

/* Read exactly width digits; false if any is not a digit. */
static bool
read_digits(const char *text, int width, int *value)
{
	int			v = 0;

	for (int i = 0; i < width; i++)
	{
		if (text[i] < '0' || text[i] > '9')
			return false;
		v = v * 10 + (text[i] - '0');
	}
	*value = v;
	return true;
}

bool
parse_date(const char *text, size_t len, int64_t *days)
{
	int			year,
				month,
				day;

	if (len != 10 || text[4] != '-' || text[7] != '-' ||
		!read_digits(text, 4, &year) || !read_digits(text + 5, 2, &month) ||
		!read_digits(text + 8, 2, &day))
		return false;
	/* PostgreSQL has no year 0 */
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
		day > days_in_month(year, month))
		return false;
	*days = days_from_civil(year, month, day);
	return true;
}

bool
parse_timestamp(const char *text, size_t len, int64_t *seconds)
{
	int64_t		days;
	int			hour,
				minute,
				second;

	if (len < 10 || !parse_date(text, 10, &days))
		return false;
	if (len == 10)
	{
		*seconds = days * SECONDS_PER_DAY;
		return true;
	}
	if (len == 19 && text[10] == ' ')
		;
	else if (len == 20 && text[10] == 'T' && text[19] == 'Z')
		;
	else
		return false;
	if (text[13] != ':' || text[16] != ':' ||
		!read_digits(text + 11, 2, &hour) || !read_digits(text + 14, 2, &minute) ||
		!read_digits(text + 17, 2, &second))
		return false;
	/* 24:00:00 and leap seconds are valid in PostgreSQL; never written */
	if (hour > 23 || minute > 59 || second > 59)
		return false;
	*seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
	return true;
}

static inline bool
is_pg_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool
parse_bigint(const char *text, size_t len, int64_t *value)
{
	size_t		i = 0;
	bool		negative = false;
	uint64_t	magnitude = 0;
	size_t		first_digit;

	while (i < len && is_pg_space(text[i]))
		i++;
	if (i < len && (text[i] == '+' || text[i] == '-'))
		negative = text[i++] == '-';
	first_digit = i;
	while (i < len && text[i] >= '0' && text[i] <= '9')
	{
		uint64_t	digit = (uint64_t) (text[i] - '0');

		if (magnitude > (UINT64_C(9223372036854775808) - digit) / 10)
			return false;
		magnitude = magnitude * 10 + digit;
		i++;
	}
	if (i == first_digit)
		return false;
	while (i < len && is_pg_space(text[i]))
		i++;
	if (i != len)
		return false;
	if (!negative && magnitude > (uint64_t) INT64_MAX)
		return false;
	*value = negative ? (int64_t) (0 - magnitude) : (int64_t) magnitude;
	return true;
}
