/* Case 17: paths longer than PATH_MAX, reached through nested *at calls.
 * Usage: longpath DIR. Makes DIR/dddd.../dddd... (250-byte names) with mkdirat until the
 * newest directory's path passes 4096 bytes, then creates deep.txt inside it. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    char name[251];
    memset(name, 'd', 250);
    name[250] = '\0';
    int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    size_t len = strlen(argv[1]);
    while (len <= PATH_MAX) {
        CHECK(mkdirat(dfd, name, 0755) == 0);
        int next = openat(dfd, name, O_RDONLY | O_DIRECTORY);
        CHECK(next >= 0);
        close(dfd);
        dfd = next;
        len += 251;
    }
    int fd = openat(dfd, "deep.txt", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstatat(dfd, "deep.txt", &st, 0) == 0);
    return 0;
}
