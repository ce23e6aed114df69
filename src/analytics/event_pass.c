/*-------------------------------------------------------------------------
 *
 * event_pass.c
 *		  The full build's one pass over the events: the new raw rows, read
 *		  once in the order of user, time and event_id, become the rows of
 *		  enriched_events, and what is counted from the clean ones
 *		  (user_days, user_weeks, sessions, event_transitions,
 *		  daily_event_types, the lifecycle and stickiness counts of
 *		  activity_counts, each user's way through the funnels,
 *		  funnel_users, and funnel_steps, the session paths' counts,
 *		  path_counts, and each user's paths, user_paths) is counted on
 *		  the way.
 *
 * In that order every per-user rule is a look at the rows just before:
 * a duplicate repeats a type at the same user and time, the previous clean
 * type and the session are the user's last clean row's, the user's days and
 * sessions end where the next begins.  Only the next clean type looks ahead,
 * so a clean row waits until the next clean row (or the user's end) comes.
 * The rules are those of the analytics functions (analytics.h), which the
 * incremental refresh applies in SQL; a refresh after new rows equals a
 * full build, which the tests check.
 *
 * The large tables are written as COPY writes them, by batches of rows with
 * table_multi_insert(): build_events dropped their indexes, which are made
 * again once the rows are in.  The small ones are written by SQL at the end,
 * and so are the counts per day that daily_activity is made of
 * (pg_temp._ritual_day_counts), which would otherwise cost a sort of
 * user_days and a read of every session.  Memory is one batch of rows, the
 * rows of one user and time (types seen), and the counts per day, per day
 * and type and per pair of types; the sort of the rows is the executor's,
 * bounded by work_mem.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "ritual.h"
#include "analytics/analytics.h"
#include "analytics/bulk_insert.h"
#include "analytics/flag_counts.h"
#include "analytics/event_rows.h"
#include "analytics/funnels.h"
#include "analytics/segment_counts.h"
#include "analytics/session_paths.h"
#include "analytics/user_activity.h"

PG_FUNCTION_INFO_V1(ritual_build_event_tables);

/* rows fetched from the sorted read at a time: a batch written at most */
#define FETCH_ROWS		BULK_ROWS

/*
 * What a day adds to daily_activity.  A user active on day d is counted in
 * WAU from d until d + 7 or their next active day, whichever comes first
 * (then the next stretch counts them), and in MAU until d + 30: the days
 * where stretches end, summed up to a day and taken from the active days
 * summed up to it, give that day's WAU and MAU.
 */
typedef struct DayCounts
{
	DateADT		day;
	int64		active_users;	/* DAU */
	int64		clean_rows;
	int64		week_ends;		/* stretches of WAU that end on the day */
	int64		month_ends;		/* and of MAU */
	int64		sessions;		/* sessions that start on the day */
} DayCounts;

