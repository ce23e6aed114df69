/*-------------------------------------------------------------------------
 *
 * page_buffers.c
 *		  The buffers a column's pages are read and decompressed into,
 *		  grown to the largest page, and kept by the backend from one scan
 *		  to the next.
 *
 * A scan keeps its columns' page buffers from row group to row group, and
 * the pool here keeps them from scan to scan: a buffer of a megabyte or
 * more is memory the kernel maps afresh at each allocation and faults in
 * page by page as it is written, which cost a query that reads one row
 * group of a file twice the time of its reading.  A buffer that must grow
 * is exchanged for the smallest kept one that is large enough.  The pool
 * is bounded: what comes back beyond KEPT_BUFFERS buffers or KEPT_BYTES in
 * all is freed.
 *
 * A set of buffers is lent to a memory context, and its buffers come back
 * when that context is reset or deleted, so that a scan that an error ends
 * gives them back as well.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "column.h"

/* the most the pool keeps, in buffers and in bytes */
#define KEPT_BUFFERS	32
#define KEPT_BYTES		(8 * 1024 * 1024)

static MemoryContext pool_context = NULL;
static char *kept[KEPT_BUFFERS];
static size_t kept_size[KEPT_BUFFERS];
static int	nkept = 0;
static size_t kept_bytes = 0;

/* A set of buffers lent to a memory context, until it is reset or deleted. */
typedef struct PageBuffersLoan
{
	MemoryContextCallback callback;
	ParquetPageBuffers buffers;
} PageBuffersLoan;

/* Keep a buffer for later, or free it; allocates nothing. */
static void
keep_or_free(char *buffer, size_t size)
{
	if (nkept < KEPT_BUFFERS && size <= KEPT_BYTES - kept_bytes)
	{
		kept[nkept] = buffer;
		kept_size[nkept++] = size;
		kept_bytes += size;
	}
	else
		pfree(buffer);
}

/* The borrower is done: its buffers come back. */
static void
give_back(void *arg)
{
	ParquetPageBuffers *buffers = &((PageBuffersLoan *) arg)->buffers;

	if (buffers->stored != NULL)
		keep_or_free(buffers->stored, buffers->stored_size);
	if (buffers->plain != NULL)
		keep_or_free(buffers->plain, buffers->plain_size);
	buffers->stored = buffers->plain = NULL;
	buffers->stored_size = buffers->plain_size = 0;
}

/*
 * parquet_page_buffers_borrow
 *		An empty set of page buffers whose buffers come from the backend's
 *		pool and go back to it when 'borrower' is reset or deleted.
 */
ParquetPageBuffers *
parquet_page_buffers_borrow(MemoryContext borrower)
{
	PageBuffersLoan *loan;

	if (pool_context == NULL)
		pool_context = AllocSetContextCreate(TopMemoryContext,
											 "ritual_fdw Parquet page buffers",
											 ALLOCSET_DEFAULT_SIZES);
	loan = MemoryContextAllocZero(borrower, sizeof(PageBuffersLoan));
	loan->buffers.context = pool_context;
	loan->buffers.pooled = true;
	loan->callback.func = give_back;
	loan->callback.arg = loan;
	MemoryContextRegisterResetCallback(borrower, &loan->callback);
	return &loan->buffers;
}

/*
 * parquet_page_buffer
 *		*buffer, one of the buffers of 'buffers' (of *size bytes), made at
 *		least 'len' bytes long: when it is shorter, it is exchanged for a
 *		longer one (at least twice as long, so that a chunk of growing pages
 *		is not copied over and over), its bytes not kept.
 */
char *
parquet_page_buffer(ParquetPageBuffers *buffers, char **buffer, size_t *size,
					size_t len)
{
	char	   *old = *buffer;
	size_t		old_size = *size;
	size_t		want;
	int			best = -1;

	if (old != NULL && old_size >= len)
		return old;
	want = Max(Max(len, 1), Min(old_size * 2, (size_t) MaxAllocSize));

	/* not left pointing at freed memory should the allocation fail */
	*buffer = NULL;
	*size = 0;
	if (!buffers->pooled)
	{
		if (old != NULL)
			pfree(old);
		*buffer = MemoryContextAlloc(buffers->context, want);
		*size = want;
		return *buffer;
	}
	if (old != NULL)
		keep_or_free(old, old_size);
	for (int i = 0; i < nkept; i++)
	{
		if (kept_size[i] >= len &&
			(best < 0 || kept_size[i] < kept_size[best]))
			best = i;
	}
	if (best >= 0)
	{
		*buffer = kept[best];
		*size = kept_size[best];
		kept_bytes -= kept_size[best];
		kept[best] = kept[--nkept];
		kept_size[best] = kept_size[nkept];
		return *buffer;
	}
	*buffer = MemoryContextAlloc(pool_context, want);
	*size = want;
	return *buffer;
}
