/* roar_ptrace.h - the seccomp + ptrace backend of roar: shared declarations.
 *
 * Process layout of one run (see main.c for the why):
 *
 *     roar-ptrace (the "front": the process the caller waits for; forwards signals, exits
 *      |           with the traced program's status)
 *      +-- tracer  (ptraces everything, writes the spool; outlives the front while processes
 *           |       the program left behind are still running)
 *           +-- PROGRAM (the traced root) and all its descendants
 *
 * Modules: main.c (CLI, front, exit status), launch.c (starting the root under the filter),
 * filter.c (the seccomp program and the syscall table), loop.c (the wait loop: stops, forks,
 * execs, exits), syscalls.c (what each traced syscall means), remote.c (reading tracee memory
 * and /proc), spool.c (the spool files and their lines, tracers/SPOOL.md), pool.c (spool files
 * created ahead of need by a helper thread), text.c (line building, escaping, normalising).
 */
#ifndef ROAR_PTRACE_H
#define ROAR_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Exit statuses of roar-ptrace itself (the same convention as env(1) and timeout(1)). */
#define EXIT_TRACER_FAILED 125 /* usage, spool directory, ptrace or seccomp not permitted */
#define EXIT_CANNOT_EXEC 126   /* PROGRAM found but could not be executed */
#define EXIT_NOT_FOUND 127     /* PROGRAM not found */

/* ---- the syscall table (filter.c) ---- */

enum sc_kind {
    SC_OPEN,      /* open(path, flags)                     */
    SC_OPENAT,    /* openat(dirfd, path, flags)            */
    SC_OPENAT2,   /* openat2(dirfd, path, how, size)       */
    SC_CREAT,     /* creat(path, mode)                     */
    SC_RENAME,    /* rename(old, new)                      */
    SC_RENAMEAT,  /* renameat(od, old, nd, new)            */
    SC_RENAMEAT2, /* renameat2(od, old, nd, new, flags)    */
    SC_LINK,      /* link(old, new)                        */
    SC_LINKAT,    /* linkat(od, old, nd, new, flags)       */
    SC_UNLINK,    /* unlink(path), rmdir(path)             */
    SC_UNLINKAT,  /* unlinkat(dirfd, path, flags)          */
    SC_MKDIR,     /* mkdir(path, mode)                     */
    SC_MKDIRAT,   /* mkdirat(dirfd, path, mode)            */
    SC_TRUNCATE,  /* truncate(path, length), truncate64    */
    SC_OPEN_BY_HANDLE, /* open_by_handle_at(mountfd, handle, flags): no name given */
    SC_PTRACE,    /* ptrace(request, ...): nested tracing  */
    SC_SECCOMP,   /* seccomp(op, flags, prog)              */
    SC_IO_URING,  /* io_uring_setup(entries, params)       */
};

struct sc_def {
    const char *name;
    enum sc_kind kind;
    int nr_x86_64; /* -1: none on this ABI */
    int nr_i386;
};

/* The syscall a seccomp stop is about, or NULL if it is not one of ours. */
const struct sc_def *sc_lookup(uint32_t arch, uint64_t nr);

/* Install the filter in the calling process (needs no_new_privs or CAP_SYS_ADMIN).
 * 0, or -1 with errno set. */
int filter_install(void);

/* ---- processes and threads (loop.c) ---- */

struct proc {              /* a traced process (thread group) */
    pid_t pid;
    int spool_fd;          /* -1 until its first event; closed when the process is gone */
    int open_slot;         /* its place in spool.c's list of open spool descriptors */
    int threads;           /* tracee records pointing here */
    bool announced;        /* an H line was written for the current image */
    bool before_exec;      /* the root before its first exec: still roar-ptrace's own image */
    struct proc *next;     /* hash chain */
};

/* What a syscall-entry stop learned, kept for the syscall-exit stop. Paths are absolute and
 * lexically normalised (malloc'd); NULL where the event has no such field. */
struct pending {
    char event;            /* the spool kind to write on success (O R L U T K), or a
                              W line: 'P' nested ptrace, 'S' seccomp listener, 'I' io_uring */
    uint64_t flags;        /* open flags, renameat2 flags */
    char *path1;           /* NULL for an open by handle: the kernel's name is used */
    char *path2;
    bool anonymous_old;    /* linkat of a descriptor: OLD is "-" */
    const char *error;     /* why a path could not be resolved (reported only on success) */
};

