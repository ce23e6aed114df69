/*-------------------------------------------------------------------------
 *
 * funnels.c
 *		  Each user's way through the funnels of ritual.funnels: a funnel
 *		  is an ordered list of 2 to 10 event types and a conversion
 *		  window.  A user enters on their first clean event of step 1; each
 *		  next step is reached by the user's first clean event of its type
 *		  after the previous step's (ties at one time: later provenance),
 *		  no later than the entry's time plus the window.
 *
 * The passes over the events meet a user's clean events in the order of
 * time and event_id (provenance), so each event is one look at the step
 * awaited.  What a user reached is one row of ritual.funnel_users: the
 * entry's time, the steps reached, and the time and event_id of each, from
 * which a refresh takes up a user's way where its first change comes.  The
 * rows of funnel_steps of an entry cohort (users per step, the median time
 * from step to step) are counted here from its users' ways (FunnelCells):
 * by the full build for every cohort, by a refresh for those that change.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "analytics/analytics.h"
#include "analytics/funnels.h"
#include "analytics/text_hash.h"

const ColumnSpec funnel_user_columns[6] = {
	{"user_id", INT8OID}, {"funnel", TEXTOID}, {"entered_at", TIMESTAMPOID},
	{"steps_reached", INT4OID}, {"step_times", TIMESTAMPARRAYOID},
	{"step_event_ids", INT8ARRAYOID}
};

/*
 * The catalogue's funnels, their steps as ids of the event-type catalogue
 * (update_reports has checked that every step is in it: -1, which no event
 * has, otherwise).
 */
