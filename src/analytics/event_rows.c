/*-------------------------------------------------------------------------
 *
 * event_rows.c
 *		  What the full build's pass over the events (event_pass.c) and the
 *		  refresh's (refresh_pass.c) share, so that both give the same
 *		  values: the catalogue ritual.event_types numbered, so that a set
 *		  of types is a bitmap; the set of types seen at one user and time,
 *		  whose repeats are duplicates; counts by pairs of types; the values
 *		  an event row shows by itself; and the writing of a session.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "analytics/analytics.h"
#include "analytics/event_rows.h"
#include "analytics/text_hash.h"

const ColumnSpec enriched_columns[EE_COLUMNS] = {
	{"event_id", INT8OID}, {"user_id", INT8OID}, {"event_type", TEXTOID},
	{"raw_event_type", TEXTOID}, {"event_date", TIMESTAMPOID}, {"event_day", DATEOID},
	{"signup_date", DATEOID}, {"cohort_week", DATEOID},
	{"week_number_since_signup", INT4OID}, {"prev_event_type", TEXTOID},
	{"next_event_type", TEXTOID}, {"session_number", INT8OID}, {"flags", INT4OID},
	{"flag_names", TEXTOID}, {"source_file", TEXTOID}, {"source_line", INT8OID}
};

const ColumnSpec user_day_columns[3] = {
	{"user_id", INT8OID}, {"day", DATEOID}, {"events", INT8OID}
};

const ColumnSpec session_columns[7] = {
	{"user_id", INT8OID}, {"session_number", INT8OID}, {"session_start", TIMESTAMPOID},
	{"session_end", TIMESTAMPOID}, {"duration_seconds", FLOAT8OID}, {"events", INT4OID},
	{"path", TEXTOID}
};

typedef struct CatalogueEntry
{
	text	   *type;			/* key */
	int			id;
} CatalogueEntry;

