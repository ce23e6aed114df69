/*-------------------------------------------------------------------------
 *
 * compress.c
 *		  Compress a buffer of what a writer writes, whole: a CSV file's
 *		  text as one gzip member or zstd frame, a Parquet page by its
 *		  codec.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "writers/compress.h"

#define ZSTD_LEVEL			3

/*
 * ritual_compress
 *		Append 'data' compressed as 'kind' says to 'out': one gzip member,
 *		one zstd frame, or snappy's raw format (Parquet's pages).
 */
void
ritual_compress(RitualCompression kind, const char *data, size_t len,
				StringInfo out)
{
	switch (kind)
	{
		case RITUAL_COMPRESSION_AUTO:
		case RITUAL_COMPRESSION_NONE:
			appendBinaryStringInfo(out, data, len);
			break;
		case RITUAL_COMPRESSION_SNAPPY:
			{
				size_t		bound = snappy_max_compressed_length(len);

				enlargeStringInfo(out, bound);
				if (snappy_compress(data, len, out->data + out->len, &bound) != SNAPPY_OK)
					elog(ERROR, "snappy could not compress data");
				out->len += bound;
				out->data[out->len] = '\0';
				break;
			}
		case RITUAL_COMPRESSION_ZSTD:
			{
				size_t		bound = ZSTD_compressBound(len);
				size_t		written;

				enlargeStringInfo(out, bound);
				written = ZSTD_compress(out->data + out->len, bound, data, len,
										ZSTD_LEVEL);
				if (ZSTD_isError(written))
					elog(ERROR, "zstd could not compress data: %s",
						 ZSTD_getErrorName(written));
				out->len += written;
				out->data[out->len] = '\0';
				break;
			}
		case RITUAL_COMPRESSION_GZIP:
			{
				z_stream	zs;
				uLong		bound;

				memset(&zs, 0, sizeof(zs));
				if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
								 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
					elog(ERROR, "could not start gzip compression");
				bound = deflateBound(&zs, len) + 32;
				enlargeStringInfo(out, bound);
				zs.next_in = (Bytef *) data;
				zs.avail_in = len;
				zs.next_out = (Bytef *) out->data + out->len;
				zs.avail_out = bound;
				if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
				{
					deflateEnd(&zs);
					elog(ERROR, "gzip could not compress data");
				}
				out->len += bound - zs.avail_out;
				out->data[out->len] = '\0';
				deflateEnd(&zs);
				break;
			}
		default:
			elog(ERROR, "unknown compression %d", (int) kind);
	}
}
