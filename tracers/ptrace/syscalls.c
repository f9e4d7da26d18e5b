/* syscalls.c - what each traced syscall means for the spool.
 *
 * Two halves per call: at the seccomp (entry) stop the string arguments are read and made
 * absolute against the cwd or dirfd *as they are now* (another thread may chdir or close the
 * dirfd before the call returns); at the syscall-exit stop the return value decides whether
 * anything happened at all. A failed call writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "roar_ptrace.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

void pending_clear(struct pending *p)
{
    free(p->path1);
    free(p->path2);
    memset(p, 0, sizeof *p);
}

/* The argument registers hold a C int for descriptors: AT_FDCWD is -100 in 32 bits. */
static int arg_fd(uint64_t v)
{
    return (int)(int32_t)(uint32_t)v;
}

/* Read the path argument at addr and make it absolute (into *out). False when the call
 * cannot succeed with this argument (bad pointer, too long), so its exit need not be seen. */
static bool take_path(struct tracee *t, int dirfd, uint64_t addr, char **out)
{
    static char arg[PATH_MAX]; /* the kernel's own limit for one name argument */
    if (remote_string(t->tid, addr, arg, sizeof arg) < 0) {
        if (errno == EFAULT || errno == ENAMETOOLONG || errno == EIO)
            return false;
        t->pend.error = "unreadable-argument"; /* reported only if the call succeeds */
        return true;
    }
    *out = resolve_at(t, dirfd, arg, &t->pend.error);
    return true;
}

/* True for a name of a descriptor rather than of a file (an O_TMPFILE made visible has no
 * other name): /proc/self/fd/N, /proc/thread-self/fd/N, /proc/<pid>/fd/N, /dev/fd/N. */
static bool names_a_descriptor(const char *p)
{
    if (!p)
        return false;
    if (strncmp(p, "/dev/fd/", 8) == 0 || strncmp(p, "/proc/self/fd/", 14) == 0 ||
        strncmp(p, "/proc/thread-self/fd/", 21) == 0)
        return true;
    if (strncmp(p, "/proc/", 6) != 0)
        return false;
    p += 6;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return strncmp(p, "/fd/", 4) == 0;
}

static bool enter_one(struct tracee *t, char event, int dirfd, uint64_t path, uint64_t flags)
{
    t->pend.event = event;
    t->pend.flags = flags;
    return take_path(t, dirfd, path, &t->pend.path1);
}

static bool enter_two(struct tracee *t, char event, int dirfd1, uint64_t path1, int dirfd2,
                      uint64_t path2, uint64_t flags)
{
    t->pend.event = event;
    t->pend.flags = flags;
    return take_path(t, dirfd1, path1, &t->pend.path1) &&
           take_path(t, dirfd2, path2, &t->pend.path2);
}

static bool enter_linkat(struct tracee *t, const uint64_t a[6])
{
    int flags = (int)a[4];
    char first = 1;
    /* linkat(fd, "", ..., AT_EMPTY_PATH): the old "name" is the descriptor itself. */
    bool empty = (flags & AT_EMPTY_PATH) && remote_read(t->tid, a[1], &first, 1) == 0 &&
                 first == '\0';
    if (!enter_two(t, 'L', arg_fd(a[0]), a[1], arg_fd(a[2]), a[3], 0))
        return false;
    t->pend.anonymous_old = empty || names_a_descriptor(t->pend.path1);
    return true;
}

/* RESOLVE_IN_ROOT: dirfd is the root for this lookup, so "/" and ".." never leave it.
 * Lexically: normalise "/" + name (no ".." can climb above "/"), then hang it below dirfd. */
static void resolve_in_root(struct tracee *t, int dirfd, uint64_t addr)
{
    static char arg[PATH_MAX + 1];
    arg[0] = '/';
    if (remote_string(t->tid, addr, arg + 1, PATH_MAX) < 0)
        return;
    const char *ignored;
    char *rooted = resolve_at(t, AT_FDCWD, arg, &ignored); /* absolute: only normalised */
    if (!rooted)
        return;
    free(t->pend.path1);
    t->pend.path1 = resolve_at(t, dirfd, rooted + 1, &t->pend.error);
    free(rooted);
}

/* openat2's flags live in the struct open_how it points to. */
static bool enter_openat2(struct tracee *t, const uint64_t a[6])
{
    struct {
        uint64_t flags, mode, resolve;
    } how;
    if (a[3] < sizeof how || remote_read(t->tid, a[2], &how, sizeof how) != 0)
        return false; /* EINVAL or EFAULT: it cannot succeed */
    if (!enter_one(t, 'O', arg_fd(a[0]), a[1], how.flags))
        return false;
    if ((how.resolve & RESOLVE_IN_ROOT) && arg_fd(a[0]) != AT_FDCWD && t->pend.path1)
        resolve_in_root(t, arg_fd(a[0]), a[1]);
    return true;
}

