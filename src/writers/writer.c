/*-------------------------------------------------------------------------
 *
 * writer.c
 *		  Write rows of a foreign table into its directory, as Spark lays out
 *		  a Hive-partitioned dataset, transactionally.
 *
 * Rows go under partition_by's col=value directories (values escaped as
 * Spark does; the partition columns are in the path, not in the file), a
 * new file past max_file_size.  A table of format 'parquet' gets Parquet
 * files (writers/parquet/), any other CSV files with a header, gzip- or
 * zstd-compressed per option compression.  Whatever is written reads back
 * the same, or the write is refused.
 *
 * A (sub)transaction writes one file per partition, whatever the order of
 * its rows.  Each file buffers its rows (CSV text, or a Parquet row group)
 * and is open only while a buffer is appended to it: a CSV buffer of
 * WRITE_BUFFER_SIZE, compressed whole (one more gzip member or zstd frame,
 * which readers read on), a Parquet row group when it has row_group_size
 * rows.  All files of a transaction buffer at most BUFFER_BUDGET together,
 * past which the largest buffer is written early, so memory does not grow
 * with the partitions written.  A Parquet file's footer is written when it
 * is full or when the transaction commits.
 *
 * A file is written under a hidden name that carries the transaction
 * writing it (pending_files.c).  Before the commit is recorded, the files
 * and their directories are synced; once it is, the files get their final,
 * unique names.  An abort, of the transaction or of the subtransaction that
 * wrote a file, removes it.  Whatever a crash stops, at any point, the next
 * listing of the directory finishes by the commit log, so the lake shows all
 * of a committed transaction's files and none of an aborted one's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "ritual.h"
#include "writers/compress.h"
#include "writers/parquet/parquet_writer.h"

#define HIVE_DEFAULT_PARTITION	"__HIVE_DEFAULT_PARTITION__"
#define UTF8_BOM			"\xEF\xBB\xBF"
#define WRITE_BUFFER_SIZE	(256 * 1024)
/* what the files of a transaction may buffer in all */
#define BUFFER_BUDGET		((Size) 64 * 1024 * 1024)

/* One file being written. */
typedef struct OutputFile
{
	SubTransactionId subxid;	/* the subtransaction that wrote it */
	char	   *layout;			/* how rows are written: files of one match */
	uint64		checked_by;		/* the writer that last matched the layout */
	char	   *base;			/* the table's directory */
	char	   *temp_path;		/* hidden, until the commit is recorded */
	char	   *final_path;
	bool		full;			/* past max_file_size, or begun under a layout
								 * since changed: takes no more rows */
	bool		unsynced;		/* written since its last fsync */
	int64		bytes;			/* CSV: uncompressed bytes, written or not */
	RitualCompression compression;	/* of CSV */
	StringInfoData buffer;		/* CSV text not yet written; data NULL if none */
	bool		is_parquet;
	ParquetWriter *parquet;		/* NULL once its footer is written */
	Size		buffered;		/* memory 'buffer' or 'parquet' holds */
} OutputFile;

/* Everything written by this transaction, kept in TopTransactionContext. */
typedef struct PendingWrites
{
	MemoryContext context;
	List	   *files;			/* OutputFile *, finished or not */
	HTAB	   *open_files;		/* subtransaction/table/partition -> the
								 * file taking its rows */
	int			counter;		/* makes names unique in this backend */
	Size		buffered;		/* by all files */
} PendingWrites;

typedef struct OpenFileEntry
{
	char		key[MAXPGPATH + 32];	/* subtransaction/table/partition */
	OutputFile *file;
} OpenFileEntry;

static PendingWrites *pending = NULL;
static bool callbacks_registered = false;
static uint64 writers_begun = 0;

/* The state of one INSERT into one table. */
struct RitualWriter
{
	Relation	rel;
	const RitualOptions *opts;
	uint64		id;				/* unique in this backend */
	char	   *layout;
	bool		parquet;
	const char **names;			/* each attribute's name in the files */
	char	   *directory;
	int		   *partition_attnums;	/* 0-based, in partition_by order */
	int			npartitions;
	bool	   *in_file;		/* attribute goes into the file */
	int			nfile_columns;
	FmgrInfo   *out_funcs;
	char	   *header;			/* the header line, with its line end */
	MemoryContext context;		/* the writer's, for the query */
	HTAB	  **memos;			/* per partition column: value -> "col=value" */
	MemoryContext row_context;	/* reset after each row */
	StringInfoData key;
	StringInfoData row;
};

