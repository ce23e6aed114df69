/*-------------------------------------------------------------------------
 *
 * column_chunk.c
 *		  One column of a Parquet file being written: Datums become Parquet
 *		  values, buffered for the row group with their statistics, then
 *		  encoded into a dictionary page (where it pays) and data pages.
 *
 * PostgreSQL types map to Parquet as readers expect them: integers and
 * floats as themselves, date as DATE, time as TIME(micros), timestamp as
 * TIMESTAMP(micros) and timestamptz as TIMESTAMP(micros, adjusted to UTC),
 * numeric(p, s) as DECIMAL (on INT64 up to 18 digits, on 16 bytes up to
 * 38), uuid as UUID, text, varchar, char and json as UTF-8 strings, bytea
 * as bytes; any other type is written as its text, which reads back
 * through the type's input function.  A value Parquet cannot hold (an infinite date or timestamp, a
 * NaN numeric in a DECIMAL column) is refused, never changed.
 *
 * Every column is OPTIONAL, so that NULLs need no special case.  Data pages
 * are version 1, PLAIN or RLE_DICTIONARY, cut at about 1MB of values.  A
 * chunk's statistics hold its NULL count and, unless every value is NULL or
 * NaN, its least and greatest values; strings longer than 64 bytes are cut
 * (the least to a prefix, the greatest to a prefix whose last character is
 * one higher), and say so.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/int.h"
#include "mb/pg_wchar.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "column_chunk.h"
#include "encode.h"
#include "writers/compress.h"

#define PAGE_BYTES				(1024 * 1024)
#define PAGE_MAX_ROWS			50000
#define DICTIONARY_MAX_BYTES	(1024 * 1024)
#define DICTIONARY_SAMPLE		1024
#define STATISTIC_MAX_BYTES		64
#define VALUE_MAX_BYTES			(256 * 1024 * 1024)
/* DECIMAL on INT64 up to 18 digits; on 16 bytes up to 38, with int128 */
#define INT64_DECIMAL_DIGITS	18
#ifdef PG_INT128_TYPE
#define DECIMAL_MAX_PRECISION	38
#define DECIMAL_BYTES			16
typedef int128 Unscaled;
#else
#define DECIMAL_MAX_PRECISION	18
typedef int64 Unscaled;
#endif

/* parquet.thrift's values */
#define REPETITION_OPTIONAL		1
#define ENCODING_PLAIN			0
#define ENCODING_RLE			3
#define ENCODING_RLE_DICTIONARY	8
#define PAGE_DATA				0
#define PAGE_DICTIONARY			2
#define CONVERTED_UTF8			0
#define CONVERTED_DECIMAL		5
#define CONVERTED_DATE			6
#define CONVERTED_TIMESTAMP_MICROS 10
#define CONVERTED_INT_16		16
#define CONVERTED_JSON			19

/* days and microseconds from 1970-01-01 to 2000-01-01 */
#define EPOCH_DAYS				(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)
#define EPOCH_MICROS			((int64) EPOCH_DAYS * USECS_PER_DAY)

typedef struct Dictionary
{
	StringInfoData plain;		/* the dictionary page's values */
	uint32	   *indices;		/* one per non-NULL value */
	int			count;
	int			bit_width;
} Dictionary;

/*
 * column_chunk_init
 *		Choose how values of a column of type 'typid' are written.
 */
