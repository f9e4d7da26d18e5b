/* The mapped spool: enough opens that a process copies its lines into a file mapping.
 * Usage: mapped MODE DIR N
 *   open     create then read N files DIR/m<i>.txt (absolute names), print "done"
 *   kill     the same, then SIGKILL itself (nothing flushed, no exit handlers)
 *   threads  8 threads, each creating and reading N files DIR/t<k>_<i>.txt
 *   fork     open N files, then a forked child opens N files DIR/c<i>.txt while the parent
 *            opens N more DIR/p<i>.txt; prints the child's pid
 *   _fork    the same with _Fork, which runs no fork handlers
 *   reread   read the existing files DIR/r<i>.txt twice over
 *   alloc    like open, then malloc ROAR_TEST_MIB MiB (the address space left to the program) */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

static const char *dir;
static int n;

static void touch_and_read(const char *prefix, int count)
{
    char name[4096];
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s/%s%d.txt", dir, prefix, i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, prefix, 1) == 1);
        CHECK(close(fd) == 0);
        fd = open(name, O_RDONLY);
        CHECK(fd >= 0);
        CHECK(close(fd) == 0);
    }
}

static void *worker(void *arg)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "t%ld_", (long)arg);
    touch_and_read(prefix, n);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 4);
    const char *mode = argv[1];
    dir = argv[2];
    n = atoi(argv[3]);
    if (strcmp(mode, "open") == 0 || strcmp(mode, "kill") == 0) {
        touch_and_read("m", n);
        if (mode[0] == 'k') {
            raise(SIGKILL);
            return 98;
        }
    } else if (strcmp(mode, "threads") == 0) {
        pthread_t t[8];
        for (long k = 0; k < 8; k++)
            CHECK(pthread_create(&t[k], NULL, worker, (void *)k) == 0);
        for (int k = 0; k < 8; k++)
            CHECK(pthread_join(t[k], NULL) == 0);
    } else if (strcmp(mode, "fork") == 0 || strcmp(mode, "_fork") == 0) {
        touch_and_read("m", n);
        pid_t child = mode[0] == '_' ? _Fork() : fork();
        CHECK(child >= 0);
        if (child == 0) {
            touch_and_read("c", n);
            _exit(0);
        }
        touch_and_read("p", n);
        int st;
        CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        printf("%d\n", (int)child);
    } else if (strcmp(mode, "alloc") == 0) {
        touch_and_read("m", n);
        size_t mib = (size_t)atol(getenv("ROAR_TEST_MIB"));
        char *big = malloc(mib << 20);
        CHECK(big != NULL);
        free(big);
    } else if (strcmp(mode, "reread") == 0) {
        char name[4096];
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++) {
                snprintf(name, sizeof name, "%s/r%d.txt", dir, i);
                int fd = open(name, O_RDONLY);
                CHECK(fd >= 0);
                CHECK(close(fd) == 0);
            }
    } else {
        return 2;
    }
    puts("done");
    return 0;
}
