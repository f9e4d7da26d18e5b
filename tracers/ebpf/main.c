/* main.c - roar-ebpf: roar's eBPF tracer. Three modes, one binary:
 *
 *   roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...]         one-shot
 *   roar-ebpf --server SOCK                                 the tracer server (roard starts it)
 *   roar-ebpf --attach SOCK --run NAME [--] PROGRAM [ARGS...]   a run's launcher
 *
 * One-shot: the program is forked and held on a pipe until the BPF programs (roar_ebpf.bpf.c,
 * embedded as a libbpf skeleton) are loaded, its pid is in the `traced` map and the probes are
 * attached; then it execs. Records come back through one ring buffer and are written to
 * <spool>/<pid>.spool in the format of tracers/SPOOL.md (several whole lines per write).
 *
 * Server: loads the programs once and serves requests on the Unix socket SOCK (created 0600;
 * its directory must be private), one request line per connection, one answer line
 * ("OK ..." or "ERR <sentence>"):
 *   RUN NAME DIR    a new run writing to spool directory DIR (attaches the probes if detached)
 *   ATTACH NAME     from the launcher: its own pid (SO_PEERCRED) joins run NAME in `traced`
 *   FLUSH NAME      every record submitted before the request is written, the run's files are
 *                   closed, its processes leave `traced`; "OK LOST EVENTS". A run that lost
 *                   records (ring full while it was registered) gets `W ebpf-lost N`
 *   PING
 * Prints "ready" on stdout once it listens; exits on SIGTERM/SIGINT or when its parent dies.
 * File calls are seen through one `syscalls:sys_exit_<call>` tracepoint per call (with the raw
 * hook instead: ROAR_EBPF_HOOK=raw, or no per-call tracepoints). The probes are detached after
 * ROAR_EBPF_LINGER_MS without a run (default 600000 for the per-call tracepoints, whose
 * detaching takes over a second; 5000 for the raw hook) and attached again by the next RUN.
 *
 * Launcher: connects to SOCK, has its own pid put in run NAME's tree, waits for the answer, then
 * execs PROGRAM (same pid: its exit status and signals are PROGRAM's).
 *
 * Exit status (one-shot and launcher): PROGRAM's (one-shot, killed by signal N: roar-ebpf kills
 * itself with N); 125 when tracing is impossible (one sentence on stderr, PROGRAM never runs);
 * 126/127 when PROGRAM cannot be executed / is not found. One-shot forwards SIGINT, SIGTERM and
 * SIGHUP to PROGRAM.
 *
 * Environment: ROAR_SPOOL_DIR (when --spool is absent); ROAR_EBPF_RINGBUF_KB (ring size, a power
 * of two, default 16384: tests make it tiny to force losses); ROAR_EBPF_STATS=PATH (one-shot:
 * counters as JSON when PROGRAM exits); ROAR_EBPF_DEBUG (libbpf's messages);
 * ROAR_EBPF_TEST_PAUSE_MS (tests: one-shot starts reading only after this delay; the server
 * stops reading that long after each ATTACH, to force losses with a tiny ring);
 * ROAR_EBPF_LINGER_MS (server: see above); ROAR_EBPF_HOOK=raw|syscalls: how file calls are
 * seen: `raw_syscalls:sys_exit` (one-shot's default; also sees i386 calls) or one
 * `syscalls:sys_exit_<call>` tracepoint per file call (the server's default: no BPF program runs
 * for any other system call; i386 images are reported as not followed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/btf.h>
#include <bpf/libbpf.h>

#include "../common/roar_exit.h"
#include "../common/roar_line.h"
#include "roar_ebpf.h"
#include "roar_ebpf.skel.h"

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("roar-ebpf: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- runs, and per-process state ---- */

/* A run: one spool directory, the processes whose `traced` value is its id. The one-shot mode
 * has exactly one (id 1). */
struct run {
    struct run *next;
    uint32_t id;
    int dirfd;            /* its spool directory */
    int root_pid;         /* the process the run started with (its file gets `W ebpf-lost`) */
    uint64_t lost0;       /* lost records (all runs) when it was registered */
    uint64_t events;
    char name[80];
};

static struct run *runs;
static uint32_t next_run_id = 1;
/* Which hook sees the file calls: the per-call `syscalls:sys_exit_<name>` tracepoints (1), or
 * the fallback `raw_syscalls:sys_exit` (0). */
static int per_syscall;

