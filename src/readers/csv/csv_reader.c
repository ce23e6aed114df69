/*-------------------------------------------------------------------------
 *
 * csv_reader.c
 *		  Read the records of one CSV file with libcsv, in large chunks,
 *		  keeping the physical line number where each record starts.
 *
 * Each chunk is parsed whole and its records are queued; csv_reader_next
 * hands them out one at a time (libcsv's callbacks could not stop a parse
 * anyway).  The queue holds at most one chunk's worth of fields, plus the
 * record in progress, so memory stays flat however large the file.
 *
 * Most lines of an export hold no quote at all.  Those are split here, in
 * place, with no copy: the field ends are overwritten with NULs.  A line
 * with a quote (or a lone carriage return) goes to libcsv, and so does every
 * line after it until libcsv is between records again, so that quoting is
 * always libcsv's to decide.  Chunks end at a line break; the rest of the
 * last line is carried over to the next chunk.
 *
 * libcsv is set up deliberately: it must not trim spaces (is_space always
 * says no, and notes whether a field opens with a quote), it reports every
 * line end (CSV_REPALL_NL) so that blank lines can be counted and skipped
 * here, it passes NULL for an empty unquoted field (CSV_EMPTY_IS_NULL) so
 * that "" stays an empty string, it rejects a stray quote (CSV_STRICT), whose
 * record is then reported as malformed and reading goes on at the next line,
 * and it allocates through palloc, no more than max_record_size.  It knows
 * no escape character other than a doubled quote, so a different escape is
 * rewritten into that form before parsing, one line at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <csv.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/fd.h"

#include "csv_reader.h"

/* tests/fuzz builds the reader with chunks and buffers of a few bytes */
#ifndef READ_CHUNK_SIZE
#define READ_CHUNK_SIZE		(1024 * 1024)
#endif
#define UTF8_BOM			"\xEF\xBB\xBF"

/*
 * Report every line end, pass NULL for an empty unquoted field, and reject a
 * quote that neither opens, closes nor doubles (strict): the lenient reading
 * would run the field on into the next lines.
 */
#define LIBCSV_OPTIONS	(CSV_REPALL_NL | CSV_EMPTY_IS_NULL | CSV_STRICT)

/* A complete record waiting in the queue. */
typedef struct RecordSlot
{
	int			first_field;
	int			nfields;
	int64		line;
	const char *malformed;
	bool		clean_ascii;	/* fields known to be ASCII without NUL */
	int64		end_offset;		/* see CsvRecord */
	int64		end_line;
	bool		terminated;
} RecordSlot;

struct CsvReader
{
	const char *path;
	int			fd;
	struct csv_parser parser;
	char		delimiter;
	char		quote;
	uint64		delimiter_bytes;	/* BYTES8(delimiter) */
	uint64		quote_bytes;	/* BYTES8(quote) */
	char		escape;			/* equal to quote unless rewritten */
	bool		at_file_start;	/* a byte-order mark may come */
	bool		finished;		/* no record will be queued any more */
	int64		stop;			/* file offset of the line where the range
								 * ends, or -1: the end of the file */
	int64		limit;			/* no byte at or after this offset is read,
								 * or -1 */
	bool		libcsv_busy;	/* libcsv is inside a record */
	bool		skipping_line;	/* passing over the rest of a bad line */
	bool		is_pipe;		/* not a regular file: reads may wait */
	Size		max_record;		/* option max_record_size */
	bool		field_quoted;	/* libcsv's current field opened with a quote */
	Decompressor *decompressor; /* NULL for a plain file */
	char	   *chunk;			/* bytes read from the file, NUL-terminated
								 * in place by the plain-line splitter */
	Size		chunk_len;
	int64		chunk_offset;	/* file offset of chunk[0] */
	Size		carry_from;		/* start of the incomplete last line */
	char	   *raw;			/* the chunk as read, before splitting, in a
								 * kept for csv_reader_raw */
	char	   *rewritten;		/* a line with escapes rewritten */

	/* state of the escape rewriting, carried across chunks */
	bool		in_quotes;
	bool		escape_pending;

	/* fields parsed so far, each NUL-terminated in values_buf */
	char	   *values_buf;
	Size		values_len;
	Size		values_size;
	CsvField  *fields;
	int			nfields;
	int			fields_size;

	/* complete records, and the next one to hand out */
	RecordSlot *records;
	int			nrecords;
	int			records_size;
	int			next_record;
	int			records_ended;	/* records before this one have an end */

	/* the record in progress */
	int			record_first_field;
	int64		record_line;
	Size		record_bytes;	/* in its fields so far */
	const char *record_malformed;

	/* line accounting */
	int64		line;			/* physical line the parser is on */
	bool		last_end_was_cr;	/* a following LF ends no new line */
	char		last_byte;		/* the last byte read so far */
};

/*
 * libcsv's allocation hooks take no context argument, so the reader whose
 * parser is running is kept here; it is set just before each libcsv call.
 */
static CsvReader *parsing_reader = NULL;

