/*
 * test_guest_ldr.c - the guest kernel's image loader (guest/ldr/elf.c, built for the host with
 * the fuzz target's shims) on the system DLL and on images with import tables: the DLL as
 * built parses and every export has its name; a DLL with a bad export table (a name outside
 * the file, a table cut in the middle of an entry, a table outside every segment, no table)
 * is STATUS_INVALID_IMAGE_FORMAT, never a read outside the file (the shim aborts on one); an
 * image's import table is found, and one in read-only data is refused.
 */
#define LLVMFuzzerTestOneInput fuzz_one_guest_elf
#include "../../fuzz/fuzz_guest_elf.c"
#undef LLVMFuzzerTestOneInput

#include "unit.h"

static uint8_t *ntdll, *hello;
static size_t ntdll_size, hello_size;

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    uint8_t *data = malloc(*size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_EQUAL_FATAL(fread(data, 1, *size, f), *size);
    fclose(f);
    return data;
}

static LDR_MODULE module;

static void load_files(void)
{
    if (ntdll == NULL)
        ntdll = slurp("build/guest/ntdll.elf", &ntdll_size);
    if (hello == NULL)
        hello = slurp("build/images/hello.elf", &hello_size);
}

static NTSTATUS parse(const uint8_t *data, size_t size, BOOLEAN executable, LDR_IMAGE_INFO *info)
{
    load_files();
    memset(&module, 0, sizeof(module));
    module.PhysicalStart = 0x400000;
    module.PhysicalEnd = 0x400000 + (ULONG)size;
    file = data;
    file_size = (ULONG)size;
    return LdrParseImage(&module, executable, info);
}

/* The program header of a type in a copy of the file. */
static Elf32_Phdr *phdr_of(uint8_t *data, uint32_t type)
{
    Elf32_Ehdr *eh = (Elf32_Ehdr *)data;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf32_Phdr *ph = (Elf32_Phdr *)(data + eh->e_phoff + i * sizeof(Elf32_Phdr));
        if (ph->p_type == type)
            return ph;
    }
    CU_FAIL_FATAL("no such program header");
    return NULL;
}

static void system_dll_as_built(void)
{
    static LDR_IMAGE_INFO info;
    static LDR_TABLE_ENTRY table[LDR_MAX_TABLE_ENTRIES];
    CHAR name[LDR_MAX_NAME];
    bool close_found = false;

    load_files();
    CU_ASSERT_EQUAL_FATAL(parse(ntdll, ntdll_size, FALSE, &info), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(info.ImageBase, LDR_SYSTEM_DLL_BASE);
    CU_ASSERT(info.TableEntries >= 20);
    CU_ASSERT_EQUAL_FATAL(LdrReadTable(&module, &info, table), STATUS_SUCCESS);
    for (ULONG i = 0; i < info.TableEntries; i++) {
        CU_ASSERT_EQUAL(LdrReadTableName(&module, &info, table[i].Name, name), STATUS_SUCCESS);
        CU_ASSERT(table[i].Target >= info.ImageBase && table[i].Target < info.ImageEnd);
        close_found |= strcmp(name, "NtClose") == 0;
    }
    CU_ASSERT(close_found);
    /* As an image it is refused: it has no entry point in it. */
    CU_ASSERT_EQUAL(parse(ntdll, ntdll_size, TRUE, &info), STATUS_INVALID_IMAGE_FORMAT);
}

static void malformed_system_dll(void)
{
    static LDR_IMAGE_INFO info;
    static LDR_TABLE_ENTRY table[LDR_MAX_TABLE_ENTRIES];
    CHAR name[LDR_MAX_NAME];
    load_files();
    uint8_t *copy = malloc(ntdll_size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);

    /* A name pointing outside every segment. */
    memcpy(copy, ntdll, ntdll_size);
    CU_ASSERT_EQUAL_FATAL(parse(copy, ntdll_size, FALSE, &info), STATUS_SUCCESS);
    ((LDR_TABLE_ENTRY *)(copy + info.TableOffset))[0].Name = 0x12345678;
    CU_ASSERT_EQUAL_FATAL(LdrReadTable(&module, &info, table), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(LdrReadTableName(&module, &info, table[0].Name, name),
                    STATUS_INVALID_IMAGE_FORMAT);

    /* A table cut in the middle of an entry; one that runs past its segment; none at all. */
    memcpy(copy, ntdll, ntdll_size);
    phdr_of(copy, PT_PV_EXPORTS)->p_memsz -= 4;
    CU_ASSERT_EQUAL(parse(copy, ntdll_size, FALSE, &info), STATUS_INVALID_IMAGE_FORMAT);
    memcpy(copy, ntdll, ntdll_size);
    phdr_of(copy, PT_PV_EXPORTS)->p_memsz += 0x10000;
    phdr_of(copy, PT_PV_EXPORTS)->p_filesz += 0x10000;
    CU_ASSERT_EQUAL(parse(copy, ntdll_size, FALSE, &info), STATUS_INVALID_IMAGE_FORMAT);
    memcpy(copy, ntdll, ntdll_size);
    phdr_of(copy, PT_PV_EXPORTS)->p_type = PT_NULL;
    CU_ASSERT_EQUAL(parse(copy, ntdll_size, FALSE, &info), STATUS_INVALID_IMAGE_FORMAT);
    free(copy);
}

static void image_import_table(void)
{
    static LDR_IMAGE_INFO info;
    load_files();
    uint8_t *copy = malloc(hello_size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);

    CU_ASSERT_EQUAL_FATAL(parse(hello, hello_size, TRUE, &info), STATUS_SUCCESS);
    CU_ASSERT(info.TableEntries >= 20);
    CU_ASSERT(info.TableVa >= info.ImageBase && info.TableVa < info.ImageEnd);
    /* Moved into the read-only data: the loader could not fill it. */
    memcpy(copy, hello, hello_size);
    Elf32_Phdr *imports = phdr_of(copy, PT_PV_IMPORTS);
    imports->p_vaddr = 0x00401000;
    imports->p_offset = 0x1000;
    imports->p_memsz = imports->p_filesz = 2 * sizeof(LDR_TABLE_ENTRY);
    CU_ASSERT_EQUAL(parse(copy, hello_size, TRUE, &info), STATUS_INVALID_IMAGE_FORMAT);
    free(copy);
}

static const struct unit_test tests[] = {
    UNIT_TEST(system_dll_as_built),
    UNIT_TEST(malformed_system_dll),
    UNIT_TEST(image_import_table),
};

UNIT_MAIN("guest_ldr", tests)
