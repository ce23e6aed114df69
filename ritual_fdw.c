/*-------------------------------------------------------------------------
 *
 * ritual_fdw.c
 *		  The ritual_fdw foreign data wrapper: raw CSV files, directories and
 *		  globs as tables.  This file holds the callbacks the planner and the
 *		  executor call, in that order; the work is done in src/.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "src/values/convert.h"
#include "src/readers/parquet/parquet.h"
#include "src/ritual.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * What the planner learns about a table; baserel->fdw_private.
 */
typedef struct RitualPlanState
{
	RitualOptions *opts;		/* merged options of table and server */
	List	   *conditions;		/* of ritual_scan_conditions: they prune */
	bool		prunes_files;	/* some condition is on partition columns */
	int			listing;		/* token of the listing the executor may
								 * take (see listing.c) */
	List	   *files;			/* RitualFile *, that may match */
	int64		total_size;		/* bytes in those files */
	BlockNumber pages;			/* total_size in blocks, at least 1 */
	double		ntuples;		/* estimated rows before any qual */
	bool		role_sees_files;	/* the role may read every row: its plan
									 * may show what pruning finds */
} RitualPlanState;

/*
 * What one scan keeps while it runs; node->fdw_state.
 */
typedef struct RitualExecState
{
	RitualOptions *opts;
	List	   *files;			/* as the planner listed them in this
								 * statement, else listed again: files may
								 * have come or gone since planning; a
								 * parallel worker takes the leader's list */
	int64		total_size;
	int			files_pruned;	/* partition directories and files the
								 * conditions ruled out */
	bool	   *needed;			/* columns to convert, or NULL for all */
	RitualParallelState *parallel;	/* shared state of a parallel scan */
	RitualIngestScan *ingest;	/* the batch of ritual.ingest it reads */
	RitualRangeFilter *filter;	/* the conditions, for what knows ranges of
								 * values (row groups' statistics), or NULL */
	RitualScan *scan;			/* made by the first Iterate */
	Relation	rel;			/* the foreign table */

	/* a scan that computes the query's aggregates (aggregates.c) */
	RitualAggregates *aggregates;	/* or NULL: it returns rows */
	bool		aggregated;		/* their row is returned */
	RitualColumnRows *columns;	/* for ritual_scan_next_rows */
} RitualExecState;

/*
 * What the planner keeps of the aggregates a scan may compute itself;
 * fdw_private of the grouped relation.
 */
typedef struct RitualUpperState
{
	RelOptInfo *input_rel;		/* the foreign table's */
	List	   *tlist;			/* the scan's target list: the aggregates */
	List	   *specs;			/* how to compute each (aggregates.c) */
	List	   *columns;		/* the attributes they read, from 1 */
} RitualUpperState;

/* whether the planner may let a scan compute aggregates */
static bool ritual_enable_aggregate_pushdown = true;

/* the places of a scan plan's fdw_private */
enum RitualPlanPrivate
{
	PRIVATE_WHOLE_ROW,			/* Boolean: the query reads whole rows */
	PRIVATE_COLUMNS,			/* IntList: attributes to convert */
	PRIVATE_ROLE_SEES_FILES,	/* Boolean */
	PRIVATE_PRUNES_FILES,		/* Boolean */
	PRIVATE_LISTING,			/* Integer: the planner's listing */
	PRIVATE_AGGREGATES,			/* List of specs, NIL for rows */
	PRIVATE_AGGREGATES_SAID		/* List of String, for EXPLAIN */
};

PG_FUNCTION_INFO_V1(ritual_fdw_handler);

static void ritualGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									Oid foreigntableid);
static void ritualGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								  Oid foreigntableid);
static void ritualGetForeignUpperPaths(PlannerInfo *root,
									   UpperRelationKind stage,
									   RelOptInfo *input_rel,
									   RelOptInfo *output_rel, void *extra);
static ForeignScan *ritualGetForeignPlan(PlannerInfo *root,
										 RelOptInfo *baserel,
										 Oid foreigntableid,
										 ForeignPath *best_path,
										 List *tlist, List *scan_clauses,
										 Plan *outer_plan);
static void ritualExplainForeignScan(ForeignScanState *node,
									 ExplainState *es);
static void ritualBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *ritualIterateForeignScan(ForeignScanState *node);
static void ritualReScanForeignScan(ForeignScanState *node);
static void ritualEndForeignScan(ForeignScanState *node);
static bool ritualAnalyzeForeignTable(Relation relation,
									  AcquireSampleRowsFunc *func,
									  BlockNumber *totalpages);
static bool ritualIsForeignScanParallelSafe(PlannerInfo *root,
											RelOptInfo *rel,
											RangeTblEntry *rte);
static Size ritualEstimateDSMForeignScan(ForeignScanState *node,
										 ParallelContext *pcxt);
static void ritualInitializeDSMForeignScan(ForeignScanState *node,
										   ParallelContext *pcxt,
										   void *coordinate);
static void ritualReInitializeDSMForeignScan(ForeignScanState *node,
											 ParallelContext *pcxt,
											 void *coordinate);
