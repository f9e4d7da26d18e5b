/* text.h - building spool lines in a growing buffer: numbers, escaped paths (SPOOL.md
 * "Paths are absolute and escaped") and lexical path normalisation.
 *
 * The tracer is an ordinary single-threaded process, so unlike the preload shim it may
 * allocate: a line simply grows to whatever length its paths need. */
#ifndef ROAR_PTRACE_TEXT_H
#define ROAR_PTRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf {
    char *buf;
    size_t len;
    size_t cap;
    bool failed; /* out of memory: the line is dropped (and counted) */
};

void sb_reset(struct sbuf *b);
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_putc(struct sbuf *b, char c);
void sb_puts(struct sbuf *b, const char *s);
void sb_put_u64(struct sbuf *b, uint64_t v);
void sb_put_i64(struct sbuf *b, int64_t v);
void sb_put_hex(struct sbuf *b, uint64_t v); /* lowercase, no 0x */
/* `\` -> `\\`, TAB -> `\t`, newline -> `\n`, other bytes < 0x20 and 0x7f -> `\xHH`; bytes
 * 0x80 and above raw. */
void sb_put_escaped(struct sbuf *b, const char *s);

/* Collapse "//", "." and ".." of the absolute path p[0..n) in place, without resolving
 * symlinks ("a/link/.." becomes "a"); no trailing slash except for "/". Returns the new
 * length. */
size_t path_normalize_abs(char *p, size_t n);

#endif
