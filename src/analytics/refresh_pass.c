/*-------------------------------------------------------------------------
 *
 * refresh_pass.c
 *		  The refresh's pass over the events it computes again, the work:
 *		  the new rows, and the included ones that a new row, a new profile
 *		  or a moved reference time affects, which update_reports gathers
 *		  in pg_temp._ritual_work (the new rows too, unless they are
 *		  numbered as read and stay in _ritual_new_events), read in the
 *		  order of user, time and event_id, as the full build's pass
 *		  (event_pass.c) reads all rows.
 *
 * A user's rows before their first change, the first work row that is
 * clean or was, keep their place among the clean events.  From it on, the
 * user's included clean events, read through the index of enriched_events
 * by user and time, are merged with the work rows, and the clean ones are
 * walked as the full build walks them: previous and next type, session.
 * The walk continues from the anchor, the last included clean event before
 * the first change: a read of the index backward from the user's last
 * event finds it, the start of its session and the clean events of the
 * first change's day before it (new events usually come after every
 * included one, and then nothing is read forward).  An included event is
 * written again only when its previous or next type or its session
 * changes, and the anchor's session only when it changes.
 *
 * The new version of every work row and of each included clean event that
 * changes goes to enriched_events itself: in place of the old one when it
 * keeps its event_id and flags, and so every column an index holds (on a
 * page with room, which the table's fillfactor leaves, no index entry is
 * written), else as a new row, the old one deleted.  What the versions
 * change in the transitions goes to _ritual_transition_changes, and the
 * flagged events they add and take away to _ritual_flag_counts
 * (flag_counts.c).  A user's day whose clean events change is written to
 * user_days: inserted when it had none, deleted when it keeps none, else
 * updated in place, found through the table's primary key.  A walked
 * user's sessions from the first that changes on are written to sessions,
 * the stored ones from it on deleted first (found through its primary
 * key).  The rest goes to scratch tables update_reports made, and which it
 * goes on from:
 *	 _ritual_changes	  per user, day and type whose clean events change:
 *						  the difference and the count before;
 *	 _ritual_window_changes what DAU, WAU, MAU, the clean events and the
 *						  sessions of each day already reported change by
 *						  (a user's days from the first change's on are
 *						  kept until their last row);
 *	 _ritual_week_changes the weeks since signup users gain or lose, and
 *	 _ritual_last_weeks	  the last active weeks they leave and reach (users
 *						  with a new profile row aside: update_reports
 *						  counts each of their weeks again);
 *	 _ritual_segment_day_counts and _ritual_segment_week_counts what the
 *						  same users change in the breakdowns by profile
 *						  attribute, by segment key (segment_counts.c): the
 *						  steps of DAU, WAU and MAU on the days already
 *						  reported, the weeks and last weeks.
 * What the walked users' changed days move in the lifecycle and stickiness
 * counts goes to activity_counts itself (user_activity.c).  A walked user's
 * way through each funnel (funnels.c) is taken up where the first change
 * comes, from their row of funnel_users, unless it ended before; a way that
 * changes is written back, and the rows of funnel_steps of its cohorts,
 * before and after, are counted again at the end.  The paths of the
 * sessions deleted and written move path_counts, and a user's paths in
 * user_paths (session_paths.c).
 * Memory is a batch of rows, the row waiting for its next type, the counts
 * of one day by type, a user's days and paths, a count per day reported,
 * and the funnel ways whose window may be open at the work's first row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "ritual.h"
#include "analytics/analytics.h"
#include "analytics/bulk_insert.h"
#include "analytics/event_rows.h"
#include "analytics/flag_counts.h"
#include "analytics/funnels.h"
#include "analytics/segment_counts.h"
#include "analytics/session_paths.h"
#include "analytics/text_hash.h"
#include "analytics/user_activity.h"

PG_FUNCTION_INFO_V1(ritual_recompute_events);

/* the columns of the sorted read of the work, sort keys first */
enum
{
	W_USER_ID, W_EVENT_DATE, W_EVENT_ID, W_OLD_EVENT_ID, W_SOURCE_LINE, W_OLD_FLAGS,
	W_IN_NEW_KEY, W_SIGNUP_DATE, W_COHORT_WEEK, W_KNOWN_USER, W_SEGMENT_KEY, W_EVENT_TYPE,
	W_RAW_EVENT_TYPE, W_SOURCE_FILE, W_OLD_PREV, W_OLD_SESSION, W_NEW_PROFILE, W_OLD_CTID,
	W_COLUMNS
};

/* a version of an event: the columns of enriched_events, then the old version's */
enum
{
	F_OLD_EVENT_ID = EE_COLUMNS, F_OLD_FLAGS, F_OLD_PREV, F_COLUMNS
};

static const ColumnSpec change_columns[] = {
	{"user_id", INT8OID}, {"day", DATEOID}, {"event_type", TEXTOID}, {"delta", INT8OID},
	{"old_n", INT8OID}
};

static const ColumnSpec transition_columns[] = {
	{"prev_event_type", TEXTOID}, {"event_type", TEXTOID}, {"delta", INT8OID}
};

static const EventInputColumns input_columns = {
	.columns = W_COLUMNS, .event_id = W_EVENT_ID, .user_id = W_USER_ID, .event_type = W_EVENT_TYPE,
	.raw_event_type = W_RAW_EVENT_TYPE, .event_date = W_EVENT_DATE,
	.source_file = W_SOURCE_FILE, .source_line = W_SOURCE_LINE,
	.signup_date = W_SIGNUP_DATE, .cohort_week = W_COHORT_WEEK,
	.known_user = W_KNOWN_USER
};

/* the columns of enriched_events the walk reads from an included event */
enum
{
	R_EVENT_ID, R_EVENT_DATE, R_EVENT_TYPE, R_PREV, R_NEXT, R_SESSION, R_FLAGS, R_COLUMNS
};

static const int read_columns[R_COLUMNS] = {
	EE_EVENT_ID, EE_EVENT_DATE, EE_EVENT_TYPE, EE_PREV_EVENT_TYPE, EE_NEXT_EVENT_TYPE,
	EE_SESSION_NUMBER, EE_FLAGS
};

/* What a reported day's active users (that day, week, month), clean events and sessions change by. */
typedef struct WindowChange
{
	DateADT		day;			/* key */
	int64		dau;
	int64		wau;
	int64		mau;
	int64		events;
	int64		sessions;
} WindowChange;

static const ColumnSpec window_columns[] = {
	{"day", DATEOID}, {"dau", INT8OID}, {"wau", INT8OID}, {"mau", INT8OID}, {"events", INT8OID},
	{"sessions", INT8OID}
};

static const ColumnSpec week_columns[] = {
	{"user_id", INT8OID}, {"week", INT4OID}, {"cohort_week", DATEOID}, {"gained", BOOLOID}
};

static const ColumnSpec last_week_columns[] = {
	{"cohort_week", DATEOID}, {"week", INT4OID}, {"users", INT8OID}
};

/* An included clean event as the index read finds it. */
typedef struct IncludedEvent
{
	ItemPointerData tid;
	int64		event_id;
	Timestamp	time;
	int			type;			/* catalogue ids; -1 for none */
	int			prev;
	int			next;
	int64		session;
} IncludedEvent;

/*
 * The clean row of the walk waiting for its user's next clean type: a work
 * row, or an included event (its stored row, to compare and write again).
 */
typedef struct WaitingRow
{
	bool		waiting;
	bool		included;
	IncludedEvent old;			/* when included */
	ItemPointerData old_tid;	/* the old version's, if any and not deleted */
	int			prev;			/* its previous type now */
	Datum		values[F_COLUMNS];
	bool		isnull[F_COLUMNS];
	Size		bytes;
	MemoryContext context;		/* its copied values */
} WaitingRow;

typedef struct RefreshPass
{
	Timestamp	reference;
	INT128		gap;
	int64		base;			/* included events above it are in the work */
	Catalogue	catalogue;
	Datum		no_flag_names;	/* '' */
	BulkTable	enriched;
	HTAB	   *transitions;	/* (previous type id, type id): rows */
	FlagCounts *flagged;
	BulkTable	transition_changes;
	BulkTable	user_days;
	IndexScanDesc day_scan;		/* through its primary key (user_id, day) */
	TupleTableSlot *day_slot;
	BulkTable	changes;
	BulkTable	sessions;
	IndexScanDesc session_scan; /* through its primary key (user_id, session_number) */
	TupleTableSlot *session_slot;
	int64		session_changes;	/* sessions written less those deleted */
	BulkTable	windows;
	BulkTable	weeks;
	BulkTable	last_weeks;
	SegmentCounts *segments;	/* the breakdowns (segment_counts.c) */

	/* enriched_events, read through its index by user, time and event_id */
	Relation	events;
	Relation	index;
	IndexScanDesc scan;
	MemoryContext scan_context; /* what the scan allocates as it goes */
	TupleTableSlot *slot;
	TupleTableSlot *anchor_slot;	/* the anchor's row, while the read goes on */
	int		   *attnums;
	int64		reads;

	/* the current user and time, and the in-key work rows' types seen at it */
	EventPlace	place;

	/*
	 * With the new rows apart (all after every included one), the included
	 * events of a new row's key are not in the work: a second read of the
	 * index by user and time, kept in step with the new rows of a user,
	 * finds those at the new rows' times.
	 */
	bool		new_rows_apart;
	IndexScanDesc key_scan;
	TupleTableSlot *key_slot;
	bool		key_started;	/* on key_user, from the first new row's time */
	int64		key_user;
	bool		key_has_row;	/* key_slot holds the next event, at key_time */
	Timestamp	key_time;

	/* the walk, from the user's first change on */
	bool		walking;
	Timestamp	first_time;		/* the first change */
	int64		first_id;
	bool		after_change;	/* included events come after the first change */
	bool		old_after_change;	/* and events that were clean, the work's too */
	bool		has_included;	/* the next included event, in 'included' */
	IncludedEvent included;
	int			last_clean_type;
	SessionState session;
	int64		first_session;	/* the first session written again */
	bool		sessions_cleared;	/* the stored ones from it on are gone */

	/*
	 * The anchor's session as it was: its rows and end, as far as the walk
	 * has seen them.  When the walk closes it as it was, it is not written
	 * again (new events usually begin a session of their own).
	 */
	bool		anchored;
	int64		anchor_session;
	int64		old_session_rows;
	Timestamp	old_session_end;

	/*
	 * The user's days with clean events from the first change's on, before
	 * and after (in user_context), and their last such day before it: what
	 * WAU and MAU of the days already reported (first_reported to
	 * last_reported) move by, in window_changes by day.
	 */
	MemoryContext user_context;
	ActiveDay  *active_days;
	int			active_count;
	int			active_size;
	bool		has_day_before;
	DateADT		day_before;
	DateADT		first_reported;
	DateADT		last_reported;
	HTAB	   *window_changes;
	HTAB	   *activity;		/* lifecycle and stickiness (user_activity.c) */

	/*
	 * Session paths (session_paths.c): the paths of the walked user's
	 * sessions deleted and written (distinct), the path of their anchor's
	 * session from the rows read back (its path if it stays), and their
	 * stored paths (user_paths, read through its primary key when needed).
	 */
	PathCounts *paths;
	BulkTable	user_paths;
	IndexScanDesc user_path_scan;
	TupleTableSlot *user_path_slot;
	UserPaths	old_paths;
	UserPaths	new_paths;
	UserPaths	stored_paths;
	Datum		anchor_path;	/* 0 when unknown */

	/*
	 * The funnels (funnels.c): a walked user's stored row of funnel_users
	 * per funnel, read through its primary key, and the funnels the walk
	 * follows them through again from the first change (those whose way
	 * did not end before it), from what they had reached by then.
	 */
	FunnelSet	funnels;
	BulkTable	funnel_users;
	IndexScanDesc funnel_scan;	/* through its primary key, by user */
	IndexScanDesc entry_scan;	/* through its index by funnel and entry */
	Relation	entry_index;
	TupleTableSlot *funnel_slot;
	HTAB	   *open_ways;		/* OpenWay: the rows whose window may be open */
	HTAB	   *changed_ways;	/* OpenWay: the rows written again, as now */
	FunnelCells *cells;			/* the cohorts whose funnel_steps change */
	bool	   *has_stored;		/* per funnel */
	FunnelProgress *stored;
	ItemPointerData *stored_tid;
	bool	   *following;
	FunnelProgress *progress;
	bool	   *seen_before;	/* per type: a clean event before the first change has it */

	/*
	 * The user's signup and cohort, for their weeks since signup; a user
	 * with a new profile row has every week counted again by update_reports.
	 */
	bool		has_signup;
	DateADT		signup;
	DateADT		cohort_week;
	bool		new_profile;
	int32		segment_key;	/* their combination of segments (0: none) */

	/* the day of the walk being counted: clean events by type, before and after */
	bool		has_day;
	DateADT		day;
	int64	   *old_n;
	int64	   *new_n;
	int		   *day_types;
	int			day_type_count;

	WaitingRow	waiting;
	int64		recomputed;
} RefreshPass;

