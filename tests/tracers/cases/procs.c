/* Cases 14 and 23: fork, vfork, posix_spawn(p), a double fork whose grandchild outlives us,
 * and a vfork child exec'ing a static binary with an empty environment.
 * Usage: procs DIR STATIC_BINARY. Prints "name=pid" lines. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

extern char **environ;

static void wait_ok(pid_t pid)
{
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void touch(const char *name)
{
    int fd = open(name, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 && chdir(argv[1]) == 0);
    setvbuf(stdout, NULL, _IONBF, 0);
    touch("parent_before.txt");

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        touch("fork_child.txt");
        _exit(0);
    }
    printf("fork=%d\n", pid);
    wait_ok(pid);

    char *cat_in[] = {"cat", "in.txt", NULL};
    pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve("/bin/cat", cat_in, environ);
        _exit(97);
    }
    printf("vfork=%d\n", pid);
    wait_ok(pid);

    char *cat_in2[] = {"cat", "in2.txt", NULL};
    CHECK(posix_spawn(&pid, "/bin/cat", NULL, NULL, cat_in2, environ) == 0);
    printf("spawn=%d\n", pid);
    wait_ok(pid);

    char *cat_in3[] = {"cat", "in3.txt", NULL};
    char *empty_env[] = {NULL};
    CHECK(posix_spawnp(&pid, "cat", NULL, NULL, cat_in3, empty_env) == 0);
    printf("spawnp=%d\n", pid);
    wait_ok(pid);

    /* vfork + exec of a static program with no environment at all: the shim writes the W line
     * from inside the vfork child and must leave the parent's state alone. */
    char *bb[] = {argv[2], "true", NULL};
    pid = vfork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve(argv[2], bb, empty_env);
        _exit(97);
    }
    printf("vfork_static=%d\n", pid);
    wait_ok(pid);

    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(pipefd[0]);
            usleep(200 * 1000); /* outlive the middle process (and maybe the root) */
            touch("orphan.txt");
            _exit(0);
        }
        dprintf(pipefd[1], "%d", grandchild);
        _exit(0);
    }
    close(pipefd[1]);
    char buf[32] = {0};
    CHECK(read(pipefd[0], buf, sizeof buf - 1) > 0);
    printf("middle=%d\ngrandchild=%s\n", pid, buf);
    wait_ok(pid);

    touch("parent_after.txt");
    return 0;
}