void
funnels_load(FunnelSet *set, Catalogue *catalogue, MemoryContext context)
{
	MemoryContext old;

	if (SPI_execute("SELECT funnel, steps, conversion_window FROM ritual.funnels ORDER BY funnel",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ritual.funnels");
	old = MemoryContextSwitchTo(context);
	set->count = (int) SPI_processed;
	set->funnels = palloc0(sizeof(Funnel) * Max(set->count, 1));
	for (int i = 0; i < set->count; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Funnel	   *funnel = &set->funnels[i];
		bool		null_name,
					null_steps,
					null_window;
		Datum		name = SPI_getbinval(tuple, desc, 1, &null_name);
		Datum		steps = SPI_getbinval(tuple, desc, 2, &null_steps);
		Datum		window = SPI_getbinval(tuple, desc, 3, &null_window);
		Datum	   *types;
		bool	   *nulls;
		int			count;

		if (null_name || null_steps || null_window)
			elog(ERROR, "ritual.funnels has a funnel without a name, steps or window");
		deconstruct_array(DatumGetArrayTypeP(steps), TEXTOID, -1, false, TYPALIGN_INT,
						  &types, &nulls, &count);
		/* the catalogue's check keeps these, but its table is not the pass's to trust */
		if (count < 2 || count > FUNNEL_MAX_STEPS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("funnel \"%s\" has %d steps, not 2 to %d",
							TextDatumGetCString(name), count, FUNNEL_MAX_STEPS)));
		funnel->name = datumCopy(name, false, -1);
		funnel->window = datumCopy(window, false, sizeof(Interval));
		funnel->steps = count;
		for (int s = 0; s < count; s++)
		{
			if (nulls[s])
				elog(ERROR, "funnel \"%s\" has a NULL step", TextDatumGetCString(name));
			funnel->step_names[s] = datumCopy(types[s], false, -1);
			funnel->step_types[s] = catalogue_id(catalogue, DatumGetTextPP(types[s]));
		}
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/* A clean event of the user, after every one seen before. */
void
funnel_see(const Funnel *funnel, FunnelProgress *progress, int type, Timestamp time,
		   int64 event_id)
{
	int			next = progress->reached;

	if (next == funnel->steps || type != funnel->step_types[next])
		return;
	if (next == 0)
		progress->deadline = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
																   TimestampGetDatum(time),
																   funnel->window));
	else if (time > progress->deadline)
		return;
	progress->times[next] = time;
	progress->event_ids[next] = event_id;
	progress->reached++;
}

bool
funnel_progress_equal(const FunnelProgress *a, const FunnelProgress *b)
{
	if (a->reached != b->reached)
		return false;
	for (int s = 0; s < a->reached; s++)
		if (a->times[s] != b->times[s] || a->event_ids[s] != b->event_ids[s])
			return false;
	return true;
}

/* The user's row of funnel_users, into 'slot' (of bulk_next_slot). */
void
funnel_row_set(BulkTable *table, TupleTableSlot *slot, const Funnel *funnel, int64 user_id,
			   const FunnelProgress *progress)
{
	Datum		times[FUNNEL_MAX_STEPS];
	Datum		ids[FUNNEL_MAX_STEPS];

	Assert(progress->reached > 0);
	for (int s = 0; s < progress->reached; s++)
	{
		times[s] = TimestampGetDatum(progress->times[s]);
		ids[s] = Int64GetDatum(progress->event_ids[s]);
	}
	bulk_set(table, slot, 0, Int64GetDatum(user_id), false);
	bulk_set(table, slot, 1, funnel->name, false);
	bulk_set(table, slot, 2, TimestampGetDatum(progress->times[0]), false);
	bulk_set(table, slot, 3, Int32GetDatum(progress->reached), false);
	bulk_set(table, slot, 4,
			 PointerGetDatum(construct_array(times, progress->reached, TIMESTAMPOID, 8,
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)), false);
	bulk_set(table, slot, 5,
			 PointerGetDatum(construct_array(ids, progress->reached, INT8OID, 8,
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)), false);
}

/*
 * A stored row of funnel_users (its columns at 'attnums', as column_attnums
 * gives them for funnel_user_columns): the index of its funnel in 'set',
 * with what it reached in '*progress'; -1 for a funnel no longer in the
 * catalogue.  A row that does not fit its funnel is an error: only the
 * passes write the table.
 */
int
funnel_row_read(const FunnelSet *set, TupleTableSlot *slot, const int *attnums,
				FunnelProgress *progress)
{
	bool		isnull[6];
	Datum		values[6];
	int			index = -1;
	Datum	   *times;
	Datum	   *ids;
	int			time_count;
	int			id_count;

	for (int c = 0; c < 6; c++)
	{
		values[c] = slot_getattr(slot, attnums[c] + 1, &isnull[c]);
		if (isnull[c])
			elog(ERROR, "ritual.funnel_users has a row with a NULL %s", funnel_user_columns[c].name);
	}
	for (int f = 0; f < set->count && index < 0; f++)
		if (text_datums_equal(values[1], set->funnels[f].name))
			index = f;
	if (index < 0)
		return -1;
	deconstruct_array(DatumGetArrayTypeP(values[4]), TIMESTAMPOID, 8, FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &times, NULL, &time_count);
	deconstruct_array(DatumGetArrayTypeP(values[5]), INT8OID, 8, FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &ids, NULL, &id_count);
	progress->reached = DatumGetInt32(values[3]);
	if (progress->reached < 1 || progress->reached > set->funnels[index].steps ||
		time_count != progress->reached || id_count != progress->reached)
		elog(ERROR, "ritual.funnel_users has a row of user %lld that does not fit funnel \"%s\"",
			 (long long) DatumGetInt64(values[0]), TextDatumGetCString(values[1]));
	for (int s = 0; s < progress->reached; s++)
	{
		progress->times[s] = DatumGetTimestamp(times[s]);
		progress->event_ids[s] = DatumGetInt64(ids[s]);
	}
	progress->deadline = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
															   TimestampGetDatum(progress->times[0]),
															   set->funnels[index].window));
	return index;
}

