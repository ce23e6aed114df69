/*-------------------------------------------------------------------------
 *
 * partitions.c
 *		  Hive-style partition columns: values taken from the key=value
 *		  directories of a file's path, and files pruned by the query's
 *		  conditions on those columns before any is opened.
 *
 * Pruning evaluates, per file, the conditions that refer only to partition
 * columns, with the file's partition values in the scan tuple, in the
 * executor: so stable expressions (current_date - 7) and the parameters of a
 * prepared statement's generic plan prune as constants do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "nodes/makefuncs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "convert.h"
#include "ritual.h"

#define HIVE_DEFAULT_PARTITION	"__HIVE_DEFAULT_PARTITION__"

/* The value of a hexadecimal digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undo the %XX escapes Spark writes into partition directory names. */
static char *
url_decode(const char *s, int len)
{
	char	   *out = palloc(len + 1);
	int			o = 0;

	for (int i = 0; i < len; i++)
	{
		/* %00 stays as written: a NUL cannot be in a value */
		if (s[i] == '%' && i + 2 < len &&
			hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0 &&
			(s[i + 1] != '0' || s[i + 2] != '0'))
		{
			out[o++] = (char) (hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * ritual_parse_partitions
 *		Read the key=value directories of file->path into its partition
 *		lists.  An empty value and __HIVE_DEFAULT_PARTITION__ stand for NULL.
 */
void
ritual_parse_partitions(RitualFile *file)
{
	const char *segment = file->path;
	const char *last_slash = strrchr(file->path, '/');

	file->partition_keys = NIL;
	file->partition_values = NIL;
	while (segment < last_slash)
	{
		const char *end = strchr(segment, '/');
		const char *equals;

		Assert(end != NULL);
		equals = memchr(segment, '=', end - segment);
		if (equals != NULL && equals > segment)
		{
			int			len = end - equals - 1;
			char	   *value = NULL;

			/* as written, as Spark compares it: %5F_HIVE... is a value */
			if (len > 0 &&
				((size_t) len != strlen(HIVE_DEFAULT_PARTITION) ||
				 strncmp(equals + 1, HIVE_DEFAULT_PARTITION, len) != 0))
				value = url_decode(equals + 1, len);
			file->partition_keys = lappend(file->partition_keys,
										   url_decode(segment, equals - segment));
			file->partition_values = lappend(file->partition_values, value);
		}
		segment = end + 1;
	}
}

/*
 * The value of partition 'key' of 'file' (NULL for a NULL value); *found
 * says whether the file has the key at all.  Keys compare case-insensitively,
 * like column names in a header; the deepest directory wins.
 */
static const char *
partition_value(const RitualFile *file, const char *key, bool *found)
{
	const char *value = NULL;
	ListCell   *k,
			   *v;

	*found = false;
	forboth(k, file->partition_keys, v, file->partition_values)
	{
		if (pg_strcasecmp(lfirst(k), key) == 0)
		{
			*found = true;
			value = lfirst(v);
		}
	}
	return value;
}

/*
 * ritual_file_has_partition
 *		Whether the path of 'file' has key=value directories for 'key'.  A
 *		file without them has the column in its own fields, if anywhere.
 */
bool
ritual_file_has_partition(const RitualFile *file, const char *key)
{
	bool		found;

	(void) partition_value(file, key, &found);
	return found;
}

/*
 * ritual_convert_partition_value
 *		Partition 'key' of 'file' as a value of conv's type; a missing key
 *		or a NULL value is NULL, which a domain still checks.  False, with
 *		why in *message, when the value is not valid text or the type
 *		rejects it.
 */
bool
ritual_convert_partition_value(RitualConverter *conv, const RitualFile *file,
							   const char *key, Datum *value, bool *isnull,
							   char **message)
{
	bool		found;
	const char *text = partition_value(file, key, &found);
	char	   *reason;

	*value = (Datum) 0;
	*isnull = (text == NULL);
	if (text == NULL && !conv->is_domain)
		return true;
	if (text != NULL && !pg_verifymbstr(text, strlen(text), true))
		reason = psprintf("invalid byte sequence for encoding \"%s\"",
						  GetDatabaseEncodingName());
	else if (ritual_convert_soft(conv, text ? pstrdup(text) : NULL,
								 text ? strlen(text) : 0, value, &reason))
		return true;
	*message = psprintf("partition value \"%s\" of the file's path: %s",
						text ? ritual_shown_value(text, strlen(text)) : "",
						reason);
	return false;
}

/*
 * ritual_find_partition_columns
 *		Mark the columns that take their value from the files' paths: with
 *		option hive_partitioning 'true', or by default when some file has
 *		key=value directories, a column named like a key.
 */
void
ritual_find_partition_columns(RitualOptions *opts, List *files)
{
	ListCell   *lc;

	if (opts->hive_partitioning == 0)
		return;
	for (int i = 0; i < opts->natts; i++)
	{
		RitualColumn *column = &opts->columns[i];

		column->partition_key = NULL;
		if (column->dropped || column->meta != RITUAL_META_NONE)
			continue;
		foreach(lc, files)
		{
			bool		found;

			(void) partition_value(lfirst(lc), column->header_name, &found);
			if (found)
			{
				column->partition_key = column->header_name;
				break;
			}
		}
	}
}

/*
 * Whether an expression holds a Param; with *exec_only, an executor
 * parameter only.
 */
static bool
contains_param_walker(Node *node, void *exec_only)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) &&
		(!*(bool *) exec_only || ((Param *) node)->paramkind == PARAM_EXEC))
		return true;
	return expression_tree_walker(node, contains_param_walker, exec_only);
}

static bool
contains_param(Node *node, bool exec_only)
{
	return contains_param_walker(node, &exec_only);
}

/*
 * ritual_pruning_clauses
 *		The clauses of 'clauses' that refer to partition columns only and can
 *		be evaluated once per file: no volatile function, no subplan.
 */
List *
ritual_pruning_clauses(List *clauses, Index relid, const RitualOptions *opts)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		Node	   *clause = lfirst(lc);
		Bitmapset  *attrs = NULL;
		int			member = -1;
		bool		usable = true;

		/*
		 * An executor parameter (of an initplan or an outer query) has no
		 * value yet when the scan begins, and changes on rescans.
		 */
		if (contain_volatile_functions(clause) || contain_subplans(clause) ||
			contains_param(clause, true))
			continue;
		pull_varattnos(clause, relid, &attrs);
		if (bms_is_empty(attrs))
			continue;
		while ((member = bms_next_member(attrs, member)) >= 0)
		{
			int			attnum = member + FirstLowInvalidHeapAttributeNumber;

			if (attnum <= 0 || attnum > opts->natts ||
				opts->columns[attnum - 1].partition_key == NULL)
				usable = false;
		}
		if (usable)
			result = lappend(result, clause);
	}
	return result;
}

