/*
 * Resource types are data. Each AWS object type cairn manages (ec2.vpc,
 * ecs.service, ...) is one file under resources/ holding a static table of
 * attributes and, from the engine issue on, its create/read/update/delete
 * functions. Generic code (validation, rendering, docs, later diff and
 * replace decisions) reads the tables and exists once.
 *
 * To add a type: copy a small file such as resources/ec2_eip.c (docs/architecture.md walks
 * through it), fill in its attribute table with each attribute's API member (the generic read
 * and create use them) and, with its AWS calls, the IAM actions they need, and add its
 * prefix to TYPES_LIST in resources/types.h (the registry is built from it). unit/test_restype
 * checks every table; the stack reference (docs/stack-reference.md) is
 * generated from the tables.
 *
 * Conventions of the tables: attribute names are the API members' in
 * snake_case (CidrBlock -> cidr_block), except that an object's own name is
 * `name`; computed `id` and `arn` are what references take (${vpc.id},
 * ${tg.arn}); taggable types end their settable attributes with RESTYPE_TAGS.
 */
#ifndef CAIRN_RESTYPE_H
#define CAIRN_RESTYPE_H

#include <stdio.h>

#include <jansson.h>

#include "agent/vtype.h"

enum attr_flag {
    ATTR_REQUIRED = 1 << 0,  /* must be in the stack file */
    ATTR_COMPUTED = 1 << 1,  /* set by AWS, read-only: only referenced (${x.id}) */
    ATTR_REPLACE = 1 << 2,   /* changing it replaces the resource */
    ATTR_SENSITIVE = 1 << 3, /* never shown: plans and renders print (sensitive) */
    ATTR_NAME = 1 << 4,      /* receives the physical name, default <stack>-<logical> */
    ATTR_ORDERED = 1 << 5,   /* a list whose order matters (a command line); others are sets */
    ATTR_PROTECTS = 1 << 6,  /* a boolean: true in AWS keeps destroy from deleting the object
                              * unless asked (--allow-protected), and removal lifts it first */
    ATTR_LATER = 1 << 7      /* not a create parameter: the create sets it with a call of its
                              * own after (a subnet's map_public_ip_on_launch) */
};

struct attr {
    const char *name; /* snake_case as written in the stack file; NULL ends a table */
    enum vtype type;
    unsigned flags;
    /*
     * The value an omitted attribute means, as scalar text (JSON text for a list
     * or map, such as a security group's default egress rule); NULL for none. Usually
     * what AWS fills in; where cairn's default differs from AWS's (efs
     * encrypted, ecs network_mode awsvpc, launch_type FARGATE) the doc says so.
     * Creates send it and the planner normalizes an omitted value to it, so
     * desired and live agree either way.
     */
    const char *def;
    const char *doc; /* one sentence for the reference */
    /* VT_LIST: the element type, and for a list of objects their fields. */
    enum vtype elem;
    const struct attr *fields; /* VT_OBJECT, or VT_LIST of VT_OBJECT; NULL-name-terminated */
    long long min, max;        /* VT_INT bounds (and list length for VT_LIST) when min < max */
    /* For a VT_LIST, values and ref_type apply to each element. */
    const char *const *values; /* allowed values (NULL-terminated), or NULL */
    const char *ref_type;      /* a reference here must point at this type: "ec2.vpc" */
    /*
     * The API member that carries it, for the generic read and create (resmap_read,
     * resutil_create_body, ec2util_read, ec2util_create_params): in a read's answer, a path
     * ("Properties/DnsProperties/HostedZoneId", EC2's "attachmentSet/item/vpcId"); creates send
     * it under the same name (capitalized for EC2's query requests: CidrBlock) unless it is
     * computed, a path or ATTR_LATER. NULL: the type maps it by hand.
     */
    const char *member;
};

/* How a removal may go further than by default (cairn destroy's flags). */
enum restype_remove_flag {
    RESTYPE_REMOVE_UNPROTECT = 1 << 0, /* lift deletion protection first (--allow-protected) */
    RESTYPE_REMOVE_NOW = 1 << 1        /* no recovery window (secrets: --force-delete-secrets) */
};

struct session;
struct resutil_setter;
struct live_set;
struct live_obj;
struct diag;
struct restype;

