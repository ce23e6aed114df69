/*-------------------------------------------------------------------------
 *
 * funnels.h
 *		  Each user's way through the funnels of the catalogue
 *		  ritual.funnels (funnels.c), followed by the full build's pass
 *		  over the events and by the refresh's, kept in ritual.funnel_users,
 *		  and the rows of funnel_steps counted from them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_FUNNELS_H
#define RITUAL_FUNNELS_H

#include "datatype/timestamp.h"
#include "utils/date.h"
#include "executor/tuptable.h"

#include "analytics/bulk_insert.h"
#include "analytics/event_rows.h"

/* as the catalogue's check allows */
#define FUNNEL_MAX_STEPS	10

typedef struct Funnel
{
	Datum		name;			/* text */
	int			steps;
	int			step_types[FUNNEL_MAX_STEPS];	/* catalogue ids */
	Datum		step_names[FUNNEL_MAX_STEPS];	/* text */
	Datum		window;			/* interval */
} Funnel;

typedef struct FunnelSet
{
	int			count;
	Funnel	   *funnels;
} FunnelSet;

/*
 * A user's way through one funnel: not entered, or entered and the steps
 * reached so far (from 1, the entry), each by one clean event.
 */
typedef struct FunnelProgress
{
	int			reached;		/* 0: not entered */
	Timestamp	deadline;		/* the entry's time plus the window */
	Timestamp	times[FUNNEL_MAX_STEPS];
	int64		event_ids[FUNNEL_MAX_STEPS];
} FunnelProgress;

/* the columns of ritual.funnel_users, in their order */
extern const ColumnSpec funnel_user_columns[6];

extern void funnels_load(FunnelSet *set, Catalogue *catalogue, MemoryContext context);
extern void funnel_see(const Funnel *funnel, FunnelProgress *progress, int type,
					   Timestamp time, int64 event_id);
extern bool funnel_progress_equal(const FunnelProgress *a, const FunnelProgress *b);
extern void funnel_row_set(BulkTable *table, TupleTableSlot *slot, const Funnel *funnel,
						   int64 user_id, const FunnelProgress *progress);
extern int	funnel_row_read(const FunnelSet *set, TupleTableSlot *slot, const int *attnums,
							FunnelProgress *progress);

/* the rows of funnel_steps of some entry cohorts, counted from their users' ways */
typedef struct FunnelCells FunnelCells;

extern FunnelCells *funnel_cells_create(const FunnelSet *set, MemoryContext context);
extern DateADT funnel_cohort(Timestamp entered_at);
extern void funnel_cells_cohort(FunnelCells *cells, int funnel, DateADT cohort_week);
extern int	funnel_cells_count(FunnelCells *cells);
extern void funnel_cells_list(FunnelCells *cells, int *funnels, DateADT *weeks);
extern void funnel_cells_add(FunnelCells *cells, int funnel, const FunnelProgress *progress);
extern void funnel_cells_write(FunnelCells *cells);

#endif							/* RITUAL_FUNNELS_H */
