/*-------------------------------------------------------------------------
 *
 * event_rows.h
 *		  What the two passes over the events share (event_rows.c): the
 *		  full build's (event_pass.c) and the refresh's (refresh_pass.c).
 *		  The catalogue of event types, numbered; the set of types seen at
 *		  one user and time, whose repeats are duplicates; counts by pairs
 *		  of types (and of day and type); the columns of
 *		  enriched_events and sessions; and the values of an event row that
 *		  the row shows by itself.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_EVENT_ROWS_H
#define RITUAL_EVENT_ROWS_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "common/int128.h"
#include "datatype/timestamp.h"
#include "nodes/bitmapset.h"
#include "utils/hsearch.h"

#include "analytics/bulk_insert.h"

/* types of one user and time kept in a list before a hash table pays */
#define RUN_LIST_MAX	16

/* The catalogue ritual.event_types, its types numbered from 0. */
typedef struct Catalogue
{
	HTAB	   *ids;
	Datum	   *types;			/* types[id], the text */
	int			count;
	HTAB	   *paths;			/* session paths spelt so far, by their types */
	MemoryContext context;
} Catalogue;

/*
 * The types seen at one user and time: catalogue types by id, others by
 * text, in a list until it grows long, then in a hash table (a hostile
 * file may put any number of types at one time).  All of it lives in
 * 'context', which seen_reset() empties.
 */
typedef struct SeenTypes
{
	MemoryContext context;
	Bitmapset  *known;
	text	   *list[RUN_LIST_MAX];
	int			listed;
	HTAB	   *hashed;
} SeenTypes;

/*
 * Where a pass's sorted read is: the user (rows without one come last,
 * each its own) and time, and the types seen there.
 */
typedef struct EventPlace
{
	bool		has_user;
	int64		user_id;
	bool		has_time;
	Timestamp	time;
	SeenTypes	seen;
} EventPlace;

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

extern void catalogue_load(Catalogue *catalogue, MemoryContext context);
extern int	catalogue_id(Catalogue *catalogue, text *type);
extern void seen_reset(SeenTypes *seen);
extern bool seen_add(SeenTypes *seen, int id, text *type);
extern HTAB *pair_counts_create(const char *name, MemoryContext context);

/* The counts of the pair (a, b), zero when new (inline: once per clean event of a build). */
static inline PairCounts *
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

/* the columns of ritual.enriched_events, in order */
enum
{
	EE_EVENT_ID, EE_USER_ID, EE_EVENT_TYPE, EE_RAW_EVENT_TYPE, EE_EVENT_DATE,
	EE_EVENT_DAY, EE_SIGNUP_DATE, EE_COHORT_WEEK, EE_WEEK_NUMBER, EE_PREV_EVENT_TYPE,
	EE_NEXT_EVENT_TYPE, EE_SESSION_NUMBER, EE_FLAGS, EE_FLAG_NAMES, EE_SOURCE_FILE,
	EE_SOURCE_LINE, EE_COLUMNS
};

extern const ColumnSpec enriched_columns[EE_COLUMNS];
extern const ColumnSpec user_day_columns[3];
extern const ColumnSpec session_columns[7];

/* An event row as a pass reads it: the raw row and its user's profile. */
typedef struct EventInput
{
	Datum		event_id;
	Datum		user_id;
	Datum		event_type;		/* normalised */
	Datum		raw_event_type;
	Datum		event_date;
	Datum		source_file;
	Datum		source_line;
	Datum		signup_date;
	Datum		cohort_week;
	bool		null_user;
	bool		null_type;
	bool		null_raw;
	bool		null_date;
	bool		null_file;
	bool		null_line;
	bool		null_signup;
	bool		null_cohort;
	bool		known_user;		/* has a profile with a signup date */
	text	   *type;			/* event_type, or NULL */
	int			type_id;		/* its catalogue id, or -1 */
	Timestamp	time;			/* event_date, or 0 */
} EventInput;

/* Where a pass's sorted read has the columns of an EventInput. */
typedef struct EventInputColumns
{
	int			columns;		/* of the read */
	int			event_id;
	int			user_id;
	int			event_type;
	int			raw_event_type;
	int			event_date;
	int			source_file;
	int			source_line;
	int			signup_date;
	int			cohort_week;
	int			known_user;
} EventInputColumns;

/* What a pass does with each row of its sorted read, and after each batch. */
typedef void (*SortedRowFunction) (void *pass, HeapTuple tuple, TupleDesc desc);
typedef void (*SortedBatchFunction) (void *pass);

extern void place_row(EventPlace *place, const EventInput *row,
					  SortedBatchFunction leave_user, void *pass);
extern void event_input_read(EventInput *row, HeapTuple tuple, TupleDesc desc,
							 const EventInputColumns *at, Catalogue *catalogue,
							 Datum *in, bool *in_null);
extern void read_sorted_rows(const char *query, const char *what, int batch_rows,
							 SortedRowFunction each_row, SortedBatchFunction after_batch,
							 void *pass, MemoryContext row_context);
/* the event types of a session's path: its first ones */
#define PATH_STEPS		3

/* A user's session as a pass walks their clean events. */
typedef struct SessionState
{
	int64		number;			/* 0 before the user's first clean event */
	Timestamp	start;
	Timestamp	end;
	int32		rows;
	int			types[PATH_STEPS];	/* catalogue ids of its first rows */
} SessionState;

extern bool session_ends_before(const SessionState *session, Timestamp time, INT128 gap);
extern void session_add(SessionState *session, Timestamp time, bool new_session,
						int64 user_id, int type);
extern Datum session_path(Catalogue *catalogue, const SessionState *session);
extern int32 event_row_values(const EventInput *in, bool known_type, bool duplicate,
							  Timestamp reference, Datum no_flag_names,
							  Datum *values, bool *isnull, Size *bytes);
extern void session_row_store(BulkTable *sessions, int64 user_id, int64 number,
							  Timestamp start, Timestamp end, int32 events, Datum path);

#endif							/* RITUAL_EVENT_ROWS_H */
