/*-------------------------------------------------------------------------
 *
 * source.c
 *		  Parquet files as a source of records for the scan: the table's
 *		  columns found among the schema's top-level leaves by name, only
 *		  the column chunks the query needs read, row groups a unit does not
 *		  own or the query's conditions rule out skipped, and values turned
 *		  straight into Datums of the columns' types.
 *
 * A unit of a parallel scan is a byte range of the file: it reads the row
 * groups that start in it.  Values that have no direct conversion to the
 * column's type go through their text and the type's input function, as a
 * CSV field would, so that a value that does not fit is a bad value that
 * on_error handles.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "column.h"
#include "parquet.h"
#include "readers/source.h"

/* rows decoded at a time per column */
#define BATCH_ROWS	1024

/* the Unix epoch in PostgreSQL's days and microseconds (since 2000) */
#define UNIX_EPOCH_DAYS		(UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE)
#define UNIX_EPOCH_USECS	((int64) UNIX_EPOCH_DAYS * USECS_PER_DAY)

/* How a leaf's values become a column's Datums. */
typedef enum Conversion
{
	CONVERT_BY_TEXT,			/* the value's text, then the input function */
	CONVERT_BOOL,
	CONVERT_INT,				/* INT32 or INT64, signed, to int2/4/8 */
	CONVERT_FLOAT8,				/* FLOAT or DOUBLE to float8 */
	CONVERT_FLOAT4,				/* FLOAT to float4 */
	CONVERT_TEXT,				/* bytes to text */
	CONVERT_BYTEA,
	CONVERT_DATE,
	CONVERT_TIMESTAMP,			/* INT64 or INT96 to timestamp[tz] */
	CONVERT_TIME,
	CONVERT_UUID
} Conversion;

/* A top-level leaf of the file's schema. */
typedef struct Leaf
{
	const ParquetSchemaElement *element;
	int			chunk;			/* its column chunk in each row group */
	int			max_definition;
	bool		repeated;		/* in or under a REPEATED field */
	bool		nested;			/* a group, or under one */
} Leaf;

/*
 * A column's memory kept for the whole scan, file after file: its page
 * buffers (borrowed from the backend's pool, for the next scan after), and
 * the Datums of its current batch (reset for the next).
 */
typedef struct ColumnMemory
{
	ParquetPageBuffers *pages;
	MemoryContext batch;
} ColumnMemory;

/* How one table column is read from the current file. */
typedef struct ColumnPlan
{
	int			attnum;
	const Leaf *leaf;
	ParquetType type;
	ParquetMeaning meaning;
	Conversion conversion;
	bool		tested;			/* the query's conditions test the column */
	bool		source_utc;		/* CONVERT_TIMESTAMP: the values are instants */
	bool		target_tz;		/* CONVERT_TIMESTAMP: into timestamptz */

	/*
	 * The current row group's reader and the values it decoded last: a
	 * batch never spans two pages, and byte values point into the page, so
	 * each column reads its next batch only when its last is used up.
	 */
	ParquetColumnReader *reader;
	ColumnMemory *memory;		/* the column's, for the whole scan */
	int			count;			/* values in the batch */
	int			pos;			/* the current row's, or -1 */
	ParquetPlain values[BATCH_ROWS];
	bool		isnull[BATCH_ROWS];
	int32		dictionary_index[BATCH_ROWS];

	/*
	 * The batch's values as Datums, made as soon as the batch is decoded,
	 * where the conversion cannot fail (ready[i]); the other rows are
	 * converted when filled, so that a bad value is reported at its row.
	 */
	Datum		datums[BATCH_ROWS];
	bool		ready[BATCH_ROWS];

	/*
	 * CONVERT_TEXT: each value of the chunk's dictionary as a Datum once
	 * made (0 before), in the row group's memory; whether each row of the
	 * batch that is not NULL is one of them, made (its page is
	 * dictionary-encoded and every value converted).
	 */
	Datum	   *dictionary_datums;
	bool		coded;
} ColumnPlan;

typedef struct ParquetSource
{
	const RitualSourceArgs *args;

	/* the unit: its file and row groups; in unit_context */
	MemoryContext unit_context;
	ParquetFile *file;
	int			nplans;
	ColumnPlan *plans;			/* wanted columns found in the file */
	int		   *row_groups;		/* the unit's row groups, in order */
	int			nrow_groups;
	int			next_row_group; /* index into row_groups */

	/* the row group being read; its readers live in group_context */
	MemoryContext group_context;
	int			row_group;		/* -1: none */
	int64		group_rows;
	int64		group_first_row;	/* file row number of its first row - 1 */
	int64		row;			/* in the group, from 1; 0 before the first */

	/* each column's memory, by attnum, kept for the whole scan */
	MemoryContext columns_context;
	ColumnMemory *column_memory;

	/*
	 * For testing each row against the query's conditions (when it has
	 * any): one range per attribute, a single value for those the
	 * conditions test, in columns_context.
	 */
	RitualColumnRange *row_ranges;
} ParquetSource;

static bool direct_datum(const ColumnPlan *plan, const RitualConverter *conv,
						 const ParquetPlain *v, Datum *value, char **message);
static char *value_text(const ColumnPlan *plan, const ParquetPlain *v);
static bool timestamp_value(const ColumnPlan *plan, const ParquetPlain *v,
							Timestamp *ts);
static bool text_datum(const ParquetPlain *v, Datum *value, char **message);

static void *
parquet_begin(const RitualSourceArgs *args)
{
	ParquetSource *src = palloc0(sizeof(ParquetSource));

	src->args = args;
	src->unit_context = AllocSetContextCreate(CurrentMemoryContext,
											  "ritual_fdw Parquet unit",
											  ALLOCSET_DEFAULT_SIZES);
	src->group_context = AllocSetContextCreate(src->unit_context,
											   "ritual_fdw Parquet row group",
											   ALLOCSET_DEFAULT_SIZES);
	src->row_group = -1;
	src->columns_context = AllocSetContextCreate(CurrentMemoryContext,
												 "ritual_fdw Parquet columns",
												 ALLOCSET_DEFAULT_SIZES);
	src->column_memory = MemoryContextAllocZero(src->columns_context,
												sizeof(ColumnMemory) *
												Max(args->natts, 1));
	if (args->filter != NULL && !args->for_ingest)
	{
		src->row_ranges = MemoryContextAllocZero(src->columns_context,
												 sizeof(RitualColumnRange) *
												 Max(args->natts, 1));
		for (int i = 0; i < args->natts; i++)
		{
			src->row_ranges[i].null_count = -1;
			src->row_ranges[i].row_count = -1;
		}
	}
	return src;
}

