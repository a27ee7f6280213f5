/*
 * Desired against live, attribute by attribute, after normalizing what AWS
 * fills in or reorders: omitted values mean the table's default, lists are
 * sets unless the attribute says order matters, an empty list or map is the
 * same as none, numbers and booleans compare by value, JSON documents by
 * content, and tags ignore the aws:* keys AWS adds. Generic: it reads only
 * the attribute tables.
 */
#ifndef CAIRN_DIFF_H
#define CAIRN_DIFF_H

#include <jansson.h>
#include <stddef.h>

#include "agent/restype.h"

struct diff_change {
    char *path;     /* "cidr_block", "health_check.path" */
    json_t *old;    /* live value, normalized (NULL: absent) */
    json_t *new;    /* desired value, normalized (NULL: absent) */
    unsigned flags; /* the attribute's flags: ATTR_REPLACE, ATTR_SENSITIVE */
    int unknown;    /* the desired value is known only after apply */
};

struct diff {
    struct diff_change *v;
    size_t n, alloc;
};

void diff_init(struct diff *df);
void diff_release(struct diff *df);

/* Append one change per settable attribute of table that differs. Computed attributes are
 * skipped. A desired string still holding "${" is unknown: always a change. */
void diff_attrs(const struct attr *table, const json_t *desired, const json_t *live,
                struct diff *out);
/* The same for a resource type: its ops' normalize hook goes first where it has one. */
void diff_resource(const struct restype *t, const json_t *desired, const json_t *live,
                   struct diff *out);
/* The normalized form of value v of attribute a (new reference, or NULL for "absent"). */
json_t *diff_normalize(const struct attr *a, const json_t *v);
/* arr's elements (arr is taken over) as a set: in a canonical order, by their compact JSON text
 * with sorted keys; duplicates dropped when unique. New array. */
json_t *diff_set(json_t *arr, int unique);
/* A scalar as text: a string as it is, a number or boolean spelled out (reals as %.17g); NULL
 * for anything else. New reference. */
json_t *diff_as_text(const json_t *v);
/*
 * The digest of what desired asks of type t (its settable attributes but tags, normalized as
 * above), as lowercase hex SHA-256: what a create of an immutable object (an ECS task definition
 * revision) records in its cairn:digest tag, so that a read can leave its attributes out while
 * they are still what the stack asks for. A desired value still unknown gives one that matches
 * no object's.
 */
#define DIFF_DIGEST_LEN 64
void diff_digest(const struct restype *t, const json_t *desired, char out[DIFF_DIGEST_LEN + 1]);

/* Whether any change forces a replacement. */
int diff_replaces(const struct diff *df);

#endif
