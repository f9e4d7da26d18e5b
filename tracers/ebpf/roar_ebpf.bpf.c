// SPDX-License-Identifier: GPL-2.0
/* roar_ebpf.bpf.c - the kernel side of roar's eBPF tracer (CO-RE; built by tracers/build.py).
 *
 * Follows process trees: `traced` maps each traced tgid to its run (a number the loader chose),
 * seeded by the loader with a run's first process before it may exec; fork adds the child with
 * its parent's run, the death of a process removes it. Every record carries its run.
 *
 * Hooks: tracepoints only (BTF-typed raw tracepoints), so the tracer works on kernels built
 * without kprobes or where fentry/fexit programs are refused (see tracers/SPOOL.md):
 *   sched_process_fork/exec/exit   the process tree and each image's executable
 *   syscalls sys_exit_<call>       (one program attached to each file call's tracepoint; the
 *   or raw_syscalls sys_exit       fallback: every call's exit) a traced process's successful open/openat/openat2/creat/
 *                                  open_by_handle_at (the new descriptor's file: its path and
 *                                  inode), rename/link/unlink/rmdir/mkdir/truncate families (names
 *                                  from the program's memory, made absolute against the cwd or
 *                                  dirfd at the exit), io_uring_setup (reported, not followed)
 *
 * Paths are built here by walking dentries and mounts (bpf_d_path is only callable from
 * fentry/fexit/LSM programs). Records go through one ring buffer; a record that does not fit
 * is counted in `lost` and the loader reports the count.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "roar_ebpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD -100
#define MAX_DEPTH 160          /* components (mount crossings included) walked for one path */
#define TS_COMPAT 0x0002

const volatile unsigned long long wake_bytes = 1 << 20;  /* wake the loader past this backlog */
unsigned long long lost = 0;          /* records the ring buffer had no room for */
unsigned long long truncated = 0;     /* paths too long or too deep to build */

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);    /* the loader may resize (ROAR_EBPF_RINGBUF_KB) */
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, u32);
    __type(value, u32);       /* the run */
} traced SEC(".maps");

/* A walk builds its path backwards in tmp, ending at TMP_END, then copies it to data. Short names
 * are copied as whole words (plain loads and stores, no helper call), which may spill up to 32
 * bytes below where the name starts (not yet used, hence the slack below the longest path); the
 * copy to data may write up to 31 bytes past the string's end (free space). */
#define TMP_SLACK 32
#define TMP_END (RE_PATH_MAX + TMP_SLACK)
/* 8 bytes at any address (x86 has no alignment constraint), through an integer so that clang does
 * not split the access into single bytes */
#define U64_AT(p) (*(u64 *)(unsigned long)(p))
#define TMP_MASK 8191

