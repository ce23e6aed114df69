/*-------------------------------------------------------------------------
 *
 * thrift.h
 *		  A decoder of Thrift's compact protocol over a buffer in memory,
 *		  the encoding of Parquet's footer and page headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_THRIFT_H
#define RITUAL_THRIFT_H

/* the compact protocol's type codes */
#define THRIFT_STOP			0
#define THRIFT_TRUE			1
#define THRIFT_FALSE		2
#define THRIFT_I8			3
#define THRIFT_I16			4
#define THRIFT_I32			5
#define THRIFT_I64			6
#define THRIFT_DOUBLE		7
#define THRIFT_BINARY		8
#define THRIFT_LIST			9
#define THRIFT_SET			10
#define THRIFT_MAP			11
#define THRIFT_STRUCT		12

/* Parquet's footer nests structs 6 deep; far more is an attack */
#define THRIFT_MAX_DEPTH	64

typedef struct ThriftReader ThriftReader;

/*
 * Make at least 'need' more bytes available after r->end (moving the
 * buffer: start, pos and end are set anew), or raise an ERROR: for a value
 * whose length is not known before it is decoded (a page header).
 */
typedef void (*ThriftMore) (ThriftReader *r, size_t need);

struct ThriftReader
{
	const uint8 *start;			/* the whole encoded value, for offsets */
	const uint8 *pos;
	const uint8 *end;
	int			depth;			/* structs, lists and maps we are inside */
	const char *file;			/* named in errors, or NULL: then 'what' */
	const char *what;			/* what is decoded, named in errors */
	ThriftMore	more;			/* NULL: the buffer is the whole value */
	void	   *more_arg;
};

/* One field header of a struct. */
typedef struct ThriftField
{
	int			id;
	int			type;
} ThriftField;

/*
 * Decodes one field of a struct into 'element' when it is a field the
 * caller reads: false leaves the field to be skipped.
 */
typedef bool (*ThriftFieldDecoder) (ThriftReader *r, void *element,
									const ThriftField *f);

#define THRIFT_FIELD_BIT(id)	(UINT64CONST(1) << (id))

extern void thrift_init(ThriftReader *r, const char *data, size_t len,
						const char *file);
extern void thrift_error(ThriftReader *r, const char *format,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();

extern void thrift_decode_struct(ThriftReader *r, void *element,
								 ThriftFieldDecoder decode_field,
								 uint64 required, const char *struct_name);
extern void thrift_struct_begin(ThriftReader *r);
extern bool thrift_next_field(ThriftReader *r, int *last_id, ThriftField *field);
extern void thrift_struct_end(ThriftReader *r);
extern int	thrift_list_begin(ThriftReader *r, int type, int *element_type);
extern void thrift_list_end(ThriftReader *r);

extern bool thrift_read_bool(ThriftReader *r, int type);
extern int64 thrift_read_int(ThriftReader *r, int type);
extern int32 thrift_read_i32(ThriftReader *r, int type);
extern char *thrift_read_binary(ThriftReader *r, int type, int *len);
extern char *thrift_read_string(ThriftReader *r, int type);
extern void thrift_skip(ThriftReader *r, int type);

#endif							/* RITUAL_THRIFT_H */
