/*-------------------------------------------------------------------------
 *
 * batch.c
 *		  One batch of ritual.ingest (src/ingest/ingest.c) while it is read: hand it
 *		  to the scan of its source that the batch's insert runs, and to no
 *		  other; keep the rows that scan rejects; show the batch's progress
 *		  in pg_stat_progress_copy; and insert into a plain table as COPY FROM
 *		  does.
 *
 * A batch can be claimed only while ritual.ingest runs its insert, by the
 * first serial scan of the source that starts then: the batch is never
 * reachable from SQL, and a parallel scan (whose workers could not see this
 * backend's memory) never takes it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/parallel.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"

#include "values/convert.h"
#include "ritual.h"

/* How much of a rejected record its row in ritual.ingest_rejects keeps. */
#define REJECT_RECORD_BYTES		(64 * 1024)

/* Rows the plain-table path inserts at once, as COPY FROM does. */
#define INSERT_BATCH_ROWS		1000

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

/* The batch whose insert is running, and whether a scan has taken it. */
static RitualIngestScan *reading = NULL;
static bool reading_claimed = false;

/* The shape of a rejected row in the batch's rejects. */
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
 * ritual_ingest_batch_begin
 *		A batch of 'nfiles' files (filled in by the caller) of 'source' for
 *		'target', with its rejects kept in the current memory context; its
 *		progress shows from now on.
 */
RitualIngestScan *
ritual_ingest_batch_begin(Oid source, Oid target, int64 batch, int nfiles,
						  int64 bytes_total)
{
	RitualIngestScan *ingest = palloc0(sizeof(RitualIngestScan));

	ingest->relid = source;
	ingest->nfiles = nfiles;
	ingest->files = palloc0(sizeof(RitualIngestFile) * Max(nfiles, 1));
	ingest->rejects = tuplestore_begin_heap(false, false, work_mem);
	ingest->reject_slot = MakeSingleTupleTableSlot(rejects_descriptor(),
												   &TTSOpsMinimalTuple);

	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, target);
	{
		const int	index[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE,
			PROGRESS_COPY_BYTES_TOTAL, PROGRESS_INGEST_MARK,
			PROGRESS_INGEST_SOURCE, PROGRESS_INGEST_BATCH,
		PROGRESS_INGEST_FILES_TOTAL};
		const int64 value[] = {PROGRESS_COPY_COMMAND_FROM,
			PROGRESS_COPY_TYPE_FILE, Max(bytes_total, 0), INGEST_MARK,
		source, batch, nfiles};

		pgstat_progress_update_multi_param(lengthof(index), index, value);
	}
	return ingest;
}

/*
 * ritual_ingest_batch_end
 *		The batch is written: its rejects go, and its progress ends.
 */
void
ritual_ingest_batch_end(RitualIngestScan *ingest)
{
	ExecDropSingleTupleTableSlot(ingest->reject_slot);
	tuplestore_end(ingest->rejects);
	pgstat_progress_end_command();
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
 *		Whether a batch waits for a scan of 'relid': a plan made now must not
 *		be parallel, so that the scan can take it.
 */
bool
ritual_ingest_pending(Oid relid)
{
	return reading != NULL && !reading_claimed && reading->relid == relid;
}

/*
 * ritual_ingest_claim
 *		For the scan of 'relid' that a batch waits for: the batch, with
 *		*files replaced by its files in its order.  'files' are the table's
 *		files as discovered now, sorted by path; a file of the batch that is
 *		no longer among them, or shorter than its range, is an error.
 *		NULL, with *files untouched, for any other scan, and for a parallel
 *		one ('parallel_aware'), which reads the table as usual.
 */
RitualIngestScan *
ritual_ingest_claim(Oid relid, bool parallel_aware, List **files)
{
	List	   *batch_files = NIL;

	if (parallel_aware || IsParallelWorker() || !ritual_ingest_pending(relid))
		return NULL;
	for (int i = 0; i < reading->nfiles; i++)
	{
		RitualIngestFile *file = &reading->files[i];

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
	reading_claimed = true;
	*files = batch_files;
	return reading;
}

/*
 * Keep a rejected row: its file, line, raw record (NULL when it is not at
 * hand: a record longer than the reader's chunk) and why.
 */
static void
keep_reject(RitualIngestScan *ingest, const char *path, int64 line,
					 const char *record, Size len, const char *error)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, record == NULL, false};

	values[0] = CStringGetTextDatum(path);
	values[1] = Int64GetDatum(line);
	values[2] = record == NULL ? (Datum) 0 :
		CStringGetTextDatum(ritual_printable_text(record, (int) Min(len, INT_MAX),
												  REJECT_RECORD_BYTES, false));
	values[3] = CStringGetTextDatum(error ? error : "rejected");
	tuplestore_putvalues(ingest->rejects, rejects_descriptor(), values, nulls);
}

