/* guest_mem.c - parsing of memory sizes given on the command line. */
#include "guest_mem.h"

#include <errno.h>
#include <stdlib.h>

int parse_size(const char *text, uint64_t *bytes)
{
    char *end;
    errno = 0;
    if (!text || *text < '0' || *text > '9')
        return -1;
    unsigned long long value = strtoull(text, &end, 0);
    if (errno)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end == 'i' && shift)      /* accept KiB/MiB/GiB spellings */
        end++;
    if ((*end == 'b' || *end == 'B') && shift)
        end++;
    if (*end != '\0')
        return -1;
    if (shift && value > (UINT64_MAX >> shift))
        return -1;
    *bytes = (uint64_t)value << shift;
    return 0;
}
