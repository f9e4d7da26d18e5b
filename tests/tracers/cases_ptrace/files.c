/* Single-process file operations for the ptrace backend (CAPTURE_CASES 1-5, 8, 10, 11, 16, 17,
 * 19 and 28). Usage: files MODE DIR. The test prepares DIR and asserts the exact events.
 * Built both dynamically and with -static: the tracer must see the same either way. */
#include "check.h"

#include <dirent.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

/* ---- case 1: relative names, dirfds, chdir, fchdir, threads sharing the cwd ---- */

static pthread_barrier_t g_barrier;

static void *chdir_thread(void *arg)
{
    (void)arg;
    CHECK(chdir("sub2") == 0);
    pthread_barrier_wait(&g_barrier); /* main opens only after the chdir */
    return NULL;
}

static void relative(void)
{
    close_fd(open("a.txt", O_RDONLY));
    int sub = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(sub >= 0);
    close_fd(openat(sub, "b.txt", O_RDONLY));
    close_fd(openat(sub, "../a.txt", O_RDONLY));
    FAILS(openat(sub, "missing.txt", O_RDONLY), ENOENT);
    CHECK(fchdir(sub) == 0);
    close_fd(open("c.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    CHECK(chdir("..") == 0);
    pthread_t t;
    pthread_barrier_init(&g_barrier, NULL, 2);
    CHECK(pthread_create(&t, NULL, chdir_thread, NULL) == 0);
    pthread_barrier_wait(&g_barrier);
    close_fd(open("d.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644)); /* in sub2: shared cwd */
    pthread_join(t, NULL);
}

/* ---- case 2 and 17: symlinks, hardlinks, ".." after a symlinked directory ---- */

static void symlinks(void)
{
    close_fd(open("link.txt", O_RDONLY));
    CHECK(link("target.txt", "hard.txt") == 0);
    close_fd(open("hard.txt", O_RDONLY));
    close_fd(open("ldir/../t2.txt", O_RDONLY));
    FAILS(link("target.txt", "hard.txt"), EEXIST);
}

/* ---- case 3: rename onto the final name, renameat, renameat2 ---- */

static void renames(void)
{
    write_file("tmp1", "one");
    CHECK(rename("tmp1", "final1") == 0);
    int sub = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(sub >= 0);
    CHECK(renameat(sub, "x", AT_FDCWD, "moved_x") == 0);
    CHECK(syscall(SYS_renameat2, AT_FDCWD, "left", AT_FDCWD, "right", RENAME_EXCHANGE) == 0);
    FAILS(syscall(SYS_renameat2, AT_FDCWD, "left", AT_FDCWD, "right", RENAME_NOREPLACE), EEXIST);
    FAILS(rename("no_such_file", "whatever"), ENOENT);
    close_fd(sub);
}

/* ---- case 4: created and deleted; an input deleted while open; directories ---- */

static void create_delete(void)
{
    close_fd(open("scratch.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    CHECK(unlink("scratch.tmp") == 0);
    int in = open("in.txt", O_RDONLY);
    CHECK(in >= 0);
    CHECK(unlink("in.txt") == 0);
    char buf[16];
    CHECK(read(in, buf, sizeof buf) == 5);
    close_fd(in);
    CHECK(mkdir("d1", 0755) == 0);
    CHECK(rmdir("d1") == 0);
    CHECK(mkdirat(AT_FDCWD, "d2", 0755) == 0);
    CHECK(unlinkat(AT_FDCWD, "d2", AT_REMOVEDIR) == 0);
    FAILS(mkdir("keep", 0755), EEXIST);
    FAILS(unlink("no_such_file"), ENOENT);
}

/* ---- case 5: O_TMPFILE made visible with linkat ---- */

static void tmpfile_link(void)
{
    int fd = open(".", O_TMPFILE | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "one", 3) == 3);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    CHECK(linkat(AT_FDCWD, proc, AT_FDCWD, "final1.bin", AT_SYMLINK_FOLLOW) == 0);
    close_fd(fd);
    fd = open(".", O_TMPFILE | O_RDWR, 0644);
    CHECK(fd >= 0 && write(fd, "two", 3) == 3);
    /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH: without it, the /proc form again. */
    if (linkat(fd, "", AT_FDCWD, "final2.bin", AT_EMPTY_PATH) != 0) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        CHECK(linkat(AT_FDCWD, proc, AT_FDCWD, "final2.bin", AT_SYMLINK_FOLLOW) == 0);
    }
    close_fd(fd);
}

/* ---- cases 10, 11, 16: truncate by path, directories, non-regular files ---- */

static void kinds(void)
{
    CHECK(truncate("t.txt", 2) == 0);
    FAILS(truncate("no_such_file", 0), ENOENT);
    DIR *d = opendir(".");
    CHECK(d != NULL);
    closedir(d);
    CHECK(mkfifo("fifo", 0644) == 0);
    close_fd(open("fifo", O_RDWR)); /* a FIFO opened read-write does not block */
    close_fd(open("/dev/null", O_WRONLY));
}

/* ---- case 19 for ptrace: raw system calls are seen like any other ---- */

static void raw(void)
{
    close_fd((int)syscall(SYS_openat, AT_FDCWD, "raw_openat.txt", O_WRONLY | O_CREAT, 0644));
    struct open_how how = {.flags = O_WRONLY | O_CREAT, .mode = 0644};
    close_fd((int)syscall(SYS_openat2, AT_FDCWD, "raw_openat2.txt", &how, sizeof how));
#ifdef SYS_open
    close_fd((int)syscall(SYS_open, "raw_open.txt", O_WRONLY | O_CREAT, 0644));
#endif
    FAILS(syscall(SYS_openat2, AT_FDCWD, "raw_bad.txt", &how, (size_t)4), EINVAL);
    /* RESOLVE_IN_ROOT: "/" and ".." stay inside the dirfd */
    int root = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(root >= 0);
    struct open_how in_root = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
    close_fd((int)syscall(SYS_openat2, root, "/../../raw_openat.txt", &in_root, sizeof in_root));
    close_fd(root);
}

/* ---- case 17: names that are not plain ---- */

static void names(void)
{
    static const char *const all[] = {"sp ace.txt", "new\nline.txt", "tab\t.txt",
                                      "back\\slash.txt", "\xff\xfe-latin.bin", "ctl\x01.txt",
                                      "del\x7f.txt", "caf\xc3\xa9.txt"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close_fd(open(all[i], O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

/* ---- case 17/28: a tree deeper than PATH_MAX, reached with nested *at calls ---- */

static void longpath(void)
{
    char name[201];
    memset(name, 'd', 200);
    name[200] = '\0';
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    for (int depth = 0; depth < 24; depth++) { /* 24 * 201 bytes: well past 4096 */
        CHECK(mkdirat(dfd, name, 0755) == 0);
        int next = openat(dfd, name, O_RDONLY | O_DIRECTORY);
        CHECK(next >= 0);
        close_fd(dfd);
        dfd = next;
    }
    close_fd(openat(dfd, "deep.txt", O_WRONLY | O_CREAT, 0644));
    CHECK(fchdir(dfd) == 0); /* the cwd itself is now too long for /proc to print */
    close_fd(open("rel.txt", O_WRONLY | O_CREAT, 0644));
    CHECK(renameat(dfd, "rel.txt", AT_FDCWD, "rel2.txt") == 0);
}

/* ---- case 28: a path argument that ends exactly at the end of a mapped page ---- */

static void page_edge(const char *dir)
{
    long page = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    CHECK(map != MAP_FAILED);
    CHECK(mprotect(map + page, (size_t)page, PROT_NONE) == 0); /* reading past it faults */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/edge.txt", dir);
    size_t n = strlen(path) + 1;
    char *at = map + page - n;
    memcpy(at, path, n);
    close_fd(open(at, O_WRONLY | O_CREAT, 0644));
    /* A name that straddles two readable pages. */
    CHECK(mprotect(map + page, (size_t)page, PROT_READ | PROT_WRITE) == 0);
    at = map + page - 5;
    memcpy(at, path, n);
    close_fd(open(at, O_RDONLY));
    FAILS(open((char *)16, O_RDONLY), EFAULT);
}

/* ---- calls with no name to read: open_by_handle_at, io_uring_setup ---- */

static void handles(void)
{
    struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
    CHECK(fh != NULL);
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    CHECK(name_to_handle_at(AT_FDCWD, "h.txt", fh, &mount_id, 0) == 0);
    int mnt = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(mnt >= 0);
    close_fd(open_by_handle_at(mnt, fh, O_RDONLY)); /* needs CAP_DAC_READ_SEARCH */
    close_fd(mnt);
    free(fh);
}

static void uring(void)
{
    char params[120] = {0}; /* struct io_uring_params, zeroed: the defaults */
    long fd = syscall(SYS_io_uring_setup, 4, params);
    printf("io_uring=%s\n", fd >= 0 ? "yes" : "no");
    if (fd >= 0)
        close_fd((int)fd);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    const char *mode = argv[1];
    CHECK(chdir(argv[2]) == 0);
    if (strcmp(mode, "relative") == 0)
        relative();
    else if (strcmp(mode, "symlinks") == 0)
        symlinks();
    else if (strcmp(mode, "renames") == 0)
        renames();
    else if (strcmp(mode, "create_delete") == 0)
        create_delete();
    else if (strcmp(mode, "tmpfile") == 0)
        tmpfile_link();
    else if (strcmp(mode, "kinds") == 0)
        kinds();
    else if (strcmp(mode, "raw") == 0)
        raw();
    else if (strcmp(mode, "names") == 0)
        names();
    else if (strcmp(mode, "longpath") == 0)
        longpath();
    else if (strcmp(mode, "page_edge") == 0)
        page_edge(argv[2]);
    else if (strcmp(mode, "handles") == 0)
        handles();
    else if (strcmp(mode, "uring") == 0)
        uring();
    else
        return 2;
    return 0;
}
