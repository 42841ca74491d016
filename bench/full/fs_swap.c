/*
 * fs_swap.c - the page-in peer that is Linux's own paging: anonymous memory written with the
 * same pattern as the guest's bench-pagein, pushed out to a swap device with MADV_PAGEOUT, and
 * read back in the guest's order, so each page comes back through Linux's swap-in fault and its
 * readahead, whose window vm.page-cluster caps at the guest's (pv.readaroundmax). It needs root
 * and a block device: one given (--swap-device), or a loop device over a file in TMPDIR
 * (--swap-loop; in the KVM runner that is RAM, as the guest's pagefile there is). Not a RAM
 * disk: Linux reads swap on a synchronous device (brd, zram) one page at a time, around its
 * swap cache and readahead. The device is formatted, swapped on for the run and swapped off
 * after; vm.page-cluster is put back.
 * MADV_PAGEOUT alone leaves the pages of an asynchronous device in the swap cache (written,
 * still in memory); a cgroup v2 group of our own (memory.reclaim) then drops them, so every
 * page of the timed pass really comes from the device.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "bench.h"
#include "fs.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

#define PAGE_CLUSTER "/proc/sys/vm/page-cluster"

static char device[256];
static bool swapped_on;
static int saved_page_cluster = -1;
static int loop_fd = -1;   /* the loop device made by swap_loop_create, until close */

/* The cgroup the peer fills its pages in: CG_ROOT/pv-swap-peer.PID on a cgroup2 mount (one
 * of our own when none is mounted), and the group we came from. */
static char cg_root[256], cg_group[320], cg_home[1024];
static bool cg_mounted;

static int write_text(const char *dir, const char *file, const char *text)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return fs_write_file(path, text, false);
}

static int cgroup_open(char *why, size_t whylen)
{
    FILE *m = fopen("/proc/self/mounts", "r");
    char dev[256], dir[256], type[64];
    while (m && fscanf(m, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
        if (!strcmp(type, "cgroup2")) {
            snprintf(cg_root, sizeof(cg_root), "%s", dir);
            break;
        }
    if (m)
        fclose(m);
    if (!cg_root[0]) {
        snprintf(cg_root, sizeof(cg_root), "/tmp/pv-cgroup.XXXXXX");
        if (!mkdtemp(cg_root) || mount("cgroup2", cg_root, "cgroup2", 0, NULL) != 0) {
            snprintf(why, whylen, "mounting cgroup2 on %s: %s", cg_root, strerror(errno));
            rmdir(cg_root);
            cg_root[0] = '\0';
            return -1;
        }
        cg_mounted = true;
    }
    FILE *c = fopen("/proc/self/cgroup", "r");
    char line[800];
    snprintf(cg_home, sizeof(cg_home), "%s", cg_root);
    while (c && fgets(line, sizeof(line), c))
        if (!strncmp(line, "0::", 3)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(cg_home, sizeof(cg_home), "%s%s", cg_root, line + 3);
        }
    if (c)
        fclose(c);
    snprintf(cg_group, sizeof(cg_group), "%s/pv-swap-peer.%d", cg_root, (int)getpid());
    if (write_text(cg_root, "cgroup.subtree_control", "+memory") != 0 ||
        (mkdir(cg_group, 0755) != 0 && errno != EEXIST)) {
        snprintf(why, whylen, "a cgroup v2 group with the memory controller at %s: %s",
                 cg_group, strerror(errno));
        cg_group[0] = '\0';
        return -1;
    }
    return 0;
}

static void cgroup_close(void)
{
    if (cg_group[0] && rmdir(cg_group) != 0)
        warn("swap peer: rmdir %s", cg_group);
    cg_group[0] = '\0';
    if (cg_mounted && (umount(cg_root) != 0 || rmdir(cg_root) != 0))
        warn("swap peer: unmounting %s", cg_root);
    cg_mounted = false;
    cg_root[0] = '\0';
}

/* Move this process into the peer's group (before its pages are charged) or back home. */
static void cgroup_enter(bool in)
{
    char pid[32];
    snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (write_text(in ? cg_group : cg_home, "cgroup.procs", pid) != 0)
        err(1, "swap peer: moving into %s", in ? cg_group : cg_home);
}

int swap_loop_create(const char *dir, uint32_t pages, char *dev, size_t devlen, char *why,
                     size_t whylen)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/pv-swap.XXXXXX", dir);
    int file = mkstemp(path);
    if (file < 0) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    unlink(path);   /* the loop device keeps it open */
    if (ftruncate(file, (off_t)pages * 2 * PAGE + (1 << 20)) != 0) {
        snprintf(why, whylen, "sizing the swap file: %s", strerror(errno));
        close(file);
        return -1;
    }
    int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    int n = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0) {
        snprintf(why, whylen, "no free loop device (/dev/loop-control: %s)", strerror(errno));
        if (ctl >= 0)
            close(ctl);
        close(file);
        return -1;
    }
    close(ctl);
    snprintf(dev, devlen, "/dev/loop%d", n);
    loop_fd = open(dev, O_RDWR | O_CLOEXEC);
    if (loop_fd < 0 || ioctl(loop_fd, LOOP_SET_FD, file) != 0) {
        snprintf(why, whylen, "attaching %s to the swap file: %s", dev, strerror(errno));
        if (loop_fd >= 0)
            close(loop_fd);
        loop_fd = -1;
        close(file);
        return -1;
    }
    close(file);
    return 0;
}

