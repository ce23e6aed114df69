/*-------------------------------------------------------------------------
 *
 * column.c
 *		  Read one column chunk of a Parquet row group, page by page:
 *		  headers, decompression, definition levels and values, a batch of
 *		  rows at a time (the interface of column.h).
 *
 * The chunk is read through the caller's read_at, one page at a time, from
 * its first page (the dictionary's, when it comes first) to its end, never
 * outside the bytes its metadata and the file's size allow.  Memory stays
 * flat: a data page's bytes, compressed and not, go into the page buffers
 * (overwritten by the next page, and kept from one chunk to the next when
 * the caller owns them), and three memory contexts under the reader's hold
 * the rest: the dictionary (for the chunk), the current page's header, and
 * the current batch (values put together; reset at each call).  A batch
 * never spans two pages, so that byte values may point into the page they
 * come from: a call may return fewer rows than asked.
 *
 * Only flat columns: one definition level per row, and a row is NULL when
 * its level is below the maximum.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "column.h"
#include "pages.h"

/* the first read of a page header, which grows when the header is longer */
#define HEADER_FIRST_READ	256
/* no page header may be longer (statistics included) */
#define HEADER_MAX_SIZE		(16 * 1024 * 1024)
/* about the most a batch allocates for values it puts together */
#define BATCH_BYTES			(8 * 1024 * 1024)

struct ParquetColumnReader
{
	MemoryContext context;		/* the reader's, parent of the three below */
	MemoryContext dictionary_context;
	MemoryContext page_context;
	MemoryContext batch_context;
	ParquetFileAccess file;
	ParquetType type;
	int32		type_length;
	int			max_definition_level;
	int			level_width;	/* bits of a definition level */
	int64		num_rows;
	int32		codec;
	int64		next;			/* file offset of the next page header */
	int64		end;			/* of the chunk */
	int64		bytes_read;
	int64		rows_in_pages;	/* of the pages read so far */
	ParquetPageBuffers *buffers;
	bool		has_dictionary;
	ParquetDictionary dictionary;
	/* the current page */
	int32		page_rows_left;
	RleDecoder	levels;
	ValueDecoder values;
	/* the current page header's bytes, read ahead of it */
	char	   *header;
	int64		header_offset;
	size_t		header_read;
	char		header_what[64];	/* names the header in errors */
};

ParquetColumnReader *
parquet_column_open(const ParquetFileAccess *file,
					const ParquetColumnChunk *chunk, ParquetType type,
					int32 type_length, int max_definition_level,
					int64 num_rows, ParquetPageBuffers *buffers)
{
	const ParquetColumnMetaData *m = &chunk->meta_data;
	ParquetColumnReader *reader;
	MemoryContext context;
	int64		start;

	if (!chunk->has_meta_data)
		parquet_corrupt(NULL, "Parquet column chunk has no ColumnMetaData");
	if (chunk->file_path != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Parquet column chunk in another file (\"%s\") is not supported",
						chunk->file_path)));
	if (m->type != type)
		parquet_corrupt(NULL, "Parquet column chunk has physical type %s (%d), but its schema says %s (%d)",
						parquet_type_name(m->type) ? parquet_type_name(m->type) : "unknown",
						(int) m->type,
						parquet_type_name(type) ? parquet_type_name(type) : "unknown",
						(int) type);
	if (type < PARQUET_BOOLEAN || type > PARQUET_FIXED_LEN_BYTE_ARRAY)
		parquet_corrupt(NULL, "Parquet column has an unknown physical type %d", (int) type);
	if (type == PARQUET_FIXED_LEN_BYTE_ARRAY &&
		(type_length <= 0 || type_length > PARQUET_MAX_PAGE_SIZE))
		parquet_corrupt(NULL, "Parquet FIXED_LEN_BYTE_ARRAY column has a length of %d bytes",
						type_length);
	if (max_definition_level < 0 || max_definition_level > PG_INT16_MAX)
		parquet_corrupt(NULL, "Parquet column has a maximum definition level of %d",
						max_definition_level);
	if (num_rows < 0)
		parquet_corrupt(NULL, "Parquet row group has " INT64_FORMAT " rows", num_rows);
	parquet_check_codec(m->codec);

	/* the dictionary page comes first, when there is one */
	start = m->data_page_offset;
	if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
		m->dictionary_page_offset < start)
		start = m->dictionary_page_offset;
	if (start < 0 || start > file->size)
		parquet_corrupt(NULL, "Parquet column chunk starts at byte " INT64_FORMAT ", outside the file of " INT64_FORMAT " bytes",
						start, file->size);
	if (m->total_compressed_size < 0 ||
		m->total_compressed_size > file->size - start)
		parquet_corrupt(NULL, "Parquet column chunk of " INT64_FORMAT " bytes at byte " INT64_FORMAT " runs past the end of the file of " INT64_FORMAT " bytes",
						m->total_compressed_size, start, file->size);

	context = AllocSetContextCreate(CurrentMemoryContext, "Parquet column",
									ALLOCSET_DEFAULT_SIZES);
	reader = MemoryContextAllocZero(context, sizeof(ParquetColumnReader));
	reader->context = context;
	reader->dictionary_context = AllocSetContextCreate(context, "Parquet dictionary",
													   ALLOCSET_DEFAULT_SIZES);
	reader->page_context = AllocSetContextCreate(context, "Parquet page",
												 ALLOCSET_DEFAULT_SIZES);
	reader->batch_context = AllocSetContextCreate(context, "Parquet batch",
												  ALLOCSET_DEFAULT_SIZES);
	reader->file = *file;
	reader->type = type;
	reader->type_length = type_length;
	reader->max_definition_level = max_definition_level;
	reader->level_width = max_definition_level == 0 ? 0 :
		pg_leftmost_one_pos32((uint32) max_definition_level) + 1;
	reader->num_rows = num_rows;
	reader->codec = m->codec;
	reader->next = start;
	reader->end = start + m->total_compressed_size;
	if (buffers == NULL)
	{
		buffers = palloc0(sizeof(ParquetPageBuffers));
		buffers->context = context;
	}
	reader->buffers = buffers;
	return reader;
}

