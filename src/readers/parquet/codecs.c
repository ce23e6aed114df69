/*-------------------------------------------------------------------------
 *
 * codecs.c
 *		  Decompress one Parquet page: UNCOMPRESSED, SNAPPY, GZIP, BROTLI,
 *		  ZSTD, LZ4_RAW and the old LZ4 (Hadoop's framing).
 *
 * A page says its compressed and uncompressed sizes; the uncompressed
 * buffer is allocated before decompressing, so parquet_check_codec_sizes
 * first refuses a size no compressed bytes of that length could give (the
 * size the data itself says, or the codec's largest ratio), so that a lying
 * header costs little memory; BROTLI, and zstd frames that do not say their
 * size, are believed up to the page limit.  Decompressing must then give exactly that many bytes.  The
 * libraries run in their own memory and are ended before any ERROR.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <brotli/decode.h>
#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "pages.h"
#include "port/pg_bswap.h"

/* deflate's largest ratio is 1032:1; a gzip header and trailer add bytes */
#define DEFLATE_MAX_RATIO	1032
/* an LZ4 sequence of n bytes gives 255 n bytes at most */
#define LZ4_MAX_RATIO		255

static const char *
codec_name(int32 codec)
{
	const char *name = parquet_codec_name(codec);

	return name ? name : "unknown";
}

static void
corrupt(int32 codec, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s-compressed Parquet page is corrupt: %s",
					codec_name(codec), why)));
}

/* Refuse a codec this reader does not decompress, naming it. */
void
parquet_check_codec(int32 codec)
{
	switch (codec)
	{
		case PARQUET_CODEC_UNCOMPRESSED:
		case PARQUET_CODEC_SNAPPY:
		case PARQUET_CODEC_GZIP:
		case PARQUET_CODEC_BROTLI:
		case PARQUET_CODEC_LZ4:
		case PARQUET_CODEC_ZSTD:
		case PARQUET_CODEC_LZ4_RAW:
			return;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("Parquet compression codec %s (%d) is not supported",
							codec_name(codec), codec),
					 errhint("Supported codecs are UNCOMPRESSED, SNAPPY, GZIP, BROTLI, LZ4, ZSTD and LZ4_RAW.")));
	}
}

/*
 * The sum of the content sizes of the zstd frames of 'src', as their
 * headers say (ZSTD_findDecompressedSize, which is not in libzstd's stable
 * API): ZSTD_CONTENTSIZE_UNKNOWN when a frame does not say, or
 * ZSTD_CONTENTSIZE_ERROR.
 */
static unsigned long long
zstd_content_size(const char *src, size_t src_len)
{
	unsigned long long total = 0;

	while (src_len > 0)
	{
		unsigned long long size = ZSTD_getFrameContentSize(src, src_len);
		size_t		frame_len = ZSTD_findFrameCompressedSize(src, src_len);

		if (size == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(frame_len))
			return ZSTD_CONTENTSIZE_ERROR;
		if (size == ZSTD_CONTENTSIZE_UNKNOWN)
			return size;
		total += size;
		if (total > (unsigned long long) PARQUET_MAX_PAGE_SIZE)
			return total;
		src += frame_len;
		src_len -= frame_len;
	}
	return total;
}

/*
 * Refuse an uncompressed size that 'src_len' compressed bytes cannot give,
 * before it is allocated.
 */
void
parquet_check_codec_sizes(int32 codec, const char *src, size_t src_len,
						  size_t dst_len)
{
	uint64		bound = PG_UINT64_MAX;
	unsigned long long holds = ZSTD_CONTENTSIZE_UNKNOWN;	/* as the data says */

	switch (codec)
	{
		case PARQUET_CODEC_UNCOMPRESSED:
			holds = src_len;
			break;
		case PARQUET_CODEC_SNAPPY:
			{
				size_t		length;

				if (snappy_uncompressed_length(src, src_len, &length) != SNAPPY_OK)
					corrupt(codec, "its length preamble is invalid");
				holds = length;
				break;
			}
		case PARQUET_CODEC_GZIP:
			bound = (uint64) src_len * DEFLATE_MAX_RATIO;
			break;
		case PARQUET_CODEC_LZ4:
		case PARQUET_CODEC_LZ4_RAW:
			bound = (uint64) src_len * LZ4_MAX_RATIO + 16;
			break;
		case PARQUET_CODEC_ZSTD:
			holds = zstd_content_size(src, src_len);
			if (holds == ZSTD_CONTENTSIZE_ERROR)
				corrupt(codec, "its frames are invalid");
			break;
		default:
			break;
	}
	if (holds != ZSTD_CONTENTSIZE_UNKNOWN && holds != dst_len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s Parquet page holds %llu bytes, but its header says %zu",
						codec_name(codec), holds, dst_len)));
	if (dst_len > bound)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s-compressed Parquet page of %zu bytes cannot hold the %zu bytes its header says",
						codec_name(codec), src_len, dst_len)));
}

