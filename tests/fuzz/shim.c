/*-------------------------------------------------------------------------
 *
 * shim.c
 *		  A minimal stand-in for the PostgreSQL backend, so that the
 *		  extension's own sources can be fuzzed outside a server.
 *
 * The harnesses link src/readers/csv/csv_reader.c,
 * src/readers/decompress.c, src/lake/discovery.c, src/lake/partitions.c and
 * src/fdw/options.c unchanged (the linker drops the functions no harness
 * calls, and with them their needs); PostgreSQL's libpgport and libpgcommon
 * supply what they can (psprintf, path and string functions, encoding
 * checks).  This file supplies the rest of what `nm -u` lists, and no more:
 *
 * - memory contexts over malloc: every chunk is preceded by its context, as
 *   GetMemoryChunkContext expects; a context deletes its children and frees
 *   all its chunks, after its reset callbacks, when it is reset.  Sizes are checked against
 *   MaxAllocSize as palloc checks them.
 * - ereport/elog: the message and its details are formatted with the
 *   arguments given (so a wrong argument shows); an ERROR jumps to the
 *   innermost PG_TRY, as in the backend.  An ERROR without an errcode (an
 *   elog, a "can't happen") or an allocation too large is a finding: the
 *   shim aborts, and the fuzzer keeps the input.
 * - files and directories opened through fd.c's functions are counted; an
 *   ERROR closes them (as transaction abort does), and code that returns
 *   normally must have closed them all.
 * - read() in csv_reader.c (linked with --wrap=read) returns at most
 *   fuzz_read_limit bytes at a time, as a pipe may.
 * - CHECK_FOR_INTERRUPTS never finds an interrupt.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/memnodes.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "shim.h"

size_t		fuzz_read_chunk_size = 1024 * 1024;
size_t		fuzz_prefix_buffer_size = 1024 * 1024;
size_t		fuzz_compressed_buffer_size = 256 * 1024;
size_t		fuzz_read_limit = 0;

/* ---------- memory contexts ---------- */

/* Each chunk: its list links and size, then its context, then the data. */
typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	Size		size;
	MemoryContext context;		/* right before the data */
} ShimChunk;

typedef struct ShimContext
{
	MemoryContextData header;
	ShimChunk	chunks;			/* list head */
} ShimContext;

StaticAssertDecl(sizeof(ShimChunk) % MAXIMUM_ALIGNOF == 0,
				 "chunk header must keep the data aligned");

MemoryContext CurrentMemoryContext = NULL;

static MemoryContext
shim_context_create(const char *name)
{
	ShimContext *c = calloc(1, sizeof(ShimContext));

	if (c == NULL)
		abort();
	/* MemoryContextIsValid accepts only the real kinds */
	c->header.type = T_AllocSetContext;
	c->header.name = name;
	c->chunks.prev = c->chunks.next = &c->chunks;
	return &c->header;
}

static void shim_context_delete(MemoryContext context);

static void
link_chunk(MemoryContext context, ShimChunk *chunk)
{
	ShimContext *c = (ShimContext *) context;

	chunk->context = context;
	chunk->next = c->chunks.next;
	chunk->prev = &c->chunks;
	c->chunks.next->prev = chunk;
	c->chunks.next = chunk;
}

static void
unlink_chunk(ShimChunk *chunk)
{
	chunk->next->prev = chunk->prev;
	chunk->prev->next = chunk->next;
}

static void
shim_context_reset(MemoryContext context)
{
	ShimContext *c = (ShimContext *) context;

	/* children are deleted, as MemoryContextReset does */
	while (context->firstchild != NULL)
		shim_context_delete(context->firstchild);
	/* callbacks first, newest first, as MemoryContextResetOnly does */
	while (context->reset_cbs != NULL)
	{
		MemoryContextCallback *cb = context->reset_cbs;

		context->reset_cbs = cb->next;
		cb->func(cb->arg);
	}
	while (c->chunks.next != &c->chunks)
	{
		ShimChunk  *chunk = c->chunks.next;

		unlink_chunk(chunk);
		free(chunk);
	}
}

static void
shim_context_delete(MemoryContext context)
{
	shim_context_reset(context);
	if (context->prevchild != NULL)
		context->prevchild->nextchild = context->nextchild;
	else if (context->parent != NULL)
		context->parent->firstchild = context->nextchild;
	if (context->nextchild != NULL)
		context->nextchild->prevchild = context->prevchild;
	free(context);
}

