/*-------------------------------------------------------------------------
 *
 * parallel.c
 *		  The state a parallel scan shares in dynamic shared memory: the files,
 *		  the units of work the processes claim (a whole file, or a block of
 *		  a large one), and the totals they report back.
 *
 * Units are claimed in order with one atomic counter, so each process sees
 * the units of a file with growing offsets and can carry its counts of the
 * file's prefix forward.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/atomics.h"
#include "storage/spin.h"

#include "ritual.h"

/*
 * A file larger than two blocks is split into blocks of this size (GUC
 * ritual.parallel_block_size, in kB).
 */
int			ritual_parallel_block_kb = 16 * 1024;

#define FIRST_BAD_SIZE		1024

typedef struct SharedFile
{
	int64		size;
	int			first_unit;		/* index of the file's first unit */
	int			nunits;
	Size		path_offset;	/* in RitualParallelState.data */
} SharedFile;

struct RitualParallelState
{
	pg_atomic_uint32 next_unit;
	pg_atomic_uint64 bad_rows;
	pg_atomic_uint32 files_read;
	pg_atomic_uint64 row_groups_read;
	pg_atomic_uint64 row_groups_skipped;
	pg_atomic_uint64 rows_skipped;
	pg_atomic_uint64 bytes_read;
	int64		block_size;		/* the leader's setting, for all */
	int			nfiles;
	int			nunits;

	/* the first bad row by file then line, with where and why */
	slock_t		mutex;
	int			first_bad_file;	/* -1: none yet */
	int64		first_bad_line;
	char		first_bad[FIRST_BAD_SIZE];

	/* SharedFile files[nfiles], then the NUL-terminated paths */
	char		data[FLEXIBLE_ARRAY_MEMBER];
};

static inline SharedFile *
shared_files(RitualParallelState *ps)
{
	return (SharedFile *) ps->data;
}

/*
 * A file is split into blocks when it is large, and when a block's first
 * record can be found from the middle: not in a compressed file, nor when an
 * escape other than the quote hides quotes from the quote count.
 */
static int
units_of_file(const RitualFile *file, const RitualOptions *opts,
			  int64 block_size)
{
	if (opts->escape != opts->quote ||
		ritual_compression_of(opts->compression, file->path) != RITUAL_COMPRESSION_NONE ||
		file->size <= 2 * block_size)
		return 1;
	return (int) Min((file->size + block_size - 1) / block_size, PG_INT32_MAX);
}

/*
 * ritual_parallel_size
 *		The shared memory a parallel scan of 'files' needs.
 */
Size
ritual_parallel_size(List *files)
{
	Size		size = offsetof(RitualParallelState, data);
	ListCell   *lc;

	size = add_size(size, mul_size(sizeof(SharedFile), list_length(files)));
	foreach(lc, files)
		size = add_size(size, strlen(((RitualFile *) lfirst(lc))->path) + 1);
	return size;
}

/*
 * ritual_parallel_init
 *		Lay out 'files' and their units.
 */
void
ritual_parallel_init(RitualParallelState *ps, List *files,
					 const RitualOptions *opts)
{
	SharedFile *shared;
	char	   *paths;
	Size		path_offset;
	int			nunits = 0;
	ListCell   *lc;

	ps->nfiles = list_length(files);
	ps->block_size = (int64) ritual_parallel_block_kb * 1024;
	shared = shared_files(ps);
	path_offset = sizeof(SharedFile) * ps->nfiles;
	paths = ps->data;
	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		SharedFile *sf = &shared[foreach_current_index(lc)];

		sf->size = file->size;
		sf->first_unit = nunits;
		sf->nunits = units_of_file(file, opts, ps->block_size);
		sf->path_offset = path_offset;
		strcpy(paths + path_offset, file->path);
		path_offset += strlen(file->path) + 1;
		nunits += sf->nunits;
	}
	ps->nunits = nunits;
	SpinLockInit(&ps->mutex);
	pg_atomic_init_u32(&ps->next_unit, 0);
	pg_atomic_init_u64(&ps->bad_rows, 0);
	pg_atomic_init_u32(&ps->files_read, 0);
	pg_atomic_init_u64(&ps->row_groups_read, 0);
	pg_atomic_init_u64(&ps->row_groups_skipped, 0);
	pg_atomic_init_u64(&ps->rows_skipped, 0);
	pg_atomic_init_u64(&ps->bytes_read, 0);
	ps->first_bad_file = -1;
}

/*
 * ritual_parallel_reinit
 *		Start over, for a rescan.
 */