/* Read the catalogue, SPI connected, into 'context'. */
void
catalogue_load(Catalogue *catalogue, MemoryContext context)
{
	MemoryContext old;

	if (SPI_execute("SELECT event_type FROM ritual.event_types WHERE event_type IS NOT NULL",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read ritual.event_types");
	old = MemoryContextSwitchTo(context);
	catalogue->context = context;
	catalogue->paths = NULL;
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
int
catalogue_id(Catalogue *catalogue, text *type)
{
	CatalogueEntry *entry = hash_search(catalogue->ids, &type, HASH_FIND, NULL);

	return entry ? entry->id : -1;
}

void
seen_reset(SeenTypes *seen)
{
	MemoryContextReset(seen->context);
	seen->known = NULL;
	seen->listed = 0;
	seen->hashed = NULL;
}

/* Add the type; true when it was there already. */
bool
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

HTAB *
pair_counts_create(const char *name, MemoryContext context)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(PairKey);
	ctl.entrysize = sizeof(PairCounts);
	ctl.hcxt = context;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Move 'place' to the user and time of 'row', calling
 * 'leave_user' first when the row begins another user.
 */
void
place_row(EventPlace *place, const EventInput *row, SortedBatchFunction leave_user, void *pass)
{
	if (row->null_user || !place->has_user || DatumGetInt64(row->user_id) != place->user_id)
	{
		leave_user(pass);
		place->has_user = !row->null_user;
		place->user_id = row->null_user ? 0 : DatumGetInt64(row->user_id);
		place->has_time = false;
	}
	if (!place->has_time || row->null_date || row->time != place->time)
	{
		seen_reset(&place->seen);
		place->has_time = !row->null_date;
		place->time = row->time;
	}
}

/*
 * Take an EventInput from a row of a pass's sorted read, whose columns
 * 'in' and 'in_null' (of at->columns) receive.
 */
void
event_input_read(EventInput *row, HeapTuple tuple, TupleDesc desc,
				 const EventInputColumns *at, Catalogue *catalogue, Datum *in, bool *in_null)
{
	if (desc->natts != at->columns)
		elog(ERROR, "the sorted read of the events has %d columns, not %d", desc->natts,
			 at->columns);
	/* each column in turn would walk the row from its start again */
	heap_deform_tuple(tuple, desc, in, in_null);
	if (in_null[at->event_id])
		elog(ERROR, "an event of the pass has no event_id");
	row->event_id = in[at->event_id];
	row->user_id = in[at->user_id], row->null_user = in_null[at->user_id];
	row->event_type = in[at->event_type], row->null_type = in_null[at->event_type];
	row->raw_event_type = in[at->raw_event_type];
	row->null_raw = in_null[at->raw_event_type];
	row->event_date = in[at->event_date], row->null_date = in_null[at->event_date];
	row->source_file = in[at->source_file], row->null_file = in_null[at->source_file];
	row->source_line = in[at->source_line], row->null_line = in_null[at->source_line];
	row->signup_date = in[at->signup_date], row->null_signup = in_null[at->signup_date];
	row->cohort_week = in[at->cohort_week], row->null_cohort = in_null[at->cohort_week];
	row->known_user = !in_null[at->known_user] && DatumGetBool(in[at->known_user]);
	row->type = row->null_type ? NULL : DatumGetTextPP(row->event_type);
	row->type_id = row->null_type ? -1 : catalogue_id(catalogue, row->type);
	row->time = row->null_date ? 0 : DatumGetTimestamp(row->event_date);
}

/*
 * Run 'query' (SPI connected) and hand its rows, a batch of 'batch_rows'
 * at a time, to 'each_row' in 'row_context', which is reset after each
 * batch, once 'after_batch' has written what refers to the batch.
 */
void
read_sorted_rows(const char *query, const char *what, int batch_rows,
				 SortedRowFunction each_row, SortedBatchFunction after_batch, void *pass,
				 MemoryContext row_context)
{
	SPIPlanPtr	plan = SPI_prepare(query, 0, NULL);
	Portal		portal;

	if (plan == NULL)
		elog(ERROR, "could not plan the read of %s: %s", what,
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPITupleTable *batch;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, batch_rows);
		if (SPI_processed == 0)
			break;
		/* SPI_processed is not the batch's once a row writes counts out */
		batch = SPI_tuptable;
		old = MemoryContextSwitchTo(row_context);
		for (uint64 i = 0; i < batch->numvals; i++)
			each_row(pass, batch->vals[i], batch->tupdesc);
		MemoryContextSwitchTo(old);
		after_batch(pass);
		MemoryContextReset(row_context);
		SPI_freetuptable(batch);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
}

/*
 * The values of an event row that it shows by itself, in 'values' and
 * 'isnull' by the EE_ columns: all but the previous and next type and the
 * session, left NULL.  'known_type' says the type is in the catalogue,
 * 'duplicate' that an earlier row has the user, type and time.  Returns
 * the flags; 'bytes' is about what the row takes.
 */
int32
event_row_values(const EventInput *in, bool known_type, bool duplicate, Timestamp reference,
				 Datum no_flag_names, Datum *values, bool *isnull, Size *bytes)
{
	Timestamp	time = in->time;
	EventFacts	facts;
	int32		flags;

	facts.has_user = !in->null_user;
	facts.has_type = !in->null_raw && !ritual_text_is_blank(DatumGetTextPP(in->raw_event_type));
	facts.has_date = !in->null_date;
	facts.event_date = time;
	facts.type_unknown = !known_type;
	facts.user_unknown = !in->known_user;
	facts.has_signup = !in->null_signup;
	facts.signup = in->null_signup ? 0 : DatumGetDateADT(in->signup_date);
	facts.has_reference = true;
	facts.reference = reference;
	flags = ritual_event_flag_bits(&facts);
	if (duplicate)
		flags |= FLAG_DUPLICATE;

	memset(isnull, true, sizeof(bool) * EE_COLUMNS);
	values[EE_EVENT_ID] = in->event_id;
	isnull[EE_EVENT_ID] = false;
	values[EE_USER_ID] = in->user_id;
	isnull[EE_USER_ID] = in->null_user;
	values[EE_EVENT_TYPE] = in->event_type;
	isnull[EE_EVENT_TYPE] = in->null_type;
	values[EE_RAW_EVENT_TYPE] = in->raw_event_type;
	isnull[EE_RAW_EVENT_TYPE] = in->null_raw;
	values[EE_EVENT_DATE] = in->event_date;
	isnull[EE_EVENT_DATE] = in->null_date;
	isnull[EE_EVENT_DAY] = in->null_date;
	if (!in->null_date)
		values[EE_EVENT_DAY] = DateADTGetDatum(ritual_timestamp_date(time));
	values[EE_SIGNUP_DATE] = in->signup_date;
	isnull[EE_SIGNUP_DATE] = in->null_signup;
	values[EE_COHORT_WEEK] = in->cohort_week;
	isnull[EE_COHORT_WEEK] = in->null_cohort;
	isnull[EE_WEEK_NUMBER] = in->null_signup || in->null_date || TIMESTAMP_NOT_FINITE(time) ||
		DATE_NOT_FINITE(DatumGetDateADT(in->signup_date));
	if (!isnull[EE_WEEK_NUMBER])
		values[EE_WEEK_NUMBER] =
			Int32GetDatum(ritual_week_number(ritual_timestamp_day(time),
											 DatumGetDateADT(in->signup_date), WEEK_SUNDAY));
	values[EE_FLAGS] = Int32GetDatum(flags);
	isnull[EE_FLAGS] = false;
	values[EE_FLAG_NAMES] = flags == 0 ? no_flag_names :
		PointerGetDatum(ritual_flag_names_text(flags));
	isnull[EE_FLAG_NAMES] = false;
	values[EE_SOURCE_FILE] = in->source_file;
	isnull[EE_SOURCE_FILE] = in->null_file;
	values[EE_SOURCE_LINE] = in->source_line;
	isnull[EE_SOURCE_LINE] = in->null_line;
	*bytes = 96 + (in->null_type ? 0 : VARSIZE_ANY(DatumGetPointer(in->event_type))) +
		(in->null_raw ? 0 : VARSIZE_ANY(DatumGetPointer(in->raw_event_type))) +
		(in->null_file ? 0 : VARSIZE_ANY(DatumGetPointer(in->source_file)));
	return flags;
}

/*
 * Whether a clean event at 'time' ends the open session, its gap from the
 * session's last event longer than 'gap': the caller writes the session
 * before adding the event.
 */
bool
session_ends_before(const SessionState *session, Timestamp time, INT128 gap)
{
	return session->number != 0 && ritual_session_breaks(session->end, time, gap);
}

/* Add a clean event of 'type' at 'time', in a new session after an ended one. */
void
session_add(SessionState *session, Timestamp time, bool new_session, int64 user_id, int type)
{
	if (session->number == 0 || new_session)
	{
		session->number++;
		session->rows = 0;
	}
	if (session->rows == 0)
		session->start = time;
	session->end = time;
	if (session->rows == PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a session of user %lld has more than %d events",
						(long long) user_id, PG_INT32_MAX)));
	if (session->rows < PATH_STEPS)
		session->types[session->rows] = type;
	session->rows++;
}

/* A session path spelt once: its types (-1 past a shorter one's end), its text. */
typedef struct PathSpelling
{
	int			types[PATH_STEPS];	/* key */
	Datum		path;
} PathSpelling;

/*
 * The session's path: its first PATH_STEPS types (fewer in a shorter
 * session) joined by ' > ', as text that lives as long as the catalogue
 * (each path is spelt once: a catalogue of n types has at most n^3 + n^2
 * + n of them), the same Datum for the same path.
 */
Datum
session_path(Catalogue *catalogue, const SessionState *session)
{
	int			key[PATH_STEPS];
	PathSpelling *spelling;
	bool		found;

	for (int s = 0; s < PATH_STEPS; s++)
		key[s] = s < session->rows ? session->types[s] : -1;
	if (catalogue->paths == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(PathSpelling);
		ctl.hcxt = catalogue->context;
		catalogue->paths = hash_create("ritual session paths spelt", 64, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	spelling = hash_search(catalogue->paths, key, HASH_ENTER, &found);
	if (!found)
	{
		StringInfoData path;
		MemoryContext old = MemoryContextSwitchTo(catalogue->context);

		initStringInfo(&path);
		for (int s = 0; s < PATH_STEPS && key[s] >= 0; s++)
		{
			text	   *type = DatumGetTextPP(catalogue->types[key[s]]);

			if (s > 0)
				appendStringInfoString(&path, " > ");
			appendBinaryStringInfo(&path, VARDATA_ANY(type), VARSIZE_ANY_EXHDR(type));
		}
		spelling->path = PointerGetDatum(cstring_to_text_with_len(path.data, path.len));
		pfree(path.data);
		MemoryContextSwitchTo(old);
	}
	return spelling->path;
}

/* Write a session of 'events' clean events from 'start' to 'end'. */
void
session_row_store(BulkTable *sessions, int64 user_id, int64 number, Timestamp start,
				  Timestamp end, int32 events, Datum path)
{
	TupleTableSlot *slot = bulk_next_slot(sessions);
	int64		usecs;

	/* extract(epoch FROM end - start): the exact difference, rounded once */
	if (pg_sub_s64_overflow(end, start, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	bulk_set(sessions, slot, 0, Int64GetDatum(user_id), false);
	bulk_set(sessions, slot, 1, Int64GetDatum(number), false);
	bulk_set(sessions, slot, 2, TimestampGetDatum(start), false);
	bulk_set(sessions, slot, 3, TimestampGetDatum(end), false);
	bulk_set(sessions, slot, 4, Float8GetDatum((double) usecs / USECS_PER_SEC), false);
	bulk_set(sessions, slot, 5, Int32GetDatum(events), false);
	bulk_set(sessions, slot, 6, path, false);
	/* (the path is session_path()'s, which outlives the batch) */
	bulk_store(sessions, slot, 48 + VARSIZE_ANY(DatumGetPointer(path)), false);
}
