/* Case 24: re-entrancy.
 *   reentry signal DIR  -- a SIGALRM handler opens and appends to sig.txt while the main thread
 *                          loops over opens; prints the handler's count.
 *   reentry fork DIR    -- threads keep opening files while the main thread forks children that
 *                          open a file each (no locks may be held across fork). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    int fd = open("sig.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        (void)!write(fd, "s", 1);
        close(fd);
        handled++;
    }
    errno = saved;
}

static int signal_case(void)
{
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct itimerval it = {{0, 200}, {0, 200}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    char name[32];
    for (int i = 0; i < 20000 || handled < 20; i++) {
        snprintf(name, sizeof name, "m%d.txt", i % 200);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    printf("%d\n", (int)handled);
    return 0;
}

static volatile int stop;

static void *busy(void *arg)
{
    char name[32];
    for (int i = 0; !stop; i++) {
        snprintf(name, sizeof name, "busy%ld_%d.txt", (long)arg, i % 20);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static int fork_case(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, busy, (void *)i) == 0);
    alarm(30); /* a deadlocked child would hang the test: fail instead */
    for (int k = 0; k < 50; k++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char name[32];
            snprintf(name, sizeof name, "child%d.txt", k);
            int fd = open(name, O_WRONLY | O_CREAT, 0644);
            _exit(fd >= 0 ? 0 : 1);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 && chdir(argv[2]) == 0);
    if (strcmp(argv[1], "signal") == 0)
        return signal_case();
    return fork_case();
}
