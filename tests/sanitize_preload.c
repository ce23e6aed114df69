/*
 * tests/sanitize_preload.c: preloaded after the ASan runtime by
 * tests/sanitize.sh into servers whose executable is not instrumented.
 *
 * The runtime then initialises itself at the process's first malloc().  In
 * postgres that comes from a library's constructor (libgpg-error's) inside
 * glibc's bindtextdomain(), which holds the gettext lock; the initialisation
 * calls dlerror(), which takes that lock again, and the process hangs before
 * main().  Initialising the runtime before the real bindtextdomain() runs
 * avoids that.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

extern void __asan_init(void);

char	   *bindtextdomain(const char *domainname, const char *dirname);

char *
bindtextdomain(const char *domainname, const char *dirname)
{
	static char *(*real) (const char *, const char *) = NULL;

	if (real == NULL)
	{
		__asan_init();
		real = (char *(*) (const char *, const char *)) dlsym(RTLD_NEXT, "bindtextdomain");
	}
	return real(domainname, dirname);
}