/*
 * A partition column's value, and its directory name, remembered; and,
 * when it is the only partition column, the file its rows last went to.
 */
typedef struct PartitionMemo
{
	Datum		value;
	char	   *directory;
	OutputFile *file;			/* NULL when not known */
	SubTransactionId subxid;	/* when 'file' was chosen */
} PartitionMemo;

/* as many directory names of a column as a writer remembers */
#define MAX_MEMO_ENTRIES	4096


/* write() all of 'len' bytes, or raise an error naming the file. */
static void
write_all(int fd, const char *path, const char *data, Size len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		data += n;
		len -= n;
	}
}

/* Open a file of this transaction to append to it. */
static int
open_to_append(OutputFile *file)
{
	int			fd = OpenTransientFile(file->temp_path,
									   O_WRONLY | O_APPEND | PG_BINARY);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" to append to it: %m",
						file->temp_path)));
	return fd;
}

/* Forget what a file buffered, in the transaction's total too. */
static void
forget_buffered(OutputFile *file)
{
	pending->buffered -= file->buffered;
	file->buffered = 0;
}

/* Buffer CSV text of a file, its buffer made in the transaction's memory. */
static void
append_text(OutputFile *file, const char *text, int len)
{
	Size		before = file->buffered;

	if (file->buffer.data == NULL)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(pending->context);

		initStringInfo(&file->buffer);
		MemoryContextSwitchTo(oldcontext);
	}
	appendBinaryStringInfo(&file->buffer, text, len);
	file->bytes += len;
	file->buffered = file->buffer.maxlen;
	pending->buffered += file->buffered - before;
}

/*
 * Append a CSV file's buffered text, compressed whole as the file's
 * compression says, and free the buffer.
 */
static void
append_csv(OutputFile *file)
{
	StringInfoData packed;
	int			fd;

	if (file->buffer.data == NULL)
		return;
	if (file->buffer.len > 0)
	{
		fd = open_to_append(file);
		if (file->compression == RITUAL_COMPRESSION_NONE)
			write_all(fd, file->temp_path, file->buffer.data, file->buffer.len);
		else
		{
			initStringInfo(&packed);
			ritual_compress(file->compression, file->buffer.data,
							file->buffer.len, &packed);
			write_all(fd, file->temp_path, packed.data, packed.len);
			pfree(packed.data);
		}
		CloseTransientFile(fd);
		file->unsynced = true;
	}
	pfree(file->buffer.data);
	file->buffer.data = NULL;
	forget_buffered(file);
}

/* Where a Parquet file's bytes go while it is open. */
typedef struct FileTarget
{
	int			fd;
	const char *path;
} FileTarget;

static void
emit_to_file(void *arg, const char *data, size_t len)
{
	FileTarget *target = arg;

	write_all(target->fd, target->path, data, len);
}

/*
 * Append a Parquet file's buffered rows as a row group, and its footer when
 * 'finish'.
 */
static void
append_parquet(OutputFile *file, bool finish)
{
	FileTarget	target = {open_to_append(file), file->temp_path};

	forget_buffered(file);
	if (finish)
		parquet_writer_finish(file->parquet, emit_to_file, &target);
	else
		parquet_writer_flush(file->parquet, emit_to_file, &target);
	CloseTransientFile(target.fd);
	file->unsynced = true;
	if (finish)
	{
		parquet_writer_free(file->parquet);
		file->parquet = NULL;
	}
}

/* Write what a file buffers; it may take more rows after. */
static void
append_buffered(OutputFile *file)
{
	if (file->is_parquet)
		append_parquet(file, false);
	else
		append_csv(file);
}

/* Complete a file: the rest of its text, or its row group and footer. */
static void
finish_file(OutputFile *file)
{
	if (!file->is_parquet)
		append_csv(file);
	else if (file->parquet != NULL)
		append_parquet(file, true);
}

/* The bytes a file holds, written or buffered (CSV: before compression). */
static int64
file_size(const OutputFile *file)
{
	if (!file->is_parquet)
		return file->bytes;
	if (file->parquet == NULL)
		return 0;
	return parquet_writer_size(file->parquet);
}

