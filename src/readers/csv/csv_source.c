/*-------------------------------------------------------------------------
 *
 * csv_source.c
 *		  CSV files as a source of records for the scan: columns matched to
 *		  a header's names or by position, fields turned into values, line
 *		  numbers counted, and a parallel scan's blocks moved to record
 *		  boundaries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "csv_describe.h"
#include "csv_reader.h"
#include "readers/source.h"

typedef struct CsvSource
{
	const RitualSourceArgs *args;
	const RitualOptions *opts;
	int			null_len;		/* of option null */
	bool		has_arena_columns;	/* some wanted text column uses the arena */
	RitualRowArena arena;		/* text values of the current row */

	/* the unit being read; the reader lives in unit_context */
	MemoryContext unit_context;
	CsvReader  *reader;
	const char *path;
	int			file_index;
	int64		unit_start;		/* file offset of the unit's first line */
	int64		line_base;		/* line ends before unit_start, or -1 while
								 * not yet counted */
	CsvPrefixCount line_ends;	/* counted in file_index's prefix */
	CsvPrefixCount quotes;		/* counted in file_index's prefix */
	CsvRecord	record;			/* the current record */

	/* how columns map to the fields of file mapped_file; in map_context */
	MemoryContext map_context;
	int			mapped_file;	/* -1: none */
	int		   *field_of_attr;	/* field index per attribute, -1: none */
	int			expected_fields;
} CsvSource;

/*
 * The line where the current record starts; counting the line ends before
 * a block of a parallel scan is left until a line is needed.  -1 before a
 * record, or if they cannot be counted and may_fail is false (inside an
 * error-context callback, which must not raise errors).
 */
static void
csv_position(void *state, bool may_fail, RitualPosition *pos)
{
	CsvSource  *src = state;

	pos->row_group = -1;
	pos->row_in_group = 0;
	pos->line = -1;
	if (src->record.line <= 0)
		return;
	if (src->line_base < 0)
		src->line_base = csv_count_line_ends(src->path, src->unit_start,
											 &src->line_ends);
	if (src->line_base < 0)
	{
		if (may_fail)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not count the lines of file \"%s\": %m",
							src->path)));
		return;
	}
	pos->line = src->line_base + src->record.line;
}

