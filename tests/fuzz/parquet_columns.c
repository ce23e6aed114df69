/*-------------------------------------------------------------------------
 *
 * parquet_columns.c
 *		  Driving src/readers/parquet/column.c outside a server, for the
 *		  Parquet pages fuzzer and the dump program (see parquet_columns.h).
 *
 * What the scan will do, in small: the footer read by footer.c, each leaf
 * of the schema with its maximum definition level (a leaf under a REPEATED
 * field is not flat and is left out), and each chunk read to its end
 * through a read_at over the bytes in memory, all of a file's chunks into
 * one set of page buffers (as a column's row groups share theirs, so that
 * a page smaller than the one before is read over its leftovers).  Each
 * chunk must give exactly its row group's rows, or raise an ERROR.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "parquet_columns.h"
#include "shim.h"

int64		parquet_max_rows = PG_INT64_MAX;

typedef struct Memory
{
	const char *data;
	size_t		size;
	int64		chunk_start;	/* reads must stay within the chunk */
	int64		chunk_end;
} Memory;

/* ParquetReadAt over bytes in memory, which must be the chunk's */
static void
memory_read_at(void *arg, char *buffer, size_t len, int64 offset)
{
	Memory	   *m = arg;

	if (offset < m->chunk_start || offset > m->chunk_end ||
		(int64) len > m->chunk_end - offset)
		fuzz_fail("read_at of %zu bytes at " INT64_FORMAT " outside the column chunk, bytes " INT64_FORMAT " to " INT64_FORMAT,
				  len, offset, m->chunk_start, m->chunk_end);
	memcpy(buffer, m->data + offset, len);
}

void
chunk_settings(const uint8 *data, ChunkSettings *s)
{
	s->type = (ParquetType) (data[1] % 8);
	s->codec = data[2] % 8;
	s->max_definition_level = data[3] % 4;
	s->type_length = data[4] | (data[5] << 8);
	s->num_rows = (int64) data[6] | ((int64) data[7] << 8) |
		((int64) data[8] << 16) | ((int64) data[9] << 24);
	s->batch = 1 + data[10];
}

/* Read one chunk to its end: the rows must be num_rows. */
static void
read_chunk(ParquetFileAccess *file, const ParquetColumnChunk *chunk,
		   ParquetType type, int32 type_length, int max_definition_level,
		   int64 num_rows, int batch, int row_group, int column,
		   const char *name, ParquetPageBuffers *buffers, ColumnBatch visit,
		   void *arg)
{
	ParquetColumnReader *reader;
	ParquetPlain *values = palloc(sizeof(ParquetPlain) * batch);
	bool	   *isnull = palloc(sizeof(bool) * batch);
	int32	   *index = palloc(sizeof(int32) * batch);
	int64		rows = 0;
	int			n;
	Memory	   *m = file->arg;
	const ParquetColumnMetaData *meta = &chunk->meta_data;

	/* where column.c must start, and its chunk's bytes */
	m->chunk_start = meta->data_page_offset;
	if (meta->has_dictionary_page_offset && meta->dictionary_page_offset > 0 &&
		meta->dictionary_page_offset < m->chunk_start)
		m->chunk_start = meta->dictionary_page_offset;
	m->chunk_end = m->chunk_start + Min(meta->total_compressed_size,
										PG_INT64_MAX - m->chunk_start);
	reader = parquet_column_open(file, chunk, type, type_length,
								 max_definition_level, num_rows, buffers);
	do
	{
		n = parquet_column_read(reader, batch, values, isnull, index);
		if (n < 0 || n > batch)
			fuzz_fail("parquet_column_read returned %d rows, asked for %d", n, batch);
		for (int i = 0; i < n; i++)
		{
			if (index[i] < -1 || index[i] >= parquet_column_dictionary_size(reader) ||
				(isnull[i] && index[i] != -1))
				fuzz_fail("row %d has dictionary index %d (NULL: %d), of a dictionary of %d values",
						  i, index[i], isnull[i], parquet_column_dictionary_size(reader));
			/* a row with an index has its value in the dictionary only */
			if (index[i] >= 0)
				values[i] = *parquet_column_dictionary_value(reader, index[i]);
		}
		rows += n;
		visit(arg, row_group, column, name, type, values, isnull, n);
	} while (n > 0 && rows < parquet_max_rows);
	if (n > 0)
	{
		parquet_column_close(reader);
		return;
	}
	if (rows != num_rows)
		fuzz_fail("a column chunk gave " INT64_FORMAT " rows, not its " INT64_FORMAT,
				  rows, num_rows);
	/* once at its end, it stays there */
	if (parquet_column_read(reader, batch, values, isnull, NULL) != 0)
		fuzz_fail("parquet_column_read gave rows after its end");
	parquet_column_close(reader);
	pfree(values);
	pfree(isnull);
	pfree(index);
}