/*
 * Walk the schema (a depth-first list in which each group gives its number
 * of children) from element 'index', collecting the leaves under the root.
 * Returns the index after the subtree.  Bounded by the element count, so a
 * lying num_children cannot loop or recurse without end.
 */
static int
walk_schema(const ParquetFileMetaData *meta, int index, int depth,
			int max_definition, bool repeated, bool nested,
			Leaf *leaves, int *nleaves)
{
	const ParquetSchemaElement *element;

	if (index >= meta->num_schema || depth > 100)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the Parquet schema's groups claim more fields than it has")));
	check_stack_depth();
	element = &meta->schema[index];
	if (element->has_repetition_type && element->repetition_type == 1)
		max_definition++;
	if (element->has_repetition_type && element->repetition_type == 2)
	{
		max_definition++;
		repeated = true;
	}
	if (element->has_num_children && element->num_children > 0)
	{
		index++;
		for (int i = 0; i < element->num_children; i++)
			index = walk_schema(meta, index, depth + 1, max_definition,
								repeated, true, leaves, nleaves);
		return index;
	}
	leaves[*nleaves].element = element;
	leaves[*nleaves].chunk = *nleaves;
	leaves[*nleaves].max_definition = max_definition;
	leaves[*nleaves].repeated = repeated;
	leaves[*nleaves].nested = nested;
	(*nleaves)++;
	return index + 1;
}

/* The leaves under the root of a file's schema, in its columns' order. */
static Leaf *
file_leaves(const ParquetFileMetaData *meta, int *nleaves)
{
	Leaf	   *leaves;

	if (meta->num_schema < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the Parquet file has an empty schema")));
	leaves = palloc(sizeof(Leaf) * meta->num_schema);
	*nleaves = 0;
	/* the root's own repetition does not count */
	if (meta->schema[0].has_num_children && meta->schema[0].num_children > 0)
	{
		int			index = 1;

		for (int i = 0; i < meta->schema[0].num_children; i++)
			index = walk_schema(meta, index, 1, 0, false, false,
								leaves, nleaves);
	}
	return leaves;
}

/* The conversion of a leaf's values into a column of type 'typid'. */
static Conversion
choose_conversion(ColumnPlan *plan, const RitualConverter *conv)
{
	ParquetType type = plan->type;
	const ParquetMeaning *m = &plan->meaning;
	Oid			typid = conv->typid;

	if (conv->is_domain)
		return CONVERT_BY_TEXT;
	if (type == PARQUET_INT96 ||
		(type == PARQUET_INT64 && m->kind == PARQUET_LOGICAL_TIMESTAMP))
	{
		/*
		 * Spark's INT96 timestamps are instants, which a timestamp column
		 * shows in UTC, as DuckDB reads them: either way they need no shift.
		 */
		plan->target_tz = (typid == TIMESTAMPTZOID);
		plan->source_utc = type == PARQUET_INT96 ? plan->target_tz : m->utc;
		if (typid == TIMESTAMPOID || typid == TIMESTAMPTZOID)
			return CONVERT_TIMESTAMP;
		return CONVERT_BY_TEXT;
	}
	switch (m->kind)
	{
		case PARQUET_LOGICAL_NONE:
		case PARQUET_LOGICAL_INTEGER:
			if (type == PARQUET_BOOLEAN && typid == BOOLOID)
				return CONVERT_BOOL;
			if ((type == PARQUET_INT32 || type == PARQUET_INT64) &&
				!m->is_unsigned &&
				(typid == INT2OID || typid == INT4OID || typid == INT8OID))
				return CONVERT_INT;
			if ((type == PARQUET_FLOAT || type == PARQUET_DOUBLE) &&
				typid == FLOAT8OID)
				return CONVERT_FLOAT8;
			if (type == PARQUET_FLOAT && typid == FLOAT4OID)
				return CONVERT_FLOAT4;
			if (type == PARQUET_BYTE_ARRAY && m->kind == PARQUET_LOGICAL_NONE &&
				(typid == TEXTOID || (typid == VARCHAROID && conv->typmod < 0)))
				return CONVERT_TEXT;
			break;
		case PARQUET_LOGICAL_STRING:
		case PARQUET_LOGICAL_ENUM:
		case PARQUET_LOGICAL_JSON:
			if (typid == TEXTOID || (typid == VARCHAROID && conv->typmod < 0))
				return CONVERT_TEXT;
			break;
		case PARQUET_LOGICAL_DATE:
			if (type == PARQUET_INT32 && typid == DATEOID)
				return CONVERT_DATE;
			break;
		case PARQUET_LOGICAL_TIME:
			if ((type == PARQUET_INT32 || type == PARQUET_INT64) &&
				typid == TIMEOID)
				return CONVERT_TIME;
			break;
		case PARQUET_LOGICAL_UUID:
			if (type == PARQUET_FIXED_LEN_BYTE_ARRAY && typid == UUIDOID)
				return CONVERT_UUID;
			break;
		default:
			break;
	}
	if (typid == BYTEAOID &&
		(type == PARQUET_BYTE_ARRAY || type == PARQUET_FIXED_LEN_BYTE_ARRAY))
		return CONVERT_BYTEA;
	return CONVERT_BY_TEXT;
}

/* Is the schema leaf named 'name' the file's column for 'column'? */
static bool
leaf_matches(const Leaf *leaf, const char *column)
{
	return leaf->element->name != NULL &&
		pg_strcasecmp(leaf->element->name, column) == 0;
}

/*
 * The name of the top-level field a leaf is in: its column chunks' first
 * path element; NULL when the file has no row group to tell.
 */
static const char *
top_level_name(const ParquetFileMetaData *meta, const Leaf *leaf)
{
	const ParquetColumnMetaData *cm;

	if (meta->num_row_groups > 0 &&
		leaf->chunk < meta->row_groups[0].num_columns &&
		(cm = &meta->row_groups[0].columns[leaf->chunk].meta_data)->path_length > 0 &&
		cm->path_in_schema[0] != NULL)
		return cm->path_in_schema[0];
	return NULL;
}

/*
 * Plan the wanted file columns of the table against the file's schema:
 * matched by name, case-insensitively; a column the file lacks is NULL.
 */
static void
plan_columns(ParquetSource *src)
{
	const RitualSourceArgs *args = src->args;
	const ParquetFileMetaData *meta = src->file->meta;
	Leaf	   *leaves;
	int			nleaves = 0;
	int			file_columns = 0;
	int			matched = 0;

	leaves = file_leaves(meta, &nleaves);

	src->plans = palloc0(sizeof(ColumnPlan) * Max(args->natts, 1));
	src->nplans = 0;
	/* a column this file lacks may be anything: nothing of the last file's */
	for (int i = 0; src->row_ranges != NULL && i < args->natts; i++)
		src->row_ranges[i].known = false;
	for (int i = 0; i < args->natts; i++)
	{
		RitualSourceColumn *column = &args->columns[i];
		const Leaf *found = NULL;
		const char *group = NULL;
		ColumnPlan *plan;

		if (!column->from_file)
			continue;
		file_columns++;
		for (int l = 0; l < nleaves; l++)
		{
			if (leaves[l].nested)
			{
				const char *top = top_level_name(meta, &leaves[l]);

				if (top != NULL && pg_strcasecmp(top, column->file_name) == 0)
					group = top;
				continue;
			}
			if (!leaf_matches(&leaves[l], column->file_name))
				continue;
			if (found)
				ereport(ERROR,
						(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
						 errmsg("column name \"%s\" appears more than once in the Parquet schema",
								column->file_name),
						 errhint("Map the column to one of them with option \"column_name\", spelled as in the file.")));
			found = &leaves[l];
		}
		if (found == NULL && group != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of the Parquet file is nested (a group, list or map), which ritual_fdw cannot read",
							group),
					 errhint("Leave the column out of the table; nested columns the table does not name are skipped.")));
		if (found == NULL)
			continue;
		matched++;
		if (found->repeated)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of the Parquet file is repeated, which ritual_fdw cannot read",
							found->element->name),
					 errhint("Leave the column out of the table.")));
		if (!found->element->has_type)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("column \"%s\" of the Parquet file has no physical type",
							found->element->name)));
		if (!column->wanted)
			continue;
		plan = &src->plans[src->nplans++];
		plan->attnum = i;
		plan->leaf = found;
		plan->type = found->element->type;
		plan->meaning = parquet_meaning(found->element);
		plan->conversion = choose_conversion(plan, column->conv);
		plan->tested = bms_is_member(i, args->filter_columns);
		plan->memory = &src->column_memory[i];
		if (plan->memory->batch == NULL)
		{
			plan->memory->batch = AllocSetContextCreate(src->columns_context,
														"ritual_fdw Parquet batch",
														ALLOCSET_DEFAULT_SIZES);
			plan->memory->pages =
				parquet_page_buffers_borrow(src->columns_context);
		}
	}
	if (file_columns > 0 && matched == 0 && nleaves > 0)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("no column of the table is in the Parquet file's schema"),
				 errdetail("The file's first column is \"%s\".",
						   leaves[0].element->name ? leaves[0].element->name : ""),
				 errhint("Name the table's columns as the file does, or map them with option \"column_name\".")));
}

