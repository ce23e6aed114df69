/*-------------------------------------------------------------------------
 *
 * shim.h
 *		  What the fuzz harnesses share with tests/fuzz/shim.c, the small
 *		  stand-in for the PostgreSQL backend that the extension's sources
 *		  are linked against outside a server.
 *
 * This header is also forced (clang -include) into
 * src/readers/csv/csv_reader.c and src/readers/decompress.c, whose buffer
 * sizes (READ_CHUNK_SIZE, PREFIX_BUFFER_SIZE, COMPRESSED_BUFFER_SIZE) the
 * fuzz build sets to the variables below, so that the harnesses reach the
 * buffer boundaries with inputs of a few bytes, and do not pay for buffers
 * of a megabyte on every input.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_FUZZ_SHIM_H
#define RITUAL_FUZZ_SHIM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * csv_reader.c's read chunk, and its buffer for counting quotes and line
 * ends before a parallel scan's block, in fuzz builds; 1MB by default, as in
 * the server.
 */
extern size_t fuzz_read_chunk_size;
extern size_t fuzz_prefix_buffer_size;

/* decompress.c's buffer of compressed bytes; 256kB by default, as in the server */
extern size_t fuzz_compressed_buffer_size;

/* At most this many bytes per read() in csv_reader.c (0: no limit), as a pipe gives */
extern size_t fuzz_read_limit;

/*
 * Run fn(arg) in a fresh memory context, as one statement of a backend
 * would: true if it returned, false if it raised an ERROR (whose message
 * fuzz_error_message() then holds).  Everything allocated in the context is
 * freed, and files left open by an ERROR are closed, as at transaction
 * abort.  Code that returns normally must have closed what it opened.
 */
extern bool fuzz_run(void (*fn) (void *arg), void *arg);
extern const char *fuzz_error_message(void);

/* Report a broken invariant with its details, and abort (a finding). */
extern void fuzz_fail(const char *format,...) __attribute__((format(printf, 1, 2), noreturn));

/* A private scratch directory for this process, made on first use. */
extern const char *fuzz_scratch_dir(void);

/* Write 'len' bytes to 'path', replacing it. */
extern void fuzz_write_file(const char *path, const void *data, size_t len);

#endif							/* RITUAL_FUZZ_SHIM_H */