static void ritualInitializeWorkerForeignScan(ForeignScanState *node,
											  shm_toc *toc,
											  void *coordinate);
static void ritualShutdownForeignScan(ForeignScanState *node);
static int	ritualIsForeignRelUpdatable(Relation rel);
static void ritualBeginForeignModify(ModifyTableState *mtstate,
									 ResultRelInfo *rinfo, List *fdw_private,
									 int subplan_index, int eflags);
static TupleTableSlot *ritualExecForeignInsert(EState *estate,
											   ResultRelInfo *rinfo,
											   TupleTableSlot *slot,
											   TupleTableSlot *planSlot);
static void ritualEndForeignModify(EState *estate, ResultRelInfo *rinfo);
static void ritualBeginForeignInsert(ModifyTableState *mtstate,
									 ResultRelInfo *rinfo);
static void ritualEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
static List *ritualImportForeignSchema(ImportForeignSchemaStmt *stmt,
									   Oid serverOid);
static int	ritual_acquire_sample_rows(Relation onerel, int elevel,
									   HeapTuple *rows, int targrows,
									   double *totalrows,
									   double *totaldeadrows);

/*
 * _PG_init
 *		Define the settings of ritual_fdw.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("ritual.parallel_block_size",
							"Size of the blocks a parallel scan splits large files into.",
							"A file larger than two blocks is read by several processes, a block each.",
							&ritual_parallel_block_kb,
							16 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("ritual.keep_directory_listings",
							 "Keep large directory listings for the next statements of the session.",
							 "A listing of 64 entries or more is used again while the directory's modification and change times are unchanged.",
							 &ritual_keep_listings,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("ritual.enable_aggregate_pushdown",
							 "Let a scan of Parquet files compute count, min and max itself.",
							 "Aggregates without grouping, over a table read with no condition, are computed from the decoded values a batch at a time instead of row by row in the executor.",
							 &ritual_enable_aggregate_pushdown,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("ritual");
}

/*
 * ritual_fdw_handler
 *		The wrapper's callbacks.
 */
Datum
ritual_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = ritualGetForeignRelSize;
	routine->GetForeignPaths = ritualGetForeignPaths;
	routine->GetForeignUpperPaths = ritualGetForeignUpperPaths;
	routine->GetForeignPlan = ritualGetForeignPlan;
	routine->ExplainForeignScan = ritualExplainForeignScan;
	routine->BeginForeignScan = ritualBeginForeignScan;
	routine->IterateForeignScan = ritualIterateForeignScan;
	routine->ReScanForeignScan = ritualReScanForeignScan;
	routine->EndForeignScan = ritualEndForeignScan;
	routine->AnalyzeForeignTable = ritualAnalyzeForeignTable;
	routine->IsForeignScanParallelSafe = ritualIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = ritualEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = ritualInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = ritualReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = ritualInitializeWorkerForeignScan;
	routine->ShutdownForeignScan = ritualShutdownForeignScan;
	routine->IsForeignRelUpdatable = ritualIsForeignRelUpdatable;
	routine->BeginForeignModify = ritualBeginForeignModify;
	routine->ExecForeignInsert = ritualExecForeignInsert;
	routine->EndForeignModify = ritualEndForeignModify;
	routine->BeginForeignInsert = ritualBeginForeignInsert;
	routine->EndForeignInsert = ritualEndForeignInsert;
	routine->ImportForeignSchema = ritualImportForeignSchema;

	PG_RETURN_POINTER(routine);
}

static BlockNumber
size_in_pages(int64 size)
{
	double		pages = ceil((double) size / BLCKSZ);

	return (BlockNumber) Max(Min(pages, (double) MaxBlockNumber), 1);
}

/*
 * Whether the role planning the query may read the table's every row, and
 * so see in its plan what pruning by the query's conditions finds.
 *
 * A role that reads the table only through a view (a security_barrier view
 * hiding some partitions, say) must not: the planner pushes the role's own
 * leakproof conditions down into the view, among the view's, and pruning
 * by them would count, in the plan's estimate and in a plain EXPLAIN, the
 * files of partitions the view hides.  So the plan depends on the role.
 */
static bool
role_may_read_table(PlannerInfo *root, Oid foreigntableid)
{
	root->glob->dependsOnRole = true;
	return pg_class_aclcheck(foreigntableid, GetUserId(), ACL_SELECT) ==
		ACLCHECK_OK;
}

/*
 * The rows of files not yet analyzed.  A CSV row is about as wide as its
 * text: guess that from the type.  A Parquet file has the rows its footer
 * said when a scan last read it; files not read yet are guessed at the
 * density of those read, or at a quarter of a CSV row's width.
 */
