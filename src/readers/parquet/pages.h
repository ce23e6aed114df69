/*-------------------------------------------------------------------------
 *
 * pages.h
 *		  The pieces of Parquet page decoding behind column.h: page headers
 *		  (page.c), codecs (codecs.c), the RLE/bit-packed hybrid and bit
 *		  unpacking (rle.c), DELTA_BINARY_PACKED (delta.c) and the value
 *		  encodings (encodings.c).
 *
 * Every decoder works over a buffer whose end it never reads past, and
 * raises ERRCODE_DATA_CORRUPTED saying what is wrong when the bytes lie.
 * None allocates in proportion to a count read from the file, only to the
 * bytes it is given or the values it is asked for.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_PARQUET_PAGES_H
#define RITUAL_PARQUET_PAGES_H

#include "column.h"
#include "thrift.h"
#include "utils/memutils.h"

/* parquet.thrift's enum PageType */
#define PARQUET_PAGE_DATA		0
#define PARQUET_PAGE_INDEX		1
#define PARQUET_PAGE_DICTIONARY	2
#define PARQUET_PAGE_DATA_V2	3

/* parquet.thrift's enum Encoding */
#define PARQUET_ENC_PLAIN					0
#define PARQUET_ENC_PLAIN_DICTIONARY		2
#define PARQUET_ENC_RLE						3
#define PARQUET_ENC_BIT_PACKED				4
#define PARQUET_ENC_DELTA_BINARY_PACKED		5
#define PARQUET_ENC_DELTA_LENGTH_BYTE_ARRAY	6
#define PARQUET_ENC_DELTA_BYTE_ARRAY		7
#define PARQUET_ENC_RLE_DICTIONARY			8
#define PARQUET_ENC_BYTE_STREAM_SPLIT		9

/* parquet.thrift's enum CompressionCodec */
#define PARQUET_CODEC_UNCOMPRESSED	0
#define PARQUET_CODEC_SNAPPY		1
#define PARQUET_CODEC_GZIP			2
#define PARQUET_CODEC_LZO			3
#define PARQUET_CODEC_BROTLI		4
#define PARQUET_CODEC_LZ4			5
#define PARQUET_CODEC_ZSTD			6
#define PARQUET_CODEC_LZ4_RAW		7

/* no page, compressed or not, may be larger (palloc's limit) */
#define PARQUET_MAX_PAGE_SIZE	((int64) MaxAllocSize)

/* the parts of a PageHeader a flat column needs */
typedef struct ParquetPageHeader
{
	int32		type;
	int32		header_of;		/* the page type whose header is there */
	int32		uncompressed_page_size;
	int32		compressed_page_size;
	int32		num_values;		/* data pages, dictionary page */
	int32		encoding;		/* of the values */
	int32		definition_level_encoding;	/* v1 */
	int32		repetition_level_encoding;	/* v1 */
	int32		num_nulls;		/* v2 */
	int32		definition_levels_byte_length;	/* v2 */
	int32		repetition_levels_byte_length;	/* v2 */
	bool		is_compressed;	/* v2 */
} ParquetPageHeader;

/* page.c */
extern void parquet_decode_page_header(ThriftReader *r, ParquetPageHeader *h);

/* codecs.c */
extern void parquet_check_codec(int32 codec);
extern void parquet_check_codec_sizes(int32 codec, const char *src,
									  size_t src_len, size_t dst_len);
extern void parquet_decompress(int32 codec, const char *src, size_t src_len,
							   char *dst, size_t dst_len);

/* rle.c: the error, and bits */
extern void parquet_corrupt(const char *what, const char *format,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();
extern uint64 parquet_unpack_bits(const uint8 *data, uint64 bit, int width);
extern uint64 parquet_read_uleb(const uint8 **pos, const uint8 *end,
								const char *what);

/* little-endian integers at any address (one load where the machine's are) */
static inline uint32
le32(const uint8 *p)
{
	return (uint32) p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16) |
		((uint32) p[3] << 24);
}