/* a child context (of any kind: here all are the shim's) */
MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	MemoryContext context = shim_context_create(name);

	context->parent = parent;
	if (parent != NULL)
	{
		context->nextchild = parent->firstchild;
		if (parent->firstchild != NULL)
			parent->firstchild->prevchild = context;
		parent->firstchild = context;
	}
	return context;
}

void
MemoryContextReset(MemoryContext context)
{
	shim_context_reset(context);
}

void
MemoryContextDelete(MemoryContext context)
{
	shim_context_delete(context);
}

static void *
shim_alloc(MemoryContext context, Size size, int flags)
{
	ShimChunk  *chunk;

	if (!((flags & MCXT_ALLOC_HUGE) ? AllocHugeSizeIsValid(size) :
		  AllocSizeIsValid(size)))
		fuzz_fail("invalid memory alloc request size %zu", size);
	chunk = (flags & MCXT_ALLOC_ZERO) ? calloc(1, sizeof(ShimChunk) + size) :
		malloc(sizeof(ShimChunk) + size);
	if (chunk == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	}
	chunk->size = size;
	link_chunk(context, chunk);
	return chunk + 1;
}

static ShimChunk *
chunk_of(void *pointer)
{
	ShimChunk  *chunk = (ShimChunk *) pointer - 1;

	if (chunk->context == NULL || chunk->context->type != T_AllocSetContext)
		fuzz_fail("pfree or repalloc of a pointer palloc did not return");
	return chunk;
}

static void *
shim_realloc(void *pointer, Size size, bool huge)
{
	ShimChunk  *chunk = chunk_of(pointer);
	MemoryContext context = chunk->context;

	if (!(huge ? AllocHugeSizeIsValid(size) : AllocSizeIsValid(size)))
		fuzz_fail("invalid memory alloc request size %zu", size);
	unlink_chunk(chunk);
	chunk = realloc(chunk, sizeof(ShimChunk) + size);
	if (chunk == NULL)
		fuzz_fail("out of memory in repalloc of %zu bytes", size);
	chunk->size = size;
	link_chunk(context, chunk);
	return chunk + 1;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return shim_alloc(context, size, 0);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return shim_alloc(context, size, flags);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return shim_alloc(context, size, MCXT_ALLOC_ZERO);
}

void *
palloc(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, 0);
}

