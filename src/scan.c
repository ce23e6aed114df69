/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Read a foreign table's files one after another and turn their
 *		  records into rows: match columns by header name or position, fill
 *		  meta columns, apply on_error, and say where every failure happened.
 *
 * Both the executor (ritual_fdw.c) and ANALYZE drive a scan through
 * ritual_scan_next.
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

#include "convert.h"
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

typedef enum RowOutcome
{
	ROW_CLEAN,
	ROW_KEPT_WITH_NULLS,
	ROW_SKIPPED
} RowOutcome;

struct RitualScan
{
	const char *relname;
	RitualOptions *opts;
	List	   *files;			/* RitualFile *, in reading order */
	int			next_file;		/* serial scan: index of the next file */
	RitualParallelState *parallel;	/* parallel scan: the shared units */
	ScanColumn *columns;		/* one per attribute */
	int			natts;
	bool		wants_errors;	/* some wanted column has meta 'errors' */
	bool		wants_line;		/* some wanted column has meta 'line' */
	bool		has_arena_columns;	/* some wanted text column uses the arena */
	int			null_len;		/* of option null */

	/*
	 * The unit being read: a whole file, or in a parallel scan a block of
	 * one.  The reader lives in unit_context.
	 */
	MemoryContext unit_context;
	CsvReader  *reader;
	const char *path;
	const char *path_text;		/* the path as valid text, for 'filename' */
	int			file_index;
	int64		unit_start;		/* file offset of the unit's first line */
	int64		line_base;		/* line ends before unit_start, or -1 while
								 * not yet counted */
	CsvPrefixCount line_ends;	/* counted in file_index's prefix */
	CsvPrefixCount quotes;		/* counted in file_index's prefix */

	/* how columns map to the fields of file mapped_file; in map_context */
	MemoryContext map_context;
	int			mapped_file;	/* -1: none */
	int		   *field_of_attr;	/* field index per attribute, -1: none */
	int			expected_fields;

	/* where we are, for the error-context callback */
	int64		line;			/* in the unit, from 1; 0 before a record */
	int			attnum;			/* 0-based attribute being converted, or -1 */
	const char *value;
	int			value_len;
	ErrorContextCallback errcallback;

	/* text values of the current row */
	RitualRowArena arena;

	/* the current row's problems under on_error 'null' */
	StringInfoData row_errors;
	bool		row_is_bad;

	/*
	 * Reading a batch of ritual.ingest: the file being read, where its
	 * current record starts, and why the current row was rejected.
	 */
	RitualIngestScan *ingest;
	RitualIngestFile *ingest_file;
	int64		record_start;
	char	   *reject_reason;
	bool		unit_held;		/* the file's header is not complete yet */

	/* totals, for the closing NOTICE and EXPLAIN ANALYZE */
	int64		bad_rows;
	int			files_read;
	char	   *first_bad;		/* where and why the first bad row failed */
};

/*
 * The line in the file where the current record starts; counting the line
 * ends before a block of a parallel scan is left until a line is needed.
 * -1 if they cannot be counted (only inside the error-context callback,
 * which must not raise errors).
 */
static int64
absolute_line(RitualScan *scan)
{
	if (scan->line_base < 0)
		scan->line_base = csv_count_line_ends(scan->path, scan->unit_start,
											  &scan->line_ends);
	if (scan->line_base < 0)
		return -1;
	return scan->line_base + scan->line;
}

/* absolute_line, for callers that may raise an error. */
static int64
checked_line(RitualScan *scan)
{
	int64		line = absolute_line(scan);

	if (line < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not count the lines of file \"%s\": %m",
						scan->path)));
	return line;
}

