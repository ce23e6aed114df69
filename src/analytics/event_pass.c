/*-------------------------------------------------------------------------
 *
 * event_pass.c
 *		  The full build's one pass over the events: the new raw rows, read
 *		  once in the order of user, time and event_id, become the rows of
 *		  enriched_events, and what is counted from the clean ones
 *		  (user_days, user_weeks, sessions, event_transitions,
 *		  daily_event_types) is counted on the way.
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
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ritual.h"
#include "analytics/analytics.h"
#include "analytics/bulk_insert.h"
#include "analytics/flag_counts.h"
#include "analytics/text_hash.h"

PG_FUNCTION_INFO_V1(ritual_build_event_tables);

/* rows fetched from the sorted read at a time: a batch written at most */
#define FETCH_ROWS		BULK_ROWS

/* types of one user and time kept in a list before a hash table pays */
#define RUN_LIST_MAX	16

/* ----------------------------------------------------------------
 *		Sets and counts of types
 * ----------------------------------------------------------------
 */

/* The catalogue of event types, numbered from 0. */
typedef struct CatalogueEntry
{
	text	   *type;			/* key */
	int			id;
} CatalogueEntry;

typedef struct Catalogue
{
	HTAB	   *ids;
	Datum	   *types;			/* types[id], the text */
	int			count;
} Catalogue;

