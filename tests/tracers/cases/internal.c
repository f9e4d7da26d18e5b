/* Known limit: files glibc opens through its internal aliases, out of reach of the shim:
 * glob (lists the directory), getpwnam (NSS reads /etc/passwd, after loading libnss_files
 * itself), tmpfile. Usage: internal DIR; prints what it found so the test knows they worked. */
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    glob_t g;
    CHECK(glob("*.txt", 0, NULL, &g) == 0);
    struct passwd *pw = getpwnam("root");
    CHECK(pw != NULL);
    FILE *t = tmpfile();
    CHECK(t != NULL && fputs("scratch", t) >= 0);
    printf("%zu %s\n", g.gl_pathc, pw->pw_dir);
    return 0;
}