static struct run *run_by_id(uint32_t id)
{
    for (struct run *r = runs; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

static struct run *run_by_name(const char *name)
{
    for (struct run *r = runs; r; r = r->next)
        if (!strcmp(r->name, name))
            return r;
    return NULL;
}

struct proc {
    struct proc *next;
    struct run *run;
    int pid;
    int fd;               /* its spool file, -1 until its first line */
    int ppid;
    int pending_h;        /* a forked child: its H line is written before its first event */
    uint64_t fork_ts;
    char *exe, *cwd;
    char *buf;            /* lines not yet written */
    size_t len, cap;
    int dirty;
    struct proc *dirty_next;
};

#define NBUCKET 4096
static struct proc *procs[NBUCKET];
static struct proc *dirty_list;
static uint64_t n_events, n_spool_errors, n_procs, n_orphans;

static unsigned bucket(const struct run *run, int pid)
{
    return ((unsigned)pid * 31u + run->id) % NBUCKET;
}

static struct proc *proc_get(struct run *run, int pid, int create)
{
    struct proc **pp = &procs[bucket(run, pid)];
    for (struct proc *p = *pp; p; p = p->next)
        if (p->pid == pid && p->run == run)
            return p;
    if (!create)
        return NULL;
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->run = run;
    p->pid = pid;
    p->fd = -1;
    p->next = *pp;
    *pp = p;
    n_procs++;
    return p;
}

static void flush(struct proc *p)
{
    if (!p->len)
        return;
    if (p->fd < 0) {
        char name[32];
        snprintf(name, sizeof name, "%d.spool", p->pid);
        p->fd = openat(p->run->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (p->fd < 0) {
            n_spool_errors++;
            p->len = 0;
            return;
        }
    }
    /* Whole lines only: a short write (full disk) leaves at worst one torn final line. */
    size_t off = 0;
    while (off < p->len) {
        ssize_t n = write(p->fd, p->buf + off, p->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            n_spool_errors++;
            break;
        }
        off += (size_t)n;
    }
    p->len = 0;
}

static void flush_all(void)
{
    while (dirty_list) {
        struct proc *p = dirty_list;
        dirty_list = p->dirty_next;
        p->dirty = 0;
        flush(p);
    }
}

static void proc_drop(struct run *run, int pid)
{
    struct proc **pp = &procs[bucket(run, pid)];
    for (; *pp; pp = &(*pp)->next) {
        struct proc *p = *pp;
        if (p->pid != pid || p->run != run)
            continue;
        flush(p);
        if (p->dirty) {   /* unlink from the dirty list */
            for (struct proc **d = &dirty_list; *d; d = &(*d)->dirty_next)
                if (*d == p) {
                    *d = p->dirty_next;
                    break;
                }
        }
        if (p->fd >= 0)
            close(p->fd);
        *pp = p->next;
        free(p->exe);
        free(p->cwd);
        free(p->buf);
        free(p);
        return;
    }
}

/* Append a finished line (l) to the process's buffer. */
static void emit(struct proc *p, const struct line *l)
{
    if (p->len + l->len > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + l->len)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b)
            abort();
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, l->buf, l->len);
    p->len += l->len;
    if (!p->dirty) {
        p->dirty = 1;
        p->dirty_next = dirty_list;
        dirty_list = p;
    }
    if (p->len > (256u << 10))
        flush(p);
    n_events++;
    p->run->events++;
}

/* ---- building lines ---- */

static char linebuf[4 * RE_PATH_MAX * 4 + 512];

static void start(struct line *l, char kind, uint64_t ts, int pid)
{
    line_init(l, linebuf, sizeof linebuf, pid);
    line_putc(l, kind);
    line_tab(l);
    line_put_u64(l, ts);
    line_tab(l);
    line_put_u64(l, (uint64_t)pid);
}

static void put_path(struct line *l, const char *s, size_t n)
{
    line_tab(l);
    if (!s || !n) {
        line_putc(l, '-');
        return;
    }
    size_t at = l->len;
    line_putn(l, s, n);
    line_escape_from(l, at);
}

static void put_cstr(struct line *l, const char *s)
{
    put_path(l, s, s ? strlen(s) : 0);
}

static void end(struct proc *p, struct line *l)
{
    line_putc(l, '\n');
    if (l->overflow)
        return;
    emit(p, l);
}

/* The strings of a record. */
struct strs {
    const char *s[RE_NSTR];
    size_t n[RE_NSTR];
};

static void split(const struct re_rec *r, struct strs *o)
{
    const char *d = (const char *)(r + 1);
    size_t off = 0;
    for (int i = 0; i < RE_NSTR; i++) {
        o->s[i] = d + off;
        o->n[i] = r->len[i];
        off += r->len[i];
    }
}

/* base + "/" + name (or name alone when absolute), normalised lexically, into out (NUL-terminated).
 * Returns the length, or -1 when a relative name has no base. */
static char pathbuf[3][2 * RE_PATH_MAX + 4];

static long resolve(char *out, const char *base, size_t nb, const char *name, size_t nn)
{
    size_t n = 0;
    if (nn && name[0] == '/') {
        memcpy(out, name, nn);
        n = nn;
    } else {
        if (!nb)
            return -1;
        memcpy(out, base, nb);
        n = nb;
        out[n++] = '/';
        memcpy(out + n, name, nn);
        n += nn;
    }
    n = path_normalize(out, n);
    out[n] = 0;
    return (long)n;
}

static void warn_line(struct proc *p, uint64_t ts, const char *code, const char *path)
{
    struct line l;
    start(&l, 'W', ts, p->pid);
    line_tab(&l);
    line_puts(&l, code);
    put_cstr(&l, path);
    end(p, &l);
}

/* A forked child's H line comes just before its first event. */
static void header_if_pending(struct proc *p)
{
    if (!p->pending_h)
        return;
    p->pending_h = 0;
    struct line l;
    start(&l, 'H', p->fork_ts, p->pid);
    line_tab(&l);
    line_put_u64(&l, (uint64_t)p->ppid);
    put_cstr(&l, p->exe);
    put_cstr(&l, p->cwd && *p->cwd ? p->cwd : "/");
    end(p, &l);
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        abort();
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void on_exec(struct run *run, const struct re_rec *r, const struct strs *s)
{
    struct proc *p = proc_get(run, (int)r->pid, 1);
    p->pending_h = 0;
    p->ppid = (int)r->a;
    free(p->exe);
    free(p->cwd);
    p->exe = (r->status & (RE_TRUNCATED | RE_PSEUDO)) || !s->n[0] ? NULL : dupn(s->s[0], s->n[0]);
    p->cwd = dupn(s->s[1], s->n[1]);
    struct line l;
    start(&l, 'H', r->ts, p->pid);
    line_tab(&l);
    line_put_u64(&l, (uint64_t)p->ppid);
    put_cstr(&l, p->exe);
    put_cstr(&l, *p->cwd ? p->cwd : "/");
    end(p, &l);
    if ((r->status & RE_COMPAT) && per_syscall)
        warn_line(p, r->ts, "ebpf-i386", p->exe ? p->exe : "?");
}

static void on_fork(struct run *run, const struct re_rec *r, const struct strs *s)
{
    proc_drop(run, (int)r->pid);   /* a reused pid starts afresh (its file is appended to) */
    struct proc *p = proc_get(run, (int)r->pid, 1);
    struct proc *parent = proc_get(run, (int)r->a, 0);
    p->ppid = (int)r->a;
    p->pending_h = 1;
    p->fork_ts = r->ts;
    p->exe = parent && parent->exe ? strdup(parent->exe) : NULL;
    p->cwd = dupn(s->s[1], s->n[1]);
}

static void on_open(struct proc *p, const struct re_rec *r, const struct strs *s)
{
    if (r->status & RE_TRUNCATED) {
        warn_line(p, r->ts, "spool-error", "unresolved-path");
        return;
    }
    /* s0 the name as given, s1 the kernel's name, s2 the base of a relative name */
    const char *name = s->s[0], *base = s->s[2];
    size_t nname = s->n[0], nbase = s->n[2];
    char *real = pathbuf[0], *path = pathbuf[1];
    size_t nreal = s->n[1];
    int pseudo = (r->status & RE_PSEUDO) != 0;
    memcpy(real, s->s[1], nreal);
    real[nreal] = 0;
    long np;
    if (!nname) {                        /* open_by_handle_at: the kernel's name only */
        memcpy(path, real, nreal + 1);
        np = (long)nreal;
    } else if (name[0] == '/') {
        np = resolve(path, NULL, 0, name, nname);
    } else if (r->status & RE_BASE_UP_N) {
        size_t nb = nreal;               /* the base is the kernel's name minus N components */
        for (unsigned int up = RE_BASE_UP_OF(r->status); up; up--) {
            while (nb > 1 && real[nb - 1] != '/')
                nb--;
            if (nb > 1)
                nb--;                    /* "/a/b" -> "/a"; "/b" -> "/" */
        }
        np = resolve(path, real, nb, name, nname);
    } else {
        np = resolve(path, base, nbase, name, nname);
    }
    if (np < 0) {
        if (pseudo || !nreal) {
            warn_line(p, r->ts, "spool-error", "unresolved-path");
            return;
        }
        memcpy(path, real, nreal + 1);   /* a dirfd that was gone: the kernel's name */
        np = (long)nreal;
    }
    struct line l;
    start(&l, 'O', r->ts, p->pid);
    line_tab(&l);
    line_put_hex(&l, r->a);
    line_tab(&l);
    line_putc(&l, (char)r->f);
    line_tab(&l);
    line_put_u64(&l, r->b);
    line_tab(&l);
    line_put_u64(&l, r->c);
    line_tab(&l);
    line_put_u64(&l, r->d);
    line_tab(&l);
    line_put_u64(&l, r->e);
    put_path(&l, path, (size_t)np);
    if (pseudo || ((size_t)np == nreal && !memcmp(path, real, nreal) && !(r->status & RE_DELETED))) {
        line_tab(&l);
        line_putc(&l, '-');
    } else {
        if (r->status & RE_DELETED) {
            memcpy(real + nreal, " (deleted)", 11);
            nreal += 10;
        }
        put_path(&l, real, nreal);
    }
    end(p, &l);
}

/* A name-based call that succeeded. */
static void on_names(struct proc *p, const struct re_rec *c)
{
    struct strs r, s;
    split(c, &r);
    for (int i = 0; i < RE_NSTR; i += 2) {   /* the record has (name, base) pairs; below (base, name) */
        s.s[i] = r.s[i + 1];
        s.n[i] = r.n[i + 1];
        s.s[i + 1] = r.s[i];
        s.n[i + 1] = r.n[i];
    }
    if (c->status & RE_TRUNCATED) {
        warn_line(p, c->ts, "spool-error", "unresolved-path");
        return;
    }
    struct line l;
    long a, b;
    switch (c->type) {
    case RE_RENAME:
    case RE_LINK:
        b = resolve(pathbuf[1], s.s[2], s.n[2], s.s[3], s.n[3]);
        if (c->type == RE_LINK && (!s.n[1] || (s.n[1] > 6 && !memcmp(s.s[1], "/proc/", 6))))
            a = 0;                       /* AT_EMPTY_PATH or /proc/self/fd/N: "-" */
        else
            a = resolve(pathbuf[0], s.s[0], s.n[0], s.s[1], s.n[1]);
        if (a < 0 || b < 0) {
            warn_line(p, c->ts, "spool-error", "unresolved-path");
            return;
        }
        start(&l, c->type == RE_RENAME ? 'R' : 'L', c->ts, p->pid);
        if (c->type == RE_RENAME) {
            line_tab(&l);
            line_put_hex(&l, c->a);
        }
        put_path(&l, pathbuf[0], (size_t)a);
        put_path(&l, pathbuf[1], (size_t)b);
        end(p, &l);
        return;
    case RE_UNLINK:
    case RE_RMDIR:
    case RE_MKDIR:
    case RE_TRUNC:
        a = resolve(pathbuf[0], s.s[0], s.n[0], s.s[1], s.n[1]);
        if (a < 0) {
            warn_line(p, c->ts, "spool-error", "unresolved-path");
            return;
        }
        start(&l, c->type == RE_MKDIR ? 'K' : c->type == RE_TRUNC ? 'T' : 'U', c->ts, p->pid);
        put_path(&l, pathbuf[0], (size_t)a);
        end(p, &l);
        return;
    }
}

static int handle(void *ctx, void *data, size_t size)
{
    const struct re_rec *r = data;
    if (size < sizeof *r || size < sizeof *r + r->size)
        return 0;
    struct run *run = run_by_id(r->run);
    if (!run) {
        n_orphans++;    /* a run already flushed: a descendant that outlived it */
        return 0;
    }
    struct strs s;
    split(r, &s);
    switch (r->type) {
    case RE_EXEC:
        on_exec(run, r, &s);
        return 0;
    case RE_FORK:
        on_fork(run, r, &s);
        return 0;
    case RE_EXIT:
        proc_drop(run, (int)r->pid);
        return 0;
    }
    struct proc *p = proc_get(run, (int)r->pid, 1);
    header_if_pending(p);
    if (r->type == RE_OPEN) {
        on_open(p, r, &s);
    } else if (r->type >= RE_RENAME && r->type <= RE_TRUNC) {
        on_names(p, r);
    } else if (r->type == RE_IOURING) {
        warn_line(p, r->ts, "io-uring", p->exe);
    }
    return 0;
}

/* ---- loading ---- */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (getenv("ROAR_EBPF_DEBUG"))
        return vfprintf(stderr, fmt, ap);
    return 0;
}

static struct roar_ebpf *skel;
static struct ring_buffer *rb;
static unsigned long ring_kb = 16384;
/* The ring's positions, mapped read-only for ourselves: a FLUSH reads how far the kernel has
 * reserved and consumes up to there (libbpf 1.1 has no accessor for them). */
static volatile const unsigned long *ring_consumer, *ring_producer;

static uint64_t recursion_misses(void)
{
    uint64_t total = 0;
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, skel->obj) {
        struct bpf_prog_info info;
        uint32_t len = sizeof info;
        memset(&info, 0, sizeof info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
            total += info.recursion_misses;
    }
    return total;
}

/* Records lost so far, all runs together: ring full, or a program run the kernel skipped. */
static uint64_t lost_total(void)
{
    return __atomic_load_n(&skel->bss->lost, __ATOMIC_RELAXED) + recursion_misses();
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {
    }
}

static void usage(FILE *f)
{
    fputs("usage: roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...]\n"
          "       roar-ebpf --server SOCK\n"
          "       roar-ebpf --attach SOCK --run NAME [--] PROGRAM [ARGS...]\n"
          "Runs PROGRAM under roar's eBPF tracer, writing <DIR>/<pid>.spool in the format of\n"
          "tracers/SPOOL.md (DIR defaults to $ROAR_SPOOL_DIR). Needs root or CAP_BPF+CAP_PERFMON\n"
          "(the launcher needs nothing: the server it asks has them).\n"
          "Exits with PROGRAM's status; 125 if tracing is impossible.\n", f);
}

/* The build leaves beside the loader a minimal BTF with just the kernel types the BPF program
 * relocates against (`bpftool gen min_core_btf`), and the kernel it was cut from. Loading with it
 * spares libbpf parsing all of /sys/kernel/btf/vmlinux (about 40 ms of every run). On any other
 * kernel the stamp differs and the full vmlinux BTF is used, as without the file. */
static int minimal_btf_for_this_kernel(char *path, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    struct utsname u;
    if (uname(&u) != 0)
        return 0;
    char stamp_path[PATH_MAX + 16], want[sizeof u.release + sizeof u.version + 2], have[512] = "";
    snprintf(stamp_path, sizeof stamp_path, "%s.btf.kernel", exe);
    snprintf(want, sizeof want, "%s %s", u.release, u.version);
    FILE *f = fopen(stamp_path, "re");
    if (!f)
        return 0;
    int ok = fgets(have, sizeof have, f) != NULL;
    fclose(f);
    have[strcspn(have, "\n")] = '\0';
    if (!ok || strcmp(have, want) != 0)
        return 0;
    if ((size_t)snprintf(path, size, "%s.btf", exe) >= size || access(path, R_OK) != 0)
        return 0;
    return 1;
}

/* The kernel's BTF ids of the structs the BPF side casts pointers to (bpf_rdonly_cast): the
 * running kernel's, not the minimal BTF's the CO-RE relocations may be made against. Found by a
 * scan of /sys/kernel/btf/vmlinux (mapped when the kernel allows it, else read), which costs less
 * than having libbpf parse it a second time. */
static const char *const CAST_TYPES[] = {"file", "mount", "task_struct", "pt_regs", "linux_binprm"};
#define N_CAST_TYPES (sizeof CAST_TYPES / sizeof *CAST_TYPES)

static int kernel_struct_ids(uint32_t *ids)
{
    int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(struct btf_header)) {
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *b = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int mapped = b != MAP_FAILED;
    if (!mapped) {
        b = malloc(size);
        size_t got = 0;
        while (b && got < size) {
            ssize_t n = read(fd, b + got, size - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (!b || got < size) {
            free(b);
            close(fd);
            return -1;
        }
    }
    close(fd);
    const struct btf_header *h = (const void *)b;
    size_t found = 0;
    if (h->magic == BTF_MAGIC && (uint64_t)h->hdr_len + h->type_off + h->type_len <= size &&
        (uint64_t)h->hdr_len + h->str_off + h->str_len <= size) {
        const unsigned char *t = b + h->hdr_len + h->type_off, *end = t + h->type_len;
        const char *strs = (const char *)b + h->hdr_len + h->str_off;
        for (uint32_t id = 1; t + sizeof(struct btf_type) <= end && found < N_CAST_TYPES; id++) {
            const struct btf_type *bt = (const void *)t;
            uint32_t kind = BTF_INFO_KIND(bt->info), vlen = BTF_INFO_VLEN(bt->info);
            t += sizeof(struct btf_type);
            switch (kind) {
            case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: t += 4; break;
            case BTF_KIND_ARRAY: t += sizeof(struct btf_array); break;
            case BTF_KIND_STRUCT: case BTF_KIND_UNION: t += vlen * sizeof(struct btf_member); break;
            case BTF_KIND_ENUM: t += vlen * sizeof(struct btf_enum); break;
            case BTF_KIND_FUNC_PROTO: t += vlen * sizeof(struct btf_param); break;
            case BTF_KIND_DATASEC: t += vlen * sizeof(struct btf_var_secinfo); break;
            case BTF_KIND_ENUM64: t += vlen * sizeof(struct btf_enum64); break;
            case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
            case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
            case BTF_KIND_TYPE_TAG: break;
            default: t = end; continue;    /* a kind this scan does not know: give up */
            }
            if (kind != BTF_KIND_STRUCT || bt->name_off >= h->str_len)
                continue;
            for (size_t i = 0; i < N_CAST_TYPES; i++)
                if (!ids[i] && !strcmp(strs + bt->name_off, CAST_TYPES[i])) {
                    ids[i] = id;
                    found++;
                }
        }
    }
    if (mapped)
        munmap(b, size);
    else
        free(b);
    return found == N_CAST_TYPES ? 0 : -1;
}

static int kernel_type_ids(uint32_t *ids)
{
    memset(ids, 0, N_CAST_TYPES * sizeof *ids);
    if (kernel_struct_ids(ids) == 0)
        return 0;
    struct btf *vmlinux = btf__load_vmlinux_btf();   /* another layout: let libbpf parse it */
    for (size_t i = 0; vmlinux && i < N_CAST_TYPES; i++) {
        int id = btf__find_by_name_kind(vmlinux, CAST_TYPES[i], BTF_KIND_STRUCT);
        ids[i] = id > 0 ? (uint32_t)id : 0;
    }
    btf__free(vmlinux);
    for (size_t i = 0; i < N_CAST_TYPES; i++)
        if (!ids[i]) {
            say("cannot find struct %s in the kernel's BTF", CAST_TYPES[i]);
            return -1;
        }
    return 0;
}

/* Open, size and load the BPF object, map the ring. 0, or 125 after saying why. */
static int load(int server_mode)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    libbpf_set_print(libbpf_quiet);
    char min_btf[PATH_MAX];
    LIBBPF_OPTS(bpf_object_open_opts, open_opts);
    if (minimal_btf_for_this_kernel(min_btf, sizeof min_btf))
        open_opts.btf_custom_path = min_btf;
    const char *rk = getenv("ROAR_EBPF_RINGBUF_KB");
    if (rk && *rk) {
        ring_kb = strtoul(rk, NULL, 10);
        if (ring_kb < 4 || (ring_kb & (ring_kb - 1))) {
            say("ROAR_EBPF_RINGBUF_KB must be a power of two, at least 4 (got %s)", rk);
            return 125;
        }
    }
    /* The server attaches once and the per-call tracepoints make every other system call of the
     * machine cheaper; one-shot attaches and detaches at every run, and detaching 17 tracepoints
     * waits for ~17 grace periods (over a second), so it uses the single raw hook. */
    const char *hook = getenv("ROAR_EBPF_HOOK");
    if (hook && *hook)
        per_syscall = !strcmp(hook, "syscalls");
    else
        per_syscall = server_mode;
    if (per_syscall)
        per_syscall = access("/sys/kernel/tracing/events/syscalls/sys_exit_openat/id", R_OK) == 0 ||
                      access("/sys/kernel/debug/tracing/events/syscalls/sys_exit_openat/id", R_OK) == 0;
    uint32_t ids[N_CAST_TYPES];
    if (kernel_type_ids(ids) != 0)
        return 125;
    /* Plain loads from raw addresses (raw_loads) need Linux 6.17; before, the same programs read
     * those bytes with bpf_probe_read_kernel. */
    for (int raw_loads = 1;; raw_loads = 0) {
        skel = roar_ebpf__open_opts(&open_opts);
        if (!skel) {
            say("cannot open the BPF object: %s", strerror(errno));
            return 125;
        }
        bpf_program__set_autoload(skel->progs.on_file_exit, per_syscall);
        bpf_program__set_autoload(skel->progs.on_sys_exit, !per_syscall);
        bpf_map__set_max_entries(skel->maps.rb, (uint32_t)(ring_kb << 10));
        /* The server formats while the run goes on (the other CPU), so that FLUSH, which
         * roarctl run waits for, has little left; one-shot reads when the program exits. */
        skel->rodata->wake_bytes = server_mode && ring_kb >= 256 ? (64u << 10) : (ring_kb << 10) / 4;
        skel->rodata->file_btf_id = ids[0];
        skel->rodata->mount_btf_id = ids[1];
        skel->rodata->task_btf_id = ids[2];
        skel->rodata->regs_btf_id = ids[3];
        skel->rodata->binprm_btf_id = ids[4];
        skel->rodata->raw_loads = raw_loads;
        int err = roar_ebpf__load(skel);
        if (!err)
            break;
        roar_ebpf__destroy(skel);
        skel = NULL;
        if (!raw_loads) {
            say("cannot load the BPF programs (%s); run with ROAR_EBPF_DEBUG=1 for the verifier's "
                "log", strerror(-err));
            return 125;
        }
    }
    rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle, NULL, NULL);
    if (!rb) {
        say("cannot map the ring buffer: %s", strerror(errno));
        return 125;
    }
    long pg = sysconf(_SC_PAGESIZE);
    void *c = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.rb), 0);
    void *p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, bpf_map__fd(skel->maps.rb), pg);
    if (c == MAP_FAILED || p == MAP_FAILED) {
        say("cannot map the ring buffer's positions: %s", strerror(errno));
        return 125;
    }
    ring_consumer = c;
    ring_producer = p;
    return 0;
}

