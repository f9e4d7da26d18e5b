/* Case 12 (exec family), 18/20 (static and set-uid targets) and 21 (scrubbed environments).
 * Usage: execs MODE DIR [PROGRAM]. Every mode ends up running `cat in.txt` (or PROGRAM). */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "common.h"

extern char **environ;
static char *cat_argv[] = {"cat", "in.txt", NULL};

static void *exec_from_thread(void *arg)
{
    (void)arg;
    execv("/bin/cat", cat_argv);
    exit(98);
}

int main(int argc, char **argv)
{
    CHECK(argc >= 3 && chdir(argv[2]) == 0);
    const char *mode = argv[1];
    char *empty_env[] = {NULL};
    char *one_env[] = {"FOO=1", NULL};
    if (!strcmp(mode, "execve"))
        execve("/bin/cat", cat_argv, environ);
    else if (!strcmp(mode, "execv"))
        execv("/bin/cat", cat_argv);
    else if (!strcmp(mode, "execvp"))
        execvp("cat", cat_argv);
    else if (!strcmp(mode, "execvpe"))
        execvpe("cat", cat_argv, one_env);
    else if (!strcmp(mode, "execl"))
        execl("/bin/cat", "cat", "in.txt", (char *)NULL);
    else if (!strcmp(mode, "execlp"))
        execlp("cat", "cat", "in.txt", (char *)NULL);
    else if (!strcmp(mode, "execle"))
        execle("/bin/cat", "cat", "in.txt", (char *)NULL, one_env);
    else if (!strcmp(mode, "execveat")) {
        int bin = open("/bin", O_PATH | O_DIRECTORY);
        execveat(bin, "cat", cat_argv, environ, 0);
    } else if (!strcmp(mode, "fexecve")) {
        int fd = open("/bin/cat", O_RDONLY | O_CLOEXEC);
        fexecve(fd, cat_argv, environ);
    } else if (!strcmp(mode, "emptyenv")) {
        execve("/bin/cat", cat_argv, empty_env);
    } else if (!strcmp(mode, "script")) {
        char *sargv[] = {"./script.sh", NULL};
        execve("./script.sh", sargv, empty_env);
    } else if (!strcmp(mode, "pathsearch")) {
        /* The first PATH entries do not have the tool: failed candidates are no inputs. */
        setenv("PATH", "/nonexistent:./nobin:./bin:/usr/bin", 1);
        char *targv[] = {"mytool", NULL};
        execvp("mytool", targv);
    } else if (!strcmp(mode, "thread")) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, exec_from_thread, NULL) == 0);
        pause();
    } else if (!strcmp(mode, "program")) {
        char *pargv[] = {argv[3], "in.txt", NULL};
        execv(argv[3], pargv);
    } else if (!strcmp(mode, "env")) {
        /* Print the environment a child gets when we pass only argv[3]. */
        char *penv[] = {argv[3], NULL};
        char *eargv[] = {"env", NULL};
        execve("/usr/bin/env", eargv, argv[3][0] ? penv : empty_env);
    }
    perror(mode);
    return 97;
}
