/*
 * big-data - an image with 3 MiB of initialized read-only data, so the image file itself is
 * larger than small guest RAM: the VMM must refuse it under --mem 4M ("raise --mem"), and at
 * the default 16M the kernel must load every page of it intact.
 * Expected (16M): begin, the checksum line, end, "big-data: exit(0)".
 */
#include <ntapi.h>

#define BLOB_SIZE (3u << 20)

/* Every byte is a function of its index, so a page loaded at the wrong place shows. */
#define B4(i) (unsigned char)((i) * 7 + 1), (unsigned char)((i) * 7 + 8), \
              (unsigned char)((i) * 7 + 15), (unsigned char)((i) * 7 + 22)
static const unsigned char head[16] = { B4(0), B4(4), B4(8), B4(12) };
static const unsigned char blob[BLOB_SIZE] = { 1, 2, 3 };

int main(void)
{
    msg("begin");
    unsigned long sum = 0;
    const volatile unsigned char *p = blob; /* read the pages, not a folded constant */
    for (unsigned i = 0; i < BLOB_SIZE; i++)
        sum += p[i];
    for (unsigned i = 0; i < sizeof(head); i++)
        sum += head[i];
    CHECK(sum == 6 + 1 + 8 + 15 + 22 + 29 + 36 + 43 + 50 + 57 + 64 + 71 + 78 + 85 + 92 + 99 + 106,
          "sum of %u bytes = %lu", BLOB_SIZE + (unsigned)sizeof(head), sum);
    msg("end");
    return 0;
}
