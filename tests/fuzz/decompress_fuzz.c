/*-------------------------------------------------------------------------
 *
 * decompress_fuzz.c
 *		  libFuzzer harness of the gzip and zstd decompressors
 *		  (src/readers/decompress.c).
 *
 * The input's first three bytes choose the setting, the rest is the
 * compressed file:
 *
 *	 0  bit 0: gzip or zstd; bits 1-7: where to cut the file (x/128)
 *	 1  bits 0-2: how many compressed bytes each read hands over; bits 3-5:
 *	    the decompressor's buffer of compressed bytes (indexes)
 *	 2  how many plain bytes each decompress_read asks for (an index)
 *
 * The file is decompressed twice through decompress_read: as the reader
 * reads a small file (in one read, as the server's 256kB buffer takes any
 * input here, and plain bytes by the chunk), and with the chosen sizes; both
 * must give the same bytes, or the same ERROR: how the input is cut may not
 * change the output (but see same_decoding for a libzstd exception).  A prefix of the file must give an ERROR (truncated) or
 * a prefix of the whole file's output: never other bytes.  Output is
 * compared up to 1MB, so a small input that expands enormously stays fast.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "ritual.h"
#include "shim.h"

#define HEADER_BYTES	3
#define MAX_OUTPUT		(1024 * 1024)

/* the first of each is what a small file gets in the server (-max_len 4096) */
static const size_t read_sizes[] = {8192, 1, 2, 3, 7, 16, 100, 4096};
static const size_t buffer_sizes[] = {8192, 1, 2, 3, 7, 16, 100, 4096};
static const size_t out_sizes[] = {65536, 1, 2, 5, 64, 1000, 8192};

typedef struct Source
{
	const char *data;
	size_t		len;
	size_t		pos;
	size_t		read_size;		/* bytes handed over per read at most */
} Source;

typedef struct Decoding
{
	RitualCompression kind;
	Source		source;
	size_t		out_size;
	char	   *output;			/* malloc'd, MAX_OUTPUT bytes */
	size_t		output_len;
	bool		failed;
	char		error[512];
} Decoding;

/* The reader's read function, over memory. */
static ssize_t
read_source(void *arg, char *buffer, Size len)
{
	Source	   *s = arg;
	size_t		n = Min(Min(len, s->read_size), s->len - s->pos);

	memcpy(buffer, s->data + s->pos, n);
	s->pos += n;
	return n;
}

static void
decode(void *arg)
{
	Decoding   *dc = arg;
	Decompressor *d = decompress_begin(dc->kind, "input");
	char	   *out = palloc(dc->out_size);

	while (dc->output_len < MAX_OUTPUT)
	{
		Size		n = decompress_read(d, out, dc->out_size, read_source,
										&dc->source);

		if (n == 0)
			break;
		if (n > dc->out_size)
			fuzz_fail("decompress_read returned %zu bytes for %zu asked", n,
					  dc->out_size);
		n = Min(n, MAX_OUTPUT - dc->output_len);
		memcpy(dc->output + dc->output_len, out, n);
		dc->output_len += n;
	}
	decompress_end(d);
}

static void
run_decoding(Decoding *dc, const char *data, size_t len, size_t read_size,
			 size_t buffer_size, size_t out_size)
{
	fuzz_compressed_buffer_size = buffer_size;
	dc->source.data = data;
	dc->source.len = len;
	dc->source.pos = 0;
	dc->source.read_size = read_size;
	dc->out_size = out_size;
	dc->output_len = 0;
	dc->failed = !fuzz_run(decode, dc);
	if (dc->failed)
		strlcpy(dc->error, fuzz_error_message(), sizeof(dc->error));
	else
		dc->error[0] = '\0';
}

/*
 * Whether two decodings of one file agree.  zlib decides the same however
 * its input comes; libzstd (1.5.4) does not always: it checks a frame's
 * declared content size only when the whole frame comes in one piece, and
 * the frame's checksum is still checked.  So for zstd one decoding may
 * raise an ERROR where the other does not, or another ERROR (corrupt for
 * truncated); the bytes they both gave must still agree.
 */
static bool
same_decoding(const Decoding *a, const Decoding *b)
{
	size_t		common = Min(a->output_len, b->output_len);

	if (a->failed == b->failed)
		return (a->kind != RITUAL_COMPRESSION_GZIP ||
				strcmp(a->error, b->error) == 0) &&
			(a->failed || a->output_len == b->output_len) &&
			memcmp(a->output, b->output, common) == 0;
	if (a->kind == RITUAL_COMPRESSION_GZIP)
		return false;
	/* the one that raised gave no more than the other */
	return memcmp(a->output, b->output, common) == 0 &&
		(a->failed ? a->output_len <= b->output_len :
		 b->output_len <= a->output_len);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	static Decoding whole,
				cut;
	const char *file;
	size_t		len;
	size_t		prefix;

	if (size < HEADER_BYTES)
		return -1;
	if (whole.output == NULL)
	{
		whole.output = malloc(MAX_OUTPUT);
		cut.output = malloc(MAX_OUTPUT);
	}
	file = (const char *) data + HEADER_BYTES;
	len = size - HEADER_BYTES;
	whole.kind = cut.kind = (data[0] & 1) ? RITUAL_COMPRESSION_ZSTD :
		RITUAL_COMPRESSION_GZIP;

	run_decoding(&whole, file, len, read_sizes[0], buffer_sizes[0],
				 out_sizes[0]);
	run_decoding(&cut, file, len, read_sizes[data[1] % lengthof(read_sizes)],
				 buffer_sizes[(data[1] >> 3) % lengthof(buffer_sizes)],
				 out_sizes[data[2] % lengthof(out_sizes)]);
	if (!same_decoding(&whole, &cut))
		fuzz_fail("with %zu-byte reads, a %zu-byte buffer and %zu-byte requests the decompressor %s %zu bytes%s%s; read whole it %s %zu bytes%s%s",
				  cut.source.read_size, fuzz_compressed_buffer_size, cut.out_size,
				  cut.failed ? "raised after" : "gave", cut.output_len,
				  cut.failed ? ": " : "", cut.error,
				  whole.failed ? "raised after" : "gave", whole.output_len,
				  whole.failed ? ": " : "", whole.error);

	/* a truncated file: an ERROR, or what the whole file begins with */
	if (whole.failed || len == 0 || whole.output_len == MAX_OUTPUT)
		return 0;
	prefix = (size_t) (data[0] >> 1) * len / 128;
	run_decoding(&cut, file, prefix, read_sizes[0], buffer_sizes[0],
				 out_sizes[0]);
	if (!cut.failed &&
		(cut.output_len > whole.output_len ||
		 memcmp(cut.output, whole.output, cut.output_len) != 0))
		fuzz_fail("the first %zu of %zu bytes decompress to %zu bytes that the whole file's %zu do not begin with",
				  prefix, len, cut.output_len, whole.output_len);
	return 0;
}