/* Where a row group starts: its first column chunk's first page. */
static int64
row_group_start(const ParquetRowGroup *group)
{
	const ParquetColumnMetaData *cm;

	if (group->num_columns < 1)
		return 0;
	cm = &group->columns[0].meta_data;
	if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
		cm->dictionary_page_offset < cm->data_page_offset)
		return cm->dictionary_page_offset;
	return cm->data_page_offset;
}

static void
close_row_group(ParquetSource *src)
{
	for (int p = 0; p < src->nplans; p++)
	{
		if (src->plans[p].reader)
			parquet_column_close(src->plans[p].reader);
		src->plans[p].reader = NULL;
	}
	MemoryContextReset(src->group_context);
	src->row_group = -1;
}

static void
parquet_close(void *state)
{
	ParquetSource *src = state;

	if (src->file == NULL)
		return;
	close_row_group(src);
	src->args->counts->bytes_read += src->file->bytes_read;
	parquet_file_close(src->file);
	src->file = NULL;
}

/* Open a unit: the row groups that start in its byte range. */
static bool
parquet_open(void *state, const RitualUnit *unit, bool *header,
			 RitualRecordEnd *header_end pg_attribute_unused())
{
	ParquetSource *src = state;
	MemoryContext oldcontext;
	const ParquetFileMetaData *meta;

	*header = false;
	parquet_close(src);
	MemoryContextReset(src->unit_context);
	/* the last file's plans are gone with its memory */
	src->plans = NULL;
	src->nplans = 0;
	src->group_context = AllocSetContextCreate(src->unit_context,
											   "ritual_fdw Parquet row group",
											   ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(src->unit_context);
	src->file = parquet_file_open(unit->path);
	meta = src->file->meta;
	parquet_remember_rows(unit->path, src->file->size, src->file->modified,
						  meta->num_rows);
	src->row_groups = palloc(sizeof(int) * Max(meta->num_row_groups, 1));
	src->nrow_groups = 0;
	for (int g = 0; g < meta->num_row_groups; g++)
	{
		int64		start = row_group_start(&meta->row_groups[g]);

		/* one whose start is not in the file is read by the first unit */
		if (start < 0 || start >= src->file->size)
			start = 0;

		/* the first unit also owns row groups that say they start early */
		if ((start >= unit->start || unit->start == 0) &&
			(unit->stop < 0 || start < unit->stop))
			src->row_groups[src->nrow_groups++] = g;
	}
	src->next_row_group = 0;
	src->row_group = -1;
	src->row = 0;
	if (src->nrow_groups > 0 || unit->start == 0)
		plan_columns(src);
	MemoryContextSwitchTo(oldcontext);
	return src->nrow_groups > 0 || unit->start == 0;
}

/* The file row number before row group 'g'. */
static int64
rows_before(const ParquetFileMetaData *meta, int g)
{
	int64		rows = 0;

	for (int i = 0; i < g; i++)
		rows += meta->row_groups[i].num_rows;
	return rows;
}

/* A statistic's bytes as a plain value of the column's physical type. */
static bool
statistic_plain(ParquetType type, const ParquetValue *stat, ParquetPlain *v)
{
	uint64		bits = 0;
	int			width;

	switch (type)
	{
		case PARQUET_BOOLEAN:
			width = 1;
			break;
		case PARQUET_INT32:
		case PARQUET_FLOAT:
			width = 4;
			break;
		case PARQUET_INT64:
		case PARQUET_DOUBLE:
			width = 8;
			break;
		case PARQUET_BYTE_ARRAY:
		case PARQUET_FIXED_LEN_BYTE_ARRAY:
			v->bytes.data = stat->data;
			v->bytes.len = stat->len;
			return true;
		default:
			return false;		/* INT96 statistics have no useful order */
	}
	if (stat->len != width)
		return false;
	for (int i = 0; i < width; i++)
		bits |= (uint64) (uint8) stat->data[i] << (8 * i);
	switch (type)
	{
		case PARQUET_BOOLEAN:
			v->i32 = bits != 0;
			return bits <= 1;
		case PARQUET_INT32:
			v->i32 = (int32) (uint32) bits;
			return true;
		case PARQUET_INT64:
			v->i64 = (int64) bits;
			return true;
		case PARQUET_FLOAT:
			{
				uint32		b = (uint32) bits;

				memcpy(&v->f32, &b, 4);
				return !isnan(v->f32);
			}
		default:
			memcpy(&v->f64, &bits, 8);
			return !isnan(v->f64);
	}
}

/*
 * Whether the column's values keep their order when converted: only then
 * does a row group's minimum and maximum bound the converted values.
 */
static bool
conversion_keeps_order(const ColumnPlan *plan)
{
	if (plan->conversion != CONVERT_BY_TEXT)
		return plan->type != PARQUET_INT96;
	/* numbers into numeric or wider integers, through their text */
	return (plan->type == PARQUET_INT32 || plan->type == PARQUET_INT64) &&
		(plan->meaning.kind == PARQUET_LOGICAL_NONE ||
		 plan->meaning.kind == PARQUET_LOGICAL_INTEGER ||
		 plan->meaning.kind == PARQUET_LOGICAL_DECIMAL);
}

/* A statistic as a Datum of the column's type, or false. */
static bool
statistic_datum(const ColumnPlan *plan, RitualConverter *conv,
				const ParquetValue *stat, Datum *value)
{
	ParquetPlain v;
	char	   *message;
	char	   *text;

	if (stat->data == NULL || !statistic_plain(plan->type, stat, &v))
		return false;
	if (direct_datum(plan, conv, &v, value, &message))
		return true;
	if (message != NULL || plan->conversion != CONVERT_BY_TEXT)
		return false;
	text = value_text(plan, &v);
	return ritual_convert_soft(conv, text, strlen(text), value, &message);
}

/*
 * What a column chunk's statistics say of the column in its row group:
 * its NULLs, and its minimum and maximum when they are in an order the
 * converted values keep (min_value/max_value; the deprecated min/max only
 * for signed numbers, whose order they were written in).
 */
static void
column_range(ParquetSource *src, const ColumnPlan *plan,
			 const ParquetRowGroup *group, RitualColumnRange *range)
{
	const ParquetColumnChunk *chunk = &group->columns[plan->leaf->chunk];
	const ParquetStatistics *st = &chunk->meta_data.statistics;
	RitualConverter *conv = src->args->columns[plan->attnum].conv;
	const ParquetValue *min = &st->min_value;
	const ParquetValue *max = &st->max_value;

	range->row_count = group->num_rows;
	if (!chunk->has_meta_data || !chunk->meta_data.has_statistics)
		return;
	range->known = true;
	range->null_count = st->has_null_count ? st->null_count : -1;
	if ((min->data == NULL || max->data == NULL) &&
		plan->type != PARQUET_BYTE_ARRAY &&
		plan->type != PARQUET_FIXED_LEN_BYTE_ARRAY &&
		parquet_signed_order(plan->leaf->element))
	{
		min = &st->min;
		max = &st->max;
	}
	range->has_bounds = conversion_keeps_order(plan) &&
		statistic_datum(plan, conv, min, &range->min) &&
		statistic_datum(plan, conv, max, &range->max);
}

/*
 * Whether a row group may hold rows that satisfy the query's conditions,
 * by its columns' statistics.
 */
static bool
row_group_may_match(ParquetSource *src, const ParquetRowGroup *group)
{
	const RitualSourceArgs *args = src->args;
	RitualColumnRange *ranges;

	ranges = palloc0(sizeof(RitualColumnRange) * Max(args->natts, 1));
	for (int i = 0; i < args->natts; i++)
	{
		ranges[i].null_count = -1;
		ranges[i].row_count = -1;
	}
	for (int p = 0; p < src->nplans; p++)
	{
		const ColumnPlan *plan = &src->plans[p];

		if (plan->leaf->chunk < group->num_columns && plan->tested)
			column_range(src, plan, group, &ranges[plan->attnum]);
	}
	return ritual_range_may_match(args->filter, ranges);
}

/* Open the readers of the next row group that has rows; false at the end. */
static bool
open_next_row_group(ParquetSource *src)
{
	const ParquetFileMetaData *meta = src->file->meta;

	close_row_group(src);
	while (src->next_row_group < src->nrow_groups)
	{
		int			g = src->row_groups[src->next_row_group++];
		const ParquetRowGroup *group = &meta->row_groups[g];
		ParquetFileAccess access;
		MemoryContext oldcontext;

		if (group->num_rows < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("row group %d of the Parquet file says it has " INT64_FORMAT " rows",
							g, group->num_rows)));
		if (group->num_rows == 0)
			continue;
		if (src->args->filter != NULL)
		{
			bool		may_match;

			oldcontext = MemoryContextSwitchTo(src->group_context);
			may_match = row_group_may_match(src, group);
			MemoryContextSwitchTo(oldcontext);
			MemoryContextReset(src->group_context);
			if (!may_match)
			{
				src->args->counts->row_groups_skipped++;
				continue;
			}
		}
		src->args->counts->row_groups_read++;
		src->row_group = g;
		src->group_rows = group->num_rows;
		src->group_first_row = rows_before(meta, g);
		src->row = 0;
		access.read_at = parquet_file_read_at;
		access.arg = src->file;
		access.size = src->file->size;
		oldcontext = MemoryContextSwitchTo(src->group_context);
		for (int p = 0; p < src->nplans; p++)
		{
			ColumnPlan *plan = &src->plans[p];
			const ParquetColumnChunk *chunk;

			if (plan->leaf->chunk >= group->num_columns)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("row group %d of the Parquet file has %d column chunks, but its schema has more columns",
								g, group->num_columns)));
			chunk = &group->columns[plan->leaf->chunk];
			if (!chunk->has_meta_data || chunk->file_path != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of row group %d is stored in another file, which ritual_fdw cannot read",
								plan->leaf->element->name, g)));
			if (chunk->meta_data.type != plan->type)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("column \"%s\" of row group %d has physical type %d, but the schema says %d",
								plan->leaf->element->name, g,
								chunk->meta_data.type, plan->type)));
			plan->count = 0;
			plan->pos = -1;
			plan->dictionary_datums = NULL;
			plan->reader = parquet_column_open(&access, chunk, plan->type,
											   plan->leaf->element->has_type_length ?
											   plan->leaf->element->type_length : 0,
											   plan->leaf->max_definition,
											   group->num_rows,
											   plan->memory->pages);
		}
		MemoryContextSwitchTo(oldcontext);
		return true;
	}
	return false;
}

