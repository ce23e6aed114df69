/*-------------------------------------------------------------------------
 *
 * parquet_encode_fuzz.c
 *		  libFuzzer harness of what the Parquet writer encodes against what
 *		  the reader decodes: the RLE/bit-packed hybrid, definition levels
 *		  and booleans (src/writers/parquet/encode.c against
 *		  src/readers/parquet/rle.c), and page compression
 *		  (src/writers/compress.c against src/readers/parquet/codecs.c).
 *
 * Byte 0 chooses the values' bit width (1 to 32), byte 1 the codec and the
 * size of the batches the decoder is asked for.  The rest is read two
 * bytes at a time: a value (spread over the width) and how many times it
 * repeats (1 to 16), so that inputs make long runs, short ones and
 * alternations alike.
 *
 * Encoded by the writer and decoded by the reader, in batches of any
 * size, the values must come back as they were; so must the values' low
 * bits as definition levels (after their 4-byte length, which must be the
 * bytes that follow) and as PLAIN booleans (one bit each, in ceil(n / 8)
 * bytes).  The input, compressed and decompressed with the chosen codec,
 * must come back as itself.  An ERROR anywhere is a finding: the writer's
 * output is never corrupt to its own reader.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "readers/parquet/pages.h"
#include "writers/compress.h"
#include "writers/parquet/encode.h"

#include "shim.h"

#define MAX_VALUES		100000

typedef struct Case
{
	const uint8 *data;
	size_t		size;
} Case;

static const RitualCompression kinds[] = {
	RITUAL_COMPRESSION_NONE, RITUAL_COMPRESSION_SNAPPY,
	RITUAL_COMPRESSION_GZIP, RITUAL_COMPRESSION_ZSTD
};
static const int32 codecs[] = {
	PARQUET_CODEC_UNCOMPRESSED, PARQUET_CODEC_SNAPPY,
	PARQUET_CODEC_GZIP, PARQUET_CODEC_ZSTD
};

/* Decode n values of the hybrid in batches of 'batch', and compare. */
static void
check_hybrid(const char *what, const char *encoded, size_t len, int width,
			 const uint32 *expected, int n, int batch)
{
	RleDecoder	d;
	uint32	   *got = palloc(sizeof(uint32) * Max(batch, 1));

	rle_init(&d, (const uint8 *) encoded, len, width);
	for (int i = 0; i < n; i += batch)
	{
		int			count = Min(batch, n - i);

		rle_read(&d, got, count, what);
		for (int k = 0; k < count; k++)
		{
			if (got[k] != expected[i + k])
				fuzz_fail("%s: value %d of %d (width %d) decodes as %u, not %u",
						  what, i + k, n, width, got[k], expected[i + k]);
		}
	}
	pfree(got);
}

static void
round_trip(void *arg)
{
	const Case *c = arg;
	int			width = 1 + c->data[0] % 32;
	uint32		mask = width == 32 ? PG_UINT32_MAX : (((uint32) 1) << width) - 1;
	int			batch = 1 + (c->data[1] >> 2) * 37;
	int			which = c->data[1] % lengthof(kinds);
	int			most = 0;
	uint32	   *values;
	uint32	   *levels32;
	uint8	   *levels;
	int			n = 0;
	StringInfoData encoded;
	StringInfoData packed;
	char	   *unpacked;
	uint32		length;

	for (size_t i = 2; i + 1 < c->size; i += 2)
		most += 1 + (c->data[i + 1] & 15);
	most = Min(most, MAX_VALUES);
	values = palloc(sizeof(uint32) * Max(most, 1));
	levels32 = palloc(sizeof(uint32) * Max(most, 1));
	levels = palloc(Max(most, 1));
	for (size_t i = 2; i + 1 < c->size && n < most; i += 2)
	{
		/* spread a byte over the whole width, high bits included */
		uint32		v = ((uint32) c->data[i] * (uint32) 0x01010101 ^
						 (uint32) c->data[i] << (width > 8 ? width - 8 : 0)) & mask;

		for (int r = 0; r <= (c->data[i + 1] & 15) && n < most; r++)
			values[n++] = v;
	}
	for (int i = 0; i < n; i++)
	{
		levels[i] = values[i] & 1;
		levels32[i] = levels[i];
	}

	initStringInfo(&encoded);
	parquet_encode_hybrid(&encoded, values, n, width);
	check_hybrid("values", encoded.data, encoded.len, width, values, n, batch);

	resetStringInfo(&encoded);
	parquet_encode_levels(&encoded, levels, n);
	if (encoded.len < 4)
		fuzz_fail("levels: %d bytes, no length", encoded.len);
	length = (uint8) encoded.data[0] | (uint32) (uint8) encoded.data[1] << 8 |
		(uint32) (uint8) encoded.data[2] << 16 | (uint32) (uint8) encoded.data[3] << 24;
	if (length != (uint32) encoded.len - 4)
		fuzz_fail("levels: the length says %u bytes, %d follow", length,
				  encoded.len - 4);
	check_hybrid("levels", encoded.data + 4, length, 1, levels32, n, batch);

	resetStringInfo(&encoded);
	parquet_encode_booleans(&encoded, levels, n);
	if (encoded.len != (n + 7) / 8)
		fuzz_fail("booleans: %d values in %d bytes", n, encoded.len);
	for (int i = 0; i < n; i++)
	{
		if ((((uint8) encoded.data[i / 8] >> (i % 8)) & 1) != levels[i])
			fuzz_fail("booleans: value %d of %d is not %d", i, n, levels[i]);
	}

	initStringInfo(&packed);
	ritual_compress(kinds[which], (const char *) c->data, c->size, &packed);
	unpacked = palloc(Max(c->size, 1));
	parquet_decompress(codecs[which], packed.data, packed.len, unpacked, c->size);
	if (memcmp(unpacked, c->data, c->size) != 0)
		fuzz_fail("codec %d: %zu bytes do not decompress to themselves", codecs[which],
				  c->size);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	Case		c = {data, size};

	if (size < 2)
		return 0;
	if (!fuzz_run(round_trip, &c))
		fuzz_fail("what the writer encoded, the reader refused: %s",
				  fuzz_error_message());
	return 0;
}
