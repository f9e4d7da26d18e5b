/* Case 15: many threads opening files at once; a read in one thread, a write in another.
 * Usage: threads DIR NTHREADS NFILES */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include "common.h"

static int nfiles;

static void *worker(void *arg)
{
    long id = (long)arg;
    char name[64];
    for (int j = 0; j < nfiles; j++) {
        snprintf(name, sizeof name, "t%ld_%d.txt", id, j);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, name, 3) == 3);
        close(fd);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char buf[16];
    int fd = open("in.txt", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf) > 0);
    close(fd);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    int fd = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "out", 3) == 3);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 4 && chdir(argv[1]) == 0);
    int n = atoi(argv[2]);
    nfiles = atoi(argv[3]);
    pthread_t t[n + 2];
    for (long i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    CHECK(pthread_create(&t[n], NULL, reader, NULL) == 0);
    CHECK(pthread_create(&t[n + 1], NULL, writer, NULL) == 0);
    for (int i = 0; i < n + 2; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    return 0;
}