/* The file calls whose exit tracepoints on_file_exit is attached to (64-bit names). */
static const char *const FILE_CALLS[] = {
    "open", "creat", "openat", "openat2", "open_by_handle_at", "rename", "renameat", "renameat2",
    "link", "linkat", "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat", "truncate",
    "io_uring_setup",
};
#define N_FILE_CALLS (sizeof FILE_CALLS / sizeof *FILE_CALLS)
static struct bpf_link *call_links[N_FILE_CALLS];

static void detach_all(void)
{
    roar_ebpf__detach(skel);
    for (size_t i = 0; i < N_FILE_CALLS; i++) {
        if (call_links[i])
            bpf_link__destroy(call_links[i]);
        call_links[i] = NULL;
    }
}

/* Attach every hook: 0, or a negative errno. A file call without a tracepoint on this kernel
 * (ENOENT) is skipped. */
static int attach_all(void)
{
    int err = roar_ebpf__attach(skel);
    if (err)
        return err;
    for (size_t i = 0; per_syscall && i < N_FILE_CALLS; i++) {
        char tp[64];
        snprintf(tp, sizeof tp, "sys_exit_%s", FILE_CALLS[i]);
        call_links[i] = bpf_program__attach_tracepoint(skel->progs.on_file_exit, "syscalls", tp);
        if (!call_links[i]) {
            err = -errno;
            if (err == -ENOENT)
                continue;
            detach_all();
            return err;
        }
    }
    return 0;
}