static void *
csv_realloc_hook(void *ptr, size_t size)
{
	/* a field and a closing quote; libcsv then reports CSV_ENOMEM */
	if (size > parsing_reader->max_record + 1)
		return NULL;

	/* grow by doubling: libcsv's fixed increment would be quadratic */
	parsing_reader->parser.blk_size = Min(size, parsing_reader->max_record);
	if (ptr == NULL)
		return MemoryContextAlloc(GetMemoryChunkContext(parsing_reader), size);
	return repalloc(ptr, size);
}

static void
csv_free_hook(void *ptr)
{
	pfree(ptr);
}

/*
 * libcsv trims spaces of unquoted fields unless told nothing is a space.  It
 * also does not say whether a field was quoted, which a null string needs:
 * but it asks about the first byte of every field, and later only about the
 * bytes of an unquoted field, which are never the quote, and about the byte
 * after a quote inside a quoted field, which is the quote when doubled (any
 * other makes the record bad).  So the last byte asked about before a field
 * ends tells whether it opened with a quote.
 */
static int
csv_space_hook(unsigned char c)
{
	parsing_reader->field_quoted = (c == (unsigned char) parsing_reader->quote);
	return 0;
}

static void
init_parser(CsvReader *r, char delimiter)
{
	csv_init(&r->parser, LIBCSV_OPTIONS);
	csv_set_delim(&r->parser, (unsigned char) delimiter);
	csv_set_quote(&r->parser, (unsigned char) r->quote);
	csv_set_space_func(&r->parser, csv_space_hook);
	csv_set_realloc_func(&r->parser, csv_realloc_hook);
	csv_set_free_func(&r->parser, csv_free_hook);
	csv_set_blk_size(&r->parser, 1024);
}

static void
grow_values(CsvReader *r, Size needed)
{
	Size		new_size = r->values_size;

	while (new_size < needed)
		new_size *= 2;
	r->values_buf = repalloc_huge(r->values_buf, new_size);
	r->values_size = new_size;
}

/* Make room for one more field slot. */
static inline CsvField *
new_field(CsvReader *r)
{
	if (r->nfields == r->fields_size)
	{
		r->fields_size *= 2;
		r->fields = repalloc_huge(r->fields, sizeof(CsvField) * r->fields_size);
	}
	return &r->fields[r->nfields++];
}

/* Queue the fields from record_first_field on as one record. */
static void
push_record(CsvReader *r)
{
	RecordSlot *slot;

	if (r->nrecords == r->records_size)
	{
		r->records_size *= 2;
		r->records = repalloc_huge(r->records,
								   sizeof(RecordSlot) * r->records_size);
	}
	slot = &r->records[r->nrecords++];
	slot->first_field = r->record_first_field;
	slot->nfields = r->nfields - r->record_first_field;
	slot->line = r->record_line;
	slot->malformed = r->record_malformed;
	slot->clean_ascii = false;
	slot->end_offset = -1;
	slot->end_line = -1;
	slot->terminated = false;
	r->record_first_field = r->nfields;
	r->record_malformed = NULL;
	r->record_bytes = 0;
}

/*
 * The record in progress holds more than max_record_size bytes: stop before
 * its buffers grow any further.
 */
static void
report_record_too_long(CsvReader *r)
{
	int64		line = r->nfields > r->record_first_field ?
		r->record_line : r->line;

	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("record on line " INT64_FORMAT " of file \"%s\" is longer than max_record_size (%zu bytes)",
					line, r->path, r->max_record),
			 errhint("Raise option max_record_size, or check the quoting: a quote that is never closed makes the rest of the file one field.")));
}

/*
 * The queued records that have no end yet end at stream offset 'offset',
 * where the parser is between records (libcsv is not inside one).  Only a
 * reader for ritual.ingest needs to know.
 */
static void
mark_record_ends(CsvReader *r, int64 offset, bool terminated)
{
	if (r->raw == NULL)
		return;
	for (int i = r->records_ended; i < r->nrecords; i++)
	{
		r->records[i].end_offset = offset;
		r->records[i].end_line = r->line - 1;
		r->records[i].terminated = terminated;
	}
	r->records_ended = r->nrecords;
}

/*
 * The line ends in bytes[0, len): LF, CR LF or a lone CR.  Whether a CR at
 * the end is followed by LF is seen in bytes[len, visible), if there.
 */
static int64
count_line_ends(const char *bytes, Size len, Size visible)
{
	const char *end = bytes + len;
	int64		count = 0;

	for (const char *p = bytes; (p = memchr(p, '\n', end - p)) != NULL; p++)
		count++;
	for (const char *p = bytes; (p = memchr(p, '\r', end - p)) != NULL; p++)
	{
		if (p + 1 >= bytes + visible || p[1] != '\n')
			count++;
	}
	return count;
}