/* ----------------------------------------------------------------
 *		Writing
 * ----------------------------------------------------------------
 */

/* What an event's version, clean, adds to the transitions (-1: takes away). */
static void
count_transition(RefreshPass *pass, Datum type, Datum prev, bool null_prev, int delta)
{
	int			type_id;
	int			prev_id;

	if (null_prev)
		return;
	type_id = catalogue_id(&pass->catalogue, DatumGetTextPP(type));
	prev_id = catalogue_id(&pass->catalogue, DatumGetTextPP(prev));
	if (type_id < 0 || prev_id < 0)
		elog(ERROR, "a clean event of user %lld has a type not in ritual.event_types",
			 (long long) pass->place.user_id);
	pair_counts(pass->transitions, prev_id, type_id)->rows += delta;
}

/*
 * Write an event's new version, in 'values', in place of its old one (at
 * 'old_tid', unless invalid) when it keeps its event_id and flags, else as
 * a new row; and count what the versions change.
 */
static void
write_event(RefreshPass *pass, Datum *values, bool *isnull, Size bytes, ItemPointer old_tid)
{
	bool		has_old = !isnull[F_OLD_EVENT_ID];
	int32		flags = DatumGetInt32(values[EE_FLAGS]);
	int32		old_flags = has_old ? DatumGetInt32(values[F_OLD_FLAGS]) : 0;
	const text *file = isnull[EE_SOURCE_FILE] ? NULL : DatumGetTextPP(values[EE_SOURCE_FILE]);
	const text *type = isnull[EE_EVENT_TYPE] ? NULL : DatumGetTextPP(values[EE_EVENT_TYPE]);
	DateADT		day = isnull[EE_EVENT_DAY] ? 0 : DatumGetDateADT(values[EE_EVENT_DAY]);
	TupleTableSlot *slot;

	if (has_old && isnull[F_OLD_FLAGS])
		elog(ERROR, "an included event of user %lld has no flags",
			 (long long) pass->place.user_id);
	if (flags == 0)
		count_transition(pass, values[EE_EVENT_TYPE], values[EE_PREV_EVENT_TYPE],
						 isnull[EE_PREV_EVENT_TYPE], 1);
	else
		flag_counts_add(pass->flagged, flags, file, !isnull[EE_EVENT_DAY], day, type, 1);
	if (has_old && old_flags == 0)
		count_transition(pass, values[EE_EVENT_TYPE], values[F_OLD_PREV], isnull[F_OLD_PREV],
						 -1);
	else if (has_old)
		flag_counts_add(pass->flagged, old_flags, file, !isnull[EE_EVENT_DAY], day, type, -1);

	slot = bulk_next_slot(&pass->enriched);
	for (int i = 0; i < EE_COLUMNS; i++)
		bulk_set(&pass->enriched, slot, i, values[i], isnull[i]);
	if (has_old)
		pass->recomputed++;
	if (has_old && ItemPointerIsValid(old_tid) && flags == old_flags &&
		DatumGetInt64(values[EE_EVENT_ID]) == DatumGetInt64(values[F_OLD_EVENT_ID]))
		bulk_update(&pass->enriched, old_tid, slot);
	else
	{
		if (has_old && ItemPointerIsValid(old_tid))
			bulk_delete(&pass->enriched, old_tid);
		bulk_store(&pass->enriched, slot, bytes, true);
	}
}

static Datum
type_datum(RefreshPass *pass, int type)
{
	return type >= 0 ? pass->catalogue.types[type] : (Datum) 0;
}

/*
 * The waiting row gets its next type and is written: always a work row,
 * an included event only when its previous or next type or its session
 * changed.
 */
static void
emit_waiting(RefreshPass *pass, int next_type)
{
	WaitingRow *waiting = &pass->waiting;

	if (!waiting->waiting)
		return;
	waiting->values[EE_NEXT_EVENT_TYPE] = type_datum(pass, next_type);
	waiting->isnull[EE_NEXT_EVENT_TYPE] = next_type < 0;
	if (!waiting->included || waiting->old.next != next_type ||
		waiting->old.prev != waiting->prev ||
		waiting->old.session != DatumGetInt64(waiting->values[EE_SESSION_NUMBER]))
		write_event(pass, waiting->values, waiting->isnull, waiting->bytes,
					&waiting->old_tid);
	MemoryContextReset(waiting->context);
	waiting->waiting = false;
}

/*
 * A step of the walked user's DAU, WAU or MAU on a reported day, in their
 * segment key's counts (segment_counts.c).  DAU steps are the day's
 * change; WAU and MAU steps change the user's change from that day on (the
 * sum of the steps up to a day is it).  A user whose profile changed may
 * have changed segments: update_reports moves all of their days itself.
 */
static void
write_activity_step(RefreshPass *pass, DateADT day, int dau, int wau, int mau)
{
	if (!pass->new_profile)
		segment_day_add(pass->segments, pass->segment_key, day, dau, wau, mau);
}

/* The change of the reported day 'day' (NULL when it is not reported). */
static WindowChange *
window_change(RefreshPass *pass, DateADT day)
{
	bool		found;
	WindowChange *change;

	if (day < pass->first_reported || day > pass->last_reported)
		return NULL;
	change = hash_search(pass->window_changes, &day, HASH_ENTER, &found);
	if (!found)
		change->dau = change->wau = change->mau = change->events = change->sessions = 0;
	return change;
}

/*
 * The user's day, with 'before' clean events and 'after' now: its row of
 * user_days in, out or updated, and what the day's DAU and events move by.
 */
static void
write_user_day(RefreshPass *pass, int64 before, int64 after)
{
	WindowChange *change = window_change(pass, pass->day);
	TupleTableSlot *slot;

	if (change != NULL)
	{
		change->dau += (int) (after > 0) - (int) (before > 0);
		change->events += after - before;
		if ((after > 0) != (before > 0))
			write_activity_step(pass, pass->day, (int) (after > 0) - (int) (before > 0), 0, 0);
	}
	if (before > 0)
	{
		ScanKeyData keys[2];
		MemoryContext old;
		bool		found;

		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ,
					Int64GetDatum(pass->place.user_id));
		ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_DATE_EQ, DateADTGetDatum(pass->day));
		old = MemoryContextSwitchTo(pass->scan_context);
		index_rescan(pass->day_scan, keys, 2, NULL, 0);
		found = index_getnext_slot(pass->day_scan, ForwardScanDirection, pass->day_slot);
		MemoryContextSwitchTo(old);
		if (!found)
			elog(ERROR, "ritual.user_days has no row for user %lld on a day with clean events",
				 (long long) pass->place.user_id);
		if (after == 0)
		{
			bulk_delete(&pass->user_days, &pass->day_slot->tts_tid);
			return;
		}
	}
	slot = bulk_next_slot(&pass->user_days);
	bulk_set(&pass->user_days, slot, 0, Int64GetDatum(pass->place.user_id), false);
	bulk_set(&pass->user_days, slot, 1, DateADTGetDatum(pass->day), false);
	bulk_set(&pass->user_days, slot, 2, Int64GetDatum(after), false);
	if (before > 0)
		bulk_update(&pass->user_days, &pass->day_slot->tts_tid, slot);
	else
		bulk_store(&pass->user_days, slot, 24, false);
}

/* The day's changes, per type whose clean events changed. */
static void
close_day(RefreshPass *pass)
{
	int64		day_old = 0;
	int64		day_new = 0;
	ActiveDay  *active;

	if (!pass->has_day)
		return;
	for (int i = 0; i < pass->day_type_count; i++)
	{
		day_old += pass->old_n[pass->day_types[i]];
		day_new += pass->new_n[pass->day_types[i]];
	}
	if (pass->active_count == pass->active_size)
	{
		MemoryContext old = MemoryContextSwitchTo(pass->user_context);

		pass->active_size = Max(16, 2 * pass->active_size);
		pass->active_days = pass->active_days == NULL ?
			palloc(sizeof(ActiveDay) * pass->active_size) :
			repalloc(pass->active_days, sizeof(ActiveDay) * pass->active_size);
		MemoryContextSwitchTo(old);
	}
	active = &pass->active_days[pass->active_count++];
	active->day = pass->day;
	active->before = day_old > 0;
	active->after = day_new > 0;
	if (day_new != day_old)
		write_user_day(pass, day_old, day_new);
	for (int i = 0; i < pass->day_type_count; i++)
	{
		int			type = pass->day_types[i];

		if (pass->new_n[type] != pass->old_n[type])
		{
			TupleTableSlot *slot = bulk_next_slot(&pass->changes);

			bulk_set(&pass->changes, slot, 0, Int64GetDatum(pass->place.user_id), false);
			bulk_set(&pass->changes, slot, 1, DateADTGetDatum(pass->day), false);
			bulk_set(&pass->changes, slot, 2, pass->catalogue.types[type], false);
			bulk_set(&pass->changes, slot, 3,
					 Int64GetDatum(pass->new_n[type] - pass->old_n[type]), false);
			bulk_set(&pass->changes, slot, 4, Int64GetDatum(pass->old_n[type]), false);
			bulk_store(&pass->changes, slot, 56, false);
		}
		pass->old_n[type] = 0;
		pass->new_n[type] = 0;
	}
	pass->day_type_count = 0;
	pass->has_day = false;
}

