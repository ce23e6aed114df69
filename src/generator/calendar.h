/*
 * calendar.h
 *		Civil dates as day numbers, and the strict parsers and fast formatters
 *		of the date, timestamp and bigint text that ritual-generate writes.
 *
 * Days are counted from 1970-01-01 (day 0), timestamps in seconds from its
 * midnight, both naive UTC as docs/metrics.md says.
 */
#ifndef RITUAL_GENERATOR_CALENDAR_H
#define RITUAL_GENERATOR_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECONDS_PER_DAY 86400

extern int64_t days_from_civil(int64_t year, int month, int day);
extern void civil_from_days(int64_t days, int64_t *year, int *month, int *day);
extern int days_in_month(int64_t year, int month);
extern int weekday_sunday0(int64_t days);
extern int64_t floor_div(int64_t a, int64_t b);

/* Write exactly 10 bytes "YYYY-MM-DD" (years 0..9999) or 8 bytes "HH:MM:SS". */
extern void format_date(char *dst, int64_t days);
extern void format_time_of_day(char *dst, int seconds);

/* Exactly "YYYY-MM-DD", a real calendar day. */
extern bool parse_date(const char *text, size_t len, int64_t *days);

/*
 * "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SSZ" with every
 * field in range (hour 0..23, second 0..59); anything else is refused.
 */
extern bool parse_timestamp(const char *text, size_t len, int64_t *seconds);

/*
 * PostgreSQL's int8in: optional white space, an optional sign, at least one
 * digit, optional white space, and a value that fits in 64 bits.
 */
extern bool parse_bigint(const char *text, size_t len, int64_t *value);

/* Format a reference time or a day as text, NUL-terminated. */
extern void format_timestamp_text(char *dst, int64_t seconds);	/* 20 bytes */
extern void format_date_text(char *dst, int64_t days);	/* 11 bytes */

#endif							/* RITUAL_GENERATOR_CALENDAR_H */
