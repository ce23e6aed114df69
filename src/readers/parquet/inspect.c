/*-------------------------------------------------------------------------
 *
 * inspect.c
 *		  ritual.parquet_metadata() and ritual.parquet_schema(): a Parquet
 *		  file's footer as rows, one per column chunk or schema element,
 *		  shaped like DuckDB's functions of the same names.
 *
 * Reading a server file is what pg_read_server_files grants, so the
 * functions are executable by everyone and check it themselves, as COPY
 * and file_fdw do.  The footer is read into a context of its own, deleted
 * once the rows are in the tuplestore.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "readers/parquet/parquet.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(ritual_parquet_metadata);
PG_FUNCTION_INFO_V1(ritual_parquet_schema);

#define METADATA_COLUMNS	23
#define SCHEMA_COLUMNS		11

/*
 * The security rule of file_fdw: reading a server file through SQL is for
 * superusers and members of pg_read_server_files.  Checked here rather
 * than by a grant, as the function is part of the public API.
 */
static void
check_may_read(const char *path)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read Parquet file \"%s\"", path),
				 errhint("Only superusers and members of pg_read_server_files may read server files.")));
}

/* adds the rows of one function for a file's footer to the tuplestore */
typedef void (*RowMaker) (const char *path, const ParquetFileMetaData *md,
						  ReturnSetInfo *rsinfo);

/*
 * The body of both functions: read the footer of the file named by the
 * argument into a context of its own, have make_rows add the rows, and
 * delete the context.
 */
static Datum
footer_rows(FunctionCallInfo fcinfo, RowMaker make_rows)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext context;

	check_may_read(path);
	InitMaterializedSRF(fcinfo, 0);
	context = AllocSetContextCreate(CurrentMemoryContext,
									"ritual parquet footer",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(context);
	make_rows(path, parquet_read_footer(path),
			  (ReturnSetInfo *) fcinfo->resultinfo);
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(context);
	return (Datum) 0;
}

/* an enum value's name, or its number when parquet.thrift has no name for it */
static Datum
enum_datum(const char *(*name_of) (int), int value)
{
	const char *name = name_of(value);

	return name ? CStringGetTextDatum(name) :
		CStringGetTextDatum(psprintf("%d", value));
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * The schema's leaves, in order: the elements without children but the
 * root, which are the columns of each row group, in the same order.
 */
static const ParquetSchemaElement **
schema_leaves(const ParquetFileMetaData *md, int *count)
{
	const ParquetSchemaElement **leaves =
		palloc(sizeof(ParquetSchemaElement *) * Max(md->num_schema, 1));

	*count = 0;
	for (int i = 1; i < md->num_schema; i++)
		if (!md->schema[i].has_num_children || md->schema[i].num_children == 0)
			leaves[(*count)++] = &md->schema[i];
	return leaves;
}

static char *
joined_path(const ParquetColumnMetaData *m)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < m->path_length; i++)
		appendStringInfo(&s, "%s%s", i > 0 ? ", " : "", m->path_in_schema[i]);
	return s.data;
}

static char *
joined_encodings(const ParquetColumnMetaData *m)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < m->num_encodings; i++)
	{
		const char *name = parquet_encoding_name(m->encodings[i]);

		if (i > 0)
			appendStringInfoString(&s, ", ");
		if (name)
			appendStringInfoString(&s, name);
		else
			appendStringInfo(&s, "%d", m->encodings[i]);
	}
	return s.data;
}

/* a string as a text Datum, the bytes of a non-UTF-8 one as hex */
static Datum
string_datum(const char *s)
{
	ParquetValue v = {(char *) s, strlen(s)};

	return CStringGetTextDatum(parquet_value_text(NULL, PARQUET_BYTE_ARRAY, &v));
}

