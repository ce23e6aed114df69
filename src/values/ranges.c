/*-------------------------------------------------------------------------
 *
 * ranges.c
 *		  Whether rows whose columns lie in known ranges can satisfy a scan's
 *		  conditions: a lake's key=value directories are skipped by it before
 *		  they are listed, and a Parquet row group can be by its statistics.
 *
 * The conditions are compiled once into a tree of what a range can answer:
 * comparisons of a column with a value (=, <>, <, <=, >, >= of the btree
 * operator family of the column's type, cross-type members included),
 * col IN (...) and col op ANY/ALL (array), IS [NOT] NULL, a boolean column
 * alone, and AND, OR, NOT of those; anything else may match.  The values
 * (constants, stable expressions, parameters) are computed once.
 *
 * Each node tells whether some row in the ranges may make it true, and
 * whether some row may make it false (a NULL is neither).  Both are needed
 * for NOT, and both err on the side of "may": a range is skipped only when
 * no row in it can satisfy the conditions.
 *
 * Text: the order of a range's bounds is that of the collation "C" (bytes,
 * as Parquet's statistics are), so an ordering comparison (<, <=, >, >=) of
 * text or varchar uses the bounds only when it compares under "C" or
 * "POSIX"; equality, IN and <> use them under any deterministic collation,
 * where equal means the same bytes.  Other collatable types (char(n), whose
 * trailing blanks do not count; citext) use no bounds.  A range of one
 * value (a directory's) is compared under the comparison's own collation,
 * whatever the type: that is what the operator does.
 *
 * A caller's bounds must hold in the order of the column type's btree
 * operator family, in which a float's NaN is above every number (Parquet's
 * statistics leave NaN out: a row group that may hold one has no bounds for
 * a filter).  Equal bounds are taken for one value only when they are the
 * same bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"

#include "ritual.h"

/* '<>': the negator of a family's '=', not a member itself */
#define NOT_EQUAL_STRATEGY	0

typedef enum FilterKind
{
	FILTER_ANY,					/* may be true or false */
	FILTER_COMPARE,				/* column op value */
	FILTER_ARRAY,				/* column op ANY/ALL (array value) */
	FILTER_NULLTEST,			/* column IS [NOT] NULL */
	FILTER_AND,
	FILTER_OR,
	FILTER_NOT
} FilterKind;

/* A value computed once: the side of a comparison that is not the column. */
typedef struct FilterValue
{
	Expr	   *expr;			/* NULL for a value known when compiled */
	bool		known;			/* computed (EXPLAIN, the planner may not) */
	Datum		value;
	bool		isnull;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	/* an array's elements, for FILTER_ARRAY */
	int			nelems;
	Datum	   *elems;
	bool	   *elem_nulls;
} FilterValue;

typedef struct FilterNode
{
	FilterKind	kind;
	int			column;			/* 0-based attribute: COMPARE, ARRAY, NULLTEST */
	int			strategy;		/* BT*StrategyNumber, as column op value, or
								 * NOT_EQUAL_STRATEGY */
	bool		column_right;	/* written value op column: cmp's arguments
								 * are (value, column) */
	FmgrInfo	cmp;			/* the family's order of the two types */
	Oid			collation;		/* of the comparison */
	bool		bounds_ordered; /* a range's bounds may answer ordering */
	bool		bounds_equal;	/* ... or, if not, equality in byte order */
	int16		column_typlen;	/* to see that min and max are one value */
	bool		column_typbyval;
	int			value;			/* index into the filter's values */
	bool		use_or;			/* ARRAY: ANY, else ALL */
	bool		is_null;		/* NULLTEST: IS NULL, else IS NOT NULL */
	List	   *args;			/* AND, OR, NOT: FilterNode * */
} FilterNode;

struct RitualRangeFilter
{
	List	   *conditions;		/* FilterNode *, all must hold */
	int			natts;
	Bitmapset  *columns;		/* 0-based attributes the ranges may tell */
	int			nvalues;
	FilterValue *values;
};

