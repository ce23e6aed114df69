/*-------------------------------------------------------------------------
 *
 * metadata.c
 *		  Decode Parquet's FileMetaData (the footer, in Thrift's compact
 *		  protocol) into the structs of parquet.h.
 *
 * Field ids and types follow the Apache Parquet format's parquet.thrift.
 * Fields ritual does not use are skipped, whatever their type, so a file
 * from a newer writer still reads; a required field that is missing is an
 * error, as a reader could only guess it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "parquet.h"
#include "thrift.h"

#define FIELD_BIT(id)	THRIFT_FIELD_BIT(id)

/* decodes one struct of a list into 'element', zeroed */
typedef void (*StructDecoder) (ThriftReader *r, void *element);

/*
 * Grow an array of structs so that element i fits, new elements zeroed.  A
 * list's count is bounded by the bytes left, but a struct in memory is far
 * larger than its smallest encoding, so arrays of structs grow as elements
 * are decoded rather than being sized by the count.
 */
static void *
room_for(void *array, int *capacity, int i, int count, Size element_size)
{
	int			new_capacity;

	if (array != NULL && i < *capacity)
		return array;
	new_capacity = (array == NULL) ? Min(count, 16) : Min(count, *capacity * 2);
	new_capacity = Max(new_capacity, 1);
	if (array == NULL)
		array = palloc0(new_capacity * element_size);
	else
	{
		array = repalloc(array, new_capacity * element_size);
		memset((char *) array + *capacity * element_size, 0,
			   (new_capacity - *capacity) * element_size);
	}
	*capacity = new_capacity;
	return array;
}

/*
 * Decode a list of structs of 'element_size' bytes each: the array, and the
 * count in *count.
 */
static void *
decode_struct_list(ThriftReader *r, int type, const char *what,
				   Size element_size, StructDecoder decode, int *count)
{
	int			element_type;
	int			n = thrift_list_begin(r, type, &element_type);
	char	   *array = NULL;
	int			capacity = 0;

	if (element_type != THRIFT_STRUCT)
		thrift_error(r, "%s is a list of type %d, not of structs", what,
					 element_type);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		array = room_for(array, &capacity, i, n, element_size);
		decode(r, array + i * element_size);
	}
	thrift_list_end(r);
	*count = n;
	return array;
}

static void
expect_struct(ThriftReader *r, int type, const char *what)
{
	if (type != THRIFT_STRUCT)
		thrift_error(r, "%s has type %d, not a struct", what, type);
}

/* TimeUnit: a union of empty structs, whose member's id is the unit */
static bool
time_unit_field(ThriftReader *r pg_attribute_unused(), void *element,
				const ThriftField *f)
{
	if (f->id >= PARQUET_MILLIS && f->id <= PARQUET_NANOS &&
		f->type == THRIFT_STRUCT)
		*(ParquetTimeUnit *) element = (ParquetTimeUnit) f->id;
	return false;
}

/* the struct of one LogicalType member: DECIMAL, TIME, TIMESTAMP or INTEGER */
static bool
logical_member_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetLogicalType *lt = element;

	switch (lt->kind)
	{
		case PARQUET_LOGICAL_DECIMAL:
			if (f->id == 1)
				lt->scale = thrift_read_i32(r, f->type);
			else if (f->id == 2)
				lt->precision = thrift_read_i32(r, f->type);
			else
				return false;
			return true;
		case PARQUET_LOGICAL_TIME:
		case PARQUET_LOGICAL_TIMESTAMP:
			if (f->id == 1)
				lt->adjusted_to_utc = thrift_read_bool(r, f->type);
			else if (f->id == 2)
			{
				expect_struct(r, f->type, "TimeUnit");
				thrift_decode_struct(r, &lt->unit, time_unit_field, 0, "TimeUnit");
			}
			else
				return false;
			return true;
		case PARQUET_LOGICAL_INTEGER:
			if (f->id == 1)
				lt->bit_width = (int) thrift_read_int(r, f->type);
			else if (f->id == 2)
				lt->is_signed = thrift_read_bool(r, f->type);
			else
				return false;
			return true;
		default:
			return false;
	}
}