/* Read 'len' bytes at 'offset', within the chunk, into 'buffer'. */
static void
read_chunk(ParquetColumnReader *reader, char *buffer, size_t len, int64 offset)
{
	Assert(offset >= 0 && offset + (int64) len <= reader->end);
	if (len == 0)
		return;
	reader->file.read_at(reader->file.arg, buffer, len, offset);
	reader->bytes_read += len;
}

/* ThriftMore: bring more of a long page header into its buffer */
static void
more_header(ThriftReader *r, size_t need)
{
	ParquetColumnReader *reader = r->more_arg;
	size_t		have = r->end - r->start;
	size_t		offset = r->pos - r->start;
	int64		available = reader->end - reader->header_offset;
	uint64		want;

	if ((uint64) have + need > (uint64) available)
		return;					/* the reader reports what does not fit */
	if ((uint64) have + need > HEADER_MAX_SIZE)
		thrift_error(r, "the header is longer than %d bytes", HEADER_MAX_SIZE);
	want = Min(Max((uint64) have * 2, (uint64) have + need),
			   Min((uint64) available, (uint64) HEADER_MAX_SIZE));
	reader->header = repalloc(reader->header, want);
	read_chunk(reader, reader->header + have, want - have,
			   reader->header_offset + have);
	reader->header_read = want;
	r->start = (const uint8 *) reader->header;
	r->pos = r->start + offset;
	r->end = r->start + want;
}

/*
 * Read and decode the page header at reader->next, which is left at the
 * page's data; the bytes read past the header are kept.
 */
static size_t
read_page_header(ParquetColumnReader *reader, ParquetPageHeader *h)
{
	ThriftReader r;
	size_t		first = Min((int64) HEADER_FIRST_READ, reader->end - reader->next);
	size_t		header_len;

	reader->header_offset = reader->next;
	reader->header = palloc(Max(first, 1));
	reader->header_read = first;
	read_chunk(reader, reader->header, first, reader->next);
	snprintf(reader->header_what, sizeof(reader->header_what),
			 "page header at byte " INT64_FORMAT " of the file", reader->next);
	thrift_init(&r, reader->header, first, NULL);
	r.what = reader->header_what;
	r.more = more_header;
	r.more_arg = reader;
	parquet_decode_page_header(&r, h);
	header_len = r.pos - r.start;
	reader->next += header_len;

	if (h->compressed_page_size < 0 || h->uncompressed_page_size < 0)
		parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " has a negative size",
						reader->header_offset);
	if (h->compressed_page_size > reader->end - reader->next)
		parquet_corrupt(NULL, "Parquet page of %d bytes at byte " INT64_FORMAT " runs past the end of its column chunk (byte " INT64_FORMAT ")",
						h->compressed_page_size, reader->next, reader->end);
	if (h->uncompressed_page_size > PARQUET_MAX_PAGE_SIZE)
		parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " is of %d bytes, more than the limit of " INT64_FORMAT,
						reader->next, h->uncompressed_page_size, PARQUET_MAX_PAGE_SIZE);
	return header_len;
}

