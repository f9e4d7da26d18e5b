/* Processes, threads and exec under the ptrace backend (CAPTURE_CASES 12, 14, 15, 25-27).
 * Usage: procs MODE DIR [ARG]. Prints "name=pid" lines the test matches with the spool. */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

static void wait_ok(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- case 14: fork, vfork + exec, posix_spawn, a double fork that outlives the root ---- */

static void processes(void)
{
    close_fd(open("parent_before.txt", O_WRONLY | O_CREAT, 0644));
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close_fd(open("fork_child.txt", O_WRONLY | O_CREAT, 0644));
        _exit(0);
    }
    printf("fork=%d\n", pid);
    wait_ok(pid);

    char *cat_in[] = {"cat", "in.txt", NULL};
    pid = vfork();
    if (pid == 0) {
        execve("/bin/cat", cat_in, environ);
        _exit(127);
    }
    printf("vfork=%d\n", pid);
    wait_ok(pid);

    char *cat_in2[] = {"cat", "in2.txt", NULL};
    CHECK(posix_spawnp(&pid, "cat", NULL, NULL, cat_in2, environ) == 0);
    printf("spawn=%d\n", pid);
    wait_ok(pid);

    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid = fork();
    if (pid == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) { /* a daemon: outlives the root, writes after it has exited */
            close(pipefd[0]);
            dprintf(pipefd[1], "%d\n", getpid());
            close(pipefd[1]);
            int null = open("/dev/null", O_RDWR);
            CHECK(null >= 0 && dup2(null, 1) == 1 && dup2(null, 2) == 2);
            usleep(1000 * 1000);
            close_fd(open("orphan.txt", O_WRONLY | O_CREAT, 0644));
            _exit(0);
        }
        _exit(0);
    }
    close(pipefd[1]);
    char buf[32] = {0};
    CHECK(read(pipefd[0], buf, sizeof buf - 1) > 0);
    printf("middle=%d\ngrandchild=%s", pid, buf);
    wait_ok(pid);
    close_fd(open("parent_after.txt", O_WRONLY | O_CREAT, 0644));
}

/* ---- case 15: many threads opening at once ---- */

static void *opener(void *arg)
{
    char name[32];
    snprintf(name, sizeof name, "t%ld.txt", (long)(intptr_t)arg);
    close_fd(open(name, O_WRONLY | O_CREAT, 0644));
    return NULL;
}

static void threads(int n)
{
    pthread_t t[256];
    CHECK(n <= 256);
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, opener, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* ---- threads whose traced calls overlap: the tracer decodes a call's arguments while the
 * kernel runs it, so every thread's events must still name its own files, and failed calls
 * (missing file, O_EXCL on an existing one, a bad name pointer) must leave nothing ---- */

#define RACE_ROUNDS 200

static void *racer(void *arg)
{
    long id = (long)(intptr_t)arg;
    char dir[32], name[32];
    snprintf(dir, sizeof dir, "r%ld", id);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    for (int i = 0; i < RACE_ROUNDS; i++) {
        snprintf(name, sizeof name, "f%d.txt", i);
        close_fd(openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644));
        FAILS(openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
        snprintf(name, sizeof name, "missing%d.txt", i);
        FAILS(openat(dfd, name, O_RDONLY), ENOENT);
        FAILS(syscall(SYS_openat, dfd, (char *)8, O_RDONLY), EFAULT);
        snprintf(name, sizeof name, "r%ld/f%d.txt", id, i);
        close_fd(open(name, O_RDONLY)); /* relative to the cwd */
    }
    close_fd(dfd);
    return NULL;
}

static void racing(int n)
{
    pthread_t t[64];
    char dir[32];
    CHECK(n <= 64);
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof dir, "r%d", i);
        CHECK(mkdir(dir, 0755) == 0);
    }
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, racer, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* ---- case 27: a burst of forks and threads; new tracees' first stops race their parents'
 * fork events ---- */

static void storm(int n)
{
    pid_t pids[256];
    CHECK(n <= 256);
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        CHECK(pids[i] >= 0);
        if (pids[i] == 0) {
            threads(2); /* t0.txt, t1.txt from threads of the child, then its own file */
            char name[32];
            snprintf(name, sizeof name, "p%d.txt", i);
            close_fd(open(name, O_WRONLY | O_CREAT, 0644));
            _exit(0);
        }
    }
    for (int i = 0; i < n; i++)
        wait_ok(pids[i]);
}

/* ---- case 12/27: exec from a thread that is not the leader ---- */

static void *exec_thread(void *arg)
{
    char **argv = arg;
    execv(argv[0], argv);
    _exit(127);
}

static void thread_exec(void)
{
    close_fd(open("before_exec.txt", O_WRONLY | O_CREAT, 0644));
    printf("leader=%d\n", getpid());
    fflush(stdout);
    static char *argv[] = {"/bin/cat", "in.txt", NULL};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, exec_thread, argv) == 0);
    pthread_join(t, NULL); /* never returns: the exec replaces the whole process */
    _exit(1);
}

/* ---- case 26: a tracee that tries to be traced ---- */

static void traceme(void)
{
    long r = syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    printf("traceme=%ld errno=%d\n", r, r < 0 ? errno : 0);
    close_fd(open("after.txt", O_WRONLY | O_CREAT, 0644));
}

/* ---- case 25: untraced syscalls in a loop ---- */

static void spin(long n)
{
    struct stat st;
    for (long i = 0; i < n; i++) {
        CHECK(syscall(SYS_getpid) > 0);
        CHECK(stat(".", &st) == 0);
    }
    close_fd(open("done.txt", O_WRONLY | O_CREAT, 0644));
}

/* ---- exit statuses and signals ---- */

static volatile sig_atomic_t g_term;

static void on_term(int sig)
{
    (void)sig;
    g_term = 1;
}

static void wait_for_term(void)
{
    /* SIGTERM stays blocked except inside sigsuspend: no window between the test of g_term
     * and the wait in which the signal could be lost. */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    signal(SIGTERM, on_term);
    printf("ready\n");
    fflush(stdout);
    while (!g_term)
        sigsuspend(&old);
    close_fd(open("got_term.txt", O_WRONLY | O_CREAT, 0644));
    exit(7);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 3);
    const char *mode = argv[1];
    CHECK(chdir(argv[2]) == 0);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "processes") == 0)
        processes();
    else if (strcmp(mode, "threads") == 0)
        threads(atoi(argv[3]));
    else if (strcmp(mode, "racing") == 0)
        racing(atoi(argv[3]));
    else if (strcmp(mode, "storm") == 0)
        storm(atoi(argv[3]));
    else if (strcmp(mode, "thread_exec") == 0)
        thread_exec();
    else if (strcmp(mode, "traceme") == 0)
        traceme();
    else if (strcmp(mode, "spin") == 0)
        spin(atol(argv[3]));
    else if (strcmp(mode, "term") == 0)
        wait_for_term();
    else if (strcmp(mode, "exit") == 0)
        return atoi(argv[3]);
    else if (strcmp(mode, "kill") == 0) {
        close_fd(open("before_kill.txt", O_WRONLY | O_CREAT, 0644));
        raise(atoi(argv[3]));
    } else
        return 2;
    return 0;
}