/*
 * A text value of the chunk's dictionary as a Datum, made the first time
 * the dictionary value is met (at 'row'); false when it is not valid UTF-8.
 */
static bool
dictionary_text(ParquetSource *src, ColumnPlan *plan, int row)
{
	int32		index = plan->dictionary_index[row];
	MemoryContext oldcontext = MemoryContextSwitchTo(src->group_context);
	char	   *message;
	bool		valid;

	/* the row's value, where a bad one is reported from */
	plan->values[row] = *parquet_column_dictionary_value(plan->reader, index);
	valid = text_datum(&plan->values[row], &plan->dictionary_datums[index],
					   &message);

	MemoryContextSwitchTo(oldcontext);
	return valid;
}

/*
 * CONVERT_TEXT: the rows of a dictionary-encoded page are its dictionary's
 * texts, each made once; those of other pages are converted one by one.
 */
static void
convert_text_batch(ParquetSource *src, ColumnPlan *plan,
				   const RitualConverter *conv)
{
	const bool *isnull = plan->isnull;
	const int32 *index = plan->dictionary_index;
	Datum	   *datums = plan->datums;
	bool	   *ready = plan->ready;
	Datum	   *dictionary;
	bool		coded = true;
	char	   *message;

	if (plan->dictionary_datums == NULL)
		plan->dictionary_datums =
			MemoryContextAllocZero(src->group_context,
								   sizeof(Datum) *
								   Max(parquet_column_dictionary_size(plan->reader), 1));
	dictionary = plan->dictionary_datums;
	for (int i = 0; i < plan->count; i++)
	{
		if (isnull[i])
			ready[i] = true;
		else if (index[i] < 0)
		{
			ready[i] = direct_datum(plan, conv, &plan->values[i], &datums[i],
									&message);
			coded = false;
		}
		else
		{
			ready[i] = dictionary[index[i]] != (Datum) 0 ||
				dictionary_text(src, plan, i);
			datums[i] = dictionary[index[i]];
			coded &= ready[i];
		}
	}
	plan->coded = coded;
}

