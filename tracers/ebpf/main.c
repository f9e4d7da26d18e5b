/* main.c - roar-ebpf: run a program under roar's eBPF tracer and write its spool.
 *
 *   roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...]
 *
 * The program is forked and held on a pipe until the BPF programs (roar_ebpf.bpf.c, embedded
 * as a libbpf skeleton) are loaded, its pid is in the `traced` map and the probes are attached;
 * then it execs. Records come back through one ring buffer and are written to
 * <spool>/<pid>.spool in the format of tracers/SPOOL.md (several whole lines per write).
 *
 * Exit status: PROGRAM's (killed by signal N: roar-ebpf kills itself with N); 125 when tracing is
 * impossible (one sentence on stderr, PROGRAM never runs); 126/127 when PROGRAM cannot be
 * executed / is not found. SIGINT, SIGTERM and SIGHUP are forwarded to PROGRAM.
 *
 * Environment: ROAR_SPOOL_DIR (when --spool is absent); ROAR_EBPF_RINGBUF_KB (ring size, a power
 * of two, default 16384: tests make it tiny to force losses); ROAR_EBPF_STATS=PATH (counters as
 * JSON when PROGRAM exits); ROAR_EBPF_DEBUG (libbpf's messages); ROAR_EBPF_TEST_PAUSE_MS (tests:
 * the loader starts reading only after this delay, to force losses with a tiny ring).
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
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
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

/* ---- per-process and per-thread state ---- */

