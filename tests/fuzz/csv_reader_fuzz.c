/*-------------------------------------------------------------------------
 *
 * csv_reader_fuzz.c
 *		  libFuzzer harness of the CSV reader
 *		  (src/readers/csv/csv_reader.c), read as the scan and ritual.ingest
 *		  read it, under every option setting.
 *
 * The input's first eight bytes choose the setting, the rest is the file:
 *
 *	 0  delimiter     (0-3: , ; TAB |, else the byte itself)
 *	 1  quote         (0-2: " ' `, else the byte itself)
 *	 2  escape        (0: the quote, 1-2: \ ", else the byte itself)
 *	 3  read chunk    (an index into chunk_sizes: the whole file, or a few
 *	                  bytes, so records cross chunk boundaries)
 *	 4  bits 0-2: read() size (0: whole, else at most a few bytes a call, as
 *	                  a pipe); bits 3-5: the buffer for counting quotes and
 *	                  line ends before a parallel unit (the whole file, or a
 *	                  few bytes)
 *	 5  flags         (bits 0-1: stored plain, gzip or zstd; bit 2: also read
 *	                  in parallel-scan units; bit 3: also read as ingest;
 *	                  bit 4: max_record_size 1kB, the least the option
 *	                  validator accepts, not the default)
 *	 6, 7            byte positions (x/256 of the file) for those units
 *
 * Settings the option validator rejects (delimiter equal to quote or escape,
 * a line break) are not run.  The reader knows nothing of null and header:
 * those are the scan's, which only compares field text.
 *
 * Every input is read once plainly, as a serial scan does (in one chunk):
 * the reference.  Then, with the records compared field by field, line by line:
 * - the same file with the chosen chunk and read() sizes, and compressed
 *   when the flags say so, must give the very same records (or the same
 *   ERROR): chunk boundaries may not change a row;
 * - read in three parallel-scan units (split where the scan splits, by
 *   csv_record_start_at_or_after, lines counted by csv_count_line_ends), the
 *   units together give the reference, unless a unit raises the documented
 *   "runs across byte" error;
 * - read as ritual.ingest: first a batch that sees only the file's first
 *   bytes (as a file still being written) and takes records until the first
 *   one that is not terminated, then a second batch from where the first
 *   ended: together they give the reference, exactly once; the raw bytes
 *   csv_reader_raw hands out are the file's.
 * Each record's fields must be NUL-terminated, lie in the reader's buffers
 * (AddressSanitizer checks the reads), and a record marked clean_ascii must
 * be ASCII without NUL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zlib.h>
#include <zstd.h>

#include "readers/csv/csv_reader.h"
#include "shim.h"

#define HEADER_BYTES	8

/*
 * The first is larger than any input (tests/fuzz.sh runs with -max_len
 * 4096), so that each file is one chunk, as a file under 1MB is in the
 * server; it is not the server's 1MB, which would cost each input a page
 * fault per 4kB.
 */
static const size_t chunk_sizes[] = {
	8192, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 255, 4096
};
static const size_t read_limits[] = {0, 1, 2, 3, 5, 8, 13, 64};
static const size_t prefix_sizes[] = {8192, 1, 2, 3, 7, 16, 64, 4096};

/* The records read, serialized for comparison, in malloc'd memory. */
typedef struct Records
{
	char	   *data;
	size_t		len;
	size_t		size;
	int			count;
	size_t	   *starts;			/* where each record starts in data */
	int			starts_size;
	bool		failed;			/* an ERROR ended the reading */
	char		error[512];
} Records;

/* One reading: the file, the options, the unit, and what came out. */
typedef struct Reading
{
	const char *path;
	const RitualOptions *opts;
	int64		start;
	int64		stop;
	int64		line_base;		/* added to each record's line */
	bool		ingest;
	int64		limit;			/* for ingest: bytes the reader may see */
	bool		take_terminated_only;	/* an ingest batch of a growing file */
	const char *plain;			/* the file's bytes, uncompressed */
	size_t		plain_len;
	Records    *out;
	/* for ingest: where the batch ended */
	int64		end_offset;
	int64		end_line;
	bool		ends_unknown;
} Reading;