/*
 * The page's bytes as stored, in the stored page buffer: those read with
 * its header, and the rest.
 */
static char *
read_page_bytes(ParquetColumnReader *reader, const ParquetPageHeader *h,
				size_t header_len)
{
	ParquetPageBuffers *b = reader->buffers;
	size_t		len = h->compressed_page_size;
	size_t		ahead = Min(reader->header_read - header_len, len);
	char	   *bytes = parquet_page_buffer(b, &b->stored, &b->stored_size, len);

	memcpy(bytes, reader->header + header_len, ahead);
	read_chunk(reader, bytes + ahead, len - ahead, reader->next + ahead);
	reader->next += len;
	pfree(reader->header);
	reader->header = NULL;
	return bytes;
}

/*
 * 'src_len' bytes decompressed to 'len': into the plain page buffer, or
 * when 'keep', into the current memory context.
 */
static char *
decompress(ParquetColumnReader *reader, const char *src, size_t src_len,
		   size_t len, bool keep)
{
	ParquetPageBuffers *b = reader->buffers;
	char	   *out;

	parquet_check_codec_sizes(reader->codec, src, src_len, len);
	out = keep ? palloc(Max(len, 1)) :
		parquet_page_buffer(b, &b->plain, &b->plain_size, len);
	parquet_decompress(reader->codec, src, src_len, out, len);
	return out;
}

static void
read_dictionary_page(ParquetColumnReader *reader, const ParquetPageHeader *h,
					 const char *raw)
{
	MemoryContext old;
	ValueDecoder decoder;
	char	   *data;
	int32		size = plain_value_size(reader->type, reader->type_length);
	size_t		len = h->uncompressed_page_size;

	if (reader->has_dictionary)
		parquet_corrupt(NULL, "Parquet column chunk has a second dictionary page, at byte " INT64_FORMAT,
						reader->header_offset);
	if (reader->rows_in_pages > 0)
		parquet_corrupt(NULL, "Parquet column chunk has a dictionary page after its data pages, at byte " INT64_FORMAT,
						reader->header_offset);
	if (h->encoding != PARQUET_ENC_PLAIN &&
		h->encoding != PARQUET_ENC_PLAIN_DICTIONARY)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Parquet dictionary page in encoding %d is not supported",
						h->encoding)));
	/* each value takes a bit (BOOLEAN) or 'size' bytes at least */
	if (h->num_values < 0 ||
		(size == 0 ? (uint64) h->num_values > (uint64) len * 8 :
		 (uint64) h->num_values > len / size))
		parquet_corrupt(NULL, "Parquet dictionary page of %zu bytes cannot hold %d values",
						len, h->num_values);
	if ((Size) h->num_values > MaxAllocSize / sizeof(ParquetPlain))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Parquet dictionary of %d values is too large", h->num_values)));

	old = MemoryContextSwitchTo(reader->dictionary_context);
	data = decompress(reader, raw, h->compressed_page_size, len, true);
	reader->dictionary.count = h->num_values;
	reader->dictionary.values = palloc(sizeof(ParquetPlain) * Max(h->num_values, 1));
	values_init(&decoder, PARQUET_ENC_PLAIN, reader->type, reader->type_length,
				(const uint8 *) data, len, NULL);
	values_read(&decoder, reader->dictionary.values, NULL, h->num_values);
	reader->has_dictionary = true;
	MemoryContextSwitchTo(old);
}

