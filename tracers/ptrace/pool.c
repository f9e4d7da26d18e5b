/* pool.c - spool files created ahead of need by a helper thread.
 *
 * Why: the tracer is serial, so while it creates a new process's spool file every traced
 * thread that stops has to wait. Creating a file is not always cheap: on ext4 without a
 * journal, inode allocation scans for recently deleted inodes and was measured at ~400 us per
 * file here, more than the whole fork+exec it is recording. Giving a name to an inode that
 * already exists costs ~20 us.
 *
 * So a helper thread keeps a few anonymous files ready (O_TMPFILE in the spool directory: the
 * inode is allocated without holding the directory's lock, and an unused one vanishes when it
 * is closed, even if the tracer is killed). Giving a process its spool file is a linkat(2) of
 * one of them to "<pid>.spool", which fails with EEXIST instead of replacing a file a recycled
 * pid left behind. The helper only creates files: every ptrace call stays on the main thread,
 * the tracer of record.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "roar_ptrace.h"

#define POOL_SIZE 16

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wanted = PTHREAD_COND_INITIALIZER;
static int g_ready[POOL_SIZE];
static int g_nready;
static bool g_stop;
static bool g_running;
static int g_dirfd = -1;
static pthread_t g_thread;

static void *helper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    while (!g_stop) {
        if (g_nready == POOL_SIZE) {
            pthread_cond_wait(&g_wanted, &g_lock);
            continue;
        }
        pthread_mutex_unlock(&g_lock);
        int fd = openat(g_dirfd, ".", O_TMPFILE | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
        pthread_mutex_lock(&g_lock);
        if (fd < 0)
            break; /* no O_TMPFILE here, or the directory is gone: files are made directly */
        g_ready[g_nready++] = fd;
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

void pool_start(int dirfd)
{
    g_dirfd = dirfd;
    /* The helper must never take a signal meant for the tracer. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    g_running = pthread_create(&g_thread, NULL, helper, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Give the anonymous file fd the name `name` in the spool directory. The /proc form works
 * without CAP_DAC_READ_SEARCH, which linkat(fd, "", ..., AT_EMPTY_PATH) would need. */
static int link_as(int fd, const char *name)
{
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, self, g_dirfd, name, AT_SYMLINK_FOLLOW);
}

/* A descriptor of a new, empty file now named `name`, or -1: the pool is empty, or `name`
 * exists already (errno EEXIST: the caller appends to that file instead). */
int pool_take(const char *name)
{
    if (!g_running)
        return -1;
    pthread_mutex_lock(&g_lock);
    int fd = g_nready > 0 ? g_ready[--g_nready] : -1;
    pthread_cond_signal(&g_wanted);
    pthread_mutex_unlock(&g_lock);
    if (fd < 0) {
        errno = EAGAIN;
        return -1;
    }
    if (link_as(fd, name) == 0)
        return fd;
    int err = errno;
    pthread_mutex_lock(&g_lock); /* not used: back into the pool, if the helper left room */
    bool kept = g_nready < POOL_SIZE;
    if (kept)
        g_ready[g_nready++] = fd;
    pthread_mutex_unlock(&g_lock);
    if (!kept)
        close(fd);
    if (err != EEXIST)
        pool_stop(); /* linking does not work here: create files directly from now on */
    errno = err;
    return -1;
}

/* Stop the helper; the files nobody took disappear with their descriptors. */
void pool_stop(void)
{
    if (!g_running)
        return;
    pthread_mutex_lock(&g_lock);
    g_stop = true;
    pthread_cond_signal(&g_wanted);
    pthread_mutex_unlock(&g_lock);
    pthread_join(g_thread, NULL);
    g_running = false;
    for (int i = 0; i < g_nready; i++)
        close(g_ready[i]);
    g_nready = 0;
}