static void
scan_error_callback(void *arg)
{
	RitualScan *scan = arg;
	int64		line = scan->line > 0 ? absolute_line(scan) : -1;

	if (scan->path == NULL)
		return;
	if (line < 0)
		errcontext("ritual_fdw table \"%s\", file \"%s\"",
				   scan->relname, scan->path);
	else if (scan->attnum >= 0 && scan->value != NULL)
		errcontext("ritual_fdw table \"%s\", file \"%s\", line " INT64_FORMAT ", column %s: \"%s\"",
				   scan->relname, scan->path, line,
				   scan->columns[scan->attnum].name,
				   ritual_shown_value(scan->value, scan->value_len));
	else if (scan->attnum >= 0)
		errcontext("ritual_fdw table \"%s\", file \"%s\", line " INT64_FORMAT ", column %s",
				   scan->relname, scan->path, line,
				   scan->columns[scan->attnum].name);
	else
		errcontext("ritual_fdw table \"%s\", file \"%s\", line " INT64_FORMAT,
				   scan->relname, scan->path, line);
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

/*
 * ritual_scan_begin
 *		Prepare to read 'files' into rows of 'rel'.  needed[i] says whether
 *		attribute i must be converted; NULL means all of them.  With
 *		'parallel', the files are read in the units this process claims.
 *		With 'ingest', the batch's files are read from where the last batch
 *		stopped, and bad rows are set aside for the batch's rejects.
 */
RitualScan *
ritual_scan_begin(Relation rel, RitualOptions *opts, List *files,
				  const bool *needed, RitualParallelState *parallel,
				  RitualIngestScan *ingest)
{
	RitualScan *scan = palloc0(sizeof(RitualScan));
	TupleDesc	tupdesc = RelationGetDescr(rel);

	/* a batch is claimed only by a serial scan (ritual_ingest_claim) */
	Assert(ingest == NULL || parallel == NULL);
	if (ingest)
	{
		RitualOptions *batch_opts = palloc(sizeof(RitualOptions));

		/* a bad row is set aside, unless the table keeps it with NULLs */
		*batch_opts = *opts;
		if (opts->on_error != RITUAL_ON_ERROR_NULL)
			batch_opts->on_error = RITUAL_ON_ERROR_SKIP;
		batch_opts->reject_limit = ingest->reject_limit;
		opts = batch_opts;
		scan->ingest = ingest;
	}

	if (ritual_scan_converts_all(opts, needed))
		needed = NULL;

	scan->relname = pstrdup(RelationGetRelationName(rel));
	scan->opts = opts;
	scan->null_len = opts->null_string ? strlen(opts->null_string) : 0;
	scan->files = files;
	scan->parallel = parallel;
	scan->natts = tupdesc->natts;
	scan->columns = palloc0(sizeof(ScanColumn) * Max(scan->natts, 1));
	for (int i = 0; i < scan->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		ScanColumn *col = &scan->columns[i];

		col->name = pstrdup(NameStr(attr->attname));
		col->meta = opts->columns[i].meta;
		col->partition_key = opts->columns[i].partition_key;
		col->wanted = !attr->attisdropped && (needed == NULL || needed[i]);
		if (!col->wanted)
			continue;
		ritual_converter_init(&col->conv, attr->atttypid, attr->atttypmod);
		if (col->meta == RITUAL_META_NONE && col->partition_key == NULL &&
			col->conv.fast == FAST_TEXT)
		{
			col->conv.arena = &scan->arena;
			scan->has_arena_columns = true;
		}
		if (col->meta == RITUAL_META_ERRORS)
			scan->wants_errors = true;
		if (col->meta == RITUAL_META_LINE)
			scan->wants_line = true;
	}
	scan->unit_context = AllocSetContextCreate(CurrentMemoryContext,
											   "ritual_fdw unit",
											   ALLOCSET_DEFAULT_SIZES);
	scan->map_context = AllocSetContextCreate(CurrentMemoryContext,
											  "ritual_fdw column map",
											  ALLOCSET_SMALL_SIZES);
	scan->mapped_file = -1;
	scan->file_index = -1;
	initStringInfo(&scan->row_errors);
	scan->attnum = -1;
	scan->errcallback.callback = scan_error_callback;
	scan->errcallback.arg = scan;
	return scan;
}

/* Whether attribute 'attnum' is read from the current file's fields. */
static inline bool
is_file_column(RitualScan *scan, int attnum)
{
	const RitualColumn *column = &scan->opts->columns[attnum];

	return !column->dropped && column->meta == RITUAL_META_NONE &&
		!scan->columns[attnum].from_path;
}

/* Is 'name' (a header field) the header name of 'column'? */
static bool
header_matches(const char *name, int len, const char *column)
{
	while (len > 0 && (*name == ' ' || *name == '\t'))
		name++, len--;
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	return strlen(column) == (size_t) len &&
		pg_strncasecmp(name, column, len) == 0;
}

/* Map columns to the fields of a file's header. */
static void
map_by_header(RitualScan *scan, CsvRecord *header)
{
	int			matched = 0;
	int			file_columns = 0;

	for (int f = 0; f < header->nfields; f++)
	{
		if (csv_field_value(header, f) != NULL)
			pg_verifymbstr(csv_field_value(header, f),
						   csv_field_length(header, f), false);
	}

	for (int i = 0; i < scan->natts; i++)
	{
		RitualColumn *column = &scan->opts->columns[i];

		scan->field_of_attr[i] = -1;
		if (!is_file_column(scan, i))
			continue;
		file_columns++;
		for (int f = 0; f < header->nfields; f++)
		{
			if (csv_field_value(header, f) == NULL ||
				!header_matches(csv_field_value(header, f),
								csv_field_length(header, f),
								column->header_name))
				continue;
			if (scan->field_of_attr[i] >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						 errmsg("column name \"%s\" appears more than once in the header",
								column->header_name),
						 errhint("Rename one of them in the file, or set match_by 'position'.")));
			scan->field_of_attr[i] = f;
			matched++;
		}
	}
	if (file_columns > 0 && matched == 0)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("no column of the table is named in the header"),
				 errdetail("The header's first field is \"%s\".",
						   header->nfields > 0 && csv_field_value(header, 0) ?
						   ritual_shown_value(csv_field_value(header, 0),
											  csv_field_length(header, 0)) : ""),
				 errhint("Check option \"delimiter\", map columns with option \"column_name\", or set match_by 'position'.")));
	scan->expected_fields = header->nfields;
}