static int read_int(const char *path)
{
    FILE *f = fopen(path, "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int write_int(const char *path, int v)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", v);
    return fclose(f);
}

/* A version-1 swap header (what mkswap writes): the signature in the last ten bytes of the
 * first page, the last usable page at offset 1028. */
static int format_swap(int fd, uint64_t bytes, char *why, size_t whylen)
{
    uint8_t *page = calloc(1, PAGE);
    if (!page)
        return -1;
    uint32_t version = 1, last_page = (uint32_t)(bytes / PAGE - 1);
    memcpy(page + 1024, &version, 4);
    memcpy(page + 1028, &last_page, 4);
    memcpy(page + PAGE - 10, "SWAPSPACE2", 10);
    int rc = pwrite(fd, page, PAGE, 0) == PAGE && fsync(fd) == 0 ? 0 : -1;
    if (rc)
        snprintf(why, whylen, "writing a swap header to %s: %s", device, strerror(errno));
    free(page);
    return rc;
}

int swap_peer_open(const char *dev, uint32_t pages, char *why, size_t whylen)
{
    snprintf(device, sizeof(device), "%s", dev);
    if (geteuid() != 0) {
        snprintf(why, whylen, "swapping on %s needs root", dev);
        return -1;
    }
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s: %s", dev, strerror(errno));
        return -1;
    }
    uint64_t bytes = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
        snprintf(why, whylen, "%s is not a block device (BLKGETSIZE64: %s)", dev,
                 strerror(errno));
        close(fd);
        return -1;
    }
    /* Room for every page and some to spare: a full swap device makes reclaim skip pages. */
    if (bytes / PAGE < (uint64_t)pages * 2) {
        snprintf(why, whylen, "%s holds %llu KiB; %u pages need %llu KiB", dev,
                 (unsigned long long)(bytes / 1024), pages,
                 (unsigned long long)pages * 2 * PAGE / 1024);
        close(fd);
        return -1;
    }
    int rc = format_swap(fd, bytes, why, whylen);
    close(fd);
    if (rc || cgroup_open(why, whylen) != 0)
        return -1;
    if (swapon(dev, 0) != 0) {
        snprintf(why, whylen, "swapon %s: %s", dev, strerror(errno));
        cgroup_close();
        return -1;
    }
    swapped_on = true;
    saved_page_cluster = read_int(PAGE_CLUSTER);
    return 0;
}

unsigned swap_peer_set_cluster(unsigned pages)
{
    int log2 = 0;   /* the smallest power of two not below pages: the peer is not held back */
    while ((1u << log2) < pages)
        log2++;
    if (write_int(PAGE_CLUSTER, log2) != 0)
        err(1, "swap peer: writing %s", PAGE_CLUSTER);
    return 1u << log2;
}

