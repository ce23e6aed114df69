/*-------------------------------------------------------------------------
 *
 * user_activity.h
 *		  What a user's active days add to the weekly lifecycle and to the
 *		  weekly and monthly stickiness distributions (user_activity.c),
 *		  counted by the full build's pass and moved by the refresh's.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_USER_ACTIVITY_H
#define RITUAL_USER_ACTIVITY_H

#include "utils/date.h"
#include "utils/hsearch.h"

/* A day of a user with clean events before a refresh, after it, or both. */
typedef struct ActiveDay
{
	DateADT		day;
	bool		before;
	bool		after;
} ActiveDay;

extern HTAB *activity_counts_create(MemoryContext context);
extern DateADT activity_days_from(DateADT first);
extern void activity_count_user(HTAB *counts, const ActiveDay *days, int count,
								DateADT first, bool active_earlier);
extern void activity_counts_write(HTAB *counts, bool by_difference);

#endif							/* RITUAL_USER_ACTIVITY_H */