static HTAB *
day_counts_create(MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(DateADT);
	ctl.entrysize = sizeof(DayCounts);
	ctl.hcxt = context;
	return hash_create("ritual counts per day", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static DayCounts *
day_counts(HTAB *counts, DateADT day)
{
	bool		found;
	DayCounts  *entry = hash_search(counts, &day, HASH_ENTER, &found);

	if (!found)
		memset(entry, 0, sizeof(DayCounts));
	entry->day = day;
	return entry;
}

/* ----------------------------------------------------------------
 *		The pass
 * ----------------------------------------------------------------
 */

/*
 * the columns of the sorted read: the sort keys first, where the sort
 * finds them at fixed offsets when it breaks a tie (after a text column
 * it would walk each row from its start), then the other fixed-width ones
 */
enum
{
	IN_USER_ID, IN_EVENT_DATE, IN_EVENT_ID, IN_SOURCE_LINE, IN_SIGNUP_DATE,
	IN_COHORT_WEEK, IN_KNOWN_USER, IN_SEGMENT_KEY, IN_EVENT_TYPE, IN_RAW_EVENT_TYPE,
	IN_SOURCE_FILE, IN_COLUMNS
};

static const EventInputColumns input_columns = {
	.columns = IN_COLUMNS, .event_id = IN_EVENT_ID, .user_id = IN_USER_ID, .event_type = IN_EVENT_TYPE,
	.raw_event_type = IN_RAW_EVENT_TYPE, .event_date = IN_EVENT_DATE,
	.source_file = IN_SOURCE_FILE, .source_line = IN_SOURCE_LINE,
	.signup_date = IN_SIGNUP_DATE, .cohort_week = IN_COHORT_WEEK,
	.known_user = IN_KNOWN_USER
};

/* the columns of the tables written, in their order (and event_rows.h) */
static const ColumnSpec user_week_columns[] = {
	{"user_id", INT8OID}, {"week_number", INT4OID}
};

/* One clean row waiting for the next clean type of its user. */
typedef struct PendingRow
{
	bool		waiting;
	Datum		values[EE_COLUMNS];
	bool		isnull[EE_COLUMNS];
	Size		bytes;
	MemoryContext context;		/* its copied values */
} PendingRow;

typedef struct EventPass
{
	Timestamp	reference;
	INT128		gap;
	Catalogue	catalogue;
	BulkTable	enriched;
	BulkTable	user_days;
	BulkTable	user_weeks;
	BulkTable	sessions;
	BulkTable	funnel_users;
	BulkTable	user_paths;
	PathTally  *paths;			/* sessions and users per path */
	UserPaths	user_path_set;	/* the current user's paths */
	FunnelSet	funnels;
	FunnelProgress *progress;	/* the current user's, per funnel */
	FunnelCells *cells;			/* funnel_steps, counted from them */
	HTAB	   *days;			/* DayCounts by day */
	HTAB	   *day_types;		/* (day, type id): clean rows and users */
	HTAB	   *transitions;	/* (previous type id, type id): rows */
	FlagCounts *flagged;		/* flagged rows per flags, file, day, type */
	HTAB	   *activity;		/* lifecycle and stickiness (user_activity.c) */
	SegmentCounts *segments;	/* the breakdowns (segment_counts.c) */

	/* the current user and time, and the types seen at it */
	EventPlace	place;
	int32		segment_key;	/* the user's combination of segments */
	DateADT		cohort_week;	/* and their cohort, when they have a signup */
	int			last_clean_type;	/* id, -1 before the first clean row */

	/* the current user's last week with clean rows, if any */
	bool		has_week;
	int32		week;

	/* the rows read, the clean ones and the sessions written */
	int64		rows;
	int64		clean_rows;
	int64		sessions_written;

	/* the current user's day with clean rows, and the one before it */
	DateADT		day;
	int64		day_rows;
	bool		has_active_day;
	DateADT		last_active_day;
	Bitmapset  *day_types_seen;
	MemoryContext day_context;

	/* the current user's active days so far (in the pass's context) */
	ActiveDay  *active_days;
	int			active_count;
	int			active_size;

	/* the current session */
	SessionState session;

	PendingRow	pending;
	Datum		no_flag_names;	/* '' */
} EventPass;

static void
emit_pending(EventPass *pass, int next_type)
{
	PendingRow *pending = &pass->pending;
	TupleTableSlot *slot;

	if (!pending->waiting)
		return;
	pending->values[EE_NEXT_EVENT_TYPE] = next_type >= 0 ? pass->catalogue.types[next_type] : (Datum) 0;
	pending->isnull[EE_NEXT_EVENT_TYPE] = next_type < 0;
	slot = bulk_next_slot(&pass->enriched);
	for (int i = 0; i < EE_COLUMNS; i++)
		bulk_set(&pass->enriched, slot, i, pending->values[i], pending->isnull[i]);
	bulk_store(&pass->enriched, slot, pending->bytes, true);
	MemoryContextReset(pending->context);
	pending->waiting = false;
}

/*
 * The current user's stretch from their last active day ends: at 'next',
 * their next active day, or without one (has_next false) when WAU and MAU
 * let it go.
 */
static void
end_stretch(EventPass *pass, bool has_next, DateADT next)
{
	DateADT		day = pass->last_active_day;

	/* a day of a finite timestamp is millions of years from the end of date */
	day_counts(pass->days, has_next ? Min(day + 7, next) : day + 7)->week_ends++;
	day_counts(pass->days, has_next ? Min(day + 30, next) : day + 30)->month_ends++;
	segment_day_add(pass->segments, pass->segment_key, has_next ? Min(day + 7, next) : day + 7,
					0, -1, 0);
	segment_day_add(pass->segments, pass->segment_key, has_next ? Min(day + 30, next) : day + 30,
					0, 0, -1);
}

static void
close_user_day(EventPass *pass)
{
	TupleTableSlot *slot;
	DayCounts  *counts;

	if (pass->day_rows == 0)
		return;
	if (pass->has_active_day)
		end_stretch(pass, true, pass->day);
	counts = day_counts(pass->days, pass->day);
	counts->active_users++;
	counts->clean_rows += pass->day_rows;
	segment_day_add(pass->segments, pass->segment_key, pass->day, 1, 1, 1);
	pass->has_active_day = true;
	pass->last_active_day = pass->day;
	if (pass->active_count == pass->active_size)
	{
		pass->active_size = Max(64, 2 * pass->active_size);
		pass->active_days = repalloc(pass->active_days, sizeof(ActiveDay) * pass->active_size);
	}
	pass->active_days[pass->active_count].day = pass->day;
	pass->active_days[pass->active_count].before = false;
	pass->active_days[pass->active_count].after = true;
	pass->active_count++;

	slot = bulk_next_slot(&pass->user_days);
	bulk_set(&pass->user_days, slot, 0, Int64GetDatum(pass->place.user_id), false);
	bulk_set(&pass->user_days, slot, 1, DateADTGetDatum(pass->day), false);
	bulk_set(&pass->user_days, slot, 2, Int64GetDatum(pass->day_rows), false);
	bulk_store(&pass->user_days, slot, 24, false);
	pass->day_rows = 0;
	MemoryContextReset(pass->day_context);
	pass->day_types_seen = NULL;
}

static void
close_session(EventPass *pass)
{
	Datum		path;

	if (pass->session.rows == 0)
		return;
	path = session_path(&pass->catalogue, &pass->session);
	session_row_store(&pass->sessions, pass->place.user_id, pass->session.number, pass->session.start,
					  pass->session.end, pass->session.rows, path);
	if (path_tally_add(pass->paths, path, pass->place.user_id))
		user_paths_add(&pass->user_path_set, path);
	pass->session.rows = 0;
	pass->sessions_written++;
	day_counts(pass->days, ritual_timestamp_date(pass->session.start))->sessions++;
}

static void
close_user(EventPass *pass)
{
	emit_pending(pass, -1);
	close_user_day(pass);
	if (pass->has_active_day)
		end_stretch(pass, false, 0);
	pass->has_active_day = false;
	if (pass->active_count > 0)
		activity_count_user(pass->activity, pass->active_days, pass->active_count,
							pass->active_days[0].day, false);
	pass->active_count = 0;
	for (int f = 0; f < pass->funnels.count; f++)
	{
		if (pass->progress[f].reached > 0)
		{
			TupleTableSlot *slot = bulk_next_slot(&pass->funnel_users);

			funnel_row_set(&pass->funnel_users, slot, &pass->funnels.funnels[f],
						   pass->place.user_id, &pass->progress[f]);
			bulk_store(&pass->funnel_users, slot, 64 + 16 * pass->progress[f].reached, true);
			funnel_cells_add(pass->cells, f, &pass->progress[f]);
		}
		pass->progress[f].reached = 0;
	}
	close_session(pass);
	if (pass->user_path_set.count > 0)
	{
		TupleTableSlot *slot = bulk_next_slot(&pass->user_paths);

		bulk_set(&pass->user_paths, slot, 0, Int64GetDatum(pass->place.user_id), false);
		bulk_set(&pass->user_paths, slot, 1, user_paths_array(&pass->user_path_set), false);
		bulk_store(&pass->user_paths, slot, 64 * pass->user_path_set.count, true);
		MemoryContextReset(pass->user_path_set.context);
		pass->user_path_set.paths = NULL;
		pass->user_path_set.count = pass->user_path_set.size = 0;
	}
	if (pass->has_week)
		segment_week_add(pass->segments, pass->segment_key, pass->cohort_week, pass->week, 0, 1);
	pass->last_clean_type = -1;
	pass->session.number = 0;
	pass->has_week = false;
}

/* A row of another user comes: the current one's rows are all in. */
static void
leave_user(void *state)
{
	close_user((EventPass *) state);
}

/* A clean row: the counts, its session, and the row before it let go. */
static void
count_clean_row(EventPass *pass, int type, Timestamp time, DateADT day, int32 week)
{
	PairCounts *counts;
	bool		ends;

	ends = session_ends_before(&pass->session, time, pass->gap);
	if (ends)
		close_session(pass);
	session_add(&pass->session, time, ends, pass->place.user_id, type);

	if (pass->day_rows > 0 && day != pass->day)
		close_user_day(pass);
	pass->day = day;
	pass->day_rows++;
	counts = pair_counts(pass->day_types, day, type);
	counts->rows++;
	if (!bms_is_member(type, pass->day_types_seen))
	{
		MemoryContext old = MemoryContextSwitchTo(pass->day_context);

		pass->day_types_seen = bms_add_member(pass->day_types_seen, type);
		MemoryContextSwitchTo(old);
		counts->users++;
	}
	if (pass->last_clean_type >= 0)
		pair_counts(pass->transitions, pass->last_clean_type, type)->rows++;

	/* the user's weeks come in order: a new one is the next row */
	if (!pass->has_week || week != pass->week)
	{
		TupleTableSlot *slot = bulk_next_slot(&pass->user_weeks);

		bulk_set(&pass->user_weeks, slot, 0, Int64GetDatum(pass->place.user_id), false);
		bulk_set(&pass->user_weeks, slot, 1, Int32GetDatum(week), false);
		bulk_store(&pass->user_weeks, slot, 16, false);
		segment_week_add(pass->segments, pass->segment_key, pass->cohort_week, week, 1, 0);
		pass->has_week = true;
		pass->week = week;
	}
	pass->clean_rows++;

	emit_pending(pass, type);
}

/* One row of the sorted read. */
static void
pass_row(void *state, HeapTuple tuple, TupleDesc desc)
{
	EventPass  *pass = state;
	Datum		in[IN_COLUMNS];
	bool		in_null[IN_COLUMNS];
	EventInput	row;
	int32		flags;
	Datum		values[EE_COLUMNS];
	bool		isnull[EE_COLUMNS];
	Size		bytes;

	event_input_read(&row, tuple, desc, &input_columns, &pass->catalogue, in, in_null);
	pass->rows++;

	place_row(&pass->place, &row, leave_user, pass);
	/* (a clean row's user has a cohort; one with no segment has key 0) */
	pass->segment_key = in_null[IN_SEGMENT_KEY] ? 0 : DatumGetInt32(in[IN_SEGMENT_KEY]);
	if (!row.null_cohort)
		pass->cohort_week = DatumGetDateADT(row.cohort_week);

	flags = event_row_values(&row, row.type_id >= 0,
							 !row.null_user && !row.null_type && !row.null_date &&
							 seen_add(&pass->place.seen, row.type_id, row.type),
							 pass->reference, pass->no_flag_names, values, isnull, &bytes);

	if (flags != 0)
	{
		TupleTableSlot *slot = bulk_next_slot(&pass->enriched);

		flag_counts_add(pass->flagged, flags,
						row.null_file ? NULL : DatumGetTextPP(row.source_file),
						!row.null_date, row.null_date ? 0 : DatumGetDateADT(values[EE_EVENT_DAY]),
						row.type, 1);

		for (int i = 0; i < EE_COLUMNS; i++)
			bulk_set(&pass->enriched, slot, i, values[i], isnull[i]);
		/* written before the batch of the sorted read is let go */
		bulk_store(&pass->enriched, slot, bytes, false);
		return;
	}

	/*
	 * A clean row has a user, a catalogue type, a finite time and the user's
	 * signup date, finite (read_new_rows reads an infinite one as missing),
	 * so a week number.
	 */
	Assert(row.type_id >= 0 && !row.null_user && !row.null_date && !row.null_signup);
	if (isnull[EE_WEEK_NUMBER])
		elog(ERROR, "a clean event of user %lld has no week since signup",
			 (long long) pass->place.user_id);
	values[EE_PREV_EVENT_TYPE] = pass->last_clean_type >= 0 ?
		pass->catalogue.types[pass->last_clean_type] : (Datum) 0;
	isnull[EE_PREV_EVENT_TYPE] = pass->last_clean_type < 0;
	count_clean_row(pass, row.type_id, row.time, DatumGetDateADT(values[EE_EVENT_DAY]),
					DatumGetInt32(values[EE_WEEK_NUMBER]));
	for (int f = 0; f < pass->funnels.count; f++)
		funnel_see(&pass->funnels.funnels[f], &pass->progress[f], row.type_id, row.time,
				   DatumGetInt64(values[EE_EVENT_ID]));
	values[EE_SESSION_NUMBER] = Int64GetDatum(pass->session.number);
	isnull[EE_SESSION_NUMBER] = false;
	pass->last_clean_type = row.type_id;

	/* the row waits for the next clean type: its values must outlive the batch */
	{
		PendingRow *pending = &pass->pending;
		MemoryContext old = MemoryContextSwitchTo(pending->context);

		for (int i = 0; i < EE_COLUMNS; i++)
		{
			pending->isnull[i] = isnull[i];
			pending->values[i] = values[i];
			if (!isnull[i] && (i == EE_RAW_EVENT_TYPE || i == EE_SOURCE_FILE))
				pending->values[i] = datumCopy(values[i], false, -1);
		}
		pending->values[EE_EVENT_TYPE] = pass->catalogue.types[row.type_id];
		pending->bytes = bytes;
		pending->waiting = true;
		MemoryContextSwitchTo(old);
	}
}

/* After a batch of the sorted read: the rows written refer to it. */
static void
flush_enriched(void *state)
{
	bulk_flush(&((EventPass *) state)->enriched);
}

static Datum
int8_array(Datum *values, int n)
{
	return PointerGetDatum(construct_array(values, n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/*
 * The counts per day, for update_reports to make daily_activity of: one
 * row per day, in pg_temp._ritual_day_counts.
 */
static void
write_day_counts(EventPass *pass)
{
	HASH_SEQ_STATUS status;
	DayCounts  *counts;
	long		n = hash_get_num_entries(pass->days);
	Datum	   *columns[6];
	Oid			argtypes[6] = {DATEARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
		INT8ARRAYOID, INT8ARRAYOID};
	Datum		args[6];
	int			i = 0;

	for (int c = 0; c < (int) lengthof(columns); c++)
		columns[c] = palloc(sizeof(Datum) * Max(n, 1));
	hash_seq_init(&status, pass->days);
	while ((counts = hash_seq_search(&status)) != NULL)
	{
		columns[0][i] = DateADTGetDatum(counts->day);
		columns[1][i] = Int64GetDatum(counts->active_users);
		columns[2][i] = Int64GetDatum(counts->clean_rows);
		columns[3][i] = Int64GetDatum(counts->week_ends);
		columns[4][i] = Int64GetDatum(counts->month_ends);
		columns[5][i] = Int64GetDatum(counts->sessions);
		i++;
	}
	args[0] = PointerGetDatum(construct_array(columns[0], n, DATEOID, 4, true, TYPALIGN_INT));
	for (int c = 1; c < (int) lengthof(columns); c++)
		args[c] = int8_array(columns[c], n);
	if (SPI_execute_with_args("CREATE TEMP TABLE _ritual_day_counts ON COMMIT DROP AS "
							  "SELECT * FROM unnest($1, $2, $3, $4, $5, $6) "
							  "    AS c(day, active_users, clean_rows, week_ends, "
							  "         month_ends, sessions)",
							  6, argtypes, args, NULL, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not write the counts per day");
}

/* The counts kept in memory, written by SQL: the tables are small. */
static void
write_counts(EventPass *pass)
{
	HASH_SEQ_STATUS status;
	PairCounts *counts;
	long		n = hash_get_num_entries(pass->day_types);
	long		m = hash_get_num_entries(pass->transitions);
	Datum	   *days = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *types = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *rows = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *users = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *previous = palloc(sizeof(Datum) * Max(m, 1));
	Datum	   *nexts = palloc(sizeof(Datum) * Max(m, 1));
	Datum	   *transitions = palloc(sizeof(Datum) * Max(m, 1));
	Oid			argtypes[4] = {DATEARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};
	Datum		args[4];
	int			i = 0;

	hash_seq_init(&status, pass->day_types);
	while ((counts = hash_seq_search(&status)) != NULL)
	{
		days[i] = DateADTGetDatum(counts->key.a);
		types[i] = pass->catalogue.types[counts->key.b];
		rows[i] = Int64GetDatum(counts->rows);
		users[i] = Int64GetDatum(counts->users);
		i++;
	}
	args[0] = PointerGetDatum(construct_array(days, n, DATEOID, 4, true, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(types, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = int8_array(rows, n);
	args[3] = int8_array(users, n);
	if (SPI_execute_with_args("INSERT INTO ritual.daily_event_types "
							  "SELECT * FROM unnest($1, $2, $3, $4)",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write ritual.daily_event_types");

	i = 0;
	hash_seq_init(&status, pass->transitions);
	while ((counts = hash_seq_search(&status)) != NULL)
	{
		previous[i] = pass->catalogue.types[counts->key.a];
		nexts[i] = pass->catalogue.types[counts->key.b];
		transitions[i] = Int64GetDatum(counts->rows);
		i++;
	}
	argtypes[0] = TEXTARRAYOID;
	argtypes[2] = INT8ARRAYOID;
	args[0] = PointerGetDatum(construct_array(previous, m, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(nexts, m, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = int8_array(transitions, m);
	if (SPI_execute_with_args("INSERT INTO ritual.event_transitions "
							  "SELECT * FROM unnest($1, $2, $3)",
							  3, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write ritual.event_transitions");
}

/*
 * build_event_tables(reference timestamp, session_gap interval,
 *					  numbered_as_read boolean, OUT events, OUT clean_events,
 *					  OUT sessions)
 *		Fill enriched_events, user_days, user_weeks, sessions,
 *		event_transitions and daily_event_types from the new rows in
 *		pg_temp._ritual_new_events (read_new_rows), every row new: their
 *		event_id is their scan_order when they were read in provenance
 *		order, else their rank in it; return the rows written to
 *		enriched_events, the clean ones, and the sessions.  Internal to
 *		build_reports; the tables are empty and the first four have no
 *		index.
 */
Datum
ritual_build_event_tables(PG_FUNCTION_ARGS)
{
	EventPass	pass;
	MemoryContext pass_context;
	MemoryContext row_context;
	MemoryContext old;
	char	   *query;
	TupleDesc	result_desc;
	Datum		result[3];
	bool		result_nulls[3] = {false, false, false};

	memset(&pass, 0, sizeof(pass));
	pass.reference = PG_GETARG_TIMESTAMP(0);
	pass.gap = ritual_session_gap_usecs(PG_GETARG_INTERVAL_P(1));
	query = psprintf("SELECT e.user_id, e.event_date, e.event_id, e.source_line,"
					 "       u.signup_date, u.cohort_week, u.user_id IS NOT NULL, k.segment_key,"
					 "       e.event_type, e.raw_event_type, e.source_file"
					 "  FROM (SELECT %s AS event_id, user_id, event_type, raw_event_type,"
					 "               event_date, source_file, source_line"
					 "          FROM pg_temp._ritual_new_events) e"
					 "  LEFT JOIN ritual.users u ON u.user_id = e.user_id"
					 "   AND u.signup_date IS NOT NULL"
					 "  LEFT JOIN ritual.user_segments k ON k.user_id = e.user_id"
					 " ORDER BY e.user_id, e.event_date, e.event_id",
					 PG_GETARG_BOOL(2) ? "scan_order" :
					 "pg_catalog.row_number() OVER (ORDER BY source_file, source_line)");

	pass_context = AllocSetContextCreate(CurrentMemoryContext, "ritual event pass",
										 ALLOCSET_DEFAULT_SIZES);
	row_context = AllocSetContextCreate(pass_context, "ritual event pass rows",
										ALLOCSET_DEFAULT_SIZES);
	pass.place.seen.context = AllocSetContextCreate(pass_context, "ritual types at one time",
											  ALLOCSET_SMALL_SIZES);
	pass.day_context = AllocSetContextCreate(pass_context, "ritual types of a day",
											 ALLOCSET_SMALL_SIZES);
	pass.pending.context = AllocSetContextCreate(pass_context, "ritual waiting row",
												 ALLOCSET_SMALL_SIZES);
	pass.last_clean_type = -1;
	pass.no_flag_names = PointerGetDatum(MemoryContextAlloc(pass_context, VARHDRSZ));
	SET_VARSIZE(DatumGetPointer(pass.no_flag_names), VARHDRSZ);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalogue_load(&pass.catalogue, pass_context);
	funnels_load(&pass.funnels, &pass.catalogue, pass_context);

	old = MemoryContextSwitchTo(pass_context);
	pass.days = day_counts_create(pass_context);
	pass.day_types = pair_counts_create("ritual events per day and type", pass_context);
	pass.transitions = pair_counts_create("ritual transitions", pass_context);
	pass.flagged = flag_counts_create(pass_context);
	pass.activity = activity_counts_create(pass_context);
	pass.segments = segment_counts_create(pass_context);
	pass.active_size = 64;
	pass.active_days = palloc(sizeof(ActiveDay) * pass.active_size);
	pass.progress = palloc0(sizeof(FunnelProgress) * Max(pass.funnels.count, 1));
	pass.cells = funnel_cells_create(&pass.funnels, pass_context);
	pass.paths = path_tally_create(pass_context);
	pass.user_path_set.context = AllocSetContextCreate(pass_context, "ritual paths of a user",
													   ALLOCSET_SMALL_SIZES);
	bulk_open(&pass.user_paths, table_named("ritual", "user_paths"), user_path_columns,
			  lengthof(user_path_columns));
	bulk_open(&pass.funnel_users, table_named("ritual", "funnel_users"), funnel_user_columns,
			  lengthof(funnel_user_columns));
	bulk_open(&pass.enriched, table_named("ritual", "enriched_events"), enriched_columns, EE_COLUMNS);
	bulk_open(&pass.user_days, table_named("ritual", "user_days"), user_day_columns,
			  lengthof(user_day_columns));
	bulk_open(&pass.user_weeks, table_named("ritual", "user_weeks"), user_week_columns,
			  lengthof(user_week_columns));
	bulk_open(&pass.sessions, table_named("ritual", "sessions"), session_columns,
			  lengthof(session_columns));
	MemoryContextSwitchTo(old);

	read_sorted_rows(query, "the new events", FETCH_ROWS, pass_row, flush_enriched, &pass,
					 row_context);
	close_user(&pass);

	bulk_close(&pass.enriched);
	bulk_close(&pass.user_days);
	bulk_close(&pass.user_weeks);
	bulk_close(&pass.sessions);
	bulk_close(&pass.funnel_users);
	bulk_close(&pass.user_paths);
	write_counts(&pass);
	write_day_counts(&pass);
	segment_counts_write(pass.segments);
	activity_counts_write(pass.activity, false);
	funnel_cells_write(pass.cells);
	{
		PathCounts *counts = path_counts_create(pass_context);

		path_tally_counts(pass.paths, counts);
		path_counts_write(counts, false);
	}
	flag_counts_finish(pass.flagged);

	SPI_finish();
	MemoryContextDelete(pass_context);

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "build_event_tables must return a row");
	result[0] = Int64GetDatum(pass.rows);
	result[1] = Int64GetDatum(pass.clean_rows);
	result[2] = Int64GetDatum(pass.sessions_written);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc),
													  result, result_nulls)));
}
