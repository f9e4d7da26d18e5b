/* Helpers shared by the test cases: die loudly on any unexpected failure. */
#ifndef CASES_COMMON_H
#define CASES_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(expr)                                                                              \
    do {                                                                                         \
        if (!(expr)) {                                                                           \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr,                 \
                    strerror(errno));                                                            \
            exit(99);                                                                            \
        }                                                                                        \
    } while (0)

/* Write a small file (outside any traced-behaviour question: it is just setup). */
static inline void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    CHECK(fclose(f) == 0);
}
#endif