/* v1: the levels before the values, all compressed with them */
static void
start_data_page(ParquetColumnReader *reader, const ParquetPageHeader *h,
				const char *raw)
{
	const uint8 *data;
	size_t		len = h->uncompressed_page_size;

	data = (const uint8 *) decompress(reader, raw, h->compressed_page_size, len,
									  false);
	if (reader->max_definition_level > 0)
	{
		uint32		levels_len;

		if (h->definition_level_encoding != PARQUET_ENC_RLE)
		{
			const char *name = parquet_encoding_name(h->definition_level_encoding);

			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("Parquet definition levels in encoding %s (%d) are not supported",
							name ? name : "unknown", h->definition_level_encoding)));
		}
		if (len < 4)
			parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " ends before its definition levels' length",
							reader->header_offset);
		levels_len = (uint32) data[0] | ((uint32) data[1] << 8) |
			((uint32) data[2] << 16) | ((uint32) data[3] << 24);
		if (levels_len > len - 4)
			parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " has %u bytes of definition levels, more than its %zu bytes",
							reader->header_offset, levels_len, len - 4);
		rle_init(&reader->levels, data + 4, levels_len, reader->level_width);
		data += 4 + levels_len;
		len -= 4 + levels_len;
	}
	values_init(&reader->values, h->encoding, reader->type, reader->type_length,
				data, len, reader->has_dictionary ? &reader->dictionary : NULL);
}

/* v2: repetition and definition levels uncompressed, then the values */
static void
start_data_page_v2(ParquetColumnReader *reader, const ParquetPageHeader *h,
				   const char *raw)
{
	int64		levels_len = (int64) h->repetition_levels_byte_length +
		h->definition_levels_byte_length;
	const char *values;
	size_t		values_len;

	if (h->repetition_levels_byte_length < 0 ||
		h->definition_levels_byte_length < 0 ||
		levels_len > h->compressed_page_size ||
		levels_len > h->uncompressed_page_size)
		parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " has levels of %d and %d bytes in a page of %d",
						reader->header_offset, h->repetition_levels_byte_length,
						h->definition_levels_byte_length, h->compressed_page_size);
	/* a flat column has no repetition levels: any there are passed over */
	if (reader->max_definition_level > 0)
		rle_init(&reader->levels,
				 (const uint8 *) raw + h->repetition_levels_byte_length,
				 h->definition_levels_byte_length, reader->level_width);
	values_len = h->uncompressed_page_size - levels_len;
	if (h->is_compressed)
		values = decompress(reader, raw + levels_len,
							h->compressed_page_size - levels_len, values_len,
							false);
	else if (h->compressed_page_size != h->uncompressed_page_size)
		parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " is not compressed, but its sizes differ (%d and %d)",
						reader->header_offset, h->compressed_page_size,
						h->uncompressed_page_size);
	else
		values = raw + levels_len;
	values_init(&reader->values, h->encoding, reader->type, reader->type_length,
				(const uint8 *) values, values_len,
				reader->has_dictionary ? &reader->dictionary : NULL);
}

/*
 * Read the next page: a data page becomes the current one; a dictionary
 * page is kept; an index page is passed over.
 */
static void
read_page(ParquetColumnReader *reader)
{
	ParquetPageHeader h;
	size_t		header_len;
	char	   *raw;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	MemoryContextReset(reader->page_context);
	old = MemoryContextSwitchTo(reader->page_context);
	header_len = read_page_header(reader, &h);
	raw = read_page_bytes(reader, &h, header_len);
	switch (h.type)
	{
		case PARQUET_PAGE_DICTIONARY:
			read_dictionary_page(reader, &h, raw);
			break;
		case PARQUET_PAGE_DATA:
		case PARQUET_PAGE_DATA_V2:
			if (h.num_values < 0 ||
				h.num_values > reader->num_rows - reader->rows_in_pages)
				parquet_corrupt(NULL, "Parquet column chunk's pages hold more values than the row group's " INT64_FORMAT " rows: the page at byte " INT64_FORMAT " has %d values after " INT64_FORMAT,
								reader->num_rows, reader->header_offset, h.num_values,
								reader->rows_in_pages);
			if (h.type == PARQUET_PAGE_DATA)
				start_data_page(reader, &h, raw);
			else
				start_data_page_v2(reader, &h, raw);
			reader->rows_in_pages += h.num_values;
			reader->page_rows_left = h.num_values;
			break;
		case PARQUET_PAGE_INDEX:
			break;
		default:
			parquet_corrupt(NULL, "Parquet page at byte " INT64_FORMAT " has an unknown type %d",
							reader->header_offset, h.type);
	}
	MemoryContextSwitchTo(old);
}

