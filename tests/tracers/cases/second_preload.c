/* A second LD_PRELOAD library beside the shim (like libfaketime): it wraps open too, chains to
 * the next definition with RTLD_NEXT, and reports at exit how many opens it saw. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int seen;

int open(const char *path, int flags, ...)
{
    static int (*next)(const char *, int, ...);
    if (!next)
        next = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    __atomic_add_fetch(&seen, 1, __ATOMIC_RELAXED);
    return next(path, flags, mode);
}

__attribute__((destructor)) static void report(void)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "second-preload saw %d opens\n", seen);
    (void)!write(2, buf, (size_t)n);
}