/* Count a clean event of 'day' before (old) and after (new) the refresh. */
static void
count_day(RefreshPass *pass, DateADT day, int type, bool old, bool new)
{
	/* a clean event's type is in the catalogue, which a refresh finds unchanged */
	if (type < 0)
		elog(ERROR, "a clean event of user %lld has a type not in ritual.event_types",
			 (long long) pass->place.user_id);
	if (pass->has_day && day != pass->day)
		close_day(pass);
	pass->has_day = true;
	pass->day = day;
	if (pass->old_n[type] == 0 && pass->new_n[type] == 0)
		pass->day_types[pass->day_type_count++] = type;
	pass->old_n[type] += old;
	pass->new_n[type] += new;
}

/* A session written (+1) or deleted (-1), starting at 'start'. */
static void
count_session(RefreshPass *pass, Timestamp start, int delta)
{
	WindowChange *change = window_change(pass, ritual_timestamp_date(start));

	if (change != NULL)
		change->sessions += delta;
	pass->session_changes += delta;
}

/*
 * The user's stored sessions from 'first' on go, before the sessions that
 * replace them come (the primary key would refuse a number kept).  Deleted
 * and written again, not updated in place: the table's pages have no room
 * for a new version, which would go to another page with an entry in each
 * index, and the writes by batches cost less.
 */
static void
clear_sessions(RefreshPass *pass, int64 first)
{
	ScanKeyData keys[2];
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(pass->place.user_id));
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(first));
	index_rescan(pass->session_scan, keys, 2, NULL, 0);
	for (;;)
	{
		bool		found = index_getnext_slot(pass->session_scan, ForwardScanDirection,
											   pass->session_slot);
		bool		isnull;
		Datum		start;
		Datum		path;

		if (!found)
			break;
		if ((++pass->reads & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		start = slot_getattr(pass->session_slot, pass->sessions.attnums[2] + 1, &isnull);
		if (isnull)
			elog(ERROR, "a session of user %lld has no start",
				 (long long) pass->place.user_id);
		count_session(pass, DatumGetTimestamp(start), -1);
		path = slot_getattr(pass->session_slot, pass->sessions.attnums[6] + 1, &isnull);
		if (isnull)
			elog(ERROR, "a session of user %lld has no path", (long long) pass->place.user_id);
		path_counts_add(pass->paths, path, -1, 0);
		if (!user_paths_has(&pass->old_paths, path))
			user_paths_add(&pass->old_paths, path);
		bulk_delete(&pass->sessions, &pass->session_slot->tts_tid);
	}
	MemoryContextSwitchTo(old);
	pass->sessions_cleared = true;
}

static void
close_session(RefreshPass *pass)
{
	Datum		path;

	if (pass->session.rows == 0)
		return;
	if (pass->anchored && pass->session.number == pass->anchor_session &&
		pass->session.rows == pass->old_session_rows &&
		pass->session.end == pass->old_session_end)
	{
		pass->first_session = pass->anchor_session + 1;
		pass->session.rows = 0;
		return;
	}

	/*
	 * The first session written: stored ones from its number on are the
	 * anchor's when it is the anchor's, and others only when clean events
	 * were stored after the first change, which the index read saw (with
	 * new rows before included ones, it does not see the renumbered, which
	 * were deleted: then they are looked for).
	 */
	if (!pass->sessions_cleared)
	{
		if (!pass->new_rows_apart || pass->after_change ||
			(pass->anchored && pass->session.number == pass->anchor_session))
			clear_sessions(pass, pass->session.number);
		pass->sessions_cleared = true;
	}
	path = session_path(&pass->catalogue, &pass->session);
	session_row_store(&pass->sessions, pass->place.user_id, pass->session.number,
					  pass->session.start, pass->session.end, pass->session.rows, path);
	count_session(pass, pass->session.start, 1);
	path_counts_add(pass->paths, path, 1, 0);
	if (!user_paths_has(&pass->new_paths, path))
		user_paths_add(&pass->new_paths, path);
	pass->session.rows = 0;
}

/* A clean event of the walk from the first change on, for the funnels followed. */
static void
see_funnels(RefreshPass *pass, int type, Timestamp time, int64 event_id)
{
	for (int f = 0; f < pass->funnels.count; f++)
		if (pass->following[f])
			funnel_see(&pass->funnels.funnels[f], &pass->progress[f], type, time, event_id);
}

/*
 * A clean row of the walk, in 'values' (its old version at 'old_tid', if
 * it has one): its session and previous type; it waits for the next.
 */
static void
walk_clean_row(RefreshPass *pass, int type, Timestamp time, Datum *values, bool *isnull,
			   Size bytes, ItemPointer old_tid, const IncludedEvent *old, bool keep_prev)
{
	WaitingRow *waiting = &pass->waiting;
	MemoryContext context;
	bool		ends;

	ends = session_ends_before(&pass->session, time, pass->gap);
	if (ends)
		close_session(pass);
	session_add(&pass->session, time, ends, pass->place.user_id, type);
	emit_waiting(pass, type);
	/* the anchor comes before the first change: the funnels have it */
	if (!keep_prev)
		see_funnels(pass, type, time, DatumGetInt64(values[EE_EVENT_ID]));

	/* its values outlive the batch of work rows, or the read's buffer */
	context = MemoryContextSwitchTo(waiting->context);
	for (int i = 0; i < F_COLUMNS; i++)
	{
		bool		is_text = i < EE_COLUMNS ? enriched_columns[i].type == TEXTOID :
			i == F_OLD_PREV;

		waiting->isnull[i] = isnull[i];
		waiting->values[i] = is_text && !isnull[i] ? datumCopy(values[i], false, -1) : values[i];
	}
	MemoryContextSwitchTo(context);
	waiting->prev = keep_prev ? old->prev : pass->last_clean_type;
	waiting->values[EE_PREV_EVENT_TYPE] = type_datum(pass, waiting->prev);
	waiting->isnull[EE_PREV_EVENT_TYPE] = waiting->prev < 0;
	waiting->values[EE_SESSION_NUMBER] = Int64GetDatum(pass->session.number);
	waiting->isnull[EE_SESSION_NUMBER] = false;
	waiting->included = old != NULL;
	if (old != NULL)
		waiting->old = *old;
	ItemPointerCopy(old_tid, &waiting->old_tid);
	waiting->bytes = bytes;
	waiting->waiting = true;
	pass->last_clean_type = type;
}

/* ----------------------------------------------------------------
 *		Reading the included events
 * ----------------------------------------------------------------
 */

/*
 * A valid btree index of 'rel' whose first keys are the columns 'attnums'
 * (attribute indexes), ascending, with no predicate or expression; NULL
 * when it has none.
 */
static Relation
open_index_on(Relation rel, const int *attnums, int nkeys)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *cell;

	foreach(cell, indexes)
	{
		Relation	index = index_open(lfirst_oid(cell), AccessShareLock);
		Form_pg_index form = index->rd_index;
		bool		matches = index->rd_rel->relam == BTREE_AM_OID && form->indisvalid &&
			form->indnkeyatts >= nkeys && RelationGetIndexPredicate(index) == NIL &&
			RelationGetIndexExpressions(index) == NIL;

		for (int i = 0; matches && i < nkeys; i++)
			matches = form->indkey.values[i] == attnums[i] + 1 &&
				(index->rd_indoption[i] & INDOPTION_DESC) == 0;
		if (matches)
			return index;
		index_close(index, AccessShareLock);
	}
	return NULL;
}

/* The index of enriched_events on (user_id, event_date, event_id). */
static Relation
open_user_index(Relation events, const int *attnums)
{
	int			keys[3] = {attnums[EE_USER_ID], attnums[EE_EVENT_DATE], attnums[EE_EVENT_ID]};
	Relation	index = open_index_on(events, keys, 3);

	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ritual.enriched_events has no index on (user_id, event_date, event_id)"),
				 errhint("A refresh finds each user's events through it: CREATE INDEX ON ritual.enriched_events (user_id, event_date, event_id).")));
	return index;
}

/*
 * The primary key of 'table', a reporting table whose first 'key_columns'
 * columns, 'keys', are its key (user_days, sessions, funnel_users,
 * user_paths), with a read of it by its first 'scan_keys' columns begun into
 * '*scan' and '*slot'.
 */
static Relation
open_primary_key(BulkTable *table, const char *keys, int key_columns, int scan_keys,
				 IndexScanDesc *scan, TupleTableSlot **slot)
{
	Relation	index = open_index_on(table->rel, table->attnums, key_columns);
	const char *name = quote_qualified_identifier("ritual", RelationGetRelationName(table->rel));

	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s has no index on (%s)", name, keys),
				 errhint("A refresh finds each user's rows through its primary key: ALTER TABLE %s ADD PRIMARY KEY (%s).",
						 name, keys)));
	*scan = index_beginscan(table->rel, index, GetActiveSnapshot(), scan_keys, 0);
	*slot = table_slot_create(table->rel, NULL);
	return index;
}

/*
 * Start a read of the user's events: backward from their last (without
 * 'from_time'), or from 'time', backward (those at or before it) or
 * forward (at or after it).
 */
static void
read_user_events(RefreshPass *pass, ScanDirection direction, bool from_time, Timestamp time)
{
	ScanKeyData keys[2];
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

	/* the scan has its two keys: from the last, the time is at most infinity */
	if (!from_time)
		TIMESTAMP_NOEND(time);
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(pass->place.user_id));
	if (ScanDirectionIsBackward(direction))
		ScanKeyInit(&keys[1], 2, BTLessEqualStrategyNumber, F_TIMESTAMP_LE,
					TimestampGetDatum(time));
	else
		ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_TIMESTAMP_GE,
					TimestampGetDatum(time));
	index_rescan(pass->scan, keys, 2, NULL, 0);
	MemoryContextSwitchTo(old);
}