/* Make a finished file's data durable. */
static void
sync_file(OutputFile *file)
{
	int			fd;

	finish_file(file);
	if (!file->unsynced)
		return;
	fd = OpenTransientFile(file->temp_path, O_RDONLY | PG_BINARY);
	if (fd < 0 || pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", file->temp_path)));
	CloseTransientFile(fd);
	file->unsynced = false;
}

/* Remove a file of an aborted (sub)transaction.  Never raises an error. */
static void
discard_file(OutputFile *file)
{
	if (file->parquet != NULL)
	{
		parquet_writer_free(file->parquet);
		file->parquet = NULL;
	}
	if (file->buffer.data != NULL)
	{
		pfree(file->buffer.data);
		file->buffer.data = NULL;
	}
	forget_buffered(file);
	if (unlink(file->temp_path) != 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove file \"%s\": %m", file->temp_path)));
}

/*
 * Before the commit is recorded, make every file durable under its hidden
 * name: its data, and its name in each directory from its own up to the
 * table's (this write may have made them).
 */
static void
sync_files(void)
{
	HASHCTL		ctl;
	HTAB	   *synced;
	ListCell   *lc;

	ctl.keysize = MAXPGPATH;
	ctl.entrysize = MAXPGPATH;
	ctl.hcxt = pending->context;
	synced = hash_create("ritual_fdw synced directories", 64, &ctl,
						 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	foreach(lc, pending->files)
	{
		OutputFile *file = lfirst(lc);
		char	   *dir = pstrdup(file->temp_path);
		char	   *slash;
		bool		found = false;

		sync_file(file);
		while ((slash = strrchr(dir, '/')) != NULL &&
			   slash - dir >= (ptrdiff_t) strlen(file->base))
		{
			*slash = '\0';
			/* the hash tells only names shorter than its keys apart */
			if (strlen(dir) < MAXPGPATH)
				hash_search(synced, dir, HASH_ENTER, &found);
			if (found)
				break;			/* so are the directories above it */
			fsync_fname(dir, true);
		}
		pfree(dir);
	}
}

/*
 * Once the commit is recorded, give the files their final names.  Nothing
 * may fail here: a file that cannot be renamed now keeps its hidden name,
 * and the next listing of its directory renames it.
 */
static void
publish_files(void)
{
	ListCell   *lc;

	foreach(lc, pending->files)
	{
		OutputFile *file = lfirst(lc);

		if (rename(file->temp_path, file->final_path) != 0 && errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not rename file \"%s\" to \"%s\": %m",
							file->temp_path, file->final_path),
					 errdetail("The transaction committed; the next scan of the table renames the file.")));
	}
}

/*
 * At commit, every file gets its final name; at abort, none survives.  The
 * commit is made synchronous, so that no file is renamed before the commit
 * is on disk.  A prepared transaction cannot hold files: they would be named
 * by a backend that may be gone when it commits.
 */
static void
writer_xact_callback(XactEvent event, pg_attribute_unused() void *arg)
{
	ListCell   *lc;

	if (pending == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			sync_files();
			ForceSyncCommit();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			publish_files();
			pending = NULL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot prepare a transaction that wrote into a ritual_fdw table")));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			foreach(lc, pending->files)
				discard_file(lfirst(lc));
			pending = NULL;
			break;
		default:
			break;
	}
}

/*
 * A subtransaction that aborts takes its files with it; one that commits
 * hands them to its parent.  Each subtransaction writes files of its own
 * (open files are looked up by subtransaction and partition), so no file
 * mixes rows that may roll back with rows that may not.
 */
static void
writer_subxact_callback(SubXactEvent event, SubTransactionId subxid,
						SubTransactionId parent_subxid,
						pg_attribute_unused() void *arg)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (pending == NULL)
		return;
	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	foreach(lc, pending->files)
	{
		OutputFile *file = lfirst(lc);

		if (file->subxid != subxid)
			kept = lappend(kept, file);
		else if (event == SUBXACT_EVENT_ABORT_SUB)
			discard_file(file);
		else
		{
			file->subxid = parent_subxid;
			kept = lappend(kept, file);
		}
	}
	pending->files = kept;
}