/* libcsv callback: one field has been parsed. */
static void
on_field(void *data, size_t len, void *arg)
{
	CsvReader  *r = arg;
	CsvField  *slot;
	int			in_record = r->nfields - r->record_first_field;

	if (in_record == 0)
		r->record_line = r->line;
	else if (in_record >= RITUAL_MAX_FIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("record on line " INT64_FORMAT " of file \"%s\" has more than %d fields",
						r->record_line, r->path, RITUAL_MAX_FIELDS)));

	r->record_bytes += len;
	if (r->record_bytes > r->max_record)
		report_record_too_long(r);
	if (r->values_len + len + 1 > r->values_size)
		grow_values(r, r->values_len + len + 1);

	slot = new_field(r);
	slot->offset = r->values_len;
	slot->len = (int) len;
	slot->isnull = (data == NULL);
	slot->quoted = r->field_quoted;
	slot->in_chunk = false;
	if (len > 0)
	{
		memcpy(r->values_buf + r->values_len, data, len);
		/* only a quoted field can hold a line break */
		r->line += count_line_ends(data, len, len);
	}
	r->values_buf[r->values_len + len] = '\0';
	r->values_len += len + 1;
}

/* libcsv callback: a line end or the end of input closed a record. */
static void
on_record_end(int c, void *arg)
{
	CsvReader  *r = arg;
	int			nfields = r->nfields - r->record_first_field;

	if (nfields > 0)
		push_record(r);

	/* CR LF is one line end; a lone CR or LF is one too */
	if (c == '\r' || (c == '\n' && !(nfields == 0 && r->last_end_was_cr)))
		r->line++;
	r->last_end_was_cr = (c == '\r');
}

/*
 * Drop the records already handed out, keeping the fields of the record in
 * progress (always libcsv's) at the front of the buffers.
 */
static void
compact_queue(CsvReader *r)
{
	int			keep = r->nfields - r->record_first_field;
	Size		keep_from;

	if (keep > 0)
	{
		keep_from = r->fields[r->record_first_field].offset;
		memmove(r->values_buf, r->values_buf + keep_from,
				r->values_len - keep_from);
		memmove(r->fields, r->fields + r->record_first_field,
				sizeof(CsvField) * keep);
		for (int i = 0; i < keep; i++)
			r->fields[i].offset -= keep_from;
		r->values_len -= keep_from;
	}
	else
		r->values_len = 0;
	r->nfields = keep;
	r->record_first_field = 0;
	r->nrecords = 0;
	r->next_record = 0;
	r->records_ended = 0;
}

/*
 * Rewrite escape sequences inside quotes (escape+quote, escape+escape) into
 * the doubled-quote form libcsv understands, up to and including the first
 * CR or LF; *used says how much of 'in' that was.  The output is at most one
 * byte longer than the input: an escape held back from the previous call
 * may come out with the byte after it.
 */
static Size
rewrite_escapes(CsvReader *r, const char *in, Size len, char *out, Size *used)
{
	char	   *o = out;
	Size		i = 0;

	while (i < len)
	{
		char		c = in[i++];

		if (r->escape_pending)
		{
			r->escape_pending = false;
			if (c == r->quote)
			{
				*o++ = r->quote;
				*o++ = r->quote;
				continue;
			}
			*o++ = r->escape;
			if (c == r->escape)
				continue;
			/* a lone escape stands for itself; c is read normally */
		}
		if (r->in_quotes && c == r->escape)
		{
			r->escape_pending = true;
			continue;
		}
		if (c == r->quote)
			r->in_quotes = !r->in_quotes;
		*o++ = c;
		if (c == '\n' || c == '\r')
			break;
	}
	*used = i;
	return o - out;
}

/*
 * Pass over the rest of a line a stray quote made bad, which ends at its
 * first CR or LF.  Returns what follows that line end, or NULL, with
 * skipping_line set, when the line goes on past 'end'.
 */
static const char *
skip_bad_line(CsvReader *r, const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', end - p);
	const char *line_end = memchr(p, '\r', lf ? lf - p : end - p);

	if (line_end == NULL)
		line_end = lf;
	r->skipping_line = (line_end == NULL);
	if (line_end == NULL)
		return NULL;
	r->line++;
	if (*line_end == '\r' && line_end + 1 < end && line_end[1] == '\n')
		line_end++;				/* CR LF ends one line */
	/* an LF that comes next, in later bytes, ends no other line */
	r->last_end_was_cr = (*line_end == '\r');
	return line_end + 1;
}

/*
 * libcsv stopped at a stray quote: queue the record so far as malformed,
 * start libcsv afresh, and pass over the rest of the line.  Returns where
 * parsing goes on in 'rest', or NULL when the line ends in a later chunk.
 */