/*
 * ritual_ingest_next_reject
 *		The batch's rejects one by one, from the first: false after the last.
 *		'record' is NULL when the raw record was not kept.
 */
bool
ritual_ingest_next_reject(RitualIngestScan *ingest, bool first,
						  Datum *path, Datum *line, Datum *record,
						  Datum *error)
{
	TupleTableSlot *slot = ingest->reject_slot;
	bool		isnull;

	if (first)
		tuplestore_rescan(ingest->rejects);
	if (!tuplestore_gettupleslot(ingest->rejects, true, false, slot))
		return false;
	*path = slot_getattr(slot, 1, &isnull);
	*line = slot_getattr(slot, 2, &isnull);
	*record = slot_getattr(slot, 3, &isnull);
	if (isnull)
		*record = (Datum) 0;
	*error = slot_getattr(slot, 4, &isnull);
	return true;
}

/* Show the batch's files, bytes and rows so far. */
static void
show_progress(RitualIngestScan *ingest)
{
	const int	index[] = {PROGRESS_COPY_BYTES_PROCESSED,
		PROGRESS_COPY_TUPLES_PROCESSED, PROGRESS_COPY_TUPLES_EXCLUDED,
	PROGRESS_INGEST_FILES_DONE};
	const int64 value[] = {ingest->bytes_done, ingest->rows_done,
	ingest->rejects_done, ingest->files_done};

	pgstat_progress_update_multi_param(lengthof(index), index, value);
}

/*
 * The scan of the batch, followed: each file is read from where the last
 * batch stopped, and the batch takes it up to the end of the last record
 * taken.
 */
static void
observe_file_begin(void *arg, RitualUnit *unit)
{
	RitualIngestScan *ingest = arg;
	RitualIngestFile *file = &ingest->files[unit->file_index];

	ingest->current = file;
	unit->start = file->start;
	unit->limit = file->limit;
	unit->start_line = file->start_line;
	file->end = file->start;
	file->end_line = file->start_line;
	ingest->record_start = file->start;
}

/*
 * A last record that no line end closes is held back, the file's header
 * too: the file may be being written, and the record may grow.
 */
static bool
observe_record_read(void *arg, const RitualRecordEnd *end)
{
	RitualIngestScan *ingest = arg;

	return end->terminated || ingest->files_complete;
}

/* The batch has taken the current file up to 'end'. */
static void
advance_file(RitualIngestScan *ingest, const RitualRecordEnd *end)
{
	RitualIngestFile *file = ingest->current;

	if (end->end_offset < 0)
	{
		file->ends_unknown = true;
		return;
	}
	file->end = end->end_offset;
	file->end_line = file->start_line + end->end_line;
	file->ends_unknown = false;
	ingest->record_start = end->end_offset;
}

/* Keep the row, or set it aside as a reject with its raw bytes. */
static void
observe_record_taken(void *arg, RitualScan *scan, RitualTaken kind,
					 const RitualRecordEnd *end, int64 line,
					 const char *reason)
{
	RitualIngestScan *ingest = arg;
	RitualIngestFile *file = ingest->current;

	if (kind == RITUAL_TAKEN_REJECT)
	{
		const char *raw = end->end_offset < 0 ? NULL :
			ritual_scan_raw(scan, ingest->record_start, end->end_offset);
		Size		len = raw ? end->end_offset - ingest->record_start : 0;

		/* blank lines before it and its line end are not the record */
		while (len > 0 && (*raw == '\n' || *raw == '\r'))
			raw++, len--;
		while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
			len--;
		keep_reject(ingest, file->path, line, raw, len, reason);
		file->rejects++;
		ingest->rejects_done++;
	}
	else if (kind == RITUAL_TAKEN_ROW)
	{
		file->rows++;
		ingest->rows_done++;
	}
	advance_file(ingest, end);
	if (kind != RITUAL_TAKEN_HEADER &&
		(ingest->rows_done + ingest->rejects_done) % 4096 == 0)
		show_progress(ingest);
}

/*
 * The scan is done with the current file.  A record whose end is unknown
 * cannot be resumed after, so it may not be left behind.
 */
static void
observe_file_end(void *arg)
{
	RitualIngestScan *ingest = arg;
	RitualIngestFile *file = ingest->current;

	if (file->ends_unknown)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("cannot tell where the records of file \"%s\" after byte " INT64_FORMAT " end",
						file->path, file->end),
				 errdetail("Its lines end with a lone carriage return, and its last record has no line end yet."),
				 errhint("Wait until the file is complete and pass files_complete => true, or end its lines with LF.")));
	ingest->files_done++;
	ingest->bytes_done += file->end - file->start;
	show_progress(ingest);
}