/* Consume every record reserved before now (a record still being written by another CPU is
 * waited for: the consumer never passes it), then write the lines out. */
static void drain(void)
{
    unsigned long target = __atomic_load_n(ring_producer, __ATOMIC_ACQUIRE);
    uint64_t give_up = now_ns() + 2000000000ull;
    for (;;) {
        ring_buffer__consume(rb);
        if ((long)(__atomic_load_n(ring_consumer, __ATOMIC_ACQUIRE) - target) >= 0 ||
            now_ns() > give_up)
            break;
        sched_yield();
    }
    flush_all();
}

/* ---- one-shot: run the program as our child ---- */

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void on_chld(int sig) { (void)sig; }

/* One epoll set over the ring buffer's own epoll descriptor and a pidfd of the program, so the
 * loader wakes when there is something to read or the program has exited, instead of polling
 * every 20 ms (up to 20 ms added to every run). -1 when pidfds are not available (Linux < 5.3). */
static int exit_waiter(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return -1;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ring = {.events = EPOLLIN, .data.u32 = 0};
    struct epoll_event child = {.events = EPOLLIN, .data.u32 = 1};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb), &ring) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &child) < 0) {
        if (ep >= 0)
            close(ep);
        close(pidfd);
        return -1;
    }
    return ep;  /* the pidfd stays open, registered in the set, until the set is closed */
}