static PendingWrites *
get_pending(void)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(writer_xact_callback, NULL);
		RegisterSubXactCallback(writer_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (pending == NULL)
	{
		MemoryContext context = AllocSetContextCreate(TopTransactionContext,
													  "ritual_fdw writes",
													  ALLOCSET_DEFAULT_SIZES);

		pending = MemoryContextAllocZero(context, sizeof(PendingWrites));
		pending->context = context;
	}
	if (pending->open_files == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(((OpenFileEntry *) NULL)->key);
		ctl.entrysize = sizeof(OpenFileEntry);
		ctl.hcxt = pending->context;
		pending->open_files = hash_create("ritual_fdw open files", 64, &ctl,
										  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	return pending;
}

/* Make each directory of 'path' (relative to 'base') that is missing. */
static void
make_directories(const char *base, const char *relative)
{
	StringInfoData path;
	const char *p = relative;

	initStringInfo(&path);
	appendStringInfoString(&path, base);
	while (*p != '\0')
	{
		const char *slash = strchr(p, '/');
		int			len = slash ? (int) (slash - p) : (int) strlen(p);

		appendStringInfo(&path, "/%.*s", len, p);
		if (MakePGDirectory(path.data) != 0 && errno != EEXIST)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create directory \"%s\": %m", path.data)));
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	pfree(path.data);
}

/* The file that takes the rows of partition 'key', opened when needed. */
static OutputFile *
file_for(RitualWriter *w, const char *key)
{
	PendingWrites *pw = get_pending();
	OpenFileEntry *entry;
	bool		found;
	OutputFile *file;
	MemoryContext oldcontext;
	const char *extension;
	char	   *final_name;
	int			fd;
	char		lookup[sizeof(entry->key)];
	bool		same_layout = true;

	snprintf(lookup, sizeof(lookup), "%u/%u/%s", GetCurrentSubTransactionId(),
			 RelationGetRelid(w->rel), key);
	entry = hash_search(pw->open_files, lookup, HASH_ENTER, &found);
	if (!found)
		entry->file = NULL;
	found = (entry->file != NULL);
	/* the table was altered since the file was begun: begin another */
	if (found && entry->file->checked_by != w->id)
	{
		same_layout = strcmp(entry->file->layout, w->layout) == 0;
		entry->file->checked_by = w->id;
	}
	if (found && !entry->file->full &&
		(file_size(entry->file) >= w->opts->max_file_size || !same_layout))
	{
		/* past max_file_size: roll over to a new file */
		finish_file(entry->file);
		entry->file->full = true;
	}
	if (found && !entry->file->full)
		return entry->file;

	oldcontext = MemoryContextSwitchTo(pw->context);
	file = palloc0(sizeof(OutputFile));
	file->subxid = GetCurrentSubTransactionId();
	file->layout = pstrdup(w->layout);
	file->checked_by = w->id;
	file->is_parquet = w->parquet;
	file->compression = w->parquet || w->opts->compression == RITUAL_COMPRESSION_AUTO ?
		RITUAL_COMPRESSION_NONE : w->opts->compression;
	extension = w->parquet ? ".parquet" :
		file->compression == RITUAL_COMPRESSION_GZIP ? ".csv.gz" :
		file->compression == RITUAL_COMPRESSION_ZSTD ? ".csv.zst" : ".csv";
	/* unique: the time, this backend's pid, its transaction, a counter */
	if (key[0] != '\0')
		make_directories(w->directory, key);
	final_name = psprintf("part-%lld-%d-" UINT64_FORMAT "-%d%s",
						  (long long) GetCurrentTimestamp(), MyProcPid,
						  U64FromFullTransactionId(GetCurrentFullTransactionId()),
						  ++pw->counter, extension);
	file->base = pstrdup(w->directory);
	file->temp_path = psprintf("%s%s%s/%s", w->directory, key[0] ? "/" : "",
							   key, ritual_pending_name(final_name));
	file->final_path = psprintf("%s%s%s/%s", w->directory, key[0] ? "/" : "",
								key, final_name);
	fd = OpenTransientFile(file->temp_path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", file->temp_path)));
	/* from here on an abort removes it; it is opened again to append */
	CloseTransientFile(fd);
	pw->files = lappend(pw->files, file);
	if (file->is_parquet)
		file->parquet = parquet_writer_create(RelationGetDescr(w->rel),
											  w->in_file, w->names,
											  RelationGetRelationName(w->rel),
											  w->opts->compression);
	else if (w->header[0] != '\0')
	{
		file->buffer.data = NULL;
		append_text(file, w->header, strlen(w->header));
	}
	MemoryContextSwitchTo(oldcontext);

	entry->file = file;
	return file;
}

/*
 * Whether 'value', unquoted, would not read back as itself: it holds the
 * delimiter, the quote or a line break, or starts with a byte-order mark
 * (which the reader drops at a file's start).
 */
static bool
unsafe_unquoted(const char *value, const RitualOptions *opts)
{
	return strchr(value, opts->delimiter) || strchr(value, opts->quote) ||
		strchr(value, '\n') || strchr(value, '\r') ||
		strncmp(value, UTF8_BOM, strlen(UTF8_BOM)) == 0;
}

/*
 * Append a value to 'buf' as a CSV field, quoted when it must be, when it
 * has spaces at an end or the escape (which other readers may take
 * differently), or when, unquoted, it would read back as NULL: an empty
 * value, or one equal to the null string.
 */
static void
append_csv_field(StringInfo buf, const char *value, const RitualOptions *opts)
{
	size_t		len = strlen(value);
	bool		quote = len == 0 || value[0] == ' ' || value[len - 1] == ' ' ||
		unsafe_unquoted(value, opts) || strchr(value, opts->escape) ||
		(opts->null_string && strcmp(value, opts->null_string) == 0);

	if (!quote)
	{
		appendStringInfoString(buf, value);
		return;
	}
	/* inside quotes a quote, and an escape other than the quote, is escaped */
	appendStringInfoChar(buf, opts->quote);
	for (const char *p = value; *p; p++)
	{
		if (*p == opts->quote || *p == opts->escape)
			appendStringInfoChar(buf, opts->escape);
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, opts->quote);
}

/*
 * Append a partition value as Spark writes it into a directory name: the
 * bytes of " # % ' * / : = ? \ DEL { [ ] ^ and control characters as %XX,
 * NULL as __HIVE_DEFAULT_PARTITION__.  A value spelled so is escaped too
 * (%5F_HIVE_DEFAULT_PARTITION__), as readers compare the name as written,
 * so that it reads back as itself and not as NULL.
 */
static void
append_escaped_partition(StringInfo buf, const char *value)
{
	if (value == NULL)
	{
		appendStringInfoString(buf, HIVE_DEFAULT_PARTITION);
		return;
	}
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f || strchr("\"#%'*/:=?\\{[]^", *p) != NULL ||
			(p == (const unsigned char *) value &&
			 strcmp(value, HIVE_DEFAULT_PARTITION) == 0))
			appendStringInfo(buf, "%%%02X", *p);
		else
			appendStringInfoChar(buf, (char) *p);
	}
}

