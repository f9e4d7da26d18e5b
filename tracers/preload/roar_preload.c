/* roar_preload.c - the LD_PRELOAD backend of roar (Linux, glibc).
 *
 * Wraps the libc calls that open, create, rename, link, delete, truncate and map files, plus the
 * exec/spawn family, and appends one line per event to $ROAR_SPOOL_DIR/<pid>.spool in the format
 * of tracers/SPOOL.md. With ROAR_SPOOL_DIR unset every wrapper is a plain pass-through.
 *
 * Rules this file lives by (the why of most of its shape):
 *  - The event path is async-signal-safe and fork-safe: no malloc, no stdio, no locks. State
 *    shared between threads is a few words updated with __atomic builtins.
 *  - Each event is one write(2) of a stack buffer to an O_APPEND descriptor, so a line is either
 *    wholly in the file or (disk full / crash mid-write) a torn last line the reader drops. A
 *    process past its first MAP_AFTER_EVENTS events copies lines into a shared file mapping
 *    instead (no system call per event; the page cache keeps them if the process is killed).
 *  - Exec wrappers may run in a vfork child that shares memory with its parent: they change no
 *    global state (they use a private descriptor to emit a W line, and build envp on the stack).
 *  - errno as seen by the caller is whatever the real call left.
 */
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../common/roar_line.h"

#define EXPORT __attribute__((visibility("default")))

/* Where the spool descriptor is moved, out of the way of programs that assume low numbers. */
#define SPOOL_FD_FLOOR 800
/* Most lines fit the small buffer; a long path retries with the big one (see emit_built). */
#define SMALL_LINE 1536
#define BIG_LINE (4 * PATH_MAX + 512)
/* The de-dup table of opens already reported (open addressing, 64-bit fingerprints). */
#define SEEN_SLOTS 8192
#define SEEN_PROBES 16

extern char **environ;

/* ======================================================================================
 * Real functions
 * ==================================================================================== */

/* Resolved by the constructor: everything that may run in a signal handler, in a vfork child
 * or in a forked child of a threaded program, where dlsym (a lock, perhaps malloc) must not run. */
#define REAL_FUNCTIONS(X)                                                                        \
    X(open, int, (const char *, int, ...))                                                       \
    X(open64, int, (const char *, int, ...))                                                     \
    X(openat, int, (int, const char *, int, ...))                                                \
    X(openat64, int, (int, const char *, int, ...))                                              \
    X(creat, int, (const char *, mode_t))                                                        \
    X(creat64, int, (const char *, mode_t))                                                      \
    X(__open_2, int, (const char *, int))                                                        \
    X(__open64_2, int, (const char *, int))                                                      \
    X(__openat_2, int, (int, const char *, int))                                                 \
    X(__openat64_2, int, (int, const char *, int))                                               \
    X(rename, int, (const char *, const char *))                                                 \
    X(renameat, int, (int, const char *, int, const char *))                                     \
    X(renameat2, int, (int, const char *, int, const char *, unsigned int))                      \
    X(link, int, (const char *, const char *))                                                   \
    X(linkat, int, (int, const char *, int, const char *, int))                                  \
    X(unlink, int, (const char *))                                                               \
    X(unlinkat, int, (int, const char *, int))                                                   \
    X(rmdir, int, (const char *))                                                                \
    X(truncate, int, (const char *, off_t))                                                      \
    X(truncate64, int, (const char *, off64_t))                                                  \
    X(mkdir, int, (const char *, mode_t))                                                        \
    X(mkdirat, int, (int, const char *, mode_t))                                                 \
    X(execve, int, (const char *, char *const[], char *const[]))                                 \
    X(execvpe, int, (const char *, char *const[], char *const[]))                                \
    X(execveat, int, (int, const char *, char *const[], char *const[], int))                     \
    X(fexecve, int, (int, char *const[], char *const[]))                                         \
    X(posix_spawn, int, (pid_t *, const char *, const posix_spawn_file_actions_t *,              \
          const posix_spawnattr_t *, char *const[], char *const[]))                              \
    X(posix_spawnp, int, (pid_t *, const char *, const posix_spawn_file_actions_t *,             \
          const posix_spawnattr_t *, char *const[], char *const[]))                              \
    X(close, int, (int))                                                                         \
    X(dup2, int, (int, int))                                                                     \
    X(dup3, int, (int, int, int))

/* Resolved at their first call (ENSURE): functions that are not async-signal-safe themselves,
 * so that a program calling them where the lock could deadlock is already outside what glibc
 * supports. Every process image pays ~900 instructions per dlsym at start; these are the ones
 * most programs never call. */
#define LAZY_FUNCTIONS(X)                                                                        \
    X(fopen, FILE *, (const char *, const char *))                                               \
    X(fopen64, FILE *, (const char *, const char *))                                             \
    X(freopen, FILE *, (const char *, const char *, FILE *))                                     \
    X(freopen64, FILE *, (const char *, const char *, FILE *))                                   \
    X(opendir, DIR *, (const char *))                                                            \
    X(scandir, int, (const char *, struct dirent ***, int (*)(const struct dirent *),            \
          int (*)(const struct dirent **, const struct dirent **)))                              \
    X(scandir64, int, (const char *, struct dirent64 ***, int (*)(const struct dirent64 *),      \
          int (*)(const struct dirent64 **, const struct dirent64 **)))                          \
    X(mkstemp, int, (char *))                                                                    \
    X(mkstemp64, int, (char *))                                                                  \
    X(mkostemp, int, (char *, int))                                                              \
    X(mkostemp64, int, (char *, int))                                                            \
    X(mkstemps, int, (char *, int))                                                              \
    X(mkstemps64, int, (char *, int))                                                            \
    X(mkostemps, int, (char *, int, int))                                                        \
    X(mkostemps64, int, (char *, int, int))                                                      \
    X(remove, int, (const char *))                                                               \
    X(dlopen, void *, (const char *, int))                                                       \
    X(close_range, int, (unsigned, unsigned, int))                                               \
    X(closefrom, void, (int))

#define DECLARE_REAL(name, ret, args) static ret(*real_##name) args;
REAL_FUNCTIONS(DECLARE_REAL)
LAZY_FUNCTIONS(DECLARE_REAL)

/* Set while this thread is inside dlsym: an allocator that opens files from within dlsym must
 * not recurse into the resolver (the open wrappers then fall back to the raw system call). */
static __thread int t_resolving __attribute__((tls_model("initial-exec")));

static void *resolve(const char *name)
{
    if (t_resolving)
        return NULL;
    t_resolving = 1;
    void *p = dlsym(RTLD_NEXT, name);
    t_resolving = 0;
    return p;
}

/* REAL_FUNCTIONS are resolved by the constructor, so ENSURE only matters for them in calls made
 * before it ran (another preloaded library's constructor); LAZY_FUNCTIONS are resolved here. */
#define ENSURE(name)                                                                             \
    do {                                                                                         \
        if (__builtin_expect(real_##name == NULL, 0))                                            \
            real_##name = (__typeof__(real_##name))resolve(#name);                               \
    } while (0)

/* What dlsym(RTLD_NEXT, name) would find, for many names in one pass: the objects after this
 * library in the link map, each name looked up in their GNU hash tables. dlsym takes the
 * loader's lock and costs ~1.8 us a call; the constructor's 31 calls were ~57 us of every
 * exec'd process. A name this does not settle plainly (no GNU hash table, an IFUNC, only
 * non-default versions) stays NULL and goes to dlsym. Runs in the constructor only. */
static uint32_t gnu_hash(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    return h;
}

struct elf_tables {
    const uint32_t *gnu_hash;
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Half) *versym;
};

static const void *dyn_ptr(const struct link_map *m, ElfW(Addr) value)
{
    /* glibc relocates these entries in place for ordinary objects; an entry below the load
     * address is still an offset (read-only dynamic sections, the vDSO). */
    return (const void *)(value < m->l_addr ? m->l_addr + value : value);
}

static int elf_tables_of(const struct link_map *m, struct elf_tables *t)
{
    memset(t, 0, sizeof *t);
    if (m->l_ld == NULL)
        return 0;
    for (const ElfW(Dyn) *d = m->l_ld; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_GNU_HASH)
            t->gnu_hash = dyn_ptr(m, d->d_un.d_ptr);
        else if (d->d_tag == DT_SYMTAB)
            t->symtab = dyn_ptr(m, d->d_un.d_ptr);
        else if (d->d_tag == DT_STRTAB)
            t->strtab = dyn_ptr(m, d->d_un.d_ptr);
        else if (d->d_tag == DT_VERSYM)
            t->versym = dyn_ptr(m, d->d_un.d_ptr);
    }
    return t->gnu_hash && t->symtab && t->strtab;
}

/* 1: found (*out set), 0: not defined here, -1: defined here but leave it to dlsym. */
static int gnu_lookup(const struct link_map *m, const struct elf_tables *t, const char *name, void **out)
{
    const uint32_t *ht = t->gnu_hash;
    uint32_t nbuckets = ht[0], symoffset = ht[1], bloom_size = ht[2], bloom_shift = ht[3];
    if (nbuckets == 0 || bloom_size == 0)
        return 0;
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)&ht[4];
    const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
    const uint32_t *chain = &buckets[nbuckets];
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    uint32_t h = gnu_hash(name);
    ElfW(Addr) word = bloom[(h / bits) % bloom_size];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
    if ((word & mask) != mask)
        return 0;
    uint32_t ix = buckets[h % nbuckets];
    if (ix < symoffset)
        return 0;
    int hidden_only = 0;
    for (;; ix++) {
        uint32_t h2 = chain[ix - symoffset];
        const ElfW(Sym) *sym = &t->symtab[ix];
        if ((h | 1) == (h2 | 1) && strcmp(name, t->strtab + sym->st_name) == 0 &&
            sym->st_shndx != SHN_UNDEF && sym->st_value != 0) {
            int type = sym->st_info & 0xf, bind = sym->st_info >> 4;  /* ELF{32,64}_ST_TYPE, _ST_BIND */
            if (bind == STB_GLOBAL || bind == STB_WEAK) {
                if (type == STT_GNU_IFUNC)
                    return -1;
                if (t->versym && (t->versym[ix] & 0x8000))
                    hidden_only = 1;
                else if (type == STT_FUNC) {
                    *out = (void *)(m->l_addr + sym->st_value);
                    return 1;
                }
            }
        }
        if (h2 & 1)
            break;
    }
    return hidden_only ? -1 : 0;
}

static void resolve_next_batch(const char *const *names, void **slots, size_t n)
{
    Dl_info info;
    struct link_map *self = NULL;
    if (!dladdr1((void *)&resolve_next_batch, &info, (void **)&self, RTLD_DL_LINKMAP) || self == NULL)
        return;
    char settled[64] = {0};   /* found, or left to dlsym: either way not searched further */
    if (n > sizeof settled)
        return;
    size_t left = n;
    for (const struct link_map *m = self->l_next; m != NULL && left; m = m->l_next) {
        struct elf_tables t;
        if (!elf_tables_of(m, &t))
            return;  /* an object we cannot read: the search order past it is dlsym's business */
        for (size_t i = 0; i < n; i++) {
            if (settled[i] || slots[i] != NULL)
                continue;
            if (gnu_lookup(m, &t, names[i], &slots[i]) != 0) {
                settled[i] = 1;   /* -1 leaves slots[i] NULL: dlsym decides */
                left--;
            }
        }
    }
}