static void
put(Records *r, const void *bytes, size_t len)
{
	if (r->len + len > r->size)
	{
		r->size = Max(r->size * 2, r->len + len + 256);
		r->data = realloc(r->data, r->size);
		if (r->data == NULL)
			abort();
	}
	memcpy(r->data + r->len, bytes, len);
	r->len += len;
}

static void
records_reset(Records *r)
{
	r->len = 0;
	r->count = 0;
	r->failed = false;
	r->error[0] = '\0';
}

/* Check one record's promises and append it to 'out'. */
static void
add_record(Records *out, const CsvRecord *record, int64 line)
{
	char		malformed = (record->malformed != NULL);

	/* a stray quote may break a record before its first field ends */
	if (record->nfields < (malformed ? 0 : 1))
		fuzz_fail("a record with %d fields", record->nfields);
	if (out->count == out->starts_size)
	{
		out->starts_size = Max(out->starts_size * 2, 64);
		out->starts = realloc(out->starts, sizeof(size_t) * out->starts_size);
		if (out->starts == NULL)
			abort();
	}
	out->starts[out->count++] = out->len;
	put(out, &line, sizeof(line));
	put(out, &record->nfields, sizeof(record->nfields));
	put(out, &malformed, 1);
	for (int i = 0; i < record->nfields; i++)
	{
		const char *value = csv_field_value(record, i);
		int			len = csv_field_length(record, i);
		char		isnull = (value == NULL);

		put(out, &isnull, 1);
		if (value == NULL)
			continue;
		if (len < 0 || value[len] != '\0')
			fuzz_fail("field %d of the record on line " INT64_FORMAT " is not NUL-terminated",
					  i, line);
		if (record->clean_ascii)
		{
			for (int b = 0; b < len; b++)
			{
				if (value[b] == '\0' || IS_HIGHBIT_SET(value[b]))
					fuzz_fail("record on line " INT64_FORMAT " is marked clean ASCII but field %d has byte 0x%02x",
							  line, i, (unsigned char) value[b]);
			}
		}
		put(out, &len, sizeof(len));
		put(out, value, len);
	}
}

/* Read one unit; run inside fuzz_run. */
static void
read_unit(void *arg)
{
	Reading    *rd = arg;
	CsvReader  *reader = csv_reader_open(rd->path, rd->opts, rd->start,
										 rd->stop);
	CsvRecord	record;
	int64		record_start = rd->start;

	if (rd->ingest)
		csv_reader_for_ingest(reader, rd->limit);
	rd->end_offset = rd->start;
	rd->end_line = 0;
	rd->ends_unknown = false;
	while (csv_reader_next(reader, &record))
	{
		if (record.line < 1)
			fuzz_fail("record on line " INT64_FORMAT, record.line);
		if (rd->ingest && rd->take_terminated_only && !record.terminated)
			break;				/* held back until the file is complete */
		add_record(rd->out, &record, rd->line_base + record.line);
		if (!rd->ingest)
			continue;
		if (record.end_offset < 0)
		{
			rd->ends_unknown = true;
			continue;
		}
		if (record.end_offset < record_start ||
			(size_t) record.end_offset > rd->plain_len)
			fuzz_fail("record on line " INT64_FORMAT " ends at byte " INT64_FORMAT ", outside [" INT64_FORMAT ", %zu]",
					  record.line, record.end_offset, record_start,
					  rd->plain_len);
		{
			const char *raw = csv_reader_raw(reader, record_start,
											 record.end_offset);

			if (raw != NULL &&
				memcmp(raw, rd->plain + record_start,
					   record.end_offset - record_start) != 0)
				fuzz_fail("csv_reader_raw(" INT64_FORMAT ", " INT64_FORMAT ") differs from the file's bytes",
						  record_start, record.end_offset);
		}
		record_start = record.end_offset;
		rd->end_offset = record.end_offset;
		rd->end_line = record.end_line;
		rd->ends_unknown = false;
	}
	csv_reader_close(reader);
}

