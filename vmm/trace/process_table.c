/* process_table.c - PID to name, bounded, reusing what ended longest ago (process_table.h). */
#include "process_table.h"

#include <stdio.h>
#include <string.h>

static size_t pid_bucket(uint32_t pid)
{
    return (pid * 2654435761u) >> 16 & (TRACER_PROC_BUCKETS - 1);
}

static struct process_info *find_process(const struct process_table *pt, uint32_t pid)
{
    for (uint16_t i = pt->bucket[pid_bucket(pid)]; i; i = pt->procs[i - 1].next)
        if (pt->procs[i - 1].pid == pid)
            return (struct process_info *)&pt->procs[i - 1];
    return NULL;
}

static void unlink_process(struct process_table *pt, struct process_info *p)
{
    uint16_t self = (uint16_t)(p - pt->procs + 1);
    for (uint16_t *link = &pt->bucket[pid_bucket(p->pid)]; *link;
         link = &pt->procs[*link - 1].next)
        if (*link == self) {
            *link = p->next;
            break;
        }
}

/* A free entry; when there is none, the one that ended longest ago, and when no process has
 * ended (a guest that reports more starts than it can have processes), the oldest start. */
static struct process_info *take_entry(struct process_table *pt)
{
    if (pt->n < TRACER_PROCS)
        return &pt->procs[pt->n++];
    struct process_info *victim = NULL;
    for (size_t i = 0; i < TRACER_PROCS; i++) {
        struct process_info *p = &pt->procs[i];
        if (!victim || (p->ended && !victim->ended) ||
            (p->ended == victim->ended && p->stamp < victim->stamp))
            victim = p;
    }
    unlink_process(pt, victim);
    return victim;
}

void process_table_start(struct process_table *pt, uint32_t pid, uint32_t cr3, const char *name)
{
    struct process_info *p = find_process(pt, pid);
    if (!p) {
        p = take_entry(pt);
        p->pid = pid;
        size_t b = pid_bucket(pid);
        p->next = pt->bucket[b];
        pt->bucket[b] = (uint16_t)(p - pt->procs + 1);
    }
    p->cr3 = cr3;
    p->ended = false;
    p->stamp = ++pt->stamp;
    snprintf(p->name, sizeof(p->name), "%s", name);
}

void process_table_exit(struct process_table *pt, uint32_t pid)
{
    struct process_info *p = find_process(pt, pid);
    if (p && !p->ended) {
        p->ended = true;
        p->stamp = ++pt->stamp;
    }
}

const char *process_table_name(const struct process_table *pt, uint32_t pid)
{
    if (pid == 0)
        return "System";
    const struct process_info *p = find_process(pt, pid);
    return p ? p->name : "?";
}

const char *process_table_by_cr3(const struct process_table *pt, uint32_t cr3)
{
    for (size_t i = pt->n; i-- > 0;)
        if (pt->procs[i].cr3 == cr3)
            return pt->procs[i].name;
    return NULL;
}

void process_table_clear(struct process_table *pt)
{
    memset(pt->bucket, 0, sizeof(pt->bucket));
    pt->n = 0;
}