/* What compiling needs to know. */
typedef struct CompileContext
{
	RitualRangeFilter *filter;
	Index		relid;
	int			maxvalues;
} CompileContext;

static FilterNode *compile(CompileContext *cx, Node *clause);

/* The attribute 'node' reads of the scanned relation, or -1. */
static int
column_of(CompileContext *cx, Node *node)
{
	Var		   *var;

	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return -1;
	var = (Var *) node;
	if ((Index) var->varno != cx->relid || var->varlevelsup != 0 ||
		var->varattno < 1 || var->varattno > cx->filter->natts)
		return -1;
	return var->varattno - 1;
}

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

/*
 * ritual_contains_param
 *		Whether an expression holds a Param; with 'exec_only', a parameter of
 *		an initplan or an outer query only (one with no value yet when a
 *		scan begins, and another on each rescan).
 */
bool
ritual_contains_param(Node *node, bool exec_only)
{
	return contains_param_walker(node, &exec_only);
}

/*
 * Whether 'expr' can be computed once, before any row is read: it reads no
 * column, calls no volatile function, and has no subplan and no value that
 * changes from row to row or rescan to rescan.
 */
static bool
computable_once(Node *expr)
{
	return !contain_var_clause(expr) && !contain_volatile_functions(expr) &&
		!contain_subplans(expr) && !ritual_contains_param(expr, true);
}

static int
add_value(CompileContext *cx, Expr *expr, bool known, Datum value)
{
	FilterValue *v;

	if (cx->filter->nvalues == cx->maxvalues)
	{
		cx->maxvalues = Max(8, cx->maxvalues * 2);
		cx->filter->values = cx->filter->values == NULL ?
			palloc0(sizeof(FilterValue) * cx->maxvalues) :
			repalloc(cx->filter->values, sizeof(FilterValue) * cx->maxvalues);
	}
	v = &cx->filter->values[cx->filter->nvalues];
	memset(v, 0, sizeof(FilterValue));
	v->expr = expr;
	v->known = known;
	v->value = value;
	if (expr != NULL)
		get_typlenbyvalalign(exprType((Node *) expr), &v->typlen, &v->typbyval,
							 &v->typalign);
	else
	{
		v->typlen = 1;
		v->typbyval = true;
	}
	return cx->filter->nvalues++;
}

/*
 * A comparison node for column 'column' (an expression of type 'coltype'),
 * operator 'opno' of the written order, or NULL when the operator is not
 * one of the btree family of the column's type (or its negated '=').
 */
static FilterNode *
compare_node(CompileContext *cx, int column, Oid coltype, Oid opno,
			 Oid collation, bool column_right)
{
	Oid			basetype = getBaseType(coltype);
	Oid			opclass = GetDefaultOpClass(basetype, BTREE_AM_OID);
	Oid			family;
	Oid			member = opno;
	int			strategy;
	Oid			lefttype,
				righttype;
	Oid			cmp_proc;
	FilterNode *node;

	if (!OidIsValid(opclass))
		return NULL;
	family = get_opclass_family(opclass);
	if (!op_in_opfamily(opno, family))
	{
		/* '<>' is the negator of the family's '=' */
		member = get_negator(opno);
		if (!OidIsValid(member) || !op_in_opfamily(member, family))
			return NULL;
	}
	get_op_opfamily_properties(member, family, false, &strategy, &lefttype,
							   &righttype);
	if (member != opno)
	{
		if (strategy != BTEqualStrategyNumber)
			return NULL;
		strategy = NOT_EQUAL_STRATEGY;
	}
	cmp_proc = get_opfamily_proc(family, lefttype, righttype, BTORDER_PROC);
	if (!OidIsValid(cmp_proc))
		return NULL;

	node = palloc0(sizeof(FilterNode));
	node->kind = FILTER_COMPARE;
	node->column = column;
	/* as column op value */
	if (column_right && strategy != NOT_EQUAL_STRATEGY)
		strategy = BTCommuteStrategyNumber(strategy);
	node->strategy = strategy;
	node->column_right = column_right;
	fmgr_info(cmp_proc, &node->cmp);
	node->collation = collation;
	get_typlenbyval(basetype, &node->column_typlen, &node->column_typbyval);
	if (!type_is_collatable(basetype))
		node->bounds_ordered = true;
	else if (family == TEXT_BTREE_FAM_OID && OidIsValid(collation))
	{
		/* text, varchar: byte order under "C", equal bytes when deterministic */
		node->bounds_ordered = lc_collate_is_c(collation);
		node->bounds_equal = get_collation_isdeterministic(collation);
	}
	cx->filter->columns = bms_add_member(cx->filter->columns, column);
	return node;
}