/* Replace the partition columns' Vars with the file's values as Consts. */
typedef struct FoldContext
{
	Index		relid;
	const RitualOptions *opts;
	const RitualFile *file;
	bool		failed;			/* a value did not convert */
} FoldContext;

static Node *
fold_partition_values(Node *node, FoldContext *context)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && (Index) ((Var *) node)->varno == context->relid &&
		((Var *) node)->varlevelsup == 0)
	{
		Var		   *var = (Var *) node;
		const RitualColumn *column = &context->opts->columns[var->varattno - 1];
		RitualConverter conv;
		Datum		datum;
		bool		isnull;
		char	   *message;
		int16		typlen;
		bool		typbyval;

		/* a file without the key has the column in its fields */
		if (!ritual_file_has_partition(context->file, column->partition_key))
		{
			context->failed = true;
			return node;
		}
		ritual_converter_init(&conv, var->vartype, var->vartypmod);
		if (!ritual_convert_partition_value(&conv, context->file,
											column->partition_key,
											&datum, &isnull, &message))
		{
			context->failed = true;
			return node;
		}
		get_typlenbyval(var->vartype, &typlen, &typbyval);
		return (Node *) makeConst(var->vartype, var->vartypmod, var->varcollid,
								  typlen, datum, isnull, typbyval);
	}
	return expression_tree_mutator(node, fold_partition_values, context);
}