/* Block until records arrive or the program exits; then read what is there. */
static int wait_ring_or_exit(int waiter)
{
    struct epoll_event ev[2];
    int n = epoll_wait(waiter, ev, 2, 1000);
    if (n < 0)
        return errno == EINTR ? -EINTR : -errno;
    return ring_buffer__poll(rb, 0);
}

static struct run *new_run(const char *name, int dirfd)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->id = next_run_id++;
    if (!r->id)
        r->id = next_run_id++;   /* 0 means "not traced" in the map */
    r->dirfd = dirfd;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->next = runs;
    runs = r;
    return r;
}

static int one_shot(const char *spool, char **argv)
{
    int dirfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        say("cannot open the spool directory %s: %s", spool, strerror(errno));
        return 125;
    }
    int err = load(0);
    if (err)
        return err;
    struct run *run = new_run("one-shot", dirfd);

    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        say("pipe: %s", strerror(errno));
        return 125;
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    if (pid < 0) {
        say("fork: %s", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(gate[1]);
        char go;
        if (read(gate[0], &go, 1) != 1)
            _exit(125);         /* the tracer could not attach: never run untraced */
        execvp(argv[0], argv);
        int e = errno;
        fprintf(stderr, "roar-ebpf: %s: %s\n", argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    close(gate[0]);
    child_pid = pid;
    run->root_pid = pid;
    uint32_t key = (uint32_t)pid;
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &key, &run->id, BPF_ANY) != 0 ||
        (err = attach_all()) != 0) {
        say("cannot attach the probes: %s", strerror(err ? -err : errno));
        close(gate[1]);
        waitpid(pid, NULL, 0);
        return 125;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (write(gate[1], "g", 1) != 1) {
        say("cannot start the program: %s", strerror(errno));
        kill(pid, SIGKILL);
        return 125;
    }
    close(gate[1]);

    /* Tests force losses with a tiny ring and a loader that does not read for a while. */
    const char *pause_ms = getenv("ROAR_EBPF_TEST_PAUSE_MS");
    if (pause_ms && *pause_ms)
        sleep_ms(strtol(pause_ms, NULL, 10));
    int status = 0;
    int waiter = exit_waiter(pid);
    for (;;) {
        int n = waiter >= 0 ? wait_ring_or_exit(waiter) : ring_buffer__poll(rb, 20);
        flush_all();
        if (n < 0 && n != -EINTR) {
            say("reading the ring buffer: %s", strerror(-n));
        }
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            say("waitpid: %s", strerror(errno));
            break;
        }
    }
    if (waiter >= 0)
        close(waiter);
    /* The program has exited: everything it did is in the ring. Its descendants that are still
     * running are not followed any further. */
    detach_all();
    ring_buffer__consume(rb);
    flush_all();

    uint64_t ring_lost = skel->bss->lost, misses = recursion_misses();
    uint64_t lost = ring_lost + misses;
    struct proc *root = proc_get(run, run->root_pid, 1);
    if (lost) {
        char num[32];
        snprintf(num, sizeof num, "%llu", (unsigned long long)lost);
        warn_line(root, now_ns(), "ebpf-lost", num);
        say("%llu event(s) were lost (ring buffer full, or a probe skipped): the record of this "
            "run is incomplete", (unsigned long long)lost);
    }
    if (n_spool_errors)
        say("%llu spool write(s) failed", (unsigned long long)n_spool_errors);
    flush_all();

    const char *stats = getenv("ROAR_EBPF_STATS");
    if (stats && *stats) {
        FILE *f = fopen(stats, "w");
        if (f) {
            fprintf(f, "{\"events\": %llu, \"lost\": %llu, \"ring_lost\": %llu, \"probe_misses\": %llu, "
                       "\"truncated\": %llu, \"processes\": %llu, \"ringbuf_kb\": %lu}\n",
                    (unsigned long long)n_events, (unsigned long long)lost,
                    (unsigned long long)ring_lost, (unsigned long long)misses,
                    (unsigned long long)skel->bss->truncated,
                    (unsigned long long)n_procs, ring_kb);
            fclose(f);
        }
    }
    ring_buffer__free(rb);
    roar_ebpf__destroy(skel);

    exit_like(status);
}