static double
estimate_rows(const RitualOptions *opts, List *files, int width)
{
	int			row_bytes = MAXALIGN(width) + MAXALIGN(SizeofHeapTupleHeader);
	double		rows = 0;
	double		known_rows = 0;
	int64		known_bytes = 0;
	int64		unknown_bytes = 0;
	ListCell   *lc;

	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		int64		file_rows;

		if (ritual_format_of(opts, file->path) != RITUAL_FORMAT_PARQUET)
			rows += (double) file->size / row_bytes;
		else if (parquet_known_rows(file->path, file->size, file->modified,
									&file_rows))
		{
			known_rows += file_rows;
			known_bytes += file->size;
		}
		else
			unknown_bytes += file->size;
	}
	rows += known_rows;
	if (known_bytes > 0)
		rows += known_rows / known_bytes * unknown_bytes;
	else
		rows += (double) unknown_bytes / Max(row_bytes / 4, 1);
	return rows;
}

/*
 * ritualGetForeignRelSize
 *		Estimate the rows of the table from the size of its files: by the
 *		tuple density ANALYZE measured if there is one, else by the width of
 *		a row.  The files that pruning rules out are not counted, if the role
 *		may see which they are; the partition directories it rules out by
 *		what is known now are not even listed, and the executor of this
 *		statement takes the listing made here (see listing.c).  A directory
 *		that cannot be read is passed over here: the executor lists again,
 *		and reports it if it must read it.
 */
static void
ritualGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
						Oid foreigntableid)
{
	RitualPlanState *plan = palloc0(sizeof(RitualPlanState));
	List	   *pruning;
	List	   *other_conditions = NIL;
	ListCell   *lc;
	MemoryContext listing_context = ritual_listing_context();
	MemoryContext oldcontext;
	RitualRangeFilter *filter = NULL;
	RitualListing *listing;
	int			member = -1;

	plan->opts = ritual_get_options(foreigntableid);
	plan->conditions =
		ritual_scan_conditions(extract_actual_clauses(baserel->baserestrictinfo,
													  false));
	plan->role_sees_files = (plan->conditions == NIL ||
							 role_may_read_table(root, foreigntableid));
	oldcontext = MemoryContextSwitchTo(listing_context);
	if (plan->role_sees_files && plan->conditions != NIL)
		filter = ritual_range_filter_plan(root, plan->conditions,
										  baserel->relid, plan->opts);
	listing = ritual_list_files(plan->opts, foreigntableid, filter, true);
	listing->filter = filter;
	MemoryContextSwitchTo(oldcontext);
	plan->listing = ritual_listing_keep(listing_context, listing);

	/* a key of a directory ruled out names a partition column too */
	ritual_find_partition_columns(plan->opts, listing->files);
	while ((member = bms_next_member(listing->key_columns, member)) >= 0)
		plan->opts->columns[member].partition_key =
			plan->opts->columns[member].header_name;
	pruning = ritual_partition_conditions(plan->conditions, baserel->relid,
										  plan->opts);
	plan->prunes_files = (pruning != NIL);
	if (!plan->role_sees_files)
		pruning = NIL;
	plan->files = ritual_plan_files(root, pruning, baserel->relid, plan->opts,
									listing->files);
	plan->total_size = ritual_total_size(plan->files);
	plan->pages = size_in_pages(plan->total_size);

	if (baserel->tuples >= 0 && baserel->pages > 0)
	{
		double		density = baserel->tuples / (double) baserel->pages;

		plan->ntuples = clamp_row_est(density * (double) plan->pages);
	}
	else
		plan->ntuples = clamp_row_est(estimate_rows(plan->opts, plan->files,
													baserel->reltarget->width));

	/* the files pruned already account for the partition conditions */
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (!list_member_ptr(pruning, rinfo->clause))
			other_conditions = lappend(other_conditions, rinfo);
	}
	baserel->rows = clamp_row_est(plan->ntuples *
								  clauselist_selectivity(root, other_conditions,
														 0, JOIN_INNER, NULL));
	baserel->fdw_private = plan;
}

static ForeignPath *
make_scan_path(PlannerInfo *root, RelOptInfo *baserel, double rows,
			   Cost startup_cost, Cost total_cost)
{
	return create_foreignscan_path(root, baserel, NULL, rows,
								   startup_cost, total_cost,
								   NIL, NULL, NULL,
#if PG_VERSION_NUM >= 170000
								   NIL,
#endif
								   NIL);
}

/*
 * The attributes a scan of 'baserel' must convert: those the query reads
 * and those its conditions test; *whole_row when it reads whole rows.
 */
static List *
planned_columns(RelOptInfo *baserel, bool *whole_row)
{
	Bitmapset  *attrs = NULL;
	List	   *attnums = NIL;
	ListCell   *lc;
	int			member = -1;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs);

	*whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	while ((member = bms_next_member(attrs, member)) >= 0)
	{
		int			attnum = member + FirstLowInvalidHeapAttributeNumber;

		if (attnum > 0)
			attnums = lappend_int(attnums, attnum);
	}
	return attnums;
}

/* planned_columns as a flag per attribute, or NULL for all of them. */
static bool *
column_flags(List *attnums, bool whole_row, int natts)
{
	bool	   *flags;
	ListCell   *lc;

	if (whole_row)
		return NULL;
	flags = palloc0(sizeof(bool) * Max(natts, 1));
	foreach(lc, attnums)
		flags[lfirst_int(lc) - 1] = true;
	return flags;
}

