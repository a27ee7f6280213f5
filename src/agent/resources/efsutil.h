/*
 * What the EFS resource types share. EFS speaks REST-JSON under /2015-02-01;
 * its children (mount targets, backup policies) carry no tags and are found
 * through the stack's file systems, which DescribeFileSystems lists with their
 * tags inline. Deletions are asynchronous (a mount target is "deleting" for a
 * while, and its file system cannot go until it is gone), so removals wait
 * with efsutil_wait.
 */
#ifndef CAIRN_EFSUTIL_H
#define CAIRN_EFSUTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/restype.h"
#include "agent/resources/resutil.h"
#include "aws/apicall.h"
#include "core/diag.h"

struct session;

/* How long a removal waits for AWS to finish deleting (mount targets take minutes), and a
 * create with lifecycle policies for its file system to become available. */
#define EFSUTIL_WAIT 600

/*
 * A new call of op: method and the path /2015-02-01/<what>[/<id>[/<sub>]], id
 * escaped ("file-systems", fs-1, "backup-policy"); id and sub may be NULL.
 */
void efsutil_init(struct apicall *c, const char *op, const char *method, const char *what,
                  const char *id, const char *sub);

/* The string member k of the JSON object o, or NULL. */
const char *efsutil_str(const json_t *o, const char *k);

/* An API tag list [{Key, Value}] as an object of strings (new; {} for NULL). */
json_t *efsutil_tags(const json_t *list);

/*
 * One kind of EFS object as its Describe operation lists it, for the generic list, describe,
 * create, ready and wait below.
 */
struct efsutil_kind {
    const char *type;               /* "efs.file_system", for messages */
    const char *op;                 /* "DescribeFileSystems" */
    const char *what;               /* "file-systems": the path under /2015-02-01 */
    const char *list;               /* "FileSystems": the answer's array */
    const char *id_member;          /* "FileSystemId": the member of its id */
    const char *page_in, *page_out; /* "Marker", "NextMarker"; access points page by NextToken */
    const char *create;             /* "CreateFileSystem" */
    const char *token; /* the create's idempotency token: "CreationToken"; NULL: none */
};
extern const struct efsutil_kind efsutil_file_system, efsutil_mount_target, efsutil_access_point;

/*
 * k's Describe, every page, filtered by member=value (member NULL: every object of the
 * account), fn for each object. 0; 1 when AWS refused the first page with a code in refused
 * (NULL-terminated; nothing was listed then, d untouched); -1 with d saying why.
 */
int efsutil_list(struct session *s, const struct efsutil_kind *k, const char *member,
                 const char *value, dialect_item_fn fn, void *arg, const char *const *refused,
                 struct diag *d);

/*
 * DescribeFileSystems, every page (Marker), fn called for each file system whose
 * inline tags say cairn:stack=stack and that is not being deleted.
 */
int efsutil_file_systems(struct session *s, const char *stack, dialect_item_fn fn, void *arg,
                         struct diag *d);

/* Whether a lifecycle state says the object is on its way out ("deleting", "deleted"). */
int efsutil_going(const char *state);

/* The object of kind k whose id is id: 1 and *out (new) when listed, 0 when AWS says it does
 * not exist (the dialect's not-found) or lists nothing, -1 on other errors. */
int efsutil_describe(struct session *s, const struct efsutil_kind *k, const char *id, json_t **out,
                     struct diag *d);

/*
 * k's create (POST to k's path) with body (taken over) that a retry must not repeat: c's type's
 * required attributes checked first, then c->token as k's token member and, for a taggable
 * type, the tags c and desired want. 0 and *item (new) the object made. Sent again (a lost
 * answer, a run after a crash), AWS answers exists (the dialect's AlreadyExists, or the code
 * a->exists names), and the object that k lists with filter=value whose member match is
 * match_value (not being deleted) is adopted instead; -1 with d saying why.
 */
struct efsutil_adopt {
    const char *exists;              /* a code besides: "MountTargetConflict"; NULL: none */
    const char *filter, *value;      /* the listing to look in: "FileSystemId", its id */
    const char *match, *match_value; /* what names the one made: "ClientToken", c->token */
};
int efsutil_create(struct session *s, const struct efsutil_kind *k, const struct restype_call *c,
                   const json_t *desired, json_t *body, const struct efsutil_adopt *a,
                   json_t **item, struct diag *d);

/*
 * A type's ready hook: one Describe of live. "available" is ready (live's attributes are
 * refreshed with attrs of the answer, tags aside: they are not newer than live's),
 * "creating" or "updating" (or not listed yet) is not, anything else failed for good.
 */
int efsutil_ready(struct session *s, const struct efsutil_kind *k, struct live_obj *live,
                  json_t *(*attrs)(const json_t *item), struct diag *d);

/* Wait until k's object id is no longer listed (or "deleted"): AWS deletes asynchronously. */
int efsutil_wait_gone(struct session *s, const struct efsutil_kind *k, const char *id,
                      struct diag *d);

/*
 * Bring the tags of resource id (a file system or an access point) from have to
 * want: UntagResource for the keys want lacks, TagResource for the new or
 * changed ones; aws:* keys are never touched, and nothing is sent when nothing
 * differs.
 */
int efsutil_retag(struct session *s, const char *id, const json_t *have, const json_t *want,
                  struct diag *d);

/* The setter of "tags" (row unused, may be NULL): efsutil_retag from live's tags to every tag c
 * wants (cairn:stack and cairn:id included); live's attributes follow. */
int efsutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* The setters (with resutil_update) of a type whose tags alone change in place. */
extern const struct resutil_setter efsutil_tags_only[];

/*
 * resutil_poll of probe, pausing 0.25 s doubling to 5 s in between, for at most seconds; then
 * -1 with d saying "<what> after <n> s".
 */
int efsutil_wait(struct session *s, resutil_probe_fn probe, void *arg, unsigned seconds,
                 const char *what, struct diag *d);

#endif
