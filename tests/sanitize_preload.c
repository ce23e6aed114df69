/*
 * tests/sanitize_preload.c: preloaded after the ASan and UBSan runtimes by
 * tests/sanitize.sh into servers whose executable is not instrumented.
 *
 * The ASan runtime then initialises itself at the process's first malloc().
 * In postgres that comes from a library's constructor (libgpg-error's)
 * inside glibc's bindtextdomain(), which holds the gettext lock; the
 * initialisation calls dlerror(), which takes that lock again, and the
 * process hangs before main().  Initialising the runtime before the real
 * bindtextdomain() runs avoids that.
 *
 * Next to ASan, gcc's UBSan runtime runs as its plugin and ignores the
 * log_path of UBSAN_OPTIONS, writing its reports to stderr (the server log,
 * which the tests remove); the constructor gives it the path.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

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

static void __attribute__((constructor))
ubsan_report_path(void)
{
	const char *options = getenv("UBSAN_OPTIONS");
	const char *start;
	char		path[4096];
	size_t		len;
	void	   *ubsan;
	void		(*set_report_path) (const char *);

	if (options == NULL || (start = strstr(options, "log_path=")) == NULL)
		return;
	start += strlen("log_path=");
	len = strcspn(start, ":");
	if (len == 0 || len >= sizeof(path))
		return;
	memcpy(path, start, len);
	path[len] = '\0';
	/* the runtime's own copy of the function, not ASan's */
	ubsan = dlopen("libubsan.so.1", RTLD_LAZY | RTLD_NOLOAD);
	if (ubsan == NULL)
		return;
	set_report_path = (void (*) (const char *)) dlsym(ubsan, "__sanitizer_set_report_path");
	if (set_report_path != NULL)
		set_report_path(path);
}