/*
 * The rows of funnel_steps of some entry cohorts, counted from the ways of
 * their users: per funnel and cohort (the Sunday week of the entry), the
 * users at each step and, from step 2, the seconds each took from the step
 * before, whose median the row shows.
 */
typedef struct CohortKey
{
	int32		funnel;			/* index in the FunnelSet */
	DateADT		cohort_week;
} CohortKey;

typedef struct CohortCells
{
	CohortKey	key;
	int64		users[FUNNEL_MAX_STEPS];
	double	   *seconds[FUNNEL_MAX_STEPS];	/* users[s] of them, from step 2 */
	int64		room[FUNNEL_MAX_STEPS];
} CohortCells;

struct FunnelCells
{
	const FunnelSet *set;
	HTAB	   *cohorts;
	MemoryContext context;
};

FunnelCells *
funnel_cells_create(const FunnelSet *set, MemoryContext context)
{
	FunnelCells *cells = MemoryContextAllocZero(context, sizeof(FunnelCells));
	HASHCTL		ctl;

	ctl.keysize = sizeof(CohortKey);
	ctl.entrysize = sizeof(CohortCells);
	ctl.hcxt = context;
	cells->set = set;
	cells->context = context;
	cells->cohorts = hash_create("ritual funnel cohorts", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	return cells;
}

/* The cohort (of 'funnel') of an entry at 'entered_at'. */
DateADT
funnel_cohort(Timestamp entered_at)
{
	return ritual_week_start(ritual_timestamp_date(entered_at));
}

/* A cohort counted, with no user yet (a cohort whose rows are made again). */
static CohortCells *
cohort_cells(FunnelCells *cells, int funnel, DateADT cohort_week)
{
	CohortKey	key;
	CohortCells *entry;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.funnel = funnel;
	key.cohort_week = cohort_week;
	entry = hash_search(cells->cohorts, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(entry->users, 0, sizeof(entry->users));
		memset(entry->seconds, 0, sizeof(entry->seconds));
		memset(entry->room, 0, sizeof(entry->room));
	}
	return entry;
}

void
funnel_cells_cohort(FunnelCells *cells, int funnel, DateADT cohort_week)
{
	(void) cohort_cells(cells, funnel, cohort_week);
}

/* The cohorts counted so far. */
int
funnel_cells_count(FunnelCells *cells)
{
	return (int) hash_get_num_entries(cells->cohorts);
}

/* Their funnels and weeks, into arrays of funnel_cells_count() entries. */
void
funnel_cells_list(FunnelCells *cells, int *funnels, DateADT *weeks)
{
	HASH_SEQ_STATUS status;
	CohortCells *entry;
	int			i = 0;

	hash_seq_init(&status, cells->cohorts);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		funnels[i] = entry->key.funnel;
		weeks[i] = entry->key.cohort_week;
		i++;
	}
}

/* A user's way through 'funnel', entered, into its cohort's counts. */
void
funnel_cells_add(FunnelCells *cells, int funnel, const FunnelProgress *progress)
{
	CohortCells *entry = cohort_cells(cells, funnel, funnel_cohort(progress->times[0]));

	for (int s = 0; s < progress->reached; s++)
	{
		entry->users[s]++;
		if (s == 0)
			continue;
		if (entry->users[s] > entry->room[s])
		{
			entry->room[s] = Max(64, 2 * entry->room[s]);
			entry->seconds[s] = entry->seconds[s] == NULL ?
				MemoryContextAlloc(cells->context, sizeof(double) * entry->room[s]) :
				repalloc_huge(entry->seconds[s], sizeof(double) * entry->room[s]);
		}
		entry->seconds[s][entry->users[s] - 1] =
			ritual_seconds_between(progress->times[s - 1], progress->times[s]);
	}
}

/*
 * The counted cohorts' rows of funnel_steps, written in place of theirs:
 * every step of a cohort with entrants (0 users where nobody reached it);
 * none for a cohort left without any.  Their status is update_reports'.
 */
