/*-------------------------------------------------------------------------
 *
 * ingest.c
 *		  The C side of ritual.ingest (src/sql/code/ingest.sql): list a source
 *		  table's files with a fingerprint of what was read of them, hand one
 *		  batch of byte ranges to the next scan of the source, collect what
 *		  the scan took from each file and the rows it rejected, and show the
 *		  batch's progress in pg_stat_progress_copy.
 *
 * The batch lives in this backend's memory for the rest of the transaction
 * at most; the SQL side prepares it and runs its INSERT ... SELECT at once.
 * Writing rows and checkpoints is the SQL side's, in the caller's
 * transaction, which is what makes a batch count exactly once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "convert.h"
#include "ritual.h"

/* How much of a rejected record its row in ritual.ingest_rejects keeps. */
#define REJECT_RECORD_BYTES		(64 * 1024)

/* Rows the plain-table path inserts at once, as COPY FROM does. */
#define INSERT_BATCH_ROWS		1000

/* What a fingerprint hashes at each end of a file's prefix. */
#define FINGERPRINT_BYTES		4096

/*
 * Progress parameters beyond COPY's own, and a mark that tells a batch of
 * ritual.ingest from a COPY in pg_stat_get_progress_info('COPY').
 */
#define PROGRESS_INGEST_MARK		10
#define PROGRESS_INGEST_SOURCE		11
#define PROGRESS_INGEST_BATCH		12
#define PROGRESS_INGEST_FILES_TOTAL 13
#define PROGRESS_INGEST_FILES_DONE	14
#define INGEST_MARK					INT64CONST(0x72697475616c)	/* "ritual" */

/* The batch prepared and not yet collected, and who prepared it. */
static RitualIngestScan *pending = NULL;
static bool pending_claimed = false;
static SubTransactionId pending_subxact = InvalidSubTransactionId;
static bool callbacks_registered = false;

PG_FUNCTION_INFO_V1(ritual_ingest_list_files);
PG_FUNCTION_INFO_V1(ritual_ingest_prepare_batch);
PG_FUNCTION_INFO_V1(ritual_ingest_batch_rejects);
PG_FUNCTION_INFO_V1(ritual_ingest_batch_results);
PG_FUNCTION_INFO_V1(ritual_ingest_insert);

/* Forget the batch; its memory goes with the transaction. */
static void
forget_pending(void)
{
	if (pending != NULL)
		pgstat_progress_end_command();
	pending = NULL;
	pending_claimed = false;
}

static void
ingest_xact_callback(XactEvent event, pg_attribute_unused() void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE)
		forget_pending();
}

static void
ingest_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						pg_attribute_unused() SubTransactionId parentSubid,
						pg_attribute_unused() void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && pending != NULL &&
		pending_subxact >= mySubid)
		forget_pending();
}

/*
 * The source must be a ritual_fdw foreign table that the caller may read:
 * these functions read its files for the caller.
 */
static void
check_source(Oid relid)
{
	ForeignTable *table;
	ForeignServer *server;
	ForeignDataWrapper *fdw;
	char	   *handler;
	AclResult	aclresult;

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
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
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

static bool
is_compressed(const RitualOptions *opts, const char *path)
{
	return ritual_compression_of(opts->compression, path) !=
		RITUAL_COMPRESSION_NONE;
}

/* The elements of a one-dimensional array argument with no NULL. */
static int
array_elements(ArrayType *array, Oid elemtype, const char *name,
			   Datum **values)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool	   *nulls;
	int			n;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  values, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array %s holds a NULL", name)));
	}
	return n;
}

/*
 * ritual.ingest_list_files(source, known_paths, known_upto, known_sizes,
 *							known_modified)
 *		Every file of the source: path, size, modification time, whether it
 *		is compressed, and for a file of the checkpoint (known_paths, sorted
 *		byte-wise) the fingerprint of its first known_upto bytes, NULL when it
 *		holds fewer now.  A file whose size and time are as checkpointed and
 *		whose bytes were all taken is not opened: its fingerprint is NULL.
 */