/* gzip or zlib streams, one or several members; NULL or what is wrong */
static const char *
inflate_all(const char *src, size_t src_len, char *dst, size_t dst_len)
{
	z_stream	z;
	const char *why = NULL;

	memset(&z, 0, sizeof(z));
	/* 32: a gzip or a zlib header, whichever it is */
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return "zlib could not start";
	z.next_in = (Bytef *) src;
	z.avail_in = src_len;
	z.next_out = (Bytef *) dst;
	z.avail_out = dst_len;
	for (;;)
	{
		int			rc = inflate(&z, Z_FINISH);

		if (rc == Z_STREAM_END)
		{
			if (z.avail_in == 0 || z.avail_out == 0)
				break;
			/* another member follows */
			if (inflateReset(&z) != Z_OK)
			{
				why = "zlib could not start a member";
				break;
			}
			continue;
		}
		if (rc == Z_BUF_ERROR && z.avail_out == 0)
			why = "it holds more bytes than its header says";
		else if (rc == Z_BUF_ERROR)
			why = "it is cut short";
		else
			why = z.msg ? z.msg : "inflate failed";
		break;
	}
	if (why == NULL && z.avail_out != 0)
		why = "it holds fewer bytes than its header says";
	inflateEnd(&z);
	return why;
}

/* Hadoop's LZ4 framing: blocks, each after its two big-endian sizes */
static bool
lz4_hadoop(const char *src, size_t src_len, char *dst, size_t dst_len)
{
	size_t		in = 0;
	size_t		out = 0;

	while (src_len - in >= 8)
	{
		const uint8 *h = (const uint8 *) src + in;
		uint32		plain;
		uint32		packed;

		memcpy(&plain, h, 4);
		plain = pg_ntoh32(plain);
		memcpy(&packed, h + 4, 4);
		packed = pg_ntoh32(packed);
		in += 8;
		if (packed > src_len - in || plain > dst_len - out ||
			packed > PG_INT32_MAX || plain > PG_INT32_MAX)
			return false;
		if (LZ4_decompress_safe(src + in, dst + out, (int) packed, (int) plain) != (int) plain)
			return false;
		in += packed;
		out += plain;
	}
	return in == src_len && out == dst_len;
}

/*
 * Decompress 'src' into exactly 'dst_len' bytes of 'dst', or raise an
 * ERROR.  The sizes were checked by parquet_check_codec_sizes.
 */
void
parquet_decompress(int32 codec, const char *src, size_t src_len,
				   char *dst, size_t dst_len)
{
	switch (codec)
	{
		case PARQUET_CODEC_UNCOMPRESSED:
			memcpy(dst, src, dst_len);
			return;
		case PARQUET_CODEC_SNAPPY:
			{
				size_t		len = dst_len;

				if (snappy_uncompress(src, src_len, dst, &len) != SNAPPY_OK ||
					len != dst_len)
					corrupt(codec, "snappy could not decompress it");
				return;
			}
		case PARQUET_CODEC_GZIP:
			{
				const char *why = inflate_all(src, src_len, dst, dst_len);

				if (why != NULL)
					corrupt(codec, why);
				return;
			}
		case PARQUET_CODEC_BROTLI:
			{
				size_t		len = dst_len;

				if (BrotliDecoderDecompress(src_len, (const uint8 *) src, &len,
											(uint8 *) dst) != BROTLI_DECODER_RESULT_SUCCESS)
					corrupt(codec, "brotli could not decompress it into the size its header says");
				if (len != dst_len)
					corrupt(codec, "it holds fewer bytes than its header says");
				return;
			}
		case PARQUET_CODEC_ZSTD:
			{
				size_t		len = ZSTD_decompress(dst, dst_len, src, src_len);

				if (ZSTD_isError(len))
					corrupt(codec, ZSTD_getErrorName(len));
				if (len != dst_len)
					corrupt(codec, "it holds fewer bytes than its header says");
				return;
			}
		case PARQUET_CODEC_LZ4:
			/* older writers wrote a bare block under this codec */
			if (lz4_hadoop(src, src_len, dst, dst_len))
				return;
			/* FALLTHROUGH */
		case PARQUET_CODEC_LZ4_RAW:
			if (src_len > PG_INT32_MAX || dst_len > PG_INT32_MAX ||
				LZ4_decompress_safe(src, dst, (int) src_len, (int) dst_len) != (int) dst_len)
				corrupt(codec, "lz4 could not decompress it into the size its header says");
			return;
		default:
			parquet_check_codec(codec);
	}
}
