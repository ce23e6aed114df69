/*-------------------------------------------------------------------------
 *
 * parquet_pages_fuzz.c
 *		  libFuzzer harness of Parquet page decoding: the column-chunk
 *		  reader (src/readers/parquet/column.c) and below it page headers,
 *		  codecs, levels and encodings.
 *
 * Byte 0 chooses the mode.  Even: the next ten bytes are the chunk's
 * settings (tests/fuzz/parquet_columns.c's chunk_settings: physical type,
 * codec, maximum definition level, FIXED_LEN_BYTE_ARRAY length, the row
 * group's rows, rows per read) and the rest is the column chunk, its pages
 * one after the other.  Odd: byte 1 is the rows per read and the rest is a
 * whole Parquet file, whose footer is read and every flat column of every
 * row group read to its end.
 *
 * Each input is read twice, with the rows per read it says and with one
 * at a time: both raise an ERROR (not always the same: levels are decoded
 * a batch ahead of values), or both give the same values (a hash of them,
 * every byte of each byte value touched).  A chunk that
 * reads gives exactly its row group's rows, only from within the chunk's
 * bytes; a lying count or size is an ERROR, never an allocation beyond
 * what the input justifies (-rss_limit_mb).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "parquet_columns.h"
#include "shim.h"

typedef struct Reading
{
	const uint8 *data;
	size_t		size;
	const char *path;			/* whole-file mode: the file written */
	int			batch;
	uint64		hash;
} Reading;

static void
mix(uint64 *hash, const void *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		*hash = (*hash ^ ((const uint8 *) bytes)[i]) * UINT64CONST(1099511628211);
}

static void
hash_batch(void *arg, int row_group, int column, const char *name,
		   ParquetType type, const ParquetPlain *values, const bool *isnull,
		   int rows)
{
	Reading    *r = arg;

	for (int i = 0; i < rows; i++)
	{
		mix(&r->hash, &isnull[i], 1);
		if (isnull[i])
			continue;
		switch (type)
		{
			case PARQUET_BOOLEAN:
				if (values[i].i32 != 0 && values[i].i32 != 1)
					fuzz_fail("a BOOLEAN value is %d", values[i].i32);
				/* FALLTHROUGH */
			case PARQUET_INT32:
			case PARQUET_FLOAT:
				mix(&r->hash, &values[i].i32, 4);
				break;
			case PARQUET_INT64:
			case PARQUET_DOUBLE:
				mix(&r->hash, &values[i].i64, 8);
				break;
			default:
				if (values[i].bytes.len < 0 ||
					(type == PARQUET_INT96 && values[i].bytes.len != 12))
					fuzz_fail("a byte value of %d bytes", values[i].bytes.len);
				mix(&r->hash, &values[i].bytes.len, 4);
				mix(&r->hash, values[i].bytes.data, values[i].bytes.len);
				break;
		}
	}
}

static void
read_input(void *arg)
{
	Reading    *r = arg;

	r->hash = UINT64CONST(14695981039346656037);
	if (r->path != NULL)
		read_file_columns(r->path, (const char *) r->data + 2, r->size - 2,
						  r->batch, hash_batch, r);
	else
	{
		ChunkSettings s;

		chunk_settings(r->data, &s);
		s.batch = r->batch;
		read_chunk_pages(&s, (const char *) r->data + CHUNK_SETTINGS,
						 r->size - CHUNK_SETTINGS, hash_batch, r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	static char path[MAXPGPATH];
	static char first_error[1024];
	Reading		r = {data, size, NULL, 0, 0};
	bool		ok;
	uint64		hash;
	int			batch;

	if (size < CHUNK_SETTINGS)
		return -1;
	parquet_max_rows = 100000;
	if (data[0] & 1)
	{
		if (path[0] == '\0')
			snprintf(path, sizeof(path), "%s/input.parquet", fuzz_scratch_dir());
		fuzz_write_file(path, data + 2, size - 2);
		r.path = path;
		r.batch = 1 + data[1];
	}
	else
	{
		ChunkSettings s;

		chunk_settings(data, &s);
		r.batch = s.batch;
	}

	ok = fuzz_run(read_input, &r);
	hash = r.hash;
	if (!ok)
		strlcpy(first_error, fuzz_error_message(), sizeof(first_error));
	batch = r.batch;
	r.batch = 1;
	if (fuzz_run(read_input, &r))
	{
		if (!ok)
			fuzz_fail("read %d rows at a time, the input raises: %s; one at a time it reads",
					  batch, first_error);
		if (r.hash != hash)
			fuzz_fail("read %d rows at a time and one at a time, the input gives other values",
					  batch);
	}
	else if (ok)
		fuzz_fail("read %d rows at a time, the input reads; one at a time it raises: %s",
				  batch, fuzz_error_message());
	return 0;
}
