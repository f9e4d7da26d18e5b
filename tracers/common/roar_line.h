/* roar_line.h - pure helpers shared by the tracers: building one spool line in a caller-provided
 * buffer, escaping paths in place, lexical path normalisation and a 64-bit hash. The preload
 * shim uses all of it; the ptrace tracer (which may allocate) builds lines in its own growing
 * buffer and uses path_normalize.
 *
 * Nothing here makes a system call, allocates or takes a lock, so everything is
 * async-signal-safe and usable in a vfork child. See tracers/SPOOL.md for the line format.
 */
#ifndef ROAR_LINE_H
#define ROAR_LINE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A line under construction. Once `overflow` is set every later put is a no-op: the caller then
 * retries with a bigger buffer or gives up. `error` (a short reason) means the line cannot be
 * built at all (for example an unresolvable relative path); it is reported as a W spool-error. */
struct line {
    char *buf;
    size_t len;
    size_t cap;
    int overflow;
    const char *error;
    int pid; /* the PID field (getpid() once per event) */
};

static inline void line_init(struct line *l, char *buf, size_t cap, int pid)
{
    l->pid = pid;
    l->buf = buf;
    l->len = 0;
    l->cap = cap;
    l->overflow = 0;
    l->error = NULL;
}

static inline int line_ok(const struct line *l)
{
    return !l->overflow && !l->error;
}

/* Room for n more bytes at the end, or NULL (and overflow set). */
static inline char *line_reserve(struct line *l, size_t n)
{
    if (l->overflow || l->len + n > l->cap) {
        l->overflow = 1;
        return NULL;
    }
    return l->buf + l->len;
}

static inline void line_putn(struct line *l, const char *s, size_t n)
{
    char *p = line_reserve(l, n);
    if (p) {
        memcpy(p, s, n);
        l->len += n;
    }
}

static inline void line_putc(struct line *l, char c)
{
    line_putn(l, &c, 1);
}

static inline void line_puts(struct line *l, const char *s)
{
    line_putn(l, s, strlen(s));
}

static inline void line_put_u64(struct line *l, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    line_putn(l, tmp + i, sizeof tmp - i);
}

static inline void line_put_i64(struct line *l, int64_t v)
{
    if (v < 0) {
        line_putc(l, '-');
        line_put_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        line_put_u64(l, (uint64_t)v);
    }
}

/* Lowercase hexadecimal without 0x. */
static inline void line_put_hex(struct line *l, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = digits[v & 15];
        v >>= 4;
    } while (v);
    line_putn(l, tmp + i, sizeof tmp - i);
}

static inline void line_tab(struct line *l)
{
    line_putc(l, '\t');
}

/* ---- escaping (SPOOL.md "Paths are absolute and escaped") ---- */

static inline size_t escaped_byte_len(unsigned char c)
{
    if (c == '\\' || c == '\t' || c == '\n')
        return 2;
    if (c < 0x20 || c == 0x7f)
        return 4;
    return 1;
}

/* Escape bytes [start, len) of the line in place. Works backwards so that the expansion only
 * needs free room after the field, never a second buffer. */
static inline void line_escape_from(struct line *l, size_t start)
{
    if (!line_ok(l))
        return;
    size_t n = l->len - start, m = 0;
    for (size_t i = 0; i < n; i++)
        m += escaped_byte_len((unsigned char)l->buf[start + i]);
    if (m == n)
        return;
    if (start + m > l->cap) {
        l->overflow = 1;
        return;
    }
    static const char hex[] = "0123456789abcdef";
    char *s = l->buf + start;
    size_t j = m;
    for (size_t i = n; i-- > 0;) {
        unsigned char c = (unsigned char)s[i];
        switch (escaped_byte_len(c)) {
        case 1:
            s[--j] = (char)c;
            break;
        case 2:
            s[--j] = c == '\\' ? '\\' : (c == '\t' ? 't' : 'n');
            s[--j] = '\\';
            break;
        default:
            s[--j] = hex[c & 15];
            s[--j] = hex[c >> 4];
            s[--j] = 'x';
            s[--j] = '\\';
        }
    }
    l->len = start + m;
}

/* ---- lexical normalisation ---- */

/* Collapse "//", "." and ".." of the absolute path p[0..n) in place (no symlink resolution:
 * "a/link/.." becomes "a", as the SPOOL.md PATH field asks). Returns the new length; the result
 * has no trailing slash except for "/" itself. */
static inline size_t path_normalize(char *p, size_t n)
{
    size_t r = 0, w = 1;
    while (r < n) {
        while (r < n && p[r] == '/')
            r++;
        size_t s = r;
        while (r < n && p[r] != '/')
            r++;
        size_t clen = r - s;
        if (clen == 0 || (clen == 1 && p[s] == '.'))
            continue;
        if (clen == 2 && p[s] == '.' && p[s + 1] == '.') {
            while (w > 1 && p[w - 1] != '/')
                w--;
            if (w > 1)
                w--; /* drop the separator too */
            continue;
        }
        if (w > 1)
            p[w++] = '/';
        memmove(p + w, p + s, clen);
        w += clen;
    }
    p[0] = '/';
    return w;
}

/* ---- hashing (the de-dup table keys) ---- */

static inline uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    return h;
}

static inline uint64_t hash_str(uint64_t h, const char *s)
{
    /* FNV-1a folded into the running hash. */
    uint64_t f = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        f ^= (unsigned char)*s;
        f *= 0x100000001b3ULL;
    }
    return mix64(h, f);
}

#endif /* ROAR_LINE_H */
