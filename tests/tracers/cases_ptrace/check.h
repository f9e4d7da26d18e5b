/* Helpers shared by the ptrace test programs: die loudly on any unexpected failure, so a
 * test that expects an event never passes because the program silently skipped a step. */
#ifndef PTRACE_CASES_CHECK_H
#define PTRACE_CASES_CHECK_H
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(expr)                                                                              \
    do {                                                                                         \
        if (!(expr)) {                                                                           \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,                 \
                    strerror(errno));                                                            \
            exit(99);                                                                            \
        }                                                                                        \
    } while (0)

/* The call must fail with this errno (a failed call must leave no event). */
#define FAILS(expr, err)                                                                         \
    do {                                                                                         \
        errno = 0;                                                                               \
        long r_ = (long)(expr);                                                                  \
        if (r_ != -1 || errno != (err)) {                                                        \
            fprintf(stderr, "%s:%d: %s = %ld errno %d, expected failure %d\n", __FILE__,         \
                    __LINE__, #expr, r_, errno, (err));                                          \
            exit(98);                                                                            \
        }                                                                                        \
    } while (0)

static inline void close_fd(int fd)
{
    CHECK(fd >= 0 && close(fd) == 0);
}

static inline void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close_fd(fd);
}
#endif