static const char *
reject_stray_quote(CsvReader *r, const char *rest, Size len)
{
	if (r->nfields == r->record_first_field)
		r->record_line = r->line;

	/*
	 * The bytes up to the stray quote count as a record's: a reading that
	 * stopped before the quote (an ingest batch of a file being written)
	 * would have found them too long.
	 */
	if (r->record_bytes + r->parser.entry_pos > r->max_record)
		report_record_too_long(r);
	r->record_malformed = "a quote in a field neither opens, closes nor doubles a quote";
	push_record(r);

	/* the unfinished field may hold line breaks not counted yet */
	r->line += count_line_ends((const char *) r->parser.entry_buf,
							   r->parser.entry_pos, r->parser.entry_pos);
	parsing_reader = r;
	csv_free(&r->parser);
	init_parser(r, r->delimiter);
	r->in_quotes = false;
	r->escape_pending = false;
	r->last_end_was_cr = false;
	return skip_bad_line(r, rest, rest + len);
}

/* Parse bytes with libcsv, setting aside the records of stray quotes. */
static void
parse_with_libcsv(CsvReader *r, const char *bytes, Size len)
{
	const char *end = bytes + len;

	for (const char *p = bytes; p != NULL && p < end;)
	{
		size_t		parsed;

		parsing_reader = r;
		parsed = csv_parse(&r->parser, p, end - p, on_field, on_record_end, r);
		if (parsed == (size_t) (end - p))
			break;
		if (csv_error(&r->parser) != CSV_EPARSE)
			report_record_too_long(r);	/* the field outgrew its buffer */
		p = reject_stray_quote(r, p + parsed, end - p - parsed);
	}
}

/*
 * Give bytes to libcsv, after the rest of a bad line if one is being passed
 * over.  When they end with a line break outside quotes, libcsv is between
 * records again and plain lines may be split here.
 */
static void
feed_libcsv(CsvReader *r, const char *bytes, Size len)
{
	const char *end = bytes + len;
	const char *p = bytes;

	if (r->skipping_line && (p = skip_bad_line(r, p, end)) == NULL)
		return;

	/*
	 * A stray quote makes the rewriting's count of quotes wrong until the
	 * line's end, where reject_stray_quote resets it: so each line is parsed
	 * before the next is rewritten.
	 */
	while (r->escape != r->quote && p < end)
	{
		Size		used;
		Size		rewritten = rewrite_escapes(r, p, end - p, r->rewritten,
												&used);

		parse_with_libcsv(r, r->rewritten, rewritten);
		p += used;
	}
	if (r->escape == r->quote)
		parse_with_libcsv(r, p, end - p);
	if (len > 0)
		r->libcsv_busy = !r->skipping_line &&
			!(end[-1] == '\n' && !r->parser.quoted &&
			  r->nfields == r->record_first_field && !r->escape_pending);
}

/* Eight copies of a byte, to compare eight bytes at once. */
#define BYTES8(b)		(UINT64CONST(0x0101010101010101) * (uint8) (b))
#define CR_BYTES		BYTES8('\r')

/*
 * A flag (0x80) in each byte of 'word' that is zero.  Flags above the lowest
 * one may be wrong: a borrow can carry into them.
 */
static inline uint64
zero_bytes(uint64 word)
{
	return (word - BYTES8(0x01)) & ~word & BYTES8(0x80);
}

/*
 * Whether bytes are all ASCII and none is NUL, so that they are valid text
 * in every server encoding and need no further check.
 */
static bool
is_clean_ascii(const char *bytes, Size len)
{
	uint64		flags = 0;
	Size		i = 0;

	for (; i + 8 <= len; i += 8)
	{
		uint64		word;

		memcpy(&word, bytes + i, 8);
		flags |= (word & BYTES8(0x80)) | zero_bytes(word);
	}
	for (; i < len; i++)
		flags |= (bytes[i] == '\0' || IS_HIGHBIT_SET(bytes[i]));
	return flags == 0;
}

/*
 * A quoted field that starts at 'open' and that libcsv would read as just
 * the bytes between the quotes: it closes on the same line, right before a
 * delimiter or the line's end, with no quote (nor escape) inside, and no
 * carriage return, which would end a line inside it.  Returns what follows
 * the closing quote, or NULL when libcsv must decide.
 */
static inline char *
split_quoted_field(CsvReader *r, char *open, char *end)
{
	char	   *close = memchr(open + 1, r->quote, end - open - 1);

	if (close == NULL)
		return NULL;			/* it may close on a later line */
	if (close + 1 != end && close[1] != r->delimiter)
		return NULL;			/* a doubled quote, or text after the quote */
	if (r->escape != r->quote &&
		memchr(open + 1, r->escape, close - open - 1) != NULL)
		return NULL;
	/* a lone CR inside is a line end to count: libcsv's path counts it */
	if (memchr(open + 1, '\r', close - open - 1) != NULL)
		return NULL;
	return close + 1;
}

/*
 * Queue a field split in place; false, with the line's fields dropped, when
 * the line has too many (libcsv's path then reports it).  An unquoted field
 * is NULL when empty.
 */
static inline bool
add_split_field(CsvReader *r, int first, char *start, int len, bool quoted)
{
	CsvField   *slot;

	if (r->nfields - first == RITUAL_MAX_FIELDS)
	{
		r->nfields = first;
		return false;
	}
	slot = new_field(r);
	slot->offset = start - r->chunk;
	slot->len = len;
	slot->isnull = (len == 0 && !quoted);
	slot->quoted = quoted;
	slot->in_chunk = true;
	return true;
}

