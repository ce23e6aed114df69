/*-------------------------------------------------------------------------
 *
 * bulk_insert.c
 *		  Writing a table as COPY does: rows are gathered in slots and
 *		  handed to table_multi_insert() a batch at a time, past the
 *		  executor.  The full build's pass writes the event tables so
 *		  (event_pass.c), and the read of the new raw rows its scratch
 *		  table (new_events.c).  The refresh's pass (refresh_pass.c) writes
 *		  enriched_events, user_days and sessions so, their indexes kept,
 *		  and updates and deletes the rows it replaces by their tuple ids.
 *
 * Since no executor runs, what it would do for the rows is checked when
 * the table is opened: the right to write, and that nothing would miss
 * the rows (a trigger, rule, check constraint or row security, and an
 * index unless the writer keeps them), and that the table has the columns
 * the writer means.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "analytics/bulk_insert.h"

/* The reporting table ritual.'name', or the scratch table pg_temp.'name'. */
Oid
table_named(const char *schema, const char *name)
{
	Oid			namespace = strcmp(schema, "pg_temp") == 0 ? LookupCreationNamespace("pg_temp") :
		get_namespace_oid(schema, false);
	Oid			relid = get_relname_relid(name, namespace);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", schema, name)));
	return relid;
}

/*
 * The attribute index of each of 'columns' in 'rel', which must be all of
 * its live columns, in order: a reporting table as its release made it.
 */
int *
column_attnums(Relation rel, const ColumnSpec *columns, int ncolumns)
{
	TupleDesc	desc = RelationGetDescr(rel);
	int		   *attnums = palloc(sizeof(int) * ncolumns);
	int			column = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (column == ncolumns || strcmp(NameStr(att->attname), columns[column].name) != 0 ||
			att->atttypid != columns[column].type)
		{
			column = -1;
			break;
		}
		attnums[column++] = i;
	}
	if (column != ncolumns)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s does not have the columns of its release",
						quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												   RelationGetRelationName(rel))),
				 errhint("Its columns were changed by hand; a fresh CREATE EXTENSION ritual restores them.")));
	return attnums;
}

/*
 * Open the table 'relid' for writing the columns 'columns' (all of its
 * live columns, in order).  With 'with_indexes', its indexes are kept as
 * rows come and go (and it may be updated and deleted from); without, it
 * must have none: a full build makes them once the rows are in.
 */
static void
open_table(BulkTable *table, Oid relid, const ColumnSpec *columns, int ncolumns,
		   bool with_indexes)
{
	AclResult	acl;
	const char *what;
	const char *name;

	table->rel = table_open(relid, RowExclusiveLock);
	name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(table->rel)),
									  RelationGetRelationName(table->rel));
	acl = pg_class_aclcheck(relid, GetUserId(),
							with_indexes ? ACL_INSERT | ACL_UPDATE | ACL_DELETE : ACL_INSERT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(table->rel));
	what = table->rel->rd_rel->relkind != RELKIND_RELATION ? "another kind of relation" :
		table->rel->trigdesc != NULL ? "a trigger" :
		table->rel->rd_rules != NULL ? "a rule" :
		table->rel->rd_rel->relrowsecurity ? "row security" :
		table->rel->rd_att->constr != NULL && table->rel->rd_att->constr->num_check > 0 ?
		"a check constraint" :
		!with_indexes && RelationGetIndexList(table->rel) != NIL ? "an index" : NULL;
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s has %s, which builds and refreshes would bypass", name, what),
				 errdetail("Builds and refreshes write the rows of %s directly, in batches, past the executor: no trigger or rule fires and no constraint is checked; a full build makes the table's indexes once the rows are in.", name),
				 errhint("Remove what was added to %s; the reporting tables are rebuilt whole by every full build.", name)));

	table->attnums = column_attnums(table->rel, columns, ncolumns);

	table->used = 0;
	table->bytes = 0;
	table->cid = GetCurrentCommandId(true);
	table->bistate = GetBulkInsertState();
	/* made as the rows come (a refresh writes a few rows to some tables), here */
	memset(table->slots, 0, sizeof(table->slots));
	table->slot_context = CurrentMemoryContext;
	table->flush_context = AllocSetContextCreate(CurrentMemoryContext, "ritual bulk insert",
												 ALLOCSET_DEFAULT_SIZES);
	table->estate = NULL;
	table->rri = NULL;
	if (with_indexes)
	{
		table->estate = CreateExecutorState();
		table->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(table->rri, table->rel, 0, NULL, 0);
		ExecOpenIndices(table->rri, false);
	}
}

/* Open a table that has no index, to fill it. */
void
bulk_open(BulkTable *table, Oid relid, const ColumnSpec *columns, int ncolumns)
{
	open_table(table, relid, columns, ncolumns, false);
}