Datum
ritual_ingest_list_files(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RitualOptions *opts;
	List	   *files;
	ListCell   *lc;
	Datum	   *known_paths;
	char	  **known_path;
	Datum	   *known[3];
	const char *names[3] = {"known_upto", "known_sizes", "known_modified"};
	Oid			types[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	int			nknown;
	int			next_known = 0;

	check_source(relid);
	nknown = array_elements(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, "known_paths",
							&known_paths);
	for (int i = 0; i < 3; i++)
	{
		if (array_elements(PG_GETARG_ARRAYTYPE_P(2 + i), types[i], names[i],
						   &known[i]) != nknown)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("known_paths and %s differ in length", names[i])));
	}
	known_path = palloc(sizeof(char *) * Max(nknown, 1));
	for (int i = 0; i < nknown; i++)
		known_path[i] = TextDatumGetCString(known_paths[i]);

	InitMaterializedSRF(fcinfo, 0);
	opts = ritual_get_options(relid);
	files = ritual_discover_files(opts->paths, opts->missing_ok);
	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, true};
		int			cmp = 1;
		int64		fingerprint;

		values[0] = CStringGetTextDatum(file->path);
		values[1] = Int64GetDatum(file->size);
		values[2] = TimestampTzGetDatum(file->modified);
		values[3] = BoolGetDatum(is_compressed(opts, file->path));

		/* both lists are sorted by path: walk them together */
		while (next_known < nknown &&
			   (cmp = strcmp(known_path[next_known], file->path)) < 0)
			next_known++;
		if (next_known < nknown && cmp == 0)
		{
			int64		upto = DatumGetInt64(known[0][next_known]);

			if (!(file->size == DatumGetInt64(known[1][next_known]) &&
				  file->modified == DatumGetTimestampTz(known[2][next_known]) &&
				  upto >= file->size) &&
				file_fingerprint(file->path, upto, &fingerprint))
			{
				values[4] = Int64GetDatum(fingerprint);
				nulls[4] = false;
			}
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

/*
 * ritual.ingest_prepare_batch(source, target, batch, paths, starts, start_lines,
 *						 limits, sizes, files_complete, reject_limit)
 *		Hand the next scan of 'source' in this transaction the files of a
 *		batch, each read from byte 'starts' (after 'start_lines' line ends)
 *		up to 'limits' (-1: its end), and start showing progress.
 */
Datum
ritual_ingest_prepare_batch(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			target = PG_GETARG_OID(1);
	int64		batch = PG_GETARG_INT64(2);
	Datum	   *paths;
	Datum	   *columns[4];
	const char *names[4] = {"starts", "start_lines", "limits", "sizes"};
	int			nfiles;
	RitualIngestScan *ingest;
	int64		bytes_total = 0;
	MemoryContext oldcontext;

	check_source(relid);
	nfiles = array_elements(PG_GETARG_ARRAYTYPE_P(3), TEXTOID, "paths", &paths);
	for (int i = 0; i < 4; i++)
	{
		if (array_elements(PG_GETARG_ARRAYTYPE_P(4 + i), INT8OID, names[i],
						   &columns[i]) != nfiles)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("paths and %s differ in length", names[i])));
	}
	if (!callbacks_registered)
	{
		RegisterXactCallback(ingest_xact_callback, NULL);
		RegisterSubXactCallback(ingest_subxact_callback, NULL);
		callbacks_registered = true;
	}
	forget_pending();

	oldcontext = MemoryContextSwitchTo(TopTransactionContext);
	ingest = palloc0(sizeof(RitualIngestScan));
	ingest->relid = relid;
	ingest->nfiles = nfiles;
	ingest->files = palloc0(sizeof(RitualIngestFile) * Max(nfiles, 1));
	ingest->files_complete = PG_GETARG_BOOL(8);
	ingest->reject_limit = PG_ARGISNULL(9) ? -1 : PG_GETARG_INT64(9);
	for (int i = 0; i < nfiles; i++)
	{
		RitualIngestFile *file = &ingest->files[i];

		file->path = TextDatumGetCString(paths[i]);
		file->start = DatumGetInt64(columns[0][i]);
		file->start_line = DatumGetInt64(columns[1][i]);
		file->limit = DatumGetInt64(columns[2][i]);
		file->size = DatumGetInt64(columns[3][i]);
		if (file->start < 0 || file->start_line < 0 || file->limit < -1 ||
			(file->limit >= 0 && file->limit < file->start))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid byte range for file \"%s\"", file->path)));
		bytes_total += (file->limit >= 0 ? file->limit : file->size) - file->start;
	}
	MemoryContextSwitchTo(oldcontext);
	pending = ingest;
	pending_subxact = GetCurrentSubTransactionId();

	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, target);
	{
		const int	index[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE,
			PROGRESS_COPY_BYTES_TOTAL, PROGRESS_INGEST_MARK,
			PROGRESS_INGEST_SOURCE, PROGRESS_INGEST_BATCH,
		PROGRESS_INGEST_FILES_TOTAL};
		const int64 value[] = {PROGRESS_COPY_COMMAND_FROM,
			PROGRESS_COPY_TYPE_FILE, Max(bytes_total, 0), INGEST_MARK,
		relid, batch, nfiles};

		pgstat_progress_update_multi_param(lengthof(index), index, value);
	}
	PG_RETURN_VOID();
}