void
column_chunk_init(ColumnChunk *c, Oid typid, int32 typmod, const char *name,
				  const char *table, MemoryContext row_context)
{
	bool		output = false;

	memset(c, 0, sizeof(ColumnChunk));
	c->name = pstrdup(name);
	c->utf8_name = pstrdup(pg_server_to_any(name, strlen(name), PG_UTF8));
	c->table = pstrdup(table);
	c->row_context = row_context;
	typid = getBaseTypeAndTypmod(typid, &typmod);
	c->type = PARQUET_BYTE_ARRAY;
	switch (typid)
	{
		case BOOLOID:
			c->kind = KIND_BOOL;
			c->type = PARQUET_BOOLEAN;
			break;
		case INT2OID:
			c->kind = KIND_INT16;
			c->type = PARQUET_INT32;
			break;
		case INT4OID:
			c->kind = KIND_INT32;
			c->type = PARQUET_INT32;
			break;
		case INT8OID:
			c->kind = KIND_INT64;
			c->type = PARQUET_INT64;
			break;
		case FLOAT4OID:
			c->kind = KIND_FLOAT4;
			c->type = PARQUET_FLOAT;
			break;
		case FLOAT8OID:
			c->kind = KIND_FLOAT8;
			c->type = PARQUET_DOUBLE;
			break;
		case DATEOID:
			c->kind = KIND_DATE;
			c->type = PARQUET_INT32;
			break;
		case TIMEOID:
			c->kind = KIND_TIME;
			c->type = PARQUET_INT64;
			break;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			c->kind = KIND_TIMESTAMP;
			c->type = PARQUET_INT64;
			c->utc = (typid == TIMESTAMPTZOID);
			break;
		case NUMERICOID:
			/* numeric's typmod: precision << 16 | scale (11 bits, signed) */
			if (typmod >= (int32) VARHDRSZ)
			{
				c->precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
				c->scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
			}
			if (typmod >= (int32) VARHDRSZ && c->precision <= DECIMAL_MAX_PRECISION &&
				c->scale >= 0 && c->scale <= c->precision)
			{
				c->kind = KIND_DECIMAL;
				c->type = PARQUET_INT64;
#ifdef PG_INT128_TYPE
				if (c->precision > INT64_DECIMAL_DIGITS)
				{
					c->type = PARQUET_FIXED_LEN_BYTE_ARRAY;
					c->type_length = DECIMAL_BYTES;
				}
#endif
			}
			else
				c->kind = KIND_OUTPUT;
			output = true;
			break;
		case UUIDOID:
			c->kind = KIND_UUID;
			c->type = PARQUET_FIXED_LEN_BYTE_ARRAY;
			c->type_length = UUID_LEN;
			break;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			c->kind = KIND_TEXT;
			break;
		case JSONOID:
			c->kind = KIND_TEXT;
			c->json = true;
			break;
		case JSONBOID:
			c->kind = KIND_OUTPUT;
			c->json = true;
			output = true;
			break;
		case BYTEAOID:
			c->kind = KIND_BYTEA;
			break;
		default:
			c->kind = KIND_OUTPUT;
			output = true;
			break;
	}
	if (output)
	{
		Oid			out_func;
		bool		is_varlena;

		getTypeOutputInfo(typid, &out_func, &is_varlena);
		fmgr_info(out_func, &c->output);
	}
}

/* Forget the buffered row group, whose memory the row context had. */
void
column_chunk_reset(ColumnChunk *c)
{
	c->values.data = NULL;
	c->levels.data = NULL;
	c->min_bytes.data = NULL;
	c->max_bytes.data = NULL;
	c->nulls = 0;
	c->has_range = false;
}

/* Make a buffer of the row group, in the row context, if not made yet. */
static void
ensure_buffer(ColumnChunk *c, StringInfo buf)
{
	if (buf->data == NULL)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(c->row_context);

		initStringInfo(buf);
		MemoryContextSwitchTo(oldcontext);
	}
}

static uint32
load_le32(const char *p)
{
	const uint8 *b = (const uint8 *) p;

	return b[0] | (uint32) b[1] << 8 | (uint32) b[2] << 16 | (uint32) b[3] << 24;
}

static void
store_le32(char *p, uint32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char) ((v >> (8 * i)) & 0xFF);
}

static void
store_le64(char *p, uint64 v)
{
	store_le32(p, (uint32) v);
	store_le32(p + 4, (uint32) (v >> 32));
}

/*
 * Widen the chunk's range to take in a value: integers (booleans, dates,
 * times, decimals too) and floats as numbers, NaN left out; strings and
 * bytes by their bytes, unsigned.
 */
static inline void
widen_integer(ColumnChunk *c, int64 v)
{
	if (!c->has_range)
	{
		c->min_number.i = c->max_number.i = v;
		c->has_range = true;
	}
	else if (v < c->min_number.i)
		c->min_number.i = v;
	else if (v > c->max_number.i)
		c->max_number.i = v;
}

static inline void
widen_float(ColumnChunk *c, float8 v)
{
	if (isnan(v))
		return;
	if (!c->has_range)
	{
		c->min_number.f = c->max_number.f = v;
		c->has_range = true;
	}
	else if (v < c->min_number.f)
		c->min_number.f = v;
	else if (v > c->max_number.f)
		c->max_number.f = v;
}

static int
compare_bytes(const char *a, int alen, const char *b, int blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	return cmp != 0 ? cmp : (alen > blen) - (alen < blen);
}

static void
set_bound(ColumnChunk *c, StringInfo bound, const char *value, int len)
{
	ensure_buffer(c, bound);
	resetStringInfo(bound);
	appendBinaryStringInfo(bound, value, len);
}

static void
widen_bytes(ColumnChunk *c, const char *value, int len)
{
	if (!c->has_range)
	{
		set_bound(c, &c->min_bytes, value, len);
		set_bound(c, &c->max_bytes, value, len);
		c->has_range = true;
	}
	else if (compare_bytes(value, len, c->min_bytes.data, c->min_bytes.len) < 0)
		set_bound(c, &c->min_bytes, value, len);
	else if (compare_bytes(value, len, c->max_bytes.data, c->max_bytes.len) > 0)
		set_bound(c, &c->max_bytes, value, len);
}

