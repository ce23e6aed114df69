/*-------------------------------------------------------------------------
 *
 * encodings.c
 *		  Decode the values of one Parquet page (or of its dictionary page)
 *		  into ParquetPlain values: PLAIN, PLAIN_DICTIONARY and
 *		  RLE_DICTIONARY, RLE (booleans), DELTA_BINARY_PACKED,
 *		  DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
 *
 * A decoder streams: it is asked for the next n values, as many as the
 * page's levels say are not NULL, and raises an ERROR when its bytes hold
 * fewer.  Byte values point into the page (or the dictionary) when their
 * bytes are there as they are; the ones it must put together
 * (DELTA_BYTE_ARRAY, a BYTE_STREAM_SPLIT FIXED_LEN_BYTE_ARRAY) are
 * allocated in the current memory context, which the caller resets.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "pages.h"

/* values decoded at a time through a buffer on the stack */
#define STEP		256

/*
 * The bytes of one PLAIN value of a type of fixed size (0 for BOOLEAN, a
 * bit; 4 for BYTE_ARRAY, its length's, the least it takes).
 */
int32
plain_value_size(ParquetType type, int32 type_length)
{
	switch (type)
	{
		case PARQUET_BOOLEAN:
			return 0;
		case PARQUET_INT32:
		case PARQUET_FLOAT:
		case PARQUET_BYTE_ARRAY:
			return 4;
		case PARQUET_INT64:
		case PARQUET_DOUBLE:
			return 8;
		case PARQUET_INT96:
			return 12;
		case PARQUET_FIXED_LEN_BYTE_ARRAY:
			return type_length;
	}
	return 0;
}

static void
not_supported(int32 encoding, ParquetType type)
{
	const char *name = parquet_encoding_name(encoding);
	const char *type_name = parquet_type_name(type);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("Parquet page has an unknown encoding %d", encoding)));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("Parquet encoding %s of %s values is not supported",
					name, type_name ? type_name : "unknown")));
}

/*
 * Start decoding the 'len' bytes of values at 'data', in 'encoding', of
 * physical type 'type'; 'dictionary' is the column chunk's, or NULL.
 */
void
values_init(ValueDecoder *d, int32 encoding, ParquetType type,
			int32 type_length, const uint8 *data, size_t len,
			const ParquetDictionary *dictionary)
{
	const uint8 *end = data + len;

	memset(d, 0, sizeof(*d));
	d->encoding = encoding;
	snprintf(d->what, sizeof(d->what), "corrupt %s-encoded Parquet values",
			 parquet_encoding_name(encoding) ? parquet_encoding_name(encoding) : "unknown");
	d->type = type;
	d->type_length = type_length;
	d->start = d->pos = data;
	d->end = end;
	d->dictionary = dictionary;
	d->page_context = CurrentMemoryContext;

	/* a page of NULLs only may have no values at all, in any encoding */
	if (len == 0)
	{
		d->encoding = PARQUET_ENC_PLAIN;
		return;
	}
	switch (encoding)
	{
		case PARQUET_ENC_PLAIN:
			break;
		case PARQUET_ENC_PLAIN_DICTIONARY:
		case PARQUET_ENC_RLE_DICTIONARY:
			if (dictionary == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("Parquet page is dictionary-encoded, but its column chunk has no dictionary page")));
			if (data[0] > 32)
				parquet_corrupt(d->what, "the bit width of its indices is %d, more than 32", data[0]);
			rle_init(&d->rle, data + 1, len - 1, data[0]);
			break;
		case PARQUET_ENC_RLE:
			if (type != PARQUET_BOOLEAN)
				not_supported(encoding, type);
			if (len < 4 || le32(data) > len - 4)
				parquet_corrupt(d->what, "its length prefix says more than the %zu bytes of the page", len);
			rle_init(&d->rle, data + 4, le32(data), 1);
			break;
		case PARQUET_ENC_DELTA_BINARY_PACKED:
			if (type != PARQUET_INT32 && type != PARQUET_INT64)
				not_supported(encoding, type);
			delta_init(&d->delta, data, len, type == PARQUET_INT32 ? 32 : 64);
			break;
		case PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY:
			if (type != PARQUET_BYTE_ARRAY)
				not_supported(encoding, type);
			delta_init(&d->delta, data, len, 32);
			d->pos = delta_end(data, len, 32);
			break;
		case PARQUET_ENC_DELTA_BYTE_ARRAY:
			{
				const uint8 *suffixes;

				if (type != PARQUET_BYTE_ARRAY && type != PARQUET_FIXED_LEN_BYTE_ARRAY)
					not_supported(encoding, type);
				delta_init(&d->delta, data, len, 32);
				suffixes = delta_end(data, len, 32);
				delta_init(&d->suffixes, suffixes, end - suffixes, 32);
				d->pos = delta_end(suffixes, end - suffixes, 32);
				break;
			}
		case PARQUET_ENC_BYTE_STREAM_SPLIT:
			{
				int32		width = plain_value_size(type, type_length);

				if (type == PARQUET_BOOLEAN || type == PARQUET_BYTE_ARRAY ||
					type == PARQUET_INT96)
					not_supported(encoding, type);
				if (len % width != 0)
					parquet_corrupt(d->what, "its %zu bytes are not a multiple of the %d of a value",
									len, width);
				d->split_count = len / width;
				break;
			}
		default:
			not_supported(encoding, type);
	}
}