static int
stored_type(RefreshPass *pass, Datum value, bool isnull)
{
	int			type;

	if (isnull)
		return -1;
	type = catalogue_id(&pass->catalogue, DatumGetTextPP(value));
	if (type < 0)
		elog(ERROR, "a clean event of user %lld has a type not in ritual.event_types",
			 (long long) pass->place.user_id);
	return type;
}

/*
 * The next included clean event of the user the read finds, the work's
 * own rows aside (those above 'base'); false at the end.
 */
static bool
next_included(RefreshPass *pass, ScanDirection direction, IncludedEvent *event)
{
	TupleTableSlot *slot = pass->slot;

	for (;;)
	{
		Datum		values[R_COLUMNS];
		bool		isnull[R_COLUMNS];
		MemoryContext old = MemoryContextSwitchTo(pass->scan_context);
		bool		found = index_getnext_slot(pass->scan, direction, slot);

		MemoryContextSwitchTo(old);
		if (!found)
			return false;

		if ((++pass->reads & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < R_COLUMNS; i++)
			values[i] = slot_getattr(slot, pass->attnums[read_columns[i]] + 1, &isnull[i]);
		if (isnull[R_FLAGS] || DatumGetInt32(values[R_FLAGS]) != 0)
			continue;
		if (isnull[R_EVENT_ID] || isnull[R_EVENT_DATE] || isnull[R_SESSION])
			elog(ERROR, "a clean event of user %lld has no event_id, time or session",
				 (long long) pass->place.user_id);
		ItemPointerCopy(&slot->tts_tid, &event->tid);
		event->event_id = DatumGetInt64(values[R_EVENT_ID]);
		event->time = DatumGetTimestamp(values[R_EVENT_DATE]);
		if (event->event_id > pass->base)
			continue;
		event->type = stored_type(pass, values[R_EVENT_TYPE], isnull[R_EVENT_TYPE]);
		event->prev = stored_type(pass, values[R_PREV], isnull[R_PREV]);
		event->next = stored_type(pass, values[R_NEXT], isnull[R_NEXT]);
		event->session = DatumGetInt64(values[R_SESSION]);
		if (event->type < 0)
			elog(ERROR, "a clean event of user %lld has no type", (long long) pass->place.user_id);
		return true;
	}
}

/* Whether the included event comes before the user's first change. */
static bool
before_first_change(RefreshPass *pass, const IncludedEvent *event)
{
	return event->time < pass->first_time ||
		(event->time == pass->first_time && event->event_id < pass->first_id);
}

/* The next included clean event from the first change on. */
static bool
next_after_first_change(RefreshPass *pass, IncludedEvent *event)
{
	while (next_included(pass, ForwardScanDirection, event))
	{
		if (!before_first_change(pass, event))
			return true;
	}
	return false;
}

/* An included event read, as a version of it with itself as the old one. */
static void
included_values(RefreshPass *pass, TupleTableSlot *slot, Datum *values, bool *isnull,
				Size *bytes)
{
	slot_getallattrs(slot);
	*bytes = 96;
	for (int i = 0; i < EE_COLUMNS; i++)
	{
		values[i] = slot->tts_values[pass->attnums[i]];
		isnull[i] = slot->tts_isnull[pass->attnums[i]];
		if (!isnull[i] && enriched_columns[i].type == TEXTOID)
			*bytes += VARSIZE_ANY(DatumGetPointer(values[i]));
	}
	values[F_OLD_EVENT_ID] = values[EE_EVENT_ID];
	isnull[F_OLD_EVENT_ID] = false;
	values[F_OLD_FLAGS] = Int32GetDatum(0);
	isnull[F_OLD_FLAGS] = false;
	values[F_OLD_PREV] = values[EE_PREV_EVENT_TYPE];
	isnull[F_OLD_PREV] = isnull[EE_PREV_EVENT_TYPE];
}

/* An event of the walk that was clean, in the session 'session'. */
static void
saw_old_event(RefreshPass *pass, int64 session, Timestamp time)
{
	pass->old_after_change = true;
	if (pass->anchored && session == pass->anchor_session)
	{
		pass->old_session_rows++;
		pass->old_session_end = time;
	}
}

/* The included event the forward read is on joins the walk. */
static void
walk_included(RefreshPass *pass)
{
	IncludedEvent *event = &pass->included;
	Datum		values[F_COLUMNS];
	bool		isnull[F_COLUMNS];
	Size		bytes;

	included_values(pass, pass->slot, values, isnull, &bytes);
	saw_old_event(pass, event->session, event->time);
	count_day(pass, ritual_timestamp_date(event->time), event->type, true, true);
	walk_clean_row(pass, event->type, event->time, values, isnull, bytes, &event->tid, event,
				   false);
	pass->has_included = next_after_first_change(pass, &pass->included);
}

/*
 * A stored row of funnel_users, by user and funnel: those whose window may
 * still be open at the first changes (read once, at the start), and those
 * the pass changes (as they are now).
 */
typedef struct WayKey
{
	int64		user_id;
	int32		funnel;
	int32		pad;			/* zero: the key is hashed as bytes */
} WayKey;

typedef struct OpenWay
{
	WayKey		key;
	FunnelProgress progress;
	ItemPointerData tid;
} OpenWay;

static HTAB *
ways_create(const char *name, MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(WayKey);
	ctl.entrysize = sizeof(OpenWay);
	ctl.hcxt = context;
	return hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static OpenWay *
way_entry(HTAB *ways, int64 user_id, int funnel, HASHACTION action)
{
	WayKey		key;

	memset(&key, 0, sizeof(key));
	key.user_id = user_id;
	key.funnel = funnel;
	return hash_search(ways, &key, action, NULL);
}

/*
 * Start a read of funnel_users by funnel and entry: the rows of 'funnel'
 * entered from 'from' (unless from_start) and before 'to' (unless to_end).
 */
static void
read_entries(RefreshPass *pass, int funnel, bool from_start, Timestamp from, bool to_end,
			 Timestamp to)
{
	ScanKeyData keys[3];

	/* (a scan takes as many keys as it began with: the open ends are infinities) */
	if (from_start)
		TIMESTAMP_NOBEGIN(from);
	if (to_end)
		TIMESTAMP_NOEND(to);
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   pass->entry_index->rd_indcollation[0], F_TEXTEQ,
						   pass->funnels.funnels[funnel].name);
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_TIMESTAMP_GE,
				TimestampGetDatum(from));
	ScanKeyInit(&keys[2], 2, to_end ? BTLessEqualStrategyNumber : BTLessStrategyNumber,
				to_end ? F_TIMESTAMP_LE : F_TIMESTAMP_LT, TimestampGetDatum(to));
	index_rescan(pass->entry_scan, keys, 3, NULL, 0);
}

/* The next row of that read, with its user and way; false at the end. */
static bool
next_entry(RefreshPass *pass, int64 *user_id, FunnelProgress *progress)
{
	bool		isnull;
	Datum		user;

	if (!index_getnext_slot(pass->entry_scan, ForwardScanDirection, pass->funnel_slot))
		return false;
	if ((++pass->reads & 1023) == 0)
		CHECK_FOR_INTERRUPTS();
	user = slot_getattr(pass->funnel_slot, pass->funnel_users.attnums[0] + 1, &isnull);
	if (isnull)
		elog(ERROR, "ritual.funnel_users has a row without a user");
	*user_id = DatumGetInt64(user);
	(void) funnel_row_read(&pass->funnels, pass->funnel_slot, pass->funnel_users.attnums,
						   progress);
	return true;
}

/*
 * The ways whose window may be open at a first change, all at once: a
 * first change comes no earlier than 'first_work', so a way entered before
 * it by more than its window (a month counted as 31 days) had closed, and
 * needs no read of its own.
 */
