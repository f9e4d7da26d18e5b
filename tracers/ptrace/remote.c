/* remote.c - reading a stopped tracee: its memory (string arguments) and what /proc says
 * about its cwd and descriptors at the moment of the stop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "roar_ptrace.h"
#include "text.h"
#include "../common/roar_line.h"

/* ---- memory ---- */

/* process_vm_readv can be missing (ENOSYS in some sandboxes); /proc/<tid>/mem then serves. */
static bool g_no_vm_readv;

static ssize_t read_chunk(pid_t tid, uint64_t addr, void *buf, size_t len)
{
    if (!g_no_vm_readv) {
        struct iovec local = {buf, len};
        struct iovec remote = {(void *)(uintptr_t)addr, len};
        ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
        if (n >= 0 || errno != ENOSYS)
            return n;
        g_no_vm_readv = true;
    }
    char mem[64];
    snprintf(mem, sizeof mem, "/proc/%d/mem", (int)tid);
    int fd = open(mem, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, len, (off_t)addr);
    close(fd);
    return n;
}

/* Strings are read a page at a time: a read that crosses into an unmapped page fails as a
 * whole, yet a path may legitimately end a few bytes before such a page. */
ssize_t remote_string(pid_t tid, uint64_t addr, char *buf, size_t cap)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    size_t got = 0;
    while (got < cap) {
        uint64_t at = addr + got;
        size_t chunk = page - (size_t)(at % page);
        if (chunk > cap - got)
            chunk = cap - got;
        ssize_t n = read_chunk(tid, at, buf + got, chunk);
        if (n <= 0)
            return -1;
        char *nul = memchr(buf + got, '\0', (size_t)n);
        if (nul)
            return nul - buf;
        got += (size_t)n;
    }
    errno = ENAMETOOLONG; /* the kernel refuses such a name too: the call will fail */
    return -1;
}

int remote_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
    ssize_t n = read_chunk(tid, addr, buf, len);
    return n == (ssize_t)len ? 0 : -1;
}

/* ---- names of directories ---- */

/* The name under which directory `parent` lists the directory (dev, ino), malloc'd. */
static char *name_in_parent(int parent, const struct stat *child, bool crossed_mount)
{
    int fd = dup(parent);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *found = NULL;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* Below a mount point readdir shows the covered inode, so compare with stat then. */
        if (!crossed_mount && e->d_ino != child->st_ino)
            continue;
        struct stat st;
        if (fstatat(parent, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            st.st_dev == child->st_dev && st.st_ino == child->st_ino)
            found = strdup(e->d_name);
    }
    closedir(d);
    return found;
}

/* Prepend "/name" to the string that ends at out[*pos] (growing the buffer leftwards). */
static int prepend(char **out, size_t *cap, size_t *pos, const char *name)
{
    size_t n = strlen(name) + 1;
    while (*pos < n) {
        size_t used = *cap - *pos;
        char *bigger = malloc(*cap * 2);
        if (!bigger)
            return -1;
        memcpy(bigger + *cap * 2 - used, *out + *pos, used);
        free(*out);
        *out = bigger;
        *pos += *cap;
        *cap *= 2;
    }
    *pos -= n;
    (*out)[*pos] = '/';
    memcpy(*out + *pos + 1, name, n - 1);
    return 0;
}

/* The absolute name of directory fd (consumed), found by walking ".." up to the root the way
 * getcwd(3) once did. Used only when /proc will not print a name longer than PATH_MAX. */
static char *walk_up(int fd)
{
    size_t cap = 2 * PATH_MAX, pos = cap - 1;
    char *out = malloc(cap);
    struct stat cur;
    if (!out || fstat(fd, &cur) != 0)
        goto fail;
    out[pos] = '\0';
    for (int depth = 0; depth < 65536; depth++) {
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat up;
        if (parent < 0 || fstat(parent, &up) != 0) {
            if (parent >= 0)
                close(parent);
            goto fail;
        }
        if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino) { /* the root */
            close(parent);
            close(fd);
            if (out[pos] == '\0')
                prepend(&out, &cap, &pos, "");
            memmove(out, out + pos, cap - pos);
            return out;
        }
        char *name = name_in_parent(parent, &cur, up.st_dev != cur.st_dev);
        int bad = !name || prepend(&out, &cap, &pos, name) != 0;
        free(name);
        close(fd);
        fd = parent;
        cur = up;
        if (bad)
            goto fail;
    }