/* Append bytes to a buffer of the row group. */
static inline void
append_bytes(StringInfo buf, const char *bytes, int len)
{
	if (buf->len + len >= buf->maxlen)
		enlargeStringInfo(buf, len);
	memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

/* Append a string or bytes, PLAIN-encoded (length first), to the row group. */
static void
add_bytes(ColumnChunk *c, const char *value, Size len)
{
	if (len > VALUE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write a value of %zu bytes into Parquet column \"%s\" of ritual_fdw table \"%s\"",
						len, c->name, c->table),
				 errdetail("A value written into a Parquet file may hold at most 256MB.")));
	if (c->type == PARQUET_BYTE_ARRAY)
	{
		char		prefix[4];

		store_le32(prefix, (uint32) len);
		append_bytes(&c->values, prefix, 4);
	}
	append_bytes(&c->values, value, len);
	widen_bytes(c, value, len);
}

static inline void
add_int32(ColumnChunk *c, int32 v)
{
	char		bytes[4];

	store_le32(bytes, (uint32) v);
	append_bytes(&c->values, bytes, 4);
	widen_integer(c, v);
}

static inline void
add_int64(ColumnChunk *c, int64 v)
{
	char		bytes[8];

	store_le64(bytes, (uint64) v);
	append_bytes(&c->values, bytes, 8);
	widen_integer(c, v);
}

/*
 * Append a decimal of more than 18 digits: 16 bytes, big-endian two's
 * complement; its bounds are kept as numbers, signed, as Parquet orders
 * DECIMAL.
 */
static void
add_decimal_bytes(ColumnChunk *c, Unscaled v)
{
#ifdef PG_INT128_TYPE
	char		bytes[DECIMAL_BYTES];
	uint128		u = (uint128) v;

	for (int b = DECIMAL_BYTES - 1; b >= 0; b--)
	{
		bytes[b] = (char) (u & 0xFF);
		u >>= 8;
	}
	append_bytes(&c->values, bytes, DECIMAL_BYTES);
	if (!c->has_range)
	{
		c->min_number.wide = c->max_number.wide = v;
		c->has_range = true;
	}
	else if (v < c->min_number.wide)
		c->min_number.wide = v;
	else if (v > c->max_number.wide)
		c->max_number.wide = v;
#else
	elog(ERROR, "decimals of more than 18 digits need int128");
#endif
}

/* Append text in the database's encoding as a UTF-8 string. */
static void
add_text(ColumnChunk *c, const char *s, int len)
{
	int			encoding = GetDatabaseEncoding();
	char	   *utf8;

	if (encoding == PG_UTF8)
	{
		add_bytes(c, s, len);
		return;
	}
	if (encoding == PG_SQL_ASCII)
	{
		/* bytes of no known encoding: written only when they are UTF-8 */
		if (!pg_verify_mbstr(PG_UTF8, s, len, true))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("cannot write a value that is not valid UTF-8 into Parquet column \"%s\" of ritual_fdw table \"%s\"",
							c->name, c->table),
					 errdetail("Parquet strings are UTF-8, and the database's encoding is SQL_ASCII.")));
		add_bytes(c, s, len);
		return;
	}
	utf8 = pg_server_to_any(s, len, PG_UTF8);
	add_bytes(c, utf8, utf8 == s ? len : (int) strlen(utf8));
	if (utf8 != s)
		pfree(utf8);
}

static void
refuse_infinite(const ColumnChunk *c, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("cannot write %s into Parquet column \"%s\" of ritual_fdw table \"%s\"",
					what, c->name, c->table),
			 errdetail("Parquet has no infinite dates or timestamps."),
			 errhint("Write NULL instead, for example with CASE WHEN isfinite(value) THEN value END.")));
}

/*
 * The unscaled value of a numeric(p, s), from its text: the digits without
 * the point, as the type's scale already fixes the number of decimals.  Its
 * significant digits are at most p, so it fits.
 */
