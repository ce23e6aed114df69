/*-------------------------------------------------------------------------
 *
 * listing.c
 *		  A table's files listed once per statement: the planner's listing
 *		  handed over to the executor.
 *
 * The planner lists a table's files to estimate its scan, the partition
 * directories pruned by what it knows of the conditions' values
 * (constants, stable expressions as they are now, a custom plan's
 * parameters).  When the same statement then runs the plan, the executor
 * takes that listing instead of reading the directories again, but only if
 * every value the planner knew is the one the executor computes: then the
 * planner ruled out no directory that the executor would not, and the
 * executor prunes what is left by what only it knows (a generic plan's
 * parameters).  A plan run again (a prepared statement, a cached plan of
 * PL/pgSQL), or by a later statement, lists again: files may have come or
 * gone since.
 *
 * A listing waits in a memory context of its own under the transaction's,
 * and the executor that takes it adopts the context into the query's.
 * Listings no scan took (a plan never run) are dropped when a later
 * statement plans, and at the end of the transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "utils/memutils.h"

#include "ritual.h"

typedef struct PlannedListing
{
	int			token;			/* what the plan carries */
	TimestampTz statement;		/* start of the statement that planned it */
	MemoryContext context;		/* holds the listing */
	RitualListing *listing;
} PlannedListing;

/* Listings not taken yet, in TopTransactionContext. */
static List *planned = NIL;
static int	last_token = 0;
static bool callback_registered = false;

/* The transaction's memory, listings with it, is gone. */
static void
forget_listings(XactEvent event, pg_attribute_unused() void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		planned = NIL;
}

/*
 * ritual_listing_context
 *		A memory context for the planner to list a table's files in.
 */
MemoryContext
ritual_listing_context(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(forget_listings, NULL);
		callback_registered = true;
	}
	return AllocSetContextCreate(TopTransactionContext,
								 "ritual_fdw planned listing",
								 ALLOCSET_DEFAULT_SIZES);
}

/*
 * ritual_listing_keep
 *		Keep 'listing', made in 'context' (of ritual_listing_context), for
 *		the executor of this statement; the token that takes it.
 */
int
ritual_listing_keep(MemoryContext context, RitualListing *listing)
{
	TimestampTz now = GetCurrentStatementStartTimestamp();
	PlannedListing *entry;
	ListCell   *lc;
	MemoryContext oldcontext;

	/* what earlier statements planned and did not run */
	foreach(lc, planned)
	{
		PlannedListing *old = lfirst(lc);

		if (old->statement != now)
		{
			MemoryContextDelete(old->context);
			pfree(old);
			planned = foreach_delete_current(planned, lc);
		}
	}

	oldcontext = MemoryContextSwitchTo(TopTransactionContext);
	entry = palloc(sizeof(PlannedListing));
	entry->token = last_token = (last_token == INT_MAX ? 1 : last_token + 1);
	entry->statement = now;
	entry->context = context;
	entry->listing = listing;
	planned = lappend(planned, entry);
	MemoryContextSwitchTo(oldcontext);
	return entry->token;
}

/*
 * ritual_listing_take
 *		The listing of 'token' if this statement planned it and no scan took
 *		it yet, moved into the current memory context; else NULL.
 */
RitualListing *
ritual_listing_take(int token)
{
	ListCell   *lc;

	foreach(lc, planned)
	{
		PlannedListing *entry = lfirst(lc);
		RitualListing *listing = entry->listing;

		if (entry->token != token)
			continue;
		planned = foreach_delete_current(planned, lc);
		if (entry->statement != GetCurrentStatementStartTimestamp())
		{
			MemoryContextDelete(entry->context);
			listing = NULL;
		}
		else
			MemoryContextSetParent(entry->context, CurrentMemoryContext);
		pfree(entry);
		return listing;
	}
	return NULL;
}
