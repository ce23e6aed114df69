/*-------------------------------------------------------------------------
 *
 * ingest.c
 *		  ritual.ingest: append to a table, exactly once, what is new in the
 *		  files of a ritual_fdw foreign table, and keep the checkpoint of
 *		  src/sql/tables/ingest.sql in the caller's transaction.
 *
 * Everything that reads the source or writes the target runs as the calling
 * role, with that role's privileges, row security and triggers.  Only
 * ritual's own bookkeeping (the stream, the checkpoint, the rejects and the
 * log) runs as the owner of those tables, through SPI, with the user id
 * switched around each statement as PostgreSQL's foreign-key checks do: so
 * a role needs no privilege on them beyond reading the rows of its own
 * streams, cannot forge a checkpoint, and no internal step of an ingest is
 * reachable from SQL.  batch.c hands the batch to the scan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/varlena.h"
#include "utils/timestamp.h"

#include "ritual.h"

/* What a fingerprint hashes at each end of a file's prefix. */
#define FINGERPRINT_BYTES		4096

/* How a file stands against the checkpoint. */
typedef enum FileChange
{
	FILE_NEW,
	FILE_UNCHANGED,
	FILE_GROWN,
	FILE_TRUNCATED,
	FILE_REWRITTEN,
	FILE_IGNORED
} FileChange;

/* A file of the source as listed now, with its checkpoint if it has one. */
typedef struct ListedFile
{
	RitualFile *file;
	bool		whole;			/* compressed or Parquet: read to its end,
								 * whatever its size, and fingerprinted whole */
	FileChange	change;
	int64		known_bytes;	/* where reading resumes (0 for a new file) */
	int64		known_lines;	/* line ends before it */
} ListedFile;

/* A file's row of ritual.ingest_files. */
typedef struct KnownFile
{
	char	   *path;
	int64		size;
	TimestampTz modified;
	int64		bytes;
	int64		lines;
	bool		has_fingerprint;
	int64		fingerprint;
	int64		fingerprint_bytes;
	bool		ignored;
} KnownFile;

/* One call of ritual.ingest. */
typedef struct IngestCall
{
	Oid			source;
	Oid			target;
	char	   *source_name;	/* as regclass prints them */
	char	   *target_name;
	Oid			owner;			/* of the checkpoint tables */
	TimestampTz started;
	int64		stream_id;
	int64		batch;
} IngestCall;

/* What a batch took, over its files. */
typedef struct BatchTotals
{
	int			files;
	int64		bytes;
	int64		rows;
	int64		rejects;
} BatchTotals;

PG_FUNCTION_INFO_V1(ritual_ingest);

static char *
regclass_name(Oid relid)
{
	return DatumGetCString(DirectFunctionCall1(regclassout,
											   ObjectIdGetDatum(relid)));
}

/*
 * The source must be a ritual_fdw foreign table: ingest reads its files
 * for the caller.
 */
static void
check_source(Oid relid)
{
	ForeignTable *table;
	ForeignServer *server;
	ForeignDataWrapper *fdw;
	char	   *handler;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", get_rel_name(relid)),
				 errhint("ritual.ingest reads a foreign table of ritual_fdw.")));
	table = GetForeignTable(relid);
	server = GetForeignServer(table->serverid);
	fdw = GetForeignDataWrapper(server->fdwid);
	handler = OidIsValid(fdw->fdwhandler) ? get_func_name(fdw->fdwhandler) : NULL;
	if (handler == NULL || strcmp(handler, "ritual_fdw_handler") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("foreign table \"%s\" does not belong to ritual_fdw",
						get_rel_name(relid)),
				 errhint("ritual.ingest reads a foreign table of ritual_fdw.")));
}

/*
 * The columns the target takes from the source: those of the same name,
 * but for the ones INSERT computes (generated, or identity GENERATED
 * ALWAYS), as a list for INSERT and SELECT.
 */
