/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Read a foreign table's files one after another and turn their
 *		  records into rows, whatever their format: claim units of work,
 *		  fill partition and meta columns, apply on_error, say where every
 *		  failure happened, and let an observer follow along.
 *
 * The format's own work (columns found in the file, values converted,
 * positions) is a source's: src/readers/source.h.  Both the executor
 * (ritual_fdw.c) and ANALYZE drive a scan through ritual_scan_next;
 * ritual.ingest follows one through a RitualScanObserver.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "values/convert.h"
#include "readers/source.h"
#include "ritual.h"

/* How one attribute of the table is filled during this scan. */
typedef struct ScanColumn
{
	const char *name;			/* attribute name, for messages */
	RitualMeta	meta;
	bool		wanted;			/* the query needs its value */
	RitualConverter conv;

	/*
	 * A partition column takes its value from the path of a file that has
	 * its key; from a file that has not, it is read like any other column.
	 */
	const char *partition_key;	/* NULL: not a partition column */
	bool		from_path;		/* the current unit's path has the key */
	Datum		partition_value;
	bool		partition_null;
	char	   *partition_error;	/* why the value does not convert */
} ScanColumn;

/* The sources of the formats, each begun when a file of it comes. */
typedef enum ScanFormat
{
	SCAN_CSV,
	SCAN_PARQUET,
	SCAN_NFORMATS
} ScanFormat;

static const RitualSourceRoutine *const source_routines[SCAN_NFORMATS] = {
	&ritual_csv_source,
	&ritual_parquet_source,
};

struct RitualScan
{
	const char *relname;
	RitualOptions *opts;
	List	   *files;			/* RitualFile *, in reading order */
	int			next_file;		/* serial scan: index of the next file */
	RitualParallelState *parallel;	/* parallel scan: the shared units */
	const RitualScanObserver *observer; /* or NULL */
	ScanColumn *columns;		/* one per attribute */
	int			natts;
	bool		wants_errors;	/* some wanted column has meta 'errors' */

	/* what the sources see */
	RitualSourceColumn *source_columns;
	RitualSourceArgs source_args;
	RitualCursor cursor;
	void	   *sources[SCAN_NFORMATS]; /* begun sources, or NULL */

	/* the unit being read */
	const RitualSourceRoutine *routine; /* NULL: none open */
	void	   *source;
	RitualUnit	unit;
	const char *path;			/* of the unit, NULL when none */
	const char *path_text;		/* the path as valid text, for 'filename' */
	MemoryContext unit_context;

	ErrorContextCallback errcallback;

	/* the current row's problems */
	StringInfoData row_errors;	/* under on_error 'null' */
	bool		row_is_bad;
	char	   *reject_reason;	/* for the observer */

	/* totals, for the closing NOTICE and EXPLAIN ANALYZE */
	int64		bad_rows;
	int			files_read;
	char	   *first_bad;		/* where and why the first bad row failed */
	RitualReadCounts counts;	/* the sources add to it */
	RitualReadCounts shared;	/* what a parallel scan's process has added
								 * to the shared totals */

	/* ritual_scan_next_rows: a row made one at a time; a column of NULLs */
	Datum	   *row_values;
	bool	   *row_nulls;
	Datum		no_values[RITUAL_SCAN_ROWS];
	bool		all_null[RITUAL_SCAN_ROWS];
};

/*
 * Where the current record is, as messages say it: "line N", or for
 * Parquet "row group G, row N"; NULL if it cannot be told without raising
 * an error and may_fail is false.
 */
static char *
record_place(RitualScan *scan, bool may_fail, int64 *line)
{
	RitualPosition pos;

	scan->routine->position(scan->source, may_fail, &pos);
	if (line)
		*line = pos.line;
	if (pos.line < 0)
		return NULL;
	if (pos.row_group >= 0)
		return psprintf("row group %d, row " INT64_FORMAT,
						pos.row_group, pos.row_in_group);
	return psprintf("line " INT64_FORMAT, pos.line);
}

