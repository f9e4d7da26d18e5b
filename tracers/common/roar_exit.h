/* Leaving the way the traced program did, shared by the tracers that run a program as their
 * child (roar-ptrace, roar-ebpf). */
#ifndef ROAR_EXIT_H
#define ROAR_EXIT_H

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The same exit code, or death by the same signal (without a core file of our own). Should the
 * signal not kill us, 128 + N, as a shell would report. */
static inline _Noreturn void exit_like(int status)
{
    if (WIFEXITED(status))
        exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    exit(128 + sig);
}

#endif
