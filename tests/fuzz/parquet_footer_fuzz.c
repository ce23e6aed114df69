/*-------------------------------------------------------------------------
 *
 * parquet_footer_fuzz.c
 *		  libFuzzer harness of the Parquet footer: the Thrift compact-protocol
 *		  decoder (src/readers/parquet/thrift.c), FileMetaData
 *		  (metadata.c), the file's magic and length (footer.c) and the text
 *		  of statistics (values.c).
 *
 * The input is a footer, the encoded FileMetaData.  It is decoded from
 * memory, and read again from a file made of it (PAR1, the footer, its
 * length, PAR1): both must succeed, or both raise the same ERROR.  When it
 * decodes, every count is one the bytes could hold, and every name and
 * every statistic's text is NUL-free valid UTF-8.  A lie about a length or
 * a count must be an ERROR, never an allocation the input does not
 * justify: libFuzzer's -rss_limit_mb and -malloc_limit_mb catch those.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "readers/parquet/parquet.h"
#include "shim.h"

typedef struct Reading
{
	const char *data;			/* the footer */
	size_t		len;
	const char *path;			/* the file made of it, also named in errors */
	bool		from_file;
} Reading;

static void
check_text(const char *what, const char *text)
{
	if (text != NULL &&
		pg_encoding_verifymbstr(PG_UTF8, text, strlen(text)) != (int) strlen(text))
		fuzz_fail("%s is not valid UTF-8", what);
}

/* a count decoded from 'len' bytes: each element takes a byte at least */
static void
check_count(const char *what, int count, size_t len)
{
	if (count < 0 || (size_t) count > len)
		fuzz_fail("%s has %d elements in a footer of %zu bytes", what, count, len);
}

/* the schema's leaves, as ritual.parquet_metadata() maps them to columns */
static const ParquetSchemaElement *
leaf_of(const ParquetFileMetaData *md, int column)
{
	for (int i = 1; i < md->num_schema; i++)
	{
		const ParquetSchemaElement *e = &md->schema[i];

		if ((!e->has_num_children || e->num_children == 0) && column-- == 0)
			return e;
	}
	return NULL;
}

static void
check_metadata(const ParquetFileMetaData *md, size_t len)
{
	check_count("schema", md->num_schema, len);
	check_count("row_groups", md->num_row_groups, len);
	check_count("key_value_metadata", md->num_key_value, len);
	for (int i = 0; i < md->num_schema; i++)
	{
		if (md->schema[i].name == NULL)
			fuzz_fail("schema element %d has no name", i);
		check_text("a schema element's name",
				   parquet_value_text(NULL, PARQUET_BYTE_ARRAY,
									  &(ParquetValue) {md->schema[i].name,
													   strlen(md->schema[i].name)}));
	}
	for (int g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		check_count("columns", rg->num_columns, len);
		for (int c = 0; c < rg->num_columns; c++)
		{
			const ParquetColumnMetaData *m = &rg->columns[c].meta_data;
			const ParquetSchemaElement *leaf = leaf_of(md, c);
			const ParquetValue *values[] = {
				&m->statistics.min, &m->statistics.max,
				&m->statistics.min_value, &m->statistics.max_value
			};

			check_count("encodings", m->num_encodings, len);
			check_count("path_in_schema", m->path_length, len);
			for (int p = 0; p < m->path_length; p++)
				if (m->path_in_schema[p] == NULL)
					fuzz_fail("path_in_schema has a hole");
			/* every type with every leaf, as a lying file may pair them */
			for (int v = 0; v < (int) lengthof(values); v++)
				for (int type = PARQUET_BOOLEAN; type <= PARQUET_FIXED_LEN_BYTE_ARRAY + 1; type++)
					check_text("a statistic's text",
							   parquet_value_text(leaf, (ParquetType) type, values[v]));
		}
	}
}

static void
read_footer(void *arg)
{
	Reading    *r = arg;
	ParquetFileMetaData *md;

	if (r->from_file)
		md = parquet_read_footer(r->path);
	else
		md = parquet_decode_metadata(r->data, r->len, r->path);
	check_metadata(md, r->len);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	static char path[MAXPGPATH];
	static char *file;
	static char memory_error[1024];
	Reading		r = {(const char *) data, size, path, false};
	bool		in_memory,
				in_file;

	if (path[0] == '\0')
	{
		snprintf(path, sizeof(path), "%s/input.parquet", fuzz_scratch_dir());
		file = malloc(4096 + 12);
	}
	if (size > 4096)
		return -1;

	in_memory = fuzz_run(read_footer, &r);
	if (!in_memory)
		strlcpy(memory_error, fuzz_error_message(), sizeof(memory_error));

	memcpy(file, "PAR1", 4);
	memcpy(file + 4, data, size);
	file[4 + size] = (char) (size & 0xff);
	file[5 + size] = (char) ((size >> 8) & 0xff);
	file[6 + size] = (char) ((size >> 16) & 0xff);
	file[7 + size] = (char) ((size >> 24) & 0xff);
	memcpy(file + 8 + size, "PAR1", 4);
	fuzz_write_file(path, file, size + 12);
	r.from_file = true;
	in_file = fuzz_run(read_footer, &r);

	/* an empty footer is refused by the file reader only */
	if (size == 0)
		return 0;
	if (in_memory != in_file ||
		(!in_file && strcmp(memory_error, fuzz_error_message()) != 0))
		fuzz_fail("decoded from memory the footer %s%s; read from a file it %s%s",
				  in_memory ? "decodes" : "raises: ", in_memory ? "" : memory_error,
				  in_file ? "decodes" : "raises: ", in_file ? "" : fuzz_error_message());
	return 0;
}
