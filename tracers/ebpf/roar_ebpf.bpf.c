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

struct scratch {
    struct re_rec rec;
    char data[RE_DATA + RE_PATH_MAX];
    char tmp[RE_PATH_MAX + 256];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct scratch);
} scratch_map SEC(".maps");

/* inode timestamps before 6.6 (i_mtime) and in 6.6 (__i_mtime); 6.7+ has i_mtime_sec/nsec */
struct inode___old { struct timespec64 i_mtime; } __attribute__((preserve_access_index));
struct inode___66 { struct timespec64 __i_mtime; } __attribute__((preserve_access_index));

/* The run of a traced process, 0 for any other. */
static __always_inline u32 run_of(u32 tgid)
{
    u32 *run = bpf_map_lookup_elem(&traced, &tgid);
    return run ? *run : 0;
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
    u64 flags = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wake_bytes ? BPF_RB_FORCE_WAKEUP
                                                                        : BPF_RB_NO_WAKEUP;
    if (bpf_ringbuf_output(&rb, &s->rec, sizeof(struct re_rec) + size, flags))
        __sync_fetch_and_add(&lost, 1);
}

struct walk_ctx {
    struct scratch *s;
    struct dentry *dentry;
    struct mount *mnt;
    struct dentry *mnt_root;   /* mnt's root, read once per mount crossed */
    u32 pos;
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
    struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
    if (dentry == mnt_root || dentry == parent) {
        struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
        if (dentry != mnt_root) {
            w->done = 2;        /* a dentry of no directory tree (pipe, socket, anonymous file) */
            return 1;
        }
        if (up == mnt || !up) {
            w->done = 1;        /* the root of the namespace */
            return 1;
        }
        w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
        w->mnt = up;
        w->mnt_root = BPF_CORE_READ(up, mnt.mnt_root);
        return 0;
    }
    struct qstr q;
    if (bpf_core_read(&q, sizeof(q), &dentry->d_name))
        return 1;
    u32 len = q.len, pos = w->pos;
    if (len > 255 || len + 1 > pos)
        return 1;
    pos -= len;
    bpf_probe_read_kernel(&s->tmp[pos & (RE_PATH_MAX - 1)], len & 255, q.name);
    pos -= 1;
    s->tmp[pos & (RE_PATH_MAX - 1)] = '/';
    w->pos = pos;
    w->dentry = parent;
    return 0;
}

/* Append the absolute path of (dentry, vfsmount) as string idx of the record: the dentry chain
 * up to each mount's root, then the mount point in the parent mount, up to the namespace's root
 * mount (what d_path does, without its locks: a concurrent rename can give a mixed name). */
static __noinline int walk(struct scratch *s, u32 idx, u64 dentry_p, u64 vfsmnt_p)
{
    if (!s || idx >= RE_NSTR)
        return 0;
    struct walk_ctx w = {
        .s = s,
        .dentry = (struct dentry *)dentry_p,
        .mnt = (struct mount *)(vfsmnt_p - bpf_core_field_offset(struct mount, mnt)),
        .mnt_root = BPF_CORE_READ((struct vfsmount *)vfsmnt_p, mnt_root),
        .pos = RE_PATH_MAX,
    };
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
    if (pos >= RE_PATH_MAX) {
        pos = RE_PATH_MAX - 1;
        s->tmp[pos] = '/';
    }
    u32 len = RE_PATH_MAX - pos;
    u32 cur = s->rec.size;
    if (cur > RE_DATA - RE_PATH_MAX)
        return 0;
    bpf_probe_read_kernel(&s->data[cur & (RE_DATA - 1)], len & (RE_PATH_MAX - 1),
                          &s->tmp[pos & (RE_PATH_MAX - 1)]);
    s->rec.len[idx & (RE_NSTR - 1)] = len;
    s->rec.size = cur + len;
    return 0;
}

/* Append a NUL-terminated string (kernel or user memory) as string idx. */
static __always_inline void put_str(struct scratch *s, u32 idx, const void *p, int user)
{
    u32 cur = s->rec.size;
    if (cur > RE_DATA - RE_PATH_MAX || !p)
        return;
    long n = user ? bpf_probe_read_user_str(&s->data[cur & (RE_DATA - 1)], RE_PATH_MAX, p)
                  : bpf_probe_read_kernel_str(&s->data[cur & (RE_DATA - 1)], RE_PATH_MAX, p);
    if (n <= 1)
        return;
    if (n >= RE_PATH_MAX) {
        s->rec.status |= RE_TRUNCATED;
        return;
    }
    s->rec.len[idx & (RE_NSTR - 1)] = n - 1;
    s->rec.size = cur + n - 1;
}

static __always_inline void walk_path(struct scratch *s, u32 idx, const struct path *p)
{
    walk(s, idx, (u64)BPF_CORE_READ(p, dentry), (u64)BPF_CORE_READ(p, mnt));
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
    struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
    if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
        return NULL;
    struct file **arr = BPF_CORE_READ(fdt, fd);
    struct file *f = NULL;
    bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
    return f;
}

/* The directory a name relative to dfd starts from: the cwd or the descriptor's file. */
static __always_inline int base_of(struct task_struct *task, int dfd, u64 *dentry, u64 *mnt)
{
    if (dfd == AT_FDCWD) {
        struct fs_struct *fs = BPF_CORE_READ(task, fs);
        *dentry = (u64)BPF_CORE_READ(fs, pwd.dentry);
        *mnt = (u64)BPF_CORE_READ(fs, pwd.mnt);
        return 0;
    }
    struct file *f = fd_file(task, dfd);
    if (!f)
        return -1;
    *dentry = (u64)BPF_CORE_READ(f, f_path.dentry);
    *mnt = (u64)BPF_CORE_READ(f, f_path.mnt);
    return 0;
}

