/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *		  Aggregates a scan computes itself: which aggregates of a query
 *		  qualify (count, min and max of columns and of text lengths, with
 *		  no grouping, condition, DISTINCT, ORDER BY or FILTER), and their
 *		  values, added up batch by batch from the rows the scan hands over
 *		  column by column (ritual_scan_next_rows).
 *
 * The executor's own aggregation pays for each row in the scan node and in
 * each aggregate's transition function; a Parquet file's values come
 * decoded a batch at a time, and a tight loop over a batch costs a few
 * nanoseconds a value.  Only types whose order is that of their binary
 * value qualify (integers, floats, dates, timestamps): text's order
 * depends on collations, which stay the executor's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/tlist.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "ritual.h"

/* What an aggregate does with its values. */
typedef enum AggKind
{
	AGG_COUNT_ROWS,				/* count(*) */
	AGG_COUNT,					/* count(x): x not NULL */
	AGG_MIN,
	AGG_MAX
} AggKind;

/* What an aggregate's argument is, as the loops read it. */
typedef enum AggValue
{
	VALUE_NONE,					/* count(*) */
	VALUE_ANY,					/* only whether it is NULL */
	VALUE_INT16,
	VALUE_INT32,				/* int4, date */
	VALUE_INT64,				/* int8, timestamp, timestamptz */
	VALUE_FLOAT4,
	VALUE_FLOAT8,
	VALUE_CHARS,				/* a text's length in characters */
	VALUE_OCTETS				/* a text's length in bytes */
} AggValue;

/* An aggregate's running value. */
typedef struct Aggregate
{
	AggKind		kind;
	AggValue	value;
	int			attnum;			/* from 0; -1 for count(*) */
	int64		count;			/* AGG_COUNT*: the count */
	bool		found;			/* AGG_MIN, AGG_MAX: a value was seen */
	Datum		best;			/* and the least or greatest */
} Aggregate;

struct RitualAggregates
{
	int			naggs;
	Aggregate  *aggs;
	int			max_char_bytes; /* of the database's encoding */
	bool		utf8;
};

/* min and max of the types whose order is their binary value's */
static const struct
{
	Oid			aggfnoid;
	AggKind		kind;
	AggValue	value;
}			min_max[] =
{
	{F_MIN_INT2, AGG_MIN, VALUE_INT16},
	{F_MAX_INT2, AGG_MAX, VALUE_INT16},
	{F_MIN_INT4, AGG_MIN, VALUE_INT32},
	{F_MAX_INT4, AGG_MAX, VALUE_INT32},
	{F_MIN_DATE, AGG_MIN, VALUE_INT32},
	{F_MAX_DATE, AGG_MAX, VALUE_INT32},
	{F_MIN_INT8, AGG_MIN, VALUE_INT64},
	{F_MAX_INT8, AGG_MAX, VALUE_INT64},
	{F_MIN_TIMESTAMP, AGG_MIN, VALUE_INT64},
	{F_MAX_TIMESTAMP, AGG_MAX, VALUE_INT64},
	{F_MIN_TIMESTAMPTZ, AGG_MIN, VALUE_INT64},
	{F_MAX_TIMESTAMPTZ, AGG_MAX, VALUE_INT64},
	{F_MIN_FLOAT4, AGG_MIN, VALUE_FLOAT4},
	{F_MAX_FLOAT4, AGG_MAX, VALUE_FLOAT4},
	{F_MIN_FLOAT8, AGG_MIN, VALUE_FLOAT8},
	{F_MAX_FLOAT8, AGG_MAX, VALUE_FLOAT8},
};

/* A column of the scanned relation, through a binary-compatible cast. */
static Var *
scanned_column(Node *node, Index relid)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return NULL;
	if (((Var *) node)->varno != (int) relid ||
		((Var *) node)->varlevelsup != 0 ||
		((Var *) node)->varattno <= 0)
		return NULL;
	return (Var *) node;
}

/*
 * An aggregate's argument: a column, or the length of a text column.  Sets
 * *attnum (from 0) and *value; false when it is neither.
 */