static void *
csv_begin(const RitualSourceArgs *args)
{
	CsvSource  *src = palloc0(sizeof(CsvSource));

	src->args = args;
	src->opts = args->opts;
	src->null_len = args->opts->null_string ?
		strlen(args->opts->null_string) : 0;
	for (int i = 0; i < args->natts; i++)
	{
		RitualSourceColumn *col = &args->columns[i];

		/* text columns read from the file share the row's arena */
		if (col->wanted && col->from_file && col->conv->fast == FAST_TEXT)
		{
			col->conv->arena = &src->arena;
			src->has_arena_columns = true;
		}
	}
	src->unit_context = AllocSetContextCreate(CurrentMemoryContext,
											  "ritual_fdw CSV unit",
											  ALLOCSET_DEFAULT_SIZES);
	src->map_context = AllocSetContextCreate(CurrentMemoryContext,
											 "ritual_fdw column map",
											 ALLOCSET_SMALL_SIZES);
	src->mapped_file = -1;
	src->file_index = -1;
	return src;
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
map_by_header(CsvSource *src, CsvRecord *header)
{
	const RitualSourceArgs *args = src->args;
	int			matched = 0;
	int			file_columns = 0;

	for (int f = 0; f < header->nfields; f++)
	{
		if (csv_field_value(header, f) != NULL)
			pg_verifymbstr(csv_field_value(header, f),
						   csv_field_length(header, f), false);
	}

	for (int i = 0; i < args->natts; i++)
	{
		RitualSourceColumn *column = &args->columns[i];

		src->field_of_attr[i] = -1;
		if (!column->from_file)
			continue;
		file_columns++;
		for (int f = 0; f < header->nfields; f++)
		{
			if (csv_field_value(header, f) == NULL ||
				!header_matches(csv_field_value(header, f),
								csv_field_length(header, f),
								column->file_name))
				continue;
			if (src->field_of_attr[i] >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						 errmsg("column name \"%s\" appears more than once in the header",
								column->file_name),
						 errhint("Rename one of them in the file, or set match_by 'position'.")));
			src->field_of_attr[i] = f;
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
	src->expected_fields = header->nfields;
}

/* Map the table's file columns to the fields in order. */
static void
map_by_position(CsvSource *src)
{
	int			f = 0;

	for (int i = 0; i < src->args->natts; i++)
	{
		if (!src->args->columns[i].from_file)
			src->field_of_attr[i] = -1;
		else
			src->field_of_attr[i] = f++;
	}
	src->expected_fields = f;
}

/*
 * Map the columns of file 'file_index' to its fields, reading its header
 * when there is one; 'header_reader' is already at the file's start, or
 * NULL when the unit starts further on.  Returns whether it read a header
 * from header_reader.
 */
static bool
map_columns(CsvSource *src, CsvReader *header_reader, CsvRecord *header)
{
	MemoryContext oldcontext;
	bool		own_reader = false;
	bool		read_header = false;

	if (src->mapped_file == src->file_index && header_reader == NULL)
		return false;			/* a later block of the file mapped last */

	MemoryContextReset(src->map_context);
	oldcontext = MemoryContextSwitchTo(src->map_context);
	src->field_of_attr = palloc(sizeof(int) * Max(src->args->natts, 1));
	src->mapped_file = src->file_index;
	MemoryContextSwitchTo(src->unit_context);

	if (src->opts->header && header_reader == NULL)
	{
		header_reader = csv_reader_open(src->path, src->opts, 0, -1);
		own_reader = true;
	}
	if (!src->opts->header || !csv_reader_next(header_reader, header))
		map_by_position(src);	/* an empty file has no header either */
	else
	{
		read_header = !own_reader;
		src->record.line = header->line;
		if (src->opts->match_by_name)
			map_by_header(src, header);
		else
			map_by_position(src);
		src->record.line = 0;
	}
	if (own_reader)
		csv_reader_close(header_reader);
	MemoryContextSwitchTo(oldcontext);
	return read_header;
}

static void
csv_close(void *state)
{
	CsvSource  *src = state;

	if (src->reader)
		csv_reader_close(src->reader);
	src->reader = NULL;
}

/*
 * Open a unit: in a parallel scan's block, from the first record that
 * starts in it to the first that starts in the next block.
 */
static bool
csv_open(void *state, const RitualUnit *unit, bool *header,
		 RitualRecordEnd *header_end)
{
	CsvSource  *src = state;
	MemoryContext oldcontext;
	int64		start = unit->start;
	int64		stop = unit->stop;
	CsvRecord	header_record;

	*header = false;
	if (unit->file_index != src->file_index)
	{
		memset(&src->line_ends, 0, sizeof(CsvPrefixCount));
		memset(&src->quotes, 0, sizeof(CsvPrefixCount));
	}
	src->file_index = unit->file_index;
	src->path = unit->path;
	if (!src->args->for_ingest)
	{
		if (start > 0)
			start = csv_record_start_at_or_after(src->path, src->opts->quote,
												 start, &src->quotes);
		if (stop >= 0)
			stop = csv_record_start_at_or_after(src->path, src->opts->quote,
												stop, &src->quotes);
		/* a block inside one long record holds no record start */
		if (stop >= 0 && start >= stop)
			return false;
	}

	MemoryContextReset(src->unit_context);
	oldcontext = MemoryContextSwitchTo(src->unit_context);
	memset(&src->record, 0, sizeof(CsvRecord));
	src->unit_start = start;
	src->line_base = unit->start_line >= 0 ? unit->start_line :
		(start == 0 ? 0 : -1);
	src->reader = csv_reader_open(src->path, src->opts, start, stop);
	if (src->args->for_ingest)
		csv_reader_for_ingest(src->reader, unit->limit);
	if (map_columns(src, start == 0 ? src->reader : NULL, &header_record) &&
		src->args->for_ingest)
	{
		*header = true;
		header_end->end_offset = header_record.end_offset;
		header_end->end_line = header_record.end_line;
		header_end->terminated = header_record.terminated;
	}
	MemoryContextSwitchTo(oldcontext);
	return true;
}

static bool
csv_next(void *state, RitualRecordEnd *end)
{
	CsvSource  *src = state;

	if (!csv_reader_next(src->reader, &src->record))
		return false;
	end->end_offset = src->record.end_offset;
	end->end_line = src->record.end_line;
	end->terminated = src->record.terminated;
	return true;
}

/*
 * Whether field i is the null string: unquoted, as in COPY, and all of it,
 * so that bytes after a NUL are not overlooked.
 */
static inline bool
is_null_string(CsvSource *src, const CsvRecord *record, int i)
{
	return src->opts->null_string != NULL && !record->fields[i].isnull &&
		!record->fields[i].quoted &&
		csv_field_length(record, i) == src->null_len &&
		memcmp(csv_field_value(record, i), src->opts->null_string,
			   src->null_len) == 0;
}

/*
 * Convert one field of the record into column 'attnum'; false when the
 * row is not to be converted further.
 */
static bool
convert_field(CsvSource *src, int attnum, Datum *value, bool *isnull)
{
	const CsvRecord *record = &src->record;
	RitualSourceColumn *col = &src->args->columns[attnum];
	RitualCursor *cursor = src->args->cursor;
	int			field = src->field_of_attr[attnum];
	char	   *text;
	char	   *message;
	bool		go_on = true;

	*isnull = true;
	if (field < 0 || field >= record->nfields)
		return true;			/* not in this file, or a short record */

	text = csv_field_value(record, field);
	if (is_null_string(src, record, field))
		text = NULL;
	if (text == NULL && !col->conv->is_domain)
		return true;

	cursor->attnum = attnum;
	cursor->value = text;
	cursor->value_len = csv_field_length(record, field);
	if (text != NULL && !record->clean_ascii &&
		!pg_verifymbstr(text, cursor->value_len,
						src->opts->on_error != RITUAL_ON_ERROR_STOP))
		go_on = src->args->problem(src->args->problem_arg, attnum,
								   psprintf("invalid byte sequence for encoding \"%s\"",
											GetDatabaseEncodingName()));
	else if (src->opts->on_error == RITUAL_ON_ERROR_STOP)
	{
		if (text == NULL ||
			!ritual_convert_fast(col->conv, text, cursor->value_len, value))
			*value = ritual_convert(col->conv, text, cursor->value_len);
		*isnull = (text == NULL);
	}
	else if (!ritual_convert_soft(col->conv, text, cursor->value_len, value,
								  &message))
		go_on = src->args->problem(src->args->problem_arg, attnum, message);
	else
		*isnull = (text == NULL);
	cursor->attnum = -1;
	return go_on;
}

/* Make the arena large enough for every text value of the record. */
static void
size_arena(CsvSource *src)
{
	const CsvRecord *record = &src->record;
	Size		needed = 0;

	for (int i = 0; i < src->args->natts; i++)
	{
		RitualSourceColumn *col = &src->args->columns[i];
		int			field = src->field_of_attr[i];

		if (col->wanted && col->from_file && col->conv->arena != NULL &&
			field >= 0 && field < record->nfields)
			needed += RITUAL_ARENA_TEXT_SIZE(csv_field_length(record, field));
	}
	src->arena.used = 0;
	if (needed > src->arena.size)
	{
		Size		size = Max(needed, 2 * src->arena.size);

		if (src->arena.data)
			pfree(src->arena.data);
		src->arena.data = MemoryContextAllocHuge(GetMemoryChunkContext(src),
												 size);
		src->arena.size = size;
	}
}

static void
csv_fill(void *state, Datum *values, bool *nulls)
{
	CsvSource  *src = state;
	const CsvRecord *record = &src->record;
	const RitualSourceArgs *args = src->args;
	bool		go_on = true;

	if (src->has_arena_columns)
		size_arena(src);
	if (record->malformed)
		go_on = args->problem(args->problem_arg, -1, record->malformed);
	else if (record->nfields != src->expected_fields)
		go_on = args->problem(args->problem_arg, -1,
							  psprintf("record has %d field%s, but %d %s expected",
									   record->nfields,
									   record->nfields == 1 ? "" : "s",
									   src->expected_fields,
									   src->expected_fields == 1 ? "is" : "are"));

	for (int i = 0; i < args->natts; i++)
	{
		RitualSourceColumn *col = &args->columns[i];

		if (!col->wanted || !col->from_file)
			continue;
		nulls[i] = true;
		if (go_on)
			go_on = convert_field(src, i, &values[i], &nulls[i]);
	}
}

static const char *
csv_raw(void *state, int64 from, int64 to)
{
	CsvSource  *src = state;

	return csv_reader_raw(src->reader, from, to);
}

static void
csv_end(void *state)
{
	CsvSource  *src = state;

	csv_close(src);
	MemoryContextDelete(src->unit_context);
	MemoryContextDelete(src->map_context);
}

const RitualSourceRoutine ritual_csv_source = {
	.format = "CSV",
	.begin = csv_begin,
	.open = csv_open,
	.next = csv_next,
	.fill = csv_fill,
	.position = csv_position,
	.raw = csv_raw,
	.close = csv_close,
	.end = csv_end,
	.describe = csv_describe,
};