/* LogicalType: a union, whose member's id says the kind */
static bool
logical_type_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetLogicalType *lt = element;

	if (f->type != THRIFT_STRUCT)
		return false;
	memset(lt, 0, sizeof(*lt));
	lt->kind = f->id;
	thrift_decode_struct(r, lt, logical_member_field, 0, "LogicalType");
	return true;
}

static bool
schema_element_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetSchemaElement *e = element;

	switch (f->id)
	{
		case 1:
			e->has_type = true;
			e->type = (ParquetType) thrift_read_i32(r, f->type);
			return true;
		case 2:
			e->has_type_length = true;
			e->type_length = thrift_read_i32(r, f->type);
			return true;
		case 3:
			e->has_repetition_type = true;
			e->repetition_type = thrift_read_i32(r, f->type);
			return true;
		case 4:
			e->name = thrift_read_string(r, f->type);
			return true;
		case 5:
			e->has_num_children = true;
			e->num_children = thrift_read_i32(r, f->type);
			return true;
		case 6:
			e->has_converted_type = true;
			e->converted_type = thrift_read_i32(r, f->type);
			return true;
		case 7:
			e->has_scale = true;
			e->scale = thrift_read_i32(r, f->type);
			return true;
		case 8:
			e->has_precision = true;
			e->precision = thrift_read_i32(r, f->type);
			return true;
		case 9:
			e->has_field_id = true;
			e->field_id = thrift_read_i32(r, f->type);
			return true;
		case 10:
			expect_struct(r, f->type, "LogicalType");
			thrift_decode_struct(r, &e->logical_type, logical_type_field, 0,
								 "LogicalType");
			return true;
		default:
			return false;
	}
}

static void
decode_schema_element(ThriftReader *r, void *element)
{
	thrift_decode_struct(r, element, schema_element_field, FIELD_BIT(4),
						 "SchemaElement");
}

static bool
statistics_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetStatistics *s = element;
	ParquetValue *v;

	switch (f->id)
	{
		case 1:
			v = &s->max;
			break;
		case 2:
			v = &s->min;
			break;
		case 3:
			s->has_null_count = true;
			s->null_count = thrift_read_int(r, f->type);
			return true;
		case 4:
			s->has_distinct_count = true;
			s->distinct_count = thrift_read_int(r, f->type);
			return true;
		case 5:
			v = &s->max_value;
			break;
		case 6:
			v = &s->min_value;
			break;
		default:
			return false;
	}
	v->data = thrift_read_binary(r, f->type, &v->len);
	return true;
}

static bool
column_meta_data_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetColumnMetaData *m = element;
	int			element_type;

	switch (f->id)
	{
		case 1:
			m->type = (ParquetType) thrift_read_i32(r, f->type);
			return true;
		case 2:
			/* elements take a byte at least: the count allocates no more */
			m->num_encodings = thrift_list_begin(r, f->type, &element_type);
			m->encodings = palloc(sizeof(int32) * Max(m->num_encodings, 1));
			for (int i = 0; i < m->num_encodings; i++)
				m->encodings[i] = thrift_read_i32(r, element_type);
			thrift_list_end(r);
			return true;
		case 3:
			m->path_length = thrift_list_begin(r, f->type, &element_type);
			m->path_in_schema = palloc(sizeof(char *) * Max(m->path_length, 1));
			for (int i = 0; i < m->path_length; i++)
				m->path_in_schema[i] = thrift_read_string(r, element_type);
			thrift_list_end(r);
			return true;
		case 4:
			m->codec = thrift_read_i32(r, f->type);
			return true;
		case 5:
			m->num_values = thrift_read_int(r, f->type);
			return true;
		case 6:
			m->total_uncompressed_size = thrift_read_int(r, f->type);
			return true;
		case 7:
			m->total_compressed_size = thrift_read_int(r, f->type);
			return true;
		case 9:
			m->data_page_offset = thrift_read_int(r, f->type);
			return true;
		case 10:
			m->has_index_page_offset = true;
			m->index_page_offset = thrift_read_int(r, f->type);
			return true;
		case 11:
			m->has_dictionary_page_offset = true;
			m->dictionary_page_offset = thrift_read_int(r, f->type);
			return true;
		case 12:
			expect_struct(r, f->type, "Statistics");
			m->has_statistics = true;
			thrift_decode_struct(r, &m->statistics, statistics_field, 0, "Statistics");
			return true;
		default:
			return false;
	}
}

