/*-------------------------------------------------------------------------
 *
 * new_events.c
 *		  The read of the new raw events into the build's scratch table
 *		  pg_temp._ritual_new_events (read_new_rows in
 *		  src/sql/code/reporting.sql): each row's event type normalized,
 *		  its place in the scan numbered, and whether the rows came in
 *		  provenance order found out on the way.
 *
 * In SQL these were lower(btrim()) of every row and window functions over
 * the whole scan, which keep every row once more: half the cost of the
 * read.  Here an event type is normalized once per distinct spelling (a
 * small cache), and the order is a comparison with the row before.  The
 * rows go to the table as COPY writes them (bulk_insert.c).  The last line
 * read of each file, which the watermarks of the next refresh are, and the
 * rows with bad fields, which a NOTICE sums up, are counted on the way too:
 * a query over the table would read it again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "ritual.h"
#include "analytics/bulk_insert.h"
#include "analytics/text_hash.h"

PG_FUNCTION_INFO_V1(ritual_copy_new_events);

/* the query's columns */
enum
{
	IN_USER_ID,
	IN_EVENT_TYPE,
	IN_EVENT_DATE,
	IN_SOURCE_FILE,
	IN_SOURCE_LINE,
	IN_ERRORS,
	IN_INCLUDED_LINE,
	IN_COLUMNS
};

static const Oid in_types[IN_COLUMNS] = {INT8OID, TEXTOID, TIMESTAMPOID, TEXTOID, INT8OID,
TEXTOID, INT8OID};

/* the scratch table's columns */
static const ColumnSpec new_event_columns[] = {
	{"user_id", INT8OID},
	{"event_type", TEXTOID},
	{"raw_event_type", TEXTOID},
	{"event_date", TIMESTAMPOID},
	{"source_file", TEXTOID},
	{"source_line", INT8OID},
	{"scan_order", INT8OID},
	{"errors", TEXTOID},
	{"included_line", INT8OID}
};

/*
 * Normalized event types by spelling, a direct-mapped cache: an export has
 * a few dozen spellings, and a hostile one that has millions only misses.
 */
#define TYPE_CACHE_SIZE 256

typedef struct TypeCacheEntry
{
	text	   *spelling;		/* NULL: empty entry */
	text	   *normalized;		/* NULL: blank */
} TypeCacheEntry;

/* the last line read of a file */
typedef struct FileLines
{
	text	   *file;			/* key */
	int64		last_line;
} FileLines;

/* the first row with bad fields */
typedef struct BadRow
{
	text	   *file;			/* NULL for none */
	bool		has_line;
	int64		line;
	text	   *errors;
} BadRow;

typedef struct NewEventsReceiver
{
	DestReceiver pub;
	BulkTable	table;
	MemoryContext context;		/* the cache and the files' names */
	Oid			type_collation;
	Oid			file_collation;
	TypeCacheEntry types[TYPE_CACHE_SIZE];
	int64		rows;
	int64		numbered;		/* rows but the ones read only to be checked */
	bool		in_order;
	HTAB	   *file_lines;		/* FileLines by file */
	FileLines  *run;			/* the entry of the file read last */
	int64		last_line;		/* the line read last, while in order */
	int64		bad_rows;		/* rows with bad fields */
	BadRow		first_bad;
} NewEventsReceiver;

/* nullif(lower(btrim(spelling)), ''), as enriched_events.event_type says */
static text *
normalize_type(NewEventsReceiver *receiver, text *spelling)
{
	Size		len = VARSIZE_ANY_EXHDR(spelling);
	TypeCacheEntry *entry = &receiver->types[hash_bytes((unsigned char *) VARDATA_ANY(spelling),
														len) % TYPE_CACHE_SIZE];
	MemoryContext old;
	text	   *normalized;

	if (entry->spelling != NULL && VARSIZE_ANY_EXHDR(entry->spelling) == len &&
		memcmp(VARDATA_ANY(entry->spelling), VARDATA_ANY(spelling), len) == 0)
		return entry->normalized;

	old = MemoryContextSwitchTo(receiver->context);
	normalized = DatumGetTextPP(DirectFunctionCall1Coll(lower, receiver->type_collation,
														DirectFunctionCall1Coll(btrim1,
																				receiver->type_collation,
																				PointerGetDatum(spelling))));
	if (VARSIZE_ANY_EXHDR(normalized) == 0)
		normalized = NULL;
	if (entry->spelling != NULL)
	{
		pfree(entry->spelling);
		if (entry->normalized != NULL)
			pfree(entry->normalized);
	}
	entry->spelling = DatumGetTextPCopy(PointerGetDatum(spelling));
	entry->normalized = normalized != NULL ? DatumGetTextPCopy(PointerGetDatum(normalized)) : NULL;
	MemoryContextSwitchTo(old);
	return entry->normalized;
}