/*
 * Split one line in place, if it holds no quote but around simple quoted
 * fields, and no carriage return but at its end.  'end' points at the
 * line's '\n', or just past the last byte of a file that does not end with
 * one.  False, with nothing queued, if the line needs libcsv.
 */
static bool
split_plain_line(CsvReader *r, char *line, char *end)
{
	const char	delimiter = r->delimiter;
	const char	quote = r->quote;
	char	   *field = line;
	int			first = r->nfields;
	uint64		unclean = 0;	/* flags of high-bit or NUL bytes seen */

	if (end > line && end[-1] == '\r')
		end--;
	if (end == line)
	{
		r->line++;				/* a blank line */
		return true;
	}

	for (char *c = line;; c++)
	{
		/* skip eight ordinary bytes at a time */
		while (end - c >= 8)
		{
			uint64		word;
			uint64		special;

			memcpy(&word, c, 8);
			unclean |= (word & BYTES8(0x80)) | zero_bytes(word);
			special = zero_bytes(word ^ r->delimiter_bytes) |
				zero_bytes(word ^ r->quote_bytes) |
				zero_bytes(word ^ CR_BYTES);
			if (special == 0)
				c += 8;
			else
			{
				/* the lowest flag is exact; the ones above may not be */
				c += pg_rightmost_one_pos64(special) / 8;
				break;
			}
		}
		if (c == end || *c == delimiter)
		{
			if (!add_split_field(r, first, field, c - field, false))
				return false;
			if (c == end)
				break;
			field = c + 1;
		}
		else if (*c == quote || *c == '\r')
		{
			char	   *after = (*c == quote && c == field) ?
				split_quoted_field(r, c, end) : NULL;

			/* any other quote, or a lone CR: libcsv decides */
			if (after == NULL)
			{
				r->nfields = first;
				return false;
			}
			/* a simple quoted field: its text is between the quotes */
			if (!add_split_field(r, first, field + 1, after - field - 2, true))
				return false;
			if (!is_clean_ascii(field + 1, after - field - 2))
				unclean = 1;
			c = after;
			if (c == end)
				break;
			field = c + 1;
		}
	}
	/*
	 * The eight-byte steps saw every byte but those of quoted fields and of
	 * the last few before the line's end: look at those too.
	 */
	if (end - line >= 8)
	{
		uint64		word;

		memcpy(&word, end - 8, 8);
		unclean |= (word & BYTES8(0x80)) | zero_bytes(word);
	}
	else if (!is_clean_ascii(line, end - line))
		unclean = 1;

	/* terminate every field where its delimiter or line end was */
	for (int i = first; i < r->nfields; i++)
	{
		r->chunk[r->fields[i].offset + r->fields[i].len] = '\0';
		r->record_bytes += r->fields[i].len;
	}
	r->record_first_field = first;
	r->record_line = r->line;
	if (r->record_bytes > r->max_record)
		report_record_too_long(r);
	push_record(r);
	r->records[r->nrecords - 1].clean_ascii = (unclean == 0);
	r->line++;
	return true;
}

/*
 * Whether the range ends at file offset 'offset', where a line starts; then
 * the reader of the next range starts at this line, so a record must not run
 * on across it.
 */
static bool
reached_range_end(CsvReader *r, int64 offset)
{
	if (r->stop < 0 || offset < r->stop)
		return false;
	if (r->libcsv_busy)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("a quoted field of file \"%s\" runs across byte " INT64_FORMAT ", where a parallel scan split the file",
						r->path, r->stop),
				 errdetail("The file's quotes are unbalanced before that point, so it cannot be split safely."),
				 errhint("Fix the quoting, or read the file without parallel workers: SET max_parallel_workers_per_gather = 0.")));
	r->finished = true;
	return true;
}

/*
 * Parse the complete lines chunk[from, to): each ends with '\n', except a
 * last line at the end of the file.
 */
static void
parse_lines(CsvReader *r, Size from, Size to)
{
	char	   *p = r->chunk + from;
	char	   *end = r->chunk + to;

	while (p < end)
	{
		char	   *newline;
		char	   *line_end;
		char	   *next;

		if (reached_range_end(r, r->chunk_offset + (p - r->chunk)))
			return;
		newline = memchr(p, '\n', end - p);
		line_end = newline ? newline : end;
		next = newline ? newline + 1 : end;
		if (r->skipping_line)
		{
			const char *after = skip_bad_line(r, p, end);

			p = after ? (char *) after : end;
		}
		else
		{
			/* a file's last line may end with no line break at all */
			bool		no_line_end = newline == NULL &&
				!(line_end > p && line_end[-1] == '\r');

			if (r->libcsv_busy || !split_plain_line(r, p, line_end))
				feed_libcsv(r, p, next - p);
			else if (no_line_end)
				r->line--;		/* the splitter counted one */
			p = next;
		}
		/* a last line without a line break waits for finish_parse */
		if (!r->libcsv_busy && !r->skipping_line && newline != NULL)
			mark_record_ends(r, r->chunk_offset + (p - r->chunk), true);
	}
}