static bool
run_reading(Reading *rd)
{
	if (fuzz_run(read_unit, rd))
		return true;
	rd->out->failed = true;
	strlcpy(rd->out->error, fuzz_error_message(), sizeof(rd->out->error));
	return false;
}

/* Print a record of 'r' for a failure report. */
static void
show_record(const char *label, const Records *r, int i)
{
	const char *p;
	const char *end;
	int64		line;
	int			nfields;

	if (i >= r->count)
	{
		fprintf(stderr, "  %s: no record %d (%d records%s%s)\n", label, i,
				r->count, r->failed ? ", ERROR: " : "", r->error);
		return;
	}
	p = r->data + r->starts[i];
	end = (i + 1 < r->count) ? r->data + r->starts[i + 1] : r->data + r->len;
	memcpy(&line, p, sizeof(line));
	memcpy(&nfields, p + sizeof(line), sizeof(nfields));
	fprintf(stderr, "  %s: record %d, line " INT64_FORMAT ", %d fields%s:",
			label, i, line, nfields,
			p[sizeof(line) + sizeof(nfields)] ? " (malformed)" : "");
	for (p += sizeof(line) + sizeof(nfields) + 1; p < end;)
	{
		int			len;

		if (*p++)
		{
			fprintf(stderr, " NULL");
			continue;
		}
		memcpy(&len, p, sizeof(len));
		p += sizeof(len);
		fprintf(stderr, " \"");
		for (int b = 0; b < len; b++)
		{
			unsigned char c = p[b];

			fprintf(stderr, (c < 0x20 || c >= 0x7f || c == '"') ? "\\x%02x" : "%c", c);
		}
		fprintf(stderr, "\"");
		p += len;
	}
	fprintf(stderr, "\n");
}

/* Records of 'a' and 'b' must be equal; up to the shorter with 'prefix'. */
static void
compare(const char *what, const Records *a, const Records *b, bool prefix)
{
	int			n = Min(a->count, b->count);

	for (int i = 0; i <= n; i++)
	{
		size_t		a_end,
					b_end;

		if (i == n)
		{
			if (prefix || a->count == b->count)
				return;
		}
		else
		{
			a_end = (i + 1 < a->count) ? a->starts[i + 1] : a->len;
			b_end = (i + 1 < b->count) ? b->starts[i + 1] : b->len;
			if (a_end - a->starts[i] == b_end - b->starts[i] &&
				memcmp(a->data + a->starts[i], b->data + b->starts[i],
					   a_end - a->starts[i]) == 0)
				continue;
		}
		fprintf(stderr, "fuzz: %s: record %d differs from the plain reading\n",
				what, i);
		show_record("plain", a, i);
		show_record(what, b, i);
		fuzz_fail("%s gives other records than the plain reading", what);
	}
}

