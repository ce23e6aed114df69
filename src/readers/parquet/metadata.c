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

#define FIELD_BIT(id)	(UINT64CONST(1) << (id))

/*
 * Note a field as seen.  Ids outside 1..63 are never ones this decoder
 * reads, so they need no bit.
 */
static inline void
mark_seen(uint64 *seen, int id)
{
	if (id > 0 && id < 64)
		*seen |= FIELD_BIT(id);
}

static void
check_required(ThriftReader *r, uint64 seen, uint64 required,
			   const char *struct_name)
{
	uint64		missing = required & ~seen;

	for (int id = 1; missing != 0 && id < 64; id++)
		if (missing & FIELD_BIT(id))
			thrift_error(r, "%s lacks its required field %d", struct_name, id);
}

/*
 * Begin a list of structs: the count, after checking the elements are
 * structs.  The count is bounded by the bytes left, but a struct in memory
 * is far larger than its smallest encoding, so arrays of structs grow with
 * room_for() as elements are decoded rather than being sized by the count.
 */
static int
struct_list_begin(ThriftReader *r, int type, const char *what)
{
	int			element_type;
	int			count = thrift_list_begin(r, type, &element_type);

	if (element_type != THRIFT_STRUCT)
		thrift_error(r, "%s is a list of type %d, not of structs", what,
					 element_type);
	return count;
}

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

static void
expect_struct(ThriftReader *r, int type, const char *what)
{
	if (type != THRIFT_STRUCT)
		thrift_error(r, "%s has type %d, not a struct", what, type);
}

/* TimeUnit: a union of empty structs */
static ParquetTimeUnit
decode_time_unit(ThriftReader *r)
{
	int			last_id = 0;
	ThriftField f;
	ParquetTimeUnit unit = PARQUET_UNIT_NONE;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		if (f.id >= PARQUET_MILLIS && f.id <= PARQUET_NANOS && f.type == THRIFT_STRUCT)
			unit = (ParquetTimeUnit) f.id;
		thrift_skip(r, f.type);
	}
	thrift_struct_end(r);
	return unit;
}

/* The struct of one LogicalType member: DECIMAL, TIME, TIMESTAMP, INTEGER or another (skipped) */
static void
decode_logical_member(ThriftReader *r, ParquetLogicalType *lt)
{
	int			last_id = 0;
	ThriftField f;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		if (lt->kind == PARQUET_LOGICAL_DECIMAL && f.id == 1)
			lt->scale = thrift_read_i32(r, f.type);
		else if (lt->kind == PARQUET_LOGICAL_DECIMAL && f.id == 2)
			lt->precision = thrift_read_i32(r, f.type);
		else if ((lt->kind == PARQUET_LOGICAL_TIME ||
				  lt->kind == PARQUET_LOGICAL_TIMESTAMP) && f.id == 1)
			lt->adjusted_to_utc = thrift_read_bool(r, f.type);
		else if ((lt->kind == PARQUET_LOGICAL_TIME ||
				  lt->kind == PARQUET_LOGICAL_TIMESTAMP) && f.id == 2)
		{
			expect_struct(r, f.type, "TimeUnit");
			lt->unit = decode_time_unit(r);
		}
		else if (lt->kind == PARQUET_LOGICAL_INTEGER && f.id == 1)
			lt->bit_width = (int) thrift_read_int(r, f.type);
		else if (lt->kind == PARQUET_LOGICAL_INTEGER && f.id == 2)
			lt->is_signed = thrift_read_bool(r, f.type);
		else
			thrift_skip(r, f.type);
	}
	thrift_struct_end(r);
}

/* LogicalType: a union, whose one member's id says the kind */
static void
decode_logical_type(ThriftReader *r, ParquetLogicalType *lt)
{
	int			last_id = 0;
	ThriftField f;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		if (f.type != THRIFT_STRUCT)
		{
			thrift_skip(r, f.type);
			continue;
		}
		memset(lt, 0, sizeof(*lt));
		lt->kind = f.id;
		decode_logical_member(r, lt);
	}
	thrift_struct_end(r);
}

