/*-------------------------------------------------------------------------
 *
 * thrift.c
 *		  A decoder of Thrift's compact protocol over a buffer in memory,
 *		  the encoding of Parquet's footer and page headers.
 *
 * The input is hostile: every length and count is checked against the
 * bytes left before anything is allocated (each element of a list takes a
 * byte at least, so a count above the bytes left is a lie), nesting is
 * bounded, and any unknown field is skipped whatever its type.  Errors name
 * the file and the byte offset where the footer stops making sense.
 *
 * A page header's length is known only once it is decoded: its reader has
 * a 'more' callback, which brings more of the file into the buffer when a
 * value runs past its end (and bounds what it brings).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "thrift.h"

void
thrift_init(ThriftReader *r, const char *data, size_t len, const char *file)
{
	r->start = (const uint8 *) data;
	r->pos = r->start;
	r->end = r->start + len;
	r->depth = 0;
	r->file = file;
	r->what = "footer";
	r->more = NULL;
	r->more_arg = NULL;
}

void
thrift_error(ThriftReader *r, const char *format,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, format);
	vsnprintf(detail, sizeof(detail), format, args);
	va_end(args);
	if (r->file == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("Parquet %s is corrupt at its byte %zu: %s",
						r->what, (size_t) (r->pos - r->start), detail)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("Parquet %s of file \"%s\" is corrupt at byte %zu of %zu: %s",
					r->what, r->file, (size_t) (r->pos - r->start),
					(size_t) (r->end - r->start), detail)));
}

static inline size_t
bytes_left(ThriftReader *r)
{
	return r->end - r->pos;
}

/*
 * Whether 'n' bytes are left, asking for more when the reader can get
 * them: so a count or a length is checked against the bytes that could
 * hold it, wherever they come from.
 */
static bool
have_bytes(ThriftReader *r, uint64 n)
{
	if (n > bytes_left(r) && r->more != NULL)
		r->more(r, n - bytes_left(r));
	return n <= bytes_left(r);
}

static uint8
read_byte(ThriftReader *r)
{
	if (!have_bytes(r, 1))
		thrift_error(r, "it ends in the middle of a value");
	return *r->pos++;
}

static uint64
read_varint(ThriftReader *r)
{
	uint64		value = 0;
	int			shift;

	for (shift = 0; shift < 64; shift += 7)
	{
		uint8		b = read_byte(r);

		value |= (uint64) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return value;
	}
	thrift_error(r, "a variable-length integer is longer than 10 bytes");
}

static int64
read_zigzag(ThriftReader *r)
{
	uint64		u = read_varint(r);

	return (int64) (u >> 1) ^ -(int64) (u & 1);
}

static void
enter(ThriftReader *r)
{
	if (++r->depth > THRIFT_MAX_DEPTH)
		thrift_error(r, "values are nested more than %d deep", THRIFT_MAX_DEPTH);
}

/*
 * Decode a struct, field by field: what decode_field does not read is
 * skipped whatever its type; then the fields of 'required' (bits by field
 * id, THRIFT_FIELD_BIT) must have been seen.  Ids outside 1..63 are never
 * ones a caller reads, so they need no bit.
 */
void
thrift_decode_struct(ThriftReader *r, void *element,
					 ThriftFieldDecoder decode_field, uint64 required,
					 const char *struct_name)
{
	int			last_id = 0;
	ThriftField f;
	uint64		seen = 0;
	uint64		missing;

	thrift_struct_begin(r);
	while (thrift_next_field(r, &last_id, &f))
	{
		if (f.id > 0 && f.id < 64)
			seen |= THRIFT_FIELD_BIT(f.id);
		if (!decode_field(r, element, &f))
			thrift_skip(r, f.type);
	}
	thrift_struct_end(r);
	missing = required & ~seen;
	for (int id = 1; missing != 0 && id < 64; id++)
		if (missing & THRIFT_FIELD_BIT(id))
			thrift_error(r, "%s lacks its required field %d", struct_name, id);
}

void
thrift_struct_begin(ThriftReader *r)
{
	enter(r);
}

void
thrift_struct_end(ThriftReader *r)
{
	r->depth--;
}

/*
 * Read the next field header of a struct into *field; false at the struct's
 * end.  *last_id is the previous field's id (0 at the struct's start), as
 * the compact protocol writes most ids as a delta from it.
 */
bool
thrift_next_field(ThriftReader *r, int *last_id, ThriftField *field)
{
	uint8		b = read_byte(r);
	int			delta = b >> 4;

	if (b == THRIFT_STOP)
		return false;
	field->type = b & 0x0f;
	if (field->type > THRIFT_STRUCT)
		thrift_error(r, "unknown field type %d", field->type);
	if (delta != 0)
		field->id = *last_id + delta;
	else
	{
		int64		id = read_zigzag(r);

		if (id < PG_INT16_MIN || id > PG_INT16_MAX)
			thrift_error(r, "field id " INT64_FORMAT " is out of range", id);
		field->id = (int) id;
	}
	*last_id = field->id;
	return true;
}

/*
 * Begin a list (or set) of a field of the given type: its element count,
 * which the bytes left bound, and its elements' type in *element_type.
 */