/* Binary search of a list of RitualFile sorted by path. */
static RitualFile *
find_file(List *files, const char *path)
{
	int			low = 0;
	int			high = list_length(files) - 1;

	while (low <= high)
	{
		int			middle = low + (high - low) / 2;
		RitualFile *file = list_nth(files, middle);
		int			cmp = strcmp(path, file->path);

		if (cmp == 0)
			return file;
		if (cmp < 0)
			high = middle - 1;
		else
			low = middle + 1;
	}
	return NULL;
}

/*
 * ritual_ingest_pending
 *		Whether a batch waits for the next scan of 'relid'.
 */
bool
ritual_ingest_pending(Oid relid)
{
	return pending != NULL && !pending_claimed && pending->relid == relid;
}

/*
 * ritual_ingest_claim
 *		For the scan of 'relid' that a batch waits for: the batch, with
 *		*files replaced by its files in its order.  'files' are the table's
 *		files as discovered now, sorted by path; a file of the batch that is
 *		no longer among them, or shorter than its range, is an error.
 *		NULL, with *files untouched, for any other scan.
 */
RitualIngestScan *
ritual_ingest_claim(Oid relid, List **files)
{
	List	   *batch_files = NIL;

	if (!ritual_ingest_pending(relid))
		return NULL;
	for (int i = 0; i < pending->nfiles; i++)
	{
		RitualIngestFile *file = &pending->files[i];

		file->file = find_file(*files, file->path);
		if (file->file == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FILE),
					 errmsg("file \"%s\" was listed for the batch but is gone",
							file->path),
					 errhint("Run ritual.ingest again.")));
		if (file->limit > file->file->size)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" shrank to " INT64_FORMAT " bytes while the batch began",
							file->path, file->file->size),
					 errhint("Run ritual.ingest again once the file is written.")));
		batch_files = lappend(batch_files, file->file);
	}
	pending_claimed = true;
	*files = batch_files;
	return pending;
}

/* The shape of a rejected row, as ritual.ingest_batch_rejects() returns it. */
static TupleDesc
rejects_descriptor(void)
{
	static TupleDesc descriptor = NULL;

	if (descriptor == NULL)
	{
		MemoryContext oldcontext = MemoryContextSwitchTo(TopMemoryContext);
		TupleDesc	desc = CreateTemplateTupleDesc(4);

		TupleDescInitEntry(desc, 1, "path", TEXTOID, -1, 0);
		TupleDescInitEntry(desc, 2, "line", INT8OID, -1, 0);
		TupleDescInitEntry(desc, 3, "record", TEXTOID, -1, 0);
		TupleDescInitEntry(desc, 4, "error", TEXTOID, -1, 0);
		descriptor = desc;
		MemoryContextSwitchTo(oldcontext);
	}
	return descriptor;
}

/*
 * ritual_ingest_reject
 *		Keep a rejected row: its file, line, raw record (NULL when it is not
 *		at hand: a record longer than the reader's chunk) and why.
 */
void
ritual_ingest_reject(RitualIngestScan *ingest, const char *path, int64 line,
					 const char *record, Size len, const char *error)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, record == NULL, false};
	MemoryContext oldcontext = MemoryContextSwitchTo(TopTransactionContext);

	if (ingest->rejects == NULL)
		ingest->rejects = tuplestore_begin_heap(false, false, work_mem);
	MemoryContextSwitchTo(oldcontext);

	values[0] = CStringGetTextDatum(path);
	values[1] = Int64GetDatum(line);
	values[2] = record == NULL ? (Datum) 0 :
		CStringGetTextDatum(ritual_printable_text(record, (int) Min(len, INT_MAX),
												  REJECT_RECORD_BYTES, false));
	values[3] = CStringGetTextDatum(error ? error : "rejected");
	oldcontext = MemoryContextSwitchTo(TopTransactionContext);
	tuplestore_putvalues(ingest->rejects, rejects_descriptor(), values, nulls);
	MemoryContextSwitchTo(oldcontext);
}

/*
 * ritual_ingest_progress
 *		Show the batch's files, bytes and rows so far.
 */