/*
 * Whether the scan will convert, catching its errors, a value of a type
 * whose errors only a subtransaction can catch (a domain, citext, ...; see
 * ritual_soft_input_needs_subtransaction).  No process of a parallel query
 * may start a subtransaction, so such a scan must stay out of parallel
 * workers.  Partition values are always converted so, the scan reporting a
 * bad one per on_error; other columns under on_error 'null' or 'skip'.
 */
static bool
needs_subtransactions(RelOptInfo *baserel, Oid foreigntableid,
					  const RitualOptions *opts)
{
	bool		whole_row;
	List	   *attnums = planned_columns(baserel, &whole_row);
	bool	   *needed = column_flags(attnums, whole_row, opts->natts);
	bool		all = ritual_scan_converts_all(opts, needed);

	for (int i = 0; i < opts->natts; i++)
	{
		const RitualColumn *column = &opts->columns[i];

		if (column->dropped || column->meta != RITUAL_META_NONE ||
			!(all || needed[i]))
			continue;
		if ((column->partition_key != NULL ||
			 opts->on_error != RITUAL_ON_ERROR_STOP) &&
			ritual_soft_input_needs_subtransaction(get_atttype(foreigntableid,
															   i + 1)))
			return true;
	}
	return false;
}

/*
 * ritualGetForeignPaths
 *		Read every file, in one process or, as a partial path, shared by
 *		parallel workers.  Reading a byte costs as a sequential page does;
 *		parsing and converting a row costs ten tuples' CPU.
 */
static void
ritualGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					  Oid foreigntableid)
{
	RitualPlanState *plan = baserel->fdw_private;
	Cost		startup_cost = baserel->baserestrictcost.startup;
	Cost		cpu_per_tuple = cpu_tuple_cost * 10 +
		baserel->baserestrictcost.per_tuple;
	Cost		run_cost = seq_page_cost * plan->pages +
		cpu_per_tuple * plan->ntuples;
	int			workers;

	if (baserel->consider_parallel &&
		needs_subtransactions(baserel, foreigntableid, plan->opts))
		baserel->consider_parallel = false;
	add_path(baserel, (Path *) make_scan_path(root, baserel, baserel->rows,
											  startup_cost,
											  startup_cost + run_cost));

	if (!baserel->consider_parallel)
		return;
	workers = compute_parallel_worker(baserel, plan->pages, -1,
									  max_parallel_workers_per_gather);
	if (workers > 0)
	{
		/* the share of each process, the leader helping as for a heap */
		double		divisor = workers;
		double		leader_share = 1.0 - 0.3 * workers;
		ForeignPath *path;

		if (parallel_leader_participation && leader_share > 0)
			divisor += leader_share;
		path = make_scan_path(root, baserel, clamp_row_est(baserel->rows / divisor),
							  startup_cost, startup_cost + run_cost / divisor);
		path->path.parallel_aware = true;
		path->path.parallel_workers = workers;
		add_partial_path(baserel, (Path *) path);
	}
}

/*
 * ritualGetForeignUpperPaths
 *		Aggregates without grouping over a table read with no condition, when
 *		each is one a scan computes itself (aggregates.c: count, min and max
 *		of columns and of text lengths) and the files are Parquet, whose
 *		values come decoded a batch at a time.  Reading costs as for the
 *		table's own path; each row costs one tuple's CPU and one operator's
 *		per aggregate, which the executor's aggregation over a scan, serial
 *		or parallel, costs more than.
 */
static void
ritualGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
						   RelOptInfo *input_rel, RelOptInfo *output_rel,
						   pg_attribute_unused() void *extra)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
	RitualPlanState *plan;
	RitualUpperState *upper;
	ForeignPath *path;
	Cost		startup_cost;
	Cost		run_cost;
	ListCell   *lc;

	if (stage != UPPERREL_GROUP_AGG || !ritual_enable_aggregate_pushdown ||
		input_rel->reloptkind != RELOPT_BASEREL ||
		output_rel->fdw_private != NULL)
		return;
	plan = input_rel->fdw_private;
	if (parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->havingQual != NULL || input_rel->baserestrictinfo != NIL ||
		plan->files == NIL)
		return;
	foreach(lc, plan->files)
	{
		if (ritual_format_of(plan->opts, ((RitualFile *) lfirst(lc))->path) !=
			RITUAL_FORMAT_PARQUET)
			return;
	}
	upper = palloc0(sizeof(RitualUpperState));
	if (!ritual_aggregates_plan(target->exprs, input_rel->relid, &upper->tlist,
								&upper->specs, &upper->columns))
		return;
	upper->input_rel = input_rel;
	output_rel->fdw_private = upper;

	startup_cost = seq_page_cost * plan->pages +
		(cpu_tuple_cost + cpu_operator_cost * list_length(upper->specs)) *
		plan->ntuples;
	run_cost = cpu_tuple_cost;
	path = create_foreign_upper_path(root, output_rel, target, 1,
									 startup_cost, startup_cost + run_cost,
									 NIL, NULL,
#if PG_VERSION_NUM >= 170000
									 NIL,
#endif
									 NIL);
	/* in each worker it would read every file: the leader computes it once */
	path->path.parallel_safe = false;
	add_path(output_rel, (Path *) path);
}