static char *
common_columns(Oid source, Oid target)
{
	Relation	srel = table_open(source, AccessShareLock);
	Relation	trel = table_open(target, AccessShareLock);
	TupleDesc	sdesc = RelationGetDescr(srel);
	TupleDesc	tdesc = RelationGetDescr(trel);
	StringInfoData columns;

	initStringInfo(&columns);
	for (int i = 0; i < tdesc->natts; i++)
	{
		Form_pg_attribute tattr = TupleDescAttr(tdesc, i);

		if (tattr->attisdropped || tattr->attgenerated ||
			tattr->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			continue;
		for (int j = 0; j < sdesc->natts; j++)
		{
			Form_pg_attribute sattr = TupleDescAttr(sdesc, j);

			if (!sattr->attisdropped &&
				strcmp(NameStr(sattr->attname), NameStr(tattr->attname)) == 0)
			{
				appendStringInfo(&columns, "%s%s", columns.len ? ", " : "",
								 quote_identifier(NameStr(tattr->attname)));
				break;
			}
		}
	}
	table_close(trel, NoLock);
	table_close(srel, NoLock);
	return columns.len ? columns.data : NULL;
}

/*
 * A hash of the first and the last FINGERPRINT_BYTES of a file's first
 * 'upto' bytes: what ingest compares to tell a file that grew from one that
 * was rewritten.  False when the file now holds fewer than 'upto' bytes.
 */
static bool
file_fingerprint(const char *path, int64 upto, int64 *fingerprint)
{
	char		buffer[FINGERPRINT_BYTES];
	int64		starts[2] = {0, Max(upto - FINGERPRINT_BYTES, 0)};
	uint64		hash = hash_bytes_uint32((uint32) upto) ^ (uint64) upto;
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	for (int i = 0; i < 2; i++)
	{
		Size		want = (Size) Min(upto - starts[i], FINGERPRINT_BYTES);
		ssize_t		nread;

		do
			nread = pread(fd, buffer, want, (off_t) starts[i]);
		while (nread < 0 && errno == EINTR);
		if (nread < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		if ((Size) nread < want)
		{
			CloseTransientFile(fd);
			return false;
		}
		hash = hash_combine64(hash, hash_bytes_extended((unsigned char *) buffer,
														nread, i));
	}
	CloseTransientFile(fd);
	*fingerprint = (int64) hash;
	return true;
}

/*
 * The owner of ritual's ingest tables, as whom the bookkeeping runs.
 */
static Oid
checkpoint_owner(void)
{
	Oid			relid = get_relname_relid("ingest_streams",
										  get_namespace_oid("ritual", false));
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "table ritual.ingest_streams is missing");
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Run one statement of the bookkeeping as the owner of the checkpoint
 * tables, in a restricted security context, and return SPI's result code.
 * The statements name every object with its schema, and the function runs
 * with search_path pg_catalog, pg_temp: nothing of the caller's is called
 * with the owner's rights.
 */
static int
execute_as_owner(IngestCall *call, SPIPlanPtr plan, Datum *values,
				 const char *nulls)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile int rc = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(call->owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	if (rc < 0)
		elog(ERROR, "ritual.ingest: SPI_execute_plan failed: %s",
			 SPI_result_code_string(rc));
	return rc;
}

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "ritual.ingest: SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	return plan;
}

/* Run a one-off statement of the bookkeeping as the owner. */
static int
bookkeep(IngestCall *call, const char *sql, int nargs, Oid *argtypes,
		 Datum *values, const char *nulls)
{
	return execute_as_owner(call, prepare(sql, nargs, argtypes), values, nulls);
}

/*
 * Lock the (source, target) stream for the rest of the transaction, making
 * its row first if it has none; with 'wait' false, false when another
 * ingest of the pair holds it.  The advisory lock also covers a pair's
 * first ingest, before its row exists.
 */
static bool
lock_stream(IngestCall *call, bool wait)
{
	Datum		keys[2] = {
		Int32GetDatum((int32) ((int64) call->source - INT64CONST(2147483648))),
		Int32GetDatum((int32) ((int64) call->target - INT64CONST(2147483648)))
	};
	Oid			types[2] = {REGCLASSOID, REGCLASSOID};
	Datum		pair[2] = {ObjectIdGetDatum(call->source),
	ObjectIdGetDatum(call->target)};
	bool		isnull;

	if (wait)
		DirectFunctionCall2(pg_advisory_xact_lock_int4, keys[0], keys[1]);
	else if (!DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
											   keys[0], keys[1])))
		return false;

	bookkeep(call,
			 "INSERT INTO ritual.ingest_streams (source, target) "
			 "SELECT $1, $2 WHERE NOT EXISTS (SELECT FROM ritual.ingest_streams s "
			 "WHERE s.source = $1 AND s.target = $2) ON CONFLICT DO NOTHING",
			 2, types, pair, NULL);
	bookkeep(call, wait ?
			 "SELECT stream_id, batches FROM ritual.ingest_streams "
			 "WHERE source = $1 AND target = $2 FOR UPDATE" :
			 "SELECT stream_id, batches FROM ritual.ingest_streams "
			 "WHERE source = $1 AND target = $2 FOR UPDATE SKIP LOCKED",
			 2, types, pair, NULL);
	if (SPI_processed == 0)
	{
		if (wait)
			elog(ERROR, "ritual.ingest: the stream's row is missing");
		return false;
	}
	call->stream_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1,
												  &isnull));
	call->batch = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 2,
											  &isnull)) + 1;
	return true;
}