/*
 * The commonest conversions of a batch in one loop each, instead of
 * direct_datum's for every value: INT64 into bigint, and INT64 times into a
 * timestamp of the same kind.  False for other columns.
 */
static bool
convert_int64_batch(ColumnPlan *plan, const RitualConverter *conv)
{
	if (plan->type != PARQUET_INT64)
		return false;
	if (plan->conversion == CONVERT_INT && conv->typid == INT8OID)
	{
		for (int i = 0; i < plan->count; i++)
			plan->datums[i] = Int64GetDatum(plan->values[i].i64);
		memset(plan->ready, true, sizeof(bool) * plan->count);
		return true;
	}
	if (plan->conversion == CONVERT_TIMESTAMP &&
		plan->source_utc == plan->target_tz)
	{
		for (int i = 0; i < plan->count; i++)
		{
			Timestamp	ts = 0;

			/* one out of range is converted again at its row, and reported */
			plan->ready[i] = plan->isnull[i] ||
				timestamp_value(plan, &plan->values[i], &ts);
			plan->datums[i] = TimestampGetDatum(ts);
		}
		return true;
	}
	return false;
}

/*
 * Convert the batch just decoded where the conversion cannot fail, in the
 * column's batch memory: the executor is done with a batch's rows when the
 * next batch is read.
 */
static void
convert_batch(ParquetSource *src, ColumnPlan *plan)
{
	RitualConverter *conv = src->args->columns[plan->attnum].conv;
	MemoryContext oldcontext;
	char	   *message;

	plan->coded = false;
	if (plan->conversion == CONVERT_BY_TEXT)
	{
		memset(plan->ready, false, sizeof(bool) * plan->count);
		return;
	}
	MemoryContextReset(plan->memory->batch);
	oldcontext = MemoryContextSwitchTo(plan->memory->batch);
	if (convert_int64_batch(plan, conv))
	{
		MemoryContextSwitchTo(oldcontext);
		return;
	}
	/* a direct conversion is never a domain's: NULLs are ready as they are */
	if (plan->conversion == CONVERT_TEXT)
		convert_text_batch(src, plan, conv);
	else
	{
		for (int i = 0; i < plan->count; i++)
			plan->ready[i] = plan->isnull[i] ||
				direct_datum(plan, conv, &plan->values[i], &plan->datums[i],
							 &message);
	}
	MemoryContextSwitchTo(oldcontext);
}

/*
 * Decode a column's next batch, the group's first 'rows_read' rows being
 * read: its position is then before the batch's first row.
 */
static void
decode_batch(ParquetSource *src, ColumnPlan *plan, int64 rows_read)
{
	plan->count = parquet_column_read(plan->reader,
									  (int) Min(src->group_rows - rows_read,
												BATCH_ROWS),
									  plan->values, plan->isnull,
									  plan->conversion == CONVERT_TEXT ?
									  plan->dictionary_index : NULL);
	plan->pos = -1;
	if (plan->count <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("column \"%s\" of row group %d ends after " INT64_FORMAT " of its " INT64_FORMAT " rows",
						plan->leaf->element->name, src->row_group,
						rows_read, src->group_rows)));
	convert_batch(src, plan);
}

/* Move every planned column to the group's next row, decoding as needed. */
static void
advance_columns(ParquetSource *src)
{
	for (int p = 0; p < src->nplans; p++)
	{
		ColumnPlan *plan = &src->plans[p];

		if (plan->pos + 1 >= plan->count)
			decode_batch(src, plan, src->row - 1);
		plan->pos++;
	}
}

/*
 * Whether the current row may satisfy the query's conditions, by the values
 * of the columns they test, as a row group's statistics are tested: each
 * value a range of one.  A value not yet converted (one whose conversion
 * may fail, which fill reports at its row) may be anything.  The executor
 * still tests the conditions on every row it gets: a row is only ever
 * passed over here when it could not satisfy them.
 */
