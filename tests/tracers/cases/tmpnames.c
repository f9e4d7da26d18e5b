/* Case 3 with glibc's mkstemp family (which opens through glibc-internal calls).
 * Usage: tmpnames DIR */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    char t1[] = "tmpXXXXXX";
    int fd = mkstemp(t1);
    CHECK(fd >= 0 && write(fd, "1", 1) == 1 && close(fd) == 0);
    CHECK(rename(t1, "final1") == 0);
    char t2[] = "tmpXXXXXX.part";
    fd = mkostemps(t2, 5, O_CLOEXEC);
    CHECK(fd >= 0 && write(fd, "2", 1) == 1 && close(fd) == 0);
    CHECK(rename(t2, "final2") == 0);
    return 0;
}
