/* test_options.c - the `pagevisor run` command line: options, image lists, module lines. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "unit.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

/* argc_hint is checked against the NULL-terminated list, so a miscounted test fails loudly
 * instead of reading past the end. */
static int parse(char **argv, int argc_hint, struct run_options *o)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    CU_ASSERT_EQUAL(argc, argc_hint);
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");
    int rc = run_options_parse(argc, argv, o);
    fclose(stderr);
    stderr = saved;
    return rc;
}

static void defaults(void)
{
    char **v = ARGV("run", "hello.elf");
    struct run_options o;
    CU_ASSERT_EQUAL_FATAL(parse(v, 2, &o), 0);
    CU_ASSERT_EQUAL(o.mem, 16u << 20);
    CU_ASSERT_EQUAL(o.timeout, PV_DEFAULT_TIMEOUT);
    CU_ASSERT_EQUAL(o.runner, RUNNER_AUTO);
    CU_ASSERT_FALSE(o.verbose);
    CU_ASSERT_EQUAL_FATAL(o.nimages, 1u);
    CU_ASSERT_STRING_EQUAL(o.images[0].path, "hello.elf");
    CU_ASSERT_EQUAL(o.images[0].nargs, 0);
    run_options_free(&o);
}

static void options_and_several_images(void)
{
    char **v = ARGV("run", "--mem", "4M", "--timeout", "9", "--runner", "never", "--verbose",
                    "a.elf", "-x", "y", "--", "b.elf", "--", "c.elf", "z");
    struct run_options o;
    CU_ASSERT_EQUAL_FATAL(parse(v, 16, &o), 0);
    CU_ASSERT_EQUAL(o.mem, 4u << 20);
    CU_ASSERT_EQUAL(o.timeout, 9u);
    CU_ASSERT_EQUAL(o.runner, RUNNER_NEVER);
    CU_ASSERT_TRUE(o.verbose);
    CU_ASSERT_EQUAL_FATAL(o.nimages, 3u);
    CU_ASSERT_EQUAL(o.images[0].nargs, 2);           /* an image's own options stay its own */
    CU_ASSERT_STRING_EQUAL(o.images[0].args[0], "-x");
    CU_ASSERT_STRING_EQUAL(o.images[1].path, "b.elf");
    CU_ASSERT_EQUAL(o.images[1].nargs, 0);
    char *line = image_cmdline(&o.images[0]);
    CU_ASSERT_STRING_EQUAL(line, "a.elf -x y");
    free(line);
    line = image_cmdline(&o.images[2]);
    CU_ASSERT_STRING_EQUAL(line, "c.elf z");
    free(line);
    run_options_free(&o);
}

static void refuses_bad_values(void)
{
    struct run_options o;
    CU_ASSERT_EQUAL(parse(ARGV("run", "--mem", "1M", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--mem", "2G", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--mem", "3000001", "a.elf"), 4, &o), -1); /* not aligned */
    CU_ASSERT_EQUAL(parse(ARGV("run", "--timeout", "soon", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--runner", "maybe", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--bogus", "a.elf"), 3, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--mem"), 2, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run"), 1, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--", "--"), 3, &o), -1);
}

static void backing_store_options(void)
{
    struct run_options o;
    char **v = ARGV("run", "--pagefile", "/tmp/pf", "--pagefile-size", "8M",
                    "--inject-pagefile-errors", "read:nth=3", "--inject-pagefile-errors",
                    "write:slots=5,9-12", "--trace", "t.json", "--trace-format", "chrome",
                    "a.elf");
    CU_ASSERT_EQUAL_FATAL(parse(v, 14, &o), 0);
    CU_ASSERT_STRING_EQUAL(o.pagefile_path, "/tmp/pf");
    CU_ASSERT_EQUAL(o.pagefile_size, 8u << 20);
    CU_ASSERT_EQUAL_FATAL(o.ninject, 2u);
    CU_ASSERT_STRING_EQUAL(o.inject[1], "write:slots=5,9-12");
    CU_ASSERT_STRING_EQUAL(o.trace_path, "t.json");
    CU_ASSERT_EQUAL(o.trace_format, TRACE_CHROME);
    run_options_free(&o);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--pagefile-size", "4K", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--pagefile-size", "8G", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--inject-pagefile-errors", "reed:nth=1", "a.elf"), 4, &o),
                    -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--trace-format", "xml", "a.elf"), 4, &o), -1);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static void three_gb(void)
{
    struct run_options o;
    /* /3GB goes first on the kernel command line; the kernel defaults to kernel-3gb.elf. */
    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "--cmdline", "pv.wsmax=64", "--3gb", "a.elf"), 5, &o),
                          0);
    CU_ASSERT_TRUE(o.three_gb);
    CU_ASSERT_STRING_EQUAL(o.cmdline, "/3GB pv.wsmax=64");
    const char *k = run_kernel_path(&o);
    CU_ASSERT(ends_with(k, "/guest/kernel-3gb.elf"));
    run_options_free(&o);
    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "--3gb", "--kernel", "k.elf", "a.elf"), 5, &o), 0);
    CU_ASSERT_STRING_EQUAL(o.cmdline, "/3GB");
    CU_ASSERT_STRING_EQUAL(run_kernel_path(&o), "k.elf");      /* --kernel still wins */
    run_options_free(&o);
    /* Without it: no /3GB and the default kernel. */
    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "a.elf"), 2, &o), 0);
    CU_ASSERT_FALSE(o.three_gb);
    CU_ASSERT_STRING_EQUAL(o.cmdline, "");
    k = run_kernel_path(&o);
    CU_ASSERT(ends_with(k, "/guest/kernel.elf"));
    run_options_free(&o);
}

