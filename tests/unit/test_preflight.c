/* test_preflight.c - the checks `pagevisor run` makes before anything boots: output paths,
 * traces to our own standard output, and messages in the user's names. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"
#include "unit.h"

static char dir[] = "/tmp/pv-test-preflight-XXXXXX";
static char why[512];

static int expect_refused(const char *path, bool pagefile, const char *needle)
{
    why[0] = '\0';
    int rc = output_path_check(path, pagefile, why, sizeof(why));
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, needle));
    if (rc != -1 || !strstr(why, needle))
        fprintf(stderr, "\n    %s: got %d \"%s\", wanted \"%s\"\n", path, rc, why, needle);
    return rc;
}

static void refuses_paths_that_cannot_be_written(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/no/such/t.txt", dir);
    expect_refused(path, false, "no such directory ");
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "/no/such"));
    expect_refused(dir, false, "a directory, not a file");
    expect_refused("", false, "an empty path");
    expect_refused("/proc/version", false, "cannot write it");
    expect_refused("/proc/no-such-file", false, "cannot create it");
    expect_refused("/dev/null", true, "not a regular file");
    snprintf(path, sizeof(path), "%s/file", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    snprintf(path, sizeof(path), "%s/file/t.txt", dir);
    expect_refused(path, false, "Not a directory");
    snprintf(path, sizeof(path), "%s/file", dir);
    unlink(path);
}

static void accepts_without_changing_anything(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/kept.txt", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("the user's data\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(output_path_check(path, false, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(output_path_check(path, true, why, sizeof(why)), 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 16);   /* not truncated */
    unlink(path);

    snprintf(path, sizeof(path), "%s/new.txt", dir);
    CU_ASSERT_EQUAL(output_path_check(path, false, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);   /* tried, and removed again */
    CU_ASSERT_EQUAL(output_path_check("/dev/null", false, why, sizeof(why)), 0);

    snprintf(path, sizeof(path), "%s/fifo", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
    CU_ASSERT_EQUAL(output_path_check(path, false, why, sizeof(why)), 0);   /* no reader: no wait */
    expect_refused(path, true, "not a regular file");
    unlink(path);
}

/* A trace to our standard output shares its descriptor (and offset), whatever it is. */
static void trace_to_standard_output(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/out.txt", dir);
    int saved = dup(STDOUT_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int std = output_path_std_fd("/dev/stdout"), by_name = output_path_std_fd(path);
    int other = output_path_std_fd("/dev/null");
    CU_ASSERT_EQUAL(write(STDOUT_FILENO, "guest output\n", 13), 13);
    FILE *trace = open_trace_file("/dev/stdout");
    CU_ASSERT_PTR_NOT_NULL(trace);
    if (trace) {
        fputs("trace record\n", trace);
        fclose(trace);
    }
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CU_ASSERT_EQUAL(std, 1);
    CU_ASSERT_EQUAL(by_name, 1);
    CU_ASSERT_EQUAL(other, -1);
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    CU_ASSERT_FATAL(f != NULL);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    CU_ASSERT_STRING_EQUAL(buf, "guest output\ntrace record\n");   /* nothing overwritten */
    unlink(path);
}

/* Inside the KVM runner the files have other paths; messages name the user's. */
static void messages_name_the_users_paths(void)
{
    struct image_spec images[2] = {
        { .path = "/pv/root/home/u/a.elf", .name = "/home/u/a.elf" },
        { .path = "b.elf", .name = "b.elf" },
    };
    struct run_options o = {
        .kernel = "/pv/root/k/kernel.elf", .kernel_name = "/k/kernel.elf",
        .trace_path = "/tmp/pagevisor-trace", .trace_name = "out.trace",
        .images = images, .nimages = 2,
    };
    char out[256];
    name_paths(&o, "/pv/root/home/u/a.elf (40 KiB) does not fit; kernel /pv/root/k/kernel.elf; "
               "--trace /tmp/pagevisor-trace: b.elf", out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "/home/u/a.elf (40 KiB) does not fit; kernel /k/kernel.elf; "
                           "--trace out.trace: b.elf");
    name_paths(&o, "/pv/root/home/u/a.elf", out, 6);
    CU_ASSERT_STRING_EQUAL(out, "/home");
}

static const struct unit_test tests[] = {
    UNIT_TEST(refuses_paths_that_cannot_be_written),
    UNIT_TEST(accepts_without_changing_anything),
    UNIT_TEST(trace_to_standard_output),
    UNIT_TEST(messages_name_the_users_paths),
};

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    int rc = unit_run("preflight", tests, sizeof(tests) / sizeof(tests[0]));
    rmdir(dir);
    return rc;
}