static void
column_chunk_row(const char *path, const ParquetFileMetaData *md, int g, int c,
				 const ParquetSchemaElement *leaf, Datum *values, bool *nulls)
{
	const ParquetRowGroup *rg = &md->row_groups[g];
	const ParquetColumnChunk *cc = &rg->columns[c];
	const ParquetColumnMetaData *m = &cc->meta_data;
	const ParquetStatistics *st = &m->statistics;
	bool		has_stats = cc->has_meta_data && m->has_statistics;
	bool		signed_order = parquet_signed_order(leaf);
	int			i = 0;

	memset(nulls, 0, sizeof(bool) * METADATA_COLUMNS);
	values[i++] = CStringGetTextDatum(path);
	values[i++] = Int64GetDatum(g);
	values[i++] = Int64GetDatum(rg->num_rows);
	values[i++] = Int64GetDatum(rg->num_columns);
	values[i++] = Int64GetDatum(rg->total_byte_size);
	values[i++] = Int64GetDatum(c);
	values[i++] = Int64GetDatum(cc->file_offset);
	if (!cc->has_meta_data)
	{
		/* the column's metadata is elsewhere (file_path) or encrypted */
		for (; i < METADATA_COLUMNS; i++)
			nulls[i] = true;
		return;
	}
	values[i++] = Int64GetDatum(m->num_values);
	values[i++] = string_datum(joined_path(m));
	values[i++] = enum_datum(parquet_type_name, m->type);
	values[i] = text_or_null(has_stats && signed_order ?
							 parquet_value_text(leaf, m->type, &st->min) : NULL,
							 &nulls[i]);
	i++;
	values[i] = text_or_null(has_stats && signed_order ?
							 parquet_value_text(leaf, m->type, &st->max) : NULL,
							 &nulls[i]);
	i++;
	values[i] = Int64GetDatum(st->null_count);
	nulls[i++] = !(has_stats && st->has_null_count);
	values[i] = Int64GetDatum(st->distinct_count);
	nulls[i++] = !(has_stats && st->has_distinct_count);
	values[i] = text_or_null(has_stats ?
							 parquet_value_text(leaf, m->type, &st->min_value) : NULL,
							 &nulls[i]);
	i++;
	values[i] = text_or_null(has_stats ?
							 parquet_value_text(leaf, m->type, &st->max_value) : NULL,
							 &nulls[i]);
	i++;
	values[i++] = enum_datum(parquet_codec_name, m->codec);
	values[i++] = CStringGetTextDatum(joined_encodings(m));
	values[i] = Int64GetDatum(m->index_page_offset);
	nulls[i++] = !m->has_index_page_offset;
	values[i] = Int64GetDatum(m->dictionary_page_offset);
	nulls[i++] = !m->has_dictionary_page_offset;
	values[i++] = Int64GetDatum(m->data_page_offset);
	values[i++] = Int64GetDatum(m->total_compressed_size);
	values[i++] = Int64GetDatum(m->total_uncompressed_size);
	Assert(i == METADATA_COLUMNS);
}

/*
 * ritual.parquet_metadata(path): one row per column chunk of each row
 * group, with its statistics shown by the column's types.
 */
