/* spool.c - the spool files of tracers/SPOOL.md, written by the tracer on behalf of each
 * traced process: <spooldir>/<pid>.spool, opened by path with O_APPEND, one write(2) per line.
 * Each line is written before the tracee is resumed, so an event the program has seen complete
 * is in the file even if the program or the tracer is killed the next instant. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "roar_ptrace.h"
#include "text.h"

struct stats g_stats;

static int g_dirfd = -1;   /* the spool directory */
static struct sbuf g_line; /* the line being built; grows for very long paths */

int spool_init(const char *dir)
{
    g_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return g_dirfd >= 0 ? 0 : -1;
}

void spool_start_pool(void)
{
    pool_start(g_dirfd);
}

/* ---- descriptors ---- */

/* Every proc with an open spool descriptor (p->open_slot is its index), so that all of them
 * can be closed when descriptors run out; they are reopened by name when next needed. */
#define OPEN_MAX_TRACKED 4096
static struct proc *g_open[OPEN_MAX_TRACKED];
static int g_nopen;

void spool_forget(struct proc *p)
{
    if (p->spool_fd < 0)
        return;
    close(p->spool_fd);
    p->spool_fd = -1;
    struct proc *last = g_open[--g_nopen];
    g_open[p->open_slot] = last;
    last->open_slot = p->open_slot;
}

void spool_close_all(void)
{
    while (g_nopen)
        spool_forget(g_open[g_nopen - 1]);
}

/* Opened by name, O_APPEND, as SPOOL.md says: a file made ahead by pool.c when there is one,
 * else created here (or appended to, when a recycled pid finds its predecessor's file). */