static void
scan_error_callback(void *arg)
{
	RitualScan *scan = arg;
	char	   *place;
	int			attnum = scan->cursor.attnum;

	if (scan->path == NULL)
		return;
	place = scan->routine ? record_place(scan, false, NULL) : NULL;
	if (place == NULL)
		errcontext("ritual_fdw table \"%s\", file \"%s\"",
				   scan->relname, scan->path);
	else if (attnum >= 0 && scan->cursor.value != NULL)
		errcontext("ritual_fdw table \"%s\", file \"%s\", %s, column %s: \"%s\"",
				   scan->relname, scan->path, place,
				   scan->columns[attnum].name,
				   ritual_shown_value(scan->cursor.value,
									  scan->cursor.value_len));
	else if (attnum >= 0)
		errcontext("ritual_fdw table \"%s\", file \"%s\", %s, column %s",
				   scan->relname, scan->path, place,
				   scan->columns[attnum].name);
	else
		errcontext("ritual_fdw table \"%s\", file \"%s\", %s",
				   scan->relname, scan->path, place);
}

/*
 * ritual_scan_converts_all
 *		Whether a scan converts every column, not only the 'needed' ones:
 *		whether a row is bad must not depend on the query, and under
 *		on_error 'skip' a bad value anywhere drops the row, while meta column
 *		'errors' lists the problems of the whole row.
 */
bool
ritual_scan_converts_all(const RitualOptions *opts, const bool *needed)
{
	if (needed == NULL || opts->on_error == RITUAL_ON_ERROR_SKIP)
		return true;
	for (int i = 0; i < opts->natts; i++)
	{
		if (needed[i] && opts->columns[i].meta == RITUAL_META_ERRORS)
			return true;
	}
	return false;
}

static bool note_problem(void *arg, int attnum, const char *message);

/*
 * ritual_scan_begin
 *		Prepare to read 'files' into rows of 'rel'.  needed[i] says whether
 *		attribute i must be converted; NULL means all of them.  With
 *		'parallel', the files are read in the units this process claims.
 *		With 'observer', whoever follows the scan says where each file is
 *		read from, and sees every record taken.
 */
RitualScan *
ritual_scan_begin(Relation rel, RitualOptions *opts, List *files,
				  const bool *needed, RitualParallelState *parallel,
				  const RitualScanObserver *observer)
{
	RitualScan *scan = palloc0(sizeof(RitualScan));
	TupleDesc	tupdesc = RelationGetDescr(rel);

	/* an observer resumes files where it says: serial scans only */
	Assert(observer == NULL || parallel == NULL);
	if (ritual_scan_converts_all(opts, needed))
		needed = NULL;

	scan->relname = pstrdup(RelationGetRelationName(rel));
	scan->opts = opts;
	scan->files = files;
	scan->parallel = parallel;
	scan->observer = observer;
	scan->natts = tupdesc->natts;
	scan->columns = palloc0(sizeof(ScanColumn) * Max(scan->natts, 1));
	scan->source_columns = palloc0(sizeof(RitualSourceColumn) *
								   Max(scan->natts, 1));
	for (int i = 0; i < scan->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		ScanColumn *col = &scan->columns[i];
		RitualSourceColumn *scol = &scan->source_columns[i];

		col->name = pstrdup(NameStr(attr->attname));
		col->meta = opts->columns[i].meta;
		col->partition_key = opts->columns[i].partition_key;
		col->wanted = !attr->attisdropped && (needed == NULL || needed[i]);
		scol->name = col->name;
		scol->file_name = opts->columns[i].header_name;
		scol->wanted = col->wanted;
		scol->conv = &col->conv;
		if (!col->wanted)
			continue;
		ritual_converter_init(&col->conv, attr->atttypid, attr->atttypmod);
		if (col->meta == RITUAL_META_ERRORS)
			scan->wants_errors = true;
	}
	scan->source_args.opts = opts;
	scan->source_args.natts = scan->natts;
	scan->source_args.columns = scan->source_columns;
	scan->source_args.cursor = &scan->cursor;
	scan->source_args.problem = note_problem;
	scan->source_args.problem_arg = scan;
	scan->source_args.for_ingest = (observer != NULL);
	scan->source_args.counts = &scan->counts;
	scan->cursor.attnum = -1;
	scan->row_values = palloc0(sizeof(Datum) * Max(scan->natts, 1));
	scan->row_nulls = palloc0(sizeof(bool) * Max(scan->natts, 1));
	memset(scan->all_null, true, sizeof(scan->all_null));
	scan->unit_context = AllocSetContextCreate(CurrentMemoryContext,
											   "ritual_fdw unit",
											   ALLOCSET_SMALL_SIZES);
	initStringInfo(&scan->row_errors);
	scan->errcallback.callback = scan_error_callback;
	scan->errcallback.arg = scan;
	return scan;
}