/* column op value, value op column */
static FilterNode *
compile_opexpr(CompileContext *cx, OpExpr *op)
{
	Node	   *left,
			   *right;
	int			column;
	bool		column_right = false;
	Node	   *value;
	FilterNode *node;

	if (list_length(op->args) != 2)
		return NULL;
	left = linitial(op->args);
	right = lsecond(op->args);
	if ((column = column_of(cx, left)) >= 0)
		value = right;
	else if ((column = column_of(cx, right)) >= 0)
	{
		value = left;
		column_right = true;
	}
	else
		return NULL;
	if (!computable_once(value))
		return NULL;
	node = compare_node(cx, column, exprType(column_right ? right : left),
						op->opno, op->inputcollid, column_right);
	if (node != NULL)
		node->value = add_value(cx, (Expr *) value, false, (Datum) 0);
	return node;
}

/* column op ANY (array), column op ALL (array) */
static FilterNode *
compile_array(CompileContext *cx, ScalarArrayOpExpr *saop)
{
	Node	   *left = linitial(saop->args);
	Node	   *array = lsecond(saop->args);
	int			column = column_of(cx, left);
	FilterNode *node;

	if (column < 0 || !computable_once(array))
		return NULL;
	node = compare_node(cx, column, exprType(left), saop->opno,
						saop->inputcollid, false);
	if (node == NULL)
		return NULL;
	node->kind = FILTER_ARRAY;
	node->use_or = saop->useOr;
	node->value = add_value(cx, (Expr *) array, false, (Datum) 0);
	return node;
}

static FilterNode *
compile(CompileContext *cx, Node *clause)
{
	FilterNode *node = NULL;
	int			column;

	CHECK_FOR_INTERRUPTS();
	check_stack_depth();
	if (IsA(clause, OpExpr))
		node = compile_opexpr(cx, (OpExpr *) clause);
	else if (IsA(clause, ScalarArrayOpExpr))
		node = compile_array(cx, (ScalarArrayOpExpr *) clause);
	else if (IsA(clause, NullTest) && !((NullTest *) clause)->argisrow &&
			 (column = column_of(cx, (Node *) ((NullTest *) clause)->arg)) >= 0)
	{
		node = palloc0(sizeof(FilterNode));
		node->kind = FILTER_NULLTEST;
		node->column = column;
		node->is_null = ((NullTest *) clause)->nulltesttype == IS_NULL;
		cx->filter->columns = bms_add_member(cx->filter->columns, column);
	}
	else if (IsA(clause, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) clause;
		ListCell   *lc;

		node = palloc0(sizeof(FilterNode));
		node->kind = b->boolop == AND_EXPR ? FILTER_AND :
			b->boolop == OR_EXPR ? FILTER_OR : FILTER_NOT;
		foreach(lc, b->args)
			node->args = lappend(node->args, compile(cx, lfirst(lc)));
	}
	else if ((column = column_of(cx, clause)) >= 0 &&
			 getBaseType(exprType(clause)) == BOOLOID)
	{
		/* a boolean column alone: column = true */
		node = compare_node(cx, column, exprType(clause), BooleanEqualOperator,
							InvalidOid, false);
		if (node != NULL)
			node->value = add_value(cx, NULL, true, BoolGetDatum(true));
	}

	if (node == NULL)
	{
		node = palloc0(sizeof(FilterNode));
		node->kind = FILTER_ANY;
	}
	return node;
}

