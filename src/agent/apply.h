/*
 * The executor: carries out a plan with the resource types' AWS calls.
 * Removals first (deletes and the old half of replacements, in parallel,
 * each once what refers to it is gone), then creates and updates: a resource starts
 * as soon as everything it depends on is done, up to `parallel` at once,
 * each worker with its own session. Each waits until its type says it is
 * ready (a NAT gateway "available") before its dependants start. When one
 * resource fails, what depends on it is skipped and everything else goes on;
 * running again converges, since creates carry idempotency tokens and live
 * state is re-read.
 */
#ifndef CAIRN_APPLY_H
#define CAIRN_APPLY_H

#include <stdio.h>

#include "agent/plan.h"
#include "aws/session.h"

#define APPLY_DEFAULT_PARALLEL 8
#define APPLY_MAX_PARALLEL     64
#define APPLY_DEFAULT_WAIT     300 /* seconds a type may take to become ready, unless it says */
#define APPLY_LOOK_AGAIN       5   /* reads after unanswered writes of one resource, at most */

struct apply_options {
    int parallel;                     /* resources in flight at once (1: in this thread) */
    FILE *progress;                   /* one line per resource as it finishes; NULL: quiet */
    const struct session_options *so; /* for the workers' own sessions */
    unsigned remove_how;              /* RESTYPE_REMOVE_* flags for every removal */
};

struct apply_result {
    size_t done[PLAN__KINDS];
    size_t failed;
    size_t skipped;
    struct session_stats stats; /* what the workers' sessions did (s counts its own) */
};

/* 0 when every action succeeded, -1 when some failed (each failure in d with the AWS error). */
int apply_plan(struct session *s, struct stack *st, struct plan *p, const struct apply_options *o,
               struct apply_result *r, struct diag *d);

#endif