static void
decode_schema_element(ThriftReader *r, ParquetSchemaElement *e)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		switch (f.id)
		{
			case 1:
				e->has_type = true;
				e->type = (ParquetType) thrift_read_i32(r, f.type);
				break;
			case 2:
				e->has_type_length = true;
				e->type_length = thrift_read_i32(r, f.type);
				break;
			case 3:
				e->has_repetition_type = true;
				e->repetition_type = thrift_read_i32(r, f.type);
				break;
			case 4:
				e->name = thrift_read_string(r, f.type);
				break;
			case 5:
				e->has_num_children = true;
				e->num_children = thrift_read_i32(r, f.type);
				break;
			case 6:
				e->has_converted_type = true;
				e->converted_type = thrift_read_i32(r, f.type);
				break;
			case 7:
				e->has_scale = true;
				e->scale = thrift_read_i32(r, f.type);
				break;
			case 8:
				e->has_precision = true;
				e->precision = thrift_read_i32(r, f.type);
				break;
			case 9:
				e->has_field_id = true;
				e->field_id = thrift_read_i32(r, f.type);
				break;
			case 10:
				expect_struct(r, f.type, "LogicalType");
				decode_logical_type(r, &e->logical_type);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
	check_required(r, seen, FIELD_BIT(4), "SchemaElement");
}

static void
decode_binary_into(ThriftReader *r, int type, ParquetValue *v)
{
	v->data = thrift_read_binary(r, type, &v->len);
}

static void
decode_statistics(ThriftReader *r, ParquetStatistics *s)
{
	int			last_id = 0;
	ThriftField f;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		switch (f.id)
		{
			case 1:
				decode_binary_into(r, f.type, &s->max);
				break;
			case 2:
				decode_binary_into(r, f.type, &s->min);
				break;
			case 3:
				s->has_null_count = true;
				s->null_count = thrift_read_int(r, f.type);
				break;
			case 4:
				s->has_distinct_count = true;
				s->distinct_count = thrift_read_int(r, f.type);
				break;
			case 5:
				decode_binary_into(r, f.type, &s->max_value);
				break;
			case 6:
				decode_binary_into(r, f.type, &s->min_value);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
}

static void
decode_column_meta_data(ThriftReader *r, ParquetColumnMetaData *m)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;
	int			element_type;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		switch (f.id)
		{
			case 1:
				m->type = (ParquetType) thrift_read_i32(r, f.type);
				break;
			case 2:
				m->num_encodings = thrift_list_begin(r, f.type, &element_type);
				m->encodings = palloc(sizeof(int32) * Max(m->num_encodings, 1));
				for (int i = 0; i < m->num_encodings; i++)
					m->encodings[i] = thrift_read_i32(r, element_type);
				thrift_list_end(r);
				break;
			case 3:
				m->path_length = thrift_list_begin(r, f.type, &element_type);
				m->path_in_schema = palloc(sizeof(char *) * Max(m->path_length, 1));
				for (int i = 0; i < m->path_length; i++)
					m->path_in_schema[i] = thrift_read_string(r, element_type);
				thrift_list_end(r);
				break;
			case 4:
				m->codec = thrift_read_i32(r, f.type);
				break;
			case 5:
				m->num_values = thrift_read_int(r, f.type);
				break;
			case 6:
				m->total_uncompressed_size = thrift_read_int(r, f.type);
				break;
			case 7:
				m->total_compressed_size = thrift_read_int(r, f.type);
				break;
			case 9:
				m->data_page_offset = thrift_read_int(r, f.type);
				break;
			case 10:
				m->has_index_page_offset = true;
				m->index_page_offset = thrift_read_int(r, f.type);
				break;
			case 11:
				m->has_dictionary_page_offset = true;
				m->dictionary_page_offset = thrift_read_int(r, f.type);
				break;
			case 12:
				expect_struct(r, f.type, "Statistics");
				m->has_statistics = true;
				decode_statistics(r, &m->statistics);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
	check_required(r, seen,
				   FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3) | FIELD_BIT(4) |
				   FIELD_BIT(5) | FIELD_BIT(6) | FIELD_BIT(7) | FIELD_BIT(9),
				   "ColumnMetaData");
}