/*
 * ritual_ingest_observer
 *		How the scan of a claimed batch is followed, and the options it reads
 *		with: a bad row is set aside, unless the table keeps it with NULLs,
 *		up to the batch's reject_limit.
 */
const RitualScanObserver *
ritual_ingest_observer(RitualIngestScan *ingest, RitualOptions **opts)
{
	RitualScanObserver *observer = palloc0(sizeof(RitualScanObserver));
	RitualOptions *batch_opts = palloc(sizeof(RitualOptions));

	*batch_opts = **opts;
	if (batch_opts->on_error != RITUAL_ON_ERROR_NULL)
		batch_opts->on_error = RITUAL_ON_ERROR_SKIP;
	batch_opts->reject_limit = ingest->reject_limit;
	*opts = batch_opts;

	observer->arg = ingest;
	observer->file_begin = observe_file_begin;
	observer->record_read = observe_record_read;
	observer->record_taken = observe_record_taken;
	observer->file_end = observe_file_end;
	return observer;
}

/*
 * For each attribute of 'target', the attribute of 'source' of the same
 * name that fills it, or -1 (NULL).  False when the plain path cannot do
 * all that INSERT would: anything to compute (a generated or identity
 * column, a default, a type to coerce), a partition constraint to check or
 * a partition to route to, triggers, rules, row security.
 */
static bool
plain_insert_possible(Relation source, Relation target, int *source_attr)
{
	TupleDesc	sdesc = RelationGetDescr(source);
	TupleDesc	tdesc = RelationGetDescr(target);

	if (target->rd_rel->relkind != RELKIND_RELATION ||
		target->rd_rel->relispartition ||
		target->trigdesc != NULL || target->rd_rules != NULL ||
		check_enable_rls(RelationGetRelid(target), InvalidOid, true) != RLS_NONE)
		return false;
	for (int i = 0; i < tdesc->natts; i++)
	{
		Form_pg_attribute tattr = TupleDescAttr(tdesc, i);

		source_attr[i] = -1;
		if (tattr->attisdropped)
			continue;
		if (tattr->attgenerated || tattr->attidentity)
			return false;
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
		if (source_attr[i] < 0 && tattr->atthasdef)
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
 * Read the batch of 'srel' into the plain table 'trel' as COPY FROM writes,
 * a thousand rows at a time, with constraints checked and indexes kept: the
 * per-row INSERT of INSERT ... SELECT costs more than reading the files.
 */
static void
insert_plain(Relation srel, Relation trel, const int *source_attr)
{
	RitualOptions *opts = ritual_get_options(RelationGetRelid(srel));
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

	files = ritual_discover_files(opts->paths, opts->missing_ok);
	ritual_find_partition_columns(opts, files);
	ingest = ritual_ingest_claim(RelationGetRelid(srel), false, &files);
	scan = ritual_scan_begin(srel, opts, files, NULL, NULL,
							 ingest ? ritual_ingest_observer(ingest, &opts) : NULL);

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
	CommandCounterIncrement();
}

/*
 * ritual_ingest_batch_insert
 *		Read the batch into the target, as the calling role: into a plain
 *		table as COPY FROM writes, into anything else through 'insert' (an
 *		INSERT ... SELECT from the source, run through SPI, which the caller
 *		has connected), whose scan of the source takes the batch.
 */
void
ritual_ingest_batch_insert(RitualIngestScan *ingest, Oid target,
						   const char *insert)
{
	if (reading != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ritual.ingest cannot run while another ritual.ingest inserts its batch")));
	reading = ingest;
	reading_claimed = false;
	PG_TRY();
	{
		Relation	srel = table_open(ingest->relid, AccessShareLock);
		Relation	trel = table_open(target, RowExclusiveLock);
		int		   *source_attr = palloc(sizeof(int) *
										 Max(RelationGetDescr(trel)->natts, 1));

		if (plain_insert_possible(srel, trel, source_attr))
			insert_plain(srel, trel, source_attr);
		else
		{
			int			rc = SPI_execute(insert, false, 0);

			if (rc != SPI_OK_INSERT && rc != SPI_OK_INSERT_RETURNING &&
				rc != SPI_OK_REWRITTEN)
				elog(ERROR, "ritual.ingest: SPI_execute failed: %s",
					 SPI_result_code_string(rc));
		}
		table_close(trel, NoLock);
		table_close(srel, NoLock);
		if (!reading_claimed)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the insert into \"%s\" did not read the batch of ritual.ingest",
							get_rel_name(target)),
					 errhint("A rule on the target must not replace the insert.")));
	}
	PG_FINALLY();
	{
		reading = NULL;
		reading_claimed = false;
	}
	PG_END_TRY();
}