/* What a write call needs besides the desired attributes. */
struct restype_call {
    const char *stack;          /* the stack's name: the cairn:stack tag */
    const char *cairn_id;       /* the resource's logical name: the cairn:id tag */
    const char *physical_name;  /* the name to give it, for types that have one */
    const json_t *tags;         /* every tag to put on it: the stack's, its own, cairn:stack and
                                 * cairn:id (an object of strings) */
    const char *token;          /* idempotency token, the same for every run of the same stack
                                 * and resource, so a create retried after a crash adopts */
    const struct restype *type; /* what is created */
    /* Set while a create brings what it just made to desired: setters of an eventually
     * consistent service (IAM) then ask again when it says "not found" (DIALECT_JUST_MADE). */
    int just_made;
};

/*
 * A removal that is one call (resutil_remove): op with the object's id, not-found meaning done
 * as the service's dialect (resources/dialect.h) names it.
 */
struct restype_delete {
    const char *op;     /* "DeleteVpc" */
    const char *member; /* the request member that takes the id: "VpcId" (query and JSON APIs) */
    const char *attr;   /* the attribute that holds what member takes; NULL: the object's id */
    const char *path;   /* REST APIs: DELETE this path, %s the escaped id; NULL otherwise */
    /* An error code (or part of one) that means "not yet": the object is still in use by one
     * being deleted (Cloud Map's ResourceInUse while ECS deregisters tasks). The delete is sent
     * again, with growing pauses, for at most busy_seconds before the refusal stands. */
    const char *busy;
    unsigned busy_seconds;
};

/* One object as restype_restore's each hook lists it; a negative return stops the listing. */
typedef int (*restype_each_fn)(const json_t *attrs, void *arg, struct diag *d);

/*
 * What cairn restore (restore.c) asks of a type, so that the command names no type and calls
 * no service. Every hook is optional.
 *
 * A volume type (its objects are what AWS Backup restores, an EFS file system) has describe,
 * each and retag: the restore finds, checks and takes over objects that are not the stack's
 * (yet, or any more), which the type's read would not list. Attributes are the table's, with
 * "state" (the lifecycle state as AWS names it) and "created" (Unix seconds) besides.
 *
 * A type whose objects live on a volume (an EFS access point) names the volume's type and the
 * attribute holding its id: the take-over retires them with the old volume (retag), and follow
 * re-points a desired value onto the restored volume (an access point's root directory goes
 * inside the directory AWS Backup restored the files to, which the volume's cairn:restore-dir
 * tag says). plan.c calls follow for every desired value whose parent is live.
 */
struct restype_restore {
    /* The object whose member (the API's: "FileSystemId", "CreationToken") is value: 0 and
     * *out (a new reference, NULL when there is none), or -1 with d saying why. */
    int (*describe)(struct session *s, const char *member, const char *value, json_t **out,
                    struct diag *d);
    /* Every object of the type in the region, whoever owns it. */
    int (*each)(struct session *s, restype_each_fn fn, void *arg, struct diag *d);
    /* Bring object id's tags from have to want (objects of strings). */
    int (*retag)(struct session *s, const char *id, const json_t *have, const json_t *want,
                 struct diag *d);
    const struct restype *parent; /* the volume type a child lives on */
    const char *parent_attr;      /* the attribute that holds the volume's id */
    /* Adjust desired (a child's, parent_attr resolved) to the live volume it names. */
    void (*follow)(json_t *desired, const struct live_obj *parent);
    /* A volume type: the type restore takes recovery points from (backup.vault), and the IAM
     * actions restore calls beyond the types' own; cairn policy adds them to the write policy
     * of a stack that has both. */
    const struct restype *source;
    const char *const *actions;
};

/* The live objects of a plan, for a type's output hook: follow gives the one that reference
 * attribute attr of o names (of the table's ref_type), or NULL. */
struct restype_refs {
    const struct live_obj *(*follow)(const struct restype_refs *r, const struct live_obj *o,
                                     const char *attr);
    const void *ctx;
};

/*
 * The AWS calls of a type. Attributes in and out are JSON objects named and
 * typed as the table says; references in desired values are already resolved
 * to live ids. Each returns 0, or -1 with the AWS error in d.
 */
typedef int restype_update_fn(struct session *s, const struct restype_call *c,
                              const json_t *desired, struct live_obj *live,
                              const char *const *changed, size_t nchanged, struct diag *d);
typedef int restype_remove_fn(struct session *s, const struct live_obj *live, unsigned how,
                              struct diag *d);