struct tracee {            /* a traced thread */
    pid_t tid;
    struct proc *proc;
    bool in_syscall;       /* restarted with PTRACE_SYSCALL: the next stop is the exit */
    int proc_dir;          /* /proc/<tid> and /proc/<tid>/fd, opened when first needed */
    int proc_fd_dir;
    struct pending pend;
    struct tracee *next;   /* hash chain */
};

struct stats {
    uint64_t seccomp_stops;
    uint64_t exit_stops;
    uint64_t other_stops;
    uint64_t events;
    uint64_t processes;
    uint64_t threads;
    uint64_t execs;
    uint64_t spool_errors;
};
extern struct stats g_stats;

/* Run the wait loop until no tracee is left. `root` is already seized; on_root_exit is called
 * once, with the root's wait status, as soon as the root is gone. */
void loop_run(pid_t root, void (*on_root_exit)(int status));

/* ---- syscalls (syscalls.c) ---- */

/* A seccomp stop: decode the arguments, resolve paths. True if the exit must be seen. */
bool sc_enter(struct tracee *t, const struct sc_def *d, const uint64_t args[6]);
/* The matching syscall-exit stop, with the return value. Writes the event, if any. */
void sc_exit(struct tracee *t, int64_t rval);
void pending_clear(struct pending *p);

/* ---- reading the tracee (remote.c) ---- */

/* The NUL-terminated string at addr, into buf (cap bytes); its length or -1. */
ssize_t remote_string(pid_t tid, uint64_t addr, char *buf, size_t cap);
/* len bytes at addr; 0 or -1. */
int remote_read(pid_t tid, uint64_t addr, void *buf, size_t len);
/* readlink("/proc/<tid>/<what>") malloc'd, or NULL (errno set). Directories whose name is
 * longer than the kernel will print (ENAMETOOLONG) are named by walking "..". */
char *proc_link(struct tracee *t, const char *what);
/* stat("/proc/<tid>/<what>"): the file a magic link such as "fd/3" or "exe" leads to. */
int proc_stat(struct tracee *t, const char *what, struct stat *st);
/* Close the /proc descriptors kept for t (its exit or exec). */
void proc_dirs_close(struct tracee *t);
/* The absolute, lexically normalised form of `name` relative to dirfd (AT_FDCWD: the cwd) of
 * thread tid, malloc'd; NULL with *why set when the base cannot be named. */
char *resolve_at(struct tracee *t, int dirfd, const char *name, const char **why);
/* Tgid and PPid of thread tid (through t's /proc directory when t is not NULL) from
 * /proc/<tid>/status; 0 or -1. */
int proc_ids(struct tracee *t, pid_t tid, pid_t *tgid, pid_t *ppid);

/* ---- spool files made ahead of need (pool.c) ---- */

void pool_start(int dirfd);
int pool_take(const char *name);
void pool_stop(void);

/* ---- the spool (spool.c) ---- */

int spool_init(const char *dir);
void spool_start_pool(void);
void spool_close_all(void);
void spool_forget(struct proc *p);
/* Events of thread t (the process's H line is written first if it has none yet). */
void emit_header(struct tracee *t);
void emit_open(struct tracee *t, uint64_t flags, int fd, const char *path);
void emit_paths(struct tracee *t, char kind, const uint64_t *flags, const char *p1,
                const char *p2);
void emit_warning(struct tracee *t, const char *code, const char *path);
void stats_write(const char *path);

/* ---- main.c and launch.c ---- */

struct options {
    const char *spool;     /* absolute spool directory */
    char **argv;           /* PROGRAM and its arguments */
    const char *stats;     /* ROAR_PTRACE_STATS: where to write the counters, or NULL */
};

/* What the tracer tells the front, over a pipe. */
enum msg_kind { MSG_STARTED = 1, MSG_EXITED, MSG_FAILED };
struct msg {
    int kind;
    int value;             /* STARTED: the root's pid; EXITED: its wait status; FAILED: the
                              exit status to use (the tracer has said why on stderr) */
};

/* The tracer process: start the program under ptrace and trace until nothing is left.
 * `report` is the pipe to the front. Returns the tracer's own exit status. */
int tracer_main(const struct options *o, int report, pid_t front);

/* One sentence for the user on stderr, prefixed with "roar-ptrace: ". */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* ROAR_PTRACE_H */