static void
read_open_ways(RefreshPass *pass, Timestamp first_work)
{
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

	for (int f = 0; f < pass->funnels.count; f++)
	{
		Interval   *window = DatumGetIntervalP(pass->funnels.funnels[f].window);
		int64		longest = (int64) window->month * 31 * USECS_PER_DAY +
			(int64) window->day * USECS_PER_DAY + window->time;
		Timestamp	from = 0;
		bool		from_start = TIMESTAMP_NOT_FINITE(first_work) ||
			pg_sub_s64_overflow(first_work, longest, &from) || from < MIN_TIMESTAMP;
		int64		user_id;
		FunnelProgress progress;

		read_entries(pass, f, from_start, from, true, 0);
		while (next_entry(pass, &user_id, &progress))
		{
			OpenWay    *way = way_entry(pass->open_ways, user_id, f, HASH_ENTER);

			way->progress = progress;
			ItemPointerCopy(&pass->funnel_slot->tts_tid, &way->tid);
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * The walked user's ways through the funnels, once the read back to the
 * anchor is done: their stored rows, and from each, what they had reached
 * before the first change (steps by events before it, in the order of time
 * and event_id; an event above 'base' is in the work, so after it).  A way
 * that was whole, or whose window closed, before the first change stays as
 * it is; the others the walk follows again from there, with the clean
 * events from the first change on.  A way not among the open ones was
 * closed if the user has a clean event of step 1 before the first change
 * (they entered, long enough ago); else their rows are read.
 */
static void
start_funnels(RefreshPass *pass)
{
	bool		read = false;

	for (int f = 0; f < pass->funnels.count; f++)
	{
		OpenWay    *way = way_entry(pass->open_ways, pass->place.user_id, f, HASH_FIND);
		int			entry_type = pass->funnels.funnels[f].step_types[0];

		pass->has_stored[f] = way != NULL;
		pass->following[f] = true;
		if (way != NULL)
		{
			pass->stored[f] = way->progress;
			ItemPointerCopy(&way->tid, &pass->stored_tid[f]);
		}
		else if (entry_type >= 0 && pass->seen_before[entry_type])
			pass->following[f] = false;
		else if (!read)
		{
			ScanKeyData key;
			MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

			read = true;
			ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ,
						Int64GetDatum(pass->place.user_id));
			index_rescan(pass->funnel_scan, &key, 1, NULL, 0);
			while (index_getnext_slot(pass->funnel_scan, ForwardScanDirection,
									  pass->funnel_slot))
			{
				FunnelProgress stored;
				int			g = funnel_row_read(&pass->funnels, pass->funnel_slot,
												pass->funnel_users.attnums, &stored);

				/* (those found open, and a funnel no longer in the catalogue: skipped) */
				if (g < 0 || !pass->following[g] || pass->has_stored[g] ||
					way_entry(pass->open_ways, pass->place.user_id, g, HASH_FIND) != NULL)
					continue;
				pass->has_stored[g] = true;
				pass->stored[g] = stored;
				ItemPointerCopy(&pass->funnel_slot->tts_tid, &pass->stored_tid[g]);
			}
			MemoryContextSwitchTo(old);
		}
	}

	for (int f = 0; f < pass->funnels.count; f++)
	{
		FunnelProgress *stored = &pass->stored[f];
		FunnelProgress *progress = &pass->progress[f];

		progress->reached = 0;
		if (!pass->following[f] || !pass->has_stored[f])
			continue;
		*progress = *stored;
		progress->reached = 0;
		while (progress->reached < stored->reached &&
			   stored->event_ids[progress->reached] <= pass->base &&
			   (stored->times[progress->reached] < pass->first_time ||
				(stored->times[progress->reached] == pass->first_time &&
				 stored->event_ids[progress->reached] < pass->first_id)))
			progress->reached++;
		pass->following[f] = progress->reached < stored->reached ||
			(stored->reached < pass->funnels.funnels[f].steps &&
			 stored->deadline >= pass->first_time);
	}
}

/*
 * The ways followed again, into funnel_users where they differ from the
 * stored ones; their cohorts, before and after, are counted again at the
 * end (count_changed_cohorts).
 */
static void
close_funnels(RefreshPass *pass)
{
	for (int f = 0; f < pass->funnels.count; f++)
	{
		FunnelProgress *progress = &pass->progress[f];
		TupleTableSlot *slot;

		if (!pass->following[f] ||
			(pass->has_stored[f] && funnel_progress_equal(progress, &pass->stored[f])) ||
			(!pass->has_stored[f] && progress->reached == 0))
			continue;
		if (pass->has_stored[f])
			funnel_cells_cohort(pass->cells, f, funnel_cohort(pass->stored[f].times[0]));
		way_entry(pass->changed_ways, pass->place.user_id, f, HASH_ENTER)->progress = *progress;
		if (progress->reached == 0)
		{
			bulk_delete(&pass->funnel_users, &pass->stored_tid[f]);
			continue;
		}
		funnel_cells_cohort(pass->cells, f, funnel_cohort(progress->times[0]));
		slot = bulk_next_slot(&pass->funnel_users);
		funnel_row_set(&pass->funnel_users, slot, &pass->funnels.funnels[f], pass->place.user_id,
					   progress);
		if (pass->has_stored[f])
			bulk_update(&pass->funnel_users, &pass->stored_tid[f], slot);
		else
			bulk_store(&pass->funnel_users, slot, 64 + 16 * progress->reached, true);
	}
}

/*
 * The rows of funnel_steps of the cohorts whose ways changed, counted
 * again: the stored rows of each cohort (as they were: the pass's own
 * writes are not visible to its read) but those of the ways changed, and
 * the changed ways as they are now.
 */
static void
count_changed_cohorts(RefreshPass *pass)
{
	HASH_SEQ_STATUS status;
	OpenWay    *way;
	int			count = funnel_cells_count(pass->cells);
	int		   *funnels = palloc(sizeof(int) * Max(count, 1));
	DateADT    *weeks = palloc(sizeof(DateADT) * Max(count, 1));
	MemoryContext old;

	funnel_cells_list(pass->cells, funnels, weeks);
	old = MemoryContextSwitchTo(pass->scan_context);
	for (int c = 0; c < count; c++)
	{
		Timestamp	from = (Timestamp) weeks[c] * USECS_PER_DAY;
		int64		user_id;
		FunnelProgress progress;

		read_entries(pass, funnels[c], false, from, false, from + 7 * USECS_PER_DAY);
		while (next_entry(pass, &user_id, &progress))
			if (way_entry(pass->changed_ways, user_id, funnels[c], HASH_FIND) == NULL)
				funnel_cells_add(pass->cells, funnels[c], &progress);
	}
	hash_seq_init(&status, pass->changed_ways);
	while ((way = hash_seq_search(&status)) != NULL)
		if (way->progress.reached > 0)
			funnel_cells_add(pass->cells, way->key.funnel, &way->progress);
	MemoryContextSwitchTo(old);
	funnel_cells_write(pass->cells);
}

/*
 * The user's first change, at 'time' and 'event_id': find the anchor, the
 * last included clean event before it, and go back over its session (for
 * the session's start and rows) and over the first change's day (for the
 * day's counts before, and the user's last active day before it); then,
 * when included events come after the first change, read them forward.
 */
static void
start_walk(RefreshPass *pass, Timestamp time, int64 event_id)
{
	DateADT		first_day = ritual_timestamp_date(time);
	IncludedEvent event;
	IncludedEvent anchor = {0};
	bool		anchored = false;
	Timestamp	session_start = 0;
	int32		session_rows = 0;
	int			session_types[PATH_STEPS];	/* its first rows', as read back */

	pass->walking = true;
	pass->first_time = time;
	pass->first_id = event_id;
	pass->last_clean_type = -1;
	pass->session.number = 0;
	pass->session.rows = 0;
	pass->anchored = false;
	pass->has_day_before = false;
	pass->after_change = false;
	pass->old_after_change = false;
	pass->sessions_cleared = false;
	pass->anchor_path = (Datum) 0;
	if (pass->funnels.count > 0)
		memset(pass->seen_before, 0, sizeof(bool) * Max(pass->catalogue.count, 1));

	/*
	 * From the user's last event back: new events usually come after every
	 * included one, and then no read forward is needed.  When the last
	 * comes after the first change, read again from the first change.
	 */
	read_user_events(pass, BackwardScanDirection, false, 0);
	while (next_included(pass, BackwardScanDirection, &event))
	{
		DateADT		day = ritual_timestamp_date(event.time);

		if (!before_first_change(pass, &event))
		{
			if (!pass->after_change)
			{
				pass->after_change = true;
				read_user_events(pass, BackwardScanDirection, true, time);
			}
			continue;
		}
		if (day < first_day && !pass->has_day_before)
		{
			pass->has_day_before = true;
			pass->day_before = day;
		}
		if (pass->funnels.count > 0)
			pass->seen_before[event.type] = true;
		if (!anchored)
		{
			anchor = event;
			anchored = true;
			ExecCopySlot(pass->anchor_slot, pass->slot);
		}
		else if (event.session != anchor.session && day < first_day)
			break;
		if (event.session == anchor.session)
		{
			session_start = event.time;
			session_rows++;
			memmove(&session_types[1], &session_types[0], sizeof(int) * (PATH_STEPS - 1));
			session_types[0] = event.type;
		}
		if (day == first_day)
			count_day(pass, day, event.type, true, true);
	}

	if (anchored)
	{
		Datum		values[F_COLUMNS];
		bool		isnull[F_COLUMNS];
		Size		bytes;

		/* the anchor waits for its next type, in its session */
		included_values(pass, pass->anchor_slot, values, isnull, &bytes);
		pass->session.number = anchor.session;
		pass->session.end = anchor.time;
		walk_clean_row(pass, anchor.type, anchor.time, values, isnull, bytes, &anchor.tid,
					   &anchor, true);
		pass->session.start = session_start;
		pass->session.rows = session_rows;
		memcpy(pass->session.types, session_types, sizeof(session_types));
		/*
		 * Its path as it was, if it stays: it then has no row after the
		 * change, so its rows are the ones read back.
		 */
		pass->anchor_path = session_path(&pass->catalogue, &pass->session);
		ExecClearTuple(pass->anchor_slot);
		pass->anchored = true;
		pass->anchor_session = anchor.session;
		pass->old_session_rows = session_rows;
		pass->old_session_end = anchor.time;
	}
	pass->first_session = anchored ? anchor.session : 1;

	start_funnels(pass);

	pass->has_included = false;
	if (pass->after_change)
	{
		read_user_events(pass, ForwardScanDirection, true, time);
		pass->has_included = next_after_first_change(pass, &pass->included);
	}
}

/*
 * What the user's WAU and MAU of each reported day change by: a user is in
 * a day's WAU (MAU) when active on one of the 7 (30) days up to it, so only
 * the 30 days from a day whose activity changed can change.  Before the
 * first change's day the user's days are as they were; the last of them
 * is all that a window from the first change's day on can reach.
 */
static void
count_window_changes(RefreshPass *pass)
{
	ActiveDay  *days = pass->active_days;
	int			next = 0;		/* the first day not yet passed */
	bool		has_before = pass->has_day_before;
	bool		has_after = pass->has_day_before;
	int64		last_before = pass->day_before;
	int64		last_after = pass->day_before;
	int64		done = PG_INT64_MIN;	/* the days counted, up to */
	int			week_change = 0;	/* the user's changes on the day counted last */
	int			month_change = 0;

	for (int c = 0; c < pass->active_count; c++)
	{
		int64		from;
		int64		to;

		if (days[c].before == days[c].after)
			continue;
		from = Max(Max((int64) days[c].day, (int64) pass->first_reported), done + 1);
		to = Min((int64) days[c].day + 29, (int64) pass->last_reported);
		/* the days skipped since then are as they were */
		if (from > done + 1 && (week_change != 0 || month_change != 0))
		{
			write_activity_step(pass, (DateADT) (done + 1), 0, -week_change, -month_change);
			week_change = month_change = 0;
		}
		for (int64 day = from; day <= to; day++)
		{
			bool		week_before,
						week_after,
						month_before,
						month_after;

			for (; next < pass->active_count && days[next].day <= day; next++)
			{
				if (days[next].before)
					has_before = true, last_before = days[next].day;
				if (days[next].after)
					has_after = true, last_after = days[next].day;
			}
			week_before = has_before && last_before >= day - 6;
			week_after = has_after && last_after >= day - 6;
			month_before = has_before && last_before >= day - 29;
			month_after = has_after && last_after >= day - 29;
			if (week_before != week_after || month_before != month_after)
			{
				WindowChange *change = window_change(pass, (DateADT) day);

				change->wau += (int) week_after - (int) week_before;
				change->mau += (int) month_after - (int) month_before;
			}
			if ((int) week_after - (int) week_before != week_change ||
				(int) month_after - (int) month_before != month_change)
			{
				write_activity_step(pass, (DateADT) day,
									0, (int) week_after - (int) week_before - week_change,
									(int) month_after - (int) month_before - month_change);
				week_change = (int) week_after - (int) week_before;
				month_change = (int) month_after - (int) month_before;
			}
		}
		done = Max(done, to);
	}
	if (week_change != 0 || month_change != 0)
		write_activity_step(pass, (DateADT) (done + 1), 0, -week_change, -month_change);
}

/* A week since signup of the user gained or lost, into _ritual_week_changes. */
static void
write_week_change(RefreshPass *pass, int32 week, bool gained)
{
	TupleTableSlot *slot = bulk_next_slot(&pass->weeks);

	bulk_set(&pass->weeks, slot, 0, Int64GetDatum(pass->place.user_id), false);
	bulk_set(&pass->weeks, slot, 1, Int32GetDatum(week), false);
	bulk_set(&pass->weeks, slot, 2, DateADTGetDatum(pass->cohort_week), false);
	bulk_set(&pass->weeks, slot, 3, BoolGetDatum(gained), false);
	bulk_store(&pass->weeks, slot, 24, false);
	segment_week_add(pass->segments, pass->segment_key, pass->cohort_week, week, gained ? 1 : -1, 0);
}

/* The user leaves (-1) or reaches (+1) their last active week, into _ritual_last_weeks. */
static void
write_last_week(RefreshPass *pass, int32 week, int users)
{
	TupleTableSlot *slot = bulk_next_slot(&pass->last_weeks);

	bulk_set(&pass->last_weeks, slot, 0, DateADTGetDatum(pass->cohort_week), false);
	bulk_set(&pass->last_weeks, slot, 1, Int32GetDatum(week), false);
	bulk_set(&pass->last_weeks, slot, 2, Int64GetDatum(users), false);
	bulk_store(&pass->last_weeks, slot, 24, false);
	segment_week_add(pass->segments, pass->segment_key, pass->cohort_week, week, 0, users);
}

/*
 * The user's weeks since signup with clean events (user_weeks) that a
 * changed day gains or loses, and their last such week before and after,
 * which retention's cells count.  A week reaching back before the first
 * change's day has, of the days before it, the last active one if any.
 */
static void
count_week_changes(RefreshPass *pass)
{
	ActiveDay  *days = pass->active_days;
	bool		changed = false;
	bool		has_before = pass->has_day_before;
	bool		has_after = pass->has_day_before;
	int64		last_before = pass->day_before;
	int64		last_after = pass->day_before;

	if (!pass->has_signup || pass->new_profile)
		return;
	for (int c = 0; c < pass->active_count;)
	{
		int32		week = ritual_week_number(days[c].day, pass->signup, WEEK_SUNDAY);
		bool		week_changed = false;
		bool		week_before = pass->has_day_before &&
			ritual_week_number(pass->day_before, pass->signup, WEEK_SUNDAY) == week;
		bool		week_after = week_before;

		for (; c < pass->active_count &&
			 ritual_week_number(days[c].day, pass->signup, WEEK_SUNDAY) == week; c++)
		{
			week_changed |= days[c].before != days[c].after;
			week_before |= days[c].before;
			week_after |= days[c].after;
			if (days[c].before)
				has_before = true, last_before = days[c].day;
			if (days[c].after)
				has_after = true, last_after = days[c].day;
		}
		changed |= week_changed;
		if (week_before != week_after)
			write_week_change(pass, week, week_after);
	}
	if (!changed)
		return;
	if (has_before)
		write_last_week(pass, ritual_week_number(last_before, pass->signup, WEEK_SUNDAY), -1);
	if (has_after)
		write_last_week(pass, ritual_week_number(last_after, pass->signup, WEEK_SUNDAY), 1);
}

/*
 * What the user's changed days move in the lifecycle and stickiness
 * counts.  Those need the user's days from activity_days_from() of the
 * first change's on: the walk has them from the first change's day, the
 * earlier ones (a week or a month at most, as they were) come from a read
 * of user_days backward, which ends at the first day before them, if any.
 */
static void
count_activity_changes(RefreshPass *pass)
{
	ActiveDay  *days = pass->active_days;
	ActiveDay  *all;
	DateADT		first;
	DateADT		from;
	bool		changed = false;
	bool		earlier = false;
	int			n = 0;

	for (int c = 0; c < pass->active_count; c++)
		changed |= days[c].before != days[c].after;
	if (!changed)
		return;
	first = days[0].day;
	from = activity_days_from(first);
	all = MemoryContextAlloc(pass->user_context,
							 sizeof(ActiveDay) * (pass->active_count + (first - from)));
	if (pass->has_day_before && pass->day_before < from)
		earlier = true;
	else if (pass->has_day_before)
	{
		ScanKeyData keys[2];
		MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ,
					Int64GetDatum(pass->place.user_id));
		ScanKeyInit(&keys[1], 2, BTLessStrategyNumber, F_DATE_LT, DateADTGetDatum(first));
		index_rescan(pass->day_scan, keys, 2, NULL, 0);
		while (index_getnext_slot(pass->day_scan, BackwardScanDirection, pass->day_slot))
		{
			bool		isnull;
			Datum		value = slot_getattr(pass->day_slot, pass->user_days.attnums[1] + 1,
											 &isnull);
			DateADT		day = DatumGetDateADT(value);

			if (isnull || day >= first)
				elog(ERROR, "ritual.user_days has a row for user %lld out of its key's order",
					 (long long) pass->place.user_id);
			if (day < from)
			{
				earlier = true;
				break;
			}
			/* days from 'from' to 'first', one row each by the key */
			if (n == first - from)
				elog(ERROR, "ritual.user_days has two rows for user %lld on one day",
					 (long long) pass->place.user_id);
			all[n].day = day;
			all[n].before = all[n].after = true;
			n++;
		}
		MemoryContextSwitchTo(old);
		for (int i = 0; i < n / 2; i++)
		{
			ActiveDay	swap = all[i];

			all[i] = all[n - 1 - i];
			all[n - 1 - i] = swap;
		}
	}
	memcpy(all + n, days, sizeof(ActiveDay) * pass->active_count);
	activity_count_user(pass->activity, all, n + pass->active_count, first, earlier);
}

/* Whether a session of the user before the first written again has 'path'. */
static bool
unchanged_sessions_have(RefreshPass *pass, Datum path)
{
	ScanKeyData keys[2];
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);
	bool		found = false;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(pass->place.user_id));
	ScanKeyInit(&keys[1], 2, BTLessStrategyNumber, F_INT8LT,
				Int64GetDatum(pass->first_session));
	index_rescan(pass->session_scan, keys, 2, NULL, 0);
	while (!found &&
		   index_getnext_slot(pass->session_scan, ForwardScanDirection, pass->session_slot))
	{
		bool		isnull;
		Datum		stored = slot_getattr(pass->session_slot, pass->sessions.attnums[6] + 1,
										  &isnull);

		if ((++pass->reads & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (isnull)
			elog(ERROR, "a session of user %lld has no path", (long long) pass->place.user_id);
		found = text_datums_equal(stored, path);
	}
	MemoryContextSwitchTo(old);
	return found;
}

/* The user's row of user_paths, into stored_paths; false when there is none. */
static bool
read_user_paths(RefreshPass *pass, ItemPointer tid)
{
	ScanKeyData key;
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);
	bool		found;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(pass->place.user_id));
	index_rescan(pass->user_path_scan, &key, 1, NULL, 0);
	found = index_getnext_slot(pass->user_path_scan, ForwardScanDirection, pass->user_path_slot);
	MemoryContextSwitchTo(old);
	if (found)
	{
		bool		isnull;
		Datum		paths = slot_getattr(pass->user_path_slot, pass->user_paths.attnums[1] + 1,
										 &isnull);

		if (isnull)
			elog(ERROR, "ritual.user_paths has a NULL row for user %lld",
				 (long long) pass->place.user_id);
		user_paths_read(&pass->stored_paths, paths);
		ItemPointerCopy(&pass->user_path_slot->tts_tid, tid);
	}
	return found;
}

