/*-------------------------------------------------------------------------
 *
 * thrift_writer.c
 *		  Encode Thrift's compact protocol: varints, zigzag integers, field
 *		  headers as deltas of field ids, list headers.
 *
 * Only what Parquet's footer and page headers use is here: i8 to i64,
 * booleans, binary, lists of i32, strings and structs, and structs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "thrift_writer.h"

void
thrift_writer_init(ThriftWriter *w, StringInfo out)
{
	w->out = out;
	w->depth = 0;
	w->last_id[0] = 0;
}

static void
write_varint(ThriftWriter *w, uint64 value)
{
	char		bytes[10];
	int			n = 0;

	do
	{
		uint8		b = value & 0x7F;

		value >>= 7;
		bytes[n++] = (char) (value ? (b | 0x80) : b);
	} while (value);
	appendBinaryStringInfo(w->out, bytes, n);
}

static void
write_zigzag(ThriftWriter *w, int64 value)
{
	write_varint(w, ((uint64) value << 1) ^ (uint64) (value >> 63));
}

/* A field header: the id as a delta from the last one when it fits. */
static void
write_field_header(ThriftWriter *w, int id, int type)
{
	int			delta = id - w->last_id[w->depth];

	Assert(id > 0 && id < PG_INT16_MAX);
	if (delta > 0 && delta <= 15)
		appendStringInfoChar(w->out, (char) ((delta << 4) | type));
	else
	{
		appendStringInfoChar(w->out, (char) type);
		write_zigzag(w, id);
	}
	w->last_id[w->depth] = id;
}

void
thrift_write_struct_begin(ThriftWriter *w)
{
	if (w->depth + 1 >= THRIFT_WRITER_MAX_DEPTH)
		elog(ERROR, "Thrift structs nested too deeply");
	w->last_id[++w->depth] = 0;
}

void
thrift_write_struct_end(ThriftWriter *w)
{
	Assert(w->depth > 0);
	appendStringInfoChar(w->out, THRIFT_STOP);
	w->depth--;
}

/* A byte is written as it is, not as a varint. */
void
thrift_write_field_i8(ThriftWriter *w, int id, int8 value)
{
	write_field_header(w, id, THRIFT_I8);
	appendStringInfoChar(w->out, (char) value);
}

void
thrift_write_field_i16(ThriftWriter *w, int id, int16 value)
{
	write_field_header(w, id, THRIFT_I16);
	write_zigzag(w, value);
}

void
thrift_write_field_i32(ThriftWriter *w, int id, int32 value)
{
	write_field_header(w, id, THRIFT_I32);
	write_zigzag(w, value);
}

void
thrift_write_field_i64(ThriftWriter *w, int id, int64 value)
{
	write_field_header(w, id, THRIFT_I64);
	write_zigzag(w, value);
}

/* A boolean field has no value: its type code says it. */
void
thrift_write_field_bool(ThriftWriter *w, int id, bool value)
{
	write_field_header(w, id, value ? THRIFT_TRUE : THRIFT_FALSE);
}

void
thrift_write_field_binary(ThriftWriter *w, int id, const char *data, int len)
{
	write_field_header(w, id, THRIFT_BINARY);
	write_varint(w, len);
	appendBinaryStringInfo(w->out, data, len);
}

void
thrift_write_field_string(ThriftWriter *w, int id, const char *s)
{
	thrift_write_field_binary(w, id, s, strlen(s));
}

/* The field header of a struct; its fields follow, then struct_end. */
void
thrift_write_field_struct(ThriftWriter *w, int id)
{
	write_field_header(w, id, THRIFT_STRUCT);
	thrift_write_struct_begin(w);
}

void
thrift_write_field_empty_struct(ThriftWriter *w, int id)
{
	thrift_write_field_struct(w, id);
	thrift_write_struct_end(w);
}

/*
 * A list's header; its 'count' elements follow (structs each between
 * struct_begin and struct_end).
 */
void
thrift_write_field_list(ThriftWriter *w, int id, int element_type, int count)
{
	write_field_header(w, id, THRIFT_LIST);
	if (count < 15)
		appendStringInfoChar(w->out, (char) ((count << 4) | element_type));
	else
	{
		appendStringInfoChar(w->out, (char) (0xF0 | element_type));
		write_varint(w, count);
	}
}

void
thrift_write_i32(ThriftWriter *w, int32 value)
{
	write_zigzag(w, value);
}

void
thrift_write_string(ThriftWriter *w, const char *s)
{
	size_t		len = strlen(s);

	write_varint(w, len);
	appendBinaryStringInfo(w->out, s, len);
}
