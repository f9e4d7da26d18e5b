/* text.h - building spool lines in a growing buffer: numbers and escaped paths (SPOOL.md
 * "Paths are absolute and escaped"). Lexical path normalisation is shared with the preload
 * shim: path_normalize in tracers/common/roar_line.h.
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

#endif