/* The plan of a scan that computes aggregates: it has no relation of its own. */
static ForeignScan *
aggregates_plan(PlannerInfo *root, RelOptInfo *grouped, List *tlist)
{
	RitualUpperState *upper = grouped->fdw_private;
	RitualPlanState *plan = upper->input_rel->fdw_private;
	RangeTblEntry *rte = planner_rt_fetch(upper->input_rel->relid, root);

	List	   *private = list_make5(makeBoolean(false), upper->columns,
									 makeBoolean(plan->role_sees_files),
									 makeBoolean(plan->prunes_files),
									 makeInteger(plan->listing));

	private = lappend(private, upper->specs);
	private = lappend(private,
					  ritual_aggregates_describe(upper->tlist,
												 upper->input_rel->relid,
												 rte->relid));
	return make_foreignscan(tlist, NIL, 0, NIL, private, upper->tlist, NIL,
							NULL);
}

/*
 * ritualGetForeignPlan
 *		Quals are all checked by the executor.  The plan carries which
 *		columns must be converted, whether the role may see what pruning
 *		finds, whether some qual is on partition columns, the token of the
 *		planner's listing, and, as fdw_exprs, the quals that can prune
 *		before the scan (ritual_scan_conditions).
 */
static ForeignScan *
ritualGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
					 pg_attribute_unused() Oid foreigntableid,
					 pg_attribute_unused() ForeignPath *best_path,
					 List *tlist, List *scan_clauses, Plan *outer_plan)
{
	RitualPlanState *plan;
	bool		whole_row;
	List	   *needed;
	List	   *private;

	if (IS_UPPER_REL(baserel))
		return aggregates_plan(root, baserel, tlist);
	plan = baserel->fdw_private;
	needed = planned_columns(baserel, &whole_row);

	/*
	 * fdw_exprs: the very conditions whose values the planner's listing
	 * used, in its order, for the executor to compare one by one
	 */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	private = list_make5(makeBoolean(whole_row), needed,
						 makeBoolean(plan->role_sees_files),
						 makeBoolean(plan->prunes_files),
						 makeInteger(plan->listing));
	private = lappend(lappend(private, NIL), NIL);
	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							plan->conditions, private, NIL, NIL, outer_plan);
}

/*
 * ritualExplainForeignScan
 *		Files and bytes to read; with ANALYZE, files read and rows rejected.
 */
static void
ritualExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	RitualExecState *state = node->fdw_state;
	List	   *private = ((ForeignScan *) node->ss.ps.plan)->fdw_private;

	if (es->verbose)
	{
		StringInfoData paths;
		ListCell   *lc;

		initStringInfo(&paths);
		foreach(lc, state->opts->paths)
			appendStringInfo(&paths, "%s%s", paths.len > 0 ? ", " : "",
							 (char *) lfirst(lc));
		ExplainPropertyText("Ritual Path", paths.data, es);
	}
	if (state->aggregates != NULL)
	{
		List	   *said = list_nth(private, PRIVATE_AGGREGATES_SAID);
		StringInfoData aggregates;
		ListCell   *lc;

		initStringInfo(&aggregates);
		foreach(lc, said)
			appendStringInfo(&aggregates, "%s%s", aggregates.len > 0 ? ", " : "",
							 strVal(lfirst(lc)));
		ExplainPropertyText("Ritual Aggregates", aggregates.data, es);
	}
	ExplainPropertyInteger("Ritual Files", NULL, list_length(state->files), es);
	if (boolVal(list_nth(private, PRIVATE_PRUNES_FILES)))
		ExplainPropertyInteger("Ritual Files Pruned", NULL, state->files_pruned, es);
	ExplainPropertyInteger("Ritual Bytes", NULL, state->total_size, es);
	if (es->analyze && state->scan != NULL)
	{
		const RitualReadCounts *counts = ritual_scan_read_counts(state->scan);

		ExplainPropertyInteger("Ritual Files Read", NULL,
							   ritual_scan_files_read(state->scan), es);
		ExplainPropertyInteger("Ritual Rows Rejected", NULL,
							   ritual_scan_rows_rejected(state->scan), es);
		if (counts->row_groups_read > 0 || counts->row_groups_skipped > 0)
		{
			ExplainPropertyInteger("Ritual Row Groups Read", NULL,
								   counts->row_groups_read, es);
			ExplainPropertyInteger("Ritual Row Groups Skipped", NULL,
								   counts->row_groups_skipped, es);
			ExplainPropertyInteger("Ritual Parquet Rows Skipped", NULL,
								   counts->rows_skipped, es);
			ExplainPropertyInteger("Ritual Parquet Bytes Read", NULL,
								   counts->bytes_read, es);
		}
	}
}

/*
 * The columns the plan needs converted, as a flag per attribute, or NULL for
 * all of them (a whole-row reference).
 */
