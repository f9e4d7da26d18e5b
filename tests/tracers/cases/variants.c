/* Case 22 (every glibc entry point that opens a file) and case 8 (modes; failed opens).
 * Usage: variants DIR   -- DIR holds r1.txt .. r4.txt and rw.txt, prepared by the test. */
#include <fcntl.h>
#include <unistd.h>
#include "common.h"

int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);

#define W_FLAGS (O_WRONLY | O_CREAT | O_TRUNC)

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);

    CHECK(close(open("open.txt", W_FLAGS, 0644)) == 0);
    CHECK(close(open64("open64.txt", W_FLAGS, 0644)) == 0);
    CHECK(close(openat(dfd, "openat.txt", W_FLAGS, 0644)) == 0);
    CHECK(close(openat64(dfd, "openat64.txt", W_FLAGS, 0644)) == 0);
    CHECK(close(creat("creat.txt", 0644)) == 0);
    CHECK(close(creat64("creat64.txt", 0644)) == 0);
    CHECK(close(__open_2("r1.txt", O_RDONLY)) == 0);
    CHECK(close(__open64_2("r2.txt", O_RDONLY)) == 0);
    CHECK(close(__openat_2(dfd, "r3.txt", O_RDONLY)) == 0);
    CHECK(close(__openat64_2(dfd, "r4.txt", O_RDONLY)) == 0);
    CHECK(close(open("rw.txt", O_RDWR)) == 0);
    CHECK(close(open("append.txt", O_WRONLY | O_CREAT | O_APPEND, 0644)) == 0);

    CHECK(fclose(fopen("fopen.txt", "w")) == 0);
    CHECK(fclose(fopen64("fopen64.txt", "a")) == 0);
    FILE *f = fopen("r1.txt", "r");
    CHECK(f != NULL);
    f = freopen("freopen.txt", "w+", f);
    CHECK(f != NULL);
    f = freopen64("freopen64.txt", "we", f);
    CHECK(f != NULL);
    CHECK(freopen(NULL, "r", f) != NULL); /* same file, new mode: no new open */

    /* Failed opens leave nothing, and errno is the real call's. */
    errno = 0;
    CHECK(open("missing.txt", O_RDONLY) == -1 && errno == ENOENT);
    errno = 0;
    CHECK(fopen("missing.txt", "r") == NULL && errno == ENOENT);
    errno = 0;
    CHECK(openat(dfd, "nodir/new.txt", W_FLAGS, 0644) == -1 && errno == ENOENT);
    errno = 0;
    CHECK(open("open.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST);
    errno = 0;
    CHECK(creat("nodir/c.txt", 0644) == -1 && errno == ENOENT);
    /* A success leaves errno alone, as the real call would. */
    errno = 1234;
    int fd = open("r1.txt", O_RDONLY);
    CHECK(fd >= 0 && errno == 1234);
    close(fd);
    return 0;
}