static Unscaled
decimal_unscaled(const ColumnChunk *c, const char *text)
{
	const char *p = text;
	bool		negative = (*p == '-');
	Unscaled	unscaled = 0;
	int			decimals = -1;
	int			digits = 0;

	if (negative)
		p++;
	if (!isdigit((unsigned char) *p))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot write \"%s\" into Parquet DECIMAL column \"%s\" of ritual_fdw table \"%s\"",
						text, c->name, c->table),
				 errdetail("A Parquet DECIMAL holds numbers only."),
				 errhint("Write NULL instead, or declare the column numeric without a precision to write it as text.")));
	/* accumulated as a negative number, so that the most negative fits */
	for (; *p || Max(decimals, 0) < c->scale; p += (*p != '\0'))
	{
		int			digit = 0;

		if (*p == '.')
		{
			decimals = 0;
			continue;
		}
		if (*p != '\0')
		{
			if (!isdigit((unsigned char) *p))
				elog(ERROR, "unexpected numeric text \"%s\"", text);
			digit = *p - '0';
		}
		if ((unscaled != 0 || digit != 0) && ++digits > c->precision)
			elog(ERROR, "numeric text \"%s\" has more digits than its type", text);
		unscaled = unscaled * 10 - digit;
		if (decimals >= 0 || *p == '\0')
			decimals = Max(decimals, 0) + 1;
	}
	return negative ? unscaled : -unscaled;
}

/*
 * column_chunk_add
 *		Append one row's value of the column, or its NULL.
 */
void
column_chunk_add(ColumnChunk *c, Datum value, bool isnull)
{
	char		level = isnull ? 0 : 1;

	ensure_buffer(c, &c->levels);
	append_bytes(&c->levels, &level, 1);
	if (isnull)
	{
		c->nulls++;
		return;
	}
	ensure_buffer(c, &c->values);
	switch (c->kind)
	{
		case KIND_BOOL:
			{
				char		b = DatumGetBool(value) ? 1 : 0;

				append_bytes(&c->values, &b, 1);
				widen_integer(c, b);
				break;
			}
		case KIND_INT16:
			add_int32(c, DatumGetInt16(value));
			break;
		case KIND_INT32:
			add_int32(c, DatumGetInt32(value));
			break;
		case KIND_INT64:
		case KIND_TIME:
			add_int64(c, DatumGetInt64(value));
			break;
		case KIND_FLOAT4:
			{
				float4		f = DatumGetFloat4(value);
				uint32		bits;
				char		bytes[4];

				memcpy(&bits, &f, sizeof(bits));
				store_le32(bytes, bits);
				append_bytes(&c->values, bytes, 4);
				widen_float(c, f);
				break;
			}
		case KIND_FLOAT8:
			{
				float8		f = DatumGetFloat8(value);
				uint64		bits;
				char		bytes[8];

				memcpy(&bits, &f, sizeof(bits));
				store_le64(bytes, bits);
				append_bytes(&c->values, bytes, 8);
				widen_float(c, f);
				break;
			}
		case KIND_DATE:
			{
				DateADT		d = DatumGetDateADT(value);

				if (DATE_NOT_FINITE(d))
					refuse_infinite(c, "an infinite date");
				/* finite dates are well inside int32 either way */
				add_int32(c, d + EPOCH_DAYS);
				break;
			}
		case KIND_TIMESTAMP:
			{
				Timestamp	t = DatumGetTimestamp(value);
				int64		micros;

				if (TIMESTAMP_NOT_FINITE(t))
					refuse_infinite(c, "an infinite timestamp");
				if (pg_add_s64_overflow(t, EPOCH_MICROS, &micros))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("cannot write a timestamp this late into Parquet column \"%s\" of ritual_fdw table \"%s\"",
									c->name, c->table),
							 errdetail("Parquet counts microseconds from 1970 in 64 bits.")));
				add_int64(c, micros);
				break;
			}
		case KIND_DECIMAL:
			{
				char	   *text = OutputFunctionCall(&c->output, value);
				Unscaled	unscaled = decimal_unscaled(c, text);

				pfree(text);
				if (c->type == PARQUET_INT64)
					add_int64(c, (int64) unscaled);
				else
					add_decimal_bytes(c, unscaled);
				break;
			}
		case KIND_UUID:
			add_bytes(c, (const char *) DatumGetUUIDP(value)->data, UUID_LEN);
			break;
		case KIND_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				add_text(c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				if ((Pointer) t != DatumGetPointer(value))
					pfree(t);
				break;
			}
		case KIND_BYTEA:
			{
				bytea	   *b = DatumGetByteaPP(value);

				add_bytes(c, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
				if ((Pointer) b != DatumGetPointer(value))
					pfree(b);
				break;
			}
		case KIND_OUTPUT:
			{
				char	   *text = OutputFunctionCall(&c->output, value);

				add_text(c, text, strlen(text));
				pfree(text);
				break;
			}
	}
}