static bool *
needed_columns(ForeignScan *plan, Relation rel)
{
	return column_flags(list_nth(plan->fdw_private, PRIVATE_COLUMNS),
						boolVal(list_nth(plan->fdw_private, PRIVATE_WHOLE_ROW)),
						RelationGetNumberOfAttributes(rel));
}

/*
 * The files scan 'node' reads, pruned by its conditions when 'prune': the
 * planner's listing if this statement made it and the conditions' values
 * are those it knew, else listed now.  *pruned counts the partition
 * directories and the files ruled out; *filter is the conditions' range
 * filter, or NULL.
 */
static List *
list_files(ForeignScanState *node, RitualOptions *opts, bool prune,
		   int *pruned, RitualRangeFilter **range_filter)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	Oid			relid = RelationGetRelid(((RitualExecState *) node->fdw_state)->rel);
	RitualRangeFilter *filter = NULL;
	RitualListing *listing = ritual_listing_take(intVal(list_nth(plan->fdw_private, PRIVATE_LISTING)));
	List	   *conditions;
	List	   *files;

	if (prune && plan->fdw_exprs != NIL)
		filter = ritual_range_filter_begin(node, plan->fdw_exprs, opts);
	if (listing != NULL &&
		(!listing->complete ||
		 (listing->dirs_skipped > 0 &&
		  (filter == NULL || !ritual_range_filter_agrees(listing->filter, filter)))))
		listing = NULL;
	if (listing == NULL)
		listing = ritual_list_files(opts, relid, filter, false);
	ritual_find_partition_columns(opts, listing->files);
	*pruned = listing->dirs_skipped;
	files = listing->files;

	/* what the directories' ranges could not tell */
	conditions = ritual_partition_conditions(plan->fdw_exprs, plan->scan.scanrelid,
											 opts);
	if (prune && conditions != NIL)
	{
		files = ritual_prune_files(node, ExecInitExprList(conditions, &node->ss.ps),
								   opts, files,
								   (node->ss.ps.state->es_top_eflags &
									EXEC_FLAG_EXPLAIN_ONLY) != 0);
		*pruned += list_length(listing->files) - list_length(files);
	}
	*range_filter = filter;
	return files;
}

/*
 * The foreign table a scan reads: its own relation, or for a scan that
 * computes aggregates, which has none, the one relation below them.
 */
static Relation
scanned_relation(ForeignScanState *node)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;

	if (plan->scan.scanrelid > 0)
		return node->ss.ss_currentRelation;
#if PG_VERSION_NUM >= 160000
	return ExecGetRangeTableRelation(node->ss.ps.state,
									 bms_next_member(plan->fs_base_relids, -1));
#else
	return ExecGetRangeTableRelation(node->ss.ps.state,
									 bms_next_member(plan->fs_relids, -1));
#endif
}

/*
 * ritualBeginForeignScan
 *		Take or make the list of files (never opening one for a plain
 *		EXPLAIN) and prepare the reader.  A plain EXPLAIN prunes only if the
 *		role may see what pruning finds; the batch of ritual.ingest that
 *		the scan reads is never pruned.
 */
static void
ritualBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = scanned_relation(node);
	RitualExecState *state = palloc0(sizeof(RitualExecState));
	List	   *aggregates = list_nth(plan->fdw_private, PRIVATE_AGGREGATES);
	bool		ingest;

	state->rel = rel;
	state->opts = ritual_get_options(RelationGetRelid(rel));
	if (aggregates != NIL)
	{
		state->aggregates = ritual_aggregates_begin(aggregates);
		state->columns = palloc0(sizeof(RitualColumnRows) *
								 Max(RelationGetNumberOfAttributes(rel), 1));
	}
	node->fdw_state = state;

	/*
	 * A parallel worker's share of a parallel scan comes from the leader's
	 * list of files.  A scan that is not parallel-aware (the inner side of a
	 * join under Gather) reads every file in each process, so a worker lists
	 * them as the leader does; never an ingest's batch, which only the
	 * leader's transaction has.
	 */
	if (IsParallelWorker() && plan->scan.plan.parallel_aware)
		return;
	ingest = !(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		!plan->scan.plan.parallel_aware && !IsParallelWorker() &&
		ritual_ingest_pending(RelationGetRelid(rel));
	state->files = list_files(node, state->opts,
							  !ingest && (boolVal(list_nth(plan->fdw_private, PRIVATE_ROLE_SEES_FILES)) ||
										  !(eflags & EXEC_FLAG_EXPLAIN_ONLY)),
							  &state->files_pruned, &state->filter);
	if (ingest)
		state->ingest = ritual_ingest_claim(RelationGetRelid(rel), false,
											&state->files);
	state->total_size = ritual_total_size(state->files);
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	state->needed = needed_columns(plan, rel);
}

/* The scan of a node, once the parallel scan's shared state is known. */
static void
make_scan(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;
	MemoryContext oldcontext =
		MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
	RitualOptions *opts = state->opts;
	const RitualScanObserver *observer = state->ingest ?
		ritual_ingest_observer(state->ingest, &opts) : NULL;

	state->scan = ritual_scan_begin(state->rel,
									opts, state->files,
									state->needed, state->parallel,
									observer);
	ritual_scan_set_filter(state->scan, state->filter);
	MemoryContextSwitchTo(oldcontext);
}

