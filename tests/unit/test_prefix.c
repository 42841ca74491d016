/* test_prefix.c - where pagevisor looks for its kernels and static twin: build tree or install. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prefix.h"
#include "unit.h"

static char root[64];

static void make_root(void)
{
    snprintf(root, sizeof(root), "/tmp/pv-prefix-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void build_tree(void)
{
    struct pv_piece_where w;
    CU_ASSERT_EQUAL(pv_piece_locate("/src/pv/build/pagevisor", PV_PIECE_KERNEL, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/src/pv/build/guest/kernel.elf");
    CU_ASSERT_PTR_NOT_NULL(strstr(w.provider, "`make`"));
    CU_ASSERT_EQUAL(pv_piece_locate("/src/pv/build/pagevisor", PV_PIECE_KERNEL_3GB, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/src/pv/build/guest/kernel-3gb.elf");
    CU_ASSERT_EQUAL(pv_piece_locate("/src/pv/build/pagevisor", PV_PIECE_STATIC, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/src/pv/build/pagevisor-static");
    CU_ASSERT_FALSE(w.installed);
    CU_ASSERT_EQUAL(pv_piece_locate("/src/pv/build/pagevisor", PV_PIECE_RUNNER_PREPARE, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/src/pv/build/../tests/kvm-runner/prepare.sh");
    /* A copy in any directory not named bin keeps the build tree's layout. */
    CU_ASSERT_EQUAL(pv_piece_locate("/tmp/copy/pagevisor", PV_PIECE_STATIC, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/tmp/copy/pagevisor-static");
}

static void installed(void)
{
    struct pv_piece_where w;
    CU_ASSERT_EQUAL(pv_piece_locate("/opt/pv/bin/pagevisor", PV_PIECE_KERNEL, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/opt/pv/lib/pagevisor/kernel.elf");
    CU_ASSERT_STRING_EQUAL(w.provider, "run `make install PREFIX=/opt/pv` in pagevisor's source tree");
    CU_ASSERT_EQUAL(pv_piece_locate("/opt/pv/bin/pagevisor", PV_PIECE_KERNEL_3GB, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/opt/pv/lib/pagevisor/kernel-3gb.elf");
    CU_ASSERT_EQUAL(pv_piece_locate("/opt/pv/bin/pagevisor", PV_PIECE_STATIC, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/opt/pv/lib/pagevisor/pagevisor-static");
    CU_ASSERT_TRUE(w.installed);
    CU_ASSERT_EQUAL(pv_piece_locate("/opt/pv/bin/pagevisor", PV_PIECE_RUNNER_PREPARE, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/opt/pv/lib/pagevisor/runner/prepare.sh");
    CU_ASSERT_EQUAL(pv_piece_locate("/bin/pagevisor", PV_PIECE_KERNEL, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, "/lib/pagevisor/kernel.elf");
    CU_ASSERT_STRING_EQUAL(w.provider, "run `make install PREFIX=/` in pagevisor's source tree");
}

/* A build directory that happens to be called bin: guest/ beside the binary wins. */
static void bin_with_guest_is_a_build_tree(void)
{
    make_root();
    char dir[128], exe[160];
    snprintf(dir, sizeof(dir), "%s/bin", root);
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    strcat(dir, "/guest");
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    snprintf(exe, sizeof(exe), "%s/bin/pagevisor", root);
    struct pv_piece_where w;
    CU_ASSERT_EQUAL(pv_piece_locate(exe, PV_PIECE_KERNEL, &w), 0);
    CU_ASSERT_STRING_EQUAL(w.path, strcat(dir, "/kernel.elf"));
    remove_root();
}

static void too_long(void)
{
    static char exe[6000];
    memset(exe, 'a', sizeof(exe) - 1);
    exe[0] = '/';
    memcpy(exe + 4080, "/bin/pagevisor", 15);   /* the directory fits, the kernel path not */
    struct pv_piece_where w;
    CU_ASSERT_EQUAL(pv_piece_locate(exe, PV_PIECE_KERNEL, &w), -1);
    memcpy(exe + 4080, "aaaa", 4);
    memcpy(exe + 5000, "/bin/pagevisor", 15);   /* the directory itself does not fit */
    CU_ASSERT_EQUAL(pv_piece_locate(exe, PV_PIECE_KERNEL, &w), -1);
}

static const struct unit_test tests[] = {
    UNIT_TEST(build_tree),
    UNIT_TEST(installed),
    UNIT_TEST(bin_with_guest_is_a_build_tree),
    UNIT_TEST(too_long),
};
UNIT_MAIN("prefix", tests)