struct scratch {
    u64 unqueried;             /* bytes this CPU submitted since it last looked at the ring's fill */
    struct re_rec rec;
    char data[RE_DATA + RE_PATH_MAX];
    char tmp[TMP_MASK + 1 + 256];  /* indices masked with TMP_MASK, + a name */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* Direct (BTF-typed) loads: a pointer read as a plain number (the fd table's entries, a mount
 * found from its vfsmount) becomes a typed one through bpf_rdonly_cast, and loads through typed
 * pointers are PROBE_MEM loads (a fault reads 0) instead of bpf_probe_read_kernel calls. The
 * trusted pointers the kernel hands over (the current task, the tracepoints' arguments) are cast
 * the same way, to untrusted ones, before their fields are read: the verifier looks every load
 * through a trusted pointer up in the kernel's BTF by name (a scan of all its types), which
 * tripled the load time. The type ids are the running kernel's, set by the loader (the CO-RE
 * relocations may be made against a minimal BTF whose ids are not the kernel's). bpf_rdonly_cast
 * costs nothing at run time (the verifier turns it into a register move). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
const volatile unsigned int file_btf_id = 0;
const volatile unsigned int mount_btf_id = 0;
const volatile unsigned int task_btf_id = 0;
const volatile unsigned int regs_btf_id = 0;
const volatile unsigned int binprm_btf_id = 0;

/* 1: bpf_rdonly_cast(p, 0) makes any kernel address readable with plain loads (Linux 6.17+): the
 * fd table's entries and short names are read that way; 0: they are read with
 * bpf_probe_read_kernel (the loader loads again with 0 when the kernel refuses the first). */
const volatile int raw_loads = 1;

#define UNTRUSTED(type, p, id) ((struct type *)bpf_rdonly_cast((void *)(p), id))

static __always_inline struct file *as_file(u64 p)
{
    return UNTRUSTED(file, p, file_btf_id);
}

static __always_inline struct mount *mount_of(struct vfsmount *v)
{
    return UNTRUSTED(mount, (u64)v - bpf_core_field_offset(struct mount, mnt), mount_btf_id);
}

/* inode timestamps before 6.6 (i_mtime) and in 6.6 (__i_mtime); 6.7+ has i_mtime_sec/nsec */
struct inode___old { struct timespec64 i_mtime; } __attribute__((preserve_access_index));
struct inode___66 { struct timespec64 __i_mtime; } __attribute__((preserve_access_index));

/* The run of a traced process, 0 for any other. */
static __always_inline u32 run_of(u32 tgid)
{
    u32 *run = bpf_map_lookup_elem(&traced, &tgid);
    return run ? *run : 0;
}

/* The run of the calling process (0: not traced); its tgid goes to *tgid. */
static __always_inline u32 current_run(u32 *tgid)
{
    *tgid = bpf_get_current_pid_tgid() >> 32;
    return run_of(*tgid);
}

static __always_inline struct scratch *begin(u32 type, u32 tgid, u32 run)
{
    u32 zero = 0;
    struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
    if (!s)
        return NULL;
    __builtin_memset(&s->rec, 0, sizeof(s->rec));
    s->rec.type = type;
    s->rec.pid = tgid;
    s->rec.run = run;
    s->rec.tid = (u32)bpf_get_current_pid_tgid();
    s->rec.ts = bpf_ktime_get_ns();
    return s;
}

static __always_inline void submit(struct scratch *s)
{
    u64 size = s->rec.size;
    if (size > RE_DATA)
        size = RE_DATA;
    /* The reader is woken when the backlog passes wake_bytes; each CPU looks every 16 KiB. */
    u64 flags = BPF_RB_NO_WAKEUP;
    s->unqueried += sizeof(struct re_rec) + size;
    if (s->unqueried >= 16384) {
        s->unqueried = 0;
        if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wake_bytes)
            flags = BPF_RB_FORCE_WAKEUP;
    }
    if (bpf_ringbuf_output(&rb, &s->rec, sizeof(struct re_rec) + size, flags))
        __sync_fetch_and_add(&lost, 1);
}

struct walk_ctx {
    struct scratch *s;
    struct dentry *dentry;
    struct mount *mnt;
    struct dentry *mnt_root;   /* mnt's root, read once per mount crossed */
    struct dentry *base;       /* a directory to find on the way (0: none) ... */
    struct mount *base_mnt;    /* ... in this mount */
    u32 pos;
    u32 up;                    /* 1 + components written when base was met (0: not met) */
    u32 n;                     /* components written */
    int done;
};

/* One step of a walk: one component, or one mount crossing. 1 stops the loop. */
static long walk_step(u32 i, struct walk_ctx *w)
{
    struct scratch *s = w->s;
    if (!s)
        return 1;
    struct dentry *dentry = w->dentry;
    struct mount *mnt = w->mnt;
    struct dentry *mnt_root = w->mnt_root;
    if (dentry == w->base && mnt == w->base_mnt && !w->up)
        w->up = w->n + 1;
    struct dentry *parent = dentry->d_parent;
    if (dentry == mnt_root || dentry == parent) {
        struct mount *up = mnt->mnt_parent;
        if (dentry != mnt_root) {
            w->done = 2;        /* a dentry of no directory tree (pipe, socket, anonymous file) */
            return 1;
        }
        if (up == mnt || !up) {
            w->done = 1;        /* the root of the namespace */
            return 1;
        }
        w->dentry = mnt->mnt_mountpoint;
        w->mnt = up;
        w->mnt_root = up->mnt.mnt_root;
        return 0;
    }
    u32 len = dentry->d_name.len, pos = w->pos;
    if (len > 255 || len + 1 > pos - TMP_SLACK)
        return 1;
    const unsigned char *name = dentry->d_name.name;
    if (len <= 32 && raw_loads) {
        /* The name into tmp[pos - len, pos) as the four words ending at its end: they start up to
         * 32 bytes before the name, still inside the dentry (a name this short is stored there),
         * and spill below pos - len, where nothing was written yet (TMP_SLACK). */
        const char *src = bpf_rdonly_cast((void *)((u64)name + len - 32), 0);
        char *dst = &s->tmp[(pos - 32) & TMP_MASK];
        U64_AT(dst) = *(const u64 *)src;
        U64_AT(dst + 8) = *(const u64 *)(src + 8);
        U64_AT(dst + 16) = *(const u64 *)(src + 16);
        U64_AT(dst + 24) = *(const u64 *)(src + 24);
    } else {
        bpf_probe_read_kernel(&s->tmp[(pos - len) & TMP_MASK], len & 255, name);
    }
    pos -= len + 1;
    s->tmp[pos & TMP_MASK] = '/';
    w->pos = pos;
    w->dentry = parent;
    w->n++;
    return 0;
}

/* len bytes from tmp[pos] to data[cur] (cur <= RE_DATA - RE_PATH_MAX, len <= RE_PATH_MAX), whole
 * words, four at a time: the last may write up to 31 bytes past the string (free space). */
struct copy_ctx {
    struct scratch *s;
    u32 from, to, len;
};

static long copy_words(u32 j, struct copy_ctx *c)
{
    struct scratch *s = c->s;
    if (!s || j * 32 >= c->len)
        return 1;
    u32 to = c->to + j * 32;
    if (to > RE_DATA + RE_PATH_MAX - 32)
        return 1;
    char *d = &s->data[to];
    const char *f = &s->tmp[(c->from + j * 32) & TMP_MASK];
    U64_AT(d) = U64_AT(f);
    U64_AT(d + 8) = U64_AT(f + 8);
    U64_AT(d + 16) = U64_AT(f + 16);
    U64_AT(d + 24) = U64_AT(f + 24);
    return 0;
}

/* Append the absolute path of (dentry, vfsmount) as string idx of the record: the dentry chain
 * up to each mount's root, then the mount point in the parent mount, up to the namespace's root
 * mount (what d_path does, without its locks: a concurrent rename can give a mixed name).
 * base: a directory looked for on the way up; returns 1 + the number of components below
 * it when it was met (its own path is then the record's string minus that many components), else
 * 0. */
static __noinline int walk(struct scratch *s, u32 idx, const struct path *p, const struct path *base)
{
    if (!s || idx >= RE_NSTR || !p)
        return 0;
    struct vfsmount *vfsmnt = p->mnt;
    struct walk_ctx w = {
        .s = s,
        .dentry = p->dentry,
        .mnt = mount_of(vfsmnt),
        .mnt_root = vfsmnt->mnt_root,
        .pos = TMP_END,
    };
    if (base) {
        w.base = base->dentry;
        w.base_mnt = mount_of(base->mnt);
    }
    bpf_loop(MAX_DEPTH, walk_step, &w, 0);
    if (!w.done) {
        s->rec.status |= RE_TRUNCATED;
        __sync_fetch_and_add(&truncated, 1);
        return 0;
    }
    if (w.done == 2) {
        s->rec.status |= RE_PSEUDO;
        return 0;
    }
    u32 pos = w.pos;
    if (pos >= TMP_END) {
        pos = TMP_END - 1;
        s->tmp[pos] = '/';
    }
    u32 len = TMP_END - pos;
    u32 cur = s->rec.size;
    if (cur > RE_DATA - RE_PATH_MAX)
        return 0;
    struct copy_ctx c = { .s = s, .from = pos, .to = cur, .len = len };
    bpf_loop(RE_PATH_MAX / 32 + 1, copy_words, &c, 0);
    s->rec.len[idx & (RE_NSTR - 1)] = len;
    s->rec.size = cur + len;
    return w.up;
}

/* Append a NUL-terminated string from the program's memory as string idx; its first byte (0 for
 * none, or when unreadable or too long). */
static __always_inline char put_ustr(struct scratch *s, u32 idx, const void *p)
{
    u32 cur = s->rec.size;
    if (cur > RE_DATA - RE_PATH_MAX || !p)
        return 0;
    long n = bpf_probe_read_user_str(&s->data[cur & (RE_DATA - 1)], RE_PATH_MAX, p);
    if (n <= 1)
        return 0;
    if (n >= RE_PATH_MAX) {
        s->rec.status |= RE_TRUNCATED;
        return 0;
    }
    s->rec.len[idx & (RE_NSTR - 1)] = n - 1;
    s->rec.size = cur + n - 1;
    return s->data[cur & (RE_DATA - 1)];
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
    struct fdtable *fdt = task->files->fdt;
    if (!fdt || fd < 0 || (unsigned int)fd >= fdt->max_fds)
        return NULL;
    u64 f = 0;
    if (raw_loads)
        f = ((const u64 *)bpf_rdonly_cast(fdt->fd, 0))[fd];
    else
        bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
    return f ? as_file(f) : NULL;
}

/* The directory a name relative to dfd starts from: the cwd or the descriptor's file. */
static __always_inline struct path *base_of(struct task_struct *task, int dfd)
{
    if (dfd == AT_FDCWD)
        return &task->fs->pwd;
    struct file *f = fd_file(task, dfd);
    return f ? &f->f_path : NULL;
}

static __always_inline u64 user_dev(u32 kdev)
{
    u64 major = kdev >> 20, minor = kdev & 0xfffff;
    return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xffULL) << 12) |
           ((major & ~0xfffULL) << 32);
}