/* a definition level checked against the column's maximum */
static inline void
check_level(const ParquetColumnReader *reader, uint32 level)
{
	if (level > (uint32) reader->max_definition_level)
		parquet_corrupt(NULL, "Parquet definition level %u is above the column's maximum of %d",
						level, reader->max_definition_level);
}

/*
 * Whether each of the next 'rows' rows is NULL, by its definition level; the
 * rows not NULL are counted.  A run of one level (all rows present, the
 * commonest) is not expanded.
 */
static int
read_definition_levels(ParquetColumnReader *reader, int rows, bool *isnull)
{
	uint32		max_level = (uint32) reader->max_definition_level;
	int			present = 0;
	int			done = 0;
	uint32	   *levels = NULL;

	while (done < rows)
	{
		uint32		level;
		int			same = rle_read_repeat(&reader->levels, rows - done, &level,
										   "definition levels");

		if (same > 0)
		{
			check_level(reader, level);
			memset(isnull + done, level < max_level, same);
			present += (level < max_level) ? 0 : same;
			done += same;
			continue;
		}
		/* the bit-packed run's levels, one by one */
		same = (int) Min((uint64) (rows - done),
						 reader->levels.packed_count - reader->levels.packed_next);
		if (levels == NULL)
			levels = palloc(sizeof(uint32) * rows);
		rle_read(&reader->levels, levels, same, "definition levels");
		for (int i = 0; i < same; i++)
		{
			check_level(reader, levels[i]);
			isnull[done + i] = levels[i] < max_level;
			present += !isnull[done + i];
		}
		done += same;
	}
	return present;
}

int
parquet_column_read(ParquetColumnReader *reader, int max,
					ParquetPlain *values, bool *isnull,
					int32 *dictionary_index)
{
	int			rows;
	int			present = 0;
	MemoryContext old;

	if (max <= 0)
		return 0;
	MemoryContextReset(reader->batch_context);
	while (reader->page_rows_left == 0)
	{
		if (reader->next >= reader->end)
		{
			if (reader->rows_in_pages < reader->num_rows)
				parquet_corrupt(NULL, "Parquet column chunk's pages hold " INT64_FORMAT " values, fewer than the row group's " INT64_FORMAT " rows",
								reader->rows_in_pages, reader->num_rows);
			return 0;
		}
		read_page(reader);
	}

	rows = Min(max, reader->page_rows_left);
	rows = Min(rows, values_batch_limit(&reader->values, BATCH_BYTES));
	old = MemoryContextSwitchTo(reader->batch_context);
	if (reader->max_definition_level == 0)
	{
		memset(isnull, 0, sizeof(bool) * rows);
		present = rows;
	}
	else
		present = read_definition_levels(reader, rows, isnull);
	/* the values of the rows not NULL, then each moved to its row */
	values_read(&reader->values, values, dictionary_index, present);
	if (present < rows)
	{
		for (int i = rows - 1, j = present - 1; i >= 0; i--)
		{
			if (isnull[i])
			{
				if (dictionary_index != NULL)
					dictionary_index[i] = -1;
				continue;
			}
			values[i] = values[j];
			if (dictionary_index != NULL)
				dictionary_index[i] = dictionary_index[j];
			j--;
		}
	}
	MemoryContextSwitchTo(old);
	reader->page_rows_left -= rows;
	return rows;
}

int32
parquet_column_dictionary_size(const ParquetColumnReader *reader)
{
	return reader->has_dictionary ? reader->dictionary.count : 0;
}

const ParquetPlain *
parquet_column_dictionary_value(const ParquetColumnReader *reader, int32 index)
{
	Assert(reader->has_dictionary && index >= 0 &&
		   index < reader->dictionary.count);
	return &reader->dictionary.values[index];
}

int64
parquet_column_bytes_read(const ParquetColumnReader *reader)
{
	return reader->bytes_read;
}

void
parquet_column_close(ParquetColumnReader *reader)
{
	MemoryContextDelete(reader->context);
}