/* The stream's checkpoint, sorted by path byte-wise; *nknown rows. */
static KnownFile *
read_checkpoint(IngestCall *call, int *nknown)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(call->stream_id)};
	KnownFile  *known;

	bookkeep(call,
			 "SELECT path, size, modified, bytes, lines, fingerprint, "
			 "fingerprint_bytes, state = 'ignored' FROM ritual.ingest_files "
			 "WHERE stream_id = $1 ORDER BY path COLLATE \"C\"",
			 1, types, values, NULL);
	*nknown = (int) SPI_processed;
	known = palloc0(sizeof(KnownFile) * Max(*nknown, 1));
	for (int i = 0; i < *nknown; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		KnownFile  *k = &known[i];
		bool		isnull;

		k->path = TextDatumGetCString(SPI_getbinval(tuple, desc, 1, &isnull));
		k->size = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		k->modified = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 3, &isnull));
		k->bytes = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
		k->lines = DatumGetInt64(SPI_getbinval(tuple, desc, 5, &isnull));
		k->fingerprint = DatumGetInt64(SPI_getbinval(tuple, desc, 6, &isnull));
		k->has_fingerprint = !isnull;
		k->fingerprint_bytes = DatumGetInt64(SPI_getbinval(tuple, desc, 7, &isnull));
		k->ignored = DatumGetBool(SPI_getbinval(tuple, desc, 8, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return known;
}

/*
 * How a file listed now stands against its checkpoint row 'k' (NULL: none).
 * A file whose size and time are as checkpointed is unchanged, unless
 * files_complete asks for a tail held back; otherwise the fingerprint of
 * the bytes the checkpoint covers tells growth from a rewrite.
 */
static FileChange
file_change(const ListedFile *listed, const KnownFile *k, bool files_complete)
{
	RitualFile *file = listed->file;
	int64		fingerprint;
	bool		has_fingerprint;

	if (k == NULL)
		return FILE_NEW;
	if (k->ignored)
		return FILE_IGNORED;
	if (file->size == k->size && file->modified == k->modified &&
		(!files_complete || listed->whole || k->bytes >= file->size))
		return FILE_UNCHANGED;
	if (file->size < k->size)
		return FILE_TRUNCATED;
	/* a fingerprint missing on either side tells only if both are */
	has_fingerprint = file_fingerprint(file->path, k->fingerprint_bytes,
									   &fingerprint);
	if (has_fingerprint != k->has_fingerprint ||
		(has_fingerprint && fingerprint != k->fingerprint))
		return FILE_REWRITTEN;
	return FILE_GROWN;
}

/*
 * Every file of the source now, against the checkpoint; *nlisted of them.
 */
static ListedFile *
list_files(IngestCall *call, RitualOptions *opts, bool files_complete,
		   int *nlisted)
{
	List	   *files = ritual_discover_files(opts->paths, opts->missing_ok);
	int			nknown;
	KnownFile  *known = read_checkpoint(call, &nknown);
	ListedFile *listed = palloc0(sizeof(ListedFile) * Max(list_length(files), 1));
	int			next_known = 0;
	ListCell   *lc;

	*nlisted = 0;
	foreach(lc, files)
	{
		ListedFile *l = &listed[(*nlisted)++];
		KnownFile  *k = NULL;
		int			cmp = 1;

		l->file = lfirst(lc);
		l->whole = ritual_compression_of(opts->compression, l->file->path) !=
			RITUAL_COMPRESSION_NONE ||
			ritual_format_of(opts, l->file->path) == RITUAL_FORMAT_PARQUET;
		/* both lists are sorted by path byte-wise: walk them together */
		while (next_known < nknown &&
			   (cmp = strcmp(known[next_known].path, l->file->path)) < 0)
			next_known++;
		if (next_known < nknown && cmp == 0)
			k = &known[next_known];
		l->change = file_change(l, k, files_complete);
		if (k != NULL && (l->change == FILE_GROWN || l->change == FILE_UNCHANGED))
		{
			l->known_bytes = k->bytes;
			l->known_lines = k->lines;
		}
		CHECK_FOR_INTERRUPTS();
	}
	return listed;
}

/* Files in modification-time, then name order (the database's collation). */
static int
compare_listed(const void *a, const void *b)
{
	const RitualFile *fa = (*(ListedFile *const *) a)->file;
	const RitualFile *fb = (*(ListedFile *const *) b)->file;

	if (fa->modified != fb->modified)
		return fa->modified < fb->modified ? -1 : 1;
	return varstr_cmp(fa->path, strlen(fa->path), fb->path, strlen(fb->path),
					  DEFAULT_COLLATION_OID);
}

/* The listed files of the given changes, in compare_listed order. */
static ListedFile **
files_of(ListedFile *listed, int nlisted, FileChange one, FileChange other,
		 int *n)
{
	ListedFile **found = palloc(sizeof(ListedFile *) * Max(nlisted, 1));

	*n = 0;
	for (int i = 0; i < nlisted; i++)
	{
		if (listed[i].change == one || listed[i].change == other)
			found[(*n)++] = &listed[i];
	}
	qsort(found, *n, sizeof(ListedFile *), compare_listed);
	return found;
}

/*
 * Files rewritten or truncated since they were read: an error, ignored for
 * good, or read again from the start, as on_rewrite says.  Returns how many.
 */
static int
handle_rewrites(IngestCall *call, ListedFile *listed, int nlisted,
				const char *on_rewrite)
{
	int			n;
	ListedFile **rewritten = files_of(listed, nlisted, FILE_TRUNCATED,
									  FILE_REWRITTEN, &n);

	if (n == 0)
		return 0;
	if (strcmp(on_rewrite, "error") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" was %s since ritual.ingest read it",
						rewritten[0]->file->path,
						rewritten[0]->change == FILE_TRUNCATED ? "truncated" : "rewritten"),
				 errdetail("%d file(s) of %s changed other than by growing.",
						   n, call->source_name),
				 errhint("Pass on_rewrite => 'reingest' to read such files again from the start (rows already taken from them stay in the target), or 'ignore' to leave them be.")));
	if (strcmp(on_rewrite, "ignore") == 0)
	{
		Oid			types[2] = {INT8OID, TEXTOID};
		SPIPlanPtr	plan = prepare("UPDATE ritual.ingest_files SET state = 'ignored' "
								   "WHERE stream_id = $1 AND path = $2",
								   2, types);

		for (int i = 0; i < n; i++)
		{
			Datum		values[2] = {Int64GetDatum(call->stream_id),
			CStringGetTextDatum(rewritten[i]->file->path)};

			execute_as_owner(call, plan, values, NULL);
		}
		ereport(NOTICE,
				(errmsg("ignoring %d rewritten or truncated file(s) of %s, the first \"%s\"",
						n, call->source_name, rewritten[0]->file->path)));
	}
	else
	{
		for (int i = 0; i < n; i++)
			rewritten[i]->change = FILE_NEW;
		ereport(NOTICE,
				(errmsg("reading %d rewritten or truncated file(s) of %s again from the start, the first \"%s\"",
						n, call->source_name, rewritten[0]->file->path)));
	}
	return n;
}

