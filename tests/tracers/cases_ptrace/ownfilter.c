/* Case 26: a tracee that installs its own seccomp filter. Usage: ownfilter MODE DIR
 *   deny     : mkdir/mkdirat fail with EACCES, getppid returns SECCOMP_RET_TRACE (which without
 *              a tracer would fail with ENOSYS); everything else is allowed
 *   listener : a filter created with SECCOMP_FILTER_FLAG_NEW_LISTENER (allows everything) */
#include "check.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static int install(struct sock_filter *f, unsigned short n, unsigned long flags)
{
    struct sock_fprog prog = {n, f};
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 && chdir(argv[2]) == 0);
    if (strcmp(argv[1], "deny") == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdir, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mkdirat, 1, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 2, 3),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        CHECK(install(f, sizeof f / sizeof f[0], 0) == 0);
        FAILS(mkdir("denied", 0755), EACCES);
        long ppid = syscall(SYS_getppid);
        printf("getppid=%ld\n", ppid > 0 ? 1L : ppid);
        close_fd(open("allowed.txt", O_WRONLY | O_CREAT, 0644));
    } else if (strcmp(argv[1], "listener") == 0) {
        struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        int fd = install(f, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        CHECK(fd >= 0);
        close_fd(fd);
        close_fd(open("after_listener.txt", O_WRONLY | O_CREAT, 0644));
    } else {
        return 2;
    }
    return 0;
}