struct restype_ops {
    /* Every object of this type tagged cairn:stack=stack, with as few calls as the API allows
     * (one filtered, paginated Describe). Untaggable children are found through their parents,
     * which the child's read looks up itself: each type's read starts with an empty set of its
     * own and runs in parallel with the others. */
    int (*read)(struct session *s, const struct restype *t, const char *stack, struct live_set *set,
                struct diag *d);
    /* Create, tag, and add the new object to set (*out points at it). */
    int (*create)(struct session *s, const struct restype_call *c, const json_t *desired,
                  struct live_set *set, struct live_obj **out, struct diag *d);
    /* Bring the named attributes of live to their desired values in place. NULL: resutil_update,
     * by the setters below (resutil_update_of). */
    restype_update_fn *update;
    /* The update's table when it is resutil_update: which call sets each attribute that can
     * change in place (struct resutil_setter, resources/resutil.h). */
    const struct resutil_setter *setters;
    /* The service helper's row for a type its generic read and create serve whole
     * (struct ec2util_kind, struct elbv2util_kind): they find it here. */
    const void *kind;
    /* Delete live; how is a set of RESTYPE_REMOVE_* flags the operator asked for. NULL with a
     * del row: resutil_remove, the one call del says (resutil_remove_of). */
    restype_remove_fn *remove;
    struct restype_delete del;
    /* Optional: the canonical form of attribute attr's value where the generic rules are not
     * enough (security-group rules, which AWS groups by port while cairn lists them one source
     * at a time). A new reference; NULL to use the generic form. */
    json_t *(*normalize)(const char *attr, const json_t *v);
    /* Optional: whether an object just created or updated is ready for what depends on it (a
     * NAT gateway "available"): 1 ready, 0 not yet, -1 failed for good (d says why). The
     * executor polls it with growing pauses for at most wait_seconds. It may refresh live's
     * attributes. */
    int (*ready)(struct session *s, struct live_obj *live, struct diag *d);
    unsigned wait_seconds;                 /* 0: the executor's default (300) */
    const struct restype_restore *restore; /* cairn restore's hooks, or NULL */
    /* Optional: the ways in to a live object that up prints after an apply (outputs.c), one
     * line each under output_heading; refs finds the objects its references name. */
    const char *output_heading;
    void (*output)(const struct live_obj *o, const struct restype_refs *refs, FILE *out);
    /* Optional: how a live object is doing right now, for cairn status (a target group's
     * target health): *out gets {"ok": bool, "summary": "...", "details": ["...", ...]} and
     * whatever else the type reports (--json prints it all). 0, or -1 with d saying why. */
    const char *status_heading;
    int (*status)(struct session *s, const struct live_obj *o, json_t **out, struct diag *d);
    /* Optional, with a read that leaves out the attributes of objects that cannot change (live
     * digest): read o's attributes in full (live_detail calls it when they are needed). */
    int (*detail)(struct session *s, struct live_obj *o, struct diag *d);
};

struct restype {
    const char *name;    /* "ec2.vpc" */
    const char *service; /* service id from aws/service.h: "ec2" */
    const char *doc;     /* what the AWS object is, one or two sentences */
    const struct attr *attrs;
    int taggable;      /* carries cairn:stack / cairn:id and the stack's tags */
    unsigned name_max; /* longest physical name AWS accepts; 0 when the type has no name */
    const struct restype_ops *ops; /* NULL until the type's AWS calls are written */
    /*
     * The IAM actions of the type's calls, "<signing name>:<Operation>", NULL-terminated
     * (cairn policy prints them; every type with ops has both). read_actions: what ops->read
     * calls, plan's and drift's reads, only Describe*, List* and Get*. write_actions: what
     * create, update, remove and ready call besides, and the actions AWS checks on the caller
     * behind a call (tags given to a create need the tagging action; an EFS mount target's
     * network interface needs EC2's). Not a taggable type's tag and untag actions: cairn
     * policy adds those, named by its service's dialect (resources/dialect.h).
     */
    const char *const *read_actions;
    const char *const *write_actions;
    /* The service a write hands an IAM role to ("ecs-tasks.amazonaws.com"): it needs
     * iam:PassRole, which the policy limits by iam:PassedToService. NULL when none. */
    const char *passes_role_to;
};

/*
 * The tags attribute, last but the computed ones in every taggable type's
 * table: the resource's own tags, merged over the stack's tags (cairn adds
 * cairn:stack and cairn:id). A macro because a static table cannot copy a
 * const struct.
 */
#define RESTYPE_TAGS                                                  \
    {                                                                 \
        .name = "tags", .type = VT_MAP,                               \
        .doc = "Tags of this resource, merged over the stack's tags." \
    }

/* Look up an attribute of a table (NULL-name-terminated) by name. */
const struct attr *restype_attr(const struct attr *table, const char *name);
/* The attribute flagged ATTR_NAME, or NULL when the type has no physical name. */
const struct attr *restype_name_attr(const struct restype *t);

#endif