/*
 * The batch: new and grown files in modification-time then name order, the
 * first max_files, and while their new bytes (a compressed or Parquet file's size) stay
 * within max_bytes, but at least one.  NULL when there is nothing new;
 * *pending says how many files with new data are left for later.
 */
static RitualIngestScan *
choose_batch(IngestCall *call, ListedFile *listed, int nlisted,
			 int max_files, int64 max_bytes, int *pending)
{
	int			ntodo;
	ListedFile **todo = files_of(listed, nlisted, FILE_NEW, FILE_GROWN, &ntodo);
	int			n = 0;
	int64		running = 0;
	RitualIngestScan *ingest;

	while (n < ntodo && (max_files < 0 || n < max_files))
	{
		ListedFile *l = todo[n];

		running += l->whole ? l->file->size :
			l->file->size - l->known_bytes;
		if (max_bytes >= 0 && n > 0 && running > max_bytes)
			break;
		n++;
	}
	*pending = ntodo - n;
	if (n == 0)
		return NULL;

	/* the bytes to read, for the progress (for a compressed file, a guess) */
	running = 0;
	for (int i = 0; i < n; i++)
		running += todo[i]->file->size - todo[i]->known_bytes;
	ingest = ritual_ingest_batch_begin(call->source, call->target, call->batch,
									   n, running);
	for (int i = 0; i < n; i++)
	{
		RitualIngestFile *file = &ingest->files[i];

		file->path = todo[i]->file->path;
		file->start = todo[i]->known_bytes;
		file->start_line = todo[i]->known_lines;
		file->limit = todo[i]->whole ? -1 : todo[i]->file->size;
		file->size = todo[i]->file->size;
		file->modified = todo[i]->file->modified;
	}
	return ingest;
}