void
read_chunk_pages(const ChunkSettings *s, const char *data, size_t size,
				 ColumnBatch visit, void *arg)
{
	Memory		m = {data, size, 0, 0};
	ParquetFileAccess file = {memory_read_at, &m, (int64) size};
	ParquetColumnChunk chunk;

	memset(&chunk, 0, sizeof(chunk));
	chunk.has_meta_data = true;
	chunk.meta_data.type = s->type;
	chunk.meta_data.codec = s->codec;
	chunk.meta_data.num_values = s->num_rows;
	chunk.meta_data.total_compressed_size = size;
	chunk.meta_data.total_uncompressed_size = size;
	read_chunk(&file, &chunk, s->type, s->type_length, s->max_definition_level,
			   s->num_rows, s->batch, 0, 0, "chunk", NULL, visit, arg);
}

/*
 * The schema's leaves from element *i on (the subtree of one element),
 * with their maximum definition levels; -1 for a leaf that is not flat.
 */
static void
walk_schema(const ParquetFileMetaData *md, int *i, int level, bool repeated,
			int *leaves, int *levels, int *count)
{
	const ParquetSchemaElement *e;
	int			children;

	if (*i >= md->num_schema)
		return;
	e = &md->schema[(*i)++];
	if (e->has_repetition_type && e->repetition_type == 1)
		level++;
	if (e->has_repetition_type && e->repetition_type == 2)
		repeated = true;
	children = e->has_num_children ? e->num_children : 0;
	if (children <= 0)
	{
		leaves[*count] = *i - 1;
		levels[*count] = repeated ? -1 : level;
		(*count)++;
		return;
	}
	for (int c = 0; c < children && *i < md->num_schema; c++)
		walk_schema(md, i, level, repeated, leaves, levels, count);
}

int
read_file_columns(const char *path, const char *data, size_t size, int batch,
				  ColumnBatch visit, void *arg)
{
	ParquetFileMetaData *md = parquet_read_footer(path);
	Memory		m = {data, size, 0, 0};
	ParquetFileAccess file = {memory_read_at, &m, (int64) size};
	int		   *leaves = palloc(sizeof(int) * Max(md->num_schema, 1));
	int		   *levels = palloc(sizeof(int) * Max(md->num_schema, 1));
	int			count = 0;
	int			chunks = 0;
	int			i = 1;
	ParquetPageBuffers buffers = {CurrentMemoryContext};

	/* the root's children, each a subtree */
	if (md->num_schema > 0)
	{
		int			roots = md->schema[0].has_num_children ? md->schema[0].num_children : 0;

		for (int c = 0; c < roots && i < md->num_schema; c++)
			walk_schema(md, &i, 0, false, leaves, levels, &count);
	}
	for (int g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		for (int c = 0; c < rg->num_columns && c < count; c++)
		{
			const ParquetSchemaElement *leaf = &md->schema[leaves[c]];

			if (levels[c] < 0 || !leaf->has_type)
				continue;
			read_chunk(&file, &rg->columns[c], leaf->type,
					   leaf->has_type_length ? leaf->type_length : 0,
					   levels[c], rg->num_rows, batch, g, c, leaf->name,
					   &buffers, visit, arg);
			chunks++;
		}
	}
	return chunks;
}
