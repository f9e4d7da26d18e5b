/* roar_ebpf.h - the records the BPF side (roar_ebpf.bpf.c) sends to the loader (main.c) through
 * the ring buffer. Shared by both; plain fixed-width types only. */
#ifndef ROAR_EBPF_H
#define ROAR_EBPF_H

#define RE_PATH_MAX 4096      /* longest path the kernel side builds (a longer one is "truncated") */
#define RE_NSTR 4             /* strings per record */
#define RE_DATA (RE_NSTR * RE_PATH_MAX)

enum re_type {
    RE_EXEC = 1,   /* s0 exe, s1 cwd; a = ppid; status RE_COMPAT: a 32-bit ELF image */
    RE_FORK,       /* a new process: a = ppid; s1 = cwd */
    RE_EXIT,       /* the last thread of pid exited */
    RE_OPEN,       /* an open that succeeded (fd installed): a flags, b dev, c ino, d size, e mtime_ns,
                      f ftype char; s0 the name as given (empty for open_by_handle_at), s1 the
                      kernel's name, s2 base dir of a relative name (empty when not needed) */
    RE_RENAME,     /* succeeded: a flags; s0 old name as given, s1 its base (a relative name only),
                      s2 new name, s3 its base */
    RE_LINK,       /* succeeded: a flags; s0..s3 as RE_RENAME */
    RE_UNLINK,     /* succeeded (unlink, unlinkat): s0 name, s1 base */
    RE_RMDIR,      /* succeeded: s0 name, s1 base */
    RE_MKDIR,      /* succeeded: s0 name, s1 base */
    RE_TRUNC,      /* succeeded: s0 name, s1 base */
    RE_IOURING,    /* the process set up an io_uring */
};

/* status bits */
#define RE_TRUNCATED 1u   /* a path did not fit (or had too many components) */
#define RE_COMPAT 2u      /* the call came from a 32-bit program */
#define RE_BASE_UP_N 4u   /* RE_OPEN: the name's base directory is s1 minus RE_BASE_UP_OF(status)
                             trailing components (s2 is empty) */
#define RE_PSEUDO 8u      /* s0 names no directory tree (pipe, socket, anonymous inode) */
#define RE_DELETED 16u    /* RE_OPEN: the file had been unlinked */
#define RE_BASE_UP(n) (RE_BASE_UP_N | (unsigned int)(n) << 8)
#define RE_BASE_UP_OF(status) (((status) >> 8) & 0xffu)

struct re_rec {
    unsigned int type;
    unsigned int pid;     /* tgid */
    unsigned int tid;
    unsigned int run;     /* the run the process belongs to: its value in the `traced` map */
    unsigned long long ts;  /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
    unsigned long long a, b, c, d, e, f;
    unsigned short len[RE_NSTR];
    unsigned int status;
    unsigned int size;    /* bytes of data[] used */
    /* then `size` bytes: the strings, one after another, no terminators */
};

#endif