/*
 * ritual_writer_begin
 *		Prepare to insert into 'rel', whose single path is a directory.
 *		Writing server files needs the privileges of pg_write_server_files.
 */
RitualWriter *
ritual_writer_begin(Relation rel, const RitualOptions *opts)
{
	RitualWriter *w = palloc0(sizeof(RitualWriter));
	TupleDesc	tupdesc = RelationGetDescr(rel);
	StringInfoData header;
	StringInfoData layout;
	struct stat st;
	ListCell   *lc;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write into ritual_fdw table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("Only superusers and members of pg_write_server_files may write server files.")));
	if (list_length(opts->paths) != 1 ||
		strpbrk(linitial(opts->paths), "*?[") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot insert into ritual_fdw table \"%s\": its path is not one directory",
						RelationGetRelationName(rel)),
				 errhint("Point a table at a single directory to write into it.")));
	w->directory = pstrdup(linitial(opts->paths));
	if (stat(w->directory, &st) != 0 || !S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot insert into ritual_fdw table \"%s\": \"%s\" is not a directory",
						RelationGetRelationName(rel), w->directory),
				 errhint("Create the directory, readable and writable by the server, first.")));

	w->rel = rel;
	w->opts = opts;
	w->context = CurrentMemoryContext;
	w->id = ++writers_begun;
	w->parquet = (opts->format == RITUAL_FORMAT_PARQUET);
	w->names = palloc0(sizeof(char *) * Max(tupdesc->natts, 1));
	w->in_file = palloc0(sizeof(bool) * Max(tupdesc->natts, 1));
	w->out_funcs = palloc0(sizeof(FmgrInfo) * Max(tupdesc->natts, 1));
	w->partition_attnums = palloc(sizeof(int) * Max(list_length(opts->partition_by), 1));

	/* partition columns, in the order partition_by names them */
	foreach(lc, opts->partition_by)
	{
		const char *name = lfirst(lc);
		const char *directory;
		int			attnum = -1;

		for (int i = 0; i < tupdesc->natts; i++)
		{
			if (!TupleDescAttr(tupdesc, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), name) == 0)
				attnum = i;
		}
		if (attnum < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("option partition_by names column \"%s\", which table \"%s\" does not have",
							name, RelationGetRelationName(rel))));
		if (opts->columns[attnum].meta != RITUAL_META_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot partition by meta column \"%s\"", name),
					 errdetail("A meta column is filled by the reader, so its value is not written."),
					 errhint("Remove \"%s\" from option partition_by.", name)));
		/* its directories are named as the files name the column */
		directory = opts->columns[attnum].header_name;
		if (directory[0] == '_' || directory[0] == '.')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot partition by column \"%s\": directories whose names start with \"%c\" are hidden from readers",
							directory, directory[0])));
		w->partition_attnums[w->npartitions++] = attnum;
	}

	/*
	 * The other columns go into the file, in order.  The layout says how
	 * rows are written: a file begun by an earlier statement of the
	 * transaction takes more rows only if it is the same.
	 */
	initStringInfo(&header);
	initStringInfo(&layout);
	appendStringInfo(&layout, "%s|%d|%d|%c%c%c|%s|", w->directory, w->parquet,
					 (int) opts->compression, opts->delimiter,
					 opts->quote, opts->escape,
					 opts->null_string ? opts->null_string : "");
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Oid			out_func;
		bool		is_varlena;

		if (TupleDescAttr(tupdesc, i)->attisdropped ||
			opts->columns[i].meta != RITUAL_META_NONE)
			continue;
		getTypeOutputInfo(TupleDescAttr(tupdesc, i)->atttypid, &out_func,
						  &is_varlena);
		fmgr_info(out_func, &w->out_funcs[i]);
		w->in_file[i] = true;
		for (int p = 0; p < w->npartitions; p++)
		{
			if (w->partition_attnums[p] == i)
				w->in_file[i] = false;
		}
		if (!w->in_file[i])
			continue;
		w->names[i] = opts->columns[i].header_name;
		appendStringInfo(&layout, "%s:%u:%d|", w->names[i],
						 TupleDescAttr(tupdesc, i)->atttypid,
						 TupleDescAttr(tupdesc, i)->atttypmod);
		if (header.len > 0)
			appendStringInfoChar(&header, opts->delimiter);
		append_csv_field(&header, opts->columns[i].header_name, opts);
		w->nfile_columns++;
	}
	appendStringInfoChar(&header, '\n');
	appendStringInfoString(&layout, opts->header ? header.data : "");
	w->layout = layout.data;

	/* a row with no field would be a blank line, which readers skip */
	if (w->nfile_columns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot insert into ritual_fdw table \"%s\": every column is a partition or meta column",
						RelationGetRelationName(rel)),
				 errdetail("Its files would hold no field, and their rows would not read back."),
				 errhint("Leave a column out of option partition_by.")));
	/* a NULL is written as the null string, unquoted */
	if (!w->parquet && opts->null_string &&
		unsafe_unquoted(opts->null_string, opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot insert into ritual_fdw table \"%s\": its null string \"%s\" would not read back as NULL",
						RelationGetRelationName(rel), opts->null_string),
				 errdetail("A NULL is written as the null string, unquoted, so it cannot hold the quote or the delimiter, or start with a byte-order mark."),
				 errhint("Change option \"null\" to write into the table.")));
	w->header = opts->header ? header.data : "";
	initStringInfo(&w->key);
	initStringInfo(&w->row);
	w->row_context = AllocSetContextCreate(CurrentMemoryContext,
										   "ritual_fdw row written",
										   ALLOCSET_DEFAULT_SIZES);
	/*
	 * Directory names are remembered, by value, for types passed by value
	 * whose text depends on no setting but those fixed while writing
	 * (DateStyle, not TimeZone).
	 */
	w->memos = palloc0(sizeof(HTAB *) * Max(w->npartitions, 1));
	for (int p = 0; p < w->npartitions; p++)
	{
		Oid			typid = TupleDescAttr(tupdesc, w->partition_attnums[p])->atttypid;
		HASHCTL		ctl;

		if ((typid != BOOLOID && typid != INT2OID && typid != INT4OID &&
			 typid != INT8OID && typid != DATEOID && typid != TIMESTAMPOID) ||
			!get_typbyval(typid))
			continue;
		ctl.keysize = sizeof(Datum);
		ctl.entrysize = sizeof(PartitionMemo);
		ctl.hcxt = CurrentMemoryContext;
		w->memos[p] = hash_create("ritual_fdw partition directories", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* settle what crashed writes left in the directory */
	(void) ritual_discover_files(list_make1(w->directory), true);
	return w;
}

/* Render a row's partition directory into w->key. */
static void
format_key(RitualWriter *w, TupleTableSlot *slot)
{
	TupleDesc	tupdesc = RelationGetDescr(w->rel);

	resetStringInfo(&w->key);
	for (int p = 0; p < w->npartitions; p++)
	{
		int			i = w->partition_attnums[p];
		bool		remember = w->memos[p] != NULL && !slot->tts_isnull[i];
		const char *value;
		int			start;

		if (p > 0)
			appendStringInfoChar(&w->key, '/');
		if (remember)
		{
			PartitionMemo *memo = hash_search(w->memos[p], &slot->tts_values[i],
											  HASH_FIND, NULL);

			if (memo)
			{
				appendStringInfoString(&w->key, memo->directory);
				continue;
			}
		}
		value = slot->tts_isnull[i] ? NULL :
			OutputFunctionCall(&w->out_funcs[i], slot->tts_values[i]);

		/* a directory col= reads back as NULL */
		if (value != NULL && value[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot write an empty string into partition column \"%s\" of ritual_fdw table \"%s\"",
							NameStr(TupleDescAttr(tupdesc, i)->attname),
							RelationGetRelationName(w->rel)),
					 errdetail("A partition directory cannot tell an empty value from NULL, so it would read back as NULL."),
					 errhint("Write NULL instead, for example with NULLIF(value, '').")));
		start = w->key.len;
		append_escaped_partition(&w->key, w->opts->columns[i].header_name);
		appendStringInfoChar(&w->key, '=');
		append_escaped_partition(&w->key, value);
		if (remember && hash_get_num_entries(w->memos[p]) < MAX_MEMO_ENTRIES)
		{
			PartitionMemo *memo = hash_search(w->memos[p], &slot->tts_values[i],
											  HASH_ENTER, NULL);

			memo->directory = MemoryContextStrdup(w->context, w->key.data + start);
			memo->file = NULL;
		}
	}
	if (w->key.len >= MAXPGPATH)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("partition directory \"%s\" is too long", w->key.data)));
}