/* Files compared as ORDER BY source_file compares them. */
static int
compare_files(NewEventsReceiver *receiver, const text *a, const text *b)
{
	if (VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0)
		return 0;
	return varstr_cmp(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a), VARDATA_ANY(b),
					  VARSIZE_ANY_EXHDR(b), receiver->file_collation);
}

/*
 * Whether the row at (file, line) comes after the row before in provenance
 * order, (file, line) < (file, line) as SQL compares rows.  While the rows
 * are in order each had a file and a line, so the row before's file is
 * that of the run of lines counted last.
 */
static bool
comes_after(NewEventsReceiver *receiver, text *file, int64 line)
{
	int			cmp;

	if (receiver->rows == 1)
		return true;
	cmp = compare_files(receiver, receiver->run->file, file);
	return cmp < 0 || (cmp == 0 && receiver->last_line < line);
}

/*
 * A row with bad fields (its errors column not NULL): counted, and kept
 * when it is the first in provenance order (ORDER BY source_file,
 * source_line, NULLs last) for the NOTICE that names it.
 */
static void
count_bad_row(NewEventsReceiver *receiver, text *file, bool has_line, int64 line, text *errors)
{
	BadRow	   *first = &receiver->first_bad;
	bool		before;

	if (receiver->bad_rows++ == 0)
		before = true;
	else if (file == NULL || first->file == NULL)
		before = file != NULL && first->file == NULL;
	else
	{
		int			cmp = compare_files(receiver, file, first->file);

		before = cmp < 0 ||
			(cmp == 0 && has_line && (!first->has_line || line < first->line));
	}
	if (!before)
		return;
	if (first->file != NULL)
		pfree(first->file);
	if (first->errors != NULL)
		pfree(first->errors);
	first->file = NULL;
	if (file != NULL)
	{
		first->file = MemoryContextAlloc(receiver->context, VARSIZE_ANY(file));
		memcpy(first->file, file, VARSIZE_ANY(file));
	}
	first->has_line = has_line;
	first->line = line;
	first->errors = MemoryContextAlloc(receiver->context, VARSIZE_ANY(errors));
	memcpy(first->errors, errors, VARSIZE_ANY(errors));
}

/* A row of 'file' at 'line' was read. */
static void
count_line(NewEventsReceiver *receiver, text *file, int64 line)
{
	FileLines  *entry = receiver->run;

	if (entry == NULL || text_pointer_match(&entry->file, &file, sizeof(text *)) != 0)
	{
		bool		found;

		entry = hash_search(receiver->file_lines, &file, HASH_ENTER, &found);
		if (!found)
		{
			entry->file = (text *) MemoryContextAlloc(receiver->context, VARSIZE_ANY(file));
			memcpy(entry->file, file, VARSIZE_ANY(file));
			entry->last_line = line;
		}
		receiver->run = entry;
	}
	entry->last_line = Max(entry->last_line, line);
}