/* The bytes of the value at 'pos' of the buffer; moves 'pos' past it. */
static const char *
next_value(const ColumnChunk *c, Size *pos, int *len)
{
	const char *p = c->values.data + *pos;

	switch (c->type)
	{
		case PARQUET_BOOLEAN:
			*len = 1;
			break;
		case PARQUET_INT32:
		case PARQUET_FLOAT:
			*len = 4;
			break;
		case PARQUET_INT64:
		case PARQUET_DOUBLE:
			*len = 8;
			break;
		case PARQUET_FIXED_LEN_BYTE_ARRAY:
			*len = c->type_length;
			break;
		default:
			*len = (int) load_le32(p);
			*pos += 4;
			p += 4;
			break;
	}
	*pos += *len;
	return p;
}

/* A value's hash: fixed-width values are mixed as integers, the rest hashed. */
static inline uint32
value_hash(const char *value, int len)
{
	if (len == 4)
		return murmurhash32(load_le32(value));
	if (len == 8)
		return (uint32) hash_bytes_uint32_extended(load_le32(value),
												   load_le32(value + 4));
	return hash_bytes((const unsigned char *) value, len);
}

/*
 * Encode the non-NULL values as dictionary indices, if the dictionary is
 * small and the indices with it take a quarter less than PLAIN values.
 * Values nearly all distinct give up early: each sample of
 * DICTIONARY_SAMPLE values that has no more repeats than a quarter stops
 * the dictionary.
 */
static bool
build_dictionary(const ColumnChunk *c, int64 nonnull, Dictionary *d)
{
	int			capacity = 1024;
	int32	   *slots = palloc0(sizeof(int32) * capacity);
	int			allocated = 256;
	Size	   *offsets = palloc(sizeof(Size) * allocated);
	int		   *lengths = palloc(sizeof(int) * allocated);
	uint32	   *hashes = palloc(sizeof(uint32) * allocated);
	Size		dictionary_bytes = 0;
	Size		pos = 0;
	int			sample_start = 0;	/* values in the dictionary then */
	bool		pays;

	d->indices = palloc(sizeof(uint32) * nonnull);
	d->count = 0;
	for (int64 i = 0; i < nonnull; i++)
	{
		Size		start;
		int			len;
		const char *value;
		uint32		hash;
		int			slot;
		int			entry;

		value = next_value(c, &pos, &len);
		start = value - c->values.data;
		hash = value_hash(value, len);
		for (slot = hash & (capacity - 1); slots[slot] != 0;
			 slot = (slot + 1) & (capacity - 1))
		{
			int			e = slots[slot] - 1;

			if (hashes[e] == hash && lengths[e] == len &&
				memcmp(c->values.data + offsets[e], value, len) == 0)
				break;
		}
		entry = slots[slot] - 1;
		if (entry < 0)
		{
			dictionary_bytes += len + (c->type == PARQUET_BYTE_ARRAY ? 4 : 0);
			if (dictionary_bytes > DICTIONARY_MAX_BYTES)
				return false;

			if (d->count == allocated)
			{
				allocated *= 2;
				offsets = repalloc(offsets, sizeof(Size) * allocated);
				lengths = repalloc(lengths, sizeof(int) * allocated);
				hashes = repalloc(hashes, sizeof(uint32) * allocated);
			}
			offsets[d->count] = start;
			lengths[d->count] = len;
			hashes[d->count] = hash;
			entry = d->count++;
			slots[slot] = entry + 1;
			if (d->count * 2 > capacity)
			{
				/* grow to keep the table at most half full */
				pfree(slots);
				capacity *= 2;
				slots = palloc0(sizeof(int32) * capacity);
				for (int e = 0; e < d->count; e++)
				{
					int			s = hashes[e] & (capacity - 1);

					while (slots[s] != 0)
						s = (s + 1) & (capacity - 1);
					slots[s] = e + 1;
				}
			}
		}
		d->indices[i] = entry;
		if ((i + 1) % DICTIONARY_SAMPLE == 0)
		{
			if ((d->count - sample_start) * 4 > DICTIONARY_SAMPLE * 3)
				return false;
			sample_start = d->count;
		}
	}
	d->bit_width = parquet_bit_width(d->count > 0 ? d->count - 1 : 0);
	pays = (dictionary_bytes + (nonnull * d->bit_width + 7) / 8) * 4 <
		(Size) c->values.len * 3;
	if (pays)
	{
		initStringInfo(&d->plain);
		for (int e = 0; e < d->count; e++)
		{
			if (c->type == PARQUET_BYTE_ARRAY)
			{
				char		prefix[4];

				store_le32(prefix, (uint32) lengths[e]);
				appendBinaryStringInfo(&d->plain, prefix, 4);
			}
			appendBinaryStringInfo(&d->plain, c->values.data + offsets[e],
								   lengths[e]);
		}
	}
	pfree(slots);
	pfree(offsets);
	pfree(lengths);
	pfree(hashes);
	return pays;
}