void
ritual_parallel_reinit(RitualParallelState *ps)
{
	pg_atomic_write_u32(&ps->next_unit, 0);
	pg_atomic_write_u64(&ps->bad_rows, 0);
	pg_atomic_write_u32(&ps->files_read, 0);
	pg_atomic_write_u64(&ps->row_groups_read, 0);
	pg_atomic_write_u64(&ps->row_groups_skipped, 0);
	pg_atomic_write_u64(&ps->rows_skipped, 0);
	pg_atomic_write_u64(&ps->bytes_read, 0);
	ps->first_bad_file = -1;
}

/*
 * ritual_parallel_files
 *		The files of the scan, for a worker: the very list the leader found.
 */
List *
ritual_parallel_files(RitualParallelState *ps)
{
	List	   *files = NIL;

	for (int i = 0; i < ps->nfiles; i++)
	{
		SharedFile *sf = &shared_files(ps)[i];
		RitualFile *file = palloc(sizeof(RitualFile));

		file->path = pstrdup(ps->data + sf->path_offset);
		file->size = sf->size;
		ritual_parse_partitions(file);
		files = lappend(files, file);
	}
	return files;
}

/*
 * ritual_parallel_next_unit
 *		Claim the next unit: file 'file_index', from block boundary 'start'
 *		to 'end' (-1: the end of the file).  False when none is left.
 */
bool
ritual_parallel_next_unit(RitualParallelState *ps, int *file_index,
						  int64 *start, int64 *end)
{
	uint32		unit = pg_atomic_fetch_add_u32(&ps->next_unit, 1);
	int			low = 0,
				high = ps->nfiles - 1;
	SharedFile *sf;
	int			block;

	if (unit >= (uint32) ps->nunits)
		return false;

	/* the file whose units include this one */
	while (low < high)
	{
		int			middle = (low + high + 1) / 2;

		if (shared_files(ps)[middle].first_unit <= (int) unit)
			low = middle;
		else
			high = middle - 1;
	}
	sf = &shared_files(ps)[low];
	block = unit - sf->first_unit;
	*file_index = low;
	*start = block * ps->block_size;
	*end = (block + 1 < sf->nunits) ? (block + 1) * ps->block_size : -1;
	return true;
}

/*
 * ritual_parallel_count_bad_row
 *		One more bad row; returns the total over all processes so far.
 */
int64
ritual_parallel_count_bad_row(RitualParallelState *ps)
{
	return (int64) pg_atomic_add_fetch_u64(&ps->bad_rows, 1);
}

void
ritual_parallel_count_file_read(RitualParallelState *ps)
{
	pg_atomic_fetch_add_u32(&ps->files_read, 1);
}

/*
 * ritual_parallel_add_counts
 *		Add what one process read of columnar files since it last added.
 */
void
ritual_parallel_add_counts(RitualParallelState *ps,
						   const RitualReadCounts *counts)
{
	pg_atomic_fetch_add_u64(&ps->row_groups_read, counts->row_groups_read);
	pg_atomic_fetch_add_u64(&ps->row_groups_skipped,
							counts->row_groups_skipped);
	pg_atomic_fetch_add_u64(&ps->rows_skipped, counts->rows_skipped);
	pg_atomic_fetch_add_u64(&ps->bytes_read, counts->bytes_read);
}

/*
 * ritual_parallel_report_first_bad
 *		Keep 'where' if it is earlier, by file then line, than what another
 *		process reported.
 */
void
ritual_parallel_report_first_bad(RitualParallelState *ps, int file_index,
								 int64 line, const char *where)
{
	SpinLockAcquire(&ps->mutex);
	if (ps->first_bad_file < 0 || file_index < ps->first_bad_file ||
		(file_index == ps->first_bad_file && line < ps->first_bad_line))
	{
		ps->first_bad_file = file_index;
		ps->first_bad_line = line;
		strlcpy(ps->first_bad, where, FIRST_BAD_SIZE);
	}
	SpinLockRelease(&ps->mutex);
}

/*
 * ritual_parallel_totals
 *		What all processes reported; *first_bad is NULL when nothing was bad.
 */
void
ritual_parallel_totals(RitualParallelState *ps, int64 *bad_rows,
					   int *files_read, char **first_bad,
					   RitualReadCounts *counts)
{
	*bad_rows = (int64) pg_atomic_read_u64(&ps->bad_rows);
	*files_read = (int) pg_atomic_read_u32(&ps->files_read);
	counts->row_groups_read = (int64) pg_atomic_read_u64(&ps->row_groups_read);
	counts->row_groups_skipped =
		(int64) pg_atomic_read_u64(&ps->row_groups_skipped);
	counts->rows_skipped = (int64) pg_atomic_read_u64(&ps->rows_skipped);
	counts->bytes_read = (int64) pg_atomic_read_u64(&ps->bytes_read);
	SpinLockAcquire(&ps->mutex);
	*first_bad = ps->first_bad_file >= 0 ? pstrdup(ps->first_bad) : NULL;
	SpinLockRelease(&ps->mutex);
}
