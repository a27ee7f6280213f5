/*
 * cairn restore's steps (cmd_restore.c runs them; see there for the order): the recovery point,
 * the restore job, the file systems, and the take-over by tags. Each step leaves its mark in
 * AWS, so that a run cut short and run again finishes the job.
 */
#ifndef CAIRN_RESTORE_H
#define CAIRN_RESTORE_H

#include <stdio.h>

#include <jansson.h>

#include "agent/cli.h"
#include "agent/engine.h"

/* How long a restore job may run: AWS restores large file systems for hours. */
#define RESTORE_WAIT (12 * 3600)

struct restore {
    const char *volume, *rp_given, *before, *fs_given, *dir_given;
    int plan_only, yes, delete_old;
    int resume; /* the volume's file system is already the restored one */
    struct engine e;
    char fs_res[256];           /* "<volume>.file_system" */
    const struct live_obj *old; /* the stack's file system of the volume, NULL once retired */
    char *old_id, *old_arn;     /* what is restored from (kept after the engine is re-read) */
    json_t *old_tags;           /* its tags */
    json_t *old_attrs;          /* its attributes */
    const char *vault, *role;   /* the stack's vault and backup role (from the live set) */
    char *rp_arn;               /* the recovery point */
    double rp_time;             /* its creation date */
    char *job_id;               /* the restore job */
    char *new_id;               /* the file system that takes the volume over */
    char *dir;                  /* where the files are on it ("" for the root) */
};

/* The stack's EFS volumes (logical names of its file systems), for errors and --help. */
void restore_list_volumes(const struct stack *s, FILE *out);
/* The live object of type t the plan found for the stack, or NULL. */
const struct live_obj *restore_stack_live_of(const struct plan *p, const struct restype *t);
/* DescribeFileSystems of one file system: its description (new reference) or NULL. */
json_t *restore_describe_fs(struct session *s, const char *id, struct diag *d);
/* Load, read and plan (again, after the take-over). */
int restore_prepare(struct restore *rs, const struct cli_global *g, const struct cli_stack_args *a);
/* Step 1: what the volume is restored from (or that a cut-short run only needs the re-point). */
int restore_choose(struct restore *rs, struct diag *d);
/* Step 2: the one restore job, found again or started, and waited for. */
int restore_run_job(struct restore *rs, struct diag *d);
/* Step 2 with --file-system-id: check and take a file system restored by hand. */
int restore_adopt(struct restore *rs, struct diag *d);
/* Step 3: the new file system takes the volume over by tags; the old one is retired. */
int restore_take_over(struct restore *rs, struct diag *d);
/* A file system a cut-short take-over left half tagged (cairn:restore-of), to finish it. */
int restore_find_staged(struct restore *rs, struct diag *d);

#endif