/* Map the table's file columns to the fields in order. */
static void
map_by_position(RitualScan *scan)
{
	int			f = 0;

	for (int i = 0; i < scan->natts; i++)
	{
		if (!is_file_column(scan, i))
			scan->field_of_attr[i] = -1;
		else
			scan->field_of_attr[i] = f++;
	}
	scan->expected_fields = f;
}

/*
 * ritual.ingest holds back a last record that no line end closes: the file
 * may be being written, and the record may grow.
 */
static inline bool
held_back(RitualScan *scan, const CsvRecord *record)
{
	return !record->terminated && !scan->ingest->files_complete;
}

/* ritual.ingest: the batch has taken the file up to the end of 'record'. */
static void
advance_ingest_file(RitualScan *scan, const CsvRecord *record)
{
	RitualIngestFile *file = scan->ingest_file;

	if (record->end_offset < 0)
	{
		file->ends_unknown = true;
		return;
	}
	file->end = record->end_offset;
	file->end_line = file->start_line + record->end_line;
	file->ends_unknown = false;
	scan->record_start = record->end_offset;
}

/*
 * ritual.ingest: a file's header is taken like a record, but one that is
 * still being written holds back the whole file.
 */
static void
take_ingested_header(RitualScan *scan, const CsvRecord *header)
{
	if (held_back(scan, header))
		scan->unit_held = true;
	else
		advance_ingest_file(scan, header);
}

/*
 * ritual.ingest: the batch is done with the current file.  A record whose
 * end is unknown cannot be resumed after, so it may not be left behind.
 */