static __always_inline u64 user_dev(u32 kdev)
{
    u64 major = kdev >> 20, minor = kdev & 0xfffff;
    return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xffULL) << 12) |
           ((major & ~0xfffULL) << 32);
}

/* ---- the process tree ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
    u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
    if (ptgid == ctgid)
        return 0;
    u32 run = run_of(ptgid);
    if (!run)
        return 0;
    bpf_map_update_elem(&traced, &ctgid, &run, BPF_ANY);
    struct scratch *s = begin(RE_FORK, ctgid, run);
    if (!s)
        return 0;
    s->rec.a = BPF_CORE_READ(child, real_parent, tgid);
    s->rec.tid = ctgid;
    walk_path(s, 1, &child->fs->pwd);
    submit(s);
    return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    u32 tgid = BPF_CORE_READ(p, tgid);
    u32 run = run_of(tgid);
    if (!run)
        return 0;
    struct scratch *s = begin(RE_EXEC, tgid, run);
    if (!s)
        return 0;
    s->rec.a = BPF_CORE_READ(p, real_parent, tgid);
    if (bprm->buf[0] == 0x7f && bprm->buf[1] == 'E' && bprm->buf[2] == 'L' && bprm->buf[3] == 'F' &&
        bprm->buf[4] == 1)
        s->rec.status |= RE_COMPAT;             /* a 32-bit ELF image */
    walk_path(s, 0, &bprm->file->f_path);
    walk_path(s, 1, &p->fs->pwd);
    submit(s);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
    u32 tgid = BPF_CORE_READ(p, tgid);
    u32 run = run_of(tgid);
    if (!run || BPF_CORE_READ(p, signal, live.counter) != 0)
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

/* base (string bidx, only for a relative name) and the name as given (string bidx+1), read from
 * the program's memory at the call's exit */
static __always_inline void put_uname_at(struct scratch *s, struct task_struct *task, u32 bidx,
                                         int dfd, u64 uname)
{
    char c = 0;
    if (!uname)
        return;
    bpf_probe_read_user(&c, 1, (const void *)uname);
    if (c != '/' && c != 0) {
        u64 d = 0, m = 0;
        if (base_of(task, dfd, &d, &m) == 0)
            walk(s, bidx, d, m);
    }
    put_str(s, bidx + 1, (const void *)uname, 1);
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
    struct inode *inode = BPF_CORE_READ(file, f_inode);
    u16 mode = BPF_CORE_READ(inode, i_mode);
    s->rec.a = flags;
    s->rec.b = user_dev(BPF_CORE_READ(inode, i_sb, s_dev));
    s->rec.c = BPF_CORE_READ(inode, i_ino);
    s->rec.d = BPF_CORE_READ(inode, i_size);
    if (bpf_core_field_exists(inode->i_mtime_sec)) {
        s->rec.e = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(inode, i_mtime_nsec);
    } else if (bpf_core_field_exists(((struct inode___66 *)inode)->__i_mtime)) {
        struct inode___66 *i6 = (void *)inode;
        s->rec.e = BPF_CORE_READ(i6, __i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(i6, __i_mtime.tv_nsec);
    } else {
        struct inode___old *io = (void *)inode;
        s->rec.e = BPF_CORE_READ(io, i_mtime.tv_sec) * 1000000000ULL + BPF_CORE_READ(io, i_mtime.tv_nsec);
    }
    s->rec.f = (mode & 0xf000) == 0x8000 ? 'f' : (mode & 0xf000) == 0x4000 ? 'd' : 'o';
    struct dentry *fdentry = BPF_CORE_READ(file, f_path.dentry);
    struct vfsmount *fmnt = BPF_CORE_READ(file, f_path.mnt);
    walk(s, 0, (u64)fdentry, (u64)fmnt);
    if (!BPF_CORE_READ(fdentry, d_hash.pprev) && BPF_CORE_READ(fdentry, d_parent) != fdentry)
        s->rec.status |= RE_DELETED;    /* unhashed: the file was unlinked (an open of /proc/N/fd/M) */
    if (uname) {
        char c = 0;
        bpf_probe_read_user(&c, 1, (const void *)uname);
        if (c != '/' && c != 0) {
            u64 d = 0, m = 0;
            if (base_of(task, dfd, &d, &m) == 0) {
                /* A name in the base directory itself needs no second walk. */
                if (d == (u64)BPF_CORE_READ(fdentry, d_parent) && m == (u64)fmnt)
                    s->rec.status |= RE_BASE_IS_PARENT;
                else
                    walk(s, 1, d, m);
            }
        }
        put_str(s, 2, (const void *)uname, 1);   /* strings are stored in index order */
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
        a0 = (u32)BPF_CORE_READ(regs, bx); a1 = (u32)BPF_CORE_READ(regs, cx);
        a2 = (u32)BPF_CORE_READ(regs, dx); a3 = (u32)BPF_CORE_READ(regs, si);
        a4 = (u32)BPF_CORE_READ(regs, di);
    } else {
        a0 = BPF_CORE_READ(regs, di); a1 = BPF_CORE_READ(regs, si); a2 = BPF_CORE_READ(regs, dx);
        a3 = BPF_CORE_READ(regs, r10); a4 = BPF_CORE_READ(regs, r8);
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
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    u32 run = run_of(tgid);
    if (!run)
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    if (!regs)
        return 0;
    return file_call(task, tgid, run, sc, ret, regs, 0);
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
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    u32 run = run_of(tgid);
    if (!run)
        return 0;
    return file_call(task, tgid, run, sc, ret, regs, compat);
}