/*
 * Keep the batch's rejects.  Their raw record may hold columns of the file
 * that the source does not map (extra columns matched by name, or a
 * mis-split record), which SELECT on the table does not grant: it is kept
 * only for a caller who may read any server file.
 */
static void
write_rejects(IngestCall *call, RitualIngestScan *ingest)
{
	Oid			types[6] = {INT8OID, INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID};
	SPIPlanPtr	plan = prepare("INSERT INTO ritual.ingest_rejects "
							   "(stream_id, batch, path, line, record, error) "
							   "VALUES ($1, $2, $3, $4, $5, $6)", 6, types);
	bool		keep_records = superuser() ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(call->stream_id);
	values[1] = Int64GetDatum(call->batch);
	for (bool first = true;
		 ritual_ingest_next_reject(ingest, first, &values[2], &values[3],
								   &values[4], &values[5]);
		 first = false)
	{
		nulls[4] = (keep_records && values[4] != (Datum) 0) ? ' ' : 'n';
		execute_as_owner(call, plan, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Checkpoint what the batch took from each file, with the fingerprint the
 * next batch compares (of the whole file, for a compressed or Parquet one).
 */
static void
write_checkpoint(IngestCall *call, RitualIngestScan *ingest)
{
	Oid			types[11] = {INT8OID, TEXTOID, INT8OID, TIMESTAMPTZOID, INT8OID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID};
	SPIPlanPtr	plan = prepare(
							   "INSERT INTO ritual.ingest_files AS k "
							   "(stream_id, path, size, modified, bytes, lines, rows, rejects, "
							   " fingerprint, fingerprint_bytes, first_batch, batch) "
							   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
							   "ON CONFLICT (stream_id, path) DO UPDATE "
							   "SET size = excluded.size, modified = excluded.modified, "
							   "    bytes = excluded.bytes, lines = excluded.lines, "
							   "    rows = k.rows + excluded.rows, "
							   "    rejects = k.rejects + excluded.rejects, "
							   "    fingerprint = excluded.fingerprint, "
							   "    fingerprint_bytes = excluded.fingerprint_bytes, "
							   "    batch = excluded.batch, state = 'reading'",
							   11, types);

	for (int i = 0; i < ingest->nfiles; i++)
	{
		RitualIngestFile *file = &ingest->files[i];
		int64		upto = file->limit < 0 ? file->size : file->end;
		int64		fingerprint = 0;
		char		nulls[11] = "           ";
		Datum		values[11];

		if (!file_fingerprint(file->path, upto, &fingerprint))
			nulls[8] = 'n';
		values[0] = Int64GetDatum(call->stream_id);
		values[1] = CStringGetTextDatum(file->path);
		values[2] = Int64GetDatum(file->size);
		values[3] = TimestampTzGetDatum(file->modified);
		values[4] = Int64GetDatum(file->end);
		values[5] = Int64GetDatum(file->end_line);
		values[6] = Int64GetDatum(file->rows);
		values[7] = Int64GetDatum(file->rejects);
		values[8] = Int64GetDatum(fingerprint);
		values[9] = Int64GetDatum(upto);
		values[10] = Int64GetDatum(call->batch);
		execute_as_owner(call, plan, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Seconds since the call began. */
static double
seconds_since(TimestampTz started)
{
	return (double) (GetCurrentTimestamp() - started) / USECS_PER_SEC;
}

/*
 * Count the batch in its stream and log it; *totals gets what it took.
 */
static void
write_log(IngestCall *call, RitualIngestScan *ingest, int rewrites,
		  int pending, BatchTotals *totals)
{
	Oid			types[10] = {INT8OID, INT8OID, TIMESTAMPTZOID, FLOAT8OID,
	INT4OID, INT8OID, INT8OID, INT8OID, INT4OID, INT4OID};
	Datum		values[10];

	memset(totals, 0, sizeof(BatchTotals));
	totals->files = ingest->nfiles;
	for (int i = 0; i < ingest->nfiles; i++)
	{
		totals->bytes += ingest->files[i].end - ingest->files[i].start;
		totals->rows += ingest->files[i].rows;
		totals->rejects += ingest->files[i].rejects;
	}
	values[0] = Int64GetDatum(call->stream_id);
	values[1] = Int64GetDatum(call->batch);
	bookkeep(call, "UPDATE ritual.ingest_streams SET batches = $2 "
			 "WHERE stream_id = $1", 2, types, values, NULL);
	values[2] = TimestampTzGetDatum(call->started);
	values[3] = Float8GetDatum(seconds_since(call->started));
	values[4] = Int32GetDatum(totals->files);
	values[5] = Int64GetDatum(totals->bytes);
	values[6] = Int64GetDatum(totals->rows);
	values[7] = Int64GetDatum(totals->rejects);
	values[8] = Int32GetDatum(rewrites);
	values[9] = Int32GetDatum(pending);
	bookkeep(call, "INSERT INTO ritual.ingest_batches VALUES "
			 "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			 10, types, values, NULL);
	ereport(LOG,
			(errmsg("ritual.ingest from %s into %s: batch " INT64_FORMAT ", %d files, " INT64_FORMAT " bytes, " INT64_FORMAT " rows, " INT64_FORMAT " rejects",
					call->source_name, call->target_name, call->batch,
					totals->files, totals->bytes, totals->rows,
					totals->rejects)));
}

/* INSERT INTO target (columns) SELECT columns FROM ONLY source */
static char *
insert_statement(IngestCall *call, const char *columns)
{
	StringInfoData insert;

	initStringInfo(&insert);
	appendStringInfo(&insert, "INSERT INTO %s (%s) SELECT %s FROM ONLY %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(call->target)),
												get_rel_name(call->target)),
					 columns, columns,
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(call->source)),
												get_rel_name(call->source)));
	return insert.data;
}

/* The one row ritual.ingest returns; a NULL batch when nothing was read. */
static void
return_row(FunctionCallInfo fcinfo, int64 batch, int files, int64 bytes,
		   int64 rows, int64 rejects, double seconds)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[6] = {Int64GetDatum(batch), Int32GetDatum(files),
		Int64GetDatum(bytes), Int64GetDatum(rows), Int64GetDatum(rejects),
	Float8GetDatum(seconds)};
	bool		nulls[6] = {batch == 0, false, false, false, false, false};

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * ritual.ingest(source, target, max_files, max_bytes, on_rewrite,
 *				 reject_limit, wait, files_complete)
 *		Append to 'target' what is new in the files of 'source', exactly
 *		once.  See docs/ingest.md.
 */
Datum
ritual_ingest(PG_FUNCTION_ARGS)
{
	IngestCall	call;
	int			max_files = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT32(2);
	int64		max_bytes = PG_ARGISNULL(3) ? -1 : PG_GETARG_INT64(3);
	char	   *on_rewrite = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	int64		reject_limit;
	bool		wait;
	bool		files_complete;
	AclResult	aclresult;
	RitualOptions *opts;
	char	   *columns;
	ListedFile *listed;
	int			nlisted;
	int			rewrites;
	int			pending;
	RitualIngestScan *ingest;
	BatchTotals totals;

	memset(&call, 0, sizeof(call));
	call.started = GetCurrentTimestamp();
	InitMaterializedSRF(fcinfo, 0);

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(6) || PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, target, wait and files_complete of ritual.ingest must not be NULL")));
	call.source = PG_GETARG_OID(0);
	call.target = PG_GETARG_OID(1);
	wait = PG_GETARG_BOOL(6);
	files_complete = PG_GETARG_BOOL(7);
	if ((!PG_ARGISNULL(2) && max_files < 1) || (!PG_ARGISNULL(3) && max_bytes < 1) ||
		(!PG_ARGISNULL(5) && PG_GETARG_INT64(5) < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_files and max_bytes must be positive and reject_limit not negative")));
	if (on_rewrite == NULL || (strcmp(on_rewrite, "error") != 0 &&
							   strcmp(on_rewrite, "reingest") != 0 &&
							   strcmp(on_rewrite, "ignore") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for on_rewrite: \"%s\"",
						on_rewrite ? on_rewrite : "<NULL>"),
				 errhint("Valid values are \"error\", \"reingest\" and \"ignore\".")));
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(call.source)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(call.target)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the source or the target of ritual.ingest does not exist")));
	call.source_name = regclass_name(call.source);
	call.target_name = regclass_name(call.target);

	/* say which privilege is missing before anything is read */
	aclresult = pg_class_aclcheck(call.source, GetUserId(), ACL_SELECT);
	if (aclresult == ACLCHECK_OK)
		aclresult = pg_class_aclcheck(call.target, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to ingest from %s into %s",
						call.source_name, call.target_name),
				 errhint("ritual.ingest needs SELECT on the whole source and INSERT on the target.")));
	check_source(call.source);

	/* the source's own reject_limit (of the table or its server) by default */
	opts = ritual_get_options(call.source);
	reject_limit = PG_ARGISNULL(5) ? opts->reject_limit : PG_GETARG_INT64(5);

	columns = common_columns(call.source, call.target);
	if (columns == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("tables %s and %s have no column name in common",
						call.source_name, call.target_name),
				 errhint("ritual.ingest fills each column of the target from the source's column of the same name.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "ritual.ingest: SPI_connect failed");
	call.owner = checkpoint_owner();

	/* one ingest of a pair at a time, held to commit */
	if (!lock_stream(&call, wait))
	{
		ereport(NOTICE,
				(errmsg("another ritual.ingest from %s into %s is running; nothing was read",
						call.source_name, call.target_name)));
		SPI_finish();
		return_row(fcinfo, 0, 0, 0, 0, 0, seconds_since(call.started));
		return (Datum) 0;
	}

	listed = list_files(&call, opts, files_complete, &nlisted);
	rewrites = handle_rewrites(&call, listed, nlisted, on_rewrite);
	ingest = choose_batch(&call, listed, nlisted, max_files, max_bytes, &pending);
	if (ingest == NULL)
	{
		SPI_finish();
		return_row(fcinfo, 0, 0, 0, 0, 0, seconds_since(call.started));
		return (Datum) 0;
	}
	ingest->files_complete = files_complete;
	ingest->reject_limit = reject_limit;

	/* the rows, as the caller; the bookkeeping, as the owner */
	ritual_ingest_batch_insert(ingest, call.target,
							   insert_statement(&call, columns));
	write_rejects(&call, ingest);
	write_checkpoint(&call, ingest);
	write_log(&call, ingest, rewrites, pending, &totals);
	ritual_ingest_batch_end(ingest);
	SPI_finish();
	return_row(fcinfo, call.batch, totals.files, totals.bytes, totals.rows,
			   totals.rejects, seconds_since(call.started));
	return (Datum) 0;
}