/*
 * The one row of a scan that computes aggregates: every row read, a batch
 * at a time, each batch's memory freed after it.
 */
static TupleTableSlot *
aggregate_rows(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	ExecClearTuple(slot);
	if (state->aggregated)
		return slot;
	for (;;)
	{
		int			nrows;

		ResetExprContext(econtext);
		nrows = ritual_scan_next_rows(state->scan, RITUAL_SCAN_ROWS,
									  state->columns);
		if (nrows == 0)
			break;
		ritual_aggregates_add(state->aggregates, nrows, state->columns);
		CHECK_FOR_INTERRUPTS();
	}
	ritual_aggregates_result(state->aggregates, slot->tts_values,
							 slot->tts_isnull);
	state->aggregated = true;
	return ExecStoreVirtualTuple(slot);
}

/*
 * ritualIterateForeignScan
 *		The next row, built in the executor's per-tuple memory.  The scan is
 *		made on the first call, when a parallel scan's shared state is known.
 */
static TupleTableSlot *
ritualIterateForeignScan(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (state->scan == NULL)
		make_scan(node);
	if (state->aggregates != NULL)
		return aggregate_rows(node);
	ExecClearTuple(slot);
	if (ritual_scan_next(state->scan, slot->tts_values, slot->tts_isnull))
		ExecStoreVirtualTuple(slot);
	return slot;
}

/*
 * ritualReScanForeignScan
 *		Read again from the first file.
 */
static void
ritualReScanForeignScan(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;

	if (state->scan)
		ritual_scan_rescan(state->scan);
	if (state->aggregates != NULL)
	{
		ritual_aggregates_reset(state->aggregates);
		state->aggregated = false;
	}
}

/*
 * ritualEndForeignScan
 *		Report what on_error let through, and close the file.
 */
static void
ritualEndForeignScan(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;

	if (state == NULL || state->scan == NULL)
		return;
	ritual_scan_report(state->scan);
	ritual_scan_end(state->scan);
}

/*
 * ritualAnalyzeForeignTable
 *		ANALYZE reads every row and keeps a reservoir sample.
 */
static bool
ritualAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						  BlockNumber *totalpages)
{
	RitualOptions *opts = ritual_get_options(RelationGetRelid(relation));
	List	   *files = ritual_discover_files(opts->paths, opts->missing_ok);

	*totalpages = size_in_pages(ritual_total_size(files));
	*func = ritual_acquire_sample_rows;
	return true;
}

/*
 * Read all rows, keeping a uniform random sample of targrows of them
 * (Vitter's algorithm, as file_fdw and the heap's ANALYZE do).
 */
static int
ritual_acquire_sample_rows(Relation onerel, int elevel, HeapTuple *rows,
						   int targrows, double *totalrows,
						   double *totaldeadrows)
{
	TupleDesc	tupdesc = RelationGetDescr(onerel);
	RitualOptions *opts = ritual_get_options(RelationGetRelid(onerel));
	List	   *files = ritual_discover_files(opts->paths, opts->missing_ok);
	Datum	   *values = palloc(sizeof(Datum) * Max(tupdesc->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(tupdesc->natts, 1));
	MemoryContext row_context;
	MemoryContext oldcontext;
	RitualScan *scan;
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	int			numrows = 0;

	*totalrows = 0;
	*totaldeadrows = 0;
	ritual_find_partition_columns(opts, files);
	reservoir_init_selection_state(&rstate, targrows);
	row_context = AllocSetContextCreate(CurrentMemoryContext,
										"ritual_fdw analyze row",
										ALLOCSET_DEFAULT_SIZES);
	scan = ritual_scan_begin(onerel, opts, files, NULL, NULL, NULL);

	for (;;)
	{
		bool		found;

		vacuum_delay_point();
		MemoryContextReset(row_context);
		oldcontext = MemoryContextSwitchTo(row_context);
		found = ritual_scan_next(scan, values, nulls);
		MemoryContextSwitchTo(oldcontext);
		if (!found)
			break;

		if (numrows < targrows)
			rows[numrows++] = heap_form_tuple(tupdesc, values, nulls);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, *totalrows,
												  targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows *
									   sampler_random_fract(&rstate.randstate));

				Assert(k >= 0 && k < targrows);
				heap_freetuple(rows[k]);
				rows[k] = heap_form_tuple(tupdesc, values, nulls);
			}
			rowstoskip -= 1;
		}
		*totalrows += 1;
	}

	ritual_scan_report(scan);
	ritual_scan_end(scan);
	MemoryContextDelete(row_context);

	ereport(elevel,
			(errmsg("\"%s\": %d files contain %.0f rows; %d rows in sample",
					RelationGetRelationName(onerel), list_length(files),
					*totalrows, numrows)));
	return numrows;
}

/*
 * ritualIsForeignScanParallelSafe
 *		Any process can read the files, but a batch of ritual.ingest lives in
 *		the memory of the backend that prepared it.
 */
