/*-------------------------------------------------------------------------
 *
 * rle.c
 *		  Parquet's bit-level building blocks: unsigned LEB128 integers,
 *		  little-endian bit unpacking, and the RLE/bit-packed hybrid
 *		  encoding of levels, dictionary indices and RLE booleans; and the
 *		  error page decoding raises when the bytes lie.
 *
 * The hybrid is a sequence of runs, each after a ULEB128 header: an RLE
 * run repeats one value (in ceil(width / 8) bytes) header >> 1 times; a
 * bit-packed run holds header >> 1 groups of 8 values of 'width' bits.
 * Runs are decoded as they are reached, so a run of two billion repeats
 * costs nothing until its values are asked for.  A last bit-packed run cut
 * short holds the values its bytes hold, as writers pad it loosely.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pages.h"

/*
 * Raise ERRCODE_DATA_CORRUPTED: "WHAT: DETAIL", or DETAIL alone when 'what'
 * is NULL.
 */
void
parquet_corrupt(const char *what, const char *format,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, format);
	vsnprintf(detail, sizeof(detail), format, args);
	va_end(args);
	if (what == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s", detail)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s: %s", what, detail)));
}

/*
 * The 'width'-bit value (0..64) at bit 'bit' of 'data', least significant
 * bit first; the caller knows that its bytes are there.
 */
uint64
parquet_unpack_bits(const uint8 *data, uint64 bit, int width)
{
	const uint8 *p;
	uint64		value;
	int			have;

	if (width == 0)
		return 0;
	p = data + (bit >> 3);
	value = (uint64) (*p++) >> (bit & 7);
	have = 8 - (int) (bit & 7);
	while (have < width)
	{
		value |= (uint64) (*p++) << have;
		have += 8;
	}
	if (width < 64)
		value &= (UINT64CONST(1) << width) - 1;
	return value;
}

/* An unsigned LEB128 integer of up to 64 bits at *pos, which it passes. */
uint64
parquet_read_uleb(const uint8 **pos, const uint8 *end, const char *what)
{
	uint64		value = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8		b;

		if (*pos >= end)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("%s ends in the middle of a variable-length integer", what)));
		b = *(*pos)++;
		if (shift == 63 && b > 1)
			break;
		value |= (uint64) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return value;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s holds a variable-length integer of more than 64 bits", what)));
}

void
rle_init(RleDecoder *d, const uint8 *data, size_t len, int width)
{
	if (width < 0 || width > 32)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("RLE/bit-packed data has a bit width of %d, more than 32",
						width)));
	memset(d, 0, sizeof(*d));
	d->pos = data;
	d->end = data + len;
	d->width = width;
}

/* Start the next run, or raise an ERROR when there is none. */
static void
next_run(RleDecoder *d, const char *what)
{
	uint64		header;
	size_t		left;

	if (d->pos >= d->end)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s end before the page's values do", what)));
	header = parquet_read_uleb(&d->pos, d->end, what);
	if (header > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s have a run header of " UINT64_FORMAT ", more than 32 bits",
						what, header)));
	left = d->end - d->pos;
	if (header & 1)
	{
		uint64		groups = header >> 1;
		uint64		bytes = Min(groups * d->width, (uint64) left);

		d->packed = d->pos;
		d->packed_bytes = bytes;
		d->packed_next = 0;
		d->packed_count = (d->width == 0) ? groups * 8 :
			Min(groups * 8, bytes * 8 / d->width);
		d->pos += bytes;
	}
	else
	{
		int			value_bytes = (d->width + 7) / 8;
		uint32		value = 0;

		if ((size_t) value_bytes > left)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("%s end in the middle of a run's value", what)));
		for (int i = 0; i < value_bytes; i++)
			value |= (uint32) d->pos[i] << (8 * i);
		d->pos += value_bytes;
		if (d->width < 32 && (value >> d->width) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("%s have a run of value %u, which does not fit in their bit width of %d",
							what, value, d->width)));
		d->repeat_left = (uint32) (header >> 1);
		d->repeat_value = value;
	}
}

