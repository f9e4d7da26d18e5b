/* text.c - see text.h. */
#include <stdlib.h>
#include <string.h>

#include "text.h"

void sb_reset(struct sbuf *b)
{
    b->len = 0;
    b->failed = false;
}

static bool sb_room(struct sbuf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n)
        cap *= 2;
    char *bigger = realloc(b->buf, cap);
    if (!bigger) {
        b->failed = true;
        return false;
    }
    b->buf = bigger;
    b->cap = cap;
    return true;
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
    if (!sb_room(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
}

void sb_putc(struct sbuf *b, char c)
{
    sb_putn(b, &c, 1);
}

void sb_puts(struct sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

void sb_put_u64(struct sbuf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_putn(b, tmp + i, sizeof tmp - i);
}

void sb_put_i64(struct sbuf *b, int64_t v)
{
    if (v < 0) {
        sb_putc(b, '-');
        sb_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_put_u64(b, (uint64_t)v);
    }
}

static const char HEX[] = "0123456789abcdef";

void sb_put_hex(struct sbuf *b, uint64_t v)
{
    char tmp[16];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = HEX[v & 15];
        v >>= 4;
    } while (v);
    sb_putn(b, tmp + i, sizeof tmp - i);
}

void sb_put_escaped(struct sbuf *b, const char *s)
{
    const char *run = s; /* bytes copied as they are, in one piece */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != 0x7f && c != '\\')
            continue;
        sb_putn(b, run, (size_t)(s - run));
        run = s + 1;
        if (c == '\\') {
            sb_putn(b, "\\\\", 2);
        } else if (c == '\t') {
            sb_putn(b, "\\t", 2);
        } else if (c == '\n') {
            sb_putn(b, "\\n", 2);
        } else {
            char esc[4] = {'\\', 'x', HEX[c >> 4], HEX[c & 15]};
            sb_putn(b, esc, 4);
        }
    }
    sb_putn(b, run, (size_t)(s - run));
}