/* The filter of 'clauses', its values not computed yet. */
static RitualRangeFilter *
compile_filter(List *clauses, Index relid, int natts)
{
	RitualRangeFilter *filter = palloc0(sizeof(RitualRangeFilter));
	CompileContext cx = {filter, relid, 0};
	ListCell   *lc;

	filter->natts = natts;
	foreach(lc, clauses)
		filter->conditions = lappend(filter->conditions,
									 compile(&cx, lfirst(lc)));
	return filter;
}

/* An array value's elements, kept for FILTER_ARRAY. */
static void
split_array(FilterValue *v)
{
	ArrayType  *array;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;

	if (v->isnull)
		return;
	array = DatumGetArrayTypeP(v->value);
	get_typlenbyvalalign(ARR_ELEMTYPE(array), &elmlen, &elmbyval, &elmalign);
	deconstruct_array(array, ARR_ELEMTYPE(array), elmlen, elmbyval, elmalign,
					  &v->elems, &v->elem_nulls, &v->nelems);
}

/* Keep a computed value, copied out of the memory it was computed in. */
static void
set_value(FilterValue *v, Datum value, bool isnull)
{
	v->known = true;
	v->isnull = isnull;
	v->value = isnull ? (Datum) 0 : datumCopy(value, v->typbyval, v->typlen);
}

/* Split the array values, once all values are known. */
static void
split_arrays(RitualRangeFilter *filter, List *nodes)
{
	ListCell   *lc;

	foreach(lc, nodes)
	{
		FilterNode *node = lfirst(lc);

		if (node->kind == FILTER_ARRAY && filter->values[node->value].known)
			split_array(&filter->values[node->value]);
		split_arrays(filter, node->args);
	}
}

/*
 * ritual_range_filter_begin
 *		The filter of 'clauses' (conditions on the table of scan 'node'),
 *		their values computed now, once.  Under a plain EXPLAIN a value that
 *		holds a parameter is not known: nothing is ruled out by it.
 */