/* Render a row's CSV line into w->row. */
static void
format_csv_row(RitualWriter *w, TupleTableSlot *slot)
{
	TupleDesc	tupdesc = RelationGetDescr(w->rel);
	bool		first = true;

	resetStringInfo(&w->row);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		if (!w->in_file[i])
			continue;
		if (!first)
			appendStringInfoChar(&w->row, w->opts->delimiter);
		first = false;
		if (!slot->tts_isnull[i])
			append_csv_field(&w->row,
							 OutputFunctionCall(&w->out_funcs[i], slot->tts_values[i]),
							 w->opts);
		else if (w->opts->null_string && w->opts->null_string[0] != '\0')
			appendStringInfoString(&w->row, w->opts->null_string);
		else if (w->nfile_columns == 1)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("cannot write a NULL into column \"%s\" of ritual_fdw table \"%s\"",
							NameStr(TupleDescAttr(tupdesc, i)->attname),
							RelationGetRelationName(w->rel)),
					 errdetail("It is the only column in the table's files, and without option \"null\" its NULL would be a blank line, which readers skip."),
					 errhint("Set option \"null\" (for example null 'NULL') to write NULLs.")));
	}
	appendStringInfoChar(&w->row, '\n');
}

/* The file that buffers the most, or NULL. */
static OutputFile *
largest_buffer(void)
{
	OutputFile *largest = NULL;
	ListCell   *lc;

	foreach(lc, pending->files)
	{
		OutputFile *file = lfirst(lc);

		if (file->buffered > 0 &&
			(largest == NULL || file->buffered > largest->buffered))
			largest = file;
	}
	return largest;
}