/*
 * End of file: flush the last record, which may lack a line end.
 * 'line_end_last' says whether the file's last byte is an LF.  A CR there
 * does not end the record for good: in a file being written it may be the
 * first half of a CR LF, whose LF a later read would count as one more line.
 */
static void
finish_parse(CsvReader *r, bool line_end_last)
{
	int			queued;

	if (r->escape_pending)
	{
		r->escape_pending = false;
		parsing_reader = r;
		csv_parse(&r->parser, &r->escape, 1, on_field, on_record_end, r);
	}

	parsing_reader = r;

	/*
	 * Strict checking at the very end tells an unclosed quote from a field
	 * that ends the file without a line break.
	 */
	csv_set_opts(&r->parser, LIBCSV_OPTIONS | CSV_STRICT_FINI);
	queued = r->nrecords;
	if (csv_fini(&r->parser, on_field, on_record_end, r) != 0)
	{
		r->record_malformed = "a quoted field is not closed before the end of the file";
		csv_set_opts(&r->parser, LIBCSV_OPTIONS & ~CSV_STRICT);
		csv_fini(&r->parser, on_field, on_record_end, r);
		/* what follows the stray quote is not a value */
		r->fields[r->nfields - 1].isnull = true;
	}

	/*
	 * A record that only the end of the file closed may still be growing in
	 * a file being written, and so may the records before it on its line;
	 * but a compressed stream that decompressed to its end is complete (one
	 * cut short is an error), so its last record is whole.
	 */
	mark_record_ends(r, r->chunk_offset + r->chunk_len,
					 r->decompressor != NULL ||
					 (line_end_last && r->nrecords == queued));
	r->finished = true;
}

/*
 * read() that a cancel can interrupt.  A regular file never makes it wait,
 * but a pipe or a device can, and PostgreSQL's signal handlers restart a
 * blocked read: so the file is open non-blocking, and while there is nothing
 * to read we wait in short polls, checking for interrupts between them.  A
 * pipe that reads empty is at its end only once a writer has come and gone.
 */
