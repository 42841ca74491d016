/*
 * psinit.c - the boot modules as processes. The initial system thread (the boot code, on the
 * boot stack) starts them one after another, waiting for each (and for any process it
 * started) to end, or with `pv.parallel` all at once, then waits for all. `pv.startimages=N`
 * starts only the first N modules: the rest are images a process can start as children
 * (PvCreateProcess). Whenever no process is left it checks that nothing leaked - no page,
 * commitment, VAD, pagefile slot, section or kernel stack. Nothing is zeroed here: a page
 * freed goes to the Free list and is zeroed when a demand-zero fault takes it.
 */
#include "ke.h"
#include "hv.h"
#include "ldr.h"
#include "mm.h"
#include "ob.h"
#include "ps.h"
#include "rtl.h"

typedef struct _PSP_BASELINE
{
    PFN_NUMBER AvailablePages;
    ULONG CommittedPages;
} PSP_BASELINE;

static VOID PspTakeBaseline(PSP_BASELINE *Baseline)
{
    Baseline->AvailablePages = MmAvailablePages;
    Baseline->CommittedPages = MmTotalCommittedPages;
}

/* Nothing runs but this thread: everything the processes had must be back. */
static VOID PspCheckForLeaks(const PSP_BASELINE *Baseline, ULONG LastProcessId)
{
    if (MmAvailablePages != Baseline->AvailablePages || MmKernelStacksInUse != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PROCESS_LEAK, Baseline->AvailablePages,
                     MmAvailablePages, LastProcessId);
    if (MmTotalCommittedPages != Baseline->CommittedPages || MiVadsInUse() != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_COMMIT_LEAK, Baseline->CommittedPages,
                     MmTotalCommittedPages, LastProcessId);
    if (MmPagingFile.InUse != 0 || MiSectionsInUse() != 0)
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_SLOT_LEAK, MmPagingFile.InUse,
                     MiSectionsInUse(), LastProcessId);
    MiCheckPfnLists();
}

/* Wait for the process, then for every process still alive (its children). */
static VOID PspWaitForProcesses(PEPROCESS Process)
{
    if (Process != NULL)
        (void)KeWaitForSingleObject(&Process->Pcb.Header, NULL);
    while (!IsListEmpty(&PsActiveProcessHead))
    {
        PEPROCESS Other = CONTAINING_RECORD(PsActiveProcessHead.Flink, EPROCESS,
                                            ActiveProcessLinks);
        ObReferenceObject(Other);
        (void)KeWaitForSingleObject(&Other->Pcb.Header, NULL);
        ObDereferenceObject(Other);
    }
}

static PEPROCESS PspStartBootImage(PLDR_MODULE Module)
{
    PEPROCESS Process;

    (void)PspCreateProcessForModule(Module, Module->CommandLine, &PsInitialSystemProcess,
                                    &Process);
    return Process;
}

ULONG PsRunBootImages(VOID)
{
    PEPROCESS Started[LDR_MAX_MODULES];
    PSP_BASELINE Baseline;
    ULONG Count = KeLoaderBlock.ModuleCount, i, LastId = 0;
    BOOLEAN Parallel = KiCommandLineHasOption("pv.parallel");

    (void)KiQueryCommandLineValue("pv.startimages", &Count);
    if (Count > KeLoaderBlock.ModuleCount)
        Count = KeLoaderBlock.ModuleCount;
    DbgPrint("ps: %u of %u image(s) to start, %s\n", Count, KeLoaderBlock.ModuleCount,
             Parallel ? "all at once (pv.parallel)" : "one after another");

    PspTakeBaseline(&Baseline);
    for (i = 0; i < Count; i++)
    {
        Started[i] = PspStartBootImage(&KeLoaderBlock.Modules[i]);
        if (Started[i] != NULL)
            LastId = Started[i]->UniqueProcessId;
        if (Parallel)
            continue;
        PspWaitForProcesses(Started[i]);
        if (Started[i] != NULL)
            ObDereferenceObject(Started[i]);
        KiReapTerminatedThreads();
        PspCheckForLeaks(&Baseline, LastId);
        PspTakeBaseline(&Baseline);
    }
    if (Parallel)
    {
        for (i = 0; i < Count; i++)
        {
            PspWaitForProcesses(Started[i]);
            if (Started[i] != NULL)
                ObDereferenceObject(Started[i]);
        }
        KiReapTerminatedThreads();
        PspCheckForLeaks(&Baseline, LastId);
    }
    DbgPrint("ke: %u context switches, %u clock ticks (the clock started %u times)\n",
             KiContextSwitches, KeTickCount, KiClockStarts);
    return Count;
}
