/* error.c - the library's error table: paraprof_strerror(), paraprof_err_name()
 *
 * Both are generated from PARAPROF_ERRNO_MAP in include/paraprof.h, the one
 * list of error codes, their names and their messages.
 */
#include "internal.h"
#include "paraprof.h"

PP_EXPORT const char *paraprof_strerror(int err)
{
	switch (err) {
#define ERR_MSG_(name, value, msg) case PARAPROF_##name: return msg;
	PARAPROF_ERRNO_MAP(ERR_MSG_)
#undef ERR_MSG_
	}
	return "unknown error";
}

PP_EXPORT const char *paraprof_err_name(int err)
{
	switch (err) {
#define ERR_NAME_(name, value, msg) case PARAPROF_##name: return #name;
	PARAPROF_ERRNO_MAP(ERR_NAME_)
#undef ERR_NAME_
	}
	return "UNKNOWN";
}