/*
 * Claim the next unit: in a serial scan the next file, in a parallel scan
 * the next unit of the shared list.  False when none is left.
 */
static bool
claim_unit(RitualScan *scan, RitualUnit *unit)
{
	unit->limit = -1;
	unit->start_line = -1;
	if (scan->parallel == NULL)
	{
		if (scan->next_file >= list_length(scan->files))
			return false;
		unit->file_index = scan->next_file++;
		unit->start = 0;
		unit->stop = -1;
	}
	else if (!ritual_parallel_next_unit(scan->parallel, &unit->file_index,
										&unit->start, &unit->stop))
		return false;
	unit->path = ((RitualFile *) list_nth(scan->files,
										  unit->file_index))->path;
	if (scan->observer)
		scan->observer->file_begin(scan->observer->arg, unit);
	return true;
}

/*
 * The partition columns' values for the current file, converted once; a
 * value that does not convert is reported on each row, per on_error.
 */
static void
convert_partition_values(RitualScan *scan)
{
	RitualFile *file = list_nth(scan->files, scan->unit.file_index);

	for (int i = 0; i < scan->natts; i++)
	{
		ScanColumn *col = &scan->columns[i];
		const RitualColumn *column = &scan->opts->columns[i];

		col->from_path = col->partition_key != NULL &&
			ritual_file_has_partition(file, col->partition_key);
		scan->source_columns[i].from_file = !column->dropped &&
			column->meta == RITUAL_META_NONE && !col->from_path;
		if (!col->from_path || !col->wanted)
			continue;
		col->partition_error = NULL;
		if (!ritual_convert_partition_value(&col->conv, file,
											col->partition_key,
											&col->partition_value,
											&col->partition_null,
											&col->partition_error))
			col->partition_null = true;
	}
}

/*
 * A file's path as valid text: each byte of an invalid sequence written as
 * \xNN, as in messages, so that meta column 'filename' is never invalid.
 */
static const char *
path_as_text(const char *path)
{
	int			len = strlen(path);

	if (pg_verifymbstr(path, len, true))
		return path;
	return ritual_printable_text(path, len, len, false);
}

static void
close_unit(RitualScan *scan)
{
	if (scan->routine)
		scan->routine->close(scan->source);
	scan->routine = NULL;
	scan->path = NULL;
	if (scan->parallel)
	{
		RitualReadCounts delta;

		delta.row_groups_read = scan->counts.row_groups_read -
			scan->shared.row_groups_read;
		delta.row_groups_skipped = scan->counts.row_groups_skipped -
			scan->shared.row_groups_skipped;
		delta.rows_skipped = scan->counts.rows_skipped -
			scan->shared.rows_skipped;
		delta.bytes_read = scan->counts.bytes_read - scan->shared.bytes_read;
		ritual_parallel_add_counts(scan->parallel, &delta);
		scan->shared = scan->counts;
	}
}

/* The observer is done with the unit's file. */
static void
end_observed_file(RitualScan *scan)
{
	if (scan->observer)
		scan->observer->file_end(scan->observer->arg);
}

/* Open the next unit that holds records; false when none is left. */
static bool
open_next_unit(RitualScan *scan)
{
	for (;;)
	{
		MemoryContext oldcontext;
		ScanFormat	format;
		bool		header;
		RitualRecordEnd header_end;
		bool		opened;

		if (!claim_unit(scan, &scan->unit))
			return false;

		MemoryContextReset(scan->unit_context);
		oldcontext = MemoryContextSwitchTo(scan->unit_context);
		scan->path = scan->unit.path;
		scan->path_text = path_as_text(scan->path);
		convert_partition_values(scan);
		format = ritual_format_of(scan->opts, scan->path) ==
			RITUAL_FORMAT_PARQUET ? SCAN_PARQUET : SCAN_CSV;
		if (scan->sources[format] == NULL)
		{
			MemoryContextSwitchTo(GetMemoryChunkContext(scan));
			scan->sources[format] =
				source_routines[format]->begin(&scan->source_args);
			MemoryContextSwitchTo(scan->unit_context);
		}
		scan->routine = source_routines[format];
		scan->source = scan->sources[format];
		opened = scan->routine->open(scan->source, &scan->unit, &header,
									 &header_end);
		MemoryContextSwitchTo(oldcontext);
		if (!opened)
		{
			close_unit(scan);
			continue;
		}
		if (scan->unit.start == 0)
		{
			scan->files_read++;
			if (scan->parallel)
				ritual_parallel_count_file_read(scan->parallel);
		}
		if (!header)
			return true;
		/* a header still being written holds back the whole file */
		if (scan->observer->record_read(scan->observer->arg, &header_end))
		{
			scan->observer->record_taken(scan->observer->arg, scan,
										 RITUAL_TAKEN_HEADER, &header_end,
										 0, NULL);
			return true;
		}
		end_observed_file(scan);
		close_unit(scan);
	}
}