/* ---- the server ---- */

static int attached;
static uint64_t idle_since;   /* when the last run ended (the probes linger a while) */

static int attach_probes(void)
{
    if (attached)
        return 0;
    int err = attach_all();
    if (err)
        return err;
    attached = 1;
    return 0;
}

/* Every process of the run leaves `traced` (descendants that outlived the run are no longer
 * followed). */
static void untrace_run(uint32_t id)
{
    int fd = bpf_map__fd(skel->maps.traced);
    uint32_t key, next, *prev = NULL, val;
    uint32_t drop[1024];
    for (;;) {
        size_t n = 0;
        prev = NULL;
        while (n < sizeof drop / sizeof *drop && bpf_map_get_next_key(fd, prev, &next) == 0) {
            key = next;
            prev = &key;
            if (bpf_map_lookup_elem(fd, &key, &val) == 0 && val == id)
                drop[n++] = key;
        }
        for (size_t i = 0; i < n; i++)
            bpf_map_delete_elem(fd, &drop[i]);
        if (n < sizeof drop / sizeof *drop)
            return;
    }
}

static void close_run(struct run *run, uint64_t *lost_out)
{
    drain();
    for (unsigned b = 0; b < NBUCKET; b++) {
        struct proc *p = procs[b];
        while (p) {
            struct proc *next = p->next;
            if (p->run == run)
                proc_drop(run, p->pid);
            p = next;
        }
    }
    untrace_run(run->id);
    uint64_t lost = lost_total() - run->lost0;
    if (lost && run->root_pid > 0) {
        char num[32];
        snprintf(num, sizeof num, "%llu", (unsigned long long)lost);
        struct proc *root = proc_get(run, run->root_pid, 1);
        warn_line(root, now_ns(), "ebpf-lost", num);
        proc_drop(run, run->root_pid);
    }
    if (lost_out)
        *lost_out = lost;
    for (struct run **pp = &runs; *pp; pp = &(*pp)->next)
        if (*pp == run) {
            *pp = run->next;
            break;
        }
    close(run->dirfd);
    free(run);
    if (!runs)
        idle_since = now_ns();
}