static ssize_t
read_waiting(void *arg, char *buffer, Size len)
{
	CsvReader  *r = arg;

	for (;;)
	{
		ssize_t		nread = read(r->fd, buffer, len);
		struct pollfd pfd = {r->fd, POLLIN, 0};

		if (nread > 0 || (nread == 0 && !r->is_pipe))
			return nread;
		if (nread < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			errno != EINTR)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", r->path)));
		if (nread == 0 && poll(&pfd, 1, 0) > 0 &&
			(pfd.revents & (POLLHUP | POLLIN)) == POLLHUP)
			return 0;			/* the writer has closed the pipe */
		(void) poll(&pfd, 1, 100);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Read the next chunk and parse its complete lines; at the end of the file,
 * parse what is left and finish.
 */
static void
read_chunk(CsvReader *r)
{
	Size		carry = r->chunk_len - r->carry_from;
	Size		want = READ_CHUNK_SIZE - carry;
	ssize_t		nread = 0;
	char	   *last_newline;

	CHECK_FOR_INTERRUPTS();
	memmove(r->chunk, r->chunk + r->carry_from, carry);
	r->chunk_offset += r->carry_from;
	r->chunk_len = carry;
	r->carry_from = 0;

	if (r->limit >= 0)
		want = Min(want, (Size) Max(r->limit - r->chunk_offset - (int64) carry, 0));
	if (want > 0 && r->decompressor)
		nread = decompress_read(r->decompressor, r->chunk + carry, want,
								read_waiting, r);
	else if (want > 0)
		nread = read_waiting(r, r->chunk + carry, want);
	r->chunk_len += nread;

	if (r->at_file_start && nread > 0)
	{
		/* a pipe may hand over the first bytes one at a time */
		if (r->chunk_len < 3 &&
			memcmp(r->chunk, UTF8_BOM, r->chunk_len) == 0)
			return;
		r->at_file_start = false;
		if (r->chunk_len >= 3 && memcmp(r->chunk, UTF8_BOM, 3) == 0)
		{
			r->chunk_len -= 3;
			r->chunk_offset += 3;
			memmove(r->chunk, r->chunk + 3, r->chunk_len);
		}
	}

	if (r->chunk_len > 0)
		r->last_byte = r->chunk[r->chunk_len - 1];
	if (r->raw)
		memcpy(r->raw, r->chunk, r->chunk_len);

	if (nread == 0)
	{
		/* the end of the file: its last line may have no line break */
		parse_lines(r, 0, r->chunk_len);
		r->carry_from = r->chunk_len;
		if (!r->finished)
			finish_parse(r, r->last_byte == '\n');
		return;
	}

	last_newline = memrchr(r->chunk, '\n', r->chunk_len);
	if (last_newline == NULL && r->chunk_len < READ_CHUNK_SIZE)
	{
		/* no line break yet: read more before parsing */
		r->carry_from = 0;
		return;
	}
	if (last_newline == NULL)
	{
		/* a line longer than a chunk: libcsv keeps the part in progress */
		if (reached_range_end(r, r->chunk_offset))
			return;
		feed_libcsv(r, r->chunk, r->chunk_len);
		r->carry_from = r->chunk_len;
		return;
	}
	r->carry_from = last_newline + 1 - r->chunk;
	parse_lines(r, 0, r->carry_from);
}

/*
 * A compressed stream cannot seek: decompress and drop its first 'start'
 * bytes, which an earlier read has already taken.
 */
static void
skip_decompressed(CsvReader *r, int64 start)
{
	int64		skipped = 0;

	while (skipped < start)
	{
		Size		nread = decompress_read(r->decompressor, r->chunk,
											(Size) Min((int64) READ_CHUNK_SIZE,
													   start - skipped),
											read_waiting, r);

		if (nread == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" decompresses to " INT64_FORMAT " bytes, fewer than the " INT64_FORMAT " read from it before",
							r->path, skipped, start),
					 errhint("The file was replaced by a shorter one.")));
		skipped += nread;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * csv_reader_open
 *		Open 'path' to read the records that start in [start, stop): start
 *		must be where a line begins, stop a line start or -1 for the end of
 *		the file.  Line numbers count from 1 at 'start'.  The reader lives in
 *		the current memory context.
 */
CsvReader *
csv_reader_open(const char *path, const RitualOptions *opts, int64 start,
				int64 stop)
{
	CsvReader  *r = palloc0(sizeof(CsvReader));
	struct stat st;

	r->path = path;
	r->fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (r->fd < 0 && errno == ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path),
				 errhint("The file was listed when the scan started; it may have been moved or deleted since.")));
	if (r->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));

	if (fstat(r->fd, &st) == 0)
		r->is_pipe = !S_ISREG(st.st_mode);
	r->decompressor =
		decompress_begin(ritual_compression_of(opts->compression, path), path);
	if (start > 0 && r->decompressor == NULL &&
		lseek(r->fd, (off_t) start, SEEK_SET) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not seek to byte " INT64_FORMAT " of file \"%s\": %m",
						start, path)));
	r->chunk_offset = start;
	r->stop = stop;
	r->limit = -1;
	r->delimiter = opts->delimiter;
	r->quote = opts->quote;
	r->delimiter_bytes = BYTES8(opts->delimiter);
	r->quote_bytes = BYTES8(opts->quote);
	r->escape = opts->escape;
	/* libcsv's field buffer, one byte longer, is allocated normally */
	r->max_record = Min(opts->max_record_size, (int64) MaxAllocSize - 1);
	init_parser(r, opts->delimiter);
	r->at_file_start = (start == 0);
	/* one spare byte: the splitter may terminate a last line in place */
	r->chunk = palloc(READ_CHUNK_SIZE + 1);
	if (r->escape != r->quote)
		r->rewritten = palloc(READ_CHUNK_SIZE + 1);

	r->values_size = 64 * 1024;
	r->values_buf = palloc(r->values_size);
	r->fields_size = 1024;
	r->fields = palloc(sizeof(CsvField) * r->fields_size);
	r->records_size = 256;
	r->records = palloc(sizeof(RecordSlot) * r->records_size);
	r->line = 1;
	if (start > 0 && r->decompressor)
		skip_decompressed(r, start);
	return r;
}

/*
 * csv_reader_for_ingest
 *		Read as ritual.ingest does: no byte at or after stream offset
 *		'limit' (what a file being appended to held when it was listed, or
 *		-1), each record's end known, and its bytes available to
 *		csv_reader_raw.
 */
void
csv_reader_for_ingest(CsvReader *r, int64 limit)
{
	r->limit = limit;
	if (r->raw == NULL)
		r->raw = palloc(READ_CHUNK_SIZE + 1);
}

/*
 * csv_reader_raw
 *		The bytes of stream range [from, to) as read, if they are still in
 *		the reader's chunk (a record handed out last lies there unless it is
 *		longer than a chunk); else NULL.  Needs csv_reader_for_ingest.
 */
const char *
csv_reader_raw(CsvReader *r, int64 from, int64 to)
{
	if (r->raw == NULL || from < r->chunk_offset ||
		to > r->chunk_offset + (int64) r->chunk_len || from > to)
		return NULL;
	return r->raw + (from - r->chunk_offset);
}

/*
 * csv_reader_next
 *		Fill 'record' with the next record; false at the end of the file.
 *		Blank lines are skipped.
 */
bool
csv_reader_next(CsvReader *r, CsvRecord *record)
{
	RecordSlot *slot;

	while (r->next_record >= r->nrecords)
	{
		if (r->finished)
			return false;
		compact_queue(r);
		read_chunk(r);
	}

	slot = &r->records[r->next_record++];
	record->nfields = slot->nfields;
	record->fields = &r->fields[slot->first_field];
	record->chunk = r->chunk;
	record->values = r->values_buf;
	record->line = slot->line;
	record->malformed = slot->malformed;
	record->clean_ascii = slot->clean_ascii;
	record->end_offset = slot->end_offset;
	record->end_line = slot->end_line;
	record->terminated = slot->terminated;
	return true;
}