/* Write a page: its header, then its body compressed by the codec. */
static void
write_page(ChunkSink *sink, int page_type, const StringInfo body,
		   int64 num_values, int encoding, int64 *uncompressed,
		   int64 *compressed)
{
	StringInfoData header;
	StringInfoData packed;
	ThriftWriter t;

	initStringInfo(&packed);
	ritual_compress(sink->compression, body->data, body->len, &packed);
	initStringInfo(&header);
	thrift_writer_init(&t, &header);
	thrift_write_struct_begin(&t);
	thrift_write_field_i32(&t, 1, page_type);
	thrift_write_field_i32(&t, 2, body->len);
	thrift_write_field_i32(&t, 3, packed.len);
	if (page_type == PAGE_DATA)
	{
		thrift_write_field_struct(&t, 5);
		thrift_write_field_i32(&t, 1, (int32) num_values);
		thrift_write_field_i32(&t, 2, encoding);
		thrift_write_field_i32(&t, 3, ENCODING_RLE);
		thrift_write_field_i32(&t, 4, ENCODING_RLE);
		thrift_write_struct_end(&t);
	}
	else
	{
		thrift_write_field_struct(&t, 7);
		thrift_write_field_i32(&t, 1, (int32) num_values);
		thrift_write_field_i32(&t, 2, encoding);
		thrift_write_struct_end(&t);
	}
	thrift_write_struct_end(&t);

	sink->emit(sink->arg, header.data, header.len);
	sink->emit(sink->arg, packed.data, packed.len);
	sink->offset += header.len + packed.len;
	*uncompressed += header.len + body->len;
	*compressed += header.len + packed.len;
	pfree(header.data);
	pfree(packed.data);
}

/*
 * Cut a string statistic to at most STATISTIC_MAX_BYTES: the least value
 * to a prefix; the greatest to a prefix whose last character (byte, for
 * bytes) is raised by one, so that it is above every value with that
 * prefix.  A character that cannot be raised and stay valid UTF-8 is
 * dropped and the one before it tried; false when none can be.
 */
static bool
cut_statistic(const ColumnChunk *c, StringInfo value, bool greatest)
{
	bool		text = (c->kind != KIND_BYTEA);
	int			len = text ?
		pg_encoding_mbcliplen(PG_UTF8, value->data, value->len,
							  STATISTIC_MAX_BYTES) : STATISTIC_MAX_BYTES;

	if (!greatest)
	{
		value->len = len;
		return true;
	}
	while (len > 0)
	{
		int			start = len - 1;
		uint8	   *last;

		/* the last character starts at a byte that is not 10xxxxxx */
		while (text && start > 0 && ((uint8) value->data[start] & 0xC0) == 0x80)
			start--;
		last = (uint8 *) value->data + len - 1;
		if (*last < (text ? (len - start == 1 ? 0x7F : 0xBF) : 0xFF))
		{
			(*last)++;
			if (!text || pg_utf8_islegal((uint8 *) value->data + start, len - start))
			{
				value->len = len;
				return true;
			}
			(*last)--;
		}
		len = start;
	}
	return false;
}

/*
 * The bytes of a numeric bound as the column's physical type has them; a
 * range through zero says -0 at its low end and +0 at its high end.
 */
static int
number_bytes(const ColumnChunk *c, bool greatest, char *bytes)
{
	float8		f = greatest ? c->max_number.f : c->min_number.f;
	int64		i = greatest ? c->max_number.i : c->min_number.i;

	if ((c->type == PARQUET_FLOAT || c->type == PARQUET_DOUBLE) && f == 0)
		f = greatest ? 0.0 : -0.0;
	switch (c->type)
	{
#ifdef PG_INT128_TYPE
		case PARQUET_FIXED_LEN_BYTE_ARRAY:
			{
				uint128		u = (uint128) (greatest ? c->max_number.wide :
										   c->min_number.wide);

				for (int b = DECIMAL_BYTES - 1; b >= 0; b--)
				{
					bytes[b] = (char) (u & 0xFF);
					u >>= 8;
				}
				return DECIMAL_BYTES;
			}
#endif
		case PARQUET_BOOLEAN:
			bytes[0] = (char) i;
			return 1;
		case PARQUET_INT32:
			store_le32(bytes, (uint32) (int32) i);
			return 4;
		case PARQUET_FLOAT:
			{
				float4		f4 = (float4) f;
				uint32		bits;

				memcpy(&bits, &f4, sizeof(bits));
				store_le32(bytes, bits);
				return 4;
			}
		case PARQUET_DOUBLE:
			{
				uint64		bits;

				memcpy(&bits, &f, sizeof(bits));
				store_le64(bytes, bits);
				return 8;
			}
		default:
			store_le64(bytes, (uint64) i);
			return 8;
	}
}

