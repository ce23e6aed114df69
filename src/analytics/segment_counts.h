/*-------------------------------------------------------------------------
 *
 * segment_counts.h
 *		  What the passes over the events count for the breakdowns by
 *		  profile attribute: per segment key (a user's combination of
 *		  segments) the steps of DAU, WAU and MAU by day, and the active
 *		  and last active users by cohort and week since signup
 *		  (segment_counts.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_SEGMENT_COUNTS_H
#define RITUAL_SEGMENT_COUNTS_H

#include "utils/date.h"

typedef struct SegmentCounts SegmentCounts;

extern SegmentCounts *segment_counts_create(MemoryContext context);
extern void segment_day_add(SegmentCounts *counts, int32 key, DateADT day, int dau, int wau,
							int mau);
extern void segment_week_add(SegmentCounts *counts, int32 key, DateADT cohort_week, int32 week,
							 int active_users, int last_active_users);
extern void segment_counts_write(SegmentCounts *counts);

#endif							/* RITUAL_SEGMENT_COUNTS_H */