static void
new_events_startup(DestReceiver *self, pg_attribute_unused() int operation, TupleDesc desc)
{
	NewEventsReceiver *receiver = (NewEventsReceiver *) self;

	if (desc->natts != IN_COLUMNS)
		elog(ERROR, "the read of the new events has %d columns, not %d", desc->natts, IN_COLUMNS);
	for (int i = 0; i < IN_COLUMNS; i++)
	{
		if (TupleDescAttr(desc, i)->atttypid != in_types[i])
			elog(ERROR, "column %d of the read of the new events has type %u, not %u",
				 i + 1, TupleDescAttr(desc, i)->atttypid, in_types[i]);
	}
	receiver->type_collation = TupleDescAttr(desc, IN_EVENT_TYPE)->attcollation;
	if (!OidIsValid(receiver->type_collation))
		receiver->type_collation = DEFAULT_COLLATION_OID;
	receiver->file_collation = TupleDescAttr(desc, IN_SOURCE_FILE)->attcollation;
	if (!OidIsValid(receiver->file_collation))
		receiver->file_collation = DEFAULT_COLLATION_OID;
}

static bool
new_events_receive(TupleTableSlot *in, DestReceiver *self)
{
	NewEventsReceiver *receiver = (NewEventsReceiver *) self;
	BulkTable  *table = &receiver->table;
	TupleTableSlot *out = bulk_next_slot(table);
	Datum	   *values = in->tts_values;
	bool	   *isnull = in->tts_isnull;
	text	   *spelling = NULL;
	text	   *type = NULL;
	text	   *file = NULL;
	Size		bytes = 64;
	bool		checked;

	slot_getallattrs(in);
	receiver->rows++;
	if (!isnull[IN_EVENT_TYPE])
	{
		spelling = DatumGetTextPP(values[IN_EVENT_TYPE]);
		type = normalize_type(receiver, spelling);
		bytes += 2 * VARSIZE_ANY(spelling);
	}
	if (!isnull[IN_SOURCE_FILE])
	{
		file = DatumGetTextPP(values[IN_SOURCE_FILE]);
		bytes += VARSIZE_ANY(file);
	}
	/* the last row a refresh included is read again only to be checked */
	checked = !isnull[IN_INCLUDED_LINE] && !isnull[IN_SOURCE_LINE] &&
		DatumGetInt64(values[IN_INCLUDED_LINE]) == DatumGetInt64(values[IN_SOURCE_LINE]);
	if (!checked)
		receiver->numbered++;
	if (!isnull[IN_ERRORS] && !checked)
	{
		text	   *errors = DatumGetTextPP(values[IN_ERRORS]);

		bytes += VARSIZE_ANY(errors);
		count_bad_row(receiver, file, !isnull[IN_SOURCE_LINE],
					  isnull[IN_SOURCE_LINE] ? 0 : DatumGetInt64(values[IN_SOURCE_LINE]), errors);
		if ((Pointer) errors != DatumGetPointer(values[IN_ERRORS]))
			pfree(errors);
	}

	/* a row without a file or line is in no order */
	if (file != NULL && !isnull[IN_SOURCE_LINE])
	{
		int64		line = DatumGetInt64(values[IN_SOURCE_LINE]);

		receiver->in_order = receiver->in_order && comes_after(receiver, file, line);
		receiver->last_line = line;
		count_line(receiver, file, line);
	}
	else
		receiver->in_order = false;

	bulk_set(table, out, 0, values[IN_USER_ID], isnull[IN_USER_ID]);
	bulk_set(table, out, 1, PointerGetDatum(type), type == NULL);
	bulk_set(table, out, 2, PointerGetDatum(spelling), spelling == NULL);
	bulk_set(table, out, 3, values[IN_EVENT_DATE], isnull[IN_EVENT_DATE]);
	bulk_set(table, out, 4, PointerGetDatum(file), file == NULL);
	bulk_set(table, out, 5, values[IN_SOURCE_LINE], isnull[IN_SOURCE_LINE]);
	bulk_set(table, out, 6, Int64GetDatum(receiver->numbered), checked);
	bulk_set(table, out, 7, values[IN_ERRORS], isnull[IN_ERRORS]);
	bulk_set(table, out, 8, values[IN_INCLUDED_LINE], isnull[IN_INCLUDED_LINE]);
	/* the values are the executor's until its next row, or detoasted here */
	bulk_store(table, out, bytes, true);
	if (spelling != NULL && (Pointer) spelling != DatumGetPointer(values[IN_EVENT_TYPE]))
		pfree(spelling);
	if (file != NULL && (Pointer) file != DatumGetPointer(values[IN_SOURCE_FILE]))
		pfree(file);
	return true;
}