static bool
row_may_match(ParquetSource *src)
{
	RitualColumnRange *ranges = src->row_ranges;

	for (int p = 0; p < src->nplans; p++)
	{
		const ColumnPlan *plan = &src->plans[p];
		RitualColumnRange *range = &ranges[plan->attnum];

		if (!plan->tested)
			continue;
		range->known = plan->ready[plan->pos];
		if (!range->known)
			continue;
		range->row_count = 1;
		range->null_count = plan->isnull[plan->pos] ? 1 : 0;
		range->has_bounds = !plan->isnull[plan->pos];
		range->min = range->max = plan->datums[plan->pos];
	}
	return ritual_range_may_match(src->args->filter, ranges);
}

/*
 * For callers resuming files, a Parquet file is read whole: a row's end is
 * its row number, and only the file's last row ends at a byte, the file's
 * size.  Rows that cannot satisfy the query's conditions are passed over
 * (never for those callers, who have no conditions).
 */
static bool
parquet_next(void *state, RitualRecordEnd *end)
{
	ParquetSource *src = state;

	end->terminated = true;
	for (;;)
	{
		if (src->row_group >= 0 && src->row < src->group_rows)
		{
			src->row++;
			advance_columns(src);
			if (src->row_ranges != NULL && !row_may_match(src))
			{
				src->args->counts->rows_skipped++;
				continue;
			}
			end->end_line = src->group_first_row + src->row;
			end->end_offset = end->end_line == src->file->meta->num_rows ?
				src->file->size : -1;
			return true;
		}
		if (!open_next_row_group(src))
			return false;
	}
}

/*
 * The rows of the current row group whose values are all decoded and
 * converted, up to the end of the shortest batch: each column's values are
 * handed over where they lie, with their dictionary's codes where each row
 * that is not NULL is a value of its dictionary.  Rows the query's
 * conditions test go through parquet_next, which passes over those that
 * cannot match.
 */
static int
parquet_take_rows(void *state, int max, RitualColumnRows *columns)
{
	ParquetSource *src = state;
	int			n;

	if (src->row_ranges != NULL)
		return 0;
	if ((src->row_group < 0 || src->row >= src->group_rows) &&
		!open_next_row_group(src))
		return 0;
	n = (int) Min(max, src->group_rows - src->row);
	/* the first row to take is the current one while it is decoded */
	src->row++;
	for (int p = 0; p < src->nplans; p++)
	{
		ColumnPlan *plan = &src->plans[p];

		if (plan->pos + 1 >= plan->count)
			decode_batch(src, plan, src->row - 1);
		n = Min(n, plan->count - (plan->pos + 1));
	}
	src->row--;
	for (int p = 0; p < src->nplans; p++)
	{
		const bool *ready = &src->plans[p].ready[src->plans[p].pos + 1];
		const bool *unready = memchr(ready, false, n);

		if (unready != NULL)
			n = unready - ready;
	}
	if (n == 0)
		return 0;
	for (int p = 0; p < src->nplans; p++)
	{
		ColumnPlan *plan = &src->plans[p];
		RitualColumnRows *column = &columns[plan->attnum];

		column->values = &plan->datums[plan->pos + 1];
		column->nulls = &plan->isnull[plan->pos + 1];
		if (plan->coded)
		{
			column->codes = &plan->dictionary_index[plan->pos + 1];
			column->dictionary = plan->dictionary_datums;
			column->dictionary_size =
				parquet_column_dictionary_size(plan->reader);
		}
		plan->pos += n;
	}
	src->row += n;
	return n;
}

static void
parquet_position(void *state, bool may_fail pg_attribute_unused(),
				 RitualPosition *pos)
{
	ParquetSource *src = state;

	pos->line = -1;
	pos->row_group = -1;
	pos->row_in_group = 0;
	if (src->row_group < 0 || src->row == 0)
		return;
	pos->line = src->group_first_row + src->row;
	pos->row_group = src->row_group;
	pos->row_in_group = src->row;
}

/* The plain bytes of a value, as statistics hold them, for its text. */
static ParquetValue
plain_bytes(ParquetType type, const ParquetPlain *v, char *buf)
{
	ParquetValue value = {buf, 0};
	uint64		bits = 0;

	switch (type)
	{
		case PARQUET_BOOLEAN:
			buf[0] = v->i32 ? 1 : 0;
			value.len = 1;
			return value;
		case PARQUET_INT32:
			bits = (uint32) v->i32;
			value.len = 4;
			break;
		case PARQUET_INT64:
			bits = (uint64) v->i64;
			value.len = 8;
			break;
		case PARQUET_FLOAT:
			{
				uint32		b;

				memcpy(&b, &v->f32, 4);
				bits = b;
				value.len = 4;
				break;
			}
		case PARQUET_DOUBLE:
			memcpy(&bits, &v->f64, 8);
			value.len = 8;
			break;
		default:
			value.data = unconstify(char *, v->bytes.data);
			value.len = v->bytes.len;
			return value;
	}
	for (int i = 0; i < value.len; i++)
		buf[i] = (char) (bits >> (8 * i));
	return value;
}

/* An INT96 timestamp (nanoseconds of the day, Julian day) in microseconds since 1970. */
static bool
int96_micros(const ParquetPlain *v, int64 *micros)
{
	const uint8 *b = (const uint8 *) v->bytes.data;
	uint64		nanos = 0;
	uint32		julian = 0;

	if (v->bytes.len != 12)
		return false;
	for (int i = 0; i < 8; i++)
		nanos |= (uint64) b[i] << (8 * i);
	for (int i = 0; i < 4; i++)
		julian |= (uint32) b[8 + i] << (8 * i);
	if (nanos >= (uint64) USECS_PER_DAY * 1000)
		return false;
	*micros = ((int64) julian - UNIX_EPOCH_JDATE) * USECS_PER_DAY +
		(int64) (nanos / 1000);
	return true;
}

/*
 * A timestamp value in PostgreSQL's microseconds since 2000, or false when
 * it is out of PostgreSQL's range.
 */