static int open_spool(pid_t pid)
{
    char name[32];
    snprintf(name, sizeof name, "%d.spool", (int)pid);
    int fd = pool_take(name);
    if (fd >= 0)
        return fd;
    return openat(g_dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static int spool_fd(struct proc *p)
{
    if (p->spool_fd >= 0)
        return p->spool_fd;
    int fd = open_spool(p->pid);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        spool_close_all(); /* thousands of live processes: reopen lazily, nothing is lost */
        fd = open_spool(p->pid);
    }
    if (fd < 0)
        return -1;
    if (g_nopen == OPEN_MAX_TRACKED)
        spool_forget(g_open[0]);
    p->spool_fd = fd;
    p->open_slot = g_nopen;
    g_open[g_nopen++] = p;
    return fd;
}

/* ---- building lines ---- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void put_head(struct sbuf *l, char kind, pid_t pid)
{
    sb_putc(l, kind);
    sb_putc(l, '\t');
    sb_put_u64(l, now_ns());
    sb_putc(l, '\t');
    sb_put_i64(l, pid);
}

/* A path field: escaped, or "-" for none. */
static void put_path(struct sbuf *l, const char *path)
{
    sb_putc(l, '\t');
    if (!path) {
        sb_putc(l, '-');
        return;
    }
    sb_put_escaped(l, path);
}

typedef void (*build_fn)(struct sbuf *l, const void *ctx);

/* Build a line with `build` and append it to p's spool with one write. */
static void emit(struct proc *p, build_fn build, const void *ctx)
{
    struct sbuf *l = &g_line;
    sb_reset(l);
    build(l, ctx);
    sb_putc(l, '\n');
    if (l->failed) {
        g_stats.spool_errors++;
        return;
    }
    int fd = spool_fd(p);
    size_t done = 0;
    while (fd >= 0 && done < l->len) {
        ssize_t n = write(fd, l->buf + done, l->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done == l->len)
        g_stats.events++;
    else
        g_stats.spool_errors++; /* no directory, full disk: nothing else to tell it to */
}

/* ---- H ---- */

struct header_ctx {
    pid_t pid, ppid;
    const char *exe, *cwd;
};

static void build_header(struct sbuf *l, const void *ctx)
{
    const struct header_ctx *h = ctx;
    put_head(l, 'H', h->pid);
    sb_putc(l, '\t');
    sb_put_i64(l, h->ppid);
    put_path(l, h->exe);
    put_path(l, h->cwd ? h->cwd : "/");
}

/* The state of the process now: its parent, image and cwd, read through the acting thread
 * (the leader may be a zombie whose cwd /proc no longer shows). */
void emit_header(struct tracee *t)
{
    pid_t tgid, ppid = 0;
    if (proc_ids(t, t->tid, &tgid, &ppid) != 0)
        ppid = 0;
    char *exe = proc_link(t, "exe");
    char *cwd = proc_link(t, "cwd");
    struct header_ctx h = {t->proc->pid, ppid, exe, cwd};
    t->proc->announced = true;
    emit(t->proc, build_header, &h);
    free(exe);
    free(cwd);
}

/* A forked child that never exec'd has its H written just before its first event, like the
 * preload shim does; the root's own pre-exec image (roar-ptrace) is never announced. */
static void announce(struct tracee *t)
{
    if (!t->proc->announced && !t->proc->before_exec)
        emit_header(t);
}

/* ---- O ---- */

struct open_ctx {
    pid_t pid;
    uint64_t flags;
    const struct stat *st;
    const char *path, *real;
};

static char file_type(mode_t m)
{
    return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : 'o';
}

static void build_open(struct sbuf *l, const void *ctx)
{
    const struct open_ctx *o = ctx;
    put_head(l, 'O', o->pid);
    sb_putc(l, '\t');
    sb_put_hex(l, o->flags);
    sb_putc(l, '\t');
    sb_putc(l, file_type(o->st->st_mode));
    sb_putc(l, '\t');
    sb_put_u64(l, (uint64_t)o->st->st_dev);
    sb_putc(l, '\t');
    sb_put_u64(l, (uint64_t)o->st->st_ino);
    sb_putc(l, '\t');
    sb_put_i64(l, (int64_t)o->st->st_size);
    sb_putc(l, '\t');
    sb_put_i64(l, (int64_t)o->st->st_mtim.tv_sec * 1000000000LL + o->st->st_mtim.tv_nsec);
    put_path(l, o->path);
    put_path(l, o->real);
}

/* A successful open that returned fd in thread t. The descriptor is still open (the thread
 * is stopped at the syscall exit), so /proc/<tid>/fd/<fd> is the new file itself. */
void emit_open(struct tracee *t, uint64_t flags, int fd, const char *path)
{
    char link[32];
    struct stat st;
    snprintf(link, sizeof link, "fd/%d", fd);
    if (proc_stat(t, link, &st) != 0) {
        /* Another thread closed it already (the descriptor table is shared). */
        emit_warning(t, "spool-error", "descriptor-gone");
        return;
    }
    /* REAL: the kernel's name, "-" when equal to PATH, or when the kernel cannot print it
     * (longer than PATH_MAX: PATH is then the best name there is). Without PATH (an open by
     * handle) the kernel's name is PATH too. */
    char *real = proc_link(t, link);
    if (!path && !real) {
        emit_warning(t, "spool-error", "unresolved-path");
        return;
    }
    announce(t);
    if (!path)
        path = real;
    struct open_ctx o = {t->proc->pid, flags, &st, path,
                         real && strcmp(real, path) != 0 ? real : NULL};
    emit(t->proc, build_open, &o);
    free(real);
}

/* ---- R L U T K ---- */

struct paths_ctx {
    pid_t pid;
    char kind;
    const uint64_t *flags;
    const char *p1, *p2;
    bool two;
};

static void build_paths(struct sbuf *l, const void *ctx)
{
    const struct paths_ctx *e = ctx;
    put_head(l, e->kind, e->pid);
    if (e->flags) {
        sb_putc(l, '\t');
        sb_put_hex(l, *e->flags);
    }
    put_path(l, e->p1);
    if (e->two)
        put_path(l, e->p2);
}

/* kind R (flags, OLD, NEW), L (OLD or NULL for "-", NEW), U/T/K (PATH). */
void emit_paths(struct tracee *t, char kind, const uint64_t *flags, const char *p1,
                const char *p2)
{
    announce(t);
    struct paths_ctx e = {t->proc->pid, kind, flags, p1, p2, kind == 'R' || kind == 'L'};
    emit(t->proc, build_paths, &e);
}

/* ---- W ---- */

struct warn_ctx {
    pid_t pid;
    const char *code, *path;
};

static void build_warning(struct sbuf *l, const void *ctx)
{
    const struct warn_ctx *w = ctx;
    put_head(l, 'W', w->pid);
    sb_putc(l, '\t');
    sb_puts(l, w->code);
    put_path(l, w->path);
}

void emit_warning(struct tracee *t, const char *code, const char *path)
{
    announce(t);
    struct warn_ctx w = {t->proc->pid, code, path};
    emit(t->proc, build_warning, &w);
}

/* ---- statistics (ROAR_PTRACE_STATS) ---- */

/* Written whole to a temporary name and renamed, so a reader never sees half a file. */
void stats_write(const char *path)
{
    if (!path || !*path)
        return;
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    fprintf(f,
            "{\"seccomp_stops\": %llu, \"exit_stops\": %llu, \"other_stops\": %llu, "
            "\"events\": %llu, \"processes\": %llu, \"threads\": %llu, \"execs\": %llu, "
            "\"spool_errors\": %llu}\n",
            (unsigned long long)g_stats.seccomp_stops, (unsigned long long)g_stats.exit_stops,
            (unsigned long long)g_stats.other_stops, (unsigned long long)g_stats.events,
            (unsigned long long)g_stats.processes, (unsigned long long)g_stats.threads,
            (unsigned long long)g_stats.execs, (unsigned long long)g_stats.spool_errors);
    if (fclose(f) == 0)
        rename(tmp, path);
}