static bool
plan_argument(Node *arg, Index relid, int *attnum, AggValue *value)
{
	Var		   *var = scanned_column(arg, relid);

	if (var == NULL && arg != NULL && IsA(arg, FuncExpr) &&
		list_length(((FuncExpr *) arg)->args) == 1)
	{
		FuncExpr   *func = (FuncExpr *) arg;

		var = scanned_column(linitial(func->args), relid);
		if (var == NULL)
			return false;
		if (func->funcid == F_LENGTH_TEXT || func->funcid == F_CHAR_LENGTH_TEXT)
			*value = VALUE_CHARS;
		else if (func->funcid == F_OCTET_LENGTH_TEXT)
			*value = VALUE_OCTETS;
		else
			return false;
	}
	else if (var != NULL)
		*value = VALUE_ANY;
	else
		return false;
	*attnum = var->varattno - 1;
	return true;
}

/* An aggregate the scan computes, as an IntList (kind, value, attnum). */
static List *
plan_aggregate(Aggref *aggref, Index relid)
{
	int			attnum = -1;
	AggValue	value;

	if (aggref->aggkind != AGGKIND_NORMAL || aggref->aggdistinct != NIL ||
		aggref->aggorder != NIL || aggref->aggfilter != NULL ||
		aggref->aggvariadic || aggref->aggsplit != AGGSPLIT_SIMPLE ||
		aggref->agglevelsup != 0)
		return NIL;
	if (aggref->aggfnoid == F_COUNT_ && aggref->aggstar)
		return list_make3_int(AGG_COUNT_ROWS, VALUE_NONE, -1);
	if (list_length(aggref->args) != 1 ||
		!plan_argument((Node *) linitial_node(TargetEntry, aggref->args)->expr,
					   relid, &attnum, &value))
		return NIL;
	if (aggref->aggfnoid == F_COUNT_ANY)
		return list_make3_int(AGG_COUNT, VALUE_ANY, attnum);
	for (int i = 0; i < (int) lengthof(min_max); i++)
	{
		if (aggref->aggfnoid != min_max[i].aggfnoid)
			continue;
		/* a length is an int4, and its min or max one of int4's */
		if (value == VALUE_ANY)
			value = min_max[i].value;
		else if (min_max[i].value != VALUE_INT32 ||
				 min_max[i].aggfnoid == F_MIN_DATE ||
				 min_max[i].aggfnoid == F_MAX_DATE)
			return NIL;
		/* kept across batches, a value must not point into one */
		if (!FLOAT8PASSBYVAL && (value == VALUE_INT64 || value == VALUE_FLOAT8))
			return NIL;
		return list_make3_int(min_max[i].kind, value, attnum);
	}
	return NIL;
}

/*
 * ritual_aggregates_plan
 *		Whether a scan of relation 'relid' can compute the aggregates of
 *		target 'exprs' (the grouped target of a query without grouping or
 *		conditions).  If so, *tlist is the scan's target list, one entry
 *		per distinct aggregate, *specs says how to compute each, in that
 *		order, and *columns lists the attributes (from 1) they read.
 */
bool
ritual_aggregates_plan(List *exprs, Index relid, List **tlist, List **specs,
					   List **columns)
{
	List	   *items = pull_var_clause((Node *) exprs,
										PVC_INCLUDE_AGGREGATES |
										PVC_INCLUDE_WINDOWFUNCS |
										PVC_INCLUDE_PLACEHOLDERS);
	ListCell   *lc;

	*tlist = NIL;
	*specs = NIL;
	*columns = NIL;
	if (items == NIL)
		return false;
	foreach(lc, items)
	{
		Aggref	   *aggref = lfirst(lc);
		List	   *spec;

		if (!IsA(aggref, Aggref))
			return false;
		if (tlist_member((Expr *) aggref, *tlist) != NULL)
			continue;
		spec = plan_aggregate(aggref, relid);
		if (spec == NIL)
			return false;
		*tlist = lappend(*tlist, makeTargetEntry((Expr *) aggref,
												 list_length(*tlist) + 1,
												 NULL, false));
		*specs = lappend(*specs, spec);
		if (lthird_int(spec) >= 0)
			*columns = list_append_unique_int(*columns, lthird_int(spec) + 1);
	}
	return true;
}