static int reply(int fd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    return send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static void cmd_run(int fd, char *args)
{
    char *sp = strchr(args, ' ');
    if (!sp || sp == args || !sp[1]) {
        reply(fd, "ERR usage: RUN NAME DIR");
        return;
    }
    *sp = 0;
    const char *name = args, *dir = sp + 1;
    if (strlen(name) >= sizeof runs->name || run_by_name(name)) {
        reply(fd, "ERR run %s is already registered with the eBPF tracer", name);
        return;
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        reply(fd, "ERR cannot open the spool directory %s: %s", dir, strerror(errno));
        return;
    }
    int err = attach_probes();
    if (err) {
        close(dirfd);
        reply(fd, "ERR cannot attach the probes: %s", strerror(-err));
        return;
    }
    struct run *run = new_run(name, dirfd);
    run->lost0 = lost_total();
    reply(fd, "OK %u", run->id);
}

static void cmd_attach(int fd, const char *name)
{
    struct run *run = run_by_name(name);
    if (!run) {
        reply(fd, "ERR the eBPF tracer has no run %s (it ended, or the tracer was restarted)", name);
        return;
    }
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0) {
        reply(fd, "ERR cannot tell the launcher's pid (another pid namespace?)");
        return;
    }
    /* The launcher waits for this answer, so it is alive; should it have been killed meanwhile,
     * its exit went unseen by on_exit and the entry must not stay for a reused pid. */
    int pidfd = (int)syscall(SYS_pidfd_open, cred.pid, 0);
    if (pidfd < 0) {
        reply(fd, "ERR the launcher (pid %d) is gone", (int)cred.pid);
        return;
    }
    uint32_t key = (uint32_t)cred.pid;
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &key, &run->id, BPF_ANY) != 0) {
        int e = errno;
        close(pidfd);
        reply(fd, "ERR cannot add the process to the traced map: %s", strerror(e));
        return;
    }
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0) {
        bpf_map_delete_elem(bpf_map__fd(skel->maps.traced), &key);
        close(pidfd);
        reply(fd, "ERR the launcher (pid %d) is gone", (int)cred.pid);
        return;
    }
    close(pidfd);
    if (!run->root_pid)
        run->root_pid = (int)cred.pid;
    reply(fd, "OK");
    /* Tests force losses with a tiny ring and a server that does not read for a while. */
    const char *pause_ms = getenv("ROAR_EBPF_TEST_PAUSE_MS");
    if (pause_ms && *pause_ms)
        sleep_ms(strtol(pause_ms, NULL, 10));
}

static void cmd_flush(int fd, const char *name)
{
    struct run *run = run_by_name(name);
    if (!run) {
        reply(fd, "ERR the eBPF tracer has no run %s (it ended, or the tracer was restarted)", name);
        return;
    }
    uint64_t lost = 0, events = run->events;
    close_run(run, &lost);
    reply(fd, "OK %llu %llu", (unsigned long long)lost, (unsigned long long)events);
}

/* Read from fd until a newline, end of input or a full buffer; NUL-terminated. The protocol's
 * one line each way (server and launcher). */
static void recv_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
        if (memchr(buf, '\n', n))
            break;
    }
    buf[n] = 0;
}