/*
 * A row has a problem: raise it under on_error 'stop', otherwise count the
 * row as bad (once) and remember the first.  'attnum' is -1 for a problem of
 * the whole record.  Returns whether the row's other columns are still to
 * be converted (not under on_error 'skip').
 */
static bool
note_problem(void *arg, int attnum, const char *message)
{
	RitualScan *scan = arg;
	const char *column = attnum >= 0 ? scan->columns[attnum].name : NULL;
	int64		bad_rows;

	if (scan->opts->on_error == RITUAL_ON_ERROR_STOP)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("%s", message),
				 errhint("Fix the file, or set option on_error to 'skip' or 'null' to keep reading past bad rows.")));

	if (scan->opts->on_error == RITUAL_ON_ERROR_NULL && scan->wants_errors)
	{
		if (scan->row_errors.len > 0)
			appendStringInfoString(&scan->row_errors, "; ");
		if (column)
			appendStringInfo(&scan->row_errors, "%s: ", column);
		appendStringInfoString(&scan->row_errors, message);
	}
	if (scan->row_is_bad)
		return scan->opts->on_error != RITUAL_ON_ERROR_SKIP;
	scan->row_is_bad = true;
	if (scan->observer)
		scan->reject_reason = column ? psprintf("%s: %s", column, message) :
			pstrdup(message);
	scan->bad_rows++;
	bad_rows = scan->parallel ?
		ritual_parallel_count_bad_row(scan->parallel) : scan->bad_rows;
	if (scan->first_bad == NULL)
	{
		int64		line;
		char	   *place = record_place(scan, true, &line);

		scan->first_bad =
			MemoryContextStrdup(GetMemoryChunkContext(scan),
								column ?
								psprintf("file \"%s\", %s, column %s: %s",
										 scan->path, place, column, message) :
								psprintf("file \"%s\", %s: %s",
										 scan->path, place, message));
		if (scan->parallel)
			ritual_parallel_report_first_bad(scan->parallel,
											 scan->unit.file_index,
											 line, scan->first_bad);
	}
	if (scan->opts->reject_limit >= 0 &&
		bad_rows > scan->opts->reject_limit)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("more than " INT64_FORMAT " rows of table \"%s\" have errors",
						scan->opts->reject_limit, scan->relname),
				 errdetail("The first was at %s.", scan->first_bad),
				 scan->observer ?
				 errhint("Raise ritual.ingest's reject_limit, or fix the files.") :
				 errhint("Raise option reject_limit, or fix the files.")));
	return scan->opts->on_error != RITUAL_ON_ERROR_SKIP;
}

/* The current record's line (CSV) or row number (Parquet) in its file. */
static int64
record_line(RitualScan *scan)
{
	RitualPosition pos;

	scan->routine->position(scan->source, true, &pos);
	return pos.line;
}

/* The value of a meta column for the current row. */
static void
fill_meta(RitualScan *scan, int attnum, Datum *value, bool *isnull)
{
	ScanColumn *col = &scan->columns[attnum];

	*isnull = false;
	switch (col->meta)
	{
		case RITUAL_META_FILENAME:
			if (col->conv.typid == TEXTOID)
				*value = CStringGetTextDatum(scan->path_text);
			else
				*value = ritual_convert(&col->conv, (char *) scan->path_text,
										strlen(scan->path_text));
			break;
		case RITUAL_META_LINE:
			if (col->conv.typid == INT8OID)
				*value = Int64GetDatum(record_line(scan));
			else
			{
				char	   *line = psprintf(INT64_FORMAT, record_line(scan));

				*value = ritual_convert(&col->conv, line, strlen(line));
			}
			break;
		case RITUAL_META_ERRORS:
			if (scan->row_errors.len == 0)
				*isnull = true;
			else if (col->conv.typid == TEXTOID)
				*value = CStringGetTextDatum(scan->row_errors.data);
			else
				*value = ritual_convert(&col->conv, scan->row_errors.data,
										scan->row_errors.len);
			break;
		case RITUAL_META_NONE:
			Assert(false);
			break;
	}
}