static inline uint64
le64(const uint8 *p)
{
	return (uint64) le32(p) | ((uint64) le32(p + 4) << 32);
}

/*
 * The RLE/bit-packed hybrid encoding (of levels, dictionary indices and
 * booleans), streamed a batch at a time.
 */
typedef struct RleDecoder
{
	const uint8 *pos;			/* the next run's header */
	const uint8 *end;
	int			width;			/* bits per value, 0..32 */
	uint32		repeat_left;	/* of the current RLE run */
	uint32		repeat_value;
	const uint8 *packed;		/* the current bit-packed run's bytes */
	uint64		packed_bytes;
	uint64		packed_next;	/* its next value's index */
	uint64		packed_count;	/* its values the bytes hold */
} RleDecoder;

extern void rle_init(RleDecoder *d, const uint8 *data, size_t len, int width);
extern void rle_read(RleDecoder *d, uint32 *out, int n, const char *what);
extern int	rle_read_repeat(RleDecoder *d, int n, uint32 *value,
							const char *what);

/* delta.c: DELTA_BINARY_PACKED, streamed */
typedef struct DeltaDecoder
{
	const uint8 *pos;			/* the next block's header */
	const uint8 *end;
	int			value_bits;		/* of the values: 32 (INT32) or 64 */
	uint64		block_size;
	uint64		miniblocks;		/* per block */
	uint64		per_miniblock;	/* values */
	uint64		total_left;		/* values not yet returned */
	uint64		last;			/* the last value returned */
	bool		first_pending;	/* the header's first value not yet returned */
	uint64		min_delta;		/* of the current block */
	const uint8 *widths;		/* of its miniblocks */
	uint64		miniblock;		/* the current one, in its block */
	int			width;			/* its bit width */
	uint64		count;			/* its values */
	const uint8 *packed;		/* its bytes */
	uint64		packed_next;	/* its next value's index */
} DeltaDecoder;

extern void delta_init(DeltaDecoder *d, const uint8 *data, size_t len,
					   int value_bits);
extern void delta_read(DeltaDecoder *d, int64 *out, int n);
extern const uint8 *delta_end(const uint8 *data, size_t len, int value_bits);

/* encodings.c: the values of one page, in any encoding */
typedef struct ParquetDictionary
{
	ParquetPlain *values;
	int32		count;
} ParquetDictionary;

typedef struct ValueDecoder
{
	int32		encoding;
	char		what[64];		/* names the values in errors */
	ParquetType type;
	int32		type_length;	/* FIXED_LEN_BYTE_ARRAY */
	const uint8 *pos;			/* PLAIN, the data of the delta byte arrays */
	const uint8 *start;
	const uint8 *end;
	uint64		bit;			/* PLAIN BOOLEAN: the next value's bit */
	const ParquetDictionary *dictionary;
	RleDecoder	rle;			/* dictionary indices, RLE booleans */
	DeltaDecoder delta;			/* integers, lengths, prefix lengths */
	DeltaDecoder suffixes;		/* DELTA_BYTE_ARRAY's suffix lengths */
	uint64		split_count;	/* BYTE_STREAM_SPLIT's values */
	uint64		split_next;
	char	   *previous;		/* DELTA_BYTE_ARRAY's last value */
	int32		previous_len;
	int64		previous_size;	/* allocated */
	MemoryContext page_context; /* for 'previous' */
} ValueDecoder;

extern void values_init(ValueDecoder *d, int32 encoding, ParquetType type,
						int32 type_length, const uint8 *data, size_t len,
						const ParquetDictionary *dictionary);
extern int	values_batch_limit(const ValueDecoder *d, Size bytes);
extern void values_read(ValueDecoder *d, ParquetPlain *out,
						int32 *dictionary_index, int n);
extern int32 plain_value_size(ParquetType type, int32 type_length);

#endif							/* RITUAL_PARQUET_PAGES_H */