/*
 * The paths of the walked user's deleted and written sessions: a path
 * written and not deleted comes to the user (a user more for it) unless a
 * session kept has it; one deleted and not written leaves them unless a
 * session kept has it.  A session kept is one before the first written
 * again: the anchor's, when it stayed, or one of those in user_paths (the
 * user's paths before the refresh), read only when needed, and for a path
 * deleted, their sessions.
 */
static void
close_paths(RefreshPass *pass)
{
	bool		anchor_kept = pass->anchor_path != (Datum) 0 && pass->anchored &&
		pass->first_session > pass->anchor_session;
	bool		read = false;
	bool		has_row = false;
	bool		changed = false;
	ItemPointerData tid;

	for (int i = 0; i < pass->new_paths.count; i++)
	{
		Datum		path = PointerGetDatum(pass->new_paths.paths[i]);

		if (user_paths_has(&pass->old_paths, path) ||
			(anchor_kept && text_datums_equal(pass->anchor_path, path)))
			continue;
		if (!read)
			has_row = read_user_paths(pass, &tid), read = true;
		if (user_paths_has(&pass->stored_paths, path))
			continue;
		user_paths_add(&pass->stored_paths, path);
		path_counts_add(pass->paths, path, 0, 1);
		changed = true;
	}
	for (int i = 0; i < pass->old_paths.count; i++)
	{
		Datum		path = PointerGetDatum(pass->old_paths.paths[i]);

		if (user_paths_has(&pass->new_paths, path) || unchanged_sessions_have(pass, path))
			continue;
		if (!read)
			has_row = read_user_paths(pass, &tid), read = true;
		user_paths_remove(&pass->stored_paths, path);
		path_counts_add(pass->paths, path, 0, -1);
		changed = true;
	}
	if (!changed)
		return;
	if (pass->stored_paths.count == 0)
	{
		if (has_row)
			bulk_delete(&pass->user_paths, &tid);
	}
	else
	{
		TupleTableSlot *slot = bulk_next_slot(&pass->user_paths);

		bulk_set(&pass->user_paths, slot, 0, Int64GetDatum(pass->place.user_id), false);
		bulk_set(&pass->user_paths, slot, 1, user_paths_array(&pass->stored_paths), false);
		if (has_row)
			bulk_update(&pass->user_paths, &tid, slot);
		else
			bulk_store(&pass->user_paths, slot, 64 * pass->stored_paths.count, true);
	}
}

/* The end of the user's rows: the walk reads their included events to the end. */
static void
close_user(RefreshPass *pass)
{
	if (pass->walking)
	{
		while (pass->has_included)
			walk_included(pass);
		emit_waiting(pass, -1);
		close_day(pass);
		close_session(pass);
		count_window_changes(pass);
		count_week_changes(pass);
		count_activity_changes(pass);
		close_funnels(pass);
		/*
		 * With no session written, the stored ones from the first written
		 * again on go all the same: there are some when events that were
		 * clean come after the first change (else the user's sessions
		 * ended with the anchor's).
		 */
		if (!pass->sessions_cleared &&
			(pass->old_after_change ||
			 (pass->anchored && pass->first_session == pass->anchor_session)))
			clear_sessions(pass, pass->first_session);
		close_paths(pass);
		MemoryContextReset(pass->user_context);
		pass->active_days = NULL;
		pass->active_count = pass->active_size = 0;
		pass->old_paths.paths = pass->new_paths.paths = pass->stored_paths.paths = NULL;
		pass->old_paths.count = pass->new_paths.count = pass->stored_paths.count = 0;
		pass->old_paths.size = pass->new_paths.size = pass->stored_paths.size = 0;
		pass->anchor_path = (Datum) 0;
	}
	pass->walking = false;
	pass->place.has_user = false;
}