/*
 * Eight values of 'width' bits from the 'width' bytes at 'p', each from the
 * eight bytes at its first one (which the caller knows are there): with a
 * constant width, the offsets and shifts are constants too.
 */
static inline void
unpack_group(const uint8 *p, uint32 *out, int width)
{
	uint64		mask = (UINT64CONST(1) << width) - 1;

	for (int j = 0; j < 8; j++)
		out[j] = (uint32) ((le64(p + ((j * width) >> 3)) >> ((j * width) & 7)) & mask);
}

/* the commonest widths of dictionary indices, each a loop of its own */
#define UNPACK_WIDTH(w) \
	case w: \
		for (int g = 0; g < groups; g++) \
			unpack_group(p + g * (w), out + 8 * g, (w)); \
		return

static void
unpack_groups(const uint8 *p, uint32 *out, int groups, int width)
{
	switch (width)
	{
			UNPACK_WIDTH(1);
			UNPACK_WIDTH(2);
			UNPACK_WIDTH(3);
			UNPACK_WIDTH(4);
			UNPACK_WIDTH(5);
			UNPACK_WIDTH(6);
			UNPACK_WIDTH(7);
			UNPACK_WIDTH(8);
			UNPACK_WIDTH(10);
			UNPACK_WIDTH(12);
			UNPACK_WIDTH(16);
		default:
			for (int g = 0; g < groups; g++)
				unpack_group(p + g * width, out + 8 * g, width);
	}
}

#undef UNPACK_WIDTH

/*
 * The next 'n' values of the current bit-packed run: whole groups of eight
 * where the eight bytes past each group are the run's too, the others one
 * by one.
 */
static void
unpack(RleDecoder *d, uint32 *out, int n)
{
	uint64		next = d->packed_next;
	int			i = 0;

	for (; i < n && (next + i) % 8 != 0; i++)
		out[i] = (uint32) parquet_unpack_bits(d->packed, (next + i) * d->width,
											  d->width);
	if (d->width > 0 && n - i >= 8)
	{
		uint64		first_byte = (next + i) / 8 * d->width;
		uint64		room = d->packed_bytes - first_byte;
		uint64		groups = (uint64) (n - i) / 8;

		/* a group's last value is read from the eight bytes at its first */
		groups = Min(groups, room >= 8 ? (room - 8) / d->width : 0);
		unpack_groups(d->packed + first_byte, out + i, (int) groups, d->width);
		i += (int) groups * 8;
	}
	for (; i < n; i++)
		out[i] = (uint32) parquet_unpack_bits(d->packed, (next + i) * d->width,
											  d->width);
}

/*
 * How many of the next 'n' values (at least one) are one run's repeated
 * value, '*value', passed over; 0 when the next values are bit-packed.
 */
int
rle_read_repeat(RleDecoder *d, int n, uint32 *value, const char *what)
{
	int			take;

	if (d->repeat_left == 0 && d->packed_next >= d->packed_count)
		next_run(d, what);
	if (d->repeat_left == 0)
		return 0;
	take = (int) Min((uint32) n, d->repeat_left);
	d->repeat_left -= take;
	*value = d->repeat_value;
	return take;
}

/*
 * The next 'n' values into 'out'; 'what' names the data in errors, in the
 * plural ("definition levels").
 */
void
rle_read(RleDecoder *d, uint32 *out, int n, const char *what)
{
	while (n > 0)
	{
		int			take;

		if (d->repeat_left > 0)
		{
			take = (int) Min((uint32) n, d->repeat_left);
			for (int i = 0; i < take; i++)
				out[i] = d->repeat_value;
			d->repeat_left -= take;
		}
		else if (d->packed_next < d->packed_count)
		{
			take = (int) Min((uint64) n, d->packed_count - d->packed_next);
			unpack(d, out, take);
			d->packed_next += take;
		}
		else
		{
			next_run(d, what);
			continue;
		}
		out += take;
		n -= take;
	}
}