static void
write_statistics(ColumnChunk *c, ThriftWriter *t)
{
	bool		max_exact = true;
	bool		min_exact = true;
	bool		has_max = c->has_range;
	char		min[16],
				max[16];

	thrift_write_field_struct(t, 12);
	thrift_write_field_i64(t, 3, c->nulls);
	if (c->has_range && c->type != PARQUET_BYTE_ARRAY && c->kind != KIND_UUID)
	{
		int			max_len = number_bytes(c, true, max);
		int			min_len = number_bytes(c, false, min);

		thrift_write_field_binary(t, 5, max, max_len);
		thrift_write_field_binary(t, 6, min, min_len);
	}
	else if (c->has_range)
	{
		if (c->type == PARQUET_BYTE_ARRAY && c->max_bytes.len > STATISTIC_MAX_BYTES)
		{
			has_max = cut_statistic(c, &c->max_bytes, true);
			max_exact = false;
		}
		if (c->type == PARQUET_BYTE_ARRAY && c->min_bytes.len > STATISTIC_MAX_BYTES)
		{
			cut_statistic(c, &c->min_bytes, false);
			min_exact = false;
		}
		if (has_max)
			thrift_write_field_binary(t, 5, c->max_bytes.data, c->max_bytes.len);
		thrift_write_field_binary(t, 6, c->min_bytes.data, c->min_bytes.len);
		if (has_max)
			thrift_write_field_bool(t, 7, max_exact);
		thrift_write_field_bool(t, 8, min_exact);
	}
	thrift_write_struct_end(t);
}

/*
 * column_chunk_write
 *		Encode the buffered row group's values of the column as pages into
 *		'sink', and its ColumnChunk into the RowGroup being written.
 */
void
column_chunk_write(ColumnChunk *c, int64 rows, ChunkSink *sink,
				   ThriftWriter *row_group, int64 *uncompressed,
				   int64 *compressed)
{
	int64		nonnull = rows - c->nulls;
	Dictionary	dictionary;
	bool		use_dictionary;
	int64		chunk_start = sink->offset;
	int64		data_start;
	int64		chunk_uncompressed = 0;
	int64		chunk_compressed = 0;
	const uint8 *levels = (const uint8 *) c->levels.data;
	StringInfoData body;
	Size		pos = 0;
	int64		value = 0;
	int64		row = 0;

	ensure_buffer(c, &c->values);
	initStringInfo(&body);
	use_dictionary = c->type != PARQUET_BOOLEAN && nonnull > 0 &&
		build_dictionary(c, nonnull, &dictionary);
	if (use_dictionary)
		write_page(sink, PAGE_DICTIONARY, &dictionary.plain, dictionary.count,
				   ENCODING_PLAIN, &chunk_uncompressed, &chunk_compressed);
	data_start = sink->offset;

	/* data pages of about PAGE_BYTES of values */
	while (row < rows)
	{
		int64		first_row = row;
		int64		first_value = value;
		Size		first_pos = pos;
		int			len;

		while (row < rows && row - first_row < PAGE_MAX_ROWS &&
			   (row == first_row || pos - first_pos < PAGE_BYTES))
		{
			if (levels[row])
			{
				(void) next_value(c, &pos, &len);
				value++;
			}
			row++;
		}
		resetStringInfo(&body);
		parquet_encode_levels(&body, levels + first_row, row - first_row);
		if (use_dictionary)
		{
			appendStringInfoChar(&body, (char) dictionary.bit_width);
			parquet_encode_hybrid(&body, dictionary.indices + first_value,
								  value - first_value, dictionary.bit_width);
		}
		else if (c->type == PARQUET_BOOLEAN)
			parquet_encode_booleans(&body, (const uint8 *) c->values.data + first_pos,
									value - first_value);
		else
			appendBinaryStringInfo(&body, c->values.data + first_pos,
								   pos - first_pos);
		write_page(sink, PAGE_DATA, &body, row - first_row,
				   use_dictionary ? ENCODING_RLE_DICTIONARY : ENCODING_PLAIN,
				   &chunk_uncompressed, &chunk_compressed);
	}
	pfree(body.data);

	/* ColumnChunk, and its ColumnMetaData */
	thrift_write_struct_begin(row_group);
	thrift_write_field_i64(row_group, 2, chunk_start);
	thrift_write_field_struct(row_group, 3);
	thrift_write_field_i32(row_group, 1, c->type);
	thrift_write_field_list(row_group, 2, THRIFT_I32, use_dictionary ? 3 : 2);
	thrift_write_i32(row_group, ENCODING_PLAIN);
	thrift_write_i32(row_group, ENCODING_RLE);
	if (use_dictionary)
		thrift_write_i32(row_group, ENCODING_RLE_DICTIONARY);
	thrift_write_field_list(row_group, 3, THRIFT_BINARY, 1);
	thrift_write_string(row_group, c->utf8_name);
	thrift_write_field_i32(row_group, 4, sink->codec);
	thrift_write_field_i64(row_group, 5, rows);
	thrift_write_field_i64(row_group, 6, chunk_uncompressed);
	thrift_write_field_i64(row_group, 7, chunk_compressed);
	thrift_write_field_i64(row_group, 9, data_start);
	if (use_dictionary)
		thrift_write_field_i64(row_group, 11, chunk_start);
	write_statistics(c, row_group);
	thrift_write_struct_end(row_group);
	thrift_write_struct_end(row_group);

	*uncompressed += chunk_uncompressed;
	*compressed += chunk_compressed;
}