/* Past the budget, write the largest buffers until it is kept. */
static void
keep_budget(void)
{
	OutputFile *largest;

	while (pending->buffered > BUFFER_BUDGET &&
		   (largest = largest_buffer()) != NULL)
		append_buffered(largest);
}

/*
 * Buffer a row in its Parquet file; write a row group when the file has
 * row_group_size rows, or when all files together buffer too much.
 */
static void
add_parquet_row(RitualWriter *w, OutputFile *file, TupleTableSlot *slot)
{
	Size		before = file->buffered;

	parquet_writer_add_row(file->parquet, slot->tts_values, slot->tts_isnull);
	file->buffered = parquet_writer_buffered_bytes(file->parquet);
	pending->buffered += file->buffered - before;
	if (parquet_writer_buffered_rows(file->parquet) >= w->opts->row_group_size)
		append_parquet(file, false);
	keep_budget();
}

/* Append a row's CSV line to its file. */
static void
add_csv_row(RitualWriter *w, OutputFile *file, TupleTableSlot *slot)
{
	format_csv_row(w, slot);
	append_text(file, w->row.data, w->row.len);
	if (file->buffer.len >= WRITE_BUFFER_SIZE)
		append_csv(file);
	keep_budget();
}

/*
 * The memo of a row's value of the table's one partition column, or NULL
 * when there is none.
 */
