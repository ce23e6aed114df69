/*-------------------------------------------------------------------------
 *
 * delta.c
 *		  Parquet's DELTA_BINARY_PACKED encoding of integers (INT32, INT64,
 *		  and the lengths of the delta byte-array encodings), streamed.
 *
 * A header (block size, miniblocks per block, value count, first value) is
 * followed by blocks, each a minimum delta, one bit width per miniblock and
 * the miniblocks, whose values are deltas above the minimum.  Arithmetic
 * wraps, as the format says (an INT32's is taken modulo 2^32).  Unused
 * miniblocks of the last block have a width but no bytes.  Miniblocks of
 * INT32 values may be up to 64 bits wide: DuckDB computes the deltas of
 * INT32 values in 64 bits, so that a column spanning the whole INT32 range
 * has deltas of 33 bits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pages.h"

#define WHAT "corrupt Parquet DELTA_BINARY_PACKED data"

static uint64
unzigzag(uint64 u)
{
	return (u >> 1) ^ -(u & 1);
}

/*
 * Start decoding 'len' bytes of DELTA_BINARY_PACKED integers of
 * 'value_bits' bits (32 or 64).
 */
void
delta_init(DeltaDecoder *d, const uint8 *data, size_t len, int value_bits)
{
	memset(d, 0, sizeof(*d));
	d->pos = data;
	d->end = data + len;
	d->value_bits = value_bits;
	d->block_size = parquet_read_uleb(&d->pos, d->end, "Parquet DELTA_BINARY_PACKED data");
	d->miniblocks = parquet_read_uleb(&d->pos, d->end, "Parquet DELTA_BINARY_PACKED data");
	d->total_left = parquet_read_uleb(&d->pos, d->end, "Parquet DELTA_BINARY_PACKED data");
	d->last = unzigzag(parquet_read_uleb(&d->pos, d->end, "Parquet DELTA_BINARY_PACKED data"));
	if (d->block_size == 0 || d->block_size % 128 != 0 ||
		d->block_size > PG_INT32_MAX)
		parquet_corrupt(WHAT, "its block size " UINT64_FORMAT " is not a multiple of 128",
						d->block_size);
	if (d->miniblocks == 0 || d->block_size % d->miniblocks != 0 ||
		(d->block_size / d->miniblocks) % 32 != 0)
		parquet_corrupt(WHAT, "its blocks of " UINT64_FORMAT " values cannot have " UINT64_FORMAT " miniblocks of a multiple of 32 values",
						d->block_size, d->miniblocks);
	d->per_miniblock = d->block_size / d->miniblocks;
	d->first_pending = d->total_left > 0;
	/* no block read yet: the next miniblock starts one */
	d->miniblock = d->miniblocks;
}

/*
 * Move to the next miniblock holding values, reading a block header when a
 * block is done.  There must be values left.
 */
static void
next_miniblock(DeltaDecoder *d)
{
	uint64		width;
	uint64		bytes;
	uint64		needed;
	size_t		left;

	if (++d->miniblock >= d->miniblocks)
	{
		d->min_delta = unzigzag(parquet_read_uleb(&d->pos, d->end, "Parquet DELTA_BINARY_PACKED data"));
		if (d->miniblocks > (uint64) (d->end - d->pos))
			parquet_corrupt(WHAT, "it ends in a block's " UINT64_FORMAT " bit widths",
							d->miniblocks);
		d->widths = d->pos;
		d->pos += d->miniblocks;
		d->miniblock = 0;
	}
	width = d->widths[d->miniblock];
	if (width > 64)
		parquet_corrupt(WHAT, "a miniblock has a bit width of " UINT64_FORMAT ", more than 64",
						width);
	d->width = (int) width;
	d->count = Min(d->per_miniblock, d->total_left);
	/* the last miniblock is padded, but a writer may not have padded it */
	bytes = d->per_miniblock * width / 8;
	needed = (d->count * width + 7) / 8;
	left = d->end - d->pos;
	if (needed > left)
		parquet_corrupt(WHAT, "a miniblock needs " UINT64_FORMAT " bytes, but %zu are left",
						needed, left);
	d->packed = d->pos;
	d->packed_next = 0;
	d->pos += Min(bytes, (uint64) left);
}

/* The next 'n' values into 'out' (an INT32's sign-extended). */
void
delta_read(DeltaDecoder *d, int64 *out, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (d->total_left == 0)
			parquet_corrupt(WHAT, "it holds fewer values than the page");
		if (d->first_pending)
			d->first_pending = false;
		else
		{
			if (d->packed_next >= d->count)
				next_miniblock(d);
			d->last += d->min_delta +
				parquet_unpack_bits(d->packed, d->packed_next * d->width, d->width);
			d->packed_next++;
		}
		d->total_left--;
		out[i] = (d->value_bits == 32) ? (int64) (int32) (uint32) d->last :
			(int64) d->last;
	}
}

/*
 * Where the DELTA_BINARY_PACKED data at 'data' ends (the delta byte-array
 * encodings put more after it), passing over its miniblocks unread.
 */
const uint8 *
delta_end(const uint8 *data, size_t len, int value_bits)
{
	DeltaDecoder d;

	delta_init(&d, data, len, value_bits);
	if (d.total_left > 0)
		d.total_left--;			/* the first value, in the header */
	while (d.total_left > 0)
	{
		next_miniblock(&d);
		d.total_left -= d.count;
	}
	return d.pos;
}