static void
decode_column_chunk(ThriftReader *r, ParquetColumnChunk *c)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		switch (f.id)
		{
			case 1:
				c->file_path = thrift_read_string(r, f.type);
				break;
			case 2:
				c->file_offset = thrift_read_int(r, f.type);
				break;
			case 3:
				expect_struct(r, f.type, "ColumnMetaData");
				c->has_meta_data = true;
				decode_column_meta_data(r, &c->meta_data);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
	check_required(r, seen, FIELD_BIT(2), "ColumnChunk");
}

static void
decode_row_group(ThriftReader *r, ParquetRowGroup *g)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;
	int			capacity;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		switch (f.id)
		{
			case 1:
				g->num_columns = struct_list_begin(r, f.type, "RowGroup.columns");
				capacity = 0;
				g->columns = NULL;
				for (int i = 0; i < g->num_columns; i++)
				{
					CHECK_FOR_INTERRUPTS();
					g->columns = room_for(g->columns, &capacity, i, g->num_columns,
								  sizeof(ParquetColumnChunk));
					decode_column_chunk(r, &g->columns[i]);
				}
				thrift_list_end(r);
				break;
			case 2:
				g->total_byte_size = thrift_read_int(r, f.type);
				break;
			case 3:
				g->num_rows = thrift_read_int(r, f.type);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
	check_required(r, seen, FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3), "RowGroup");
}

static void
decode_key_value(ThriftReader *r, ParquetKeyValue *kv)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		if (f.id == 1)
			kv->key = thrift_read_string(r, f.type);
		else if (f.id == 2)
			kv->value = thrift_read_string(r, f.type);
		else
			thrift_skip(r, f.type);
	}
	thrift_struct_end(r);
	check_required(r, seen, FIELD_BIT(1), "KeyValue");
}

/*
 * Decode a FileMetaData of 'len' bytes; 'file' names it in errors.  All is
 * allocated in the current memory context, never more than a small
 * multiple of 'len'.
 */
ParquetFileMetaData *
parquet_decode_metadata(const char *data, size_t len, const char *file)
{
	ThriftReader reader;
	ThriftReader *r = &reader;
	ParquetFileMetaData *md = palloc0(sizeof(ParquetFileMetaData));
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;
	int			capacity;

	thrift_init(r, data, len, file);
	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		mark_seen(&seen, f.id);
		switch (f.id)
		{
			case 1:
				md->version = thrift_read_i32(r, f.type);
				break;
			case 2:
				md->num_schema = struct_list_begin(r, f.type, "FileMetaData.schema");
				capacity = 0;
				md->schema = NULL;
				for (int i = 0; i < md->num_schema; i++)
				{
					CHECK_FOR_INTERRUPTS();
					md->schema = room_for(md->schema, &capacity, i, md->num_schema,
								  sizeof(ParquetSchemaElement));
					decode_schema_element(r, &md->schema[i]);
				}
				thrift_list_end(r);
				break;
			case 3:
				md->num_rows = thrift_read_int(r, f.type);
				break;
			case 4:
				md->num_row_groups = struct_list_begin(r, f.type, "FileMetaData.row_groups");
				capacity = 0;
				md->row_groups = NULL;
				for (int i = 0; i < md->num_row_groups; i++)
				{
					CHECK_FOR_INTERRUPTS();
					md->row_groups = room_for(md->row_groups, &capacity, i, md->num_row_groups,
								  sizeof(ParquetRowGroup));
					decode_row_group(r, &md->row_groups[i]);
				}
				thrift_list_end(r);
				break;
			case 5:
				md->num_key_value = struct_list_begin(r, f.type, "FileMetaData.key_value_metadata");
				capacity = 0;
				md->key_value_metadata = NULL;
				for (int i = 0; i < md->num_key_value; i++)
				{
					CHECK_FOR_INTERRUPTS();
					md->key_value_metadata = room_for(md->key_value_metadata, &capacity, i, md->num_key_value,
								  sizeof(ParquetKeyValue));
					decode_key_value(r, &md->key_value_metadata[i]);
				}
				thrift_list_end(r);
				break;
			case 6:
				md->created_by = thrift_read_string(r, f.type);
				break;
			default:
				thrift_skip(r, f.type);
		}
	}
	thrift_struct_end(r);
	check_required(r, seen, FIELD_BIT(1) | FIELD_BIT(2) | FIELD_BIT(3) | FIELD_BIT(4),
				   "FileMetaData");
	return md;
}