void swap_peer_close(void)
{
    if (swapped_on) {
        if (saved_page_cluster >= 0)
            write_int(PAGE_CLUSTER, saved_page_cluster);
        if (swapoff(device) != 0)
            warn("swap peer: swapoff %s", device);
        swapped_on = false;
        cgroup_close();
    }
    if (loop_fd >= 0) {
        if (ioctl(loop_fd, LOOP_CLR_FD, 0) != 0)
            warn("swap peer: detaching its loop device");
        close(loop_fd);
        loop_fd = -1;
    }
}

static uint32_t magic_first(uint32_t i) { return 0x5A17C0DEu ^ i; }

/* Pages of the region still resident (mincore); swapped-out anonymous pages are not. */
static uint32_t resident_pages(uint8_t *p, uint32_t pages)
{
    unsigned char *vec = malloc(pages);
    uint32_t n = 0;
    if (!vec || mincore(p, (size_t)pages * PAGE, vec) != 0)
        err(1, "swap peer: mincore");
    for (uint32_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    free(vec);
    return n;
}

int swap_peer_run(uint32_t pages, bool random, struct peer_sample *s, char *why,
                  size_t whylen)
{
    size_t bytes = (size_t)pages * PAGE;
    cgroup_enter(true);
    uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        err(1, "swap peer: mmap of %zu bytes", bytes);
    madvise(p, bytes, MADV_NOHUGEPAGE);   /* 4 KiB pages, swapped one by one, as the guest's */
    for (uint32_t i = 0; i < pages; i++) {   /* the fill: bench-pagein's words */
        uint32_t *w = (uint32_t *)(p + (size_t)i * PAGE);
        w[0] = magic_first(i);
        w[PAGE / 4 - 1] = ~i;
    }
    /* Written out by MADV_PAGEOUT; what stays in the swap cache, reclaimed from the group
     * (memory.reclaim: Linux 5.19 or later) until at most 1 % is left. */
    if (madvise(p, bytes, MADV_PAGEOUT) != 0) {
        snprintf(why, whylen, "madvise(MADV_PAGEOUT): %s (Linux 5.4 or later)", strerror(errno));
        munmap(p, bytes);
        cgroup_enter(false);
        return -1;
    }
    uint32_t left = resident_pages(p, pages);
    bool reclaim_failed = false;
    for (int tries = 0; tries < 20 && left > pages / 100; tries++) {
        char amount[32];
        snprintf(amount, sizeof(amount), "%zu", bytes);
        if (write_text(cg_group, "memory.reclaim", amount) != 0 && errno != EAGAIN) {
            snprintf(why, whylen, "%s/memory.reclaim: %s (Linux 5.19 or later)", cg_group,
                     strerror(errno));
            reclaim_failed = true;
            break;
        }
        left = resident_pages(p, pages);
    }
    if (left > pages / 100) {
        if (!reclaim_failed)
            snprintf(why, whylen, "%u of %u pages stayed in memory after MADV_PAGEOUT and "
                     "memory.reclaim", left, pages);
        munmap(p, bytes);
        cgroup_enter(false);
        return -1;
    }
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = fs_now();
    uint32_t bad = 0;
    for (uint32_t i = 0; i < pages; i++) {   /* bench-pagein's ReadBack */
        uint32_t page = random ? (i * 0x9E3779B1u) & (pages - 1) : i;
        const volatile uint32_t *w = (const volatile uint32_t *)(p + (size_t)page * PAGE);
        bad += w[0] != magic_first(page) || w[PAGE / 4 - 1] != ~page;
    }
    double t1 = fs_now();
    getrusage(RUSAGE_SELF, &r1);
    munmap(p, bytes);
    cgroup_enter(false);
    if (bad)
        errx(1, "swap peer: %u pages came back wrong from swap", bad);
    *s = (struct peer_sample){
        .seconds = t1 - t0,
        .faults = (uint64_t)(r1.ru_majflt - r0.ru_majflt),   /* swap-ins that read */
        .events = (uint64_t)(r1.ru_minflt - r0.ru_minflt),   /* found in the swap cache */
        .resident = left,
    };
    return 0;
}
