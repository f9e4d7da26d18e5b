/* loop.c - the tracer's wait loop: every ptrace stop of every traced thread comes through
 * here, is classified, handled and resumed.
 *
 * The tracees are PTRACE_SEIZEd (the root) or auto-attached (everything it starts), so:
 *  - a new thread or process first shows up in PTRACE_EVENT_STOP, and that stop may be
 *    reported before its parent's PTRACE_EVENT_FORK/VFORK/CLONE: whichever comes first
 *    "adopts" the new tid, reading its thread group and parent from /proc;
 *  - group-stops are PTRACE_EVENT_STOP with the stop signal, kept stopped with PTRACE_LISTEN
 *    (job control keeps working); any other non-event stop is a signal to deliver;
 *  - a seccomp stop is a traced syscall's entry; PTRACE_SYSCALL from there gives its exit
 *    (marked SIGTRAP|0x80 thanks to PTRACE_O_TRACESYSGOOD).
 */
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "roar_ptrace.h"

/* ======================================================================================
 * Tables of threads and processes (chained hashes keyed by tid / pid)
 * ==================================================================================== */

#define BUCKETS 4096
static struct tracee *g_tracees[BUCKETS];
static struct proc *g_procs[BUCKETS];

static unsigned bucket(pid_t id)
{
    return (unsigned)id % BUCKETS;
}

static struct tracee *tracee_find(pid_t tid)
{
    for (struct tracee *t = g_tracees[bucket(tid)]; t; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

static void tracee_link(struct tracee *t)
{
    unsigned b = bucket(t->tid);
    t->next = g_tracees[b];
    g_tracees[b] = t;
}

static void tracee_unlink(struct tracee *t)
{
    for (struct tracee **pp = &g_tracees[bucket(t->tid)]; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            return;
        }
    }
}

static struct proc *proc_find(pid_t pid)
{
    for (struct proc *p = g_procs[bucket(pid)]; p; p = p->next)
        if (p->pid == pid)
            return p;
    return NULL;
}

static struct proc *proc_new(pid_t pid)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pid = pid;
    p->spool_fd = -1;
    unsigned b = bucket(pid);
    p->next = g_procs[b];
    g_procs[b] = p;
    g_stats.processes++;
    return p;
}

/* One thread fewer; the process record (and its spool descriptor) goes with the last one. */
static void proc_release(struct proc *p)
{
    if (--p->threads > 0)
        return;
    spool_forget(p);
    for (struct proc **pp = &g_procs[bucket(p->pid)]; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    free(p);
}

static struct tracee *tracee_new(pid_t tid, struct proc *p)
{
    struct tracee *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->tid = tid;
    t->proc = p;
    t->proc_dir = t->proc_fd_dir = -1;
    p->threads++;
    tracee_link(t);
    return t;
}

static void tracee_drop(struct tracee *t)
{
    tracee_unlink(t);
    pending_clear(&t->pend);
    proc_dirs_close(t);
    proc_release(t->proc);
    free(t);
}

/* A tid seen for the first time: a thread of a known process, or a new process. Its H line
 * waits for its first event (or its exec), as the preload shim's does. /proc says which: the
 * event type cannot (a legacy clone(CLONE_THREAD | SIGCHLD) is reported as a fork, and the
 * child's first stop may come before its parent's event anyway). */
static struct tracee *adopt(pid_t tid)
{
    pid_t tgid = tid, ppid;
    if (proc_ids(NULL, tid, &tgid, &ppid) != 0)
        tgid = tid; /* gone already: its exit is next */
    struct proc *p = proc_find(tgid);
    if (!p && !(p = proc_new(tgid)))
        return NULL;
    if (tgid != tid)
        g_stats.threads++;
    return tracee_new(tid, p);
}

/* ======================================================================================
 * Syscall arguments: PTRACE_GET_SYSCALL_INFO (Linux 5.3), or the registers on older kernels
 * (or with ROAR_PTRACE_FORCE_GETREGS=1, which the tests use to cover this path).
 * ==================================================================================== */

static bool g_use_regs;

#if defined(__x86_64__)
static int regs_entry(pid_t tid, uint32_t *arch, uint64_t *nr, uint64_t a[6])
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
        return -1;
    *nr = r.orig_rax;
    if (r.cs == 0x23) { /* the 32-bit user code segment: an i386 program */
        *arch = AUDIT_ARCH_I386;
        uint64_t v[6] = {r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp};
        for (int i = 0; i < 6; i++)
            a[i] = (uint32_t)v[i];
    } else {
        *arch = AUDIT_ARCH_X86_64;
        uint64_t v[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
        memcpy(a, v, sizeof v);
    }
    return 0;
}

static int regs_exit(pid_t tid, int64_t *rval)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
        return -1;
    *rval = r.cs == 0x23 ? (int64_t)(int32_t)r.rax : (int64_t)r.rax;
    return 0;
}
#else
static int regs_entry(pid_t tid, uint32_t *arch, uint64_t *nr, uint64_t a[6])
{
    errno = ENOSYS;
    return -1;
}