static void
finish_ingest_file(RitualScan *scan)
{
	RitualIngestFile *file = scan->ingest_file;

	if (file->ends_unknown)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("cannot tell where the records of file \"%s\" after byte " INT64_FORMAT " end",
						file->path, file->end),
				 errdetail("Its lines end with a lone carriage return, and its last record has no line end yet."),
				 errhint("Wait until the file is complete and pass files_complete => true, or end its lines with LF.")));
	scan->ingest->files_done++;
	scan->ingest->bytes_done += file->end - file->start;
	ritual_ingest_progress(scan->ingest);
}

/*
 * ritual.ingest: keep the row, or set it aside as a reject with its raw
 * bytes, and move the file's end past it.
 */
static void
take_ingested_row(RitualScan *scan, const CsvRecord *record, bool rejected)
{
	RitualIngestScan *ingest = scan->ingest;

	if (rejected)
	{
		const char *raw = record->end_offset < 0 ? NULL :
			csv_reader_raw(scan->reader, scan->record_start,
						   record->end_offset);
		Size		len = raw ? record->end_offset - scan->record_start : 0;

		/* blank lines before it and its line end are not the record */
		while (len > 0 && (*raw == '\n' || *raw == '\r'))
			raw++, len--;
		while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
			len--;
		ritual_ingest_reject(ingest, scan->path, checked_line(scan), raw, len,
							 scan->reject_reason);
		scan->ingest_file->rejects++;
		ingest->rejects_done++;
	}
	else
	{
		scan->ingest_file->rows++;
		ingest->rows_done++;
	}
	advance_ingest_file(scan, record);
	if ((ingest->rows_done + ingest->rejects_done) % 4096 == 0)
		ritual_ingest_progress(ingest);
}

/*
 * Map the columns of file 'file_index' to its fields, reading its header
 * when there is one; 'header_reader' is already at the file's start, or
 * NULL when the unit starts further on.
 */
