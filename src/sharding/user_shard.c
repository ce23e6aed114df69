/*-------------------------------------------------------------------------
 *
 * user_shard.c
 *		  The shard of a user: ritual.user_shard(user_id, shards), the rule
 *		  that lays a lake out by user and routes a coordinator's queries.
 *
 * It is the remainder PostgreSQL's hash partitioning gives a bigint key
 * (PARTITION BY HASH (user_id), MODULUS shards), so that a coordinator's
 * tables partitioned that way over the workers send a query for one user
 * to the worker that holds them, and prune the others.  PostgreSQL keeps
 * that hash stable across releases (pg_upgrade and dumps of hash-
 * partitioned tables rely on it).  A NULL user_id (missing or unparseable
 * in the raw files) goes to shard 0, as hash partitioning sends NULL keys
 * to remainder 0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/fmgrprotos.h"

/* more shards than any deployment needs, and a hint of a mistake */
#define MAX_SHARDS 4096

PG_FUNCTION_INFO_V1(ritual_user_shard);

Datum
ritual_user_shard(PG_FUNCTION_ARGS)
{
	int32		shards;
	uint64		row_hash = 0;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	shards = PG_GETARG_INT32(1);
	if (shards < 1 || shards > MAX_SHARDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shards must be between 1 and %d, not %d", MAX_SHARDS, shards)));
	if (!PG_ARGISNULL(0))
	{
		/* as compute_partition_hash_value() combines a one-column key */
		Datum		hash = DirectFunctionCall2(hashint8extended,
											   PG_GETARG_DATUM(0),
											   UInt64GetDatum(HASH_PARTITION_SEED));

		row_hash = hash_combine64(row_hash, DatumGetUInt64(hash));
	}
	PG_RETURN_INT32((int32) (row_hash % (uint64) shards));
}