static void refuses_unrepresentable_arguments(void)
{
    char *args[] = { "has space" };
    struct image_spec img = { .path = "a.elf", .args = args, .nargs = 1 };
    CU_ASSERT_PTR_NULL(image_cmdline(&img));
    char *empty[] = { "" };
    struct image_spec img2 = { .path = "a.elf", .args = empty, .nargs = 1 };
    CU_ASSERT_PTR_NULL(image_cmdline(&img2));
}

/* --parallel and --child reach the kernel's command line; children come after the images. */
static void parallel_and_children(void)
{
    struct run_options o;
    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "--cmdline", "pv.wsmax=40", "--child", "c.elf",
                                     "--parallel", "--child", "d.elf", "a.elf", "x", "--",
                                     "b.elf"), 12, &o), 0);
    CU_ASSERT_TRUE(o.parallel);
    CU_ASSERT_EQUAL_FATAL(o.nimages, 4u);
    CU_ASSERT_EQUAL(o.nstart, 2u);
    CU_ASSERT_STRING_EQUAL(o.images[0].path, "a.elf");
    CU_ASSERT_EQUAL(o.images[0].nargs, 1);
    CU_ASSERT_FALSE(o.images[1].child);
    CU_ASSERT_STRING_EQUAL(o.images[2].path, "c.elf");
    CU_ASSERT_TRUE(o.images[2].child);
    CU_ASSERT_STRING_EQUAL(o.images[3].path, "d.elf");
    char *cmdline = guest_cmdline(&o);
    CU_ASSERT_STRING_EQUAL(cmdline, "pv.wsmax=40 pv.parallel pv.startimages=2");
    free(cmdline);
    run_options_free(&o);

    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "a.elf"), 2, &o), 0);
    CU_ASSERT_FALSE(o.parallel);
    CU_ASSERT_EQUAL(o.nstart, 1u);
    cmdline = guest_cmdline(&o);
    CU_ASSERT_STRING_EQUAL(cmdline, "");
    free(cmdline);
    run_options_free(&o);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--child"), 2, &o), -1);
}

/* --trace-format says how to write --trace's file: alone it is a mistake. */
static void trace_format_needs_trace(void)
{
    struct run_options o;
    CU_ASSERT_EQUAL(parse(ARGV("run", "--trace-format", "jsonl", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "--trace-format", "jsonl", "--trace", "t", "a.elf"),
                                6, &o), 0);
    CU_ASSERT_EQUAL(o.trace_format, TRACE_JSONL);
    run_options_free(&o);
}