void
funnel_cells_write(FunnelCells *cells)
{
	HASH_SEQ_STATUS status;
	CohortCells *entry;
	long		cohorts = hash_get_num_entries(cells->cohorts);
	long		rows = 0;
	Datum	   *gone_funnels = palloc(sizeof(Datum) * Max(cohorts, 1));
	Datum	   *gone_weeks = palloc(sizeof(Datum) * Max(cohorts, 1));
	Datum	   *columns[8];
	bool	   *nulls[8];
	Oid			types[8] = {TEXTOID, DATEOID, INT4OID, TEXTOID, INT8OID, FLOAT8OID, FLOAT8OID,
		FLOAT8OID};
	Oid			argtypes[8];
	Datum		args[8];
	int			i = 0;

	if (cohorts == 0)
		return;
	for (int c = 0; c < 8; c++)
	{
		columns[c] = palloc(sizeof(Datum) * cohorts * FUNNEL_MAX_STEPS);
		nulls[c] = palloc0(sizeof(bool) * cohorts * FUNNEL_MAX_STEPS);
		argtypes[c] = get_array_type(types[c]);
	}
	hash_seq_init(&status, cells->cohorts);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		const Funnel *funnel = &cells->set->funnels[entry->key.funnel];

		gone_funnels[i] = funnel->name;
		gone_weeks[i] = DateADTGetDatum(entry->key.cohort_week);
		i++;
		if (entry->users[0] == 0)
			continue;
		for (int s = 0; s < funnel->steps; s++)
		{
			columns[0][rows] = funnel->name;
			columns[1][rows] = DateADTGetDatum(entry->key.cohort_week);
			columns[2][rows] = Int32GetDatum(s + 1);
			columns[3][rows] = funnel->step_names[s];
			columns[4][rows] = Int64GetDatum(entry->users[s]);
			columns[5][rows] = Float8GetDatum((double) entry->users[s] / entry->users[0]);
			nulls[6][rows] = s == 0 || entry->users[s - 1] == 0;
			if (!nulls[6][rows])
				columns[6][rows] = Float8GetDatum((double) entry->users[s] / entry->users[s - 1]);
			nulls[7][rows] = s == 0 || entry->users[s] == 0;
			if (!nulls[7][rows])
				columns[7][rows] = Float8GetDatum(ritual_median(entry->seconds[s], entry->users[s]));
			rows++;
		}
	}

	args[0] = PointerGetDatum(construct_array(gone_funnels, i, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(gone_weeks, i, DATEOID, 4, true, TYPALIGN_INT));
	if (SPI_execute_with_args("DELETE FROM ritual.funnel_steps s"
							  " USING unnest($1, $2) AS c(funnel, cohort_week)"
							  " WHERE s.funnel = c.funnel AND s.cohort_week = c.cohort_week",
							  2, (Oid[]) {TEXTARRAYOID, DATEARRAYOID}, args, NULL, false, 0)
		!= SPI_OK_DELETE)
		elog(ERROR, "could not write ritual.funnel_steps");
	if (rows == 0)
		return;
	for (int c = 0; c < 8; c++)
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;
		int			dims[1] = {(int) rows};
		int			lbs[1] = {1};

		get_typlenbyvalalign(types[c], &typlen, &typbyval, &typalign);
		args[c] = PointerGetDatum(construct_md_array(columns[c], nulls[c], 1, dims, lbs,
													 types[c], typlen, typbyval, typalign));
	}
	if (SPI_execute_with_args("INSERT INTO ritual.funnel_steps"
							  " SELECT f, w, s, t, u, p1, pp, m, 'incomplete'"
							  " FROM unnest($1, $2, $3, $4, $5, $6, $7, $8)"
							  " AS c(f, w, s, t, u, p1, pp, m)",
							  8, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write ritual.funnel_steps");
}