static bool
column_chunk_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetColumnChunk *c = element;

	switch (f->id)
	{
		case 1:
			c->file_path = thrift_read_string(r, f->type);
			return true;
		case 2:
			c->file_offset = thrift_read_int(r, f->type);
			return true;
		case 3:
			expect_struct(r, f->type, "ColumnMetaData");
			c->has_meta_data = true;
			thrift_decode_struct(r, &c->meta_data, column_meta_data_field,
								 FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3) | FIELD_BIT(4) |
								 FIELD_BIT(5) | FIELD_BIT(6) | FIELD_BIT(7) | FIELD_BIT(9),
								 "ColumnMetaData");
			return true;
		default:
			return false;
	}
}

static void
decode_column_chunk(ThriftReader *r, void *element)
{
	thrift_decode_struct(r, element, column_chunk_field, FIELD_BIT(2), "ColumnChunk");
}

static bool
row_group_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetRowGroup *g = element;

	switch (f->id)
	{
		case 1:
			g->columns = decode_struct_list(r, f->type, "RowGroup.columns",
											sizeof(ParquetColumnChunk),
											decode_column_chunk, &g->num_columns);
			return true;
		case 2:
			g->total_byte_size = thrift_read_int(r, f->type);
			return true;
		case 3:
			g->num_rows = thrift_read_int(r, f->type);
			return true;
		default:
			return false;
	}
}

static void
decode_row_group(ThriftReader *r, void *element)
{
	thrift_decode_struct(r, element, row_group_field,
						 FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3), "RowGroup");
}

static bool
key_value_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetKeyValue *kv = element;

	if (f->id == 1)
		kv->key = thrift_read_string(r, f->type);
	else if (f->id == 2)
		kv->value = thrift_read_string(r, f->type);
	else
		return false;
	return true;
}

static void
decode_key_value(ThriftReader *r, void *element)
{
	thrift_decode_struct(r, element, key_value_field, FIELD_BIT(1), "KeyValue");
}

static bool
file_meta_data_field(ThriftReader *r, void *element, const ThriftField *f)
{
	ParquetFileMetaData *md = element;

	switch (f->id)
	{
		case 1:
			md->version = thrift_read_i32(r, f->type);
			return true;
		case 2:
			md->schema = decode_struct_list(r, f->type, "FileMetaData.schema",
											sizeof(ParquetSchemaElement),
											decode_schema_element,
											&md->num_schema);
			return true;
		case 3:
			md->num_rows = thrift_read_int(r, f->type);
			return true;
		case 4:
			md->row_groups = decode_struct_list(r, f->type, "FileMetaData.row_groups",
												sizeof(ParquetRowGroup),
												decode_row_group,
												&md->num_row_groups);
			return true;
		case 5:
			md->key_value_metadata =
				decode_struct_list(r, f->type, "FileMetaData.key_value_metadata",
								   sizeof(ParquetKeyValue), decode_key_value,
								   &md->num_key_value);
			return true;
		case 6:
			md->created_by = thrift_read_string(r, f->type);
			return true;
		default:
			return false;
	}
}

/*
 * Decode a FileMetaData of 'len' bytes; 'file' names it in errors.  All is
 * allocated in the current memory context, never more than a small
 * multiple of 'len'.
 */
ParquetFileMetaData *
parquet_decode_metadata(const char *data, size_t len, const char *file)
{
	ThriftReader r;
	ParquetFileMetaData *md = palloc0(sizeof(ParquetFileMetaData));

	thrift_init(&r, data, len, file);
	thrift_decode_struct(&r, md, file_meta_data_field,
						 FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3) | FIELD_BIT(4),
						 "FileMetaData");
	return md;
}