/* --name WHAT=PATH: what messages (and the guest) call a file; the default is its path. */
static void names_of_files(void)
{
    struct run_options o;
    char **v = ARGV("run", "--kernel", "/pv/k", "--trace", "/tmp/t", "--name", "kernel=my/k.elf",
                    "--name=trace=/dev/stdout", "--name", "image1=/home/u/c.elf", "--child",
                    "/pv/root/c.elf", "/pv/root/a.elf", "x");
    CU_ASSERT_EQUAL_FATAL(parse(v, 14, &o), 0);
    CU_ASSERT_TRUE(o.from_host);
    CU_ASSERT_STRING_EQUAL(run_kernel_name(&o), "my/k.elf");
    CU_ASSERT_STRING_EQUAL(run_kernel_path(&o), "/pv/k");
    CU_ASSERT_STRING_EQUAL(o.trace_name, "/dev/stdout");
    CU_ASSERT_STRING_EQUAL(o.images[0].name, "/pv/root/a.elf");
    CU_ASSERT_STRING_EQUAL(o.images[1].name, "/home/u/c.elf");
    CU_ASSERT_STRING_EQUAL(o.images[1].path, "/pv/root/c.elf");
    o.images[0].name = "/home/u/a.elf";
    char *line = image_cmdline(&o.images[0]);
    CU_ASSERT_STRING_EQUAL(line, "/home/u/a.elf x");   /* the guest sees the user's path */
    free(line);
    run_options_free(&o);

    CU_ASSERT_EQUAL_FATAL(parse(ARGV("run", "a.elf"), 2, &o), 0);
    CU_ASSERT_FALSE(o.from_host);
    CU_ASSERT_STRING_EQUAL(o.images[0].name, "a.elf");
    CU_ASSERT_PTR_NULL(o.trace_name);
    run_options_free(&o);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--name", "image1=x", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--name", "kernel", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--name", "imagex=y", "a.elf"), 4, &o), -1);
    CU_ASSERT_EQUAL(parse(ARGV("run", "--name", "bogus=y", "a.elf"), 4, &o), -1);
}

/* The warnings of cmdline_warnings, as text. */
static char *warnings(const char *cmdline, int *count)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *count = cmdline_warnings(cmdline, f);
    fclose(f);
    return text;
}

static void expect_warning(const char *cmdline, const char *line)
{
    int n;
    char *text = warnings(cmdline, &n);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, line));
    if (n != 1 || !strstr(text, line))
        fprintf(stderr, "\n    %s: got \"%s\", wanted \"%s\"\n", cmdline, text, line);
    free(text);
}

static void cmdline_keys_checked(void)
{
    int n;
    char *text = warnings("/3GB pv.wsmax=40 pv.wsmin=0x10 pv.readcluster=16 pv.parallel "
                          "pv.selftest=irql pv.largekernel=0 other=1 pvfoo", &n);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_STRING_EQUAL(text, "");
    free(text);
    expect_warning("pv.foo=1", "pagevisor run: warning: --cmdline pv.foo=1: unknown key pv.foo, "
                   "which the guest kernel ignores (it knows pv.burnpages, ");
    expect_warning("  pv.wmax=3\t", "--cmdline pv.wmax=3: unknown key pv.wmax");
    expect_warning("pv.readcluster=40", "--cmdline pv.readcluster=40: out of range 1-16; the "
                   "guest kernel uses 16 instead\n");
    expect_warning("pv.cloneblocks=0", "pv.cloneblocks=0: out of range 1-8191; the guest kernel "
                   "uses 1 instead");
    expect_warning("pv.wsmax=5", "pv.wsmax=5: out of range 16-4294967295");
    expect_warning("pv.wsmax=4294967296", "pv.wsmax=4294967296: out of range 16-4294967295; "
                   "above 32 bits");
    expect_warning("pv.wsmax=12k", "pv.wsmax=12k: pv.wsmax needs a number");
    expect_warning("pv.wsmax", "pv.wsmax: pv.wsmax needs a number");
    expect_warning("pv.wsmax=0x", "pv.wsmax=0x: pv.wsmax needs a number");
    expect_warning("pv.parallel=1", "pv.parallel=1: pv.parallel takes no value");
    expect_warning("pv.selftest=bogus", "pv.selftest=bogus: the guest kernel ignores it "
                   "(pv.selftest=WORD takes one of: bugcheck ");
    expect_warning("pv.selftest", "pv.selftest: the guest kernel ignores it");
    text = warnings("pv.a pv.b=2 pv.readcluster=0", &n);
    CU_ASSERT_EQUAL(n, 3);
    free(text);
}

static const struct unit_test tests[] = {
    UNIT_TEST(trace_format_needs_trace),
    UNIT_TEST(names_of_files),
    UNIT_TEST(cmdline_keys_checked),
    UNIT_TEST(parallel_and_children),
    UNIT_TEST(defaults),
    UNIT_TEST(options_and_several_images),
    UNIT_TEST(refuses_bad_values),
    UNIT_TEST(backing_store_options),
    UNIT_TEST(refuses_unrepresentable_arguments),
    UNIT_TEST(three_gb),
};
UNIT_MAIN("options", tests)