/* ---- the process tree ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent_t, struct task_struct *child_t)
{
    struct task_struct *parent = UNTRUSTED(task_struct, parent_t, task_btf_id);
    struct task_struct *child = UNTRUSTED(task_struct, child_t, task_btf_id);
    u32 ptgid = parent->tgid, ctgid = child->tgid;
    if (ptgid == ctgid)
        return 0;
    u32 run = run_of(ptgid);
    if (!run)
        return 0;
    bpf_map_update_elem(&traced, &ctgid, &run, BPF_ANY);
    struct scratch *s = begin(RE_FORK, ctgid, run);
    if (!s)
        return 0;
    s->rec.a = child->real_parent->tgid;
    s->rec.tid = ctgid;
    walk(s, 1, &child->fs->pwd, 0);
    submit(s);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p_t, pid_t old_pid, struct linux_binprm *bprm_t)
{
    struct task_struct *p = UNTRUSTED(task_struct, p_t, task_btf_id);
    struct linux_binprm *bprm = UNTRUSTED(linux_binprm, bprm_t, binprm_btf_id);
    u32 tgid = p->tgid;
    u32 run = run_of(tgid);
    if (!run)
        return 0;
    struct scratch *s = begin(RE_EXEC, tgid, run);
    if (!s)
        return 0;
    s->rec.a = p->real_parent->tgid;
    if (bprm->buf[0] == 0x7f && bprm->buf[1] == 'E' && bprm->buf[2] == 'L' && bprm->buf[3] == 'F' &&
        bprm->buf[4] == 1)
        s->rec.status |= RE_COMPAT;             /* a 32-bit ELF image */
    walk(s, 0, &bprm->file->f_path, 0);
    walk(s, 1, &p->fs->pwd, 0);
    submit(s);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p_t)
{
    struct task_struct *p = UNTRUSTED(task_struct, p_t, task_btf_id);
    u32 tgid = p->tgid;
    u32 run = run_of(tgid);
    if (!run || p->signal->live.counter != 0)
        return 0;
    bpf_map_delete_elem(&traced, &tgid);
    struct scratch *s = begin(RE_EXIT, tgid, run);
    if (s)
        submit(s);
    return 0;
}