/* One request per connection. A client that does not send its line within a second is dropped
 * (the socket is private to the user, so this is only against a stuck client). */
static void serve_client(int fd)
{
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[PATH_MAX + 256];
    recv_line(fd, buf, sizeof buf);
    char *nl = strchr(buf, '\n');
    if (!nl) {
        reply(fd, "ERR incomplete request");
        return;
    }
    *nl = 0;
    if (!strncmp(buf, "RUN ", 4))
        cmd_run(fd, buf + 4);
    else if (!strncmp(buf, "ATTACH ", 7))
        cmd_attach(fd, buf + 7);
    else if (!strncmp(buf, "FLUSH ", 6))
        cmd_flush(fd, buf + 6);
    else if (!strcmp(buf, "PING"))
        reply(fd, "OK %d", (int)getpid());
    else
        reply(fd, "ERR unknown request");
}

static int listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        say("the socket path %s is too long", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);    /* a previous server's */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        say("socket: %s", strerror(errno));
        return -1;
    }
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        say("cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int server(const char *sock)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);   /* roard owns us: we end with it */
    if (getppid() == 1)
        return 125;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int err = load(1);
    if (err)
        return err;
    /* Attach once now: what cannot attach is said at start, not at the first run. */
    if ((err = attach_probes()) != 0) {
        say("cannot attach the probes: %s", strerror(-err));
        return 125;
    }
    idle_since = now_ns();
    int lfd = listen_on(sock);
    if (lfd < 0)
        return 125;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e_ring = {.events = EPOLLIN, .data.u32 = 0};
    struct epoll_event e_listen = {.events = EPOLLIN, .data.u32 = 1};
    struct epoll_event e_sig = {.events = EPOLLIN, .data.u32 = 2};
    if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb), &e_ring) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e_listen) < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e_sig) < 0) {
        say("epoll: %s", strerror(errno));
        return 125;
    }
    /* Detaching the per-call tracepoints takes over a second (a grace period each, during which
     * a new run's RUN waits), so they linger far longer than the raw hook. */
    long linger_ms = per_syscall ? 600000 : 5000;
    const char *lg = getenv("ROAR_EBPF_LINGER_MS");
    if (lg && *lg)
        linger_ms = strtol(lg, NULL, 10);
    printf("ready\n");
    fflush(stdout);
    int stop = 0;
    while (!stop) {
        struct epoll_event ev[8];
        int n = epoll_wait(ep, ev, 8, 100);
        if (n < 0 && errno != EINTR) {
            say("epoll_wait: %s", strerror(errno));
            break;
        }
        ring_buffer__consume(rb);
        flush_all();
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u32 == 1) {
                int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                if (cfd >= 0) {
                    serve_client(cfd);
                    close(cfd);
                }
            } else if (ev[i].data.u32 == 2) {
                stop = 1;
            }
        }
        /* No run for a while: the rest of the machine is spared the probes (with the raw hook,
         * a BPF program on every system call; with the per-call tracepoints, the slow system
         * call path every process takes while any is attached). */
        if (!runs && attached &&
            now_ns() - idle_since > (uint64_t)linger_ms * 1000000ull) {
            detach_all();
            attached = 0;
        }
    }
    /* Leaving: what the runs still registered did is written, their files closed. */
    while (runs)
        close_run(runs, NULL);
    unlink(sock);
    if (n_spool_errors)
        say("%llu spool write(s) failed", (unsigned long long)n_spool_errors);
    detach_all();
    ring_buffer__free(rb);
    roar_ebpf__destroy(skel);
    return 0;
}

/* ---- the launcher ---- */

static int launch(const char *sock, const char *name, char **argv)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof addr.sun_path) {
        say("the tracer server's socket path %s is too long", sock);
        return 125;
    }
    strcpy(addr.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        say("cannot reach the eBPF tracer server at %s: %s", sock, strerror(errno));
        return 125;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "ATTACH %s\n", name);
    if (n <= 0 || n >= (int)sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        say("cannot talk to the eBPF tracer server at %s", sock);
        return 125;
    }
    char ans[1100];
    recv_line(fd, ans, sizeof ans);
    ans[strcspn(ans, "\n")] = 0;
    if (strncmp(ans, "OK", 2) != 0) {
        say("%s", !strncmp(ans, "ERR ", 4) ? ans + 4 : "the eBPF tracer server did not answer");
        return 125;
    }
    close(fd);
    execvp(argv[0], argv);
    int e = errno;
    fprintf(stderr, "roar-ebpf: %s: %s\n", argv[0], strerror(e));
    return e == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
    const char *spool = getenv("ROAR_SPOOL_DIR");
    const char *server_sock = NULL, *attach_sock = NULL, *run_name = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--spool") && i + 1 < argc) {
            spool = argv[++i];
        } else if (!strncmp(argv[i], "--spool=", 8)) {
            spool = argv[i] + 8;
        } else if (!strcmp(argv[i], "--server") && i + 1 < argc) {
            server_sock = argv[++i];
        } else if (!strcmp(argv[i], "--attach") && i + 1 < argc) {
            attach_sock = argv[++i];
        } else if (!strcmp(argv[i], "--run") && i + 1 < argc) {
            run_name = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return 125;
        } else {
            break;
        }
    }
    if (server_sock)
        return server(server_sock);
    if (i >= argc) {
        say("no program to run (usage: roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...])");
        return 125;
    }
    if (attach_sock) {
        if (!run_name || !*run_name || strchr(run_name, '\n')) {
            say("--attach needs --run NAME");
            return 125;
        }
        return launch(attach_sock, run_name, argv + i);
    }
    if (!spool || !*spool) {
        say("no spool directory (--spool DIR or ROAR_SPOOL_DIR)");
        return 125;
    }
    return one_shot(spool, argv + i);
}