/*
 * Turn the current record into a row; the values live in the current
 * context.  False when on_error 'skip' drops it.
 */
static bool
convert_record(RitualScan *scan, Datum *values, bool *nulls)
{
	bool		go_on = true;

	scan->row_is_bad = false;
	scan->reject_reason = NULL;
	resetStringInfo(&scan->row_errors);
	for (int i = 0; i < scan->natts; i++)
		nulls[i] = true;

	scan->routine->fill(scan->source, values, nulls);
	if (scan->row_is_bad && scan->opts->on_error == RITUAL_ON_ERROR_SKIP)
		return false;

	for (int i = 0; i < scan->natts && go_on; i++)
	{
		ScanColumn *col = &scan->columns[i];

		if (!col->wanted || !col->from_path)
			continue;
		if (col->partition_error == NULL)
		{
			values[i] = col->partition_value;
			nulls[i] = col->partition_null;
		}
		else
			go_on = note_problem(scan, i, col->partition_error);
	}
	if (!go_on)
		return false;

	/* meta columns last, so that 'errors' sees every problem */
	for (int i = 0; i < scan->natts; i++)
	{
		if (scan->columns[i].wanted && scan->columns[i].meta != RITUAL_META_NONE)
			fill_meta(scan, i, &values[i], &nulls[i]);
	}
	return true;
}

/*
 * ritual_scan_next
 *		Fill values/nulls with the next row; false when every file is read.
 *		Values are allocated in the caller's (per-row) memory context.
 */
bool
ritual_scan_next(RitualScan *scan, Datum *values, bool *nulls)
{
	const RitualScanObserver *observer = scan->observer;
	bool		found = false;

	scan->errcallback.previous = error_context_stack;
	error_context_stack = &scan->errcallback;
	for (;;)
	{
		RitualRecordEnd end;
		bool		kept;

		if (scan->routine == NULL && !open_next_unit(scan))
			break;
		if (!scan->routine->next(scan->source, &end) ||
			(observer && !observer->record_read(observer->arg, &end)))
		{
			end_observed_file(scan);
			close_unit(scan);
			continue;
		}
		kept = convert_record(scan, values, nulls);
		if (observer)
			observer->record_taken(observer->arg, scan,
								   kept ? RITUAL_TAKEN_ROW : RITUAL_TAKEN_REJECT,
								   &end, kept ? 0 : record_line(scan),
								   scan->reject_reason);
		if (kept)
		{
			found = true;
			break;
		}
	}
	error_context_stack = scan->errcallback.previous;
	return found;
}

/*
 * Whether the unit being read may hand over rows in one go: its source can,
 * and the scan has nothing to add to each row (meta or partition columns)
 * and nobody to tell of each.
 */
static bool
unit_takes_rows(RitualScan *scan)
{
	if (scan->routine->take_rows == NULL || scan->observer != NULL)
		return false;
	for (int i = 0; i < scan->natts; i++)
	{
		const ScanColumn *col = &scan->columns[i];

		if (col->wanted && (col->from_path || col->meta != RITUAL_META_NONE))
			return false;
	}
	return true;
}

/*
 * ritual_scan_next_rows
 *		The next rows, at most 'max' (up to RITUAL_SCAN_ROWS), column by
 *		column: columns[i] of each wanted attribute i.  Rows whose values a
 *		source has converted without a problem come in one go, others one at
 *		a time as ritual_scan_next makes them, so that on_error treats each
 *		the same.  The values stay valid until the next call; those made one
 *		at a time live in the current memory context.  Returns 0 when every
 *		file is read.
 */
