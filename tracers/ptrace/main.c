/* main.c - roar-ptrace: run a program under the seccomp + ptrace tracer of roar.
 *
 *     roar-ptrace [--spool DIR] [--] PROGRAM [ARGS...]
 *
 * DIR defaults to $ROAR_SPOOL_DIR. Exit status: PROGRAM's; if PROGRAM was killed by signal N,
 * roar-ptrace kills itself with N (so the caller sees the same wait status); 125 when
 * roar-ptrace itself fails (usage, spool directory, ptrace or seccomp not permitted), 126 when
 * PROGRAM cannot be executed, 127 when it is not found. $ROAR_PTRACE_STATS=PATH writes the
 * tracer's counters (stops, events) there as JSON when the program exits;
 * $ROAR_PTRACE_SPIN_US sets how long the tracer polls for the next stop (loop.c; 0: never).
 *
 * Why two processes (the "front" here and the tracer, see roar_ptrace.h): the caller waits for
 * the front, which exits as soon as PROGRAM exits, with its status. Processes PROGRAM left
 * running (a daemon it started) must keep being traced: the seccomp filter stays on them, and
 * without a tracer every traced syscall would fail with ENOSYS. So the tracer stays with them
 * until they are done, out of the caller's way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/roar_exit.h"
#include "roar_ptrace.h"

void say(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    dprintf(2, "roar-ptrace: %s.\n", buf);
}

static void usage(FILE *f)
{
    fputs("usage: roar-ptrace [--spool DIR] [--] PROGRAM [ARGS...]\n"
          "Runs PROGRAM under seccomp + ptrace and writes what it does to files, renames,\n"
          "links, deletions and directories into DIR (default: $ROAR_SPOOL_DIR) in the format\n"
          "of tracers/SPOOL.md. Exits with PROGRAM's status; 125 if tracing is impossible.\n",
          f);
}

/* ---- arguments ---- */

static int parse_args(int argc, char **argv, struct options *o)
{
    int i = 1;
    o->spool = getenv("ROAR_SPOOL_DIR");
    o->stats = getenv("ROAR_PTRACE_STATS");
    while (i < argc) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--spool") == 0) {
            if (i + 1 >= argc) {
                say("--spool needs a directory");
                return -1;
            }
            o->spool = argv[i + 1];
            i += 2;
            continue;
        }
        if (strncmp(a, "--spool=", 8) == 0) {
            o->spool = a + 8;
            i++;
            continue;
        }
        if (a[0] == '-') {
            say("unknown option %s (try --help)", a);
            return -1;
        }
        break;
    }
    if (i >= argc) {
        say("no program to run (usage: roar-ptrace [--spool DIR] [--] PROGRAM [ARGS...])");
        return -1;
    }
    o->argv = argv + i;
    return 0;
}

/* The spool directory as an absolute path, created if only its last component is missing. */
static const char *spool_directory(const char *dir)
{
    static char abs[PATH_MAX];
    if (!dir || !*dir) {
        say("no spool directory: pass --spool DIR or set ROAR_SPOOL_DIR");
        return NULL;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        say("cannot create the spool directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (!realpath(dir, abs)) {
        say("cannot use the spool directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (access(abs, W_OK | X_OK) != 0) {
        say("cannot write to the spool directory %s: %s", abs, strerror(errno));
        return NULL;
    }
    return abs;
}

/* ---- the front ---- */

static volatile sig_atomic_t g_root;        /* the traced program, once started */
static volatile sig_atomic_t g_pending_sig; /* a signal that came before it started */

/* SIGINT/SIGTERM/SIGHUP sent to roar-ptrace go to the program. Those the terminal generated
 * (^C, hangup: si_code SI_KERNEL) already reached the program, which is in the same process
 * group: forwarding them would deliver them twice. */
static void forward(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (info && info->si_code == SI_KERNEL)
        return;
    if (g_root > 0)
        kill((pid_t)g_root, sig);
    else
        g_pending_sig = sig;
}

static void install_forwarding(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int read_msg(int fd, struct msg *m)
{
    size_t got = 0;
    while (got < sizeof *m) {
        ssize_t n = read(fd, (char *)m + got, sizeof *m - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static int run_front(const struct options *o)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        say("cannot create a pipe: %s", strerror(errno));
        return EXIT_TRACER_FAILED;
    }
    pid_t front = getpid();
    pid_t tracer = fork();
    if (tracer < 0) {
        say("cannot fork: %s", strerror(errno));
        return EXIT_TRACER_FAILED;
    }
    if (tracer == 0) {
        close(pipefd[0]);
        _exit(tracer_main(o, pipefd[1], front));
    }
    close(pipefd[1]);
    install_forwarding();
    struct msg m;
    while (read_msg(pipefd[0], &m) == 0) {
        if (m.kind == MSG_STARTED) {
            g_root = m.value;
            if (g_pending_sig)
                kill(m.value, g_pending_sig);
        } else if (m.kind == MSG_EXITED) {
            exit_like(m.value);
        } else if (m.kind == MSG_FAILED) {
            waitpid(tracer, NULL, 0);
            return m.value;
        }
    }
    say("the tracer process died unexpectedly");
    return EXIT_TRACER_FAILED;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_args(argc, argv, &o) != 0)
        return EXIT_TRACER_FAILED;
    o.spool = spool_directory(o.spool);
    if (!o.spool)
        return EXIT_TRACER_FAILED;
    return run_front(&o);
}
