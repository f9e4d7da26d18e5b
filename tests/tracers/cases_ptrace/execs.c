/* Case 12: every way to exec. Usage: execs MODE DIR. Each mode ends up running
 * "cat in.txt" (directly, or through a #! script) in DIR. */
#include "check.h"

#include <sys/syscall.h>

extern char **environ;

int main(int argc, char **argv)
{
    CHECK(argc == 3 && chdir(argv[2]) == 0);
    const char *mode = argv[1];
    char *cat[] = {"cat", "in.txt", NULL};
    if (strcmp(mode, "execve") == 0) {
        execve("/bin/cat", cat, environ);
    } else if (strcmp(mode, "execveat") == 0) {
        int fd = open("/bin/cat", O_PATH | O_CLOEXEC);
        CHECK(fd >= 0);
        syscall(SYS_execveat, fd, "", cat, environ, AT_EMPTY_PATH);
    } else if (strcmp(mode, "fexecve") == 0) {
        int fd = open("/bin/cat", O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        fexecve(fd, cat, environ);
    } else if (strcmp(mode, "script") == 0) {
        char *script[] = {"./script.sh", NULL};
        execve("./script.sh", script, environ);
    } else if (strcmp(mode, "pathsearch") == 0) {
        /* /nonexistent/mytool does not exist, nobin/mytool is not executable: both fail
         * before bin/mytool (a #! script) runs. */
        char path[4096];
        snprintf(path, sizeof path, "PATH=/nonexistent:%s/nobin:%s/bin:/usr/bin:/bin", argv[2],
                 argv[2]);
        putenv(path);
        char *tool[] = {"mytool", NULL};
        execvp("mytool", tool);
    } else {
        return 2;
    }
    perror(mode);
    return 1;
}
