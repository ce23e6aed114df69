/*-------------------------------------------------------------------------
 *
 * flag_counts.h
 *		  The flagged events a pass meets, counted per flags, file, day and
 *		  event type into pg_temp._ritual_flag_counts (flag_counts.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_FLAG_COUNTS_H
#define RITUAL_FLAG_COUNTS_H

#include "utils/date.h"

typedef struct FlagCounts FlagCounts;

extern FlagCounts *flag_counts_create(MemoryContext context);
extern void flag_counts_add(FlagCounts *counts, int32 flags, const text *file, bool has_day,
							DateADT day, const text *type, int64 rows);
extern void flag_counts_finish(FlagCounts *counts);

#endif							/* RITUAL_FLAG_COUNTS_H */
