/*-------------------------------------------------------------------------
 *
 * thrift_writer.h
 *		  An encoder of Thrift's compact protocol into a StringInfo: the
 *		  page headers and the footer of the Parquet files ritual writes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_THRIFT_WRITER_H
#define RITUAL_THRIFT_WRITER_H

#include "lib/stringinfo.h"

/* the type codes are the reader's */
#include "../../readers/parquet/thrift.h"

/* Parquet's footer nests structs 6 deep */
#define THRIFT_WRITER_MAX_DEPTH	16

typedef struct ThriftWriter
{
	StringInfo	out;
	int			depth;
	int			last_id[THRIFT_WRITER_MAX_DEPTH];	/* per open struct */
} ThriftWriter;

extern void thrift_writer_init(ThriftWriter *w, StringInfo out);

/* a struct's fields: each field's header, then its value */
extern void thrift_write_struct_begin(ThriftWriter *w);
extern void thrift_write_struct_end(ThriftWriter *w);
extern void thrift_write_field_i8(ThriftWriter *w, int id, int8 value);
extern void thrift_write_field_i16(ThriftWriter *w, int id, int16 value);
extern void thrift_write_field_i32(ThriftWriter *w, int id, int32 value);
extern void thrift_write_field_i64(ThriftWriter *w, int id, int64 value);
extern void thrift_write_field_bool(ThriftWriter *w, int id, bool value);
extern void thrift_write_field_binary(ThriftWriter *w, int id,
									  const char *data, int len);
extern void thrift_write_field_string(ThriftWriter *w, int id, const char *s);
extern void thrift_write_field_struct(ThriftWriter *w, int id);
extern void thrift_write_field_list(ThriftWriter *w, int id, int element_type,
									int count);

/* a list's elements, after thrift_write_field_list */
extern void thrift_write_i32(ThriftWriter *w, int32 value);
extern void thrift_write_string(ThriftWriter *w, const char *s);

/* an empty struct as a field: the members of unions LogicalType, TimeUnit */
extern void thrift_write_field_empty_struct(ThriftWriter *w, int id);

#endif							/* RITUAL_THRIFT_WRITER_H */
