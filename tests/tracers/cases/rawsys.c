/* Case 19: file system calls made through glibc's generic syscall() instead of a wrapper. The
 * shim interposes syscall() and records them as the wrappers would; a `syscall` instruction
 * written inline (no libc function runs) stays invisible.
 * Usage: rawsys DIR [files|exec|inline] */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

extern char **environ;

static long raw_openat_inline(const char *name)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = 0644;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(name),
                       "d"((long)(O_WRONLY | O_CREAT)), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
#else
    return syscall(SYS_openat, AT_FDCWD, name, O_WRONLY | O_CREAT, 0644); /* no inline form */
#endif
}

static void files(void)
{
    long fd = syscall(SYS_openat, AT_FDCWD, "raw_openat.txt", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close((int)fd);
    struct open_how how = {.flags = O_WRONLY | O_CREAT, .mode = 0644};
    fd = syscall(SYS_openat2, AT_FDCWD, "raw_openat2.txt", &how, sizeof how);
    CHECK(fd >= 0);
    close((int)fd);
#ifdef SYS_open
    fd = syscall(SYS_open, "raw_open.txt", O_WRONLY | O_CREAT, 0644);
#else
    fd = syscall(SYS_openat, AT_FDCWD, "raw_open.txt", O_WRONLY | O_CREAT, 0644);
#endif
    CHECK(fd >= 0);
    close((int)fd);
    /* Failures: no event, and errno as the kernel said. */
    errno = 0;
    CHECK(syscall(SYS_openat2, AT_FDCWD, "raw_bad.txt", &how, (size_t)4) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(SYS_openat, AT_FDCWD, "missing.txt", O_RDONLY) == -1 && errno == ENOENT);
    /* A read through openat2, relative to a directory descriptor. */
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    struct open_how rd = {.flags = O_RDONLY};
    errno = 1234; /* success leaves errno alone, as glibc's syscall() does */
    fd = syscall(SYS_openat2, dir, "in.txt", &rd, sizeof rd);
    CHECK(fd >= 0 && errno == 1234);
    close((int)fd);
#ifdef SYS_creat
    fd = syscall(SYS_creat, "raw_creat.txt", 0644);
#else
    fd = syscall(SYS_openat, AT_FDCWD, "raw_creat.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
#endif
    CHECK(fd >= 0);
    close((int)fd);
    CHECK(syscall(SYS_renameat2, AT_FDCWD, "raw_openat.txt", dir, "renamed.txt", 0) == 0);
#ifdef SYS_rename
    CHECK(syscall(SYS_rename, "raw_creat.txt", "renamed2.txt") == 0);
#else
    CHECK(syscall(SYS_renameat2, AT_FDCWD, "raw_creat.txt", AT_FDCWD, "renamed2.txt", 0) == 0);
#endif
    CHECK(syscall(SYS_linkat, AT_FDCWD, "renamed.txt", AT_FDCWD, "linked.txt", 0) == 0);
    CHECK(syscall(SYS_unlinkat, dir, "linked.txt", 0) == 0);
    CHECK(syscall(SYS_truncate, "renamed2.txt", 0L) == 0);
    CHECK(syscall(SYS_mkdirat, AT_FDCWD, "rawdir", 0755) == 0);
    CHECK(syscall(SYS_unlinkat, AT_FDCWD, "rawdir", AT_REMOVEDIR) == 0);
    CHECK(syscall(SYS_getpid) == getpid()); /* any other number passes straight through */
    close(dir);
    CHECK(close(open("via_libc.txt", O_WRONLY | O_CREAT, 0644)) == 0);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2 && chdir(argv[1]) == 0);
    const char *mode = argc > 2 ? argv[2] : "files";
    if (!strcmp(mode, "files")) {
        files();
    } else if (!strcmp(mode, "exec")) {
        /* execve through syscall(), with a scrubbed environment: re-injected as for execve(). */
        char *cat_argv[] = {"cat", "in.txt", NULL}, *empty_env[] = {NULL};
        syscall(SYS_execve, "/bin/cat", cat_argv, empty_env);
        return 98;
    } else if (!strcmp(mode, "inline")) {
        long fd = raw_openat_inline("inline.txt");
        CHECK(fd >= 0);
        close((int)fd);
        CHECK(close(open("via_libc.txt", O_WRONLY | O_CREAT, 0644)) == 0);
    }
    return 0;
}