static int regs_exit(pid_t tid, int64_t *rval)
{
    errno = ENOSYS;
    return -1;
}
#endif

static int entry_info(pid_t tid, uint32_t *arch, uint64_t *nr, uint64_t a[6])
{
    if (!g_use_regs) {
        struct __ptrace_syscall_info si;
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, &si);
        if (n > 0 && si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
            *arch = si.arch;
            *nr = si.seccomp.nr;
            memcpy(a, si.seccomp.args, sizeof si.seccomp.args);
            return 0;
        }
        if (n >= 0 || errno != EIO)
            return -1;
        g_use_regs = true; /* EIO: the kernel does not know the request */
    }
    return regs_entry(tid, arch, nr, a);
}

static int exit_info(pid_t tid, int64_t *rval)
{
    if (!g_use_regs) {
        struct __ptrace_syscall_info si;
        long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, &si);
        if (n <= 0 || si.op != PTRACE_SYSCALL_INFO_EXIT)
            return -1;
        *rval = si.exit.rval;
        return 0;
    }
    return regs_exit(tid, rval);
}

/* ======================================================================================
 * Stops
 * ==================================================================================== */

static void resume(pid_t tid, int sig)
{
    ptrace(PTRACE_CONT, tid, 0, sig); /* ESRCH: killed meanwhile, its exit comes next */
}

static void on_seccomp(struct tracee *t)
{
    uint32_t arch;
    uint64_t nr, args[6];
    g_stats.seccomp_stops++;
    if (entry_info(t->tid, &arch, &nr, args) == 0) {
        /* Not ours (a tracee's own filter may return SECCOMP_RET_TRACE too): just go on. */
        const struct sc_def *d = sc_lookup(arch, nr);
        if (d && sc_enter(t, d, args)) {
            t->in_syscall = true;
            if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) == 0)
                return;
            t->in_syscall = false;
        }
        pending_clear(&t->pend);
    }
    resume(t->tid, 0);
}

/* The exit of the call on_seccomp let through: write its event before the thread goes on. */
static void on_syscall_exit(struct tracee *t)
{
    if (!t->in_syscall) {
        g_stats.other_stops++;
        resume(t->tid, 0);
        return;
    }
    g_stats.exit_stops++;
    t->in_syscall = false;
    int64_t rval;
    if (exit_info(t->tid, &rval) == 0)
        sc_exit(t, rval);
    else
        pending_clear(&t->pend);
    resume(t->tid, 0);
}

static void on_new_child(struct tracee *t)
{
    unsigned long child;
    g_stats.other_stops++;
    if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &child) == 0 && !tracee_find((pid_t)child))
        adopt((pid_t)child);
    resume(t->tid, 0);
}

/* Under no_new_privs (required for an unprivileged seccomp filter) and ptrace, set-uid and
 * set-gid bits are ignored: the program runs, but as the caller. Say so when it matters. */
static void check_setuid(struct tracee *t)
{
    struct stat st;
    if (proc_stat(t, "exe", &st) != 0)
        return;
    if ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
        (st.st_mode & S_ISGID && st.st_gid != getegid())) {
        char *path = proc_link(t, "exe");
        emit_warning(t, "setuid-unprivileged", path);
        free(path);
    }
}

/* A successful exec. When a non-leader thread execs, the kernel gives it the leader's tid;
 * the message says which tid it had. The old leader never reports its death. */