RitualRangeFilter *
ritual_range_filter_begin(ForeignScanState *node, List *clauses,
						  const RitualOptions *opts)
{
	Index		relid = ((Scan *) node->ss.ps.plan)->scanrelid;
	RitualRangeFilter *filter = compile_filter(clauses, relid, opts->natts);
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	bool		explain_only =
		(node->ss.ps.state->es_top_eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;

	for (int i = 0; i < filter->nvalues; i++)
	{
		FilterValue *v = &filter->values[i];
		ExprState  *state;
		Datum		value;
		bool		isnull;

		if (v->known || (explain_only && ritual_contains_param((Node *) v->expr, false)))
			continue;
		state = ExecInitExpr(v->expr, &node->ss.ps);
		value = ExecEvalExprSwitchContext(state, econtext, &isnull);
		set_value(v, value, isnull);
		ResetExprContext(econtext);
	}
	split_arrays(filter, filter->conditions);
	return filter;
}

/*
 * ritual_range_filter_plan
 *		The filter of 'clauses' (conditions on 'relid') for the planner: the
 *		values it can fold (constants, stable functions, the parameters of a
 *		custom plan) are known, the others may be anything.
 */
RitualRangeFilter *
ritual_range_filter_plan(struct PlannerInfo *root, List *clauses, Index relid,
						 const RitualOptions *opts)
{
	RitualRangeFilter *filter = compile_filter(clauses, relid, opts->natts);

	for (int i = 0; i < filter->nvalues; i++)
	{
		FilterValue *v = &filter->values[i];
		Node	   *folded;

		if (v->known)
			continue;
		folded = estimate_expression_value(root, (Node *) v->expr);
		if (IsA(folded, Const))
			set_value(v, ((Const *) folded)->constvalue,
					  ((Const *) folded)->constisnull);
	}
	split_arrays(filter, filter->conditions);
	return filter;
}

/*
 * ritual_range_filter_agrees
 *		Whether every value 'planned' knew is the value 'filter' computed:
 *		then what 'planned' ruled out, 'filter' rules out too.  Both must be
 *		made of the same clauses.
 */
bool
ritual_range_filter_agrees(const RitualRangeFilter *planned,
						   const RitualRangeFilter *filter)
{
	if (planned->nvalues != filter->nvalues)
		return false;
	for (int i = 0; i < planned->nvalues; i++)
	{
		const FilterValue *p = &planned->values[i];
		const FilterValue *v = &filter->values[i];

		if (!p->known)
			continue;
		if (!v->known || p->isnull != v->isnull ||
			(!p->isnull && !datumIsEqual(p->value, v->value, p->typbyval,
										  p->typlen)))
			return false;
	}
	return true;
}

/*
 * ritual_range_filter_columns
 *		The attributes, 0-based (the index into the ranges array), whose
 *		ranges the filter may use.
 */
Bitmapset *
ritual_range_filter_columns(const RitualRangeFilter *filter)
{
	return filter->columns;
}

/* Whether the range may hold a non-NULL value, a NULL. */
static bool
may_have_values(const RitualColumnRange *r)
{
	if (r->has_bounds)
		return true;
	return !(r->null_count >= 0 && r->row_count >= 0 &&
			 r->null_count >= r->row_count);
}

static bool
may_have_nulls(const RitualColumnRange *r)
{
	return r->null_count != 0;
}

/* The sign of cmp(bound, value), the column's bound first. */
static int
compare_bound(FilterNode *node, Oid collation, Datum bound, Datum value)
{
	int32		c;

	if (node->column_right)
	{
		c = DatumGetInt32(FunctionCall2Coll(&node->cmp, collation, value, bound));
		return (c < 0) - (c > 0);
	}
	c = DatumGetInt32(FunctionCall2Coll(&node->cmp, collation, bound, value));
	return (c > 0) - (c < 0);
}

/*
 * Whether some row of range 'r' may make column op value true (*may_true),
 * false (*may_false).
 */
static void
compare_range(FilterNode *node, const RitualColumnRange *r, Datum value,
			  bool isnull, bool *may_true, bool *may_false)
{
	Oid			collation = node->collation;
	bool		one_value;
	int			lo,
				hi;

	*may_true = *may_false = true;
	if (isnull || !may_have_values(r))
	{
		/* NULL compares to nothing */
		*may_true = *may_false = false;
		return;
	}
	if (!r->has_bounds)
		return;
	one_value = datumIsEqual(r->min, r->max, node->column_typbyval,
							 node->column_typlen);
	if (!one_value && !node->bounds_ordered)
	{
		/* equal is the same bytes: the bounds' byte order tells */
		if (!node->bounds_equal ||
			(node->strategy != BTEqualStrategyNumber &&
			 node->strategy != NOT_EQUAL_STRATEGY))
			return;
		collation = C_COLLATION_OID;
	}
	lo = compare_bound(node, collation, r->min, value);
	hi = one_value ? lo : compare_bound(node, collation, r->max, value);
	switch (node->strategy)
	{
		case BTLessStrategyNumber:
			*may_true = lo < 0;
			*may_false = hi >= 0;
			break;
		case BTLessEqualStrategyNumber:
			*may_true = lo <= 0;
			*may_false = hi > 0;
			break;
		case BTEqualStrategyNumber:
			*may_true = lo <= 0 && hi >= 0;
			*may_false = !(lo == 0 && hi == 0);
			break;
		case BTGreaterEqualStrategyNumber:
			*may_true = hi >= 0;
			*may_false = lo < 0;
			break;
		case BTGreaterStrategyNumber:
			*may_true = hi > 0;
			*may_false = lo <= 0;
			break;
		case NOT_EQUAL_STRATEGY:
			*may_true = !(lo == 0 && hi == 0);
			*may_false = lo <= 0 && hi >= 0;
			break;
	}
}

/*
 * column op ANY (array) is true when one element's comparison is, false
 * when all are false; ALL the reverse.  An empty array makes ANY false and
 * ALL true, even for a NULL column; a NULL element makes what would be
 * false (ANY) or true (ALL) NULL.
 */
static void
array_range(FilterNode *node, const RitualColumnRange *r,
			const FilterValue *v, bool *may_true, bool *may_false)
{
	bool		some_true = false,
				all_true = true,
				some_false = false,
				all_false = true,
				has_null = false;

	if (v->isnull)
	{
		*may_true = *may_false = false;
		return;
	}
	if (v->nelems == 0)
	{
		*may_true = !node->use_or;
		*may_false = node->use_or;
		return;
	}
	for (int i = 0; i < v->nelems; i++)
	{
		bool		t,
					f;

		if (v->elem_nulls[i])
		{
			has_null = true;
			continue;
		}
		compare_range(node, r, v->elems[i], false, &t, &f);
		some_true |= t;
		all_true &= t;
		some_false |= f;
		all_false &= f;
	}
	if (node->use_or)
	{
		*may_true = some_true;
		*may_false = all_false && !has_null;
	}
	else
	{
		*may_true = all_true && !has_null;
		*may_false = some_false;
	}
}

/* Whether some row of the ranges may make 'node' true, false. */
static void
evaluate(const RitualRangeFilter *filter, FilterNode *node,
		 const RitualColumnRange *ranges, bool *may_true, bool *may_false)
{
	const RitualColumnRange *r = NULL;
	const FilterValue *v = NULL;
	ListCell   *lc;

	*may_true = *may_false = true;
	if (node->kind == FILTER_COMPARE || node->kind == FILTER_ARRAY ||
		node->kind == FILTER_NULLTEST)
	{
		r = &ranges[node->column];
		if (!r->known)
			return;
	}
	if (node->kind == FILTER_COMPARE || node->kind == FILTER_ARRAY)
	{
		v = &filter->values[node->value];
		if (!v->known)
			return;
	}

	switch (node->kind)
	{
		case FILTER_ANY:
			break;
		case FILTER_COMPARE:
			compare_range(node, r, v->value, v->isnull, may_true, may_false);
			break;
		case FILTER_ARRAY:
			array_range(node, r, v, may_true, may_false);
			break;
		case FILTER_NULLTEST:
			*may_true = node->is_null ? may_have_nulls(r) : may_have_values(r);
			*may_false = node->is_null ? may_have_values(r) : may_have_nulls(r);
			break;
		case FILTER_AND:
		case FILTER_OR:
			{
				bool		is_and = node->kind == FILTER_AND;

				/* AND: true when all are, false when one is; OR reversed */
				*may_true = is_and;
				*may_false = !is_and;
				foreach(lc, node->args)
				{
					bool		t,
								f;

					evaluate(filter, lfirst(lc), ranges, &t, &f);
					if (is_and)
					{
						*may_true &= t;
						*may_false |= f;
					}
					else
					{
						*may_true |= t;
						*may_false &= f;
					}
				}
				break;
			}
		case FILTER_NOT:
			evaluate(filter, linitial(node->args), ranges, may_false, may_true);
			break;
	}
}

/*
 * ritual_range_may_match
 *		Whether some row whose columns lie in 'ranges' (one per attribute of
 *		the table, 0-based) may satisfy every condition of 'filter'.
 */
bool
ritual_range_may_match(const RitualRangeFilter *filter,
					   const RitualColumnRange *ranges)
{
	ListCell   *lc;

	foreach(lc, filter->conditions)
	{
		bool		may_true,
					may_false;

		evaluate(filter, lfirst(lc), ranges, &may_true, &may_false);
		if (!may_true)
			return false;
	}
	return true;
}
