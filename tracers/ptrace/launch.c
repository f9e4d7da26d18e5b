/* launch.c - the tracer process: starts the program under ptrace and the seccomp filter, then
 * runs the wait loop until no traced process is left.
 *
 * Order matters:
 *  1. fork the root; it waits on a pipe before doing anything;
 *  2. PTRACE_SEIZE it with every option set, so nothing it does later escapes: a failure here
 *     (EPERM in a container, or roar-ptrace itself already under a debugger) is reported
 *     before the program has run at all;
 *  3. let it go: it sets no_new_privs, installs the filter and execs PROGRAM. The exec is the
 *     first stop the tracer sees (PTRACE_EVENT_EXEC), and the first H line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "roar_ptrace.h"

#define TRACE_OPTIONS                                                                            \
    (PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |                       \
     PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)

static int g_report = -1;          /* pipe to the front; closed once the root has exited */
static const char *g_stats_path;

static void send_msg(int fd, int kind, int value)
{
    struct msg m = {kind, value};
    ssize_t n;
    do
        n = write(fd, &m, sizeof m);
    while (n < 0 && errno == EINTR);
}

/* ---- the root, between fork and exec ---- */

static _Noreturn void root_main(const struct options *o, int go)
{
    char c;
    ssize_t n;
    do
        n = read(go, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(EXIT_TRACER_FAILED); /* the tracer could not attach, and has said why */
    close(go);
    /* Without CAP_SYS_ADMIN a filter needs no_new_privs; set it always, so that a set-uid
     * program behaves the same whoever runs roar-ptrace (see "Known limits" in SPOOL.md). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || filter_install() != 0) {
        say("cannot install the seccomp filter (%s): the kernel lacks seccomp filtering or a "
            "sandbox forbids it",
            strerror(errno));
        _exit(EXIT_TRACER_FAILED);
    }
    execvp(o->argv[0], o->argv);
    int err = errno;
    say("cannot run %s: %s", o->argv[0], strerror(err));
    _exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* ---- attaching ---- */

static pid_t tracer_of(pid_t pid)
{
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    const char *p = strstr(text, "\nTracerPid:");
    return p ? (pid_t)strtol(p + 11, NULL, 10) : 0;
}

static void explain_attach_failure(pid_t root, int err, const char *program)
{
    pid_t other = tracer_of(root);
    if (other > 0)
        say("cannot trace %s: it is already being traced by process %d (a debugger or "
            "strace); run roar-ptrace outside of it",
            program, (int)other);
    else if (err == EPERM || err == EACCES)
        say("cannot trace %s: ptrace is not permitted here (%s); a container or security "
            "policy (seccomp profile, kernel.yama.ptrace_scope, no CAP_SYS_PTRACE) forbids it",
            program, strerror(err));
    else
        say("cannot trace %s: ptrace failed (%s)", program, strerror(err));
}

/* ---- the tracer once the program runs ---- */

/* The tracer must not be stopped or killed by what is meant for the program: it leaves the
 * caller's session (no ^C, ^Z or hangup reaches it) and lets go of the caller's terminal and
 * pipes, so that whoever reads the program's output sees EOF when the program is done, even
 * if the tracer stays for processes the program left behind. */
static void step_aside(void)
{
    setsid();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    /* One spool descriptor per live process: allow as many as the hard limit lets us. The
     * program was forked before this, so it keeps the caller's limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The root is gone: report its status so the front exits with it. From now on the tracer is
 * on its own (the front may exit), so it must no longer die with the front. */
static void on_root_exit(int status)
{
    pool_stop(); /* leave the spool directory clean for whoever reads it now */
    stats_write(g_stats_path);
    prctl(PR_SET_PDEATHSIG, 0);
    send_msg(g_report, MSG_EXITED, status);
    close(g_report);
    g_report = -1;
}

int tracer_main(const struct options *o, int report, pid_t front)
{
    /* If the front is killed (SIGKILL from the daemon), the tracer dies, and with it
     * (PTRACE_O_EXITKILL) every traced process. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != front)
        return EXIT_TRACER_FAILED;
    g_report = report;
    g_stats_path = o->stats;
    if (spool_init(o->spool) != 0) {
        say("cannot open the spool directory %s: %s", o->spool, strerror(errno));
        send_msg(report, MSG_FAILED, EXIT_TRACER_FAILED);
        return EXIT_TRACER_FAILED;
    }
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) {
        say("cannot create a pipe: %s", strerror(errno));
        send_msg(report, MSG_FAILED, EXIT_TRACER_FAILED);
        return EXIT_TRACER_FAILED;
    }
    pid_t root = fork();
    if (root < 0) {
        say("cannot fork: %s", strerror(errno));
        send_msg(report, MSG_FAILED, EXIT_TRACER_FAILED);
        return EXIT_TRACER_FAILED;
    }
    if (root == 0) {
        close(go[1]);
        close(report);
        root_main(o, go[0]);
    }
    close(go[0]);
    if (ptrace(PTRACE_SEIZE, root, 0, TRACE_OPTIONS) != 0) {
        explain_attach_failure(root, errno, o->argv[0]);
        close(go[1]); /* the root sees EOF and exits quietly */
        waitpid(root, NULL, 0);
        send_msg(report, MSG_FAILED, EXIT_TRACER_FAILED);
        return EXIT_TRACER_FAILED;
    }
    send_msg(report, MSG_STARTED, root);
    if (write(go[1], "g", 1) != 1) {
        kill(root, SIGKILL);
    }
    close(go[1]);
    step_aside();
    spool_start_pool();
    loop_run(root, on_root_exit);
    pool_stop();
    stats_write(g_stats_path);
    return 0;
}