static bool
timestamp_value(const ColumnPlan *plan, const ParquetPlain *v, Timestamp *ts)
{
	int64		micros;

	if (plan->type == PARQUET_INT96)
	{
		if (!int96_micros(v, &micros))
			return false;
	}
	else
	{
		switch (plan->meaning.unit)
		{
			case PARQUET_MILLIS:
				if (pg_mul_s64_overflow(v->i64, 1000, &micros))
					return false;
				break;
			case PARQUET_MICROS:
				micros = v->i64;
				break;
			case PARQUET_NANOS:
				/* rounded down, as DuckDB casts nanoseconds */
				micros = v->i64 / 1000 - (v->i64 % 1000 < 0 ? 1 : 0);
				break;
			default:
				return false;
		}
	}
	if (pg_add_s64_overflow(micros, UNIX_EPOCH_USECS, ts))
		return false;
	return IS_VALID_TIMESTAMP(*ts);
}

/* The text of a value, for the input function and for messages. */
static char *
value_text(const ColumnPlan *plan, const ParquetPlain *v)
{
	char		buf[8];
	ParquetValue bytes;

	if (plan->type == PARQUET_INT96)
	{
		Timestamp	ts;

		if (!timestamp_value(plan, v, &ts))
			return pstrdup("(an INT96 timestamp out of range)");
		return DatumGetCString(DirectFunctionCall1(timestamp_out,
												   TimestampGetDatum(ts)));
	}
	bytes = plain_bytes(plan->type, v, buf);
	return parquet_value_text(plan->leaf->element, plan->type, &bytes);
}

/*
 * A value's UTF-8 bytes as text of the database, or false with *message:
 * checked once, and converted only when the database's encoding differs.
 */
static bool
text_datum(const ParquetPlain *v, Datum *value, char **message)
{
	const char *text;

	if (!pg_verify_mbstr(PG_UTF8, v->bytes.data, v->bytes.len, true))
	{
		*message = psprintf("invalid byte sequence for encoding \"%s\"", "UTF8");
		return false;
	}
	text = (GetDatabaseEncoding() == PG_UTF8 ||
			GetDatabaseEncoding() == PG_SQL_ASCII) ? v->bytes.data :
		pg_any_to_server(v->bytes.data, v->bytes.len, PG_UTF8);
	/* unconverted bytes are not NUL-terminated */
	*value = text == v->bytes.data ?
		PointerGetDatum(cstring_to_text_with_len(v->bytes.data, v->bytes.len)) :
		CStringGetTextDatum(text);
	return true;
}

/*
 * A value's Datum by the direct conversions: true when it is made; false
 * with *message when the value does not fit, false with *message NULL when
 * the value must go through its text.
 */
static bool
direct_datum(const ColumnPlan *plan, const RitualConverter *conv,
			 const ParquetPlain *v, Datum *value, char **message)
{
	*message = NULL;
	switch (plan->conversion)
	{
		case CONVERT_BOOL:
			*value = BoolGetDatum(v->i32 != 0);
			return true;
		case CONVERT_INT:
			{
				int64		n = plan->type == PARQUET_INT32 ? v->i32 : v->i64;

				if (conv->typid == INT8OID)
					*value = Int64GetDatum(n);
				else if (conv->typid == INT4OID && n >= PG_INT32_MIN && n <= PG_INT32_MAX)
					*value = Int32GetDatum((int32) n);
				else if (conv->typid == INT2OID && n >= PG_INT16_MIN && n <= PG_INT16_MAX)
					*value = Int16GetDatum((int16) n);
				else
					return false;	/* out of range: the input function says so */
				return true;
			}
		case CONVERT_FLOAT8:
			*value = Float8GetDatum(plan->type == PARQUET_FLOAT ?
									(float8) v->f32 : v->f64);
			return true;
		case CONVERT_FLOAT4:
			*value = Float4GetDatum(v->f32);
			return true;
		case CONVERT_TEXT:
			return text_datum(v, value, message);
		case CONVERT_BYTEA:
			{
				bytea	   *b = palloc(VARHDRSZ + v->bytes.len);

				SET_VARSIZE(b, VARHDRSZ + v->bytes.len);
				memcpy(VARDATA(b), v->bytes.data, v->bytes.len);
				*value = PointerGetDatum(b);
				return true;
			}
		case CONVERT_DATE:
			{
				int64		days = (int64) v->i32 + UNIX_EPOCH_DAYS;

				if (!IS_VALID_DATE(days))
				{
					*message = psprintf("date out of range: %d days after 1970-01-01",
										v->i32);
					return false;
				}
				*value = DateADTGetDatum((DateADT) days);
				return true;
			}
		case CONVERT_TIMESTAMP:
			{
				Timestamp	ts;

				if (!timestamp_value(plan, v, &ts))
				{
					*message = pstrdup("timestamp out of range");
					return false;
				}
				/* an instant read as local time, or local time as an instant */
				if (plan->source_utc && !plan->target_tz)
					ts = DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp,
															   TimestampTzGetDatum(ts)));
				else if (!plan->source_utc && plan->target_tz)
					ts = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz,
																 TimestampGetDatum(ts)));
				*value = TimestampGetDatum(ts);
				return true;
			}
		case CONVERT_TIME:
			{
				int64		micros = plan->type == PARQUET_INT32 ? v->i32 : v->i64;

				if (plan->meaning.unit == PARQUET_MILLIS)
					micros *= 1000;
				else if (plan->meaning.unit == PARQUET_NANOS)
					micros /= 1000;
				if (micros < 0 || micros > USECS_PER_DAY)
				{
					*message = pstrdup("time out of range");
					return false;
				}
				*value = TimeADTGetDatum(micros);
				return true;
			}
		case CONVERT_UUID:
			if (v->bytes.len != UUID_LEN)
				return false;
			{
				pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));

				memcpy(uuid->data, v->bytes.data, UUID_LEN);
				*value = UUIDPGetDatum(uuid);
				return true;
			}
		case CONVERT_BY_TEXT:
			break;
	}
	return false;
}

/*
 * Convert one value of a column; false when the value is bad (reported)
 * and the row is not to be converted further.
 */
