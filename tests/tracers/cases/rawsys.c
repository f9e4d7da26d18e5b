/* Case 19: raw system calls bypass libc, so the shim cannot see them. Usage: rawsys DIR */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    long fd = syscall(SYS_openat, AT_FDCWD, "raw_openat.txt", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close((int)fd);
    struct open_how how = {.flags = O_WRONLY | O_CREAT, .mode = 0644};
    fd = syscall(SYS_openat2, AT_FDCWD, "raw_openat2.txt", &how, sizeof how);
    CHECK(fd >= 0);
    close((int)fd);
    CHECK(close(open("via_libc.txt", O_WRONLY | O_CREAT, 0644)) == 0);
    return 0;
}