static void
map_columns(RitualScan *scan, CsvReader *header_reader)
{
	MemoryContext oldcontext;
	CsvRecord	header;
	bool		own_reader = false;

	if (scan->mapped_file == scan->file_index && header_reader == NULL)
		return;					/* a later block of the file mapped last */

	MemoryContextReset(scan->map_context);
	oldcontext = MemoryContextSwitchTo(scan->map_context);
	scan->field_of_attr = palloc(sizeof(int) * Max(scan->natts, 1));
	scan->mapped_file = scan->file_index;
	MemoryContextSwitchTo(scan->unit_context);

	if (scan->opts->header && header_reader == NULL)
	{
		header_reader = csv_reader_open(scan->path, scan->opts, 0, -1);
		own_reader = true;
	}
	if (!scan->opts->header || !csv_reader_next(header_reader, &header))
		map_by_position(scan);	/* an empty file has no header either */
	else
	{
		if (scan->ingest && !own_reader)
			take_ingested_header(scan, &header);
		scan->line = header.line;
		if (scan->opts->match_by_name)
			map_by_header(scan, &header);
		else
			map_by_position(scan);
		scan->line = 0;
	}
	if (own_reader)
		csv_reader_close(header_reader);
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Claim the next unit: in a serial scan the next file, in a parallel scan
 * the next unit of the shared list, from the first record that starts in
 * its block to the first that starts in the next.  False when none is left.
 */
static bool
claim_unit(RitualScan *scan, int64 *start, int64 *stop)
{
	int			file_index;
	int64		block_start;
	int64		block_end;
	RitualFile *file;

	if (scan->parallel == NULL)
	{
		if (scan->next_file >= list_length(scan->files))
			return false;
		scan->file_index = scan->next_file++;
		file = list_nth(scan->files, scan->file_index);
		scan->path = file->path;
		*start = 0;
		*stop = -1;
		if (scan->ingest)
		{
			scan->ingest_file = &scan->ingest->files[scan->file_index];
			*start = scan->ingest_file->start;
		}
		return true;
	}

	for (;;)
	{
		if (!ritual_parallel_next_unit(scan->parallel, &file_index,
									   &block_start, &block_end))
			return false;
		if (file_index != scan->file_index)
		{
			memset(&scan->line_ends, 0, sizeof(CsvPrefixCount));
			memset(&scan->quotes, 0, sizeof(CsvPrefixCount));
		}
		scan->file_index = file_index;
		file = list_nth(scan->files, file_index);
		scan->path = file->path;
		*start = block_start == 0 ? 0 :
			csv_record_start_at_or_after(file->path, scan->opts->quote,
										 block_start, &scan->quotes);
		*stop = block_end < 0 ? -1 :
			csv_record_start_at_or_after(file->path, scan->opts->quote,
										 block_end, &scan->quotes);
		/* a block inside one long record holds no record start */
		if (*stop < 0 || *start < *stop)
			return true;
	}
}

/*
 * The partition columns' values for the current file, converted once; a
 * value that does not convert is reported on each row, per on_error.
 */
static void
convert_partition_values(RitualScan *scan)
{
	RitualFile *file = list_nth(scan->files, scan->file_index);

	for (int i = 0; i < scan->natts; i++)
	{
		ScanColumn *col = &scan->columns[i];

		col->from_path = col->partition_key != NULL &&
			ritual_file_has_partition(file, col->partition_key);
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
	if (scan->reader)
		csv_reader_close(scan->reader);
	scan->reader = NULL;
	scan->path = NULL;
}

/* Open the next unit and map its columns; false when none is left. */
static bool
open_next_unit(RitualScan *scan)
{
	MemoryContext oldcontext;
	int64		start;
	int64		stop;

	for (;;)
	{
		if (!claim_unit(scan, &start, &stop))
		{
			scan->path = NULL;
			return false;
		}

		MemoryContextReset(scan->unit_context);
		oldcontext = MemoryContextSwitchTo(scan->unit_context);
		convert_partition_values(scan);
		scan->path_text = path_as_text(scan->path);
		scan->line = 0;
		scan->unit_start = start;
		scan->line_base = (start == 0) ? 0 : -1;
		scan->reader = csv_reader_open(scan->path, scan->opts, start, stop);
		if (scan->ingest)
		{
			RitualIngestFile *file = scan->ingest_file;

			scan->line_base = file->start_line;
			csv_reader_for_ingest(scan->reader, file->limit);
			file->end = start;
			file->end_line = file->start_line;
			scan->record_start = start;
			scan->unit_held = false;
		}
		if (start == 0)
		{
			scan->files_read++;
			if (scan->parallel)
				ritual_parallel_count_file_read(scan->parallel);
			map_columns(scan, scan->reader);
		}
		else
			map_columns(scan, NULL);
		MemoryContextSwitchTo(oldcontext);
		if (!scan->unit_held)
			return true;
		finish_ingest_file(scan);
		close_unit(scan);
	}
}

/*
 * A row has a problem: raise it under on_error 'stop', otherwise count the
 * row as bad (once) and remember the first.  'attnum' is -1 for a problem of
 * the whole record.
 */
static void
note_problem(RitualScan *scan, int attnum, const char *message)
{
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
		return;
	scan->row_is_bad = true;
	if (scan->ingest)
		scan->reject_reason = column ? psprintf("%s: %s", column, message) :
			pstrdup(message);
	scan->bad_rows++;
	bad_rows = scan->parallel ?
		ritual_parallel_count_bad_row(scan->parallel) : scan->bad_rows;
	if (scan->first_bad == NULL)
	{
		int64		line = checked_line(scan);

		scan->first_bad =
			MemoryContextStrdup(GetMemoryChunkContext(scan),
								column ?
								psprintf("file \"%s\", line " INT64_FORMAT ", column %s: %s",
										 scan->path, line, column, message) :
								psprintf("file \"%s\", line " INT64_FORMAT ": %s",
										 scan->path, line, message));
		if (scan->parallel)
			ritual_parallel_report_first_bad(scan->parallel, scan->file_index,
											 line, scan->first_bad);
	}
	if (scan->opts->reject_limit >= 0 &&
		bad_rows > scan->opts->reject_limit)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("more than " INT64_FORMAT " rows of table \"%s\" have errors",
						scan->opts->reject_limit, scan->relname),
				 errdetail("The first was at %s.", scan->first_bad),
				 scan->ingest ?
				 errhint("Raise ritual.ingest's reject_limit, or fix the files.") :
				 errhint("Raise option reject_limit, or fix the files.")));
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
				*value = Int64GetDatum(checked_line(scan));
			else
			{
				char	   *line = psprintf(INT64_FORMAT, checked_line(scan));

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
 * Whether field i is the null string: unquoted, as in COPY, and all of it,
 * so that bytes after a NUL are not overlooked.
 */
static inline bool
is_null_string(RitualScan *scan, const CsvRecord *record, int i)
{
	return scan->opts->null_string != NULL && !record->fields[i].isnull &&
		!record->fields[i].quoted &&
		csv_field_length(record, i) == scan->null_len &&
		memcmp(csv_field_value(record, i), scan->opts->null_string,
			   scan->null_len) == 0;
}

/* Convert one field of the row into column 'attnum'. */
static RowOutcome
convert_field(RitualScan *scan, int attnum, CsvRecord *record,
			  Datum *value, bool *isnull)
{
	ScanColumn *col = &scan->columns[attnum];
	int			field = scan->field_of_attr[attnum];
	char	   *text;
	char	   *message;

	*isnull = true;
	if (field < 0 || field >= record->nfields)
		return ROW_CLEAN;		/* not in this file, or a short record */

	text = csv_field_value(record, field);
	if (is_null_string(scan, record, field))
		text = NULL;
	if (text == NULL && !col->conv.is_domain)
		return ROW_CLEAN;

	scan->attnum = attnum;
	scan->value = text;
	scan->value_len = csv_field_length(record, field);
	if (text != NULL && !record->clean_ascii &&
		!pg_verifymbstr(text, scan->value_len,
						scan->opts->on_error != RITUAL_ON_ERROR_STOP))
	{
		note_problem(scan, attnum,
					 psprintf("invalid byte sequence for encoding \"%s\"",
							  GetDatabaseEncodingName()));
		goto bad;
	}
	if (scan->opts->on_error == RITUAL_ON_ERROR_STOP)
	{
		if (text == NULL ||
			!ritual_convert_fast(&col->conv, text, scan->value_len, value))
			*value = ritual_convert(&col->conv, text, scan->value_len);
	}
	else if (!ritual_convert_soft(&col->conv, text, scan->value_len, value,
								 &message))
	{
		note_problem(scan, attnum, message);
		goto bad;
	}
	*isnull = (text == NULL);
	scan->attnum = -1;
	return ROW_CLEAN;

bad:
	scan->attnum = -1;
	return scan->opts->on_error == RITUAL_ON_ERROR_SKIP ?
		ROW_SKIPPED : ROW_KEPT_WITH_NULLS;
}

/* Make the arena large enough for every text value of the record. */
static void
size_arena(RitualScan *scan, CsvRecord *record)
{
	Size		needed = 0;

	for (int i = 0; i < scan->natts; i++)
	{
		ScanColumn *col = &scan->columns[i];
		int			field = scan->field_of_attr[i];

		if (col->conv.arena != NULL && col->wanted && field >= 0 &&
			field < record->nfields)
			needed += RITUAL_ARENA_TEXT_SIZE(csv_field_length(record, field));
	}
	scan->arena.used = 0;
	if (needed > scan->arena.size)
	{
		Size		size = Max(needed, 2 * scan->arena.size);

		if (scan->arena.data)
			pfree(scan->arena.data);
		scan->arena.data = MemoryContextAllocHuge(GetMemoryChunkContext(scan),
												  size);
		scan->arena.size = size;
	}
}

/* Turn a record into a row; the values live in the current context. */
static RowOutcome
convert_record(RitualScan *scan, CsvRecord *record, Datum *values,
			   bool *nulls)
{
	RitualOnError on_error = scan->opts->on_error;

	scan->row_is_bad = false;
	scan->reject_reason = NULL;
	resetStringInfo(&scan->row_errors);
	if (scan->has_arena_columns)
		size_arena(scan, record);

	if (record->malformed)
		note_problem(scan, -1, record->malformed);
	else if (record->nfields != scan->expected_fields)
		note_problem(scan, -1,
					 psprintf("record has %d field%s, but %d %s expected",
							  record->nfields,
							  record->nfields == 1 ? "" : "s",
							  scan->expected_fields,
							  scan->expected_fields == 1 ? "is" : "are"));
	if (scan->row_is_bad && on_error == RITUAL_ON_ERROR_SKIP)
		return ROW_SKIPPED;

	for (int i = 0; i < scan->natts; i++)
	{
		ScanColumn *col = &scan->columns[i];

		nulls[i] = true;
		if (!col->wanted || col->meta != RITUAL_META_NONE)
			continue;
		if (col->from_path)
		{
			if (col->partition_error == NULL)
			{
				values[i] = col->partition_value;
				nulls[i] = col->partition_null;
			}
			else
			{
				note_problem(scan, i, col->partition_error);
				if (on_error == RITUAL_ON_ERROR_SKIP)
					return ROW_SKIPPED;
			}
			continue;
		}
		if (convert_field(scan, i, record, &values[i], &nulls[i]) == ROW_SKIPPED)
			return ROW_SKIPPED;
	}

	/* meta columns last, so that 'errors' sees every problem */
	for (int i = 0; i < scan->natts; i++)
	{
		if (scan->columns[i].wanted && scan->columns[i].meta != RITUAL_META_NONE)
			fill_meta(scan, i, &values[i], &nulls[i]);
	}
	return scan->row_is_bad ? ROW_KEPT_WITH_NULLS : ROW_CLEAN;
}

/*
 * ritual_scan_next
 *		Fill values/nulls with the next row; false when every file is read.
 *		Values are allocated in the caller's (per-row) memory context.
 */
bool
ritual_scan_next(RitualScan *scan, Datum *values, bool *nulls)
{
	bool		found = false;

	scan->errcallback.previous = error_context_stack;
	error_context_stack = &scan->errcallback;
	for (;;)
	{
		CsvRecord	record;

		RowOutcome	outcome;

		if (scan->reader == NULL && !open_next_unit(scan))
			break;
		if (!csv_reader_next(scan->reader, &record) ||
			(scan->ingest && held_back(scan, &record)))
		{
			if (scan->ingest)
				finish_ingest_file(scan);
			close_unit(scan);
			continue;
		}
		scan->line = record.line;
		outcome = convert_record(scan, &record, values, nulls);
		if (scan->ingest)
			take_ingested_row(scan, &record, outcome == ROW_SKIPPED);
		if (outcome != ROW_SKIPPED)
		{
			found = true;
			break;
		}
	}
	error_context_stack = scan->errcallback.previous;
	return found;
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
	scan->file_index = -1;
	scan->bad_rows = 0;
	scan->files_read = 0;
	scan->first_bad = NULL;
}

/*
 * ritual_scan_report
 *		One NOTICE that sums up the rows on_error skipped or kept with NULLs.
 */
void
ritual_scan_report(RitualScan *scan)
{
	/* a worker's share is reported by the leader, a batch's by the ingest */
	if (scan->bad_rows == 0 || IsParallelWorker() || scan->ingest)
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
						   &scan->files_read, &scan->first_bad);
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

/*
 * ritual_scan_end
 *		Close the file being read.
 */
void
ritual_scan_end(RitualScan *scan)
{
	close_unit(scan);
	MemoryContextDelete(scan->unit_context);
	MemoryContextDelete(scan->map_context);
}