struct proc {
    struct proc *next;
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
static int spool_dirfd = -1;
static int root_pid;
static uint64_t n_events, n_spool_errors, n_procs;

static struct proc *proc_get(int pid, int create)
{
    struct proc **pp = &procs[(unsigned)pid % NBUCKET];
    for (struct proc *p = *pp; p; p = p->next)
        if (p->pid == pid)
            return p;
    if (!create)
        return NULL;
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        abort();
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
        p->fd = openat(spool_dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
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

static void proc_drop(int pid)
{
    struct proc **pp = &procs[(unsigned)pid % NBUCKET];
    for (; *pp; pp = &(*pp)->next) {
        struct proc *p = *pp;
        if (p->pid != pid)
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

static void on_exec(const struct re_rec *r, const struct strs *s)
{
    struct proc *p = proc_get((int)r->pid, 1);
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
}

static void on_fork(const struct re_rec *r, const struct strs *s)
{
    proc_drop((int)r->pid);   /* a reused pid starts afresh (its file is appended to) */
    struct proc *p = proc_get((int)r->pid, 1);
    struct proc *parent = proc_get((int)r->a, 0);
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
    char *real = pathbuf[0], *path = pathbuf[1];
    size_t nreal = s->n[0];
    int pseudo = (r->status & RE_PSEUDO) != 0;
    memcpy(real, s->s[0], nreal);
    real[nreal] = 0;
    long np;
    if (!s->n[2]) {                      /* open_by_handle_at: the kernel's name only */
        memcpy(path, real, nreal + 1);
        np = (long)nreal;
    } else if (s->s[2][0] == '/') {
        np = resolve(path, NULL, 0, s->s[2], s->n[2]);
    } else if (r->status & RE_BASE_IS_PARENT) {
        size_t nb = nreal;
        while (nb > 1 && real[nb - 1] != '/')
            nb--;
        if (nb > 1)
            nb--;                        /* "/a/b" -> "/a"; "/b" -> "/" */
        np = resolve(path, real, nb, s->s[2], s->n[2]);
    } else {
        np = resolve(path, s->s[1], s->n[1], s->s[2], s->n[2]);
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
    struct strs s;
    split(c, &s);
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
    struct strs s;
    split(r, &s);
    switch (r->type) {
    case RE_EXEC:
        on_exec(r, &s);
        return 0;
    case RE_FORK:
        on_fork(r, &s);
        return 0;
    case RE_EXIT: {
        struct proc *p = proc_get((int)r->pid, 0);
        if (p && p->pid != root_pid)
            proc_drop(p->pid);
        return 0;
    }
    }
    struct proc *p = proc_get((int)r->pid, 1);
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

/* ---- running the program ---- */

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void on_chld(int sig) { (void)sig; }

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (getenv("ROAR_EBPF_DEBUG"))
        return vfprintf(stderr, fmt, ap);
    return 0;
}

static uint64_t recursion_misses(struct roar_ebpf *skel)
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

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void usage(FILE *f)
{
    fputs("usage: roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...]\n"
          "Runs PROGRAM under roar's eBPF tracer, writing <DIR>/<pid>.spool in the format of\n"
          "tracers/SPOOL.md (DIR defaults to $ROAR_SPOOL_DIR). Needs root or CAP_BPF+CAP_PERFMON.\n"
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

/* One epoll set over the ring buffer's own epoll descriptor and a pidfd of the program, so the
 * loader wakes when there is something to read or the program has exited, instead of polling
 * every 20 ms (up to 20 ms added to every run). -1 when pidfds are not available (Linux < 5.3). */
static int exit_waiter(struct ring_buffer *rb, pid_t pid)
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
static int wait_ring_or_exit(int waiter, struct ring_buffer *rb)
{
    struct epoll_event ev[2];
    int n = epoll_wait(waiter, ev, 2, 1000);
    if (n < 0)
        return errno == EINTR ? -EINTR : -errno;
    return ring_buffer__poll(rb, 0);
}

int main(int argc, char **argv)
{
    const char *spool = getenv("ROAR_SPOOL_DIR");
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "--spool") && i + 1 < argc) {
            spool = argv[++i];
        } else if (!strncmp(argv[i], "--spool=", 8)) {
            spool = argv[i] + 8;
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
    if (i >= argc) {
        say("no program to run (usage: roar-ebpf [--spool DIR] [--] PROGRAM [ARGS...])");
        return 125;
    }
    if (!spool || !*spool) {
        say("no spool directory (--spool DIR or ROAR_SPOOL_DIR)");
        return 125;
    }
    spool_dirfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (spool_dirfd < 0) {
        say("cannot open the spool directory %s: %s", spool, strerror(errno));
        return 125;
    }
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
    struct roar_ebpf *skel = roar_ebpf__open_opts(&open_opts);
    if (!skel) {
        say("cannot open the BPF object: %s", strerror(errno));
        return 125;
    }
    unsigned long ring_kb = 16384;
    const char *rk = getenv("ROAR_EBPF_RINGBUF_KB");
    if (rk && *rk) {
        ring_kb = strtoul(rk, NULL, 10);
        if (ring_kb < 4 || (ring_kb & (ring_kb - 1))) {
            say("ROAR_EBPF_RINGBUF_KB must be a power of two, at least 4 (got %s)", rk);
            return 125;
        }
    }
    bpf_map__set_max_entries(skel->maps.rb, (uint32_t)(ring_kb << 10));
    skel->rodata->wake_bytes = (ring_kb << 10) / 4;
    int err = roar_ebpf__load(skel);
    if (err) {
        say("cannot load the BPF programs (%s); run with ROAR_EBPF_DEBUG=1 for the verifier's log",
            strerror(-err));
        return 125;
    }
    struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle, NULL, NULL);
    if (!rb) {
        say("cannot map the ring buffer: %s", strerror(errno));
        return 125;
    }

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
        execvp(argv[i], argv + i);
        int e = errno;
        fprintf(stderr, "roar-ebpf: %s: %s\n", argv[i], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    close(gate[0]);
    child_pid = pid;
    root_pid = pid;
    uint32_t key = (uint32_t)pid;
    uint8_t one = 1;
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.traced), &key, &one, BPF_ANY) != 0 ||
        (err = roar_ebpf__attach(skel)) != 0) {
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
    if (pause_ms && *pause_ms) {
        struct timespec t = {0, 0};
        long ms = strtol(pause_ms, NULL, 10);
        t.tv_sec = ms / 1000;
        t.tv_nsec = (ms % 1000) * 1000000L;
        while (nanosleep(&t, &t) < 0 && errno == EINTR) {
        }
    }
    int status = 0;
    int waiter = exit_waiter(rb, pid);
    for (;;) {
        int n = waiter >= 0 ? wait_ring_or_exit(waiter, rb) : ring_buffer__poll(rb, 20);
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
    roar_ebpf__detach(skel);
    ring_buffer__consume(rb);
    flush_all();

    uint64_t ring_lost = skel->bss->lost, misses = recursion_misses(skel);
    uint64_t lost = ring_lost + misses;
    struct proc *root = proc_get(root_pid, 1);
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
