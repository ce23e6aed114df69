/*-------------------------------------------------------------------------
 *
 * bulk_insert.h
 *		  Writing a table as COPY does, by batches of rows handed to
 *		  table_multi_insert(), past the executor, its indexes dropped or
 *		  kept (bulk_insert.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_BULK_INSERT_H
#define RITUAL_BULK_INSERT_H

#include "access/heapam.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"

/* rows written at a time, at most, and bytes of them that end a batch early */
#define BULK_ROWS		1000
#define BULK_BYTES		(64 * 1024)

/* A column written: its name and type, in the table's order. */
typedef struct ColumnSpec
{
	const char *name;
	Oid			type;
} ColumnSpec;

typedef struct BulkTable
{
	Relation	rel;
	int		   *attnums;		/* the table's attribute index of column i */
	TupleTableSlot *slots[BULK_ROWS];	/* NULL until used */
	MemoryContext slot_context; /* where the slots are made */
	int			used;
	Size		bytes;
	CommandId	cid;
	BulkInsertState bistate;
	MemoryContext flush_context;	/* what writing a batch allocates */
	EState	   *estate;			/* with its indexes kept: for their entries */
	ResultRelInfo *rri;
} BulkTable;

extern Oid	table_named(const char *schema, const char *name);
extern int *column_attnums(Relation rel, const ColumnSpec *columns, int ncolumns);
extern void bulk_open(BulkTable *table, Oid relid, const ColumnSpec *columns, int ncolumns);
extern void bulk_open_indexed(BulkTable *table, Oid relid, const ColumnSpec *columns,
							  int ncolumns);
extern TupleTableSlot *bulk_next_slot(BulkTable *table);
extern void bulk_store(BulkTable *table, TupleTableSlot *slot, Size bytes, bool copy);
extern void bulk_flush(BulkTable *table);
extern void bulk_update(BulkTable *table, ItemPointer tid, TupleTableSlot *slot);
extern void bulk_delete(BulkTable *table, ItemPointer tid);
extern void bulk_close(BulkTable *table);

/* Set column 'column' (of the ColumnSpec list) of the row being filled. */
static inline void
bulk_set(BulkTable *table, TupleTableSlot *slot, int column, Datum value, bool isnull)
{
	int			attribute = table->attnums[column];

	slot->tts_values[attribute] = value;
	slot->tts_isnull[attribute] = isnull;
}

#endif							/* RITUAL_BULK_INSERT_H */