static PartitionMemo *
row_memo(RitualWriter *w, TupleTableSlot *slot)
{
	int			i = w->partition_attnums[0];

	if (w->npartitions != 1 || w->memos[0] == NULL || slot->tts_isnull[i])
		return NULL;
	return hash_search(w->memos[0], &slot->tts_values[i], HASH_FIND, NULL);
}

/*
 * The file that file_for would give a row, if its memo knows it: the
 * file its value's rows last went to, of this subtransaction and this
 * writer, not full; else NULL.  Rows of unsorted partitions skip
 * the directory name and the lookup of the file so.
 */
static OutputFile *
remembered_file(RitualWriter *w, PartitionMemo *memo)
{
	OutputFile *file = memo ? memo->file : NULL;

	if (file == NULL || memo->subxid != GetCurrentSubTransactionId() ||
		file->full || file->checked_by != w->id ||
		file_size(file) >= w->opts->max_file_size)
		return NULL;
	return file;
}

/*
 * ritual_writer_insert
 *		Append one row to the file of its partition.
 */
void
ritual_writer_insert(RitualWriter *w, TupleTableSlot *slot)
{
	int			saved_date_style = DateStyle;
	int			saved_date_order = DateOrder;
	int			saved_interval_style = IntervalStyle;
	int			saved_float_digits = extra_float_digits;
	MemoryContext oldcontext;
	OutputFile *file;

	slot_getallattrs(slot);
	/* what formatting a row allocates is freed with the row */
	MemoryContextReset(w->row_context);
	oldcontext = MemoryContextSwitchTo(w->row_context);

	/*
	 * What is written must read back the same whatever the reader's
	 * settings, and directory names must not change with them: dates and
	 * intervals are written in ISO style and floats exactly, as pg_dump
	 * does.
	 */
	DateStyle = USE_ISO_DATES;
	DateOrder = DATEORDER_YMD;
	IntervalStyle = INTSTYLE_POSTGRES;
	extra_float_digits = 1;		/* floats in the shortest exact form */
	PG_TRY();
	{
		PartitionMemo *memo = row_memo(w, slot);

		file = remembered_file(w, memo);
		if (file == NULL)
		{
			format_key(w, slot);
			file = file_for(w, w->key.data);
			if ((memo = row_memo(w, slot)) != NULL)
			{
				memo->file = file;
				memo->subxid = GetCurrentSubTransactionId();
			}
		}
		if (file->is_parquet)
			add_parquet_row(w, file, slot);
		else
			add_csv_row(w, file, slot);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(oldcontext);
		DateStyle = saved_date_style;
		DateOrder = saved_date_order;
		IntervalStyle = saved_interval_style;
		extra_float_digits = saved_float_digits;
	}
	PG_END_TRY();
}