/*
 * The most values one read may ask for so that what it allocates stays
 * within about 'bytes': a DELTA_BYTE_ARRAY value may repeat all that came
 * before it, so that a few bytes of a page make values of any size.
 */
int
values_batch_limit(const ValueDecoder *d, Size bytes)
{
	uint64		longest;

	if (d->encoding != PARQUET_ENC_DELTA_BYTE_ARRAY)
		return INT_MAX;
	longest = (uint64) d->previous_len + (d->end - d->pos) + 1;
	return (int) Max(1, Min(bytes / longest, (uint64) INT_MAX));
}

static void
plain_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	size_t		left = d->end - d->pos;
	int32		size = plain_value_size(d->type, d->type_length);

	if (d->type == PARQUET_BOOLEAN)
	{
		if ((uint64) n > (uint64) left * 8 - d->bit)
			parquet_corrupt(d->what, "the page holds fewer values than its levels say");
		for (int i = 0; i < n; i++, d->bit++)
			out[i].i32 = (d->pos[d->bit >> 3] >> (d->bit & 7)) & 1;
		return;
	}
	if (d->type != PARQUET_BYTE_ARRAY && (uint64) n * size > left)
		parquet_corrupt(d->what, "the page holds fewer values than its levels say");
	/* a loop for each type: values of a fixed size are decoded in place */
	switch (d->type)
	{
		case PARQUET_INT32:
			for (int i = 0; i < n; i++)
				out[i].i32 = (int32) le32(d->pos + 4 * i);
			break;
		case PARQUET_INT64:
			for (int i = 0; i < n; i++)
				out[i].i64 = (int64) le64(d->pos + 8 * i);
			break;
		case PARQUET_FLOAT:
			for (int i = 0; i < n; i++)
			{
				uint32		bits = le32(d->pos + 4 * i);

				memcpy(&out[i].f32, &bits, 4);
			}
			break;
		case PARQUET_DOUBLE:
			for (int i = 0; i < n; i++)
			{
				uint64		bits = le64(d->pos + 8 * i);

				memcpy(&out[i].f64, &bits, 8);
			}
			break;
		case PARQUET_BYTE_ARRAY:
			for (int i = 0; i < n; i++)
			{
				left = d->end - d->pos;
				if (left < 4 || le32(d->pos) > left - 4)
					parquet_corrupt(d->what, "a value's length runs past the end of the page");
				out[i].bytes.data = (const char *) d->pos + 4;
				out[i].bytes.len = le32(d->pos);
				d->pos += 4 + out[i].bytes.len;
			}
			return;
		default:
			for (int i = 0; i < n; i++)
			{
				out[i].bytes.data = (const char *) d->pos + (size_t) size * i;
				out[i].bytes.len = size;
			}
			break;
	}
	d->pos += (size_t) n * size;
}

static void
dictionary_read(ValueDecoder *d, ParquetPlain *out, int32 *index, int n)
{
	uint32		indices[STEP];

	for (int done = 0; done < n; done += STEP)
	{
		int			step = Min(STEP, n - done);

		rle_read(&d->rle, indices, step, "dictionary indices");
		for (int i = 0; i < step; i++)
		{
			if (indices[i] >= (uint32) d->dictionary->count)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("dictionary index %u is out of range: the dictionary has %d values",
								indices[i], d->dictionary->count)));
			if (index == NULL)
				out[done + i] = d->dictionary->values[indices[i]];
		}
		if (index != NULL)
			memcpy(index + done, indices, sizeof(int32) * step);
	}
}

static void
rle_boolean_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	uint32		bits[STEP];

	for (int done = 0; done < n; done += STEP)
	{
		int			step = Min(STEP, n - done);

		rle_read(&d->rle, bits, step, "RLE booleans");
		for (int i = 0; i < step; i++)
			out[done + i].i32 = (int32) bits[i];
	}
}

/* the next 'n' lengths, each checked against the bytes that must hold it */
static void
read_lengths(ValueDecoder *d, DeltaDecoder *delta, int64 *lengths, int n)
{
	delta_read(delta, lengths, n);
	for (int i = 0; i < n; i++)
		if (lengths[i] < 0)
			parquet_corrupt(d->what, "a length is negative (" INT64_FORMAT ")", lengths[i]);
}

static void
delta_length_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	int64		lengths[STEP];

	for (int done = 0; done < n; done += STEP)
	{
		int			step = Min(STEP, n - done);

		read_lengths(d, &d->delta, lengths, step);
		for (int i = 0; i < step; i++)
		{
			if (lengths[i] > d->end - d->pos)
				parquet_corrupt(d->what, "a value of " INT64_FORMAT " bytes runs past the end of the page",
								lengths[i]);
			out[done + i].bytes.data = (const char *) d->pos;
			out[done + i].bytes.len = (int32) lengths[i];
			d->pos += lengths[i];
		}
	}
}