/* A tracee cannot be traced twice: its own PTRACE_TRACEME/ATTACH/SEIZE will fail. */
static bool enter_ptrace(struct tracee *t, const uint64_t a[6])
{
    long req = (long)a[0];
    if (req != PTRACE_TRACEME && req != PTRACE_ATTACH && req != PTRACE_SEIZE)
        return false;
    t->pend.event = 'P';
    return true;
}

/* A filter with a notification listener can take syscalls away from us (see SPOOL.md). */
static bool enter_seccomp(struct tracee *t, const uint64_t a[6])
{
    if (a[0] != SECCOMP_SET_MODE_FILTER || !(a[1] & SECCOMP_FILTER_FLAG_NEW_LISTENER))
        return false;
    t->pend.event = 'S';
    return true;
}

bool sc_enter(struct tracee *t, const struct sc_def *d, const uint64_t a[6])
{
    pending_clear(&t->pend);
    switch (d->kind) {
    case SC_OPEN_BY_HANDLE: /* no name: PATH will be the kernel's name for the new fd */
        t->pend.event = 'O';
        t->pend.flags = (uint32_t)a[2];
        return true;
    case SC_IO_URING:
        t->pend.event = 'I';
        return true;
    case SC_OPEN:
        return enter_one(t, 'O', AT_FDCWD, a[0], (uint32_t)a[1]);
    case SC_OPENAT:
        return enter_one(t, 'O', arg_fd(a[0]), a[1], (uint32_t)a[2]);
    case SC_OPENAT2:
        return enter_openat2(t, a);
    case SC_CREAT:
        return enter_one(t, 'O', AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC);
    case SC_RENAME:
        return enter_two(t, 'R', AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SC_RENAMEAT:
        return enter_two(t, 'R', arg_fd(a[0]), a[1], arg_fd(a[2]), a[3], 0);
    case SC_RENAMEAT2:
        return enter_two(t, 'R', arg_fd(a[0]), a[1], arg_fd(a[2]), a[3], (uint32_t)a[4]);
    case SC_LINK:
        if (!enter_two(t, 'L', AT_FDCWD, a[0], AT_FDCWD, a[1], 0))
            return false;
        t->pend.anonymous_old = names_a_descriptor(t->pend.path1);
        return true;
    case SC_LINKAT:
        return enter_linkat(t, a);
    case SC_UNLINK:
        return enter_one(t, 'U', AT_FDCWD, a[0], 0);
    case SC_UNLINKAT:
        return enter_one(t, 'U', arg_fd(a[0]), a[1], 0);
    case SC_MKDIR:
        return enter_one(t, 'K', AT_FDCWD, a[0], 0);
    case SC_MKDIRAT:
        return enter_one(t, 'K', arg_fd(a[0]), a[1], 0);
    case SC_TRUNCATE:
        return enter_one(t, 'T', AT_FDCWD, a[0], 0);
    case SC_PTRACE:
        return enter_ptrace(t, a);
    case SC_SECCOMP:
        return enter_seccomp(t, a);
    }
    return false;
}

/* Every path the event needs was resolved. */
static bool resolved(const struct pending *p)
{
    if (p->error)
        return false;
    if (p->event == 'O')
        return true; /* path1 NULL: an open by handle */
    if (!p->path1)
        return false;
    return p->event == 'R' || p->event == 'L' ? p->path2 != NULL : true;
}

void sc_exit(struct tracee *t, int64_t rval)
{
    struct pending *p = &t->pend;
    /* Opens, seccomp() and io_uring_setup() return a descriptor; everything else 0. */
    bool ok = p->event == 'O' || p->event == 'S' || p->event == 'I' ? rval >= 0 : rval == 0;
    if (p->event == 'P') {
        if (rval == -EPERM)
            emit_warning(t, "nested-ptrace", NULL);
    } else if (!ok) {
        /* failed: nothing happened, nothing to write */
    } else if (p->event == 'S') {
        emit_warning(t, "seccomp-listener", NULL);
    } else if (p->event == 'I') {
        emit_warning(t, "io-uring", NULL);
    } else if (!resolved(p)) {
        emit_warning(t, "spool-error", p->error ? p->error : "unresolved-path");
    } else if (p->event == 'O') {
        emit_open(t, p->flags, (int)rval, p->path1);
    } else if (p->event == 'R') {
        emit_paths(t, 'R', &p->flags, p->path1, p->path2);
    } else if (p->event == 'L') {
        emit_paths(t, 'L', NULL, p->anonymous_old ? NULL : p->path1, p->path2);
    } else {
        emit_paths(t, p->event, NULL, p->path1, NULL);
    }
    pending_clear(p);
}
