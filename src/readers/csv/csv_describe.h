/*-------------------------------------------------------------------------
 *
 * csv_describe.h
 *		  A CSV file's columns guessed from its first records (the CSV
 *		  source's describe, for IMPORT FOREIGN SCHEMA).
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_CSV_DESCRIBE_H
#define RITUAL_CSV_DESCRIBE_H

#include "readers/source.h"

extern List *csv_describe(const char *path, const RitualOptions *opts,
						  List *given, List **table_options);

#endif							/* RITUAL_CSV_DESCRIBE_H */