static void on_exec(struct tracee *t, pid_t tid)
{
    unsigned long former = (unsigned long)tid;
    g_stats.other_stops++;
    ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
    if ((pid_t)former != tid) {
        struct tracee *execer = tracee_find((pid_t)former);
        if (execer && execer != t) {
            tracee_drop(t);
            tracee_unlink(execer);
            execer->tid = tid;
            tracee_link(execer);
            t = execer;
        }
    }
    t->in_syscall = false;
    pending_clear(&t->pend);
    /* The new image may have other credentials, and a thread that took over the leader's tid
     * must not keep looking at its old /proc entry. */
    proc_dirs_close(t);
    t->proc->before_exec = false;
    g_stats.execs++;
    emit_header(t);
    check_setuid(t);
    resume(tid, 0);
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(pid_t tid, int status)
{
    struct tracee *t = tracee_find(tid);
    if (!t && !(t = adopt(tid))) {
        resume(tid, 0);
        return;
    }
    int sig = WSTOPSIG(status);
    switch ((unsigned)status >> 16) {
    case PTRACE_EVENT_SECCOMP:
        on_seccomp(t);
        return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
        on_new_child(t);
        return;
    case PTRACE_EVENT_EXEC:
        on_exec(t, tid);
        return;
    case PTRACE_EVENT_STOP:
        g_stats.other_stops++;
        /* A group-stop (SIGSTOP, ^Z) stays stopped until SIGCONT; anything else (a new
         * tracee's first stop) just goes on. */
        if (is_stop_signal(sig))
            ptrace(PTRACE_LISTEN, tid, 0, 0);
        else
            resume(tid, 0);
        return;
    case 0:
        if (sig == (SIGTRAP | 0x80)) {
            on_syscall_exit(t);
            return;
        }
        g_stats.other_stops++;
        resume(tid, sig); /* a signal for the program: deliver it */
        return;
    default:
        g_stats.other_stops++;
        resume(tid, 0);
    }
}

/* ======================================================================================
 * Waiting for the next stop
 *
 * Every stop is a round trip between two threads: the tracee stops and wakes the tracer, the
 * tracer resumes the tracee. Waking a thread whose CPU went idle costs an inter-processor
 * interrupt, and on a virtual machine whose host is busy waking an idle vCPU was measured at
 * 50+ us, several times the rest of the round trip. Polling for the next stop for a short
 * while instead of sleeping keeps the tracer's CPU awake, so the tracee's next stop needs no
 * wake-up: 115 -> 48 us per traced open on a 2-vCPU VM in that state. When wake-ups are cheap,
 * though, sleeping is better: the scheduler can then run tracer and tracee on one CPU, and
 * polling (which keeps a second CPU busy) was measured up to a third slower.
 *
 * So the tracer measures. While stops come densely (the last sleep was short), it times blocks
 * of stops sleeping and blocks polling, keeps a moving average of the time per stop of each,
 * uses the faster way and re-tries the other one block in sixteen. Sparse stops are always
 * waited for asleep: polling then costs CPU and saves nothing. ROAR_PTRACE_SPIN_US sets the
 * polling window (0: never poll).
 * ==================================================================================== */

#define SPIN_DEFAULT_US 40
#define DENSE_WAIT_US 300 /* a sleep shorter than this means stops come densely */
#define TUNE_BLOCK 128    /* stops per measured block */
#define TUNE_EXPLORE 16   /* one block in this many tries the way that looked slower */

static uint64_t g_spin_ns;

static struct {
    bool dense;           /* the last sleep was short */
    bool poll;            /* the way of the current block */
    bool block_dense;     /* every stop of the block came densely */
    unsigned n;           /* stops in the current block */
    unsigned blocks;
    uint64_t block_start;
    uint64_t ns_per_stop[2]; /* moving averages, [0] asleep, [1] polling; 0: not measured */
} g_tune;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void spin_init(void)
{
    const char *v = getenv("ROAR_PTRACE_SPIN_US");
    long us = v && *v ? strtol(v, NULL, 10) : SPIN_DEFAULT_US;
    g_spin_ns = us > 0 ? (uint64_t)us * 1000 : 0;
    g_tune.block_dense = true;
}

/* One more stop arrived: close the block when it is full and pick the next block's way. */
static void tune_count(void)
{
    if (++g_tune.n < TUNE_BLOCK)
        return;
    uint64_t now = mono_ns();
    if (g_tune.block_dense && g_tune.block_start) {
        uint64_t per = (now - g_tune.block_start) / TUNE_BLOCK;
        uint64_t *avg = &g_tune.ns_per_stop[g_tune.poll];
        *avg = *avg ? (*avg * 3 + per) / 4 : per;
    }
    uint64_t *avg = g_tune.ns_per_stop;
    bool better = avg[1] && (!avg[0] || avg[1] < avg[0]); /* polling looks faster */
    if (!avg[0] || !avg[1])
        g_tune.poll = !avg[1]; /* measure the way not measured yet */
    else
        g_tune.poll = ++g_tune.blocks % TUNE_EXPLORE == 0 ? !better : better;
    g_tune.n = 0;
    g_tune.block_start = now;
    g_tune.block_dense = true;
}

static pid_t wait_next(int *status)
{
    pid_t tid = 0;
    if (g_spin_ns && g_tune.dense && g_tune.poll) {
        uint64_t until = mono_ns() + g_spin_ns;
        do
            tid = waitpid(-1, status, __WALL | WNOHANG);
        while (tid == 0 && mono_ns() < until);
    }
    if (tid == 0) {
        uint64_t start = mono_ns();
        tid = waitpid(-1, status, __WALL);
        g_tune.dense = mono_ns() - start < DENSE_WAIT_US * 1000ULL;
        g_tune.block_dense &= g_tune.dense;
    }
    if (g_spin_ns && tid > 0)
        tune_count();
    return tid;
}

/* ======================================================================================
 * The loop
 * ==================================================================================== */

void loop_run(pid_t root, void (*on_root_exit)(int status))
{
    const char *force = getenv("ROAR_PTRACE_FORCE_GETREGS");
    g_use_regs = force && *force == '1';
    struct proc *rp = proc_new(root);
    if (!rp || !tracee_new(root, rp))
        return;
    rp->before_exec = true;
    spin_init();
    bool root_done = false;
    for (;;) {
        int status;
        pid_t tid = wait_next(&status);
        if (tid < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: nothing left to trace */
        }
        if (WIFSTOPPED(status)) {
            on_stop(tid, status);
            continue;
        }
        struct tracee *t = tracee_find(tid);
        if (t)
            tracee_drop(t);
        if (tid == root && !root_done) {
            root_done = true;
            on_root_exit(status);
        }
    }
}
