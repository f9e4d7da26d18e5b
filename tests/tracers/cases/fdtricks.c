/* Cases 6 and 7: names through /proc/self/fd and /dev/stdin; dup family; an inherited
 * descriptor used across exec. Usage: fdtricks DIR < DIR/in.txt */
#include <fcntl.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int a = open("/proc/self/fd/0", O_RDONLY);
    int b = open("/dev/stdin", O_RDONLY);
    CHECK(a >= 0 && b >= 0);
    char c;
    CHECK(read(a, &c, 1) == 1);
    int out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(out >= 0);
    CHECK(dup2(out, 1) == 1);
    int high = fcntl(out, F_DUPFD, 10);
    CHECK(high >= 10);
    CHECK(dup3(high, 20, O_CLOEXEC) == 20);
    close(out);
    execl("/bin/sh", "sh", "-c", "echo via-inherited-fd", (char *)NULL);
    return 98;
}