static void
metadata_rows(const char *path, const ParquetFileMetaData *md,
			  ReturnSetInfo *rsinfo)
{
	int			num_leaves;
	const ParquetSchemaElement **leaves = schema_leaves(md, &num_leaves);
	Datum		values[METADATA_COLUMNS];
	bool		nulls[METADATA_COLUMNS];

	for (int g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		for (int c = 0; c < rg->num_columns; c++)
		{
			const ParquetSchemaElement *leaf = NULL;

			CHECK_FOR_INTERRUPTS();
			/* a leaf whose type is not the column's says nothing about it */
			if (c < num_leaves && leaves[c]->has_type &&
				leaves[c]->type == rg->columns[c].meta_data.type)
				leaf = leaves[c];
			column_chunk_row(path, md, g, c, leaf, values, nulls);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
}

Datum
ritual_parquet_metadata(PG_FUNCTION_ARGS)
{
	return footer_rows(fcinfo, metadata_rows);
}

static char *
time_unit_name(ParquetTimeUnit unit)
{
	switch (unit)
	{
		case PARQUET_MILLIS:
			return "MILLIS";
		case PARQUET_MICROS:
			return "MICROS";
		case PARQUET_NANOS:
			return "NANOS";
		default:
			return "?";
	}
}

/* a LogicalType as parquet.thrift spells it, with its parameters */
static char *
logical_type_text(const ParquetLogicalType *lt)
{
	static const char *const names[] = {
		NULL, "STRING", "MAP", "LIST", "ENUM", "DECIMAL", "DATE", "TIME",
		"TIMESTAMP", NULL, "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID",
		"FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"
	};

	switch (lt->kind)
	{
		case PARQUET_LOGICAL_NONE:
			return NULL;
		case PARQUET_LOGICAL_DECIMAL:
			return psprintf("DECIMAL(precision=%d, scale=%d)", lt->precision,
							lt->scale);
		case PARQUET_LOGICAL_TIME:
		case PARQUET_LOGICAL_TIMESTAMP:
			return psprintf("%s(isAdjustedToUTC=%s, unit=%s)",
							names[lt->kind],
							lt->adjusted_to_utc ? "true" : "false",
							time_unit_name(lt->unit));
		case PARQUET_LOGICAL_INTEGER:
			return psprintf("INTEGER(bitWidth=%d, isSigned=%s)", lt->bit_width,
							lt->is_signed ? "true" : "false");
		default:
			if (lt->kind > 0 && lt->kind < (int) lengthof(names) && names[lt->kind])
				return pstrdup(names[lt->kind]);
			return psprintf("%d", lt->kind);
	}
}

/* an optional int32 column */
static Datum
int32_or_null(bool present, int32 value, bool *isnull)
{
	*isnull = !present;
	return Int32GetDatum(value);
}

/*
 * ritual.parquet_schema(path): one row per element of the file's schema,
 * the root first, in the file's (depth-first) order.
 */
static void
schema_rows(const char *path, const ParquetFileMetaData *md,
			ReturnSetInfo *rsinfo)
{
	Datum		values[SCHEMA_COLUMNS];
	bool		nulls[SCHEMA_COLUMNS];

	for (int s = 0; s < md->num_schema; s++)
	{
		const ParquetSchemaElement *e = &md->schema[s];
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		memset(nulls, 0, sizeof(nulls));
		values[i++] = CStringGetTextDatum(path);
		values[i++] = string_datum(e->name);
		values[i] = e->has_type ? enum_datum(parquet_type_name, e->type) : (Datum) 0;
		nulls[i++] = !e->has_type;
		values[i] = int32_or_null(e->has_type_length, e->type_length, &nulls[i]);
		i++;
		values[i] = e->has_repetition_type ?
			enum_datum(parquet_repetition_name, e->repetition_type) : (Datum) 0;
		nulls[i++] = !e->has_repetition_type;
		values[i] = int32_or_null(e->has_num_children, e->num_children, &nulls[i]);
		i++;
		values[i] = e->has_converted_type ?
			enum_datum(parquet_converted_type_name, e->converted_type) : (Datum) 0;
		nulls[i++] = !e->has_converted_type;
		values[i] = int32_or_null(e->has_scale, e->scale, &nulls[i]);
		i++;
		values[i] = int32_or_null(e->has_precision, e->precision, &nulls[i]);
		i++;
		values[i] = int32_or_null(e->has_field_id, e->field_id, &nulls[i]);
		i++;
		values[i] = text_or_null(logical_type_text(&e->logical_type), &nulls[i]);
		i++;
		Assert(i == SCHEMA_COLUMNS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

Datum
ritual_parquet_schema(PG_FUNCTION_ARGS)
{
	return footer_rows(fcinfo, schema_rows);
}