/* A union's member with a TimeUnit of microseconds, as TIME and TIMESTAMP have. */
static void
write_time_type(ThriftWriter *t, int member, bool utc)
{
	thrift_write_field_struct(t, member);
	thrift_write_field_bool(t, 1, utc);
	thrift_write_field_struct(t, 2);
	thrift_write_field_empty_struct(t, 2);	/* MICROS */
	thrift_write_struct_end(t);
	thrift_write_struct_end(t);
}

/*
 * column_chunk_write_schema
 *		Write the column's SchemaElement: its types, logical and (for
 *		older readers) converted.
 */
void
column_chunk_write_schema(const ColumnChunk *c, ThriftWriter *t)
{
	thrift_write_struct_begin(t);
	thrift_write_field_i32(t, 1, c->type);
	if (c->type == PARQUET_FIXED_LEN_BYTE_ARRAY)
		thrift_write_field_i32(t, 2, c->type_length);
	thrift_write_field_i32(t, 3, REPETITION_OPTIONAL);
	thrift_write_field_string(t, 4, c->utf8_name);
	switch (c->kind)
	{
		case KIND_INT16:
			thrift_write_field_i32(t, 6, CONVERTED_INT_16);
			thrift_write_field_struct(t, 10);
			thrift_write_field_struct(t, PARQUET_LOGICAL_INTEGER);
			thrift_write_field_i8(t, 1, 16);
			thrift_write_field_bool(t, 2, true);
			thrift_write_struct_end(t);
			thrift_write_struct_end(t);
			break;
		case KIND_DATE:
			thrift_write_field_i32(t, 6, CONVERTED_DATE);
			thrift_write_field_struct(t, 10);
			thrift_write_field_empty_struct(t, PARQUET_LOGICAL_DATE);
			thrift_write_struct_end(t);
			break;
		case KIND_TIME:
			thrift_write_field_struct(t, 10);
			write_time_type(t, PARQUET_LOGICAL_TIME, false);
			thrift_write_struct_end(t);
			break;
		case KIND_TIMESTAMP:
			/* the converted type says adjusted to UTC */
			if (c->utc)
				thrift_write_field_i32(t, 6, CONVERTED_TIMESTAMP_MICROS);
			thrift_write_field_struct(t, 10);
			write_time_type(t, PARQUET_LOGICAL_TIMESTAMP, c->utc);
			thrift_write_struct_end(t);
			break;
		case KIND_DECIMAL:
			thrift_write_field_i32(t, 6, CONVERTED_DECIMAL);
			thrift_write_field_i32(t, 7, c->scale);
			thrift_write_field_i32(t, 8, c->precision);
			thrift_write_field_struct(t, 10);
			thrift_write_field_struct(t, PARQUET_LOGICAL_DECIMAL);
			thrift_write_field_i32(t, 1, c->scale);
			thrift_write_field_i32(t, 2, c->precision);
			thrift_write_struct_end(t);
			thrift_write_struct_end(t);
			break;
		case KIND_UUID:
			thrift_write_field_struct(t, 10);
			thrift_write_field_empty_struct(t, PARQUET_LOGICAL_UUID);
			thrift_write_struct_end(t);
			break;
		case KIND_TEXT:
		case KIND_OUTPUT:
			thrift_write_field_i32(t, 6, c->json ? CONVERTED_JSON : CONVERTED_UTF8);
			thrift_write_field_struct(t, 10);
			thrift_write_field_empty_struct(t, c->json ? PARQUET_LOGICAL_JSON :
											PARQUET_LOGICAL_STRING);
			thrift_write_struct_end(t);
			break;
		default:
			break;
	}
	thrift_write_struct_end(t);
}