void
ritual_ingest_progress(RitualIngestScan *ingest)
{
	const int	index[] = {PROGRESS_COPY_BYTES_PROCESSED,
		PROGRESS_COPY_TUPLES_PROCESSED, PROGRESS_COPY_TUPLES_EXCLUDED,
	PROGRESS_INGEST_FILES_DONE};
	const int64 value[] = {ingest->bytes_done, ingest->rows_done,
	ingest->rejects_done, ingest->files_done};

	pgstat_progress_update_multi_param(lengthof(index), index, value);
}

/* The batch a collecting function is about, which a scan must have read. */
static RitualIngestScan *
read_batch(void)
{
	if (pending == NULL || !pending_claimed)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no batch of ritual.ingest has been read in this transaction")));
	return pending;
}

/*
 * ritual.ingest_batch_rejects()
 *		The rows the batch's scan rejected: path, line, record, error.
 */
Datum
ritual_ingest_batch_rejects(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RitualIngestScan *ingest = read_batch();
	TupleTableSlot *slot;

	InitMaterializedSRF(fcinfo, 0);
	if (ingest->rejects == NULL)
		return (Datum) 0;
	slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
	tuplestore_rescan(ingest->rejects);
	while (tuplestore_gettupleslot(ingest->rejects, true, false, slot))
	{
		tuplestore_puttupleslot(rsinfo->setResult, slot);
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	return (Datum) 0;
}

/*
 * ritual.ingest_batch_results()
 *		What the batch's scan took from each file: path, end (the stream
 *		offset after the last record taken), end_line (line ends before it),
 *		rows, rejects, and the fingerprint that the next batch compares.
 *		The batch is then forgotten and its progress ends.
 */
Datum
ritual_ingest_batch_results(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RitualIngestScan *ingest = read_batch();
	RitualOptions *opts = ritual_get_options(ingest->relid);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < ingest->nfiles; i++)
	{
		RitualIngestFile *file = &ingest->files[i];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, true};
		int64		fingerprint;

		/* a compressed file's prefix is the file as listed */
		if (file_fingerprint(file->path,
							 is_compressed(opts, file->path) ? file->size : file->end,
							 &fingerprint))
		{
			values[5] = Int64GetDatum(fingerprint);
			nulls[5] = false;
		}
		values[0] = CStringGetTextDatum(file->path);
		values[1] = Int64GetDatum(file->end);
		values[2] = Int64GetDatum(file->end_line);
		values[3] = Int64GetDatum(file->rows);
		values[4] = Int64GetDatum(file->rejects);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	forget_pending();
	return (Datum) 0;
}

/*
 * For each attribute of 'target', the attribute of 'source' of the same
 * name that fills it, or -1 (NULL).  False when the plain path cannot do
 * what INSERT ... SELECT would: a type to coerce, or a default to compute.
 */
static bool
map_target_columns(Relation source, Relation target, int *source_attr)
{
	TupleDesc	sdesc = RelationGetDescr(source);
	TupleDesc	tdesc = RelationGetDescr(target);

	for (int i = 0; i < tdesc->natts; i++)
	{
		Form_pg_attribute tattr = TupleDescAttr(tdesc, i);

		source_attr[i] = -1;
		if (tattr->attisdropped)
			continue;
		for (int j = 0; j < sdesc->natts; j++)
		{
			Form_pg_attribute sattr = TupleDescAttr(sdesc, j);

			if (!sattr->attisdropped &&
				strcmp(NameStr(sattr->attname), NameStr(tattr->attname)) == 0)
			{
				source_attr[i] = j;
				if (sattr->atttypid != tattr->atttypid ||
					sattr->atttypmod != tattr->atttypmod)
					return false;
			}
		}
		if (source_attr[i] < 0 &&
			(tattr->atthasdef || tattr->attidentity || tattr->attgenerated))
			return false;
	}
	return true;
}

/* Insert the batched rows, and their index entries. */
static void
flush_rows(ResultRelInfo *rri, EState *estate, TupleTableSlot **slots,
		   int nslots, BulkInsertState bistate)
{
	table_multi_insert(rri->ri_RelationDesc, slots, nslots,
					   GetCurrentCommandId(true), 0, bistate);
	for (int i = 0; i < nslots; i++)
	{
		if (rri->ri_NumIndices > 0)
#if PG_VERSION_NUM >= 160000
			list_free(ExecInsertIndexTuples(rri, slots[i], estate, false, false,
											NULL, NIL, false));
#else
			list_free(ExecInsertIndexTuples(rri, slots[i], estate, false, false,
											NULL, NIL));
#endif
		ResetPerTupleExprContext(estate);
		ExecClearTuple(slots[i]);
	}
}