/* Open a table to write, its indexes kept. */
void
bulk_open_indexed(BulkTable *table, Oid relid, const ColumnSpec *columns, int ncolumns)
{
	open_table(table, relid, columns, ncolumns, true);
}

/*
 * The index entries of the row in 'slot', new or updated (of summarizing
 * indexes only, with 'only_summarizing': an update that PostgreSQL 16 made
 * HOT for the others).
 */
static void
insert_index_entries(BulkTable *table, TupleTableSlot *slot, bool update,
					 pg_attribute_unused() bool only_summarizing)
{
#if PG_VERSION_NUM >= 160000
	list_free(ExecInsertIndexTuples(table->rri, slot, table->estate, update, false,
									NULL, NIL, only_summarizing));
#else
	Assert(!only_summarizing);
	list_free(ExecInsertIndexTuples(table->rri, slot, table->estate, update, false,
									NULL, NIL));
#endif
	ResetPerTupleExprContext(table->estate);
}

/* Write the rows of the batch. */
void
bulk_flush(BulkTable *table)
{
	MemoryContext old;

	if (table->used == 0)
		return;
	old = MemoryContextSwitchTo(table->flush_context);
	table_multi_insert(table->rel, table->slots, table->used, table->cid, 0,
					   table->bistate);
	if (table->rri != NULL && table->rri->ri_NumIndices > 0)
	{
		for (int i = 0; i < table->used; i++)
			insert_index_entries(table, table->slots[i], false, false);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(table->flush_context);
	for (int i = 0; i < table->used; i++)
		ExecClearTuple(table->slots[i]);
	table->used = 0;
	table->bytes = 0;
}

/*
 * The next row of the batch, its columns NULL: the caller sets them
 * through bulk_set and then stores it.
 */
TupleTableSlot *
bulk_next_slot(BulkTable *table)
{
	TupleTableSlot *slot = table->slots[table->used];

	if (slot == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(table->slot_context);

		slot = table->slots[table->used] = table_slot_create(table->rel, NULL);
		MemoryContextSwitchTo(old);
	}
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	return slot;
}

/*
 * Store the row filled in 'slot', of about 'bytes' bytes; with 'copy', its
 * values are copied into the slot, for values that do not outlive the
 * caller's next step.  A full batch is written.
 */
void
bulk_store(BulkTable *table, TupleTableSlot *slot, Size bytes, bool copy)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;

	for (int i = 0; i < desc->natts; i++)
	{
		if (slot->tts_isnull[i] && TupleDescAttr(desc, i)->attnotnull)
			elog(ERROR, "column \"%s\" of %s left NULL",
				 NameStr(TupleDescAttr(desc, i)->attname),
				 RelationGetRelationName(table->rel));
	}
	ExecStoreVirtualTuple(slot);
	if (copy)
		ExecMaterializeSlot(slot);
	table->used++;
	table->bytes += bytes;
	if (table->used == BULK_ROWS || table->bytes >= BULK_BYTES)
		bulk_flush(table);
}

/*
 * Replace the row at 'tid' by the one in 'slot' (virtual, filled through
 * bulk_set): in place, with no index entry when no indexed column changes
 * and its page has room (HOT).
 */
void
bulk_update(BulkTable *table, ItemPointer tid, TupleTableSlot *slot)
{
#if PG_VERSION_NUM >= 160000
	TU_UpdateIndexes update_indexes;
#else
	bool		update_indexes;
#endif

	Assert(table->rri != NULL);
	ExecStoreVirtualTuple(slot);
	simple_table_tuple_update(table->rel, tid, slot, GetActiveSnapshot(), &update_indexes);
#if PG_VERSION_NUM >= 160000
	if (update_indexes != TU_None && table->rri->ri_NumIndices > 0)
		insert_index_entries(table, slot, true, update_indexes == TU_Summarizing);
#else
	if (update_indexes && table->rri->ri_NumIndices > 0)
		insert_index_entries(table, slot, true, false);
#endif
	ExecClearTuple(slot);
}

/* Delete the row at 'tid'. */
void
bulk_delete(BulkTable *table, ItemPointer tid)
{
	Assert(table->rri != NULL);
	simple_table_tuple_delete(table->rel, tid, GetActiveSnapshot());
}

void
bulk_close(BulkTable *table)
{
	bulk_flush(table);
	for (int i = 0; i < BULK_ROWS && table->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(table->slots[i]);
	FreeBulkInsertState(table->bistate);
	table_finish_bulk_insert(table->rel, 0);
	if (table->rri != NULL)
	{
		ExecCloseIndices(table->rri);
		FreeExecutorState(table->estate);
	}
	table_close(table->rel, NoLock);
}
