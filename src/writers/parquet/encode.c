/*-------------------------------------------------------------------------
 *
 * encode.c
 *		  Encode what a Parquet data page holds: definition levels and
 *		  dictionary indices in the RLE/bit-packed hybrid, booleans
 *		  bit-packed.
 *
 * The hybrid encoder writes a run of 8 or more equal values as one RLE
 * run, and everything else in bit-packed groups of 8 (the last group
 * padded with zeros, which the page's value count tells readers to drop).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "port/pg_bitutils.h"

#include "encode.h"

/* a bit-packed run's header counts groups of 8 in 6 bits... or more */
#define MAX_GROUPS_PER_RUN	63

/* Bits needed for values up to 'max_value'; at least 1. */
int
parquet_bit_width(uint32 max_value)
{
	return max_value == 0 ? 1 : pg_leftmost_one_pos32(max_value) + 1;
}

static void
append_varint(StringInfo out, uint32 value)
{
	while (value >= 0x80)
	{
		appendStringInfoChar(out, (char) ((value & 0x7F) | 0x80));
		value >>= 7;
	}
	appendStringInfoChar(out, (char) value);
}

/* How many values from values[i] on equal it, counting up to 'limit'. */
static int
run_length(const uint32 *values, int i, int n, int limit)
{
	int			j = i + 1;

	while (j < n && j - i < limit && values[j] == values[i])
		j++;
	return j - i;
}

/* Append 'count' values, 'bit_width' bits each, least significant first. */
static void
append_bit_packed(StringInfo out, const uint32 *values, int count, int n,
				  int bit_width)
{
	uint64		bits = 0;
	int			nbits = 0;

	for (int i = 0; i < count; i++)
	{
		uint64		v = i < n ? values[i] : 0;

		bits |= v << nbits;
		nbits += bit_width;
		while (nbits >= 8)
		{
			appendStringInfoChar(out, (char) (bits & 0xFF));
			bits >>= 8;
			nbits -= 8;
		}
	}
	if (nbits > 0)
		appendStringInfoChar(out, (char) (bits & 0xFF));
}

/*
 * parquet_encode_hybrid
 *		Append n values of 'bit_width' bits in the RLE/bit-packed hybrid,
 *		without a length prefix.
 */
void
parquet_encode_hybrid(StringInfo out, const uint32 *values, int n, int bit_width)
{
	int			value_bytes = (bit_width + 7) / 8;
	int			i = 0;

	while (i < n)
	{
		int			run = run_length(values, i, n, INT_MAX);

		if (run >= 8)
		{
			append_varint(out, (uint32) run << 1);
			for (int b = 0; b < value_bytes; b++)
				appendStringInfoChar(out, (char) ((values[i] >> (8 * b)) & 0xFF));
			i += run;
		}
		else
		{
			int			start = i;
			int			groups = 0;

			/* groups of 8, until a long run starts at a group's end */
			do
			{
				i += 8;
				groups++;
			} while (i < n && groups < MAX_GROUPS_PER_RUN &&
					 run_length(values, i, n, 8) < 8);
			append_varint(out, ((uint32) groups << 1) | 1);
			append_bit_packed(out, values + start, groups * 8, n - start,
							  bit_width);
			i = Min(i, n);
		}
	}
}

/*
 * parquet_encode_levels
 *		Append the definition levels (0 or 1) of an optional column as a
 *		data page v1 holds them: a 4-byte length, then the hybrid.
 */
void
parquet_encode_levels(StringInfo out, const uint8 *levels, int n)
{
	uint32	   *values = palloc(sizeof(uint32) * Max(n, 1));
	int			length_at;
	uint32		length;

	for (int i = 0; i < n; i++)
		values[i] = levels[i];
	length_at = out->len;
	appendBinaryStringInfo(out, "\0\0\0\0", 4);
	parquet_encode_hybrid(out, values, n, 1);
	length = out->len - length_at - 4;
	for (int b = 0; b < 4; b++)
		out->data[length_at + b] = (char) ((length >> (8 * b)) & 0xFF);
	pfree(values);
}

/* Append booleans (0 or 1 each) as PLAIN has them: one bit each. */
void
parquet_encode_booleans(StringInfo out, const uint8 *values, int n)
{
	for (int i = 0; i < n; i += 8)
	{
		uint8		byte = 0;

		for (int b = 0; b < 8 && i + b < n; b++)
			byte |= (values[i + b] & 1) << b;
		appendStringInfoChar(out, (char) byte);
	}
}