/*
 * ritual_aggregates_describe
 *		The aggregates of a scan's target list as SQL says them, for EXPLAIN:
 *		a List of String.
 */
List *
ritual_aggregates_describe(List *tlist, Index relid, Oid foreigntableid)
{
	List	   *context = deparse_context_for(get_rel_name(foreigntableid),
											  foreigntableid);
	List	   *described = NIL;
	ListCell   *lc;

	foreach(lc, tlist)
	{
		Node	   *expr = copyObject((Node *) lfirst_node(TargetEntry, lc)->expr);

		ChangeVarNodes(expr, relid, 1, 0);
		described = lappend(described,
							makeString(deparse_expression(expr, context,
														  false, false)));
	}
	return described;
}

/*
 * ritual_aggregates_begin
 *		Running values for the aggregates 'specs' (of ritual_aggregates_plan).
 */
RitualAggregates *
ritual_aggregates_begin(List *specs)
{
	RitualAggregates *state = palloc0(sizeof(RitualAggregates));
	ListCell   *lc;
	int			i = 0;

	state->naggs = list_length(specs);
	state->aggs = palloc0(sizeof(Aggregate) * Max(state->naggs, 1));
	state->max_char_bytes = pg_database_encoding_max_length();
	state->utf8 = (GetDatabaseEncoding() == PG_UTF8);
	foreach(lc, specs)
	{
		List	   *spec = lfirst(lc);

		state->aggs[i].kind = linitial_int(spec);
		state->aggs[i].value = lsecond_int(spec);
		state->aggs[i].attnum = lthird_int(spec);
		i++;
	}
	return state;
}

/* A text's length, as length() or octet_length() counts it. */
static inline int32
text_length(const RitualAggregates *state, Datum datum, bool in_octets)
{
	struct varlena *t = (struct varlena *) DatumGetPointer(datum);
	const unsigned char *p;
	int			len;
	int32		chars = 0;

	if (VARATT_IS_EXTENDED(t) && !VARATT_IS_SHORT(t))
		t = pg_detoast_datum_packed(t);
	p = (const unsigned char *) VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	if (in_octets || state->max_char_bytes == 1)
		return len;
	if (!state->utf8)
		return pg_mbstrlen_with_len((const char *) p, len);

	/*
	 * text is valid UTF-8: each character has one byte that is not 10xxxxxx,
	 * and ASCII, eight bytes at a time, is a character a byte
	 */
	for (; chars + 8 <= len; chars += 8)
	{
		uint64		word;

		memcpy(&word, p + chars, 8);
		if (word & UINT64CONST(0x8080808080808080))
			break;
	}
	for (int i = chars; i < len; i++)
		chars += (p[i] & 0xC0) != 0x80;
	return chars;
}

/*
 * The lengths of a batch's texts.  The rows of a dictionary-encoded column
 * share their values' Datums, so each text is measured once a batch: every
 * value of a batch is alive while it is added, so that a pointer stands for
 * one text.  A NULL row's length is left as it was.
 */
static void
text_lengths(const RitualAggregates *state, bool in_octets, int nrows,
			 const Datum *v, const bool *isnull, int64 *lengths)
{
	struct
	{
		Datum		text;
		int32		length;
	}			measured[256];

	memset(measured, 0, sizeof(measured));
	for (int r = 0; r < nrows; r++)
	{
		int			slot = (int) ((v[r] >> 4) % lengthof(measured));

		if (isnull[r])
			continue;
		if (measured[slot].text != v[r])
		{
			measured[slot].text = v[r];
			measured[slot].length = text_length(state, v[r], in_octets);
		}
		lengths[r] = measured[slot].length;
	}
}