/* ---- file system calls, at their exit ---- */

/* System call numbers: x86_64, then i386 (a 32-bit program's calls, TS_COMPAT set). */
enum { SC_OPEN = 1, SC_CREAT, SC_OPENAT, SC_OPENAT2, SC_BY_HANDLE, SC_RENAME, SC_RENAMEAT,
       SC_RENAMEAT2, SC_LINK, SC_LINKAT, SC_UNLINK, SC_UNLINKAT, SC_RMDIR, SC_MKDIR, SC_MKDIRAT,
       SC_TRUNCATE, SC_IO_URING_SETUP };

static __always_inline int classify(long nr, int compat)
{
    if (!compat) {
        switch (nr) {
        case 2: return SC_OPEN;        case 85: return SC_CREAT;     case 257: return SC_OPENAT;
        case 437: return SC_OPENAT2;   case 304: return SC_BY_HANDLE; case 82: return SC_RENAME;
        case 264: return SC_RENAMEAT;  case 316: return SC_RENAMEAT2; case 86: return SC_LINK;
        case 265: return SC_LINKAT;    case 87: return SC_UNLINK;    case 263: return SC_UNLINKAT;
        case 84: return SC_RMDIR;      case 83: return SC_MKDIR;     case 258: return SC_MKDIRAT;
        case 76: return SC_TRUNCATE;   case 425: return SC_IO_URING_SETUP;
        }
        return 0;
    }
    switch (nr) {
    case 5: return SC_OPEN;        case 8: return SC_CREAT;      case 295: return SC_OPENAT;
    case 437: return SC_OPENAT2;   case 342: return SC_BY_HANDLE; case 38: return SC_RENAME;
    case 302: return SC_RENAMEAT;  case 353: return SC_RENAMEAT2; case 9: return SC_LINK;
    case 303: return SC_LINKAT;    case 10: return SC_UNLINK;    case 301: return SC_UNLINKAT;
    case 40: return SC_RMDIR;      case 39: return SC_MKDIR;     case 296: return SC_MKDIRAT;
    case 92: return SC_TRUNCATE;   case 425: return SC_IO_URING_SETUP;
    }
    return 0;
}

