/*
 * fuzz_image_store.c - libFuzzer target: the image store (vmm/store/image_store.c) serving
 * PV_HC_IMAGE_READ requests from an image file written from the input into a fake guest RAM
 * bounded by guard pages. A request that succeeds copied exactly the file's bytes at its
 * offset into each of its frames and zeroed the rest of each page; one that fails touched
 * nothing unless the file itself failed.
 *
 * Input: a count byte, then per request the image index (1 byte), offset (32 bits), a page
 * count (1 byte) and that many frames (up to PV_PAGEFILE_CLUSTER_MAX, 32 bits each, as many
 * as the count byte says modulo 17); the rest is the image file.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_ram.h"
#include "image_store.h"

#define RAM       (64u << 10)
#define MAX_READS 8

static struct guest_mem mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ram_init(&mem, RAM);
    struct fuzz_input in = { data, size };
    unsigned n = fuzz_take(&in, 1) % (MAX_READS + 1);
    struct pv_hc_image_read req[MAX_READS];
    for (unsigned i = 0; i < n; i++) {
        memset(&req[i], 0, sizeof(req[i]));
        req[i].image = fuzz_take(&in, 1);
        req[i].offset = fuzz_take(&in, 4);
        req[i].count = fuzz_take(&in, 1);
        /* Frames read: as the count says, capped at the array (a count above it is refused). */
        unsigned frames = req[i].count % (PV_PAGEFILE_CLUSTER_MAX + 1);
        for (unsigned f = 0; f < frames; f++)
            req[i].frames[f] = fuzz_take(&in, 4);
    }
    char path[256];
    close(fuzz_temp_file(in.data, in.len, path, sizeof(path)));
    struct image_store store;
    const char *paths[2] = { path, path };
    int rc = image_store_open(&store, paths, 2);
    unlink(path);
    if (rc != 0)
        abort();
    memset(mem.base, 0xEE, RAM);
    for (unsigned i = 0; i < n; i++) {
        uint32_t bytes = 0;
        if (image_store_read(&store, &mem, &req[i], &bytes) != PV_OK)
            continue;
        /* Served: every frame is in RAM and listed once, its bytes are the file's, the rest
         * of its page zero, the pages in all the bytes reported. A later request may have
         * overwritten an earlier one's frames, so each is checked right after its read. */
        uint32_t count = req[i].count, seen = 0;
        if (count == 0 || count > PV_PAGEFILE_CLUSTER_MAX)
            abort();
        for (uint32_t p = 0; p < count; p++) {
            uint64_t offset = (uint64_t)req[i].offset + (uint64_t)p * 4096;
            uint8_t *page = gpa_ptr(&mem, (uint64_t)req[i].frames[p] << 12, 4096);
            if (!page || offset >= in.len)
                abort();
            for (uint32_t q = 0; q < p; q++)
                if (req[i].frames[q] == req[i].frames[p])
                    abort();
            uint32_t here = in.len - offset < 4096 ? (uint32_t)(in.len - offset) : 4096;
            if (memcmp(page, in.data + offset, here) != 0)
                abort();
            for (uint32_t b = here; b < 4096; b++)
                if (page[b])
                    abort();
            seen += here;
        }
        if (seen != bytes)
            abort();
    }
    image_store_close(&store);
    return 0;
}
