/*
 * sysdll.c - the system DLL (pagevisor's ntdll, guest/ntdll/): the native-API stubs every image
 * calls, in one image section that every process maps at 0x77F60000, so one physical copy of
 * them serves the whole system (as NT's ntdll does).
 *
 * Its file is part of the kernel image (ldr/ntdllimg.S) and is paged from there like a boot
 * module without a host. At boot its headers and its export table are checked and the table
 * kept (LdrInitializeSystemDll); a DLL that fails a check is not used, and every process
 * creation then fails with STATUS_INVALID_IMAGE_FORMAT (the log says which check). For each new
 * process, after its image is loaded, LdrBindSystemDll maps the DLL's view and fills the
 * image's import table (PT_PV_IMPORTS, guest/user/ntstubs.S): every entry's name is looked up
 * among the exports and the stub's address written into the entry's slot, through the
 * process's own mapping (the slot's page is the image's copy-on-write data: the process gets
 * its own copy of it). A name the DLL does not export is STATUS_ENTRYPOINT_NOT_FOUND, a
 * malformed table STATUS_INVALID_IMAGE_FORMAT; either way the process is not started. An image
 * without an import table (built before the DLL) still gets the DLL mapped.
 */
#include "ldr.h"
#include "elf.h"
#include "ke.h"
#include "mm.h"
#include "ps.h"
#include "rtl.h"
#include "dbgk.h"

extern const UCHAR LdrpSystemDllFile[], LdrpSystemDllFileEnd[];

static LDR_MODULE LdrpSystemDll;
static LDR_IMAGE_INFO LdrpSystemDllInfo;
static NTSTATUS LdrpSystemDllStatus = STATUS_DLL_NOT_FOUND;

typedef struct _LDR_EXPORT
{
    CHAR Name[LDR_MAX_NAME];
    ULONG Address;
} LDR_EXPORT;

static LDR_EXPORT LdrpExports[LDR_MAX_TABLE_ENTRIES];
static ULONG LdrpExportCount;
/* A table being read (one at a time: the kernel does not switch threads in here). */
static LDR_TABLE_ENTRY LdrpTable[LDR_MAX_TABLE_ENTRIES];

/* Is Va inside an executable segment of the DLL? (An export must point at code.) */
static BOOLEAN LdrpIsDllCode(ULONG Va)
{
    ULONG i, Protection;

    for (i = 0; i < LdrpSystemDllInfo.SegmentCount; i++)
    {
        const LDR_IMAGE_SEGMENT *S = &LdrpSystemDllInfo.Segments[i];

        Protection = S->Protection;
        if (Va >= S->VirtualAddress && Va - S->VirtualAddress < S->FileSize &&
            (Protection == MM_EXECUTE_READ || Protection == MM_EXECUTE_READWRITE))
            return TRUE;
    }
    return FALSE;
}

static NTSTATUS LdrpCheckSystemDll(VOID)
{
    PLDR_IMAGE_INFO Info = &LdrpSystemDllInfo;
    NTSTATUS Status = LdrParseImage(&LdrpSystemDll, FALSE, Info);
    ULONG i, j;

    if (!NT_SUCCESS(Status))
        return Status;
    if (Info->ImageBase != LDR_SYSTEM_DLL_BASE)
    {
        DbgPrint("ldr: ntdll: linked at 0x%08X, not 0x%08X\n", Info->ImageBase,
                 LDR_SYSTEM_DLL_BASE);
        return STATUS_INVALID_IMAGE_FORMAT;
    }
    Status = LdrReadTable(&LdrpSystemDll, Info, LdrpTable);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < Info->TableEntries; i++)
    {
        LDR_EXPORT *Export = &LdrpExports[i];

        Status = LdrReadTableName(&LdrpSystemDll, Info, LdrpTable[i].Name, Export->Name);
        if (!NT_SUCCESS(Status))
            return Status;
        Export->Address = LdrpTable[i].Target;
        if (!LdrpIsDllCode(Export->Address))
        {
            DbgPrint("ldr: ntdll: export %s at 0x%08X is not in its code\n", Export->Name,
                     Export->Address);
            return STATUS_INVALID_IMAGE_FORMAT;
        }
        for (j = 0; j < i; j++)
            if (strcmp(LdrpExports[j].Name, Export->Name) == 0)
            {
                DbgPrint("ldr: ntdll: %s exported twice\n", Export->Name);
                return STATUS_INVALID_IMAGE_FORMAT;
            }
    }
    LdrpExportCount = Info->TableEntries;
    return STATUS_SUCCESS;
}

