/*
 * The planner: desired (a loaded stack) against live (what the reads found)
 * into actions, each with its changes and the reason for its kind. Pure
 * logic: no AWS call, so the unit tests need no network.
 */
#ifndef CAIRN_PLAN_H
#define CAIRN_PLAN_H

#include <jansson.h>
#include <stdio.h>

#include "agent/diff.h"
#include "agent/live.h"
#include "agent/stack.h"

/* Tags cairn restore puts on a restored file system: the directory AWS Backup restored the
 * files into (access points on it open their root directory inside it), and what it was
 * restored from. Every tag with this prefix is kept by plan and up (docs/runbook.md). */
#define PLAN_TAG_RESTORE_PREFIX   "cairn:restore"
#define PLAN_TAG_RESTORE_DIR      "cairn:restore-dir"
#define PLAN_TAG_RESTORE_FROM     "cairn:restored-from"
#define PLAN_TAG_RESTORE_OF       "cairn:restore-of"
#define PLAN_TAG_RESTORE_REPLACED "cairn:restore-replaced"

enum plan_kind { PLAN_NOOP, PLAN_CREATE, PLAN_UPDATE, PLAN_REPLACE, PLAN_DELETE, PLAN__KINDS };

struct plan_action {
    enum plan_kind kind;
    struct stack_res *res;         /* NULL for a delete */
    struct live_obj *live;         /* NULL for a create */
    json_t *desired;               /* attributes to create or update to, references resolved where
                                    * known (NULL for a delete) */
    struct diff changes;           /* update and replace: what differs */
    const struct live_obj *dup_of; /* a delete of an extra under a cairn:id of the file: the
                                    * object kept in its place (the one in use) */
    /* Apply's bookkeeping. */
    int applied;             /* done: live is the object as it now is */
    int failed;              /* failed or skipped: its dependants are skipped */
    int unread;              /* its type's read failed, or one of a dependency's: left alone this
                              * run (kind no-op, failed set), counted in plan.nunread */
    struct live_set created; /* what create made (live points into it) */
};

struct plan {
    struct plan_action *v; /* creates and updates in dependency order, then deletes in reverse */
    size_t n, alloc;
    size_t count[PLAN__KINDS];
    size_t nunread; /* actions left alone because a read failed */
};

void plan_init(struct plan *p);
void plan_release(struct plan *p);

/* Plan s against live. 0, or -1 with d saying why (a live object of the wrong type holds a
 * resource's cairn:id, for example). */
int plan_build(struct plan *p, struct stack *s, const struct live_set *live, struct diag *d);
/* Destroy: every object in live (the stack's, and the children found under its parents) becomes
 * a delete, dependants first. */
void plan_build_destroy(struct plan *p, const struct live_set *live);
/* The object in live that is resource r: by its cairn:id, or for an untaggable child by its
 * identifying attributes in desired. NULL when there is none. */
struct live_obj *plan_find_live(const struct live_set *live, const struct stack_res *r,
                                const json_t *desired);
/* v with references resolved against what is live or applied so far (new reference). */
json_t *plan_resolve(const struct plan *p, struct stack *s, const json_t *v);
/* The action for resource r, or NULL. */
struct plan_action *plan_action_of(const struct plan *p, const struct stack_res *r);

/* Whether anything would change. */
int plan_has_changes(const struct plan *p);

const char *plan_kind_name(enum plan_kind k); /* "create", "update", ... */
/* The action's resource name: logical, or "(extra)" for an untagged child found through a
 * parent (a route added by hand) that the file does not declare. */
const char *plan_action_name(const struct plan_action *a);

/* Terraform-like text: + create, ~ update, -/+ replace, - delete; attribute old -> new;
 * sensitive values hidden; colour when color is set. */
void plan_print(const struct plan *p, FILE *out, int color);
/* The plan for machines (docs/commands.md documents the shape). Caller decrefs. */
json_t *plan_json(const struct plan *p);

#endif