/*
 * ritual.ingest_insert(source, target)
 *		Read the prepared batch of 'source' into the plain table 'target' as
 *		COPY FROM writes, a thousand rows at a time, with constraints checked
 *		and indexes kept: the per-row INSERT of INSERT ... SELECT costs more
 *		than reading the files.  Returns the rows inserted, or NULL when the
 *		target needs the executor (triggers, rules, row security, partitions,
 *		defaults or casts to compute, column privileges): then the caller
 *		runs INSERT ... SELECT, which takes the batch instead.
 */
Datum
ritual_ingest_insert(PG_FUNCTION_ARGS)
{
	Oid			source = PG_GETARG_OID(0);
	Oid			target = PG_GETARG_OID(1);
	Relation	srel;
	Relation	trel;
	int		   *source_attr;
	RitualOptions *opts;
	List	   *files;
	RitualIngestScan *ingest;
	RitualScan *scan;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slots[INSERT_BATCH_ROWS];
	BulkInsertState bistate;
	MemoryContext row_context;
	MemoryContext oldcontext;
	Datum	   *values;
	bool	   *nulls;
	int			nslots = 0;
	int64		inserted = 0;

	check_source(source);
	if (!ritual_ingest_pending(source))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no batch of ritual.ingest is prepared for \"%s\"",
						get_rel_name(source))));
	if (get_rel_relkind(target) != RELKIND_RELATION ||
		pg_class_aclcheck(target, GetUserId(), ACL_INSERT) != ACLCHECK_OK ||
		check_enable_rls(target, InvalidOid, true) != RLS_NONE)
		PG_RETURN_NULL();

	srel = table_open(source, AccessShareLock);
	trel = table_open(target, RowExclusiveLock);
	source_attr = palloc(sizeof(int) * Max(RelationGetDescr(trel)->natts, 1));
	if (trel->trigdesc != NULL || trel->rd_rules != NULL ||
		!map_target_columns(srel, trel, source_attr))
	{
		table_close(trel, NoLock);
		table_close(srel, NoLock);
		PG_RETURN_NULL();
	}

	opts = ritual_get_options(source);
	files = ritual_discover_files(opts->paths, opts->missing_ok);
	ritual_find_partition_columns(opts, files);
	ingest = ritual_ingest_claim(source, &files);
	scan = ritual_scan_begin(srel, opts, files, NULL, NULL, ingest);

	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, trel, 0, NULL, 0);
	ExecOpenIndices(rri, false);
	bistate = GetBulkInsertState();
	for (int i = 0; i < INSERT_BATCH_ROWS; i++)
		slots[i] = table_slot_create(trel, NULL);
	values = palloc(sizeof(Datum) * Max(RelationGetDescr(srel)->natts, 1));
	nulls = palloc(sizeof(bool) * Max(RelationGetDescr(srel)->natts, 1));
	row_context = AllocSetContextCreate(CurrentMemoryContext,
										  "ritual.ingest row",
										  ALLOCSET_DEFAULT_SIZES);

	oldcontext = MemoryContextSwitchTo(row_context);
	while (ritual_scan_next(scan, values, nulls))
	{
		TupleTableSlot *slot = slots[nslots];

		for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++)
		{
			slot->tts_isnull[i] = source_attr[i] < 0 || nulls[source_attr[i]];
			slot->tts_values[i] = slot->tts_isnull[i] ? (Datum) 0 :
				values[source_attr[i]];
		}
		ExecStoreVirtualTuple(slot);
		if (trel->rd_att->constr)
			ExecConstraints(rri, slot, estate);
		ResetPerTupleExprContext(estate);

		/* the scan's values last one row: the slot keeps its own copy */
		ExecMaterializeSlot(slot);
		MemoryContextReset(row_context);
		inserted++;
		if (++nslots == INSERT_BATCH_ROWS)
		{
			flush_rows(rri, estate, slots, nslots, bistate);
			nslots = 0;
		}
	}
	MemoryContextSwitchTo(oldcontext);
	if (nslots > 0)
		flush_rows(rri, estate, slots, nslots, bistate);

	ritual_scan_end(scan);
	for (int i = 0; i < INSERT_BATCH_ROWS; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	FreeBulkInsertState(bistate);
	table_finish_bulk_insert(trel, 0);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	MemoryContextDelete(row_context);
	table_close(trel, NoLock);
	table_close(srel, NoLock);
	CommandCounterIncrement();
	PG_RETURN_INT64(inserted);
}