static void
delta_byte_array_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	int64		prefixes[STEP];
	int64		suffixes[STEP];

	for (int done = 0; done < n; done += STEP)
	{
		int			step = Min(STEP, n - done);

		read_lengths(d, &d->delta, prefixes, step);
		read_lengths(d, &d->suffixes, suffixes, step);
		for (int i = 0; i < step; i++)
		{
			int64		len;
			char	   *value;

			if (prefixes[i] > d->previous_len)
				parquet_corrupt(d->what, "a prefix of " INT64_FORMAT " bytes is longer than the value before it (%d)",
								prefixes[i], d->previous_len);
			if (suffixes[i] > d->end - d->pos)
				parquet_corrupt(d->what, "a suffix of " INT64_FORMAT " bytes runs past the end of the page",
								suffixes[i]);
			len = prefixes[i] + suffixes[i];
			if (d->type == PARQUET_FIXED_LEN_BYTE_ARRAY && len != d->type_length)
				parquet_corrupt(d->what, "a value has " INT64_FORMAT " bytes, not the column's %d",
								len, d->type_length);
			/* within the page's bytes and the previous value's */
			value = palloc(len + 1);
			if (prefixes[i] > 0)
				memcpy(value, d->previous, prefixes[i]);
			memcpy(value + prefixes[i], d->pos, suffixes[i]);
			d->pos += suffixes[i];
			out[done + i].bytes.data = value;
			out[done + i].bytes.len = (int32) len;

			if (len > d->previous_size)
			{
				if (d->previous)
					pfree(d->previous);
				d->previous_size = Min(Max(len, 64) * 2, (int64) MaxAllocSize);
				d->previous = MemoryContextAlloc(d->page_context, d->previous_size);
			}
			if (len > 0)
				memcpy(d->previous, value, len);
			d->previous_len = (int32) len;
		}
	}
}

static void
byte_stream_split_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	int32		width = plain_value_size(d->type, d->type_length);
	uint8		bytes[8];

	if ((uint64) n > d->split_count - d->split_next)
		parquet_corrupt(d->what, "the page holds fewer values than its levels say");
	for (int i = 0; i < n; i++, d->split_next++)
	{
		uint8	   *value = bytes;

		if (d->type == PARQUET_FIXED_LEN_BYTE_ARRAY)
			value = palloc(width);
		for (int b = 0; b < width; b++)
			value[b] = d->start[b * d->split_count + d->split_next];
		switch (d->type)
		{
			case PARQUET_INT32:
				out[i].i32 = (int32) le32(value);
				break;
			case PARQUET_FLOAT:
				{
					uint32		bits = le32(value);

					memcpy(&out[i].f32, &bits, 4);
					break;
				}
			case PARQUET_INT64:
				out[i].i64 = (int64) le64(value);
				break;
			case PARQUET_DOUBLE:
				{
					uint64		bits = le64(value);

					memcpy(&out[i].f64, &bits, 8);
					break;
				}
			default:
				out[i].bytes.data = (const char *) value;
				out[i].bytes.len = width;
				break;
		}
	}
}

static void
delta_integer_read(ValueDecoder *d, ParquetPlain *out, int n)
{
	int64		ints[STEP];

	for (int done = 0; done < n; done += STEP)
	{
		int			step = Min(STEP, n - done);

		delta_read(&d->delta, ints, step);
		for (int i = 0; i < step; i++)
		{
			if (d->type == PARQUET_INT32)
				out[done + i].i32 = (int32) ints[i];
			else
				out[done + i].i64 = ints[i];
		}
	}
}

/*
 * The next 'n' values into 'out'; with 'dictionary_index', each value's
 * index in the dictionary instead (out is not set), or -1 when the page is
 * not dictionary-encoded.
 */
void
values_read(ValueDecoder *d, ParquetPlain *out, int32 *dictionary_index, int n)
{
	if (n <= 0)
		return;
	if (dictionary_index != NULL &&
		d->encoding != PARQUET_ENC_PLAIN_DICTIONARY &&
		d->encoding != PARQUET_ENC_RLE_DICTIONARY)
	{
		for (int i = 0; i < n; i++)
			dictionary_index[i] = -1;
	}
	switch (d->encoding)
	{
		case PARQUET_ENC_PLAIN:
			plain_read(d, out, n);
			break;
		case PARQUET_ENC_PLAIN_DICTIONARY:
		case PARQUET_ENC_RLE_DICTIONARY:
			dictionary_read(d, out, dictionary_index, n);
			break;
		case PARQUET_ENC_RLE:
			rle_boolean_read(d, out, n);
			break;
		case PARQUET_ENC_DELTA_BINARY_PACKED:
			delta_integer_read(d, out, n);
			break;
		case PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY:
			delta_length_read(d, out, n);
			break;
		case PARQUET_ENC_DELTA_BYTE_ARRAY:
			delta_byte_array_read(d, out, n);
			break;
		case PARQUET_ENC_BYTE_STREAM_SPLIT:
			byte_stream_split_read(d, out, n);
			break;
	}
}