static bool
ritualIsForeignScanParallelSafe(pg_attribute_unused() PlannerInfo *root,
								pg_attribute_unused() RelOptInfo *rel,
								RangeTblEntry *rte)
{
	return !ritual_ingest_pending(rte->relid);
}

/*
 * ritualEstimateDSMForeignScan
 *		Room for the files and their units.
 */
static Size
ritualEstimateDSMForeignScan(ForeignScanState *node,
							 pg_attribute_unused() ParallelContext *pcxt)
{
	RitualExecState *state = node->fdw_state;

	return ritual_parallel_size(state->files);
}

/*
 * ritualInitializeDSMForeignScan
 *		Share the leader's files, large ones split into blocks.
 */
static void
ritualInitializeDSMForeignScan(ForeignScanState *node,
							   pg_attribute_unused() ParallelContext *pcxt,
							   void *coordinate)
{
	RitualExecState *state = node->fdw_state;

	ritual_parallel_init(coordinate, state->files, state->opts);
	state->parallel = coordinate;
}

/*
 * ritualReInitializeDSMForeignScan
 *		Hand out the units again, for a rescan.
 */
static void
ritualReInitializeDSMForeignScan(pg_attribute_unused() ForeignScanState *node,
								 pg_attribute_unused() ParallelContext *pcxt,
								 void *coordinate)
{
	ritual_parallel_reinit(coordinate);
}

/*
 * ritualInitializeWorkerForeignScan
 *		A worker takes the leader's files and claims units like the leader.
 */
static void
ritualInitializeWorkerForeignScan(ForeignScanState *node,
								  pg_attribute_unused() shm_toc *toc,
								  void *coordinate)
{
	RitualExecState *state = node->fdw_state;

	state->parallel = coordinate;
	state->files = ritual_parallel_files(coordinate);
	ritual_find_partition_columns(state->opts, state->files);
	state->total_size = ritual_total_size(state->files);
	state->needed = needed_columns((ForeignScan *) node->ss.ps.plan,
								   node->ss.ss_currentRelation);
	/* as the leader's, whose values are the leader's parameters */
	if (((ForeignScan *) node->ss.ps.plan)->fdw_exprs != NIL)
		state->filter = ritual_range_filter_begin(node,
												  ((ForeignScan *) node->ss.ps.plan)->fdw_exprs,
												  state->opts);
}

/*
 * ritualShutdownForeignScan
 *		Before the shared memory goes, keep what all processes reported.
 */
static void
ritualShutdownForeignScan(ForeignScanState *node)
{
	RitualExecState *state = node->fdw_state;

	if (state == NULL)
		return;
	/* a leader that read nothing itself (parallel_leader_participation) */
	if (state->scan == NULL && state->parallel != NULL && !IsParallelWorker())
		make_scan(node);
	if (state->scan != NULL)
		ritual_scan_collect_parallel_totals(state->scan);
}

/*
 * ritualIsForeignRelUpdatable
 *		Rows can be inserted (written as new files); files are never updated.
 */
static int
ritualIsForeignRelUpdatable(pg_attribute_unused() Relation rel)
{
	return 1 << CMD_INSERT;
}

/*
 * ritualBeginForeignModify
 *		Prepare to write the rows of an INSERT into the table's directory.
 */
static void
ritualBeginForeignModify(pg_attribute_unused() ModifyTableState *mtstate,
						 ResultRelInfo *rinfo,
						 pg_attribute_unused() List *fdw_private,
						 pg_attribute_unused() int subplan_index, int eflags)
{
	Relation	rel = rinfo->ri_RelationDesc;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	rinfo->ri_FdwState =
		ritual_writer_begin(rel, ritual_get_options(RelationGetRelid(rel)));
}

/*
 * ritualExecForeignInsert
 *		Append a row to its partition's file; it is visible at commit.
 */
static TupleTableSlot *
ritualExecForeignInsert(pg_attribute_unused() EState *estate,
						ResultRelInfo *rinfo, TupleTableSlot *slot,
						pg_attribute_unused() TupleTableSlot *planSlot)
{
	ritual_writer_insert(rinfo->ri_FdwState, slot);
	return slot;
}

/*
 * ritualEndForeignModify
 *		Nothing to do: the files stay open until the transaction ends.
 */
static void
ritualEndForeignModify(pg_attribute_unused() EState *estate,
					   pg_attribute_unused() ResultRelInfo *rinfo)
{
}

/*
 * ritualBeginForeignInsert
 *		COPY FROM into the table writes as INSERT does.
 */
static void
ritualBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	ritualBeginForeignModify(mtstate, rinfo, NIL, 0, 0);
}

static void
ritualEndForeignInsert(pg_attribute_unused() EState *estate,
					   pg_attribute_unused() ResultRelInfo *rinfo)
{
}

/*
 * ritualImportForeignSchema
 *		Tables for the files and lakes of a directory (src/fdw/import.c).
 */
static List *
ritualImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	return ritual_import_schema(stmt, serverOid);
}
