/* test_volume_sync.c - a --volume directory through the KVM runner, without the VM: a copy of
 * it is marked (as inside the VM before the run), changed, packed, and the pack written back
 * into the host directory: new and changed files come back, unchanged ones are not touched
 * (their times kept), nothing outside the directory is, and hostile packs (names with "..",
 * absolute, through a symbolic link, garbled) are refused without writing anything outside. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "volume_sync.h"
#include "unit.h"

static char base[64];    /* holds host/, vm/, outside/ and the pack */
static char why[4096];

static char *at(const char *rel)
{
    static char p[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", base, rel);
    return p[i];
}

static void put(const char *rel, const char *text)
{
    int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *content(const char *rel)
{
    static char buf[4096];
    int fd = open(at(rel), O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static time_t mtime_of(const char *rel)
{
    struct stat st;
    return lstat(at(rel), &st) == 0 ? st.st_mtime : -1;
}

static void sh(const char *fmt, const char *arg)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void old_times(const char *rel)
{
    const struct timespec t[2] = { { 1500000000, 0 }, { 1500000000, 0 } };
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, at(rel), t, AT_SYMLINK_NOFOLLOW), 0);
}

/* host/ with a few files, aged; vm/ a copy of it, marked as inside the VM. */
static void setup_dirs(void)
{
    sh("rm -rf %s/host %s/vm %s/outside", base);
    mkdir(at("host"), 0755);
    mkdir(at("host/sub"), 0755);
    mkdir(at("outside"), 0755);
    put("host/same", "unchanged");
    put("host/change", "old text");
    put("host/grow", "short");
    put("host/sub/deep", "deep old");
    put("host/rewritten", "same bytes");
    put("outside/victim", "victim");
    CU_ASSERT_EQUAL(symlink("same", at("host/link")), 0);
    old_times("host/same");
    old_times("host/change");
    old_times("host/rewritten");
    old_times("host/sub/deep");
    chmod(at("host/change"), 0600);
    sh("cp -a %s/host %s/vm", base);
    CU_ASSERT_EQUAL(volume_mark(at("vm"), why, sizeof(why)), 0);
}

static int unpack(const char *pack, unsigned *written, unsigned *unchanged)
{
    int fd = open(at(pack), O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    int rc = volume_unpack(fd, at("host"), written, unchanged, why, sizeof(why));
    close(fd);
    return rc;
}

static void changed_and_new_files_come_back(void)
{
    setup_dirs();
    uint64_t bytes;
    CU_ASSERT_EQUAL(volume_measure(at("host"), &bytes, why, sizeof(why)), 0);
    CU_ASSERT_EQUAL(bytes, strlen("unchanged") + strlen("old text") + strlen("short") +
                    strlen("deep old") + strlen("same bytes"));
    /* the run: changes, a new file, one in a new directory, one rewritten with equal bytes */
    put("vm/change", "new text!");
    put("vm/grow", "much longer now");
    put("vm/sub/deep", "deep new");
    put("vm/brand-new", "fresh");
    mkdir(at("vm/newdir"), 0755);
    put("vm/newdir/f", "in a new directory");
    put("vm/rewritten", "same bytes");
    CU_ASSERT_EQUAL(volume_pack(at("vm"), at("pack"), why, sizeof(why)), 0);
    unsigned written, unchanged;
    CU_ASSERT_EQUAL_FATAL(unpack("pack", &written, &unchanged), 0);
    CU_ASSERT_EQUAL(written, 5u);
    CU_ASSERT_EQUAL(unchanged, 1u);  /* "rewritten": same bytes, left alone */
    CU_ASSERT_STRING_EQUAL(content("host/change"), "new text!");
    CU_ASSERT_STRING_EQUAL(content("host/grow"), "much longer now");
    CU_ASSERT_STRING_EQUAL(content("host/sub/deep"), "deep new");
    CU_ASSERT_STRING_EQUAL(content("host/brand-new"), "fresh");
    CU_ASSERT_STRING_EQUAL(content("host/newdir/f"), "in a new directory");
    /* untouched: contents and times */
    CU_ASSERT_STRING_EQUAL(content("host/same"), "unchanged");
    CU_ASSERT_EQUAL(mtime_of("host/same"), 1500000000);
    CU_ASSERT_EQUAL(mtime_of("host/rewritten"), 1500000000);
    /* a changed file keeps its mode; a new one gets 0644 & ~umask */
    struct stat st;
    CU_ASSERT_EQUAL(stat(at("host/change"), &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(stat(at("host/brand-new"), &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0644 & ~(mode_t)022);
    /* the link is still a link, nothing left behind, nothing outside */
    CU_ASSERT_EQUAL(lstat(at("host/link"), &st), 0);
    CU_ASSERT_TRUE(S_ISLNK(st.st_mode));
    CU_ASSERT_STRING_EQUAL(content("outside/victim"), "victim");
    FILE *ls = popen("ls -A /tmp/pv-volsync-*/host | tr '\\n' ' '", "r");
    char names[512] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(ls);
    CU_ASSERT_PTR_NOT_NULL(fgets(names, sizeof(names), ls));
    pclose(ls);
    CU_ASSERT_STRING_EQUAL(names, "brand-new change grow link newdir rewritten same sub ");
}

/* Nothing changed in the VM: an empty pack, nothing written. */
static void nothing_changed_nothing_written(void)
{
    setup_dirs();
    CU_ASSERT_EQUAL(volume_pack(at("vm"), at("pack"), why, sizeof(why)), 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(at("pack"), &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 12);  /* the magic and the end */
    unsigned written, unchanged;
    CU_ASSERT_EQUAL(unpack("pack", &written, &unchanged), 0);
    CU_ASSERT_EQUAL(written, 0u);
    CU_ASSERT_EQUAL(mtime_of("host/change"), 1500000000);
}

/* A pack by hand: one entry (name, bytes). */
static void hand_pack(const char *name, const char *data, uint64_t claimed_size)
{
    int fd = open(at("evil"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    uint32_t len = (uint32_t)strlen(name), end = 0;
    CU_ASSERT_EQUAL(write(fd, VOLUME_PACK_MAGIC, 8), 8);
    CU_ASSERT_EQUAL(write(fd, &len, 4), 4);
    CU_ASSERT_EQUAL(write(fd, name, len), (ssize_t)len);
    CU_ASSERT_EQUAL(write(fd, &claimed_size, 8), 8);
    CU_ASSERT_EQUAL(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    CU_ASSERT_EQUAL(write(fd, &end, 4), 4);
    close(fd);
}

static void hostile_packs_write_nothing_outside(void)
{
    setup_dirs();
    /* host/sub2 -> ../outside: a path through it must not be followed */
    CU_ASSERT_EQUAL(symlink("../outside", at("host/sub2")), 0);
    const char *names[] = { "../outside/victim", "/tmp/x", "sub/../../outside/victim",
                            "sub2/victim", "link", "sub//deep", "./same", "sub/.", "a\nb" };
    unsigned written, unchanged;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        hand_pack(names[i], "pwned", 5);
        CU_ASSERT_EQUAL(unpack("evil", &written, &unchanged), -1);
        CU_ASSERT_EQUAL(written, 0u);
    }
    CU_ASSERT_STRING_EQUAL(content("outside/victim"), "victim");
    CU_ASSERT_STRING_EQUAL(content("host/same"), "unchanged");
    CU_ASSERT_EQUAL(access(at("outside/x"), F_OK), -1);
    hand_pack("sub2/victim", "pwned", 5);
    unpack("evil", &written, &unchanged);
    CU_ASSERT_STRING_EQUAL(why, "sub2 is not a directory (a symbolic link or a file) in the "
                           "volume; sub2/victim not written");
    hand_pack("../outside/victim", "pwned", 5);
    unpack("evil", &written, &unchanged);
    CU_ASSERT_STRING_EQUAL(why, "the VM sent a file named \"../outside/victim\", which is not a "
                           "name inside the volume; nothing of it written");
    /* a size past the end of the pack, and no magic */
    hand_pack("same", "pwned", 1000);
    CU_ASSERT_EQUAL(unpack("evil", &written, &unchanged), -1);
    CU_ASSERT_STRING_EQUAL(content("host/same"), "unchanged");
    put("evil", "not a pack at all");
    CU_ASSERT_EQUAL(unpack("evil", &written, &unchanged), -1);
    CU_ASSERT_STRING_EQUAL(why, "the packed volume from the VM is not one");
    /* a directory where the pack has a file */
    hand_pack("sub", "pwned", 5);
    CU_ASSERT_EQUAL(unpack("evil", &written, &unchanged), -1);
    CU_ASSERT_STRING_EQUAL(why, "sub is not a regular file on the host any more; not written");
}

/* The --mark and pack commands as the VM runs them. */
static void pack_command(void)
{
    setup_dirs();
    char *argv[] = { "volume-pack", "--mark", at("vm"), NULL };
    CU_ASSERT_EQUAL(volume_pack_main(3, argv), 0);
    put("vm/new", "n");
    char *argv2[] = { "volume-pack", at("vm"), at("pack"), NULL };
    CU_ASSERT_EQUAL(volume_pack_main(3, argv2), 0);
    unsigned written, unchanged;
    CU_ASSERT_EQUAL(unpack("pack", &written, &unchanged), 0);
    CU_ASSERT_EQUAL(written, 1u);
    CU_ASSERT_STRING_EQUAL(content("host/new"), "n");
    char *bad[] = { "volume-pack", "--mark", NULL };
    CU_ASSERT_EQUAL(volume_pack_main(2, bad), 118);
    char *missing[] = { "volume-pack", "--mark", at("none"), NULL };
    CU_ASSERT_EQUAL(volume_pack_main(3, missing), 117);
}

static const struct unit_test tests[] = {
    UNIT_TEST(changed_and_new_files_come_back),
    UNIT_TEST(nothing_changed_nothing_written),
    UNIT_TEST(hostile_packs_write_nothing_outside),
    UNIT_TEST(pack_command),
};

int main(void)
{
    umask(022);
    strcpy(base, "/tmp/pv-volsync-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 2;
    }
    int rc = unit_run("volume_sync", tests, sizeof(tests) / sizeof(tests[0]));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0 && rc == 0)
        rc = 1;
    return rc;
}
