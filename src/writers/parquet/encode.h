/*-------------------------------------------------------------------------
 *
 * encode.h
 *		  The byte-level encodings of the Parquet pages ritual writes:
 *		  the RLE/bit-packed hybrid, bit-packed booleans.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_ENCODE_H
#define RITUAL_PARQUET_ENCODE_H

#include "lib/stringinfo.h"

/* parquet.thrift's CompressionCodec values ritual writes */
#define PARQUET_CODEC_UNCOMPRESSED	0
#define PARQUET_CODEC_SNAPPY		1
#define PARQUET_CODEC_GZIP			2
#define PARQUET_CODEC_ZSTD			6

extern int	parquet_bit_width(uint32 max_value);
extern void parquet_encode_hybrid(StringInfo out, const uint32 *values, int n,
								  int bit_width);
extern void parquet_encode_levels(StringInfo out, const uint8 *levels, int n);
extern void parquet_encode_booleans(StringInfo out, const uint8 *values, int n);

#endif							/* RITUAL_PARQUET_ENCODE_H */