int
ritual_scan_next_rows(RitualScan *scan, int max, RitualColumnRows *columns)
{
	max = Min(max, RITUAL_SCAN_ROWS);
	memset(columns, 0, sizeof(RitualColumnRows) * scan->natts);
	if (scan->routine != NULL && unit_takes_rows(scan))
	{
		int			n;

		scan->errcallback.previous = error_context_stack;
		error_context_stack = &scan->errcallback;
		n = scan->routine->take_rows(scan->source, max, columns);
		error_context_stack = scan->errcallback.previous;
		if (n > 0)
		{
			/* a wanted column the file has not is NULL */
			for (int i = 0; i < scan->natts; i++)
			{
				if (columns[i].nulls == NULL)
				{
					columns[i].values = scan->no_values;
					columns[i].nulls = scan->all_null;
				}
			}
			return n;
		}
		/* what a source set before it found no row to take */
		memset(columns, 0, sizeof(RitualColumnRows) * scan->natts);
	}
	if (!ritual_scan_next(scan, scan->row_values, scan->row_nulls))
		return 0;
	for (int i = 0; i < scan->natts; i++)
	{
		columns[i].values = &scan->row_values[i];
		columns[i].nulls = &scan->row_nulls[i];
	}
	return 1;
}

/*
 * ritual_scan_set_filter
 *		The query's conditions, for sources that can rule out a part of a
 *		file by what they know of its values (Parquet row groups'
 *		statistics).  Before the first row.
 */
void
ritual_scan_set_filter(RitualScan *scan, const RitualRangeFilter *filter)
{
	scan->source_args.filter = filter;
	scan->source_args.filter_columns = filter ?
		ritual_range_filter_columns(filter) : NULL;
}

/*
 * ritual_scan_raw
 *		The bytes of the unit being read between two offsets, or NULL when
 *		its source cannot tell.
 */
const char *
ritual_scan_raw(RitualScan *scan, int64 from, int64 to)
{
	return scan->routine->raw(scan->source, from, to);
}

/*
 * ritual_scan_rescan
 *		Start again from the first file.
 */
void
ritual_scan_rescan(RitualScan *scan)
{
	close_unit(scan);
	scan->next_file = 0;
	scan->bad_rows = 0;
	scan->files_read = 0;
	scan->first_bad = NULL;
	memset(&scan->counts, 0, sizeof(RitualReadCounts));
	memset(&scan->shared, 0, sizeof(RitualReadCounts));
}

/*
 * ritual_scan_report
 *		One NOTICE that sums up the rows on_error skipped or kept with NULLs.
 */
void
ritual_scan_report(RitualScan *scan)
{
	/* a worker's share is reported by the leader, a batch's by the ingest */
	if (scan->bad_rows == 0 || IsParallelWorker() || scan->observer)
		return;
	ereport(NOTICE,
			(errmsg(scan->opts->on_error == RITUAL_ON_ERROR_SKIP ?
					"ritual_fdw skipped " INT64_FORMAT " bad row%s of table \"%s\"" :
					"ritual_fdw set bad fields to NULL in " INT64_FORMAT " row%s of table \"%s\"",
					scan->bad_rows, scan->bad_rows == 1 ? "" : "s",
					scan->relname),
			 errdetail("The first was at %s.", scan->first_bad)));
}

/*
 * ritual_scan_collect_parallel_totals
 *		In the leader of a parallel scan, once the workers are done, take the
 *		totals of all processes as this scan's own.
 */
void
ritual_scan_collect_parallel_totals(RitualScan *scan)
{
	if (scan->parallel == NULL)
		return;
	ritual_parallel_totals(scan->parallel, &scan->bad_rows,
						   &scan->files_read, &scan->first_bad,
						   &scan->counts);
	scan->parallel = NULL;		/* the shared memory goes away next */
}

int64
ritual_scan_rows_rejected(RitualScan *scan)
{
	return scan->bad_rows;
}

int
ritual_scan_files_read(RitualScan *scan)
{
	return scan->files_read;
}

const RitualReadCounts *
ritual_scan_read_counts(RitualScan *scan)
{
	return &scan->counts;
}

/*
 * ritual_scan_end
 *		Close the file being read.
 */
void
ritual_scan_end(RitualScan *scan)
{
	close_unit(scan);
	for (int f = 0; f < SCAN_NFORMATS; f++)
	{
		if (scan->sources[f])
			source_routines[f]->end(scan->sources[f]);
	}
	MemoryContextDelete(scan->unit_context);
}
