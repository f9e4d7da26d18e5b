/* filter.c - the syscall table and the seccomp BPF program built from it.
 *
 * Only the syscalls in the table stop the tracee (SECCOMP_RET_TRACE); everything else returns
 * SECCOMP_RET_ALLOW and runs at full speed. The filter is a straight list of comparisons on
 * the syscall number, which the kernel's seccomp action cache can evaluate once per number:
 * untraced syscalls then do not even run the BPF program.
 *
 * Not in the table, on purpose:
 *  - execve/execveat: PTRACE_O_TRACEEXEC reports every successful exec (that is where the H
 *    line is written), and a failed exec changes nothing; tracing them would add a stop for
 *    every candidate of an execvp PATH search.
 *  - chdir/fchdir, close, dup*: relative names are resolved through /proc/<tid>/cwd and
 *    /proc/<tid>/fd/<n> at the syscall-entry stop, so no descriptor or cwd state is kept.
 *  - stat family, read/write: they change nothing the spool records.
 * ptrace, seccomp and io_uring_setup are traced only to explain what cannot be followed
 * (nested tracing, notification filters, io_uring operations that bypass system calls) with
 * W lines; they are rare, so their stops cost nothing measurable.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "roar_ptrace.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define COMPAT_ARCH AUDIT_ARCH_I386
#define X32_BIT 0x40000000u /* x32 syscalls are the 64-bit numbers with this bit set */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "roar-ptrace: unsupported architecture"
#endif

/* Numbers of the native ABI come from <sys/syscall.h>; an ABI without the old non-*at calls
 * (aarch64) simply has no entry for them. */
#define NATIVE(sym) NR_OR_NONE_##sym
#ifdef SYS_open
#define NR_OR_NONE_open SYS_open
#else
#define NR_OR_NONE_open -1
#endif
#ifdef SYS_creat
#define NR_OR_NONE_creat SYS_creat
#else
#define NR_OR_NONE_creat -1
#endif
#ifdef SYS_rename
#define NR_OR_NONE_rename SYS_rename
#else
#define NR_OR_NONE_rename -1
#endif
#ifdef SYS_link
#define NR_OR_NONE_link SYS_link
#else
#define NR_OR_NONE_link -1
#endif
#ifdef SYS_unlink
#define NR_OR_NONE_unlink SYS_unlink
#else
#define NR_OR_NONE_unlink -1
#endif
#ifdef SYS_rmdir
#define NR_OR_NONE_rmdir SYS_rmdir
#else
#define NR_OR_NONE_rmdir -1
#endif
#ifdef SYS_mkdir
#define NR_OR_NONE_mkdir SYS_mkdir
#else
#define NR_OR_NONE_mkdir -1
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture */
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

/* i386 numbers (asm/unistd_32.h), for 32-bit programs on an x86_64 kernel. */
static const struct sc_def TABLE[] = {
    {"open", SC_OPEN, NATIVE(open), 5},
    {"openat", SC_OPENAT, SYS_openat, 295},
    {"openat2", SC_OPENAT2, SYS_openat2, 437},
    {"creat", SC_CREAT, NATIVE(creat), 8},
    {"rename", SC_RENAME, NATIVE(rename), 38},
    {"renameat", SC_RENAMEAT, SYS_renameat, 302},
    {"renameat2", SC_RENAMEAT2, SYS_renameat2, 353},
    {"link", SC_LINK, NATIVE(link), 9},
    {"linkat", SC_LINKAT, SYS_linkat, 303},
    {"unlink", SC_UNLINK, NATIVE(unlink), 10},
    {"rmdir", SC_UNLINK, NATIVE(rmdir), 40},
    {"unlinkat", SC_UNLINKAT, SYS_unlinkat, 301},
    {"mkdir", SC_MKDIR, NATIVE(mkdir), 39},
    {"mkdirat", SC_MKDIRAT, SYS_mkdirat, 296},
    {"truncate", SC_TRUNCATE, SYS_truncate, 92},
    {"truncate64", SC_TRUNCATE, -1, 193},
    {"open_by_handle_at", SC_OPEN_BY_HANDLE, SYS_open_by_handle_at, 342},
    {"ptrace", SC_PTRACE, SYS_ptrace, 26},
    {"seccomp", SC_SECCOMP, SYS_seccomp, 354},
    {"io_uring_setup", SC_IO_URING, SYS_io_uring_setup, 425},
};
#define TABLE_LEN (sizeof TABLE / sizeof TABLE[0])

const struct sc_def *sc_lookup(uint32_t arch, uint64_t nr)
{
    bool native = arch == NATIVE_ARCH;
#ifdef COMPAT_ARCH
    if (!native && arch != COMPAT_ARCH)
        return NULL;
#else
    if (!native)
        return NULL;
#endif
#ifdef X32_BIT
    if (native)
        nr &= ~(uint64_t)X32_BIT;
#endif
    for (size_t i = 0; i < TABLE_LEN; i++) {
        int want = native ? TABLE[i].nr_x86_64 : TABLE[i].nr_i386;
        if (want >= 0 && (uint64_t)want == nr)
            return &TABLE[i];
    }
    return NULL;
}

#define MAX_INSNS 128

/* One architecture's block: load the number, compare with each traced one, ALLOW or TRACE.
 * Returns the number of instructions written at f. */
static size_t arch_block(struct sock_filter *f, bool native)
{
    size_t n = 0, first_cmp;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
#ifdef X32_BIT
    if (native)
        f[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_BIT);
#endif
    first_cmp = n;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        int nr = native ? TABLE[i].nr_x86_64 : TABLE[i].nr_i386;
        if (nr >= 0)
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0);
    }
    size_t allow = n++, trace = n++;
    f[allow] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[trace] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    for (size_t i = first_cmp; i < allow; i++)
        f[i].jt = (uint8_t)(trace - (i + 1)); /* jf = 0: fall through to the next compare */
    return n;
}

/* arch == NATIVE ? native block : (arch == COMPAT ? compat block : ALLOW). Any other
 * architecture cannot run on this kernel, so it needs no KILL branch. */
static size_t build_program(struct sock_filter *f)
{
    size_t n = 0;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    size_t jump = n++;
    size_t len = arch_block(f + n, true);
    f[jump] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0,
                                           (uint8_t)len);
    n += len;
#ifdef COMPAT_ARCH
    jump = n++;
    len = arch_block(f + n, false);
    f[jump] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 0,
                                           (uint8_t)len);
    n += len;
#endif
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return n;
}

int filter_install(void)
{
    struct sock_filter insns[MAX_INSNS];
    size_t n = build_program(insns);
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = insns};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