static bool
convert_value(ParquetSource *src, ColumnPlan *plan, int row,
			  Datum *value, bool *isnull)
{
	const RitualSourceArgs *args = src->args;
	RitualConverter *conv = args->columns[plan->attnum].conv;
	const ParquetPlain *v = &plan->values[row];
	RitualCursor *cursor = args->cursor;
	char	   *text;
	char	   *message = NULL;
	bool		go_on = true;

	*isnull = plan->isnull[row];
	if (*isnull && !conv->is_domain)
		return true;
	if (!*isnull && direct_datum(plan, conv, v, value, &message))
		return true;

	/* through the value's text, as a CSV field would go */
	text = *isnull ? NULL : value_text(plan, v);
	cursor->attnum = plan->attnum;
	cursor->value = text;
	cursor->value_len = text ? strlen(text) : 0;
	if (message != NULL)
		go_on = args->problem(args->problem_arg, plan->attnum, message);
	else if (args->opts->on_error == RITUAL_ON_ERROR_STOP)
	{
		*value = ritual_convert(conv, text, cursor->value_len);
		*isnull = (text == NULL);
	}
	else if (!ritual_convert_soft(conv, text, cursor->value_len, value,
								  &message))
		go_on = args->problem(args->problem_arg, plan->attnum, message);
	else
		*isnull = (text == NULL);
	if (message != NULL)
		*isnull = true;
	cursor->attnum = -1;
	return go_on;
}

static void
parquet_fill(void *state, Datum *values, bool *nulls)
{
	ParquetSource *src = state;
	for (int p = 0; p < src->nplans; p++)
	{
		ColumnPlan *plan = &src->plans[p];

		if (plan->ready[plan->pos])
		{
			values[plan->attnum] = plan->datums[plan->pos];
			nulls[plan->attnum] = plan->isnull[plan->pos];
		}
		else if (!convert_value(src, plan, plan->pos, &values[plan->attnum],
								&nulls[plan->attnum]))
			break;
	}
}

/* Rows of Parquet have no raw bytes of their own to show. */
static const char *
parquet_raw(void *state pg_attribute_unused(),
			int64 from pg_attribute_unused(), int64 to pg_attribute_unused())
{
	return NULL;
}

static void
parquet_end(void *state)
{
	ParquetSource *src = state;

	parquet_close(src);
	MemoryContextDelete(src->unit_context);
	MemoryContextDelete(src->columns_context);
}

/*
 * The type a table column over a leaf gets from IMPORT FOREIGN SCHEMA: the
 * one its values mean (the conversions above read each of them), else
 * text, which every value has.
 */
static char *
leaf_type(const ParquetSchemaElement *element)
{
	ParquetMeaning m = parquet_meaning(element);

	if (element->type == PARQUET_INT96)
		return "timestamptz";	/* Spark's instants */
	switch (m.kind)
	{
		case PARQUET_LOGICAL_NONE:
		case PARQUET_LOGICAL_INTEGER:
			switch (element->type)
			{
				case PARQUET_BOOLEAN:
					return "boolean";
				case PARQUET_INT32:
					/* unsigned: the next wider signed type */
					if (m.bit_width == 8 || (m.bit_width == 16 && !m.is_unsigned))
						return "smallint";
					if (m.bit_width == 16 || !m.is_unsigned)
						return "integer";
					return "bigint";
				case PARQUET_INT64:
					return m.is_unsigned ? "numeric(20,0)" : "bigint";
				case PARQUET_FLOAT:
					return "real";
				case PARQUET_DOUBLE:
					return "double precision";
				case PARQUET_BYTE_ARRAY:
				case PARQUET_FIXED_LEN_BYTE_ARRAY:
					return m.kind == PARQUET_LOGICAL_NONE ? "bytea" : "text";
				default:
					return "text";
			}
		case PARQUET_LOGICAL_STRING:
		case PARQUET_LOGICAL_ENUM:
			return "text";
		case PARQUET_LOGICAL_JSON:
			return "jsonb";
		case PARQUET_LOGICAL_UUID:
			return "uuid";
		case PARQUET_LOGICAL_DATE:
			return "date";
		case PARQUET_LOGICAL_TIME:
			return "time";
		case PARQUET_LOGICAL_TIMESTAMP:
			return m.utc ? "timestamptz" : "timestamp";
		case PARQUET_LOGICAL_DECIMAL:
			if (m.precision >= 1 && m.precision <= NUMERIC_MAX_PRECISION &&
				m.scale >= 0 && m.scale <= m.precision)
				return psprintf("numeric(%d,%d)", m.precision, m.scale);
			return "numeric";
		default:
			return "text";
	}
}

/*
 * The file's top-level leaves as columns.  Nested and repeated columns,
 * which the reader cannot read, are left out with a NOTICE; of names equal
 * but for case (the reader matches names so) the first is kept.
 */
static List *
parquet_describe(const char *path, const RitualOptions *opts pg_attribute_unused(),
				 List *given pg_attribute_unused(), List **table_options)
{
	ParquetFile *file = parquet_file_open(path);
	List	   *columns = NIL;
	List	   *left_out = NIL;
	Leaf	   *leaves;
	int			nleaves;

	*table_options = NIL;
	leaves = file_leaves(file->meta, &nleaves);
	for (int l = 0; l < nleaves; l++)
	{
		const ParquetSchemaElement *element = leaves[l].element;
		RitualFileColumn *column;
		bool		taken = false;
		ListCell   *lc;

		if (element->name == NULL || element->name[0] == '\0')
			continue;
		if (leaves[l].nested || leaves[l].repeated || !element->has_type)
		{
			const char *group = top_level_name(file->meta, &leaves[l]);

			if (group == NULL)
				group = element->name;

			/* a group's leaves come together: one notice for its first */
			if (group != NULL && !list_member(left_out, makeString((char *) group)))
			{
				left_out = lappend(left_out, makeString((char *) group));
				ereport(NOTICE,
						(errmsg("column \"%s\" of Parquet file \"%s\" is left out: it is nested or repeated",
								group, path)));
			}
			continue;
		}
		foreach(lc, columns)
			taken |= pg_strcasecmp(((RitualFileColumn *) lfirst(lc))->name,
								   element->name) == 0;
		if (taken)
		{
			ereport(NOTICE,
					(errmsg("column \"%s\" of Parquet file \"%s\" is left out: an earlier column has the same name but for case",
							element->name, path)));
			continue;
		}
		column = palloc(sizeof(RitualFileColumn));
		column->name = pstrdup(element->name);
		column->type = leaf_type(element);
		columns = lappend(columns, column);
	}
	parquet_file_close(file);
	return columns;
}

const RitualSourceRoutine ritual_parquet_source = {
	.format = "Parquet",
	.begin = parquet_begin,
	.open = parquet_open,
	.next = parquet_next,
	.fill = parquet_fill,
	.take_rows = parquet_take_rows,
	.position = parquet_position,
	.raw = parquet_raw,
	.close = parquet_close,
	.end = parquet_end,
	.describe = parquet_describe,
};