fail:
    close(fd);
    free(out);
    errno = ENAMETOOLONG;
    return NULL;
}

/* ---- /proc of a thread ---- */

/* /proc/<tid> ("") or /proc/<tid>/fd ("fd") of thread t, opened on first use and kept until
 * the thread exits or execs: a lookup relative to it skips finding the task again (measured:
 * a fifth of the cost of the three lookups an open event makes). The descriptor is bound to
 * that very task, so it can never name a later task that reuses the tid. */
static int proc_dir(struct tracee *t, bool fd_dir)
{
    int *slot = fd_dir ? &t->proc_fd_dir : &t->proc_dir;
    if (*slot < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d%s", (int)t->tid, fd_dir ? "/fd" : "");
        *slot = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (*slot < 0 && errno == EMFILE) {
            spool_close_all(); /* they reopen lazily */
            *slot = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        }
    }
    return *slot;
}

void proc_dirs_close(struct tracee *t)
{
    if (t->proc_dir >= 0)
        close(t->proc_dir);
    if (t->proc_fd_dir >= 0)
        close(t->proc_fd_dir);
    t->proc_dir = t->proc_fd_dir = -1;
}

static int proc_base(struct tracee *t, const char **what)
{
    if (strncmp(*what, "fd/", 3) == 0) {
        *what += 3;
        return proc_dir(t, true);
    }
    return proc_dir(t, false);
}

int proc_stat(struct tracee *t, const char *what, struct stat *st)
{
    int dir = proc_base(t, &what);
    return dir < 0 ? -1 : fstatat(dir, what, st, 0);
}

char *proc_link(struct tracee *t, const char *what)
{
    static char buf[PATH_MAX + 1];
    int dir = proc_base(t, &what);
    if (dir < 0)
        return NULL;
    ssize_t n = readlinkat(dir, what, buf, sizeof buf);
    if (n >= 0 && (size_t)n < sizeof buf) {
        char *copy = malloc((size_t)n + 1);
        if (copy) {
            memcpy(copy, buf, (size_t)n);
            copy[n] = '\0';
        }
        return copy;
    }
    if (n >= 0 || errno != ENAMETOOLONG)
        return NULL;
    /* A directory deeper than the kernel will print: open it through the magic link (that
     * works at any depth) and name it by walking up. */
    int fd = openat(dir, what, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? NULL : walk_up(fd);
}

/* ---- resolving names ---- */

static char *join_normalized(const char *base, const char *name)
{
    size_t b = strlen(base), n = strlen(name);
    char *p = malloc(b + n + 2);
    if (!p)
        return NULL;
    size_t len = 0;
    if (name[0] != '/') {
        memcpy(p, base, b);
        len = b;
        if (n)
            p[len++] = '/';
    }
    memcpy(p + len, name, n);
    len += n;
    p[path_normalize(p, len)] = '\0';
    return p;
}

char *resolve_at(struct tracee *t, int dirfd, const char *name, const char **why)
{
    if (name[0] == '/')
        return join_normalized("", name);
    char what[32];
    if (dirfd == AT_FDCWD)
        strcpy(what, "cwd");
    else
        snprintf(what, sizeof what, "fd/%d", dirfd);
    char *base = proc_link(t, what);
    /* No base (a bad dirfd: the call will fail) or not a directory name ("pipe:[123]"). */
    if (!base || base[0] != '/') {
        free(base);
        *why = "unresolved-path";
        return NULL;
    }
    char *abs = join_normalized(base, name);
    free(base);
    return abs;
}

/* ---- identities ---- */

static pid_t field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? (pid_t)strtol(p + strlen(key), NULL, 10) : -1;
}

int proc_ids(struct tracee *t, pid_t tid, pid_t *tgid, pid_t *ppid)
{
    char text[1024];
    int fd;
    if (t && proc_dir(t, false) >= 0) {
        fd = openat(t->proc_dir, "status", O_RDONLY | O_CLOEXEC);
    } else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1); /* Tgid and PPid are in the first lines */
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    *tgid = field(text, "\nTgid:");
    *ppid = field(text, "\nPPid:");
    return *tgid > 0 && *ppid >= 0 ? 0 : -1;
}