/*
 * The greatest of 'best' and the keys of rows 0..n-1: a row's key is its
 * value, an integer sign-extended from its lowest 64 - 'shift' bits, with
 * its bits XORed with 'invert'; a NULL row's key is the least there is.
 * Four running values keep each comparison off the previous one's path.
 */
static inline int64
row_key(const Datum *v, const bool *isnull, int r, int shift, int64 invert)
{
	return isnull[r] ? PG_INT64_MIN :
		invert ^ (((int64) (v[r] << shift)) >> shift);
}

static inline int64
greatest_key(const Datum *v, const bool *isnull, int n, int shift,
			 int64 invert, int64 best)
{
	int64		k0 = best,
				k1 = best,
				k2 = best,
				k3 = best;
	int			r = 0;

	for (; r + 4 <= n; r += 4)
	{
		int64		key0 = row_key(v, isnull, r, shift, invert);
		int64		key1 = row_key(v, isnull, r + 1, shift, invert);
		int64		key2 = row_key(v, isnull, r + 2, shift, invert);
		int64		key3 = row_key(v, isnull, r + 3, shift, invert);

		k0 = key0 > k0 ? key0 : k0;
		k1 = key1 > k1 ? key1 : k1;
		k2 = key2 > k2 ? key2 : k2;
		k3 = key3 > k3 ? key3 : k3;
	}
	for (; r < n; r++)
	{
		int64		key = row_key(v, isnull, r, shift, invert);

		k0 = key > k0 ? key : k0;
	}
	return Max(Max(k0, k1), Max(k2, k3));
}

/* A min or max of integers or lengths: its key, and its Datum of a key. */
static int64
datum_key(AggValue value, Datum datum)
{
	switch (value)
	{
		case VALUE_INT16:
			return DatumGetInt16(datum);
		case VALUE_INT64:
			return DatumGetInt64(datum);
		default:
			return DatumGetInt32(datum);
	}
}

static Datum
key_datum(AggValue value, int64 key)
{
	switch (value)
	{
		case VALUE_INT16:
			return Int16GetDatum((int16) key);
		case VALUE_INT64:
			return Int64GetDatum(key);
		default:
			return Int32GetDatum((int32) key);
	}
}

/*
 * The greatest key of the lengths of a batch's texts that are coded into a
 * dictionary (RitualColumnRows), and 'best': each text the rows hold is
 * measured once.  False when every row is NULL.
 */
static bool
greatest_coded_length(const RitualAggregates *state, bool in_octets,
					  int nrows, const RitualColumnRows *column,
					  int64 invert, int64 *best)
{
	bool		held[RITUAL_SCAN_ROWS];
	bool		any = false;

	Assert(column->dictionary_size <= RITUAL_SCAN_ROWS);
	memset(held, false, column->dictionary_size);
	for (int r = 0; r < nrows; r++)
	{
		if (!column->nulls[r])
		{
			Assert(column->codes[r] >= 0 &&
				   column->codes[r] < column->dictionary_size);
			held[column->codes[r]] = true;
		}
	}
	for (int c = 0; c < column->dictionary_size; c++)
	{
		if (held[c])
		{
			int64		key = invert ^ text_length(state,
												   column->dictionary[c],
												   in_octets);

			*best = Max(*best, key);
			any = true;
		}
	}
	return any;
}

/*
 * Add rows to a min or max.  Values are compared as the transition functions
 * of max and min (int4larger, float8smaller, ...) compare them, and of
 * equal values they keep the later, so that max(x) of 0 then -0 is -0 here
 * too.  Integers and lengths are compared as int64 keys: for a min each
 * one's bits inverted, which reverses their order, so that the least is the
 * greatest key.
 */