/* A row of another user comes: the current one's rows are all in. */
static void
leave_user(void *state)
{
	close_user((RefreshPass *) state);
}

/* The next event of the key read, into key_slot; false at the user's end. */
static bool
next_key_event(RefreshPass *pass)
{
	MemoryContext old = MemoryContextSwitchTo(pass->scan_context);
	bool		found = index_getnext_slot(pass->key_scan, ForwardScanDirection, pass->key_slot);
	bool		isnull;

	MemoryContextSwitchTo(old);
	pass->key_has_row = found;
	if (found)
	{
		Datum		time = slot_getattr(pass->key_slot, pass->attnums[EE_EVENT_DATE] + 1,
										&isnull);

		if ((++pass->reads & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (isnull)
			elog(ERROR, "an included event of user %lld has no event_date",
				 (long long) pass->place.user_id);
		pass->key_time = DatumGetTimestamp(time);
	}
	return found;
}

/*
 * The types of the included events at the new row's user and time join
 * the types seen there, before the row's own: every included event comes
 * before a new row.  The read goes forward from the user's first new row
 * on, past the times without one.
 */
static void
see_included_keys(RefreshPass *pass)
{
	if (!pass->key_started || pass->key_user != pass->place.user_id)
	{
		ScanKeyData keys[2];
		MemoryContext old = MemoryContextSwitchTo(pass->scan_context);

		ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ,
					Int64GetDatum(pass->place.user_id));
		ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_TIMESTAMP_GE,
					TimestampGetDatum(pass->place.time));
		index_rescan(pass->key_scan, keys, 2, NULL, 0);
		MemoryContextSwitchTo(old);
		pass->key_started = true;
		pass->key_user = pass->place.user_id;
		next_key_event(pass);
	}
	while (pass->key_has_row && pass->key_time < pass->place.time)
		next_key_event(pass);
	while (pass->key_has_row && pass->key_time == pass->place.time)
	{
		bool		isnull;
		Datum		type = slot_getattr(pass->key_slot, pass->attnums[EE_EVENT_TYPE] + 1,
										&isnull);

		/* one without a type has no key */
		if (!isnull)
		{
			text	   *t = DatumGetTextPP(type);

			seen_add(&pass->place.seen, catalogue_id(&pass->catalogue, t), t);
		}
		next_key_event(pass);
	}
}

/* ----------------------------------------------------------------
 *		The work rows
 * ----------------------------------------------------------------
 */

static void
work_row(void *state, HeapTuple tuple, TupleDesc desc)
{
	RefreshPass *pass = state;
	Datum		in[W_COLUMNS];
	bool		in_null[W_COLUMNS];
	EventInput	row;
	bool		in_new_key;
	bool		duplicate;
	int32		flags;
	bool		old_clean;
	Datum		values[F_COLUMNS];
	bool		isnull[F_COLUMNS];
	Size		bytes;
	ItemPointerData old_tid;

	event_input_read(&row, tuple, desc, &input_columns, &pass->catalogue, in, in_null);
	/* the old version, unless deleted already (a renumbered one) */
	if (in_null[W_OLD_CTID])
		ItemPointerSetInvalid(&old_tid);
	else
		ItemPointerCopy((ItemPointer) DatumGetPointer(in[W_OLD_CTID]), &old_tid);
	in_new_key = !in_null[W_IN_NEW_KEY] && DatumGetBool(in[W_IN_NEW_KEY]);
	old_clean = !in_null[W_OLD_FLAGS] && DatumGetInt32(in[W_OLD_FLAGS]) == 0;

	place_row(&pass->place, &row, leave_user, pass);

	/*
	 * A duplicate is decided again among the rows of a key a new row has
	 * (all in the work, or with the new rows apart, the included ones
	 * through the key read); the others keep what they were.
	 */
	if (in_new_key && !row.null_user && !row.null_type && !row.null_date)
	{
		if (pass->new_rows_apart && in_null[W_OLD_EVENT_ID])
			see_included_keys(pass);
		duplicate = seen_add(&pass->place.seen, row.type_id, row.type);
	}
	else if (in_new_key)
		duplicate = false;
	else
		duplicate = !in_null[W_OLD_FLAGS] &&
			(DatumGetInt32(in[W_OLD_FLAGS]) & FLAG_DUPLICATE) != 0;
	flags = event_row_values(&row, row.type_id >= 0, duplicate, pass->reference,
							 pass->no_flag_names, values, isnull, &bytes);
	values[F_OLD_EVENT_ID] = in[W_OLD_EVENT_ID];
	isnull[F_OLD_EVENT_ID] = in_null[W_OLD_EVENT_ID];
	values[F_OLD_FLAGS] = in[W_OLD_FLAGS];
	isnull[F_OLD_FLAGS] = in_null[W_OLD_FLAGS];
	values[F_OLD_PREV] = in[W_OLD_PREV];
	isnull[F_OLD_PREV] = in_null[W_OLD_PREV];

	if (!pass->walking && (flags == 0 || old_clean))
	{
		pass->has_signup = !row.null_signup && !row.null_cohort;
		pass->signup = row.null_signup ? 0 : DatumGetDateADT(row.signup_date);
		pass->cohort_week = row.null_cohort ? 0 : DatumGetDateADT(row.cohort_week);
		pass->new_profile = !in_null[W_NEW_PROFILE] && DatumGetBool(in[W_NEW_PROFILE]);
		pass->segment_key = in_null[W_SEGMENT_KEY] ? 0 : DatumGetInt32(in[W_SEGMENT_KEY]);
		start_walk(pass, row.time, DatumGetInt64(row.event_id));
	}
	if (pass->walking)
	{
		/* the included events before it join the walk; its old version leaves */
		while (pass->has_included &&
			   (row.null_date || pass->included.time < row.time ||
				(pass->included.time == row.time &&
				 pass->included.event_id < DatumGetInt64(row.event_id))))
			walk_included(pass);
		if (pass->has_included && pass->included.time == row.time &&
			pass->included.event_id == DatumGetInt64(row.event_id))
			pass->has_included = next_after_first_change(pass, &pass->included);
		if (old_clean && !in_null[W_OLD_SESSION])
			saw_old_event(pass, DatumGetInt64(in[W_OLD_SESSION]), row.time);
		if (flags == 0 || old_clean)
			count_day(pass, DatumGetDateADT(values[EE_EVENT_DAY]), row.type_id, old_clean,
					  flags == 0);
	}

	if (flags == 0)
	{
		/*
		 * A clean row has a user, a catalogue type, a finite time and the
		 * user's signup date (read_new_rows reads an infinite one as
		 * missing), so a week number.
		 */
		if (isnull[EE_WEEK_NUMBER])
			elog(ERROR, "a clean event of user %lld has no week since signup",
				 (long long) pass->place.user_id);
		walk_clean_row(pass, row.type_id, row.time, values, isnull, bytes, &old_tid, NULL,
					   false);
	}
	else
		write_event(pass, values, isnull, bytes, &old_tid);
}

/* The changes of the reported days, into _ritual_window_changes. */
static void
write_window_changes(RefreshPass *pass)
{
	HASH_SEQ_STATUS status;
	WindowChange *change;

	hash_seq_init(&status, pass->window_changes);
	while ((change = hash_seq_search(&status)) != NULL)
	{
		TupleTableSlot *slot;

		if (change->dau == 0 && change->wau == 0 && change->mau == 0 && change->events == 0 &&
			change->sessions == 0)
			continue;
		slot = bulk_next_slot(&pass->windows);
		bulk_set(&pass->windows, slot, 0, DateADTGetDatum(change->day), false);
		bulk_set(&pass->windows, slot, 1, Int64GetDatum(change->dau), false);
		bulk_set(&pass->windows, slot, 2, Int64GetDatum(change->wau), false);
		bulk_set(&pass->windows, slot, 3, Int64GetDatum(change->mau), false);
		bulk_set(&pass->windows, slot, 4, Int64GetDatum(change->events), false);
		bulk_set(&pass->windows, slot, 5, Int64GetDatum(change->sessions), false);
		bulk_store(&pass->windows, slot, 48, false);
	}
}

/* What the versions written change in the transitions, into _ritual_transition_changes. */
static void
write_transition_changes(RefreshPass *pass)
{
	HASH_SEQ_STATUS status;
	PairCounts *counts;

	hash_seq_init(&status, pass->transitions);
	while ((counts = hash_seq_search(&status)) != NULL)
	{
		TupleTableSlot *slot;

		if (counts->rows == 0)
			continue;
		slot = bulk_next_slot(&pass->transition_changes);
		bulk_set(&pass->transition_changes, slot, 0, pass->catalogue.types[counts->key.a],
				 false);
		bulk_set(&pass->transition_changes, slot, 1, pass->catalogue.types[counts->key.b],
				 false);
		bulk_set(&pass->transition_changes, slot, 2, Int64GetDatum(counts->rows), false);
		bulk_store(&pass->transition_changes, slot, 64, false);
	}
}

/* After a batch of the sorted read: the rows written refer to it. */
static void
flush_events(void *state)
{
	bulk_flush(&((RefreshPass *) state)->enriched);
}

/*
 * recompute_events(reference timestamp, session_gap interval, base bigint,
 *					new_rows_apart boolean, first_reported date, last_reported date)
 *		Compute the rows of pg_temp._ritual_work again (with
 *		'new_rows_apart', and the new rows of _ritual_new_events, numbered
 *		as read after 'base'), with the included clean events they affect,
 *		into enriched_events, user_days and sessions, and what they change
 *		into _ritual_transition_changes, _ritual_changes,
 *		_ritual_window_changes, _ritual_week_changes and
 *		_ritual_last_weeks (empty, made by update_reports) and
 *		_ritual_flag_counts (made here): included events above 'base' are
 *		in the work, and the reported days' counts change for the days
 *		from first_reported to last_reported, which daily_activity has.
 *		Returns the included events written again and the sessions
 *		written less those deleted.
 *		Internal to refresh_reports.
 */
