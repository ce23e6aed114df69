/*-------------------------------------------------------------------------
 *
 * convert.h
 *		  Field-to-value conversion for ritual_fdw.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RITUAL_CONVERT_H
#define RITUAL_CONVERT_H

#include "ritual.h"

/* How one column's text becomes a value. */
typedef struct RitualConverter
{
	Oid			typid;
	int32		typmod;
	FmgrInfo	in_func;
	Oid			typioparam;
	bool		is_domain;		/* NULL must pass the domain's checks too */
} RitualConverter;

extern void ritual_converter_init(RitualConverter *conv, Oid typid,
								  int32 typmod);
extern Datum ritual_convert(RitualConverter *conv, char *str);
extern bool ritual_convert_soft(RitualConverter *conv, char *str,
								Datum *result, char **message);
extern char *ritual_shown_value(const char *value, int len);

#endif							/* RITUAL_CONVERT_H */