/* Write 'data' compressed; the contexts are kept, as they are costly to make. */
static void
write_compressed(const char *path, int kind, const char *data, size_t len)
{
	static z_stream zs;
	static ZSTD_CCtx *cctx;
	static char *buffer;
	static size_t buffer_size;
	size_t		bound = Max(deflateBound(NULL, len), ZSTD_compressBound(len)) + 64;
	size_t		out_len;

	if (bound > buffer_size)
	{
		buffer = realloc(buffer, bound);
		buffer_size = bound;
	}
	if (kind == 1)
	{
		if (zs.state == NULL &&
			deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
						 Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		deflateReset(&zs);
		zs.next_in = (Bytef *) data;
		zs.avail_in = len;
		zs.next_out = (Bytef *) buffer;
		zs.avail_out = buffer_size;
		if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
			abort();
		out_len = zs.total_out;
	}
	else
	{
		if (cctx == NULL)
			cctx = ZSTD_createCCtx();
		out_len = ZSTD_compressCCtx(cctx, buffer, buffer_size, data, len, 3);
		if (ZSTD_isError(out_len))
			abort();
	}
	fuzz_write_file(path, buffer, out_len);
}

static char
pick(uint8 b, const char *table, int n)
{
	return b < n ? table[b] : (char) b;
}

static bool
valid_byte(char c)
{
	return c != '\0' && c != '\n' && c != '\r';
}

static Records reference,
			variant,
			units;

/* Where a parallel scan's units start and stop, and their line bases. */
typedef struct UnitPlan
{
	const Reading *base;
	int			nunits;
	int64		blocks[4];		/* block starts, growing, then -1 */
	int64		starts[3];
	int64		stops[3];
	int64		line_bases[3];
} UnitPlan;

/* Find the units as claim_unit does (one pass, offsets growing). */
static void
plan_units(void *arg)
{
	UnitPlan   *plan = arg;
	CsvPrefixCount quotes = {0, 0};
	CsvPrefixCount lines = {0, 0};

	for (int u = 0; u < plan->nunits; u++)
	{
		plan->starts[u] = (plan->blocks[u] == 0) ? 0 :
			csv_record_start_at_or_after(plan->base->path,
										 plan->base->opts->quote,
										 plan->blocks[u], &quotes);
		plan->stops[u] = (plan->blocks[u + 1] < 0) ? -1 :
			csv_record_start_at_or_after(plan->base->path,
										 plan->base->opts->quote,
										 plan->blocks[u + 1], &quotes);
		plan->line_bases[u] = (plan->starts[u] == 0) ? 0 :
			csv_count_line_ends(plan->base->path, plan->starts[u], &lines);
		if (plan->line_bases[u] < 0)
			fuzz_fail("csv_count_line_ends failed: %m");
	}
}

/*
 * Read in the units a parallel scan would make of blocks starting at 0 and
 * at b1 and b2, when those are inside the file and growing.
 */
static void
check_parallel_units(Reading *base, int64 b1, int64 b2)
{
	UnitPlan	plan = {base, 0, {0}};

	if (b1 > 0 && b1 < (int64) base->plain_len)
		plan.blocks[++plan.nunits] = b1;
	if (b2 > plan.blocks[plan.nunits] && b2 < (int64) base->plain_len)
		plan.blocks[++plan.nunits] = b2;
	plan.blocks[++plan.nunits] = -1;
	if (!fuzz_run(plan_units, &plan))
		fuzz_fail("finding the parallel units raised: %s", fuzz_error_message());
	records_reset(&units);
	for (int u = 0; u < plan.nunits; u++)
	{
		Reading		rd = *base;

		if (!(plan.stops[u] < 0 || plan.starts[u] < plan.stops[u]))
			continue;			/* a block inside one long record */
		rd.start = plan.starts[u];
		rd.stop = plan.stops[u];
		rd.line_base = plan.line_bases[u];
		rd.out = &units;
		if (!run_reading(&rd))
		{
			if (strstr(units.error, "where a parallel scan split the file") != NULL)
				return;			/* the documented refusal */
			fuzz_fail("parallel unit [" INT64_FORMAT ", " INT64_FORMAT ") raised: %s",
					  rd.start, rd.stop, units.error);
		}
	}
	compare("parallel units", &reference, &units, false);
}

/*
 * Read as two ingest batches: the first sees 'limit' bytes and takes what is
 * terminated, the second takes the rest from where the first ended.
 */
static void
check_ingest(Reading *base, int64 limit)
{
	Reading		first = *base;
	Reading		second = *base;

	records_reset(&units);
	first.ingest = true;
	first.limit = limit;
	first.take_terminated_only = true;
	first.out = &units;
	if (!run_reading(&first))
		fuzz_fail("ingest batch up to byte " INT64_FORMAT " raised: %s",
				  limit, units.error);
	if (first.ends_unknown)
		return;					/* the scan refuses to resume such a file */
	second.ingest = true;
	second.limit = -1;
	second.start = first.end_offset;
	second.line_base = first.end_line;
	second.out = &units;
	if (!run_reading(&second))
		fuzz_fail("ingest batch from byte " INT64_FORMAT " raised: %s",
				  first.end_offset, units.error);
	compare("two ingest batches", &reference, &units, false);
}

/*
 * An error of the compressed file names it: name the plain file instead, so
 * that the two readings' errors compare equal when they say the same.
 */
static void
name_plain_file(char *error, const char *packed, const char *plain)
{
	char	   *at = strstr(error, packed);
	char		rest[sizeof(((Records *) NULL)->error)];

	if (at == NULL)
		return;
	strlcpy(rest, at + strlen(packed), sizeof(rest));
	snprintf(at, sizeof(((Records *) NULL)->error) - (at - error), "%s%s", plain, rest);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	static char path[MAXPGPATH];
	static char packed_path[MAXPGPATH];
	RitualOptions opts;
	Reading		rd;
	const char *file;
	size_t		len;
	int			compression;
	uint8		flags;

	if (size < HEADER_BYTES)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.delimiter = pick(data[0], ",;\t|", 4);
	opts.quote = pick(data[1], "\"'`", 3);
	opts.escape = data[2] == 0 ? opts.quote : pick(data[2] - 1, "\\\"", 2);
	if (!valid_byte(opts.delimiter) || !valid_byte(opts.quote) ||
		!valid_byte(opts.escape) || opts.delimiter == opts.quote ||
		opts.delimiter == opts.escape)
		return -1;				/* the option validator refuses these */
	opts.compression = RITUAL_COMPRESSION_AUTO;
	opts.on_error = RITUAL_ON_ERROR_STOP;
	opts.reject_limit = -1;
	flags = data[5];
	opts.max_record_size = (flags & 16) ? 1024 : RITUAL_DEFAULT_RECORD_BYTES;
	compression = flags & 3;
	if (compression == 3)
		compression = 0;
	file = (const char *) data + HEADER_BYTES;
	len = size - HEADER_BYTES;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/input.csv", fuzz_scratch_dir());
	fuzz_write_file(path, file, len);

	/* the reference: a serial scan's reading */
	memset(&rd, 0, sizeof(rd));
	rd.path = path;
	rd.opts = &opts;
	rd.stop = -1;
	rd.limit = -1;
	rd.plain = file;
	rd.plain_len = len;
	fuzz_read_chunk_size = chunk_sizes[0];
	fuzz_read_limit = 0;
	fuzz_compressed_buffer_size = chunk_sizes[0];
	records_reset(&reference);
	rd.out = &reference;
	run_reading(&rd);

	/* the same with other chunk boundaries, reads, compression */
	fuzz_read_chunk_size = chunk_sizes[data[3] % lengthof(chunk_sizes)];
	fuzz_read_limit = read_limits[data[4] % lengthof(read_limits)];
	fuzz_prefix_buffer_size = prefix_sizes[(data[4] >> 3) % lengthof(prefix_sizes)];
	if (compression != 0)
	{
		snprintf(packed_path, sizeof(packed_path), "%s/input.csv.%s",
				 fuzz_scratch_dir(), compression == 1 ? "gz" : "zst");
		write_compressed(packed_path, compression, file, len);
		rd.path = packed_path;
	}
	records_reset(&variant);
	rd.out = &variant;
	run_reading(&rd);

	if (compression != 0)
		name_plain_file(variant.error, packed_path, path);
	if (reference.failed != variant.failed ||
		strcmp(reference.error, variant.error) != 0)
		fuzz_fail("the plain reading %s%s, but with a %zu-byte chunk, %zu-byte reads%s it %s%s",
				  reference.failed ? "raised: " : "succeeded", reference.error,
				  fuzz_read_chunk_size, fuzz_read_limit,
				  compression == 1 ? ", gzip" : compression == 2 ? ", zstd" : "",
				  variant.failed ? "raised: " : "succeeded", variant.error);
	compare("other chunks", &reference, &variant, reference.failed);

	if (reference.failed)
		return 0;
	rd.path = path;
	if ((flags & 4) && compression == 0 && len > 0)
		check_parallel_units(&rd, (int64) data[6] * len / 256,
							 (int64) data[7] * len / 256);
	if (flags & 8)
		check_ingest(&rd, (int64) data[7] * len / 256);
	return 0;
}