static void
new_events_shutdown(pg_attribute_unused() DestReceiver *self)
{
}

static void
new_events_destroy(pg_attribute_unused() DestReceiver *self)
{
}

/*
 * copy_new_events(query text, OUT in_order boolean, OUT files text[],
 *				   OUT last_lines bigint[], OUT bad_rows bigint,
 *				   OUT first_bad_file text, OUT first_bad_line bigint,
 *				   OUT first_bad_errors text)
 *		Write the rows of 'query' (user_id bigint, event_type text,
 *		event_date timestamp, source_file text, source_line bigint, errors
 *		text, included_line bigint) to pg_temp._ritual_new_events, each
 *		numbered in the order read (scan_order, from 1; NULL for a row read
 *		again only to be checked, the last a refresh included of its file)
 *		and with its event type normalized (the raw one kept).  Return whether every row came
 *		after the one before in provenance order, file then line; the
 *		last line read of each file; and the rows whose errors column is
 *		not NULL, with the first of them in provenance order.  Internal to
 *		read_new_rows, which made the table.
 */
Datum
ritual_copy_new_events(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	NewEventsReceiver *receiver = palloc0(sizeof(NewEventsReceiver));
	SPIExecuteOptions options;
	Oid			relid;
	TupleDesc	result_desc;
	Datum		result[7];
	bool		result_nulls[7] = {false, false, false, false, false, false, false};
	long		nfiles;
	Datum	   *files;
	Datum	   *last_lines;
	HASH_SEQ_STATUS scan;
	FileLines  *entry;
	int			i = 0;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "copy_new_events must return a row");
	receiver->pub.receiveSlot = new_events_receive;
	receiver->pub.rStartup = new_events_startup;
	receiver->pub.rShutdown = new_events_shutdown;
	receiver->pub.rDestroy = new_events_destroy;
	receiver->pub.mydest = DestNone;
	receiver->context = AllocSetContextCreate(CurrentMemoryContext, "ritual new events",
											  ALLOCSET_SMALL_SIZES);
	receiver->file_lines = text_set_create("ritual last line per file", 64, sizeof(FileLines),
										   receiver->context);
	receiver->in_order = true;

	relid = RangeVarGetRelid(makeRangeVar("pg_temp", "_ritual_new_events", -1), NoLock, false);
	bulk_open(&receiver->table, relid, new_event_columns, lengthof(new_event_columns));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&options, 0, sizeof(options));
	options.dest = &receiver->pub;
	if (SPI_execute_extended(query, &options) < 0)
		elog(ERROR, "could not read the new events");
	SPI_finish();
	bulk_close(&receiver->table);

	nfiles = hash_get_num_entries(receiver->file_lines);
	files = palloc(sizeof(Datum) * Max(nfiles, 1));
	last_lines = palloc(sizeof(Datum) * Max(nfiles, 1));
	hash_seq_init(&scan, receiver->file_lines);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		files[i] = PointerGetDatum(entry->file);
		last_lines[i++] = Int64GetDatum(entry->last_line);
	}
	result[0] = BoolGetDatum(receiver->in_order);
	result[1] = PointerGetDatum(construct_array(files, i, TEXTOID, -1, false, TYPALIGN_INT));
	result[2] = PointerGetDatum(construct_array(last_lines, i, INT8OID, 8, FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	result[3] = Int64GetDatum(receiver->bad_rows);
	result_nulls[4] = receiver->first_bad.file == NULL;
	if (!result_nulls[4])
		result[4] = PointerGetDatum(DatumGetTextPCopy(PointerGetDatum(receiver->first_bad.file)));
	result_nulls[5] = receiver->bad_rows == 0 || !receiver->first_bad.has_line;
	result[5] = Int64GetDatum(receiver->first_bad.line);
	result_nulls[6] = receiver->first_bad.errors == NULL;
	if (!result_nulls[6])
		result[6] = PointerGetDatum(DatumGetTextPCopy(PointerGetDatum(receiver->first_bad.errors)));
	MemoryContextDelete(receiver->context);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc),
													  result, result_nulls)));
}