int
thrift_list_begin(ThriftReader *r, int type, int *element_type)
{
	uint8		b;
	uint64		count;

	if (type != THRIFT_LIST && type != THRIFT_SET)
		thrift_error(r, "a list was expected, found type %d", type);
	b = read_byte(r);
	count = b >> 4;
	*element_type = b & 0x0f;
	if (count == 15)
		count = read_varint(r);
	if (*element_type < THRIFT_TRUE || *element_type > THRIFT_STRUCT)
		thrift_error(r, "unknown list element type %d", *element_type);
	if (!have_bytes(r, count))
		thrift_error(r, "a list of " UINT64_FORMAT " elements cannot fit in the %zu bytes left",
					 count, bytes_left(r));
	enter(r);
	return (int) count;
}

void
thrift_list_end(ThriftReader *r)
{
	r->depth--;
}

/* A boolean field: the compact protocol keeps its value in the type. */
bool
thrift_read_bool(ThriftReader *r, int type)
{
	if (type != THRIFT_TRUE && type != THRIFT_FALSE)
		thrift_error(r, "a boolean was expected, found type %d", type);
	return type == THRIFT_TRUE;
}

/* An integer of any width (i8, i16, i32 or i64). */
int64
thrift_read_int(ThriftReader *r, int type)
{
	switch (type)
	{
		case THRIFT_I8:
			return (int8) read_byte(r);
		case THRIFT_I16:
		case THRIFT_I32:
		case THRIFT_I64:
			return read_zigzag(r);
		default:
			thrift_error(r, "an integer was expected, found type %d", type);
	}
}

/* An i32 (or narrower), range-checked. */
int32
thrift_read_i32(ThriftReader *r, int type)
{
	int64		value = thrift_read_int(r, type);

	if (value < PG_INT32_MIN || value > PG_INT32_MAX)
		thrift_error(r, "value " INT64_FORMAT " is out of range for a 32-bit integer", value);
	return (int32) value;
}

/*
 * A binary or string value, copied and NUL-terminated (a string's text is
 * not validated here: the caller knows whether it must be UTF-8).
 */
char *
thrift_read_binary(ThriftReader *r, int type, int *len)
{
	uint64		n;
	char	   *copy;

	if (type != THRIFT_BINARY)
		thrift_error(r, "a string was expected, found type %d", type);
	n = read_varint(r);
	if (!have_bytes(r, n))
		thrift_error(r, "a string of " UINT64_FORMAT " bytes cannot fit in the %zu bytes left",
					 n, bytes_left(r));
	copy = palloc(n + 1);
	memcpy(copy, r->pos, n);
	copy[n] = '\0';
	r->pos += n;
	if (len)
		*len = (int) n;
	return copy;
}

/*
 * A string that is a name (of a column, a key): one with a NUL byte could
 * not be shown whole, so it is an error.  Its encoding is left to the
 * caller, as for thrift_read_binary.
 */
char *
thrift_read_string(ThriftReader *r, int type)
{
	int			len;
	char	   *s = thrift_read_binary(r, type, &len);

	if (memchr(s, '\0', len) != NULL)
		thrift_error(r, "a string holds a NUL byte");
	return s;
}

/*
 * Skip a value of the given type.  In_collection: booleans inside lists and
 * maps take a byte, while a boolean field's value is in its header.
 */
static void
skip_value(ThriftReader *r, int type, bool in_collection)
{
	CHECK_FOR_INTERRUPTS();
	switch (type)
	{
		case THRIFT_TRUE:
		case THRIFT_FALSE:
			if (in_collection)
				read_byte(r);
			break;
		case THRIFT_I8:
			read_byte(r);
			break;
		case THRIFT_I16:
		case THRIFT_I32:
		case THRIFT_I64:
			read_varint(r);
			break;
		case THRIFT_DOUBLE:
			if (!have_bytes(r, 8))
				thrift_error(r, "it ends in the middle of a double");
			r->pos += 8;
			break;
		case THRIFT_BINARY:
			{
				uint64		n = read_varint(r);

				if (!have_bytes(r, n))
					thrift_error(r, "a string of " UINT64_FORMAT " bytes cannot fit in the %zu bytes left",
								 n, bytes_left(r));
				r->pos += n;
				break;
			}
		case THRIFT_LIST:
		case THRIFT_SET:
			{
				int			element_type;
				int			count = thrift_list_begin(r, type, &element_type);

				for (int i = 0; i < count; i++)
					skip_value(r, element_type, true);
				thrift_list_end(r);
				break;
			}
		case THRIFT_MAP:
			{
				uint64		count = read_varint(r);
				uint8		types;

				if (count == 0)
					break;
				/* a key and a value take two bytes at least */
				if (count > PG_UINT64_MAX / 2 || !have_bytes(r, count * 2))
					thrift_error(r, "a map of " UINT64_FORMAT " entries cannot fit in the %zu bytes left",
								 count, bytes_left(r));
				types = read_byte(r);
				enter(r);
				for (uint64 i = 0; i < count; i++)
				{
					skip_value(r, types >> 4, true);
					skip_value(r, types & 0x0f, true);
				}
				r->depth--;
				break;
			}
		case THRIFT_STRUCT:
			{
				int			last_id = 0;
				ThriftField field;

				thrift_struct_begin(r);
				while (thrift_next_field(r, &last_id, &field))
					skip_value(r, field.type, false);
				thrift_struct_end(r);
				break;
			}
		default:
			thrift_error(r, "unknown type %d", type);
	}
}

/* Skip a field's value: one this decoder does not know. */
void
thrift_skip(ThriftReader *r, int type)
{
	skip_value(r, type, false);
}