/*
 * csv_reader_close
 *		Close the file and free everything the reader holds.
 */
void
csv_reader_close(CsvReader *r)
{
	if (r->fd >= 0 && CloseTransientFile(r->fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", r->path)));
	r->fd = -1;
	if (r->decompressor)
		decompress_end(r->decompressor);
	parsing_reader = r;
	csv_free(&r->parser);
	pfree(r->chunk);
	if (r->raw)
		pfree(r->raw);
	if (r->rewritten)
		pfree(r->rewritten);
	pfree(r->values_buf);
	pfree(r->fields);
	pfree(r->records);
	pfree(r);
}

#ifndef PREFIX_BUFFER_SIZE
#define PREFIX_BUFFER_SIZE	(1024 * 1024)
#endif

/* pread() that retries on EINTR; raises an error naming the file. */
static ssize_t
read_at(int fd, const char *path, char *buffer, Size len, int64 offset)
{
	ssize_t		nread;

	do
		nread = pread(fd, buffer, len, (off_t) offset);
	while (nread < 0 && errno == EINTR);
	if (nread < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	return nread;
}

/*
 * csv_record_start_at_or_after
 *		Where the first record that starts at or after 'offset' begins,
 *		judged as a parallel scan must, without parsing from the start of the
 *		file: just after the first line break at or after 'offset' with an
 *		even number of quotes before it.  In a well-quoted file that is a
 *		line break outside quotes; the reader checks that it agrees when it
 *		gets there.  Returns the file's size when no record starts there.
 *		'cache' carries the quote count forward between calls with growing
 *		offsets on one file.
 */
int64
csv_record_start_at_or_after(const char *path, char quote, int64 offset,
							 CsvPrefixCount *cache)
{
	char	   *buffer = palloc(PREFIX_BUFFER_SIZE);
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	int64		position;
	bool		in_quotes;

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	if (cache->offset > offset)
		memset(cache, 0, sizeof(CsvPrefixCount));

	/* count the quotes before 'offset' */
	while (cache->offset < offset)
	{
		ssize_t		nread = read_at(fd, path, buffer,
									Min(PREFIX_BUFFER_SIZE,
										offset - cache->offset),
									cache->offset);
		const char *p = buffer;
		const char *end = buffer + nread;

		if (nread == 0)
			break;
		while ((p = memchr(p, quote, end - p)) != NULL)
		{
			cache->count++;
			p++;
		}
		cache->offset += nread;
		CHECK_FOR_INTERRUPTS();
	}

	/* then look for a line break outside quotes */
	in_quotes = (cache->count % 2) != 0;
	for (position = offset;;)
	{
		ssize_t		nread = read_at(fd, path, buffer, PREFIX_BUFFER_SIZE,
									position);
		int64		found = -1;

		if (nread == 0)
			break;				/* the end of the file */
		for (ssize_t i = 0; i < nread && found < 0; i++)
		{
			if (buffer[i] == quote)
				in_quotes = !in_quotes;
			else if (buffer[i] == '\n' && !in_quotes)
				found = position + i + 1;
		}
		if (found >= 0)
		{
			position = found;
			break;
		}
		position += nread;
		CHECK_FOR_INTERRUPTS();
	}

	CloseTransientFile(fd);
	pfree(buffer);
	return position;
}

/*
 * csv_count_line_ends
 *		The line ends (LF, CR LF or a lone CR, as the reader counts them) in
 *		the first 'upto' bytes of a file, or -1 on an I/O error.  'cache'
 *		carries the count forward between calls with growing 'upto'.
 *		It raises no error, as it also runs inside an error-context callback.
 */
int64
csv_count_line_ends(const char *path, int64 upto, CsvPrefixCount *cache)
{
	char	   *buffer = malloc(PREFIX_BUFFER_SIZE + 1);
	int			fd = -1;
	int64		result = -1;

	if (buffer == NULL)
		return -1;
	fd = open(path, O_RDONLY | PG_BINARY, 0);
	if (fd < 0)
		goto done;
	if (cache->offset > upto)
		memset(cache, 0, sizeof(CsvPrefixCount));
	while (cache->offset < upto)
	{
		/* read one byte more, to see whether a CR is followed by LF */
		Size		want = Min(PREFIX_BUFFER_SIZE, upto - cache->offset);
		ssize_t		nread = pread(fd, buffer, want + 1, (off_t) cache->offset);
		Size		counted;

		if (nread <= 0)
			break;
		counted = Min((Size) nread, want);
		cache->count += count_line_ends(buffer, counted, nread);
		cache->offset += counted;
	}
	result = cache->count;

done:
	if (fd >= 0)
		close(fd);
	free(buffer);
	return result;
}
