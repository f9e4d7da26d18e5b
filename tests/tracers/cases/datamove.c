/* Cases 9 and 10: data read through mmap only; a shared writable mapping written after close;
 * sendfile, copy_file_range, splice; truncate by path. Usage: datamove DIR */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char **argv)
{
    CHECK(argc == 2 && chdir(argv[1]) == 0);
    int fd = open("src.bin", O_RDONLY);
    CHECK(fd >= 0);
    char *p = mmap(NULL, 5000, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    close(fd);
    CHECK(p[4999] == 'x');
    munmap(p, 5000);

    fd = open("shared.bin", O_RDWR);
    CHECK(fd >= 0);
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    close(fd);
    memcpy(p, "after", 5);
    CHECK(msync(p, 4096, MS_SYNC) == 0);
    munmap(p, 4096);

    int src = open("src.bin", O_RDONLY); /* same name, same state: de-duplicated */
    CHECK(src >= 0);
    int out = open("sendfile.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    off_t off = 0;
    CHECK(out >= 0 && sendfile(out, src, &off, 5000) == 5000);
    close(out);
    out = open("cfr.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    loff_t in_off = 0;
    CHECK(out >= 0 && copy_file_range(src, &in_off, out, NULL, 5000, 0) == 5000);
    close(out);
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    out = open("splice.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    loff_t s_off = 0;
    CHECK(out >= 0 && splice(src, &s_off, pipefd[1], NULL, 100, 0) == 100);
    CHECK(splice(pipefd[0], NULL, out, NULL, 100, 0) == 100);
    close(out);
    CHECK(truncate("cfr.out", 10) == 0);
    return 0;
}
