/* Case 5: O_TMPFILE, then linkat into place (through /proc/self/fd and with AT_EMPTY_PATH).
 * Usage: tmpfile DIR */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int fd = open(".", O_TMPFILE | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "one", 3) == 3);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    CHECK(linkat(AT_FDCWD, proc, AT_FDCWD, "final1.bin", AT_SYMLINK_FOLLOW) == 0);
    close(fd);
    fd = open(".", O_TMPFILE | O_RDWR, 0644);
    CHECK(fd >= 0 && write(fd, "two", 3) == 3);
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; fall back to the /proc form without it. */
    if (linkat(fd, "", AT_FDCWD, "final2.bin", AT_EMPTY_PATH) != 0) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        CHECK(linkat(AT_FDCWD, proc, AT_FDCWD, "final2.bin", AT_SYMLINK_FOLLOW) == 0);
    }
    close(fd);
    return 0;
}
