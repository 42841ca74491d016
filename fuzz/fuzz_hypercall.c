/*
 * fuzz_hypercall.c - libFuzzer target: the hypercall dispatcher (vmm/hypercall.c) driven by
 * a sequence of `out`s whose call blocks and buffers lie in a fake guest RAM bounded by guard
 * pages, with a real pagefile in a temporary file, an image file to demand-page from, a volume
 * (a temporary directory made and removed for each input: a file, one in a subdirectory, a
 * link inside it and one leading out) and a fault tracer writing a trace in one of its three
 * formats.
 *
 * Input: a count byte, then per call a port byte (low 4 bits the call number, bit 4 a 1-byte
 * out, bit 5 the raw 32-bit value rather than one folded into RAM and its guard) and a 32-bit
 * value; then the trace format and flags (bit 6: no volume); the rest is guest RAM from
 * address 0.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_ram.h"
#include "hypercall.h"

#define RAM      (256u << 10)
#define MAX_CALLS 32

static struct guest_mem mem;
static int null_fd = -1;
static FILE *null_file;
static struct image_store images;  /* opened once; its file is unlinked at once */
static bool have_images;
static char volume_dir[256];       /* made afresh for each input */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

static void remove_volume(void)
{
    nftw(volume_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    rmdir(volume_dir);
}

/* A new volume directory for this input (removed again after it: the replay's children and
 * libFuzzer end without running atexit handlers). */
static void fill_volume(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(volume_dir, sizeof(volume_dir), "%s/pv-fuzz-volume-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(volume_dir))
        exit(2);
    char path[300];
    static char text[5000];
    memset(text, 'v', sizeof(text));
    snprintf(path, sizeof(path), "%s/a", volume_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, sizeof(text)) != (ssize_t)sizeof(text))
        exit(2);
    close(fd);
    snprintf(path, sizeof(path), "%s/sub", volume_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/sub/b", volume_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof(path), "%s/in", volume_dir);
    symlink("a", path);
    snprintf(path, sizeof(path), "%s/out", volume_dir);
    symlink("../../../../../../etc/hostname", path);
}

static void setup_once(void)
{
    fuzz_ram_init(&mem, RAM);
    null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    null_file = fopen("/dev/null", "w");
    /* An image of two pages and a bit, each byte its offset's low bits. */
    static uint8_t image[2 * 4096 + 100];
    for (size_t i = 0; i < sizeof(image); i++)
        image[i] = (uint8_t)(i * 13);
    char path[256];
    close(fuzz_temp_file(image, sizeof(image), path, sizeof(path)));
    const char *paths[1] = { path };
    have_images = image_store_open(&images, paths, 1) == 0;
    unlink(path);
    if (null_fd < 0 || !null_file)
        exit(2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (null_fd < 0)
        setup_once();
    struct fuzz_input in = { data, size };
    unsigned ncalls = fuzz_take(&in, 1) % (MAX_CALLS + 1);
    uint8_t ports[MAX_CALLS];
    uint32_t values[MAX_CALLS];
    for (unsigned i = 0; i < ncalls; i++) {
        ports[i] = (uint8_t)fuzz_take(&in, 1);
        values[i] = fuzz_take(&in, 4);
    }
    uint32_t flags = fuzz_take(&in, 1);
    fuzz_ram_fill(&mem, &in);

    struct fault_tracer tracer;
    tracer_init(&tracer, &mem, (flags & 4) ? null_file : NULL, (enum trace_format)(flags % 3),
                1000, (flags & 8) ? 1000000 : 0);
    struct hc_state hc;
    hc_init(&hc, &mem, null_fd, (flags & 16) ? null_fd : -1, (flags & 16) != 0, &tracer);

    struct pagefile pf;
    char why[256];
    if (pagefile_open(&pf, NULL, 16 * PAGEFILE_SLOT_SIZE, why, sizeof(why)) == 0)
        hc.pagefile = &pf;
    if (hc.pagefile && (flags & 32))
        pagefile_inject(&pf, "read:nth=2;write:slots=3-4", why, sizeof(why));
    if (have_images)
        hc.images = &images;
    struct volume vol = { .dirfd = -1 };
    if (!(flags & 64)) {
        fill_volume();
        if (volume_open(&vol, volume_dir, why, sizeof(why)) == 0)
            hc.volume = &vol;
    }

    for (unsigned i = 0; i < ncalls && !hc.finished; i++) {
        uint16_t port = (uint16_t)PV_HC_PORT(ports[i] & 0xF);
        unsigned width = (ports[i] & 0x10) ? 1 : 4;
        uint32_t value = (ports[i] & 0x20) ? values[i] : values[i] % (RAM + 0x2000);
        hc_out(&hc, port, width, value, why, sizeof(why));
        uint32_t v;
        hc_in(port, 4, &v);
        tracer_drain(&tracer);
    }
    tracer_finish(&tracer);
    tracer_free(&tracer);
    if (hc.pagefile)
        pagefile_close(&pf);
    volume_close(&vol);
    if (!(flags & 64))
        remove_volume();
    return 0;
}
