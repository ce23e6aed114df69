/*-------------------------------------------------------------------------
 *
 * analytics.h
 *		  The rules of the analytics functions (src/analytics/functions.c)
 *		  that the full build's pass over the events (event_pass.c)
 *		  applies to its rows directly, so that both give the same values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_ANALYTICS_H
#define RITUAL_ANALYTICS_H

#include "common/int128.h"
#include "datatype/timestamp.h"
#include "utils/date.h"

typedef enum WeekMode
{
	WEEK_SUNDAY,				/* Sunday-start weeks crossed, BigQuery WEEK */
	WEEK_MONDAY,				/* Monday-start weeks crossed, ISOWEEK */
	WEEK_ROLLING				/* 7-day blocks from the signup day */
} WeekMode;

/* the duplicate kind, which only a look at the other rows can raise */
#define FLAG_DUPLICATE			0x080

/* a / b rounded towards minus infinity, for b > 0 */
static inline int64
ritual_floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if (a % b < 0)
		q--;
	return q;
}

/* The day of a finite timestamp, as timestamp::date gives it. */
static inline int64
ritual_timestamp_day(Timestamp ts)
{
	return ritual_floor_div(ts, USECS_PER_DAY);
}

/* timestamp::date: the infinities sort below and above any day */
static inline DateADT
ritual_timestamp_date(Timestamp ts)
{
	DateADT		day;

	if (TIMESTAMP_IS_NOBEGIN(ts))
		DATE_NOBEGIN(day);
	else if (TIMESTAMP_IS_NOEND(ts))
		DATE_NOEND(day);
	else
		day = (DateADT) ritual_timestamp_day(ts);
	return day;
}

/* The Sunday that starts the week of a finite day (day 0, 2000-01-01, was a Saturday). */
static inline DateADT
ritual_week_start(DateADT day)
{
	int32		dow = (int32) (((int64) day + 6) % 7);

	if (dow < 0)
		dow += 7;
	return day - dow;
}

/*
 * The seconds from one finite time to a later one, as the funnels measure
 * a step: extract(epoch FROM later - earlier), as a double.
 */
static inline double
ritual_seconds_between(Timestamp earlier, Timestamp later)
{
	return (double) (later - earlier) / USECS_PER_SEC;
}

/*
 * What one event row shows by itself (event_flags()): the row's fields
 * that are there, whether its type and user are unknown (answers to
 * lookups), the user's signup date and the reference time when known.
 */
typedef struct EventFacts
{
	bool		has_user;
	bool		has_type;		/* present and not blank */
	bool		has_date;
	Timestamp	event_date;
	bool		type_unknown;
	bool		user_unknown;
	bool		has_signup;
	DateADT		signup;
	bool		has_reference;
	Timestamp	reference;
} EventFacts;

extern int32 ritual_event_flag_bits(const EventFacts *facts);
extern bool ritual_text_is_blank(text *t);
extern int32 ritual_week_number(int64 event_day, int64 signup_day, WeekMode mode);
extern text *ritual_flag_names_text(int32 flags);
extern INT128 ritual_session_gap_usecs(Interval *gap);
extern bool ritual_session_breaks(Timestamp last, Timestamp t, INT128 gap);
extern double ritual_median(double *values, int64 n);

#endif							/* RITUAL_ANALYTICS_H */