/*
 * ritual_plan_files
 *		For the planner's estimates: the files whose partition values may
 *		satisfy 'clauses', judged with what can be folded at plan time
 *		(constants, stable functions, the values of a custom plan's
 *		parameters).  The executor prunes again, exactly.
 */
List *
ritual_plan_files(PlannerInfo *root, List *clauses, Index relid,
				  const RitualOptions *opts, List *files)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (clauses == NIL)
		return files;
	foreach(lc, files)
	{
		FoldContext context = {relid, opts, lfirst(lc), false};
		bool		keep = true;
		ListCell   *c;

		foreach(c, clauses)
		{
			Node	   *folded = fold_partition_values(copyObject(lfirst(c)), &context);

			if (context.failed)
				break;
			folded = estimate_expression_value(root, folded);
			if (IsA(folded, Const) &&
				(((Const *) folded)->constisnull ||
				 !DatumGetBool(((Const *) folded)->constvalue)))
			{
				keep = false;
				break;
			}
		}
		if (keep)
			kept = lappend(kept, lfirst(lc));
	}
	return kept;
}

/*
 * ritual_prune_files
 *		The files whose partition values may satisfy every clause of
 *		'clauses' (ExprStates of ritual_pruning_clauses, initialised for
 *		'node').  A file whose partition value does not convert is kept: the
 *		scan reports it; so is a file whose path lacks a key, as its fields
 *		may hold the column.  With 'explain_only', clauses with parameters
 *		are not evaluated.
 */
List *
ritual_prune_files(ForeignScanState *node, List *clauses,
				   const RitualOptions *opts, List *files, bool explain_only)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	TupleDesc	tupdesc = slot->tts_tupleDescriptor;
	RitualConverter *converters = palloc0(sizeof(RitualConverter) * Max(opts->natts, 1));
	List	   *kept = NIL;
	ListCell   *lc;

	if (clauses == NIL)
		return files;
	foreach(lc, clauses)
	{
		/* EXPLAIN may not know a parameter's value */
		if (explain_only &&
			contains_param((Node *) ((ExprState *) lfirst(lc))->expr, false))
			return files;
	}
	for (int i = 0; i < opts->natts; i++)
	{
		if (opts->columns[i].partition_key != NULL)
			ritual_converter_init(&converters[i], TupleDescAttr(tupdesc, i)->atttypid,
								  TupleDescAttr(tupdesc, i)->atttypmod);
	}

	foreach(lc, files)
	{
		RitualFile *file = lfirst(lc);
		bool		keep = true;
		MemoryContext oldcontext;
		ListCell   *c;

		ResetExprContext(econtext);
		oldcontext = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		ExecClearTuple(slot);
		for (int i = 0; i < opts->natts; i++)
		{
			char	   *message;

			slot->tts_values[i] = (Datum) 0;
			slot->tts_isnull[i] = true;
			if (opts->columns[i].partition_key == NULL)
				continue;
			if (!ritual_file_has_partition(file, opts->columns[i].partition_key) ||
				!ritual_convert_partition_value(&converters[i], file,
												opts->columns[i].partition_key,
												&slot->tts_values[i],
												&slot->tts_isnull[i],
												&message))
			{
				keep = true;	/* the scan reads or reports it */
				goto decided;
			}
		}
		ExecStoreVirtualTuple(slot);
		econtext->ecxt_scantuple = slot;
		foreach(c, clauses)
		{
			bool		isnull;
			Datum		result = ExecEvalExpr(lfirst(c), econtext, &isnull);

			if (isnull || !DatumGetBool(result))
			{
				keep = false;
				break;
			}
		}
decided:
		MemoryContextSwitchTo(oldcontext);
		if (keep)
			kept = lappend(kept, file);
	}
	ExecClearTuple(slot);
	ResetExprContext(econtext);
	return kept;
}