static void
add_min_max(RitualAggregates *state, Aggregate *agg, int nrows,
			const RitualColumnRows *column)
{
	const Datum *v = column->values;
	const bool *isnull = column->nulls;
	int64		lengths[RITUAL_SCAN_ROWS];
	int64		invert = (agg->kind == AGG_MAX) ? 0 : -1;
	int			shift = 0;
	int64		best = agg->found ? invert ^ datum_key(agg->value, agg->best) :
		PG_INT64_MIN;

	switch (agg->value)
	{
		case VALUE_FLOAT4:
		case VALUE_FLOAT8:
			for (int r = 0; r < nrows; r++)
			{
				int			cmp;

				if (isnull[r])
					continue;
				if (!agg->found)
					cmp = 0;
				else if (agg->value == VALUE_FLOAT4)
					cmp = float4_cmp_internal(DatumGetFloat4(v[r]),
											  DatumGetFloat4(agg->best));
				else
					cmp = float8_cmp_internal(DatumGetFloat8(v[r]),
											  DatumGetFloat8(agg->best));
				if (agg->kind == AGG_MAX ? cmp >= 0 : cmp <= 0)
				{
					agg->best = v[r];
					agg->found = true;
				}
			}
			return;
		case VALUE_INT16:
			shift = 48;
			break;
		case VALUE_INT32:
			shift = 32;
			break;
		case VALUE_INT64:
			break;
		case VALUE_CHARS:
		case VALUE_OCTETS:
			/* a batch coded into a dictionary no bigger than itself */
			if (column->codes != NULL && column->dictionary_size <= nrows)
			{
				if (greatest_coded_length(state, agg->value == VALUE_OCTETS,
										  nrows, column, invert, &best))
				{
					agg->best = key_datum(agg->value, invert ^ best);
					agg->found = true;
				}
				return;
			}
			StaticAssertStmt(sizeof(Datum) == sizeof(int64),
							 "lengths are measured into Datums");
			text_lengths(state, agg->value == VALUE_OCTETS, nrows, v, isnull,
						 lengths);
			v = (const Datum *) lengths;
			break;
		default:
			elog(ERROR, "ritual_fdw cannot order aggregate values of kind %d",
				 (int) agg->value);
	}
	if (!agg->found)
	{
		int			present = 0;

		for (int r = 0; r < nrows; r++)
			present += !isnull[r];
		if (present == 0)
			return;
	}
	/* each shift a loop of its own, the commonest with none */
	best = (shift == 0) ? greatest_key(v, isnull, nrows, 0, invert, best) :
		greatest_key(v, isnull, nrows, shift, invert, best);
	agg->best = key_datum(agg->value, invert ^ best);
	agg->found = true;
}

/*
 * ritual_aggregates_add
 *		Add 'nrows' rows, column by column as ritual_scan_next_rows gives
 *		them.
 */
void
ritual_aggregates_add(RitualAggregates *state, int nrows,
					  const RitualColumnRows *columns)
{
	Assert(nrows <= RITUAL_SCAN_ROWS);
	for (int a = 0; a < state->naggs; a++)
	{
		Aggregate  *agg = &state->aggs[a];
		const bool *isnull;

		if (agg->kind == AGG_COUNT_ROWS)
		{
			agg->count += nrows;
			continue;
		}
		isnull = columns[agg->attnum].nulls;
		if (agg->kind == AGG_COUNT)
		{
			for (int r = 0; r < nrows; r++)
				agg->count += !isnull[r];
			continue;
		}
		add_min_max(state, agg, nrows, &columns[agg->attnum]);
	}
}

/*
 * ritual_aggregates_result
 *		The aggregates' values, in the order of their specs.
 */
void
ritual_aggregates_result(RitualAggregates *state, Datum *values, bool *nulls)
{
	for (int a = 0; a < state->naggs; a++)
	{
		Aggregate  *agg = &state->aggs[a];

		if (agg->kind == AGG_COUNT_ROWS || agg->kind == AGG_COUNT)
		{
			values[a] = Int64GetDatum(agg->count);
			nulls[a] = false;
		}
		else
		{
			values[a] = agg->best;
			nulls[a] = !agg->found;
		}
	}
}

/*
 * ritual_aggregates_reset
 *		Start again, as before the first row.
 */
void
ritual_aggregates_reset(RitualAggregates *state)
{
	for (int a = 0; a < state->naggs; a++)
	{
		state->aggs[a].count = 0;
		state->aggs[a].found = false;
	}
}