static void
catalogue_load(Catalogue *catalogue, MemoryContext context)
{
	MemoryContext old;

	if (SPI_execute("SELECT event_type FROM ritual.event_types WHERE event_type IS NOT NULL",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ritual.event_types");
	old = MemoryContextSwitchTo(context);
	catalogue->count = (int) SPI_processed;
	catalogue->types = palloc(sizeof(Datum) * Max(catalogue->count, 1));
	catalogue->ids = text_set_create("ritual event types", Max(catalogue->count, 16),
									 sizeof(CatalogueEntry), context);
	for (int i = 0; i < catalogue->count; i++)
	{
		bool		isnull;
		Datum		value = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		text	   *type = DatumGetTextPCopy(value);
		CatalogueEntry *entry;
		bool		found;

		entry = hash_search(catalogue->ids, &type, HASH_ENTER, &found);
		entry->id = i;
		catalogue->types[i] = PointerGetDatum(type);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/* The id of a type of the catalogue, or -1. */
static int
catalogue_id(Catalogue *catalogue, text *type)
{
	CatalogueEntry *entry = hash_search(catalogue->ids, &type, HASH_FIND, NULL);

	return entry ? entry->id : -1;
}

/*
 * The types seen at one user and time, to find duplicates: catalogue types
 * by id, others by text, in a list until it grows long, then in a hash
 * table (a hostile file may put any number of types at one time).  All of
 * it lives in 'context', which is reset when the user or time changes.
 */
typedef struct SeenTypes
{
	MemoryContext context;
	Bitmapset  *known;
	text	   *list[RUN_LIST_MAX];
	int			listed;
	HTAB	   *hashed;
} SeenTypes;

static void
seen_reset(SeenTypes *seen)
{
	MemoryContextReset(seen->context);
	seen->known = NULL;
	seen->listed = 0;
	seen->hashed = NULL;
}

/* Add the type; true when it was there already. */
static bool
seen_add(SeenTypes *seen, int id, text *type)
{
	MemoryContext old;
	bool		found = false;

	if (id >= 0)
	{
		if (bms_is_member(id, seen->known))
			return true;
		old = MemoryContextSwitchTo(seen->context);
		seen->known = bms_add_member(seen->known, id);
		MemoryContextSwitchTo(old);
		return false;
	}

	if (seen->hashed == NULL)
	{
		for (int i = 0; i < seen->listed; i++)
		{
			if (text_pointer_match(&seen->list[i], &type, sizeof(text *)) == 0)
				return true;
		}
	}
	else if (hash_search(seen->hashed, &type, HASH_FIND, NULL) != NULL)
		return true;

	old = MemoryContextSwitchTo(seen->context);
	type = DatumGetTextPCopy(PointerGetDatum(type));
	if (seen->hashed == NULL && seen->listed < RUN_LIST_MAX)
		seen->list[seen->listed++] = type;
	else
	{
		if (seen->hashed == NULL)
		{
			seen->hashed = text_set_create("ritual types at one time", 4 * RUN_LIST_MAX,
										   sizeof(text *), seen->context);
			for (int i = 0; i < seen->listed; i++)
				hash_search(seen->hashed, &seen->list[i], HASH_ENTER, NULL);
		}
		hash_search(seen->hashed, &type, HASH_ENTER, &found);
	}
	MemoryContextSwitchTo(old);
	return found;
}

/* Counts keyed by two ints: (day, type id) or (previous type id, type id). */
typedef struct PairKey
{
	int32		a;
	int32		b;
} PairKey;

typedef struct PairCounts
{
	PairKey		key;
	int64		rows;
	int64		users;
} PairCounts;

static HTAB *
pair_counts_create(const char *name, MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(PairKey);
	ctl.entrysize = sizeof(PairCounts);
	ctl.hcxt = context;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static PairCounts *
pair_counts(HTAB *counts, int32 a, int32 b)
{
	PairKey		key = {a, b};
	bool		found;
	PairCounts *entry = hash_search(counts, &key, HASH_ENTER, &found);

	if (!found)
	{
		entry->rows = 0;
		entry->users = 0;
	}
	return entry;
}

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
	IN_COHORT_WEEK, IN_KNOWN_USER, IN_EVENT_TYPE, IN_RAW_EVENT_TYPE, IN_SOURCE_FILE,
	IN_COLUMNS
};

/* the columns of the tables written, in their order */
enum
{
	EE_EVENT_ID, EE_USER_ID, EE_EVENT_TYPE, EE_RAW_EVENT_TYPE, EE_EVENT_DATE,
	EE_EVENT_DAY, EE_SIGNUP_DATE, EE_COHORT_WEEK, EE_WEEK_NUMBER, EE_PREV_EVENT_TYPE,
	EE_NEXT_EVENT_TYPE, EE_SESSION_NUMBER, EE_FLAGS, EE_FLAG_NAMES, EE_SOURCE_FILE,
	EE_SOURCE_LINE, EE_COLUMNS
};

static const ColumnSpec enriched_columns[EE_COLUMNS] = {
	{"event_id", INT8OID}, {"user_id", INT8OID}, {"event_type", TEXTOID},
	{"raw_event_type", TEXTOID}, {"event_date", TIMESTAMPOID}, {"event_day", DATEOID},
	{"signup_date", DATEOID}, {"cohort_week", DATEOID},
	{"week_number_since_signup", INT4OID}, {"prev_event_type", TEXTOID},
	{"next_event_type", TEXTOID}, {"session_number", INT8OID}, {"flags", INT4OID},
	{"flag_names", TEXTOID}, {"source_file", TEXTOID}, {"source_line", INT8OID}
};

static const ColumnSpec user_day_columns[] = {
	{"user_id", INT8OID}, {"day", DATEOID}, {"events", INT8OID}
};

static const ColumnSpec user_week_columns[] = {
	{"user_id", INT8OID}, {"week_number", INT4OID}
};

static const ColumnSpec session_columns[] = {
	{"user_id", INT8OID}, {"session_number", INT8OID}, {"session_start", TIMESTAMPOID},
	{"session_end", TIMESTAMPOID}, {"duration_seconds", FLOAT8OID}, {"events", INT4OID}
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
	HTAB	   *days;			/* DayCounts by day */
	HTAB	   *day_types;		/* (day, type id): clean rows and users */
	HTAB	   *transitions;	/* (previous type id, type id): rows */
	FlagCounts *flagged;		/* flagged rows per flags, file, day, type */

	/* the current user */
	bool		has_user;
	int64		user_id;
	int			last_clean_type;	/* id, -1 before the first clean row */

	/* the current user and time, for duplicates */
	bool		has_time;
	Timestamp	time;
	SeenTypes	seen;

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

	/* the current session */
	int64		session;		/* 0 before the user's first clean row */
	Timestamp	session_start;
	Timestamp	session_end;
	int32		session_rows;

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
	pass->has_active_day = true;
	pass->last_active_day = pass->day;

	slot = bulk_next_slot(&pass->user_days);
	bulk_set(&pass->user_days, slot, 0, Int64GetDatum(pass->user_id), false);
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
	TupleTableSlot *slot;
	int64		usecs;

	if (pass->session_rows == 0)
		return;
	/* extract(epoch FROM end - start): the exact difference, rounded once */
	if (pg_sub_s64_overflow(pass->session_end, pass->session_start, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	slot = bulk_next_slot(&pass->sessions);
	bulk_set(&pass->sessions, slot, 0, Int64GetDatum(pass->user_id), false);
	bulk_set(&pass->sessions, slot, 1, Int64GetDatum(pass->session), false);
	bulk_set(&pass->sessions, slot, 2, TimestampGetDatum(pass->session_start), false);
	bulk_set(&pass->sessions, slot, 3, TimestampGetDatum(pass->session_end), false);
	bulk_set(&pass->sessions, slot, 4,
			 Float8GetDatum((double) usecs / USECS_PER_SEC), false);
	bulk_set(&pass->sessions, slot, 5, Int32GetDatum(pass->session_rows), false);
	bulk_store(&pass->sessions, slot, 48, false);
	pass->session_rows = 0;
	pass->sessions_written++;
	day_counts(pass->days, ritual_timestamp_date(pass->session_start))->sessions++;
}

static void
close_user(EventPass *pass)
{
	emit_pending(pass, -1);
	close_user_day(pass);
	if (pass->has_active_day)
		end_stretch(pass, false, 0);
	pass->has_active_day = false;
	close_session(pass);
	pass->last_clean_type = -1;
	pass->session = 0;
	pass->has_week = false;
}

/* A clean row: the counts, its session, and the row before it let go. */
static void
count_clean_row(EventPass *pass, int type, Timestamp time, DateADT day, int32 week)
{
	PairCounts *counts;

	if (pass->session == 0)
		pass->session = 1;
	else if (ritual_session_breaks(pass->session_end, time, pass->gap))
	{
		close_session(pass);
		pass->session++;
	}
	if (pass->session_rows == 0)
		pass->session_start = time;
	pass->session_end = time;
	if (pass->session_rows == PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a session of user %lld has more than %d events",
						(long long) pass->user_id, PG_INT32_MAX)));
	pass->session_rows++;

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

		bulk_set(&pass->user_weeks, slot, 0, Int64GetDatum(pass->user_id), false);
		bulk_set(&pass->user_weeks, slot, 1, Int32GetDatum(week), false);
		bulk_store(&pass->user_weeks, slot, 16, false);
		pass->has_week = true;
		pass->week = week;
	}
	pass->clean_rows++;

	emit_pending(pass, type);
}

/* One row of the sorted read. */
static void
pass_row(EventPass *pass, HeapTuple tuple, TupleDesc desc)
{
	Datum		in[IN_COLUMNS];
	bool		in_null[IN_COLUMNS];
	bool		null_event_id,
				null_user,
				null_type,
				null_raw,
				null_date,
				null_file,
				null_line,
				null_signup,
				null_cohort;
	Datum		event_id,
				user_id,
				event_type,
				raw_type,
				event_date,
				source_file,
				source_line,
				signup,
				cohort;
	bool		known_user;
	text	   *type;
	int			type_id;
	Timestamp	time;
	EventFacts	facts;
	int32		flags;
	Datum		values[EE_COLUMNS] = {0};
	bool		isnull[EE_COLUMNS];
	Size		bytes;

	if (desc->natts != IN_COLUMNS)
		elog(ERROR, "the sorted read of the events has %d columns, not %d", desc->natts,
			 IN_COLUMNS);
	/* each column in turn would walk the row from its start again */
	heap_deform_tuple(tuple, desc, in, in_null);
	event_id = in[IN_EVENT_ID], null_event_id = in_null[IN_EVENT_ID];
	user_id = in[IN_USER_ID], null_user = in_null[IN_USER_ID];
	event_type = in[IN_EVENT_TYPE], null_type = in_null[IN_EVENT_TYPE];
	raw_type = in[IN_RAW_EVENT_TYPE], null_raw = in_null[IN_RAW_EVENT_TYPE];
	event_date = in[IN_EVENT_DATE], null_date = in_null[IN_EVENT_DATE];
	source_file = in[IN_SOURCE_FILE], null_file = in_null[IN_SOURCE_FILE];
	source_line = in[IN_SOURCE_LINE], null_line = in_null[IN_SOURCE_LINE];
	signup = in[IN_SIGNUP_DATE], null_signup = in_null[IN_SIGNUP_DATE];
	cohort = in[IN_COHORT_WEEK], null_cohort = in_null[IN_COHORT_WEEK];
	known_user = !in_null[IN_KNOWN_USER] && DatumGetBool(in[IN_KNOWN_USER]);
	type = null_type ? NULL : DatumGetTextPP(event_type);
	type_id = null_type ? -1 : catalogue_id(&pass->catalogue, type);
	time = null_date ? 0 : DatumGetTimestamp(event_date);

	/* every column NULL until set (next_event_type is set when it comes) */
	memset(isnull, true, sizeof(isnull));

	if (null_event_id)
		elog(ERROR, "an event of the build has no event_id");
	pass->rows++;

	/* a new user (rows without one come last, each its own) */
	if (null_user || !pass->has_user || DatumGetInt64(user_id) != pass->user_id)
	{
		close_user(pass);
		pass->has_user = !null_user;
		pass->user_id = null_user ? 0 : DatumGetInt64(user_id);
		pass->has_time = false;
	}
	if (!pass->has_time || null_date || time != pass->time)
	{
		seen_reset(&pass->seen);
		pass->has_time = !null_date;
		pass->time = time;
	}

	facts.has_user = !null_user;
	facts.has_type = !null_raw && !ritual_text_is_blank(DatumGetTextPP(raw_type));
	facts.has_date = !null_date;
	facts.event_date = time;
	facts.type_unknown = type_id < 0;
	facts.user_unknown = !known_user;
	facts.has_signup = !null_signup;
	facts.signup = null_signup ? 0 : DatumGetDateADT(signup);
	facts.has_reference = true;
	facts.reference = pass->reference;
	flags = ritual_event_flag_bits(&facts);
	if (!null_user && !null_type && !null_date && seen_add(&pass->seen, type_id, type))
		flags |= FLAG_DUPLICATE;

	values[EE_EVENT_ID] = event_id;
	isnull[EE_EVENT_ID] = false;
	values[EE_USER_ID] = user_id;
	isnull[EE_USER_ID] = null_user;
	values[EE_EVENT_TYPE] = event_type;
	isnull[EE_EVENT_TYPE] = null_type;
	values[EE_RAW_EVENT_TYPE] = raw_type;
	isnull[EE_RAW_EVENT_TYPE] = null_raw;
	values[EE_EVENT_DATE] = event_date;
	isnull[EE_EVENT_DATE] = null_date;
	isnull[EE_EVENT_DAY] = null_date;
	if (!null_date)
		values[EE_EVENT_DAY] = DateADTGetDatum(ritual_timestamp_date(time));
	values[EE_SIGNUP_DATE] = signup;
	isnull[EE_SIGNUP_DATE] = null_signup;
	values[EE_COHORT_WEEK] = cohort;
	isnull[EE_COHORT_WEEK] = null_cohort;
	isnull[EE_WEEK_NUMBER] = null_signup || null_date || TIMESTAMP_NOT_FINITE(time) ||
		DATE_NOT_FINITE(DatumGetDateADT(signup));
	if (!isnull[EE_WEEK_NUMBER])
		values[EE_WEEK_NUMBER] =
			Int32GetDatum(ritual_week_number(ritual_timestamp_day(time),
											 DatumGetDateADT(signup), WEEK_SUNDAY));
	values[EE_FLAGS] = Int32GetDatum(flags);
	isnull[EE_FLAGS] = false;
	values[EE_FLAG_NAMES] = flags == 0 ? pass->no_flag_names :
		PointerGetDatum(ritual_flag_names_text(flags));
	isnull[EE_FLAG_NAMES] = false;
	values[EE_SOURCE_FILE] = source_file;
	isnull[EE_SOURCE_FILE] = null_file;
	values[EE_SOURCE_LINE] = source_line;
	isnull[EE_SOURCE_LINE] = null_line;
	bytes = 96 + (null_type ? 0 : VARSIZE_ANY(DatumGetPointer(event_type))) +
		(null_raw ? 0 : VARSIZE_ANY(DatumGetPointer(raw_type))) +
		(null_file ? 0 : VARSIZE_ANY(DatumGetPointer(source_file)));

	if (flags != 0)
	{
		TupleTableSlot *slot = bulk_next_slot(&pass->enriched);

		flag_counts_add(pass->flagged, flags,
						null_file ? NULL : DatumGetTextPP(source_file),
						!null_date, null_date ? 0 : DatumGetDateADT(values[EE_EVENT_DAY]),
						null_type ? NULL : type);

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
	Assert(type_id >= 0 && !null_user && !null_date && !null_signup);
	if (isnull[EE_WEEK_NUMBER])
		elog(ERROR, "a clean event of user %lld has no week since signup",
			 (long long) pass->user_id);
	values[EE_PREV_EVENT_TYPE] = pass->last_clean_type >= 0 ?
		pass->catalogue.types[pass->last_clean_type] : (Datum) 0;
	isnull[EE_PREV_EVENT_TYPE] = pass->last_clean_type < 0;
	count_clean_row(pass, type_id, time, DatumGetDateADT(values[EE_EVENT_DAY]),
					DatumGetInt32(values[EE_WEEK_NUMBER]));
	values[EE_SESSION_NUMBER] = Int64GetDatum(pass->session);
	isnull[EE_SESSION_NUMBER] = false;
	pass->last_clean_type = type_id;

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
		pending->values[EE_EVENT_TYPE] = pass->catalogue.types[type_id];
		pending->bytes = bytes;
		pending->waiting = true;
		MemoryContextSwitchTo(old);
	}
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

/* The reporting table ritual.'name'. */
static Oid
reporting_table(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("ritual", false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"ritual.%s\" does not exist", name)));
	return relid;
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
	SPIPlanPtr	plan;
	Portal		portal;
	char	   *query;
	TupleDesc	result_desc;
	Datum		result[3];
	bool		result_nulls[3] = {false, false, false};

	memset(&pass, 0, sizeof(pass));
	pass.reference = PG_GETARG_TIMESTAMP(0);
	pass.gap = ritual_session_gap_usecs(PG_GETARG_INTERVAL_P(1));
	query = psprintf("SELECT e.user_id, e.event_date, e.event_id, e.source_line,"
					 "       u.signup_date, u.cohort_week, u.user_id IS NOT NULL,"
					 "       e.event_type, e.raw_event_type, e.source_file"
					 "  FROM (SELECT %s AS event_id, user_id, event_type, raw_event_type,"
					 "               event_date, source_file, source_line"
					 "          FROM pg_temp._ritual_new_events) e"
					 "  LEFT JOIN ritual.users u ON u.user_id = e.user_id"
					 "   AND u.signup_date IS NOT NULL"
					 " ORDER BY e.user_id, e.event_date, e.event_id",
					 PG_GETARG_BOOL(2) ? "scan_order" :
					 "pg_catalog.row_number() OVER (ORDER BY source_file, source_line)");

	pass_context = AllocSetContextCreate(CurrentMemoryContext, "ritual event pass",
										 ALLOCSET_DEFAULT_SIZES);
	row_context = AllocSetContextCreate(pass_context, "ritual event pass rows",
										ALLOCSET_DEFAULT_SIZES);
	pass.seen.context = AllocSetContextCreate(pass_context, "ritual types at one time",
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

	old = MemoryContextSwitchTo(pass_context);
	pass.days = day_counts_create(pass_context);
	pass.day_types = pair_counts_create("ritual events per day and type", pass_context);
	pass.transitions = pair_counts_create("ritual transitions", pass_context);
	pass.flagged = flag_counts_create(pass_context);
	bulk_open(&pass.enriched, reporting_table("enriched_events"), enriched_columns, EE_COLUMNS);
	bulk_open(&pass.user_days, reporting_table("user_days"), user_day_columns,
			  lengthof(user_day_columns));
	bulk_open(&pass.user_weeks, reporting_table("user_weeks"), user_week_columns,
			  lengthof(user_week_columns));
	bulk_open(&pass.sessions, reporting_table("sessions"), session_columns,
			  lengthof(session_columns));
	MemoryContextSwitchTo(old);

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not plan the read of the new events: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPITupleTable *batch;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		/* SPI_processed is not the batch's once a row writes counts out */
		batch = SPI_tuptable;
		old = MemoryContextSwitchTo(row_context);
		for (uint64 i = 0; i < batch->numvals; i++)
			pass_row(&pass, batch->vals[i], batch->tupdesc);
		MemoryContextSwitchTo(old);
		/* the rows written refer to the batch and the row context */
		bulk_flush(&pass.enriched);
		MemoryContextReset(row_context);
		SPI_freetuptable(batch);
	}
	SPI_cursor_close(portal);
	close_user(&pass);

	bulk_close(&pass.enriched);
	bulk_close(&pass.user_days);
	bulk_close(&pass.user_weeks);
	bulk_close(&pass.sessions);
	write_counts(&pass);
	write_day_counts(&pass);
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
