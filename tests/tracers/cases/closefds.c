/* A program that closes every descriptor it did not open (as daemons and some test runners
 * do), then reuses the numbers. The shim must notice its descriptor is gone or now names a
 * user file, and never write an event into that file.
 * Usage: closefds DIR loop|close_range|closefrom|raw_close|raw_close_range
 * (raw_*: the same through syscall(), which the shim also watches) */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

static int open_w(const char *name)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    return fd;
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 && chdir(argv[1]) == 0);
    close(open_w("before.txt"));
    if (strcmp(argv[2], "loop") == 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    } else if (strcmp(argv[2], "close_range") == 0) {
        CHECK(close_range(3, ~0U, 0) == 0);
    } else if (strcmp(argv[2], "raw_close") == 0) {
        for (int fd = 3; fd < 1024; fd++)
            syscall(SYS_close, fd);
    } else if (strcmp(argv[2], "raw_close_range") == 0) {
        CHECK(syscall(SYS_close_range, 3, ~0U, 0) == 0);
    } else {
        closefrom(3);
    }
    int user = open_w("user.txt"); /* the shim reopens its spool (probably at the old number) */
    for (int fd = 800; fd <= 830; fd++)
        CHECK(dup2(user, fd) == fd); /* ... which this silently replaces with user.txt */
    close(open_w("after.txt"));
    close(open_w("after2.txt"));
    CHECK(write(user, "user\n", 5) == 5);
    return 0;
}
