/*
 * What exists in AWS, as cairn sees it: one live_obj per AWS object the stack
 * owns, found by its cairn:stack tag (or through its parent for untaggable
 * children such as routes). Attributes are JSON, named and typed as in the
 * resource type's table, so the planner compares them with the desired
 * values directly. No state file: this set is re-read on every run.
 */
#ifndef CAIRN_LIVE_H
#define CAIRN_LIVE_H

#include <jansson.h>
#include <stddef.h>

#include "agent/restype.h"

struct live_obj {
    const struct restype *type;
    char *id;       /* what ${x.id} gives: vpc-..., rtbassoc-..., an ARN where the API has no id */
    char *cairn_id; /* the cairn:id tag: the logical name ("network.vpc"); NULL if untagged */
    json_t *attrs;  /* {"cidr_block": "10.0.0.0/16", "tags": {...}, "id": "vpc-..."} (owned):
                     * every attribute of the table AWS reports, computed ones (id) included */
    int pending;    /* the read saw it still on its way to ready (a NAT gateway "pending", made
                     * by a run that was cut short): up waits for it before its dependants */
    /* A read that left the attributes out (an immutable object whose cairn:digest tag names what
     * the stack sent, diff_digest): attrs hold only id, arn, tags and what the read had at hand.
     * The planner fills them from desired when the digests agree (plan_build); else live_detail
     * reads them. NULL for a whole object. */
    char *digest;
};

struct live_set {
    struct live_obj *v;
    size_t n, alloc;
    /* Types whose read failed (after every retry): what they own is unknown, so nothing of
     * theirs may be created, replaced or deleted this run. */
    const struct restype **unread;
    size_t nunread;
    size_t ntypes; /* types live_read_all() read or tried to */
};

/* Whether t's read failed. */
int live_unread(const struct live_set *set, const struct restype *t);

void live_set_init(struct live_set *set);
void live_set_release(struct live_set *set);
/* Move every object of from to the end of set, in order; from is left empty (and released). */
void live_set_take(struct live_set *set, struct live_set *from);

/* A new object of type t (id and cairn_id copied; attrs taken over, may be NULL: {}). */
struct live_obj *live_set_add(struct live_set *set, const struct restype *t, const char *id,
                              const char *cairn_id, json_t *attrs);
/* The object of type t with this cairn:id, or NULL. When several carry it (a duplicate made by
 * hand or by another tool), the one the most other objects refer to (attachments, routes,
 * services, mount targets), else the first the read found: the one in use. */
struct live_obj *live_find(const struct live_set *set, const struct restype *t,
                           const char *cairn_id);
/* Whether live object a refers to b (by b's id or ARN in a's attributes other than id, arn and
 * tags). Read from what AWS reported, so it holds for objects no longer in the file. */
int live_refers_to(const struct live_obj *a, const struct live_obj *b);
/* The object of type t with this id, or NULL. */
struct live_obj *live_find_id(const struct live_set *set, const struct restype *t, const char *id);

struct session;
struct diag;

struct session_options;

/*
 * Per-parent reads of one type in parallel (a role's policies, a task-definition family's
 * revisions): fn(s, i, arg, d) for every i below n, on up to LIVE_READ_PARALLEL workers,
 * each with a session of its own made like s (sharing s's call cache; their counts are added
 * to s's; LIVE_READ_PARALLEL is apply's default bound). fn must write only to what belongs to i;
 * the caller merges in index order, so the result is the same as one after the other. The first
 * failure stops the rest from starting: 0, or -1 with the failures in d. Serial, on s, when s was
 * not made by session_new.
 */
#define LIVE_READ_PARALLEL 8
typedef int (*live_job_fn)(struct session *s, size_t i, void *arg, struct diag *d);
int live_parallel(struct session *s, size_t n, live_job_fn fn, void *arg, struct diag *d);

/*
 * Read every object the stack owns, for every resource type whose AWS calls exist: one read per
 * type, the types in parallel (each on its own session opened with so; so NULL: one after the
 * other on s). The set lists them in registry order (parents before children) whatever order
 * the reads finished in. 0, or -1 with d saying which reads failed (set->unread lists their
 * types; what the others found is in the set all the same). *calls gets the workers'
 * AWS calls (s counts its own).
 */
int live_read_all(struct session *s, const struct session_options *so, const char *stack,
                  struct live_set *set, struct diag *d);

/* Read the attributes of every object a read left them out of (digest still set: the planner
 * found the stack's file asks for something else, or no longer has it) with its type's detail
 * hook. The number of objects read, or -1 with d saying why. */
long live_detail(struct session *s, struct live_set *set, struct diag *d);

#endif
