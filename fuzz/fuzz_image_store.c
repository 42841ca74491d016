/*
 * fuzz_image_store.c - libFuzzer target: the image store (vmm/store/image_store.c) serving
 * PV_HC_IMAGE_READ requests from an image file written from the input into a fake guest RAM
 * bounded by guard pages. A request that succeeds copied exactly the file's bytes at its
 * offset and zeroed the rest of the page.
 *
 * Input: a count byte, then per request the image index (1 byte), offset and frame (32 bits
 * each); the rest is the image file.
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
        req[i].frame = fuzz_take(&in, 4);
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
        /* Served: the frame is in RAM, the bytes are the file's, the rest of the page zero. */
        uint8_t *page = gpa_ptr(&mem, (uint64_t)req[i].frame << 12, 4096);
        if (!page || bytes > 4096 || (uint64_t)req[i].offset + bytes > in.len ||
            memcmp(page, in.data + req[i].offset, bytes) != 0)
            abort();
        for (uint32_t b = bytes; b < 4096; b++)
            if (page[b])
                abort();
    }
    image_store_close(&store);
    return 0;
}
