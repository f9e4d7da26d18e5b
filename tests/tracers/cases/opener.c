/* Opens (creating) each file named on the command line, in order.
 * With OPENER_KILL=1 in the environment it then SIGKILLs itself. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_WRONLY | O_CREAT, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    if (getenv("OPENER_KILL"))
        raise(SIGKILL);
    return 0;
}