VOID LdrInitializeSystemDll(VOID)
{
    LdrpSystemDll.Index = 0xFFFFFFFFu;
    LdrpSystemDll.PhysicalStart = KI_IMAGE_TO_PHYSICAL(LdrpSystemDllFile);
    LdrpSystemDll.PhysicalEnd = KI_IMAGE_TO_PHYSICAL(LdrpSystemDllFileEnd);
    LdrpSystemDll.InKernel = TRUE;
    memcpy(LdrpSystemDll.Name, "ntdll", sizeof("ntdll"));
    memcpy(LdrpSystemDll.CommandLine, "ntdll", sizeof("ntdll"));
    LdrpSystemDllStatus = LdrpCheckSystemDll();
    if (NT_SUCCESS(LdrpSystemDllStatus))
        DbgPrint("ldr: ntdll: %u exports, mapped at 0x%08X-0x%08X in every process\n",
                 LdrpExportCount, LdrpSystemDllInfo.ImageBase, LdrpSystemDllInfo.ImageEnd - 1);
    else
        DbgPrint("ldr: ntdll is not usable (0x%08X): no process can start\n",
                 (ULONG)LdrpSystemDllStatus);
}

static const LDR_EXPORT *LdrpFindExport(PCSTR Name)
{
    ULONG i;

    for (i = 0; i < LdrpExportCount; i++)
        if (strcmp(LdrpExports[i].Name, Name) == 0)
            return &LdrpExports[i];
    return NULL;
}

ULONG LdrSystemDllExport(PCSTR Name)
{
    const LDR_EXPORT *Export = NT_SUCCESS(LdrpSystemDllStatus) ? LdrpFindExport(Name) : NULL;

    return Export != NULL ? Export->Address : 0;
}

/* The DLL's view and its PTEs, as ldr/elf.c makes an image's (no bss: all file bytes). */
static NTSTATUS LdrpMapSystemDll(VOID)
{
    const LDR_IMAGE_INFO *Info = &LdrpSystemDllInfo;
    ULONG Va, Protection;
    BOOLEAN FileBytes;
    NTSTATUS Status = MiMapImageView(&LdrpSystemDll, Info->Segments, Info->SegmentCount,
                                     Info->ImageBase, Info->ImageEnd);

    if (!NT_SUCCESS(Status))
        return Status;
    for (Va = Info->ImageBase; Va < Info->ImageEnd; Va += PAGE_SIZE)
    {
        Protection = LdrImagePageProtection(Info->Segments, Info->SegmentCount, Va, &FileBytes);
        if (Protection == 0 || !FileBytes)
            continue;
        if (!MiMakeUserPageTableResident(Va))
        {
            Status = MiEnsureAvailablePages(1) ? MiMakeUserPageTableValid(Va) : STATUS_NO_MEMORY;
            if (!NT_SUCCESS(Status))
                return Status;
        }
        MiWriteUserPte(Va, MI_MAKE_PROTO_LOOKUP_PTE(MI_IMAGE_VIEW_PROTECTION(Protection)));
    }
    return STATUS_SUCCESS;
}

NTSTATUS LdrBindSystemDll(PEPROCESS Process)
{
    LDR_IMAGE_INFO Info;
    CHAR Name[LDR_MAX_NAME];
    ULONG i, Slot;
    const LDR_EXPORT *Export;
    NTSTATUS Status;

    if (!NT_SUCCESS(LdrpSystemDllStatus))
        return STATUS_INVALID_IMAGE_FORMAT;
    Status = LdrpMapSystemDll();
    if (!NT_SUCCESS(Status) || Process->ImportTableEntries == 0)
        return Status;
    /* The image's headers and the table's place were checked when it was loaded. */
    memset(&Info, 0, sizeof(Info));
    memcpy(Info.Segments, Process->ImageSegments, sizeof(Info.Segments));
    Info.SegmentCount = Process->ImageSegmentCount;
    Info.TableVa = Process->ImportTableVa;
    Info.TableOffset = Process->ImportTableOffset;
    Info.TableEntries = Process->ImportTableEntries;
    Status = LdrReadTable(Process->ImageModule, &Info, LdrpTable);
    if (!NT_SUCCESS(Status))
        return Status;
    for (i = 0; i < Info.TableEntries; i++)
    {
        Status = LdrReadTableName(Process->ImageModule, &Info, LdrpTable[i].Name, Name);
        if (!NT_SUCCESS(Status))
            return Status;
        Export = LdrpFindExport(Name);
        if (Export == NULL)
        {
            DbgPrint("ldr: %s imports %s, which ntdll does not export\n",
                     Process->ImageFileName, Name);
            return STATUS_ENTRYPOINT_NOT_FOUND;
        }
        Slot = Info.TableVa + i * sizeof(LDR_TABLE_ENTRY) + 4;
        Status = MmCopyToUser((PVOID)(ULONG_PTR)Slot, &Export->Address, sizeof(ULONG));
        if (!NT_SUCCESS(Status))
            return Status;
    }
    return STATUS_SUCCESS;
}