Datum
ritual_recompute_events(PG_FUNCTION_ARGS)
{
	RefreshPass pass;
	MemoryContext pass_context;
	MemoryContext row_context;
	MemoryContext old;
	Relation	day_index;
	Relation	session_index;
	Relation	funnel_index;
	Relation	user_path_index;
	TupleDesc	result_desc;
	Datum		result[2];
	bool		result_nulls[2] = {false, false};
	bool		new_rows_apart;
	Timestamp	first_work;
	char	   *query;

	memset(&pass, 0, sizeof(pass));
	pass.reference = PG_GETARG_TIMESTAMP(0);
	pass.gap = ritual_session_gap_usecs(PG_GETARG_INTERVAL_P(1));
	pass.base = PG_GETARG_INT64(2);
	new_rows_apart = PG_GETARG_BOOL(3);
	pass.first_reported = PG_GETARG_DATEADT(4);
	pass.last_reported = PG_GETARG_DATEADT(5);
	first_work = PG_GETARG_TIMESTAMP(6);

	pass_context = AllocSetContextCreate(CurrentMemoryContext, "ritual refresh pass",
										 ALLOCSET_DEFAULT_SIZES);
	row_context = AllocSetContextCreate(pass_context, "ritual refresh pass rows",
										ALLOCSET_DEFAULT_SIZES);
	pass.place.seen.context = AllocSetContextCreate(pass_context, "ritual types at one time",
											  ALLOCSET_SMALL_SIZES);
	pass.waiting.context = AllocSetContextCreate(pass_context, "ritual waiting row",
												 ALLOCSET_SMALL_SIZES);
	pass.user_context = AllocSetContextCreate(pass_context, "ritual days of a user",
											  ALLOCSET_SMALL_SIZES);
	pass.no_flag_names = PointerGetDatum(MemoryContextAlloc(pass_context, VARHDRSZ));
	SET_VARSIZE(DatumGetPointer(pass.no_flag_names), VARHDRSZ);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	catalogue_load(&pass.catalogue, pass_context);
	funnels_load(&pass.funnels, &pass.catalogue, pass_context);

	old = MemoryContextSwitchTo(pass_context);
	pass.has_stored = palloc0(sizeof(bool) * Max(pass.funnels.count, 1));
	pass.stored = palloc0(sizeof(FunnelProgress) * Max(pass.funnels.count, 1));
	pass.stored_tid = palloc0(sizeof(ItemPointerData) * Max(pass.funnels.count, 1));
	pass.following = palloc0(sizeof(bool) * Max(pass.funnels.count, 1));
	pass.progress = palloc0(sizeof(FunnelProgress) * Max(pass.funnels.count, 1));
	pass.seen_before = palloc0(sizeof(bool) * Max(pass.catalogue.count, 1));
	pass.open_ways = ways_create("ritual open funnel ways", pass_context);
	pass.changed_ways = ways_create("ritual changed funnel ways", pass_context);
	pass.cells = funnel_cells_create(&pass.funnels, pass_context);
	pass.old_n = palloc0(sizeof(int64) * Max(pass.catalogue.count, 1));
	pass.new_n = palloc0(sizeof(int64) * Max(pass.catalogue.count, 1));
	pass.day_types = palloc(sizeof(int) * Max(pass.catalogue.count, 1));
	pass.transitions = pair_counts_create("ritual transition changes", pass_context);
	pass.flagged = flag_counts_create(pass_context);
	{
		struct
		{
			BulkTable  *table;
			const char *name;
			const ColumnSpec *columns;
			int			count;
		}			scratch[] = {
			{&pass.transition_changes, "_ritual_transition_changes", transition_columns,
			lengthof(transition_columns)},
			{&pass.changes, "_ritual_changes", change_columns, lengthof(change_columns)},
			{&pass.windows, "_ritual_window_changes", window_columns, lengthof(window_columns)},
			{&pass.weeks, "_ritual_week_changes", week_columns, lengthof(week_columns)},
			{&pass.last_weeks, "_ritual_last_weeks", last_week_columns,
			lengthof(last_week_columns)}
		};

		for (int i = 0; i < (int) lengthof(scratch); i++)
			bulk_open(scratch[i].table, table_named("pg_temp", scratch[i].name),
					  scratch[i].columns, scratch[i].count);
	}
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(DateADT);
		ctl.entrysize = sizeof(WindowChange);
		ctl.hcxt = pass_context;
		pass.window_changes = hash_create("ritual WAU and MAU changes", 256, &ctl,
										  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	pass.activity = activity_counts_create(pass_context);
	pass.segments = segment_counts_create(pass_context);
	pass.paths = path_counts_create(pass_context);
	pass.old_paths.context = pass.new_paths.context = pass.stored_paths.context =
		pass.user_context;
	pass.events = table_open(table_named("ritual", "enriched_events"), AccessShareLock);
	bulk_open_indexed(&pass.enriched, RelationGetRelid(pass.events), enriched_columns,
					  EE_COLUMNS);
	pass.attnums = column_attnums(pass.events, enriched_columns, EE_COLUMNS);
	pass.index = open_user_index(pass.events, pass.attnums);
	pass.scan_context = pass_context;
	pass.scan = index_beginscan(pass.events, pass.index, GetActiveSnapshot(), 2, 0);
	pass.new_rows_apart = new_rows_apart;
	if (new_rows_apart)
	{
		pass.key_scan = index_beginscan(pass.events, pass.index, GetActiveSnapshot(), 2, 0);
		pass.key_slot = table_slot_create(pass.events, NULL);
	}
	bulk_open_indexed(&pass.user_days, table_named("ritual", "user_days"), user_day_columns,
					  lengthof(user_day_columns));
	day_index = open_primary_key(&pass.user_days, "user_id, day", 2, 2, &pass.day_scan,
								 &pass.day_slot);
	bulk_open_indexed(&pass.sessions, table_named("ritual", "sessions"), session_columns,
					  lengthof(session_columns));
	session_index = open_primary_key(&pass.sessions, "user_id, session_number", 2, 2,
									 &pass.session_scan, &pass.session_slot);
	bulk_open_indexed(&pass.user_paths, table_named("ritual", "user_paths"),
					  user_path_columns, lengthof(user_path_columns));
	user_path_index = open_primary_key(&pass.user_paths, "user_id", 1, 1,
									   &pass.user_path_scan, &pass.user_path_slot);
	bulk_open_indexed(&pass.funnel_users, table_named("ritual", "funnel_users"),
					  funnel_user_columns, lengthof(funnel_user_columns));
	funnel_index = open_primary_key(&pass.funnel_users, "user_id, funnel", 2, 1,
									&pass.funnel_scan, &pass.funnel_slot);
	{
		int			entry_columns[2] = {pass.funnel_users.attnums[1],
		pass.funnel_users.attnums[2]};

		pass.entry_index = open_index_on(pass.funnel_users.rel, entry_columns, 2);
		if (pass.entry_index == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("ritual.funnel_users has no index on (funnel, entered_at)"),
					 errhint("A refresh finds the ways of a funnel by their entry through it: CREATE INDEX ON ritual.funnel_users (funnel, entered_at).")));
		pass.entry_scan = index_beginscan(pass.funnel_users.rel, pass.entry_index,
										  GetActiveSnapshot(), 3, 0);
	}
	pass.slot = table_slot_create(pass.events, NULL);
	pass.anchor_slot = MakeSingleTupleTableSlot(RelationGetDescr(pass.events),
												&TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
	read_open_ways(&pass, first_work);

	query = psprintf("SELECT w.user_id, w.event_date, w.event_id, w.old_event_id,"
					 "       w.source_line, w.old_flags, w.in_new_key, u.signup_date,"
					 "       u.cohort_week, u.user_id IS NOT NULL, s.segment_key, w.event_type,"
					 "       w.raw_event_type, w.source_file, w.old_prev, w.old_session,"
					 "       p.user_id IS NOT NULL, w.old_ctid"
					 "  FROM (SELECT event_id, old_event_id, user_id, event_type,"
					 "               raw_event_type, event_date, source_file, source_line,"
					 "               old_flags, old_prev, old_session, in_new_key, old_ctid"
					 "          FROM pg_temp._ritual_work"
					 "        UNION ALL"
					 "        SELECT " INT64_FORMAT " + scan_order, NULL, user_id, event_type,"
					 "               raw_event_type, event_date, source_file, source_line,"
					 "               NULL, NULL, NULL, true, NULL"
					 "          FROM pg_temp._ritual_new_events WHERE %s) w"
					 "  LEFT JOIN pg_temp._ritual_profile_users p ON p.user_id = w.user_id"
					 "  LEFT JOIN ritual.users u ON u.user_id = w.user_id"
					 "   AND u.signup_date IS NOT NULL"
					 "  LEFT JOIN ritual.user_segments s ON s.user_id = w.user_id"
					 " ORDER BY w.user_id, w.event_date, w.event_id",
					 pass.base, new_rows_apart ? "true" : "false");
	read_sorted_rows(query, "the work", BULK_ROWS, work_row, flush_events, &pass, row_context);
	old = MemoryContextSwitchTo(row_context);
	close_user(&pass);
	MemoryContextSwitchTo(old);

	index_endscan(pass.scan);
	ExecDropSingleTupleTableSlot(pass.slot);
	if (new_rows_apart)
	{
		index_endscan(pass.key_scan);
		ExecDropSingleTupleTableSlot(pass.key_slot);
	}
	ExecDropSingleTupleTableSlot(pass.anchor_slot);
	index_close(pass.index, AccessShareLock);
	table_close(pass.events, AccessShareLock);
	index_endscan(pass.day_scan);
	ExecDropSingleTupleTableSlot(pass.day_slot);
	index_close(day_index, AccessShareLock);
	bulk_close(&pass.user_days);
	index_endscan(pass.session_scan);
	ExecDropSingleTupleTableSlot(pass.session_slot);
	index_close(session_index, AccessShareLock);
	bulk_close(&pass.sessions);
	count_changed_cohorts(&pass);
	index_endscan(pass.user_path_scan);
	ExecDropSingleTupleTableSlot(pass.user_path_slot);
	index_close(user_path_index, AccessShareLock);
	bulk_close(&pass.user_paths);
	index_endscan(pass.funnel_scan);
	index_endscan(pass.entry_scan);
	ExecDropSingleTupleTableSlot(pass.funnel_slot);
	index_close(funnel_index, AccessShareLock);
	index_close(pass.entry_index, AccessShareLock);
	bulk_close(&pass.funnel_users);
	bulk_close(&pass.enriched);
	flag_counts_finish(pass.flagged);
	write_transition_changes(&pass);
	bulk_close(&pass.transition_changes);
	bulk_close(&pass.changes);
	write_window_changes(&pass);
	segment_counts_write(pass.segments);
	bulk_close(&pass.windows);
	activity_counts_write(pass.activity, true);
	path_counts_write(pass.paths, true);
	bulk_close(&pass.weeks);
	bulk_close(&pass.last_weeks);
	SPI_finish();
	MemoryContextDelete(pass_context);
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "recompute_events must return a row");
	result[0] = Int64GetDatum(pass.recomputed);
	result[1] = Int64GetDatum(pass.session_changes);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc),
													  result, result_nulls)));
}
