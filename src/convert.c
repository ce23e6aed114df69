/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  Turn a field's text into a column value through the column type's
 *		  input function, so that a value means exactly what 'text'::type
 *		  means, either raising the type's error or reporting it softly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "lib/stringinfo.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "convert.h"

/*
 * ritual_converter_init
 *		Look up the input function of type 'typid'.
 */
void
ritual_converter_init(RitualConverter *conv, Oid typid, int32 typmod)
{
	Oid			in_func_oid;

	conv->typid = typid;
	conv->typmod = typmod;
	getTypeInputInfo(typid, &in_func_oid, &conv->typioparam);
	fmgr_info(in_func_oid, &conv->in_func);
	conv->is_domain = (get_typtype(typid) == TYPTYPE_DOMAIN);
}

/*
 * ritual_convert
 *		Convert 'str' (NULL for a NULL value of a domain, whose constraints
 *		must still be checked); errors are raised.
 */
Datum
ritual_convert(RitualConverter *conv, char *str)
{
	return InputFunctionCall(&conv->in_func, str, conv->typioparam,
							 conv->typmod);
}

/*
 * ritual_convert_soft
 *		Like ritual_convert, but a value the type rejects returns false and
 *		the reason in *message instead of raising an error.
 *
 * Before PostgreSQL 16 input functions cannot report errors softly, so the
 * error is caught.  Only data exceptions (class 22) and constraint
 * violations of domains (class 23) are taken as a bad value; anything else
 * (out of memory, a cancel) is raised again.
 */
bool
ritual_convert_soft(RitualConverter *conv, char *str, Datum *result,
					char **message)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};

	escontext.details_wanted = true;
	if (InputFunctionCallSafe(&conv->in_func, str, conv->typioparam,
							  conv->typmod, (Node *) &escontext, result))
		return true;
	*message = escontext.error_data->message;
	return false;
#else
	MemoryContext caller_context = CurrentMemoryContext;
	volatile bool converted = true;

	PG_TRY();
	{
		*result = InputFunctionCall(&conv->in_func, str, conv->typioparam,
									conv->typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			category;

		MemoryContextSwitchTo(caller_context);
		edata = CopyErrorData();
		category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);
		if (category != ERRCODE_DATA_EXCEPTION &&
			category != ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION)
			PG_RE_THROW();
		FlushErrorState();
		*message = edata->message;
		converted = false;
	}
	PG_END_TRY();
	return converted;
#endif
}

/*
 * ritual_shown_value
 *		A printable, bounded rendering of a field for error messages: at
 *		most RITUAL_SHOWN_VALUE_BYTES bytes of it, whole characters only,
 *		with control characters and invalid bytes written as \xNN.
 */
char *
ritual_shown_value(const char *value, int len)
{
	StringInfoData buf;
	int			encoding = GetDatabaseEncoding();
	int			i = 0;

	initStringInfo(&buf);
	while (i < len && i < RITUAL_SHOWN_VALUE_BYTES)
	{
		unsigned char c = (unsigned char) value[i];
		int			charlen;

		if (c < 0x20 || c == 0x7f)
		{
			appendStringInfo(&buf, "\\x%02x", c);
			i++;
			continue;
		}
		if (IS_HIGHBIT_SET(c))
		{
			charlen = pg_encoding_verifymbchar(encoding, value + i, len - i);
			if (charlen <= 0)
			{
				appendStringInfo(&buf, "\\x%02x", c);
				i++;
				continue;
			}
			appendBinaryStringInfo(&buf, value + i, charlen);
			i += charlen;
			continue;
		}
		appendStringInfoChar(&buf, (char) c);
		i++;
	}
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}