static void resolve_all(void)
{
#define NAME(name, ret, args) #name,
#define SLOT(name, ret, args) (void *)real_##name,
    const char *names[] = {REAL_FUNCTIONS(NAME)};
    void *slots[] = {REAL_FUNCTIONS(SLOT)};
#undef NAME
#undef SLOT
    resolve_next_batch(names, slots, sizeof names / sizeof names[0]);
    size_t i = 0;
#define STORE(name, ret, args)                                                                  \
    if (real_##name == NULL && slots[i] != NULL)                                                 \
        real_##name = (__typeof__(real_##name))slots[i];                                         \
    i++;
    REAL_FUNCTIONS(STORE)
#undef STORE
#define RESOLVE(name, ret, args) ENSURE(name);
    REAL_FUNCTIONS(RESOLVE)
#undef RESOLVE
}

/* ======================================================================================
 * Configuration captured by the constructor (read-only afterwards)
 * ==================================================================================== */

static int g_active;                       /* ROAR_SPOOL_DIR was set when this image started */
/* The strings live packed in g_strings (so that the few hundred bytes they usually take touch
 * one page, not one page each: every exec'd process pays a page fault per page written). */
static char g_strings[5 * PATH_MAX + 64];
static size_t g_strings_used;
static char *g_spool_dir = (char *)"";     /* absolute */
static char *g_env_spool = (char *)"";     /* "ROAR_SPOOL_DIR=<dir>" for exec re-injection */
static char *g_ptrace = (char *)"";        /* $ROAR_PTRACE: where static and Go programs go */
static char *g_lib_path = (char *)"";      /* absolute path of this library */
static const char *g_lib_base = "";        /* its basename, inside g_lib_path */
static char *g_env_preload = (char *)"";   /* "LD_PRELOAD=<lib>" */
static uintptr_t g_self_load_addr;         /* to skip ourselves in the D list */
static const char *g_loader_name;          /* the dynamic loader: exec'ing it is not static */

/* ======================================================================================
 * Small system helpers (raw calls, never our own wrappers)
 * ==================================================================================== */

/* A system call without going through libc's syscall(): the shim exports its own syscall()
 * (below), so calling that name from inside the library would come back here. Returns the
 * kernel's raw result (-errno on failure) and never touches errno. */
#if defined(__x86_64__)
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory", "cc");
    return x0;
}
#else
/* Other architectures: libc's syscall() found with dlsym (resolved by the constructor). */
static long (*real_syscall)(long, ...);
static inline long raw_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    if (real_syscall == NULL)
        return -ENOSYS;
    int saved = errno;
    long r = real_syscall(n, a, b, c, d, e, f);
    if (r == -1) {
        r = -errno;
        errno = saved;
    }
    return r;
}
#endif

/* raw_syscall6 with libc's convention: -1 and errno on failure. */
static long sys_call(long n, long a, long b, long c, long d, long e, long f)
{
    long r = raw_syscall6(n, a, b, c, d, e, f);
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return (int)sys_call(SYS_openat, dirfd, (long)path, flags, mode, 0, 0);
}

/* close(2) for the shim's own descriptors: the exported close() wrapper watches the spool
 * descriptor's number, and the shim must not trip it itself. */
/* The exec path runs in a fresh fork child, where every libc page it calls into is a page fault
 * of its own (~2.3 us here): it makes its few system calls and string tests inline. */
static ssize_t sys_pread(int fd, void *buf, size_t len, uint64_t off)
{
    return (ssize_t)sys_call(SYS_pread64, fd, (long)buf, (long)len, (long)off, 0, 0);
}

