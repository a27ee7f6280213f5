/*
 * Drift: what `cairn drift` reports, built from a plan (the same read and
 * comparison as `cairn plan`, no write of any kind). Per resource: missing
 * (in the file, not in AWS), modified (each attribute with what the file
 * expects and what AWS holds; within a list or map, each element or key that
 * is extra, missing or changed), extra (an untagged child found under one of
 * the stack's parents, such as a route added by hand) and orphaned (tagged
 * with the stack, absent from the file). Sensitive values are never shown,
 * only that they differ. Ignore patterns (fnmatch, against
 * "<resource>.<attribute>[.<key>]") drop what a team chooses to leave alone.
 *
 * Formats: text, json (docs/drift.schema.json), github (workflow
 * annotations), junit (one test case per resource).
 */
#ifndef CAIRN_DRIFT_H
#define CAIRN_DRIFT_H

#include <jansson.h>
#include <stdio.h>

#include "agent/plan.h"
#include "agent/stack.h"

enum drift_status { DRIFT_IN_SYNC, DRIFT_MISSING, DRIFT_MODIFIED, DRIFT_EXTRA, DRIFT_ORPHAN };

enum drift_format { DRIFT_TEXT, DRIFT_JSON, DRIFT_GITHUB, DRIFT_JUNIT };

struct drift_diff {
    char *attribute;  /* "ingress", "tags.Owner", "desired_count" */
    const char *kind; /* "changed", "extra" (in AWS only), "missing" (in the file only) */
    json_t *expected; /* NULL: none (or sensitive) */
    json_t *actual;   /* NULL: none (or sensitive) */
    int sensitive;
};

struct drift_item {
    enum drift_status status;
    const char *resource; /* logical name; the object's id when it has no cairn:id */
    const char *type;
    const char *id;           /* AWS id, NULL when missing */
    const struct srcloc *loc; /* where the file declares it; NULL for orphans and extras */
    struct drift_diff *diffs;
    size_t ndiffs, adiffs;
};

struct drift {
    struct drift_item *v;
    size_t n, alloc;
    size_t count[DRIFT_ORPHAN + 1];
    size_t ignored; /* differences (or whole resources) the ignore patterns left out */
};

void drift_init(struct drift *dr);
void drift_release(struct drift *dr);

/* Build the report from a plan of s (not a destroy plan); patterns NULL-terminated or NULL. */
void drift_build(struct drift *dr, const struct plan *p, const char *const *patterns);
/* Whether anything drifted. */
int drift_found(const struct drift *dr);

int drift_parse_format(const char *name, enum drift_format *out);
/* Print in format f; file is the stack file (for locations), stack its name. */
void drift_print(const struct drift *dr, enum drift_format f, const struct stack *s, FILE *out,
                 int color);
/* The JSON report (docs/drift.schema.json). Caller decrefs. */
json_t *drift_json(const struct drift *dr, const struct stack *s);

#endif
