/* Case 1: relative names resolved against dirfd / cwd at the moment of the call.
 * Usage: relative DIR   -- DIR holds sub/{a,b}.txt, sub2/c.txt, sub3/t.txt. */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "common.h"

static void *open_in_thread(void *arg)
{
    (void)arg;
    int fd = open("t.txt", O_RDONLY); /* threads share the cwd main just changed */
    CHECK(fd >= 0);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int sub = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(sub >= 0);
    CHECK(close(openat(sub, "a.txt", O_RDONLY)) == 0);
    CHECK(close(openat(sub, "../sub2/../sub/./a.txt", O_RDONLY)) == 0);
    CHECK(chdir("sub") == 0);
    CHECK(close(open("b.txt", O_RDONLY)) == 0);
    CHECK(chdir("..") == 0);
    int sub2 = open("sub2", O_RDONLY | O_DIRECTORY);
    CHECK(sub2 >= 0 && fchdir(sub2) == 0);
    CHECK(close(open("c.txt", O_RDONLY)) == 0);
    CHECK(chdir("../sub3") == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, open_in_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    return 0;
}