/* The name as given (string idx, read from the program's memory at the call's exit) and, for a
 * relative name, its base directory (string idx+1). */
static __always_inline void put_uname_at(struct scratch *s, struct task_struct *task, u32 idx,
                                         int dfd, u64 uname)
{
    if (!uname)
        return;
    char c = put_ustr(s, idx, (const void *)uname);
    if (c != '/' && c != 0)
        walk(s, idx + 1, base_of(task, dfd), 0);
}

static __always_inline int do_open(struct task_struct *task, u32 tgid, u32 run, int sc, long fd,
                                   u64 a0, u64 a1, u64 a2, int compat)
{
    int dfd = AT_FDCWD;
    u64 uname = 0, flags = 0;
    switch (sc) {
    case SC_OPENAT:    dfd = (int)a0; uname = a1; flags = (u32)a2; break;
    case SC_OPEN:      uname = a0; flags = (u32)a1; break;
    case SC_CREAT:     uname = a0; flags = 0x241; break;     /* O_CREAT|O_WRONLY|O_TRUNC */
    case SC_OPENAT2:   dfd = (int)a0; uname = a1;
                       bpf_probe_read_user(&flags, sizeof(flags), (const void *)a2); break;
    default:           flags = (u32)a2; break;               /* open_by_handle_at: no name */
    }
    struct file *file = fd_file(task, (int)fd);
    if (!file)
        return 0;
    struct scratch *s = begin(RE_OPEN, tgid, run);
    if (!s)
        return 0;
    if (compat)
        s->rec.status |= RE_COMPAT;
    struct inode *inode = file->f_inode;
    u16 mode = inode->i_mode;
    s->rec.a = flags;
    s->rec.b = user_dev(inode->i_sb->s_dev);
    s->rec.c = inode->i_ino;
    s->rec.d = inode->i_size;
    if (bpf_core_field_exists(inode->i_mtime_sec)) {
        s->rec.e = inode->i_mtime_sec * 1000000000ULL + inode->i_mtime_nsec;
    } else if (bpf_core_field_exists(((struct inode___66 *)inode)->__i_mtime)) {
        struct inode___66 *i6 = (void *)inode;
        s->rec.e = BPF_CORE_READ(i6, __i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(i6, __i_mtime.tv_nsec);
    } else {
        struct inode___old *io = (void *)inode;
        s->rec.e = BPF_CORE_READ(io, i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(io, i_mtime.tv_nsec);
    }
    s->rec.f = (mode & 0xf000) == 0x8000 ? 'f' : (mode & 0xf000) == 0x4000 ? 'd' : 'o';
    struct dentry *fdentry = file->f_path.dentry;
    /* A relative name's base directory: found on the way up from the file (its path is then a
     * prefix of the file's, RE_BASE_UP), or walked itself. */
    struct path *base = 0;
    if (uname) {
        char c = put_ustr(s, 0, (const void *)uname);
        if (c != '/' && c != 0)
            base = base_of(task, dfd);
    }
    u32 up = walk(s, 1, &file->f_path, base);
    if (!fdentry->d_hash.pprev && fdentry->d_parent != fdentry)
        s->rec.status |= RE_DELETED;    /* unhashed: the file was unlinked (an open of /proc/N/fd/M) */
    if (base) {
        if (up)
            s->rec.status |= RE_BASE_UP(up - 1);
        else
            walk(s, 2, base, 0);
    }
    submit(s);
    return 0;
}

/* A traced process's successful file call, whichever hook saw it. */
static __always_inline int file_call(struct task_struct *task, u32 tgid, u32 run, int sc, long ret,
                                     struct pt_regs *regs, int compat)
{
    u64 a0, a1, a2, a3, a4;
    if (compat) {
        a0 = (u32)regs->bx; a1 = (u32)regs->cx; a2 = (u32)regs->dx; a3 = (u32)regs->si;
        a4 = (u32)regs->di;
    } else {
        a0 = regs->di; a1 = regs->si; a2 = regs->dx; a3 = regs->r10; a4 = regs->r8;
    }
    if (sc <= SC_BY_HANDLE)
        return do_open(task, tgid, run, sc, ret, a0, a1, a2, compat);
    if (sc == SC_IO_URING_SETUP) {
        struct scratch *s = begin(RE_IOURING, tgid, run);
        if (s)
            submit(s);
        return 0;
    }
    if (ret != 0)
        return 0;
    u32 type = (sc <= SC_RENAMEAT2) ? RE_RENAME : (sc <= SC_LINKAT) ? RE_LINK
             : (sc <= SC_UNLINKAT) ? RE_UNLINK : sc == SC_RMDIR ? RE_RMDIR
             : sc == SC_TRUNCATE ? RE_TRUNC : RE_MKDIR;
    struct scratch *s = begin(type, tgid, run);
    if (!s)
        return 0;
    switch (sc) {
    case SC_RENAME: case SC_LINK:
        put_uname_at(s, task, 0, AT_FDCWD, a0);
        put_uname_at(s, task, 2, AT_FDCWD, a1);
        break;
    case SC_RENAMEAT: case SC_RENAMEAT2: case SC_LINKAT:
        s->rec.a = sc == SC_RENAMEAT ? 0 : (u32)a4;
        put_uname_at(s, task, 0, (int)a0, a1);
        put_uname_at(s, task, 2, (int)a2, a3);
        break;
    case SC_UNLINKAT: case SC_MKDIRAT:
        put_uname_at(s, task, 0, (int)a0, a1);
        break;
    default:                                   /* unlink, rmdir, mkdir, truncate */
        put_uname_at(s, task, 0, AT_FDCWD, a0);
        break;
    }
    submit(s);
    return 0;
}

/* The usual hook: attached by the loader to the `syscalls:sys_exit_<name>` tracepoint of each
 * file call (open, openat, ..., io_uring_setup), so the kernel runs it for those calls only and
 * every other system call of the machine pays no BPF program at all. These tracepoints see
 * 64-bit calls only (the kernel does not report i386 calls there): the loader notes i386 images
 * (RE_COMPAT on their RE_EXEC) as not followed. */
SEC("tracepoint")
int on_file_exit(struct trace_event_raw_sys_exit *ctx)
{
    long ret = ctx->ret;
    if (ret < 0)
        return 0;
    int sc = classify((int)ctx->id, 0);   /* an int in the record (__syscall_nr): the upper half is padding */
    if (!sc)
        return 0;
    u32 tgid, run = current_run(&tgid);
    if (!run)
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    if (!regs)
        return 0;
    return file_call(UNTRUSTED(task_struct, task, task_btf_id), tgid, run, sc, ret,
                     UNTRUSTED(pt_regs, regs, regs_btf_id), 0);
}

/* The fallback hook (no per-call tracepoints, or ROAR_EBPF_HOOK=raw): every system call's exit,
 * 64-bit and i386. Anything but a traced process's successful file call returns at once. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
    if (ret < 0)
        return 0;
    /* The call's number first, with plain loads through the BTF pointers (no helper call): most
     * calls are not file calls, and that test costs less than the map lookup (this runs for
     * every system call of the machine). */
    struct task_struct *task = bpf_get_current_task_btf();
    int compat = task->thread_info.status & TS_COMPAT;
    int sc = classify(regs->orig_ax, compat);
    if (!sc)
        return 0;
    u32 tgid, run = current_run(&tgid);
    if (!run)
        return 0;
    return file_call(UNTRUSTED(task_struct, task, task_btf_id), tgid, run, sc, ret,
                     UNTRUSTED(pt_regs, regs, regs_btf_id), compat);
}
