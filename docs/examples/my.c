/* my.c - an image of your own: prints its arguments and exits with status 3 when given two. */
#include <ntapi.h>

int main(int argc, char **argv)
{
    msg("begin");
    msg("%d argument(s), the first %s", argc - 1, argc > 1 ? argv[1] : "none");
    msg("end");
    return argc > 2 ? 3 : 0;
}