static int sys_fstat(int fd, struct stat *st)
{
#ifdef __x86_64__
    return (int)sys_call(SYS_fstat, fd, (long)st, 0, 0, 0, 0);
#else
    return fstat(fd, st);
#endif
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* Do the first n bytes of s (SIZE_MAX: up to its NUL) start with prefix? */
static int has_prefix(const char *s, size_t n, const char *prefix)
{
    for (size_t i = 0; prefix[i]; i++)
        if (i >= n || s[i] != prefix[i])
            return 0;
    return 1;
}

static int sys_close(int fd)
{
    return (int)sys_call(SYS_close, fd, 0, 0, 0, 0, 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* "/proc/self/fd/<fd>" into buf (at least 32 bytes). */
static void proc_fd_path(char *buf, int fd)
{
    struct line l;
    line_init(&l, buf, 31, 0);
    line_puts(&l, "/proc/self/fd/");
    line_put_i64(&l, fd);
    buf[l.len] = '\0';
}

#define SPOOL_PATH_MAX (PATH_MAX + 48)

/* A spool file's name into buf (SPOOL_PATH_MAX bytes): "<spooldir>/<pid>.spool", or with a
 * stamp "<spooldir>/<pid>.<stamp>.spoolmap" (a mapped file, see below). 0 on success. */
static int spool_file_path(char *buf, pid_t pid, uint64_t stamp)
{
    struct line l;
    line_init(&l, buf, SPOOL_PATH_MAX - 1, 0);
    line_puts(&l, g_spool_dir);
    line_putc(&l, '/');
    line_put_i64(&l, pid);
    if (stamp) {
        line_putc(&l, '.');
        line_put_u64(&l, stamp);
    }
    line_puts(&l, stamp ? ".spoolmap" : ".spool");
    if (!line_ok(&l))
        return -1;
    buf[l.len] = '\0';
    return 0;
}

static int spool_path(char *buf, pid_t pid)
{
    return spool_file_path(buf, pid, 0);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* ======================================================================================
 * The spool descriptor
 *
 * g_spool_word = (pid << 32) | fd of the descriptor published for that pid; 0 = none. A forked
 * child sees the parent's pid in it and opens its own file. fd_is_spool compares the descriptor
 * with the file <pid>.spool names, so that a descriptor the program closed (and whose number now
 * names something else) is noticed before we write into a user file.
 *
 * That check (an fstat) is only made when it can matter: the close family and dup2/dup3
 * (wrappers below, and the same calls made through syscall()) bump g_spool_suspect when they
 * name the spool descriptor's number, and spool_fd re-checks only when the count moved since
 * the last check. A descriptor left below SPOOL_FD_FLOOR (the move failed) is checked always.
 * ==================================================================================== */

static uint64_t g_spool_word;
static uint32_t g_spool_suspect;  /* bumped when the program closes or replaces the number */
static uint32_t g_spool_verified; /* g_spool_suspect when the descriptor was last known good */

/* The program is about to close or replace descriptors lo..hi (inclusive). Async-signal-safe;
 * called before and after the real call (a descriptor published in between is caught too). */
static inline void spool_fd_touched(unsigned lo, unsigned hi)
{
    uint64_t w = __atomic_load_n(&g_spool_word, __ATOMIC_ACQUIRE);
    unsigned fd = (uint32_t)w;
    if (w != 0 && fd >= lo && fd <= hi)
        __atomic_add_fetch(&g_spool_suspect, 1, __ATOMIC_ACQ_REL);
}

static int build_header(struct line *l, const void *ctx);
typedef int (*builder)(struct line *, const void *);
static int emit_built(builder build, const void *ctx);

/* Is fd the spool file of `pid` (the same inode as <spooldir>/<pid>.spool)? Only asked on the
 * rare paths (a close or dup2 named the number; a forked child's inherited descriptor), so the
 * identity is not kept: no fstat when a file is opened. */
static int fd_is_spool(int fd, pid_t pid)
{
    struct stat st, named;
    char path[SPOOL_PATH_MAX];
    return fstat(fd, &st) == 0 && spool_path(path, pid) == 0 && stat(path, &named) == 0 &&
           st.st_dev == named.st_dev && st.st_ino == named.st_ino;
}

/* Move fd to SPOOL_FD_FLOOR or above (below RLIMIT_NOFILE if that is lower). */
static int move_high(int fd)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, SPOOL_FD_FLOOR);
    if (high < 0 && errno == EINVAL) { /* the floor is beyond RLIMIT_NOFILE */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 64 && (int)rl.rlim_cur - 32 > fd)
            high = fcntl(fd, F_DUPFD_CLOEXEC, (int)rl.rlim_cur - 32);
    }
    if (high < 0)
        return fd; /* keep the low number rather than lose events */
    sys_close(fd);
    return high;
}

/* Open <pid>.spool by path and move it high. Returns the fd or -1. */
static int spool_open(pid_t pid)
{
    char path[SPOOL_PATH_MAX];
    if (spool_path(path, pid) != 0)
        return -1;
    int fd = sys_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return fd < 0 ? -1 : move_high(fd);
}

/* Slow path of spool_fd: the published descriptor is missing, stale or a parent's. */
static int spool_reopen(uint64_t old, pid_t pid)
{
    int forked = old != 0 && (pid_t)(old >> 32) != pid;
    if (forked && fd_is_spool((int)(uint32_t)old, (pid_t)(old >> 32)))
        sys_close((int)(uint32_t)old); /* our copy of the parent's descriptor */
    uint32_t suspect = __atomic_load_n(&g_spool_suspect, __ATOMIC_ACQUIRE);
    int fd = spool_open(pid);
    if (fd < 0)
        return -1;
    uint64_t mine = ((uint64_t)(uint32_t)pid << 32) | (uint32_t)fd;
    if (!__atomic_compare_exchange_n(&g_spool_word, &old, mine, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        /* Another thread published first; use its descriptor if it is for this pid. */
        sys_close(fd);
        if (old != 0 && (pid_t)(old >> 32) == pid)
            return (int)(uint32_t)old;
        return -1;
    }
    __atomic_store_n(&g_spool_verified, suspect, __ATOMIC_RELEASE);
    /* A forked child (no exec, so no constructor) starts its file with an H line too, so that
     * every spool file names its parent. */
    if (forked)
        emit_built(build_header, NULL);
    return fd;
}

static int spool_fd(pid_t pid)
{
    uint64_t w = __atomic_load_n(&g_spool_word, __ATOMIC_ACQUIRE);
    if (w != 0 && (pid_t)(w >> 32) == pid) {
        int fd = (int)(uint32_t)w;
        uint32_t suspect = __atomic_load_n(&g_spool_suspect, __ATOMIC_ACQUIRE);
        if (suspect == __atomic_load_n(&g_spool_verified, __ATOMIC_ACQUIRE) && fd >= SPOOL_FD_FLOOR)
            return fd;
        if (fd_is_spool(fd, pid)) {
            __atomic_store_n(&g_spool_verified, suspect, __ATOMIC_RELEASE);
            return fd;
        }
    }
    return spool_reopen(w, pid);
}

/* ======================================================================================
 * The mapped spool
 *
 * A system call per event is most of what an event costs (a write of ~150 bytes to tmpfs is
 * ~1 us here; an open+close ~2.5 us). After MAP_AFTER_EVENTS events a process therefore maps a
 * file of its own, <pid>.<ns>.spoolmap, and appends lines with a memcpy: threads reserve space
 * with one atomic add, space is fallocate()d in steps (4 KiB doubling up to MAP_CHUNK, so a
 * full disk is an error of fallocate, never a SIGBUS), and each line's '\n' is stored last, so
 * a process killed in the middle of a copy leaves a line cut short followed by NUL bytes, which
 * the reader drops. The page cache keeps what was copied when the process or the daemon is
 * killed.
 *
 * Nothing but these copies ever writes to a .spoolmap file, so the O_APPEND lines of <pid>.spool
 * (the image's H and D lines, exec wrappers' W lines, a forked child's first lines) never
 * collide with it. The reader merges both files by TS.
 *
 * The state lives in pages marked MADV_WIPEONFORK: a child made by any fork-like clone (fork,
 * _Fork, syscall(SYS_clone), inline clone) finds them zeroed and starts afresh, so the cached
 * pid, the mapping and the big de-dup table can never be a parent's. A CLONE_VM child (vfork, posix_spawn) shares it: an
 * open there (undefined behaviour in POSIX) is written as the parent's. Only the process that
 * owns this image (owner_pid: set by the constructor and by the fork handler) sets a mapping
 * up, so a vfork child never installs its pid in the shared page.
 * ==================================================================================== */

#define MAP_AFTER_EVENTS 16
#define MAP_FIRST 4096             /* fallocate()d first; then as much again, up to MAP_CHUNK */
#define MAP_CHUNK (64 * 1024)      /* fallocate()d at a time once the file is that big */
#define MAP_WINDOW (1024 * 1024)   /* mapped at a time */
#define MAP_WINDOWS 256            /* so at most 256 MiB of lines go through the mapping */

/* Windows of 1 MiB rather than one big mapping: the address space a process is allowed
 * (RLIMIT_AS, `ulimit -v`) is the program's, and the shim takes only what it uses. */
struct proc_page {
    int claimed;        /* a thread is setting the mapping up, or gave up: never twice */
    pid_t pid;          /* this process, once the mapping is set up */
    int live;           /* the mapping is set up */
    int dead;           /* fallocate or mmap failed: every thread goes back to write(2) */
    uint64_t cursor;    /* next free byte */
    uint64_t allocated; /* bytes fallocate()d */
    uint64_t *seen_big; /* the de-dup table once the static one filled up (SEEN_BIG_SLOTS) */
    char *windows[MAP_WINDOWS]; /* window k maps bytes [k MiB, k+1 MiB) of the file */
    char path[SPOOL_PATH_MAX];  /* <spooldir>/<pid>.<ns>.spoolmap */
};

static struct proc_page *g_proc; /* MAP_PRIVATE pages, MADV_WIPEONFORK; NULL until needed */
static int g_map_unusable;       /* no MADV_WIPEONFORK here: never map */
/* What the fork handler resets in a child, on one cache line: one copy-on-write fault in each
 * forked child instead of one per variable. */
static struct {
    uint64_t seen_gen;       /* de-dup generation (see seen_key) */
    pid_t owner_pid;         /* the process allowed to set a mapping up */
    uint32_t events_written; /* events this process wrote through write(2) */
} g_fork_state __attribute__((aligned(64)));

/* The mapping of this process when it has one (never a parent's: see above). */
static inline struct proc_page *mapped_spool(void)
{
    struct proc_page *p = __atomic_load_n(&g_proc, __ATOMIC_ACQUIRE);
    if (p == NULL || !__atomic_load_n(&p->live, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&p->dead, __ATOMIC_RELAXED))
        return NULL;
    return p;
}

/* Publish the fresh mapping m (size bytes) in *slot, unless another thread published one first:
 * then m is unmapped. Returns what *slot holds. Lock-free, so safe in a signal handler. */
static void *publish_mapping(void **slot, void *m, size_t size)
{
    void *expected = NULL;
    if (__atomic_compare_exchange_n(slot, &expected, m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return m;
    munmap(m, size);
    return expected;
}

static size_t proc_page_size(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (sizeof(struct proc_page) + page - 1) / page * page;
}

static struct proc_page *proc_page(void)
{
    struct proc_page *p = __atomic_load_n(&g_proc, __ATOMIC_ACQUIRE);
    if (p != NULL || g_map_unusable)
        return p;
    size_t size = proc_page_size();
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    if (madvise(m, size, MADV_WIPEONFORK) != 0) { /* before Linux 4.14 */
        munmap(m, size);
        g_map_unusable = 1;
        return NULL;
    }
    return publish_mapping((void **)&g_proc, m, size);
}

/* fallocate [from, to) of the map file (opened by path: no descriptor is kept for the program
 * to close). 0 on success. */
static int map_allocate(const struct proc_page *p, uint64_t from, uint64_t to)
{
    int fd = sys_openat(AT_FDCWD, p->path, O_WRONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int r;
    do
        r = fallocate(fd, 0, (off_t)from, (off_t)(to - from));
    while (r != 0 && errno == EINTR);
    sys_close(fd);
    return r;
}

/* Window k of the map file, mapped on first use; NULL when it cannot be. Only the bytes
 * fallocate()d are ever touched, so the part of a window beyond the file's end is harmless. */
static char *map_window(struct proc_page *p, unsigned k)
{
    char *w = __atomic_load_n(&p->windows[k], __ATOMIC_ACQUIRE);
    if (w != NULL)
        return w;
    int fd = sys_openat(AT_FDCWD, p->path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    void *m = mmap(NULL, MAP_WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd,
                   (off_t)k * MAP_WINDOW);
    sys_close(fd);
    if (m == MAP_FAILED)
        return NULL;
    madvise(m, MAP_WINDOW, MADV_DONTFORK); /* a child has no use for it (its page is wiped) */
    return publish_mapping((void **)&p->windows[k], m, MAP_WINDOW);
}

/* Called after an event went through write(2): the MAP_AFTER_EVENTS-th sets the mapping up. */
static void map_after_write(pid_t pid)
{
    if (__atomic_add_fetch(&g_fork_state.events_written, 1, __ATOMIC_RELAXED) < MAP_AFTER_EVENTS ||
        g_map_unusable || pid != __atomic_load_n(&g_fork_state.owner_pid, __ATOMIC_RELAXED))
        return;
    struct proc_page *p = proc_page();
    int expected = 0;
    if (p == NULL || !__atomic_compare_exchange_n(&p->claimed, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                                  __ATOMIC_ACQUIRE))
        return;
    if (spool_file_path(p->path, pid, now_ns()) != 0)
        return;
    int fd = sys_openat(AT_FDCWD, p->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    sys_close(fd);
    if (map_allocate(p, 0, MAP_FIRST) != 0 || map_window(p, 0) == NULL) {
        unlink(p->path);
        return;
    }
    p->pid = pid;
    p->cursor = 0;
    p->allocated = MAP_FIRST;
    __atomic_store_n(&p->live, 1, __ATOMIC_RELEASE);
}

/* Copy n bytes to file offset off, across windows (all already mapped). */
static void map_put(struct proc_page *p, uint64_t off, const char *buf, size_t n)
{
    while (n > 0) {
        uint64_t in = off % MAP_WINDOW;
        size_t part = MAP_WINDOW - in < n ? (size_t)(MAP_WINDOW - in) : n;
        memcpy(p->windows[off / MAP_WINDOW] + in, buf, part);
        off += part;
        buf += part;
        n -= part;
    }
}

/* Copy one whole line (ending in '\n') into the mapping; 0 on success, -1 when the line must go
 * through write(2) instead (space or address space could not be had: the mapping is then given
 * up, before any byte of this line was copied). */
static int map_append(struct proc_page *p, const char *buf, size_t len)
{
    uint64_t off = __atomic_fetch_add(&p->cursor, len, __ATOMIC_RELAXED);
    uint64_t end = off + len;
    if (end > (uint64_t)MAP_WINDOWS * MAP_WINDOW)
        goto give_up;
    uint64_t have = __atomic_load_n(&p->allocated, __ATOMIC_ACQUIRE);
    if (end > have) {
        /* Small steps while the file is small: a build runs thousands of compilers, each with
         * a few dozen events, and on tmpfs every byte fallocate()d is memory until finalize. */
        uint64_t step = have < MAP_CHUNK ? (have > MAP_FIRST ? have : MAP_FIRST) : MAP_CHUNK;
        uint64_t want = (end + step - 1) / step * step;
        if (map_allocate(p, have < off ? have : off, want) != 0)
            goto give_up;
        while (have < want && !__atomic_compare_exchange_n(&p->allocated, &have, want, 0,
                                                           __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
    }
    for (uint64_t k = off / MAP_WINDOW; k <= (end - 1) / MAP_WINDOW; k++)
        if (map_window(p, (unsigned)k) == NULL)
            goto give_up;
    /* The '\n' last: a copy cut short by a kill leaves at least that byte NUL, and lines have
     * no other '\n', so the reader can tell it from a whole line. */
    map_put(p, off, buf, len - 1);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    char *last = p->windows[(end - 1) / MAP_WINDOW] + (end - 1) % MAP_WINDOW;
    __atomic_store_n(last, buf[len - 1], __ATOMIC_RELAXED);
    return 0;
give_up:
    __atomic_store_n(&p->dead, 1, __ATOMIC_RELAXED);
    return -1;
}

/* For the exec wrappers (perhaps in a vfork child): a private descriptor, no global state. */
static int spool_write_private(const char *buf, size_t len, pid_t pid)
{
    char path[SPOOL_PATH_MAX];
    if (spool_path(path, pid) != 0)
        return -1;
    int fd = sys_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int r = write_all(fd, buf, len);
    sys_close(fd);
    return r;
}

/* ======================================================================================
 * Building lines
 * ==================================================================================== */

static void line_head(struct line *l, char kind)
{
    line_putc(l, kind);
    line_tab(l);
    line_put_u64(l, now_ns());
    line_tab(l);
    line_put_i64(l, l->pid);
}

/* Append the target of a symlink such as /proc/self/fd/N raw; 0 on success. */
static int line_put_readlink(struct line *l, const char *link)
{
    size_t room = l->cap > l->len ? l->cap - l->len : 0;
    char *p = line_reserve(l, room);
    if (!p || room == 0) {
        l->overflow = 1;
        return -1;
    }
    ssize_t n = readlink(link, p, room);
    if (n < 0)
        return -1;
    if ((size_t)n == room) { /* maybe truncated: let the caller retry bigger */
        l->overflow = 1;
        return -1;
    }
    l->len += (size_t)n;
    return 0;
}

/* Append the current directory raw; 0 on success. Raw syscall: glibc's getcwd falls back to a
 * malloc-based walk for long paths, and must not be used in a signal handler. */
static int line_put_cwd(struct line *l)
{
    size_t room = l->cap > l->len ? l->cap - l->len : 0;
    char *p = line_reserve(l, room);
    if (!p || room == 0) {
        l->overflow = 1;
        return -1;
    }
    long n = sys_call(SYS_getcwd, (long)p, (long)room, 0, 0, 0, 0);
    if (n < 0 && errno == ERANGE) {
        l->overflow = 1;
        return -1;
    }
    if (n > 1 && p[0] == '/') { /* n counts the NUL */
        l->len += (size_t)n - 1;
        return 0;
    }
    /* Deleted or unreachable cwd: /proc/self/cwd still names it (with " (deleted)"). */
    return line_put_readlink(l, "/proc/self/cwd");
}

/* Append the directory a relative name is resolved against (raw). */
static int line_put_base(struct line *l, int dirfd)
{
    if (dirfd == AT_FDCWD)
        return line_put_cwd(l);
    char link[32];
    proc_fd_path(link, dirfd);
    return line_put_readlink(l, link);
}

/* Append `name` made absolute against dirfd, normalised lexically and escaped. */
static void line_put_path(struct line *l, int dirfd, const char *name)
{
    size_t start = l->len;
    if (name[0] != '/') {
        if (line_put_base(l, dirfd) != 0 || l->buf[start] != '/') {
            if (!l->overflow)
                l->error = "unresolved-path";
            return;
        }
        if (name[0])
            line_putc(l, '/');
    }
    line_puts(l, name);
    if (!line_ok(l))
        return;
    l->len = start + path_normalize(l->buf + start, l->len - start);
    line_escape_from(l, start);
}

/* Append an absolute path that needs no resolution (normalised and escaped). */
static void line_put_abs(struct line *l, const char *path)
{
    line_put_path(l, AT_FDCWD, path);
}

/* Append REAL of an O line: the kernel's name for fd, or "-" when equal to the PATH field at
 * [path_start, path_start + path_len) (both compared escaped; escaping is injective). */
static void line_put_real(struct line *l, int fd, size_t path_start, size_t path_len)
{
    char link[32];
    proc_fd_path(link, fd);
    size_t start = l->len;
    if (line_put_readlink(l, link) != 0) {
        if (!l->overflow)
            line_putc(l, '-'); /* no name (the kernel could not say): treated as equal */
        return;
    }
    line_escape_from(l, start);
    if (!line_ok(l))
        return;
    if (l->len - start == path_len && memcmp(l->buf + start, l->buf + path_start, path_len) == 0) {
        l->len = start;
        line_putc(l, '-');
    }
}

/* Where built lines go. `fd` is the spool descriptor, or -1 for a private one (exec wrappers,
 * see the file header). With `batch` set, whole lines are collected and written together (the
 * constructor's H and D lines: one write instead of one per line; a line is never split). */
struct sink {
    int fd;
    pid_t pid;
    char *batch;
    size_t batch_len, batch_cap;
    struct proc_page *map; /* set: lines are copied into this process's mapping (fd unused) */
};

static int sink_write(struct sink *k, const char *buf, size_t len)
{
    if (k->map != NULL) {
        if (map_append(k->map, buf, len) == 0)
            return 0;
        k->map = NULL;
        if ((k->fd = spool_fd(k->pid)) < 0)
            return -1;
    }
    return k->fd >= 0 ? write_all(k->fd, buf, len) : spool_write_private(buf, len, k->pid);
}

static int sink_flush(struct sink *k)
{
    int r = k->batch_len ? sink_write(k, k->batch, k->batch_len) : 0;
    k->batch_len = 0;
    return r;
}

static int emit_line(struct line *l, struct sink *k)
{
    line_putc(l, '\n');
    if (!line_ok(l))
        return -1;
    if (k->batch == NULL)
        return sink_write(k, l->buf, l->len);
    if (k->batch_len + l->len > k->batch_cap && sink_flush(k) != 0)
        return -1;
    if (l->len > k->batch_cap)
        return sink_write(k, l->buf, l->len);
    memcpy(k->batch + k->batch_len, l->buf, l->len);
    k->batch_len += l->len;
    return 0;
}

/* Report that an event could not be written, as a W spool-error line. */
static int emit_spool_error(const char *reason, struct sink *k)
{
    char buf[256];
    struct line l;
    line_init(&l, buf, sizeof buf - 1, k->pid);
    line_head(&l, 'W');
    line_tab(&l);
    line_puts(&l, "spool-error");
    line_tab(&l);
    line_puts(&l, reason);
    return emit_line(&l, k);
}

/* The big frame only for long paths, so that ordinary events stay light on the stack (a signal
 * handler may run on a small alternate stack). */
static __attribute__((noinline)) int emit_big(builder build, const void *ctx, struct sink *k)
{
    char buf[BIG_LINE];
    struct line l;
    line_init(&l, buf, sizeof buf - 1, k->pid);
    if (!build(&l, ctx))
        return 0;
    if (!line_ok(&l))
        return emit_spool_error(l.error ? l.error : "line-too-long", k);
    return emit_line(&l, k);
}

/* Build a line with `build` (which returns 0 when there is nothing to write) and send it. */
static int emit_to(builder build, const void *ctx, struct sink *k)
{
    char buf[SMALL_LINE];
    struct line l;
    line_init(&l, buf, sizeof buf - 1, k->pid); /* keep a byte for the newline */
    if (!build(&l, ctx))
        return 0;
    if (l.overflow)
        return emit_big(build, ctx, k);
    if (l.error)
        return emit_spool_error(l.error, k);
    return emit_line(&l, k);
}

/* Through the shared spool descriptor (the normal case). The descriptor is fetched before the
 * line is built, so that a forked child's H line (written by spool_reopen) gets an earlier TS
 * than the event that made the child open its file. */
static int emit_built(builder build, const void *ctx)
{
    struct proc_page *p = mapped_spool();
    if (p != NULL) {
        struct sink k = {-1, p->pid, NULL, 0, 0, p};
        return emit_to(build, ctx, &k);
    }
    struct sink k = {-1, getpid(), NULL, 0, 0, NULL};
    k.fd = spool_fd(k.pid);
    if (k.fd < 0)
        return -1;
    int r = emit_to(build, ctx, &k);
    if (r == 0)
        map_after_write(k.pid);
    return r;
}

/* Through a private descriptor: safe in a vfork child. */
static int emit_private(builder build, const void *ctx)
{
    struct sink k = {-1, getpid(), NULL, 0, 0, NULL};
    return emit_to(build, ctx, &k);
}

/* ======================================================================================
 * De-dup of opens: (dev, ino, size, mtime, access class, name as given) already reported.
 * The name is part of the key so that a second name for one file (symlink, hardlink) is
 * still reported once.
 * ==================================================================================== */

static uint64_t g_seen[SEEN_SLOTS];
/* g_fork_state.seen_gen is bumped in a fork() child: entries of the parent no longer match
 * (cheaper than clearing 64 KiB in every child, most of which exec at once). */

/* A key as stored: salted with the generation, never 0 (0 marks an empty slot). */
static uint64_t seen_key(uint64_t fp)
{
    uint64_t k = mix64(fp, __atomic_load_n(&g_fork_state.seen_gen, __ATOMIC_RELAXED));
    return k ? k : 1;
}

static uint64_t open_fingerprint(const struct stat *st, int flags, int dirfd, const char *name)
{
    int acc = (flags & O_PATH) ? 3 : (flags & O_ACCMODE);
    uint64_t h = mix64(0, (uint64_t)st->st_dev);
    h = mix64(h, (uint64_t)st->st_ino);
    h = mix64(h, (uint64_t)st->st_size);
    h = mix64(h, (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec);
    h = mix64(h, (uint64_t)acc);
    h = mix64(h, (uint64_t)(name[0] == '/' ? AT_FDCWD : dirfd));
    return hash_str(h, name);
}

/* The loaded objects (D lines) have a one-page table of their own: the constructor lists a few
 * of them in every exec'd process, and in the big table they would land on as many pages,
 * each a page fault. When its neighbourhood is full a key goes to the big table. */
#define SEEN_LIB_SLOTS 512
static uint64_t g_seen_lib[SEEN_LIB_SLOTS];

static int table_contains(const uint64_t *table, unsigned slots, uint64_t key)
{
    for (unsigned i = 0; i < SEEN_PROBES; i++) {
        uint64_t v = __atomic_load_n(&table[(key + i) % slots], __ATOMIC_RELAXED);
        if (v == key)
            return 1;
        if (v == 0)
            return 0;
    }
    return 0;
}

/* 1 when key is in the table (now or already), 0 when its neighbourhood is full. */
static int table_insert(uint64_t *table, unsigned slots, uint64_t key)
{
    for (unsigned i = 0; i < SEEN_PROBES; i++) {
        uint64_t *slot = &table[(key + i) % slots];
        uint64_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);
        if (v == key)
            return 1;
        if (v == 0 && __atomic_compare_exchange_n(slot, &v, key, 0, __ATOMIC_RELAXED,
                                                  __ATOMIC_RELAXED))
            return 1;
        if (v == key) /* lost the race to the same key */
            return 1;
    }
    return 0;
}

/* The static table fills up after ~4,000 files (two keys each); a process opening more (a data
 * loader going over 100,000 images each epoch) would then report every repeated open again. The
 * first insert that finds its neighbourhood full maps a bigger table (2 MiB, touched as used),
 * which takes the static one's keys and replaces it for the rest of the process (a key another
 * thread adds meanwhile may be missed: that file is reported once more at most). Its pointer
 * lives in the wiped page, so a forked child starts with the static table again. */
#define SEEN_BIG_SLOTS (1u << 18)

static uint64_t *seen_big(void)
{
    struct proc_page *p = __atomic_load_n(&g_proc, __ATOMIC_ACQUIRE);
    return p ? __atomic_load_n(&p->seen_big, __ATOMIC_ACQUIRE) : NULL;
}

static uint64_t *seen_big_create(void)
{
    struct proc_page *p = proc_page();
    if (p == NULL)
        return NULL;
    size_t size = SEEN_BIG_SLOTS * sizeof(uint64_t);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    madvise(m, size, MADV_DONTFORK);
    uint64_t *big = m;
    for (unsigned i = 0; i < SEEN_SLOTS; i++) {
        uint64_t key = __atomic_load_n(&g_seen[i], __ATOMIC_RELAXED);
        if (key != 0)
            table_insert(big, SEEN_BIG_SLOTS, key);
    }
    return publish_mapping((void **)&p->seen_big, m, size);
}

static int seen_contains(uint64_t fp)
{
    uint64_t *big = seen_big();
    return big ? table_contains(big, SEEN_BIG_SLOTS, seen_key(fp))
               : table_contains(g_seen, SEEN_SLOTS, seen_key(fp));
}

/* Neighbourhood full even in the big table: the open is simply reported again next time. */
static void seen_insert(uint64_t fp)
{
    uint64_t key = seen_key(fp), *big = seen_big();
    if (big == NULL && table_insert(g_seen, SEEN_SLOTS, key))
        return;
    if (big != NULL || (big = seen_big_create()) != NULL)
        table_insert(big, SEEN_BIG_SLOTS, key);
}

static int seen_lib_contains(uint64_t fp)
{
    uint64_t key = seen_key(fp);
    return table_contains(g_seen_lib, SEEN_LIB_SLOTS, key) || table_contains(g_seen, SEEN_SLOTS, key);
}

static void seen_lib_insert(uint64_t fp)
{
    uint64_t key = seen_key(fp);
    if (!table_insert(g_seen_lib, SEEN_LIB_SLOTS, key))
        table_insert(g_seen, SEEN_SLOTS, key);
}

/* fork() child: its own spool file must list what it opens, even what the parent saw. */
static void on_fork_child(void)
{
    __atomic_add_fetch(&g_fork_state.seen_gen, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&g_fork_state.owner_pid, getpid(), __ATOMIC_RELAXED);
    __atomic_store_n(&g_fork_state.events_written, 0, __ATOMIC_RELAXED);
}

/* ======================================================================================
 * Events
 * ==================================================================================== */

static int build_header(struct line *l, const void *ctx)
{
    (void)ctx;
    line_head(l, 'H');
    line_tab(l);
    line_put_i64(l, getppid());
    line_tab(l);
    size_t start = l->len;
    if (line_put_readlink(l, "/proc/self/exe") == 0)
        line_escape_from(l, start);
    else if (!l->overflow)
        line_putc(l, '-');
    line_tab(l);
    line_put_path(l, AT_FDCWD, ".");
    return 1;
}

struct open_ev {
    int dirfd;
    const char *name;
    int flags;
    int fd;
    const struct stat *st;
};

static char file_type(mode_t m)
{
    return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : 'o';
}

static int has_dotdot(const char *name)
{
    for (const char *p = name; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
            return 1;
    return 0;
}

/* May REAL be left to the reader ("?": it resolves symlinks in PATH when the run ends)? Asking
 * the kernel here (readlink of /proc/self/fd/N, ~3.5 us) costs more than the open itself. Not
 * when PATH lost information the kernel's name has: a ".." component was normalised away
 * lexically (wrong after a symlinked directory), PATH names a descriptor (/proc/self/fd/N,
 * /dev/stdin), which only this process can resolve, or the file has no name (O_TMPFILE). */
static int real_left_to_reader(const struct open_ev *e, const char *path, size_t path_len)
{
    return (e->flags & O_TMPFILE) != O_TMPFILE && !has_dotdot(e->name) &&
           !has_prefix(path, path_len, "/proc/") && !has_prefix(path, path_len, "/dev/fd/") &&
           !has_prefix(path, path_len, "/dev/std");
}

static int build_open(struct line *l, const void *ctx)
{
    const struct open_ev *e = ctx;
    line_head(l, 'O');
    line_tab(l);
    line_put_hex(l, (uint32_t)e->flags);
    line_tab(l);
    line_putc(l, file_type(e->st->st_mode));
    line_tab(l);
    line_put_u64(l, (uint64_t)e->st->st_dev);
    line_tab(l);
    line_put_u64(l, (uint64_t)e->st->st_ino);
    line_tab(l);
    line_put_i64(l, (int64_t)e->st->st_size);
    line_tab(l);
    line_put_i64(l, (int64_t)e->st->st_mtim.tv_sec * 1000000000LL + e->st->st_mtim.tv_nsec);
    line_tab(l);
    size_t path_start = l->len;
    line_put_path(l, e->dirfd, e->name);
    size_t path_len = l->len - path_start;
    line_tab(l);
    if (line_ok(l) && real_left_to_reader(e, l->buf + path_start, path_len))
        line_putc(l, '?');
    else
        line_put_real(l, e->fd, path_start, path_len);
    return 1;
}

/* Repeated read-only opens of one absolute name cost no fstat: once such an open was reported
 * (with the file's identity), the same name and access class is known until this process
 * changes the namespace or a file's content itself (a rename, link, unlink, truncate, or an
 * open that can write: g_names_gen moves on). A file changed by another process in between is
 * still caught: finalize compares the reported identity with the file's when it hashes it and
 * flags the input changed-during-run. */
static uint64_t g_names_gen;

static void names_changed(void)
{
    __atomic_add_fetch(&g_names_gen, 1, __ATOMIC_RELAXED);
}

static int read_only_open(int flags)
{
    return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC | O_PATH));
}

static uint64_t name_fingerprint(const char *name)
{
    uint64_t h = mix64(0x726f61722d6e616dULL, __atomic_load_n(&g_names_gen, __ATOMIC_RELAXED));
    return hash_str(h, name);
}

/* Record a successful open of `name` (relative to dirfd) that returned fd. */
static void record_open(int dirfd, const char *name, int flags, int fd)
{
    if (!g_active || fd < 0 || name == NULL)
        return;
    int saved = errno;
    int by_name = name[0] == '/' && read_only_open(flags);
    uint64_t nfp = by_name ? name_fingerprint(name) : 0;
    if (!read_only_open(flags))
        names_changed();
    else if (by_name && seen_contains(nfp)) {
        errno = saved;
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        uint64_t fp = open_fingerprint(&st, flags, dirfd, name);
        int known = seen_contains(fp);
        if (!known) {
            struct open_ev e = {dirfd, name, flags, fd, &st};
            known = emit_built(build_open, &e) == 0;
            if (known)
                seen_insert(fp);
        }
        if (known && by_name)
            seen_insert(nfp);
    }
    errno = saved;
}

/* Record an open done where we cannot see the descriptor (scandir): open it O_PATH ourselves. */
static void record_open_by_name(int dirfd, const char *name, int flags)
{
    if (!g_active || name == NULL)
        return;
    int saved = errno;
    int fd = sys_openat(dirfd, name, O_PATH | O_CLOEXEC, 0);
    if (fd >= 0) {
        record_open(dirfd, name, flags, fd);
        sys_close(fd);
    }
    errno = saved;
}

/* R, L, U, T, K, D: a kind letter, an optional hex flags field and one or two paths. */
struct path_ev {
    char kind;
    int has_flags;
    unsigned flags;
    int dirfd1;
    const char *name1; /* NULL: written as "-" */
    int dirfd2;
    const char *name2; /* NULL: one-path event */
};

static int build_path_event(struct line *l, const void *ctx)
{
    const struct path_ev *e = ctx;
    line_head(l, e->kind);
    if (e->has_flags) {
        line_tab(l);
        line_put_hex(l, e->flags);
    }
    line_tab(l);
    if (e->name1)
        line_put_path(l, e->dirfd1, e->name1);
    else
        line_putc(l, '-');
    if (e->name2) {
        line_tab(l);
        line_put_path(l, e->dirfd2, e->name2);
    }
    return 1;
}

static void record_path_event(const struct path_ev *e)
{
    if (!g_active)
        return;
    int saved = errno;
    if (e->kind != 'D' && e->kind != 'K')
        names_changed();
    emit_built(build_path_event, e);
    errno = saved;
}

static void record_one(char kind, int dirfd, const char *name)
{
    if (!g_active || name == NULL)
        return;
    struct path_ev e = {kind, 0, 0, dirfd, name, 0, NULL};
    record_path_event(&e);
}

static void record_two(char kind, int has_flags, unsigned flags, int dirfd1, const char *name1,
                       int dirfd2, const char *name2)
{
    if (!g_active || name2 == NULL)
        return;
    struct path_ev e = {kind, has_flags, flags, dirfd1, name1, dirfd2, name2};
    record_path_event(&e);
}

/* ======================================================================================
 * Constructor: H line, libraries already mapped, configuration for exec re-injection
 * ==================================================================================== */

/* D line for a loaded object, once per process image (a dlopen of an object already listed,
 * or already loaded, repeats nothing). Names that are not absolute (the vdso) are skipped. */
static void record_library(const char *name, struct sink *k)
{
    if (name == NULL || name[0] != '/')
        return;
    uint64_t fp = hash_str(mix64(0, 'D'), name);
    if (seen_lib_contains(fp))
        return;
    struct path_ev e = {'D', 0, 0, AT_FDCWD, name, 0, NULL};
    if ((k ? emit_to(build_path_event, &e, k) : emit_built(build_path_event, &e)) == 0)
        seen_lib_insert(fp);
}

/* dl_iterate_phdr callback of the constructor: a D line per object, and note which one is the
 * dynamic loader (exec'ing it is not a static exec, see inspect_exec_fd). */
static int list_library(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    /* Its name only: it is stat'ed when a static program is exec'd (rare), not at every start. */
    if (info->dlpi_addr == (uintptr_t)getauxval(AT_BASE) && info->dlpi_name && info->dlpi_name[0])
        g_loader_name = info->dlpi_name;
    /* The main program has an empty name; skip ourselves too. */
    if (info->dlpi_addr != g_self_load_addr)
        record_library(info->dlpi_name, data);
    return 0;
}

/* Make `in` absolute (lexically, against the cwd) into out[PATH_MAX]; 0 on success. */
static int absolute_into(char *out, const char *in)
{
    struct line l;
    line_init(&l, out, PATH_MAX - 1, 0);
    if (in[0] != '/') {
        if (line_put_cwd(&l) != 0)
            return -1;
        line_putc(&l, '/');
    }
    line_puts(&l, in);
    if (!line_ok(&l))
        return -1;
    l.len = path_normalize(out, l.len);
    out[l.len] = '\0';
    return 0;
}

/* out = a + b, NUL-terminated, within cap bytes; 0 on success. */
static int concat_into(char *out, size_t cap, const char *a, const char *b)
{
    struct line l;
    line_init(&l, out, cap - 1, 0);
    line_puts(&l, a);
    line_puts(&l, b);
    if (!line_ok(&l))
        return -1;
    out[l.len] = '\0';
    return 0;
}

/* A copy of the NUL-terminated a + b in g_strings (the constructor only); NULL if full. */
static char *keep_string(const char *a, const char *b)
{
    char *out = g_strings + g_strings_used;
    if (concat_into(out, sizeof g_strings - g_strings_used, a, b) != 0)
        return NULL;
    g_strings_used += strlen(out) + 1;
    return out;
}

static int capture_config(const char *dir)
{
    char tmp[PATH_MAX];
    if (absolute_into(tmp, dir) != 0 || (g_spool_dir = keep_string(tmp, "")) == NULL)
        return -1;
    Dl_info info;
    if (!dladdr((void *)capture_config, &info) || !info.dli_fname)
        return -1;
    g_self_load_addr = (uintptr_t)info.dli_fbase;
    if (absolute_into(tmp, info.dli_fname) != 0 || (g_lib_path = keep_string(tmp, "")) == NULL)
        return -1;
    const char *slash = strrchr(g_lib_path, '/');
    g_lib_base = slash ? slash + 1 : g_lib_path;
    /* The dynamic linker's dli_fbase and dlpi_addr differ for a PIE-linked object: use the
     * link map's l_addr, which is what dl_iterate_phdr reports. */
    struct link_map *lm = NULL;
    if (dladdr1((void *)capture_config, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm)
        g_self_load_addr = lm->l_addr;
    if ((g_env_spool = keep_string("ROAR_SPOOL_DIR=", g_spool_dir)) == NULL ||
        (g_env_preload = keep_string("LD_PRELOAD=", g_lib_path)) == NULL)
        return -1;
    const char *ptrace_tracer = getenv("ROAR_PTRACE");
    char *kept;
    if (ptrace_tracer && ptrace_tracer[0] == '/' && strlen(ptrace_tracer) < PATH_MAX &&
        access(ptrace_tracer, X_OK) == 0 && (kept = keep_string(ptrace_tracer, "")) != NULL)
        g_ptrace = kept;
    return 0;
}

__attribute__((constructor)) static void roar_init(void)
{
    resolve_all();
#if !defined(__x86_64__) && !defined(__aarch64__)
    if (real_syscall == NULL)
        real_syscall = (long (*)(long, ...))resolve("syscall");
#endif
    const char *dir = getenv("ROAR_SPOOL_DIR");
    if (dir == NULL || dir[0] == '\0' || capture_config(dir) != 0)
        return;
    pthread_atfork(NULL, NULL, on_fork_child);
    __atomic_store_n(&g_active, 1, __ATOMIC_RELEASE);
    /* H and the D lines of what the loader mapped, in as few writes as possible: this runs at
     * every exec of every traced process. */
    char batch[4096];
    struct sink k = {-1, getpid(), batch, 0, sizeof batch, NULL};
    g_fork_state.owner_pid = k.pid;
    k.fd = spool_fd(k.pid);
    if (k.fd < 0)
        return;
    emit_to(build_header, NULL, &k);
    dl_iterate_phdr(list_library, &k);
    sink_flush(&k);
}

/* ======================================================================================
 * Open family
 * ==================================================================================== */

/* open's third argument exists only with O_CREAT or O_TMPFILE; reading it otherwise would read
 * garbage (harmless on x86-64, but undefined), so only fetch it when the flags say so. */
#define OPEN_MODE(flags, last)                                                                   \
    mode_t mode = 0;                                                                             \
    if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) {                             \
        va_list ap;                                                                              \
        va_start(ap, last);                                                                      \
        mode = (mode_t)va_arg(ap, int);                                                          \
        va_end(ap);                                                                              \
    }

static int call_openat(int (*real)(int, const char *, int, ...), int dirfd, const char *path,
                       int flags, mode_t mode)
{
    int fd = real ? real(dirfd, path, flags, mode) : sys_openat(dirfd, path, flags, mode);
    record_open(dirfd, path, flags, fd);
    return fd;
}

static int call_open(int (*real)(const char *, int, ...), const char *path, int flags, mode_t mode)
{
    int fd = real ? real(path, flags, mode) : sys_openat(AT_FDCWD, path, flags, mode);
    record_open(AT_FDCWD, path, flags, fd);
    return fd;
}

EXPORT int open(const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    ENSURE(open);
    return call_open(real_open, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    ENSURE(open64);
    return call_open(real_open64, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    ENSURE(openat);
    return call_openat(real_openat, dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    ENSURE(openat64);
    return call_openat(real_openat64, dirfd, path, flags, mode);
}

EXPORT int __open_2(const char *path, int flags)
{
    ENSURE(__open_2);
    int fd = real___open_2 ? real___open_2(path, flags) : sys_openat(AT_FDCWD, path, flags, 0);
    record_open(AT_FDCWD, path, flags, fd);
    return fd;
}

EXPORT int __open64_2(const char *path, int flags)
{
    ENSURE(__open64_2);
    int fd = real___open64_2 ? real___open64_2(path, flags) : sys_openat(AT_FDCWD, path, flags, 0);
    record_open(AT_FDCWD, path, flags, fd);
    return fd;
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    ENSURE(__openat_2);
    int fd = real___openat_2 ? real___openat_2(dirfd, path, flags) : sys_openat(dirfd, path, flags, 0);
    record_open(dirfd, path, flags, fd);
    return fd;
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    ENSURE(__openat64_2);
    int fd = real___openat64_2 ? real___openat64_2(dirfd, path, flags)
                               : sys_openat(dirfd, path, flags, 0);
    record_open(dirfd, path, flags, fd);
    return fd;
}

#define CREAT_FLAGS (O_WRONLY | O_CREAT | O_TRUNC)

EXPORT int creat(const char *path, mode_t mode)
{
    ENSURE(creat);
    int fd = real_creat ? real_creat(path, mode) : sys_openat(AT_FDCWD, path, CREAT_FLAGS, mode);
    record_open(AT_FDCWD, path, CREAT_FLAGS, fd);
    return fd;
}

EXPORT int creat64(const char *path, mode_t mode)
{
    ENSURE(creat64);
    int fd = real_creat64 ? real_creat64(path, mode) : sys_openat(AT_FDCWD, path, CREAT_FLAGS, mode);
    record_open(AT_FDCWD, path, CREAT_FLAGS, fd);
    return fd;
}

/* The open(2) flags an fopen mode string stands for ("r", "w+", "ae", "rbx" ...). */
static int fopen_flags(const char *mode)
{
    int flags;
    switch (mode ? mode[0] : 'r') {
    case 'w':
        flags = O_WRONLY | O_CREAT | O_TRUNC;
        break;
    case 'a':
        flags = O_WRONLY | O_CREAT | O_APPEND;
        break;
    default:
        flags = O_RDONLY;
    }
    for (const char *p = mode ? mode + 1 : ""; *p && *p != ','; p++) {
        if (*p == '+')
            flags = (flags & ~O_ACCMODE) | O_RDWR;
        else if (*p == 'x')
            flags |= O_EXCL;
        else if (*p == 'e')
            flags |= O_CLOEXEC;
    }
    return flags;
}

static void record_stream(const char *path, const char *mode, FILE *f)
{
    if (f && g_active)
        record_open(AT_FDCWD, path, fopen_flags(mode), fileno_unlocked(f));
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
    ENSURE(fopen);
    FILE *f = real_fopen(path, mode);
    record_stream(path, mode, f);
    return f;
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
    ENSURE(fopen64);
    FILE *f = real_fopen64(path, mode);
    record_stream(path, mode, f);
    return f;
}

/* freopen(NULL, mode, f) only changes the mode of the same file: nothing new is opened. */
EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    ENSURE(freopen);
    FILE *f = real_freopen(path, mode, stream);
    if (path)
        record_stream(path, mode, f);
    return f;
}

EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
    ENSURE(freopen64);
    FILE *f = real_freopen64(path, mode, stream);
    if (path)
        record_stream(path, mode, f);
    return f;
}

/* Directory listings (case 11). glibc's opendir/scandir open the directory internally, out of
 * reach of the open wrappers. */
#define OPENDIR_FLAGS (O_RDONLY | O_DIRECTORY)

EXPORT DIR *opendir(const char *path)
{
    ENSURE(opendir);
    DIR *d = real_opendir(path);
    if (d && g_active)
        record_open(AT_FDCWD, path, OPENDIR_FLAGS, dirfd(d));
    return d;
}

EXPORT int scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
                   int (*compar)(const struct dirent **, const struct dirent **))
{
    ENSURE(scandir);
    int n = real_scandir(path, list, filter, compar);
    if (n >= 0)
        record_open_by_name(AT_FDCWD, path, OPENDIR_FLAGS);
    return n;
}

EXPORT int scandir64(const char *path, struct dirent64 ***list,
                     int (*filter)(const struct dirent64 *),
                     int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
    ENSURE(scandir64);
    int n = real_scandir64(path, list, filter, compar);
    if (n >= 0)
        record_open_by_name(AT_FDCWD, path, OPENDIR_FLAGS);
    return n;
}

/* mkstemp and friends create through glibc's internal open; the template now holds the name. */
#define MKSTEMP_FLAGS (O_RDWR | O_CREAT | O_EXCL)
#define WRAP_MKSTEMP(name, params, args, extra_flags)                                            \
    EXPORT int name params                                                                       \
    {                                                                                            \
        ENSURE(name);                                                                            \
        int fd = real_##name args;                                                               \
        record_open(AT_FDCWD, tmpl, MKSTEMP_FLAGS | (extra_flags), fd);                          \
        return fd;                                                                               \
    }

WRAP_MKSTEMP(mkstemp, (char *tmpl), (tmpl), 0)
WRAP_MKSTEMP(mkstemp64, (char *tmpl), (tmpl), 0)
WRAP_MKSTEMP(mkostemp, (char *tmpl, int flags), (tmpl, flags), flags)
WRAP_MKSTEMP(mkostemp64, (char *tmpl, int flags), (tmpl, flags), flags)
WRAP_MKSTEMP(mkstemps, (char *tmpl, int suffixlen), (tmpl, suffixlen), 0)
WRAP_MKSTEMP(mkstemps64, (char *tmpl, int suffixlen), (tmpl, suffixlen), 0)
WRAP_MKSTEMP(mkostemps, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags), flags)
WRAP_MKSTEMP(mkostemps64, (char *tmpl, int suffixlen, int flags), (tmpl, suffixlen, flags), flags)

/* ======================================================================================
 * rename, link, unlink, truncate, mkdir
 * ==================================================================================== */

EXPORT int rename(const char *old, const char *new)
{
    ENSURE(rename);
    int r = real_rename(old, new);
    if (r == 0)
        record_two('R', 1, 0, AT_FDCWD, old, AT_FDCWD, new);
    return r;
}

EXPORT int renameat(int olddir, const char *old, int newdir, const char *new)
{
    ENSURE(renameat);
    int r = real_renameat(olddir, old, newdir, new);
    if (r == 0)
        record_two('R', 1, 0, olddir, old, newdir, new);
    return r;
}

EXPORT int renameat2(int olddir, const char *old, int newdir, const char *new, unsigned flags)
{
    ENSURE(renameat2);
    int r = real_renameat2(olddir, old, newdir, new, flags);
    if (r == 0)
        record_two('R', 1, flags, olddir, old, newdir, new);
    return r;
}

EXPORT int link(const char *old, const char *new)
{
    ENSURE(link);
    int r = real_link(old, new);
    if (r == 0)
        record_two('L', 0, 0, AT_FDCWD, old, AT_FDCWD, new);
    return r;
}

/* True for names of a descriptor rather than of a file: /proc/self/fd/N, /proc/<pid>/fd/N,
 * /dev/fd/N (an O_TMPFILE made visible has no other name). */
static int names_a_descriptor(const char *p)
{
    if (strncmp(p, "/dev/fd/", 8) == 0 || strncmp(p, "/proc/self/fd/", 14) == 0)
        return 1;
    if (strncmp(p, "/proc/", 6) != 0)
        return 0;
    p += 6;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return strncmp(p, "/fd/", 4) == 0;
}

EXPORT int linkat(int olddir, const char *old, int newdir, const char *new, int flags)
{
    ENSURE(linkat);
    int r = real_linkat(olddir, old, newdir, new, flags);
    if (r == 0) {
        int anonymous = ((flags & AT_EMPTY_PATH) && old[0] == '\0') || names_a_descriptor(old);
        record_two('L', 0, 0, olddir, anonymous ? NULL : old, newdir, new);
    }
    return r;
}

EXPORT int unlink(const char *path)
{
    ENSURE(unlink);
    int r = real_unlink(path);
    if (r == 0)
        record_one('U', AT_FDCWD, path);
    return r;
}

EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
    ENSURE(unlinkat);
    int r = real_unlinkat(dirfd, path, flags);
    if (r == 0)
        record_one('U', dirfd, path);
    return r;
}

EXPORT int remove(const char *path)
{
    ENSURE(remove);
    int r = real_remove(path);
    if (r == 0)
        record_one('U', AT_FDCWD, path);
    return r;
}

EXPORT int rmdir(const char *path)
{
    ENSURE(rmdir);
    int r = real_rmdir(path);
    if (r == 0)
        record_one('U', AT_FDCWD, path);
    return r;
}

EXPORT int truncate(const char *path, off_t len)
{
    ENSURE(truncate);
    int r = real_truncate(path, len);
    if (r == 0)
        record_one('T', AT_FDCWD, path);
    return r;
}

EXPORT int truncate64(const char *path, off64_t len)
{
    ENSURE(truncate64);
    int r = real_truncate64(path, len);
    if (r == 0)
        record_one('T', AT_FDCWD, path);
    return r;
}

EXPORT int mkdir(const char *path, mode_t mode)
{
    ENSURE(mkdir);
    int r = real_mkdir(path, mode);
    if (r == 0)
        record_one('K', AT_FDCWD, path);
    return r;
}

EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
    ENSURE(mkdirat);
    int r = real_mkdirat(dirfd, path, mode);
    if (r == 0)
        record_one('K', dirfd, path);
    return r;
}

/* ======================================================================================
 * dlopen
 *
 * glibc's dlopen searches the DT_RPATH / DT_RUNPATH of the object that *called* it, found from
 * the return address. Through this wrapper the caller would be us, so a bare name that only the
 * caller's RUNPATH can find would fail under tracing. dlopen_as() repeats that part of the
 * search itself, with the real caller's search list (dlinfo RTLD_DI_SERINFO).
 * ==================================================================================== */

static int has_search_path(const struct link_map *lm)
{
    for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_RPATH || d->d_tag == DT_RUNPATH)
            return 1;
    return 0;
}

#define SERINFO_MAX 16384

/* Fill `buf` with the library search list of `handle`; NULL if it does not fit. */
static Dl_serinfo *search_list(void *handle, void *buf)
{
    Dl_serinfo size;
    if (dlinfo(handle, RTLD_DI_SERINFOSIZE, &size) != 0 || size.dls_size > SERINFO_MAX)
        return NULL;
    Dl_serinfo *si = buf;
    si->dls_size = size.dls_size;
    si->dls_cnt = size.dls_cnt;
    return dlinfo(handle, RTLD_DI_SERINFO, si) == 0 ? si : NULL;
}

static int in_search_list(const Dl_serinfo *si, const char *dir)
{
    for (unsigned i = 0; si && i < si->dls_cnt; i++)
        if (strcmp(si->dls_serpath[i].dls_name, dir) == 0)
            return 1;
    return 0;
}

static struct link_map *link_map_of(const void *addr)
{
    Dl_info info;
    struct link_map *lm = NULL;
    if (!dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP))
        return NULL;
    return lm;
}

/* Where the caller's own DT_RPATH/DT_RUNPATH finds `file` first, into out; NULL when the
 * caller has none, or when a directory every object searches (LD_LIBRARY_PATH, the system
 * directories: also in our own list) comes first, so that the real dlopen finds the same. */
static const char *caller_candidate(const char *file, const void *caller, char *out)
{
    struct link_map *lm = link_map_of(caller), *self = link_map_of((void *)caller_candidate);
    if (!lm || !self || !has_search_path(lm))
        return NULL;
    _Alignas(Dl_serinfo) char caller_buf[SERINFO_MAX], self_buf[SERINFO_MAX];
    Dl_serinfo *theirs = search_list(lm, caller_buf);
    Dl_serinfo *ours = search_list(self, self_buf);
    for (unsigned i = 0; theirs && i < theirs->dls_cnt; i++) {
        const char *dir = theirs->dls_serpath[i].dls_name;
        if (snprintf(out, PATH_MAX, "%s/%s", dir, file) >= PATH_MAX || access(out, F_OK) != 0)
            continue;
        return in_search_list(ours, dir) ? NULL : out;
    }
    return NULL;
}

/* Expand every $ORIGIN / ${ORIGIN} against the caller's directory into out, as glibc would;
 * returns file itself when there is nothing to expand (or it cannot be). */
static const char *expand_origin(const char *file, const void *caller, char *out, size_t cap)
{
    if (!strstr(file, "$ORIGIN") && !strstr(file, "${ORIGIN}"))
        return file;
    struct link_map *lm = link_map_of(caller);
    char origin[PATH_MAX];
    if (!lm || dlinfo(lm, RTLD_DI_ORIGIN, origin) != 0)
        return file;
    struct line l;
    line_init(&l, out, cap - 1, 0);
    for (const char *p = file; *p;) {
        size_t skip = strncmp(p, "${ORIGIN}", 9) == 0 ? 9 : strncmp(p, "$ORIGIN", 7) == 0 ? 7 : 0;
        if (skip) {
            line_puts(&l, origin);
            p += skip;
        } else {
            line_putc(&l, *p++);
        }
    }
    if (!line_ok(&l))
        return file;
    out[l.len] = '\0';
    return out;
}

static void *dlopen_as(const char *file, int mode, const void *caller)
{
    if (file == NULL)
        return real_dlopen(file, mode);
    char expanded[2 * PATH_MAX], found[PATH_MAX];
    const char *name = expand_origin(file, caller, expanded, sizeof expanded);
    const char *candidate = strchr(name, '/') ? NULL : caller_candidate(name, caller, found);
    if (candidate == NULL)
        return real_dlopen(name, mode);
    /* An object already loaded under that name wins before any search, whoever calls. */
    void *loaded = real_dlopen(name, mode | RTLD_NOLOAD);
    if (loaded) {
        void *h = real_dlopen(name, mode);
        dlclose(loaded);
        return h;
    }
    return real_dlopen(candidate, mode);
}

static void record_dlopen(void *handle)
{
    struct link_map *lm = NULL;
    if (!g_active || handle == NULL || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        return;
    /* l_name keeps a relative name as given (dlopen("./libx.so")): resolve it against the cwd,
     * which dlopen itself used a moment ago. */
    if (lm->l_name && lm->l_name[0] != '/' && lm->l_name[0] != '\0') {
        char abs[PATH_MAX];
        if (absolute_into(abs, lm->l_name) == 0)
            record_library(abs, NULL);
        return;
    }
    record_library(lm->l_name, NULL);
}

EXPORT void *dlopen(const char *file, int mode)
{
    ENSURE(dlopen);
    void *h = dlopen_as(file, mode, __builtin_return_address(0));
    if (h && g_active) {
        int saved = errno;
        record_dlopen(h);
        errno = saved;
    }
    return h;
}

/* ======================================================================================
 * exec family
 *
 * Before the real call: (1) W lines for what the shim cannot follow, (2) re-inject
 * ROAR_SPOOL_DIR and LD_PRELOAD when the new environment lost them. No global state is
 * touched: this may be a vfork child.
 * ==================================================================================== */

/* What the first bytes of a program say. PROGRAM_GO: a dynamically linked Go program, whose
 * runtime makes its system calls itself (no libc function runs): routed like a static one. */
enum program_kind { PROGRAM_OTHER, PROGRAM_DYNAMIC, PROGRAM_STATIC, PROGRAM_SCRIPT, PROGRAM_GO };

/* The interpreter of a "#!" line (buf holds the file's first n bytes) into interp. The kernel
 * reads at most 256 bytes of that line, and so do we. */
static int shebang_interpreter(const unsigned char *buf, size_t n, char *interp, size_t cap)
{
    size_t i = 2, end = n < 256 ? n : 256;
    while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t len = 0;
    while (i + len < end && buf[i + len] != ' ' && buf[i + len] != '\t' && buf[i + len] != '\n')
        len++;
    if (len == 0 || len >= cap)
        return -1;
    memcpy(interp, buf + i, len);
    interp[len] = '\0';
    return 0;
}

/* len bytes at file offset off: from the head already read (buf, n bytes) when it covers them,
 * else with pread. 0 on success. */
static int read_at(int fd, const unsigned char *buf, size_t n, uint64_t off, void *out, size_t len)
{
    if (off <= n && len <= n - off) {
        memcpy(out, buf + off, len);
        return 0;
    }
    return off < (uint64_t)INT64_MAX && sys_pread(fd, out, len, off) == (ssize_t)len ? 0 : -1;
}

/* Does the note segment [off, off+size) hold Go's build-id note (name "Go\0\0", type 4)? Go's
 * linker writes it in every ELF program it links, internally or through an external linker. */
static int has_go_note(int fd, const unsigned char *buf, size_t n, uint64_t off, uint64_t size,
                       uint64_t align)
{
    unsigned char notes[1024];
    size_t len = size < sizeof notes ? (size_t)size : sizeof notes;
    if (len < 16 || read_at(fd, buf, n, off, notes, len) != 0)
        return 0;
    size_t a = align == 8 ? 8 : 4;
    for (size_t p = 0; p + 16 <= len;) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, notes + p, 4);
        memcpy(&descsz, notes + p + 4, 4);
        memcpy(&type, notes + p + 8, 4);
        if (namesz == 4 && type == 4 && memcmp(notes + p + 12, "Go\0\0", 4) == 0)
            return 1;
        size_t next = ((12 + (size_t)namesz + a - 1) & ~(a - 1)) + descsz;
        next = (next + a - 1) & ~(a - 1);
        if (namesz > len || descsz > len || next == 0)
            break;
        p += next;
    }
    return 0;
}

/* Does the section-name table list ".go.buildinfo" (every Go program since 1.13; the fallback
 * for one linked without a build id)? Linkers put that table just before the section headers,
 * so one pread of the 4 KiB ending with its header usually holds both; else a second one. */
static int has_go_section(int fd, const unsigned char *buf, size_t n, int is64)
{
    const Elf64_Ehdr *e64 = (const void *)buf;
    const Elf32_Ehdr *e32 = (const void *)buf;
    uint64_t shoff = is64 ? e64->e_shoff : e32->e_shoff;
    unsigned shentsize = is64 ? e64->e_shentsize : e32->e_shentsize;
    unsigned shnum = is64 ? e64->e_shnum : e32->e_shnum;
    unsigned shstrndx = is64 ? e64->e_shstrndx : e32->e_shstrndx;
    size_t shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (shoff == 0 || shstrndx == SHN_UNDEF || shstrndx >= shnum || shentsize < shsize)
        return 0;
    union {
        Elf64_Shdr s64;
        Elf32_Shdr s32;
    } sh;
    if (read_at(fd, buf, n, shoff + (uint64_t)shstrndx * shentsize, &sh, shsize) != 0)
        return 0;
    uint64_t off = is64 ? sh.s64.sh_offset : sh.s32.sh_offset;
    uint64_t size = is64 ? sh.s64.sh_size : sh.s32.sh_size;
    /* Two small reads rather than one of 4 KiB around both: this runs in the fork child before
     * every exec, where each stack page touched is a page fault costing more than a pread. The
     * names of a program's sections fit in 2 KiB (~300 bytes for a C program, ~600 for Go). */
    char names[2048];
    if (size > sizeof names)
        size = sizeof names;
    static const char want[] = ".go.buildinfo"; /* searched with its NUL */
    if (size < sizeof want || read_at(fd, buf, n, off, names, (size_t)size) != 0)
        return 0;
    for (size_t i = 0; i + sizeof want <= size; i++)
        if (names[i] == '.' && __builtin_memcmp(names + i, want, sizeof want) == 0)
            return 1;
    return 0;
}

/* Classify the program open on fd with one read of its head: an ELF with or without PT_INTERP
 * (and, when dynamic, whether Go's linker made it), or a "#!" script (its interpreter copied
 * into interp). */
static enum program_kind classify_program(int fd, char *interp, size_t cap)
{
    union {
        unsigned char b[1024];
        Elf64_Ehdr e64;
        Elf32_Ehdr e32;
    } u;
    ssize_t got = sys_pread(fd, u.b, sizeof u.b, 0);
    if (got < 4)
        return PROGRAM_OTHER;
    size_t n = (size_t)got;
    if (u.b[0] == '#' && u.b[1] == '!')
        return shebang_interpreter(u.b, n, interp, cap) == 0 ? PROGRAM_SCRIPT : PROGRAM_OTHER;
    if (n < sizeof(Elf64_Ehdr) || memcmp(u.b, ELFMAG, SELFMAG) != 0)
        return PROGRAM_OTHER;
    int is64 = u.b[EI_CLASS] == ELFCLASS64;
    uint64_t phoff = is64 ? u.e64.e_phoff : u.e32.e_phoff;
    unsigned phnum = is64 ? u.e64.e_phnum : u.e32.e_phnum;
    unsigned phentsize = is64 ? u.e64.e_phentsize : u.e32.e_phentsize;
    if (phnum && phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
        return PROGRAM_OTHER;
    int dynamic = 0, go = 0;
    for (unsigned i = 0; i < phnum && i < 256; i++) {
        union {
            Elf64_Phdr p64;
            Elf32_Phdr p32;
        } ph;
        if (read_at(fd, u.b, n, phoff + (uint64_t)i * phentsize, &ph,
                    is64 ? sizeof ph.p64 : sizeof ph.p32) != 0)
            return PROGRAM_OTHER;
        uint32_t type = is64 ? ph.p64.p_type : ph.p32.p_type;
        if (type == PT_INTERP)
            dynamic = 1;
        else if (type == PT_NOTE && !go)
            go = is64 ? has_go_note(fd, u.b, n, ph.p64.p_offset, ph.p64.p_filesz, ph.p64.p_align)
                      : has_go_note(fd, u.b, n, ph.p32.p_offset, ph.p32.p_filesz, ph.p32.p_align);
    }
    if (!dynamic)
        return PROGRAM_STATIC;
    if (go || has_go_section(fd, u.b, n, is64))
        return PROGRAM_GO;
    return PROGRAM_DYNAMIC;
}

static int is_setuid_file(int fd, const struct stat *st)
{
    if ((st->st_mode & S_ISUID) || ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP)))
        return 1;
    /* File capabilities make the loader drop LD_PRELOAD just the same (AT_SECURE). */
    return sys_call(SYS_fgetxattr, fd, (long)"security.capability", 0, 0, 0, 0) > 0;
}

struct warn_ev {
    const char *code;
    const char *path;
};

static int build_warning(struct line *l, const void *ctx)
{
    const struct warn_ev *w = ctx;
    line_head(l, 'W');
    line_tab(l);
    line_puts(l, w->code);
    line_tab(l);
    line_put_abs(l, w->path);
    return 1;
}

/* A W line through a private descriptor (this may be a vfork child). */
static void warn_exec(const char *code, const char *path)
{
    struct warn_ev w = {code, path};
    emit_private(build_warning, &w);
}

/* Inspect the program open on fd (named `path` in the report), following #! up to 4 levels.
 * Returns PROGRAM_STATIC or PROGRAM_GO when the program (or its interpreter) is one the shim
 * cannot follow (statically linked, or a Go program making its own system calls): the caller
 * routes it through the ptrace tracer or warns. 0 otherwise. */
static int inspect_exec_fd(int fd, const char *path, int depth, char *static_out)
{
    struct stat st;
    if (sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (is_setuid_file(fd, &st))
        warn_exec("setuid-exec", path);
    char interp[256];
    enum program_kind kind = classify_program(fd, interp, sizeof interp);
    if (kind == PROGRAM_SCRIPT && depth < 4) {
        int ifd = sys_openat(AT_FDCWD, interp, O_RDONLY | O_CLOEXEC, 0);
        int blind = 0;
        if (ifd >= 0) {
            blind = inspect_exec_fd(ifd, interp, depth + 1, static_out);
            sys_close(ifd);
        }
        return blind;
    }
    if (kind != PROGRAM_STATIC && kind != PROGRAM_GO)
        return 0;
    /* The dynamic loader run as a program (ld.so ./prog) keeps LD_PRELOAD working. */
    struct stat loader;
    if (kind == PROGRAM_STATIC && g_loader_name && stat(g_loader_name, &loader) == 0 &&
        st.st_dev == loader.st_dev && st.st_ino == loader.st_ino)
        return 0;
    /* static_out (PATH_MAX) names the program: the script's interpreter, if that is it. */
    if (static_out && concat_into(static_out, PATH_MAX, path, "") != 0)
        static_out[0] = '\0';
    return kind;
}

/* The W code for a program the shim cannot follow. */
static const char *blind_code(int kind)
{
    return kind == PROGRAM_GO ? "go-exec" : "static-exec";
}

/* Inspect fd, named by the kernel's name for it (for descriptors without a usable name). */
static void inspect_exec_named_by_fd(int fd)
{
    char link[32], name[PATH_MAX];
    proc_fd_path(link, fd);
    ssize_t n = readlink(link, name, sizeof name - 1);
    if (n <= 0)
        return;
    name[n] = '\0';
    char static_name[PATH_MAX];
    int kind = inspect_exec_fd(fd, name, 0, static_name);
    if (kind)
        warn_exec(blind_code(kind), static_name[0] ? static_name : name);
}

/* Before an exec of `path` relative to dirfd (empty with AT_EMPTY_PATH: dirfd itself), write
 * the W lines for what the shim will not be able to follow in the new program. Returns 1 when
 * the caller should run the program under the ptrace tracer instead (a static or Go program, a
 * ptrace tracer configured, and `can_route`); the static-exec or go-exec warning is then not written. */
static int traced_by_roar_ptrace(void);

static int exec_precheck(int dirfd, const char *path, int at_flags, int can_route)
{
    if (path == NULL)
        return 0;
    if (path[0] == '\0' && (at_flags & AT_EMPTY_PATH)) {
        inspect_exec_named_by_fd(dirfd);
        return 0;
    }
    int fd = sys_openat(dirfd, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0; /* unreadable (mode --x) or missing: nothing we can tell */
    int route = 0;
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        char static_name[PATH_MAX];
        int kind = inspect_exec_fd(fd, path, 0, static_name);
        if (kind) {
            if (traced_by_roar_ptrace())
                ; /* roar-ptrace already follows this process and what it execs */
            else if (can_route && g_ptrace[0])
                route = 1;
            else
                warn_exec(blind_code(kind), static_name[0] ? static_name : path);
        }
    } else {
        inspect_exec_named_by_fd(fd);
    }
    sys_close(fd);
    return route;
}

/* 1 when this process is already traced by roar-ptrace: its static children are seen there,
 * and routing them again would nest a second tracer. Read only when a static exec happens. */
static int traced_by_roar_ptrace(void)
{
    char text[2048];
    int fd = sys_openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    sys_close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    const char *p = strstr(text, "\nTracerPid:");
    long tracer = p ? strtol(p + 11, NULL, 10) : 0;
    if (tracer <= 0 || !g_ptrace[0])
        return 0;
    char link[64], exe[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%ld/exe", tracer);
    ssize_t m = readlink(link, exe, sizeof exe - 1);
    if (m <= 0)
        return 0;
    exe[m] = '\0';
    return strcmp(exe, g_ptrace) == 0;
}

static size_t argv_count(char *const argv[])
{
    size_t n = 0;
    while (argv && argv[n])
        n++;
    return n;
}

/* out = roar-ptrace --spool DIR -- target argv[1..]: the static program, traced by ptrace. */
static void routed_argv(char **out, const char *target, char *const argv[])
{
    size_t k = 0;
    out[k++] = g_ptrace;
    out[k++] = (char *)"--spool";
    out[k++] = g_spool_dir;
    out[k++] = (char *)"--";
    out[k++] = (char *)target;
    for (size_t i = 1; argv && argv[0] && argv[i]; i++)
        out[k++] = argv[i];
    out[k] = NULL;
}

/* The first PATH candidate execvp would run, into out[PATH_MAX]; `file` itself when it has a
 * slash; NULL when there is none. */
static const char *search_path(const char *file, char *out)
{
    if (strchr(file, '/'))
        return file;
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/bin:/usr/bin"; /* glibc's default for execvp */
    for (const char *p = path;; p++) {
        const char *end = strchrnul(p, ':');
        struct line l;
        line_init(&l, out, PATH_MAX - 1, 0);
        line_putn(&l, p, (size_t)(end - p));
        if (end > p)
            line_putc(&l, '/');
        line_puts(&l, file);
        struct stat st;
        if (line_ok(&l)) {
            out[l.len] = '\0';
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
                return out;
        }
        if (*end == '\0')
            return NULL;
        p = end;
    }
}

/* ---- environment re-injection ---- */

static size_t env_count(char *const envp[])
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    return n;
}

/* Does an LD_PRELOAD value (space or colon separated) list this library? */
static int preload_lists_us(const char *value)
{
    size_t blen = str_len(g_lib_base);
    for (const char *p = value; *p;) {
        size_t len = 0;
        while (p[len] && p[len] != ' ' && p[len] != ':')
            len++;
        const char *base = p;
        for (const char *q = p; q < p + len; q++)
            if (*q == '/')
                base = q + 1;
        if ((size_t)(p + len - base) == blen && has_prefix(base, blen, g_lib_base))
            return 1;
        p += len;
        while (*p == ' ' || *p == ':')
            p++;
    }
    return 0;
}

/* The LD_PRELOAD entry of envp, or NULL. */
static const char *env_preload(char *const envp[])
{
    const char *found = NULL;
    for (size_t i = 0; envp && envp[i]; i++)
        if (has_prefix(envp[i], SIZE_MAX, "LD_PRELOAD="))
            found = envp[i];
    return found;
}

/* Size of the buffer for a combined "LD_PRELOAD=<theirs> <ours>". */
static size_t env_preload_room(char *const envp[])
{
    const char *theirs = env_preload(envp);
    return (theirs ? str_len(theirs) : 0) + str_len(g_lib_path) + 2;
}

/* envp, or a copy in vec[] (env_count + 3 slots) with our two variables put back. pre_buf
 * (env_preload_room bytes) receives "LD_PRELOAD=<theirs> <ours>" when the program set a preload
 * list of its own. */
static char *const *env_with_roar(char *const envp[], char **vec, char *pre_buf, size_t pre_cap)
{
    int has_spool = 0;
    const char *pre = env_preload(envp);
    size_t n = env_count(envp);
    for (size_t i = 0; i < n && !has_spool; i++)
        has_spool = has_prefix(envp[i], SIZE_MAX, "ROAR_SPOOL_DIR=");
    int pre_ok = pre && preload_lists_us(pre + 11);
    if (has_spool && pre_ok)
        return envp;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (pre_ok || !has_prefix(envp[i], SIZE_MAX, "LD_PRELOAD="))
            vec[k++] = envp[i];
    if (!has_spool)
        vec[k++] = g_env_spool;
    if (!pre_ok) {
        vec[k++] = g_env_preload;
        if (pre && pre[11] && concat_into(pre_buf, pre_cap, pre, " ") == 0 &&
            concat_into(pre_buf + strlen(pre_buf), pre_cap - strlen(pre_buf), g_lib_path, "") == 0)
            vec[k - 1] = pre_buf;
    }
    vec[k] = NULL;
    return vec;
}

/* Declares `fixed`: envp with our variables, living in the caller's frame until the exec. */
#define ROAR_ENV(envp, fixed)                                                                    \
    char *fixed##_vec[env_count(envp) + 3];                                                      \
    size_t fixed##_room = env_preload_room(envp);                                                \
    char fixed##_pre[fixed##_room];                                                              \
    char *const *fixed = env_with_roar((envp), fixed##_vec, fixed##_pre, fixed##_room)

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
    ENSURE(execve);
    if (!g_active)
        return real_execve(path, argv, envp);
    int saved = errno;
    int route = exec_precheck(AT_FDCWD, path, 0, 1);
    ROAR_ENV(envp, env);
    errno = saved;
    if (route) {
        char *routed[argv_count(argv) + 6];
        routed_argv(routed, path, argv);
        return real_execve(g_ptrace, routed, env);
    }
    return real_execve(path, argv, env);
}

static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
    ENSURE(execvpe);
    if (!g_active)
        return real_execvpe(file, argv, envp);
    int saved = errno;
    char found[PATH_MAX];
    const char *target = file ? search_path(file, found) : NULL;
    int route = target ? exec_precheck(AT_FDCWD, target, 0, 1) : 0;
    ROAR_ENV(envp, env);
    errno = saved;
    if (route) {
        char *routed[argv_count(argv) + 6];
        routed_argv(routed, target, argv);
        return real_execve(g_ptrace, routed, env);
    }
    return real_execvpe(file, argv, env);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    return do_execve(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
    return do_execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
    return do_execvpe(file, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return do_execvpe(file, argv, envp);
}

static int do_execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                       int flags)
{
    ENSURE(execveat);
    if (real_execveat == NULL) { /* glibc before 2.34 */
        errno = ENOSYS;
        return -1;
    }
    if (!g_active)
        return real_execveat(dirfd, path, argv, envp, flags);
    int saved = errno;
    exec_precheck(dirfd, path, flags, 0);
    ROAR_ENV(envp, env);
    errno = saved;
    return real_execveat(dirfd, path, argv, env, flags);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                    int flags)
{
    return do_execveat(dirfd, path, argv, envp, flags);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    ENSURE(fexecve);
    if (!g_active)
        return real_fexecve(fd, argv, envp);
    int saved = errno;
    exec_precheck(fd, "", AT_EMPTY_PATH, 0);
    ROAR_ENV(envp, env);
    errno = saved;
    return real_fexecve(fd, argv, env);
}

/* execl & co: collect the variadic arguments into an argv on the stack. */
#define COLLECT_ARGS(first, argv, after)                                                         \
    size_t argc_ = 1;                                                                            \
    va_list ap_;                                                                                 \
    va_start(ap_, first);                                                                        \
    while (va_arg(ap_, char *) != NULL)                                                          \
        argc_++;                                                                                 \
    va_end(ap_);                                                                                 \
    char *argv[argc_ + 1];                                                                       \
    va_start(ap_, first);                                                                        \
    argv[0] = (char *)(first);                                                                   \
    for (size_t i_ = 1; i_ <= argc_; i_++)                                                       \
        argv[i_] = va_arg(ap_, char *);                                                          \
    after;                                                                                       \
    va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
    COLLECT_ARGS(arg, argv, (void)0);
    return do_execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    COLLECT_ARGS(arg, argv, (void)0);
    return do_execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    char *const *envp;
    COLLECT_ARGS(arg, argv, envp = va_arg(ap_, char *const *));
    return do_execve(path, argv, envp);
}

/* Like exec; the W lines are written (by the parent) before the spawn. */
static int spawn_common(int search, pid_t *pid, const char *path,
                        const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                        char *const argv[], char *const envp[])
{
    int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                const posix_spawnattr_t *, char *const[], char *const[]) =
        search ? real_posix_spawnp : real_posix_spawn;
    if (!g_active)
        return real(pid, path, fa, attr, argv, envp);
    int saved = errno;
    char found[PATH_MAX];
    const char *target = path ? (search ? search_path(path, found) : path) : NULL;
    int route = exec_precheck(AT_FDCWD, target, 0, 1);
    ROAR_ENV(envp, env);
    errno = saved;
    if (route) {
        char *routed[argv_count(argv) + 6];
        routed_argv(routed, target, argv);
        return real_posix_spawn(pid, g_ptrace, fa, attr, routed, env);
    }
    return real(pid, path, fa, attr, argv, env);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ENSURE(posix_spawn);
    return spawn_common(0, pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    ENSURE(posix_spawnp);
    return spawn_common(1, pid, file, fa, attr, argv, envp);
}

/* ======================================================================================
 * Descriptors the program closes or replaces: the spool descriptor's number may be among them
 * (see spool_fd). Nothing else is recorded here.
 * ==================================================================================== */

EXPORT int close(int fd)
{
    ENSURE(close);
    spool_fd_touched((unsigned)fd, (unsigned)fd);
    int r = real_close ? real_close(fd) : sys_close(fd);
    spool_fd_touched((unsigned)fd, (unsigned)fd);
    return r;
}

EXPORT int dup2(int oldfd, int newfd)
{
    ENSURE(dup2);
    spool_fd_touched((unsigned)newfd, (unsigned)newfd);
    int r;
    if (real_dup2)
        r = real_dup2(oldfd, newfd);
    else if (oldfd == newfd) /* dup3 refuses this case; dup2 checks the descriptor */
        r = (int)sys_call(SYS_fcntl, oldfd, F_GETFD, 0, 0, 0, 0) < 0 ? -1 : newfd;
    else
        r = (int)sys_call(SYS_dup3, oldfd, newfd, 0, 0, 0, 0);
    spool_fd_touched((unsigned)newfd, (unsigned)newfd);
    return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
    ENSURE(dup3);
    spool_fd_touched((unsigned)newfd, (unsigned)newfd);
    int r = real_dup3 ? real_dup3(oldfd, newfd, flags)
                      : (int)sys_call(SYS_dup3, oldfd, newfd, flags, 0, 0, 0);
    spool_fd_touched((unsigned)newfd, (unsigned)newfd);
    return r;
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    ENSURE(close_range);
    spool_fd_touched(first, last);
    int r = real_close_range ? real_close_range(first, last, flags)
                             : (int)sys_call(SYS_close_range, first, last, flags, 0, 0, 0);
    spool_fd_touched(first, last);
    return r;
}

EXPORT void closefrom(int lowfd)
{
    ENSURE(closefrom);
    unsigned lo = lowfd < 0 ? 0 : (unsigned)lowfd;
    spool_fd_touched(lo, ~0U);
    if (real_closefrom)
        real_closefrom(lowfd);
    else
        sys_call(SYS_close_range, lo, ~0U, 0, 0, 0, 0);
    spool_fd_touched(lo, ~0U);
}

/* ======================================================================================
 * syscall(): programs (and libraries) that call the kernel through glibc's generic syscall()
 * instead of a wrapper, e.g. syscall(SYS_openat2, ...) for which glibc 2.36 has no wrapper
 * (case 19). The file calls the shim records are performed here and recorded exactly as their
 * wrappers record them; every other number goes straight to the kernel. Inline `syscall`
 * instructions (Go's runtime, hand-written assembly) never come here: see SPOOL.md.
 * ==================================================================================== */

/* The syscall() convention: -1 and errno on failure; errno untouched on success. */
static inline long sys_result(long r)
{
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* After a fork-like clone made through syscall(): the child did not run pthread_atfork
 * handlers, so do what the fork handler does. */
static void after_raw_clone(long r, uint64_t flags)
{
    if (r == 0 && !(flags & (CLONE_VM | CLONE_THREAD)))
        on_fork_child();
}

EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    if (!__atomic_load_n(&g_active, __ATOMIC_RELAXED))
        return sys_result(raw_syscall6(n, a, b, c, d, e, f));
    long r;
    switch (n) {
#ifdef SYS_open
    case SYS_open:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        record_open(AT_FDCWD, (const char *)a, (int)b, (int)r);
        return r;
#endif
#ifdef SYS_creat
    case SYS_creat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        record_open(AT_FDCWD, (const char *)a, CREAT_FLAGS, (int)r);
        return r;
#endif
    case SYS_openat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        record_open((int)a, (const char *)b, (int)c, (int)r);
        return r;
#ifdef SYS_openat2
    case SYS_openat2:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r >= 0 && c != 0 && (size_t)d >= sizeof(uint64_t)) {
            uint64_t how_flags; /* struct open_how starts with the open(2) flags (u64) */
            memcpy(&how_flags, (const void *)c, sizeof how_flags);
            record_open((int)a, (const char *)b, (int)(uint32_t)how_flags, (int)r);
        }
        return r;
#endif
#ifdef SYS_rename
    case SYS_rename:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_two('R', 1, 0, AT_FDCWD, (const char *)a, AT_FDCWD, (const char *)b);
        return r;
#endif
#ifdef SYS_renameat
    case SYS_renameat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_two('R', 1, 0, (int)a, (const char *)b, (int)c, (const char *)d);
        return r;
#endif
#ifdef SYS_renameat2
    case SYS_renameat2:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_two('R', 1, (unsigned)e, (int)a, (const char *)b, (int)c, (const char *)d);
        return r;
#endif
#ifdef SYS_link
    case SYS_link:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_two('L', 0, 0, AT_FDCWD, (const char *)a, AT_FDCWD, (const char *)b);
        return r;
#endif
    case SYS_linkat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0 && b != 0) {
            const char *old = (const char *)b;
            int anonymous = (((int)e & AT_EMPTY_PATH) && old[0] == '\0') || names_a_descriptor(old);
            record_two('L', 0, 0, (int)a, anonymous ? NULL : old, (int)c, (const char *)d);
        }
        return r;
#ifdef SYS_unlink
    case SYS_unlink:
#endif
#ifdef SYS_rmdir
    case SYS_rmdir:
#endif
#if defined(SYS_unlink) || defined(SYS_rmdir)
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_one('U', AT_FDCWD, (const char *)a);
        return r;
#endif
    case SYS_unlinkat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_one('U', (int)a, (const char *)b);
        return r;
    case SYS_truncate:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_one('T', AT_FDCWD, (const char *)a);
        return r;
#ifdef SYS_mkdir
    case SYS_mkdir:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_one('K', AT_FDCWD, (const char *)a);
        return r;
#endif
    case SYS_mkdirat:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        if (r == 0)
            record_one('K', (int)a, (const char *)b);
        return r;
    case SYS_execve:
        /* The exec wrapper's work: W lines, static/Go programs routed to roar-ptrace, the
         * environment re-injected. glibc's execve is this system call and nothing more. */
        return do_execve((const char *)a, (char *const *)b, (char *const *)c);
#ifdef SYS_execveat
    case SYS_execveat:
        ENSURE(execveat);
        if (real_execveat == NULL)
            return sys_result(raw_syscall6(n, a, b, c, d, e, f));
        return do_execveat((int)a, (const char *)b, (char *const *)c, (char *const *)d, (int)e);
#endif
    case SYS_close:
        spool_fd_touched((unsigned)a, (unsigned)a);
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        spool_fd_touched((unsigned)a, (unsigned)a);
        return r;
#ifdef SYS_dup2
    case SYS_dup2:
#endif
    case SYS_dup3:
        spool_fd_touched((unsigned)b, (unsigned)b);
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        spool_fd_touched((unsigned)b, (unsigned)b);
        return r;
#ifdef SYS_close_range
    case SYS_close_range:
        spool_fd_touched((unsigned)a, (unsigned)b);
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        spool_fd_touched((unsigned)a, (unsigned)b);
        return r;
#endif
#ifdef SYS_fork
    case SYS_fork:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        after_raw_clone(r, 0);
        return r;
#endif
    case SYS_clone:
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        after_raw_clone(r, (uint64_t)a);
        return r;
#ifdef SYS_clone3
    case SYS_clone3: {
        uint64_t flags = 0; /* struct clone_args starts with the flags (u64) */
        if (a != 0 && (size_t)b >= sizeof flags)
            memcpy(&flags, (const void *)a, sizeof flags);
        r = sys_result(raw_syscall6(n, a, b, c, d, e, f));
        after_raw_clone(r, flags);
        return r;
    }
#endif
    default:
        return sys_result(raw_syscall6(n, a, b, c, d, e, f));
    }
}