void *
palloc0(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void
pfree(void *pointer)
{
	ShimChunk  *chunk = chunk_of(pointer);

	unlink_chunk(chunk);
	free(chunk);
}

void *
repalloc(void *pointer, Size size)
{
	return shim_realloc(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return shim_realloc(pointer, size, true);
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

void
MemoryContextRegisterResetCallback(MemoryContext context,
								   MemoryContextCallback *cb)
{
	cb->next = context->reset_cbs;
	context->reset_cbs = cb;
}

/*
 * What dir_cache.c keeps listings with: never called, as the harnesses set
 * ritual_keep_listings off.
 */
MemoryContext TopMemoryContext = NULL;

void
MemoryContextSetParent(MemoryContext context, MemoryContext new_parent)
{
	fuzz_fail("MemoryContextSetParent is not expected here");
}

HTAB *
hash_create(const char *tabname, long nelem, const HASHCTL *info, int flags)
{
	fuzz_fail("hash_create is not expected here");
}

void *
hash_search(HTAB *hashp, const void *keyPtr, HASHACTION action, bool *foundPtr)
{
	fuzz_fail("hash_search is not expected here");
}

/* ---------- lists (pg_list.h's array lists, the calls used) ---------- */

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 4 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 4;
		list->elements = list->initial_elements;
	}
	else if (list->length == list->max_length)
	{
		ListCell   *elements = palloc(sizeof(ListCell) * list->max_length * 2);

		memcpy(elements, list->elements, sizeof(ListCell) * list->length);
		if (list->elements != list->initial_elements)
			pfree(list->elements);
		list->elements = elements;
		list->max_length *= 2;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

void
list_free(List *list)
{
	if (list == NIL)
		return;
	if (list->elements != list->initial_elements)
		pfree(list->elements);
	pfree(list);
}

void
list_sort(List *list, list_sort_comparator cmp)
{
	if (list != NIL && list->length > 1)
		qsort(list->elements, list->length, sizeof(ListCell),
			  (int (*) (const void *, const void *)) cmp);
}

/* ---------- errors ---------- */

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static struct
{
	int			elevel;
	int			sqlerrcode;
	int			saved_errno;
	const char *filename;
	int			lineno;
	char		message[2048];
	char		detail[2048];
	char		hint[2048];
} error;

bool
errstart(int elevel, const char *domain)
{
	error.saved_errno = errno;
	error.elevel = elevel;
	error.sqlerrcode = 0;
	error.message[0] = error.detail[0] = error.hint[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	error.sqlerrcode = sqlerrcode;
	return 0;
}

/* As elog.c maps errno; anything else is an I/O error here. */
int
errcode_for_file_access(void)
{
	switch (error.saved_errno)
	{
		case EPERM:
		case EACCES:
		case EROFS:
			return errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		case ENOENT:
			return errcode(ERRCODE_UNDEFINED_FILE);
		case EEXIST:
			return errcode(ERRCODE_DUPLICATE_FILE);
		case ENOTDIR:
		case EISDIR:
		case ENOTEMPTY:
			return errcode(ERRCODE_WRONG_OBJECT_TYPE);
		case ENOSPC:
			return errcode(ERRCODE_DISK_FULL);
		case ENFILE:
		case EMFILE:
			return errcode(ERRCODE_INSUFFICIENT_RESOURCES);
		default:
			return errcode(ERRCODE_IO_ERROR);
	}
}

#define FORMAT_INTO(buffer, fmt) \
	do { \
		va_list		args; \
		errno = error.saved_errno;	/* for %m */ \
		va_start(args, fmt); \
		vsnprintf(buffer, sizeof(buffer), fmt, args); \
		va_end(args); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(error.message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(error.message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(error.detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(error.hint, fmt);
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	error.filename = filename;
	error.lineno = lineno;
	if (error.elevel < ERROR)
		return;
	if (error.elevel > ERROR)
		fuzz_fail("%s at %s:%d", error.message, filename, lineno);
	if (error.sqlerrcode == 0 || error.sqlerrcode == ERRCODE_INTERNAL_ERROR)
		fuzz_fail("internal error (no errcode): %s at %s:%d", error.message,
				  filename, lineno);
	if (error.message[0] == '\0')
		fuzz_fail("ERROR without a message at %s:%d", filename, lineno);
	pg_re_throw();
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
		fuzz_fail("ERROR outside PG_TRY: %s", error.message);
	siglongjmp(*PG_exception_stack, 1);
}

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fuzz_fail("%s(\"%s\") failed at %s:%d", errorType, conditionName,
			  fileName, lineNumber);
}

const char *
fuzz_error_message(void)
{
	return error.message;
}

void
fuzz_fail(const char *format,...)
{
	va_list		args;

	fprintf(stderr, "fuzz: ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, "\n");
	abort();
}

/* ---------- interrupts, encoding, time ---------- */

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

int
GetDatabaseEncoding(void)
{
	return PG_UTF8;
}

const char *
GetDatabaseEncodingName(void)
{
	return "UTF8";
}

bool
pg_verifymbstr(const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(PG_UTF8, mbstr, len) == len)
		return true;
	if (!noError)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid byte sequence for encoding \"UTF8\"")));
	return false;
}

TimestampTz
time_t_to_timestamptz(pg_time_t tm)
{
	return ((TimestampTz) tm -
			((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) *
		USECS_PER_SEC;
}

/* ---------- files ---------- */

#define MAX_OPEN 64

static void forget_read_ahead(int fd);

static int	open_fds[MAX_OPEN];
static int	nopen_fds;
static DIR *open_dirs[MAX_OPEN];
static int	nopen_dirs;

int
OpenTransientFile(const char *fileName, int fileFlags)
{
	int			fd;

	if (nopen_fds == MAX_OPEN)
		fuzz_fail("more than %d transient files open", MAX_OPEN);
	fd = open(fileName, fileFlags, 0600);
	if (fd >= 0)
		open_fds[nopen_fds++] = fd;
	forget_read_ahead(fd);
	return fd;
}

int
CloseTransientFile(int fd)
{
	for (int i = 0; i < nopen_fds; i++)
	{
		if (open_fds[i] == fd)
		{
			open_fds[i] = open_fds[--nopen_fds];
			forget_read_ahead(fd);
			return close(fd);
		}
	}
	fuzz_fail("CloseTransientFile of fd %d, which is not open", fd);
}

DIR *
AllocateDir(const char *dirname)
{
	DIR		   *dir;

	if (nopen_dirs == MAX_OPEN)
		fuzz_fail("more than %d directories open", MAX_OPEN);
	dir = opendir(dirname);
	if (dir != NULL)
		open_dirs[nopen_dirs++] = dir;
	return dir;
}

/* As fd.c's ReadDir: an error for a directory that did not open, or a failed read. */
struct dirent *
ReadDir(DIR *dir, const char *dirname)
{
	struct dirent *dent;

	if (dir == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", dirname)));
	errno = 0;
	if ((dent = readdir(dir)) != NULL)
		return dent;
	if (errno)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read directory \"%s\": %m", dirname)));
	return NULL;
}

int
FreeDir(DIR *dir)
{
	if (dir == NULL)
		return 0;
	for (int i = 0; i < nopen_dirs; i++)
	{
		if (open_dirs[i] == dir)
		{
			open_dirs[i] = open_dirs[--nopen_dirs];
			return closedir(dir);
		}
	}
	fuzz_fail("FreeDir of a directory that is not open");
}

/*
 * csv_reader.c's read() and lseek(), through the linker's --wrap.  With
 * fuzz_read_limit, a read() hands out at most that many bytes, as a pipe
 * may.  They come from one real read() of up to READ_AHEAD bytes kept for
 * the descriptor, so that the reader sees the same short reads without a
 * system call for every few bytes (those were most of csv_reader_fuzz's
 * time); opening, closing or seeking a descriptor forgets what was kept.
 */
#define READ_AHEAD	65536

extern ssize_t __real_read(int fd, void *buf, size_t count);
extern ssize_t __wrap_read(int fd, void *buf, size_t count);
extern off_t __real_lseek(int fd, off_t offset, int whence);
extern off_t __wrap_lseek(int fd, off_t offset, int whence);

static int	ahead_fd = -1;
static char ahead[READ_AHEAD];
static size_t ahead_len;
static size_t ahead_pos;

static void
forget_read_ahead(int fd)
{
	if (fd == ahead_fd)
		ahead_fd = -1;
}

ssize_t
__wrap_read(int fd, void *buf, size_t count)
{
	ssize_t		got;

	if (fuzz_read_limit > 0 && count > fuzz_read_limit)
		count = fuzz_read_limit;
	if (fd != ahead_fd || ahead_pos == ahead_len)
	{
		if (fuzz_read_limit == 0)
			return __real_read(fd, buf, count);
		got = __real_read(fd, ahead, READ_AHEAD);
		if (got <= 0)
			return got;
		ahead_fd = fd;
		ahead_len = got;
		ahead_pos = 0;
	}
	count = Min(count, ahead_len - ahead_pos);
	memcpy(buf, ahead + ahead_pos, count);
	ahead_pos += count;
	return count;
}

off_t
__wrap_lseek(int fd, off_t offset, int whence)
{
	forget_read_ahead(fd);
	return __real_lseek(fd, offset, whence);
}

/* ---------- the harnesses' side ---------- */

bool
fuzz_run(void (*fn) (void *arg), void *arg)
{
	MemoryContext context = shim_context_create("fuzz input");
	MemoryContext old = CurrentMemoryContext;
	volatile bool ok = true;

	CurrentMemoryContext = context;
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		ok = false;
	}
	PG_END_TRY();
	CurrentMemoryContext = old;

	if (ok && (nopen_fds > 0 || nopen_dirs > 0))
		fuzz_fail("%d files and %d directories left open after a normal return",
				  nopen_fds, nopen_dirs);
	/* what transaction abort closes */
	while (nopen_fds > 0)
	{
		forget_read_ahead(open_fds[--nopen_fds]);
		close(open_fds[nopen_fds]);
	}
	while (nopen_dirs > 0)
		closedir(open_dirs[--nopen_dirs]);
	shim_context_reset(context);
	free(context);
	return ok;
}

const char *
fuzz_scratch_dir(void)
{
	static char dir[MAXPGPATH];

	if (dir[0] == '\0')
	{
		const char *base = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/ritual-fuzz-XXXXXX",
				 base && base[0] ? base : "/tmp");
		if (mkdtemp(dir) == NULL)
			fuzz_fail("cannot make a scratch directory: %m");
	}
	return dir;
}

void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t) len) ||
		close(fd) != 0)
		fuzz_fail("cannot write %s: %m", path);
}
