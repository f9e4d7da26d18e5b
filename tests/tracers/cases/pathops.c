/* Cases 3, 4, 10, 11: rename family, link, unlink/remove/rmdir, truncate, mkdir, listing.
 * Usage: pathops DIR */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    /* case 3: temporary name, then rename onto the final one */
    put_file("out.tmp", "result\n");
    CHECK(rename("out.tmp", "out.txt") == 0);
    put_file("b.tmp", "b\n");
    CHECK(renameat(dfd, "b.tmp", AT_FDCWD, "b.txt") == 0);
    put_file("x.txt", "x\n");
    put_file("y.txt", "y\n");
    CHECK(renameat2(dfd, "x.txt", dfd, "y.txt", RENAME_EXCHANGE) == 0);
    CHECK(rename("missing", "nothing") == -1 && errno == ENOENT);
    /* case 2: a second name */
    CHECK(link("out.txt", "hard.txt") == 0);
    CHECK(linkat(dfd, "b.txt", dfd, "hard2.txt", 0) == 0);
    /* case 4: created and deleted within the run */
    put_file("scratch.txt", "tmp\n");
    CHECK(unlink("scratch.txt") == 0);
    put_file("scratch2.txt", "tmp\n");
    CHECK(unlinkat(dfd, "scratch2.txt", 0) == 0);
    put_file("scratch3.txt", "tmp\n");
    CHECK(remove("scratch3.txt") == 0);
    /* case 11 and 10: directories, truncate by path */
    CHECK(mkdir("d1", 0755) == 0);
    CHECK(mkdirat(dfd, "d2", 0755) == 0);
    CHECK(mkdir("d1", 0755) == -1 && errno == EEXIST);
    CHECK(rmdir("d1") == 0);
    CHECK(unlinkat(dfd, "d2", AT_REMOVEDIR) == 0);
    CHECK(mkdir("d3", 0755) == 0);
    CHECK(remove("d3") == 0);
    CHECK(truncate("y.txt", 1) == 0);
    CHECK(truncate64("out.txt", 2) == 0);
    CHECK(truncate("missing", 0) == -1);
    DIR *d = opendir("listed");
    CHECK(d != NULL);
    closedir(d);
    struct dirent **list;
    int n = scandir("./listed", &list, NULL, alphasort);
    CHECK(n == 4); /* ".", "..", "a", "b" */
    while (n--)
        free(list[n]);
    free(list);
    return 0;
}
