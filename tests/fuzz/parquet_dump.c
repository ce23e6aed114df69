/*-------------------------------------------------------------------------
 *
 * parquet_dump.c
 *		  Print the values of every flat column of a Parquet file, as
 *		  src/readers/parquet/column.c reads them, for tests/parquet_pages.sh
 *		  to compare with DuckDB's reading of the same file.
 *
 *		  parquet_dump [--batch N] FILE       a Parquet file
 *		  parquet_dump [--batch N] --chunk FILE   a parquet_pages_fuzz
 *		                                          chunk-mode input
 *
 * One line per value: the column's number (from 0), a tab, the value:
 * integers in decimal, BOOLEAN as 0 or 1, FLOAT and DOUBLE with %.17g,
 * byte values in lower-case hex, NULL as NULL; a row group's columns one
 * after the other, then the next row group's (sort -s -k1,1n puts each
 * column's values together, in order).  An ERROR is printed to stderr, with exit status 1.  Built with
 * the fuzzers by tests/fuzz.sh --build, against tests/fuzz/shim.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "parquet_columns.h"
#include "shim.h"

typedef struct Dump
{
	const char *path;
	char	   *data;
	size_t		size;
	bool		chunk;
	int			batch;
} Dump;

static void
print_batch(void *arg, int row_group, int column, const char *name,
			ParquetType type, const ParquetPlain *values, const bool *isnull,
			int rows)
{
	for (int i = 0; i < rows; i++)
	{
		printf("%d\t", column);
		if (isnull[i])
			printf("NULL");
		else
			switch (type)
			{
				case PARQUET_BOOLEAN:
				case PARQUET_INT32:
					printf("%d", values[i].i32);
					break;
				case PARQUET_INT64:
					printf(INT64_FORMAT, values[i].i64);
					break;
				case PARQUET_FLOAT:
					printf("%.17g", (double) values[i].f32);
					break;
				case PARQUET_DOUBLE:
					printf("%.17g", values[i].f64);
					break;
				default:
					for (int b = 0; b < values[i].bytes.len; b++)
						printf("%02x", (uint8) values[i].bytes.data[b]);
					break;
			}
		putchar('\n');
	}
}

static void
dump(void *arg)
{
	Dump	   *d = arg;

	if (d->chunk)
	{
		ChunkSettings s;

		if (d->size < CHUNK_SETTINGS)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("a chunk input has %d bytes of settings", CHUNK_SETTINGS)));
		chunk_settings((const uint8 *) d->data, &s);
		s.batch = d->batch;
		read_chunk_pages(&s, d->data + CHUNK_SETTINGS, d->size - CHUNK_SETTINGS,
						 print_batch, NULL);
	}
	else
		read_file_columns(d->path, d->data, d->size, d->batch, print_batch, NULL);
}

int
main(int argc, char **argv)
{
	Dump		d = {NULL, NULL, 0, false, 1000};
	FILE	   *f;
	struct stat st;
	int			i = 1;
	bool		ok;

	for (; i < argc && argv[i][0] == '-'; i++)
	{
		if (strcmp(argv[i], "--chunk") == 0)
			d.chunk = true;
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
		{
			d.batch = atoi(argv[++i]);
			d.batch = Max(d.batch, 1);
		}
		else
			break;
	}
	if (i != argc - 1)
	{
		fprintf(stderr, "usage: parquet_dump [--batch N] [--chunk] FILE\n");
		return 2;
	}
	d.path = argv[i];
	f = fopen(d.path, "rb");
	if (f == NULL || fstat(fileno(f), &st) != 0)
	{
		fprintf(stderr, "parquet_dump: cannot open %s: %m\n", d.path);
		return 2;
	}
	d.size = st.st_size;
	d.data = malloc(Max(d.size, 1));
	if (d.data == NULL || fread(d.data, 1, d.size, f) != d.size)
	{
		fprintf(stderr, "parquet_dump: cannot read %s\n", d.path);
		return 2;
	}
	fclose(f);
	ok = fuzz_run(dump, &d);
	free(d.data);
	fflush(stdout);
	if (!ok)
		fprintf(stderr, "ERROR: %s\n", fuzz_error_message());
	return ok ? 0 : 1;
}
