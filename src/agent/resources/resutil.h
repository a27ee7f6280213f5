/*
 * What every resource type's AWS calls share, whatever the service: the
 * desired value of an attribute (or the table's default), the required
 * attributes checked before a create sends anything, the ownership tags
 * (cairn:stack, cairn:id) and the conversion of tag sets between the JSON
 * object cairn compares and the lists the APIs take ([{Key, Value}], or
 * [{key, value}] in ECS), and adding what a read or create found to the live
 * set. Service-specific helpers (ec2util for EC2's query protocol) build on
 * these.
 */
#ifndef CAIRN_RESUTIL_H
#define CAIRN_RESUTIL_H

#include <jansson.h>

#include "agent/live.h"
#include "agent/resources/dialect.h"
#include "agent/restype.h"
#include "core/diag.h"

struct session;

/* The tag every object of a stack carries, and the one that names it in the stack. */
#define RESUTIL_TAG_STACK "cairn:stack"
#define RESUTIL_TAG_ID    "cairn:id"

/*
 * Whether desired has every attribute the table marks required, strings where
 * the table says text. Creates check first, so that no request goes out with a
 * member missing. 0, or -1 with d naming what is missing.
 */
int resutil_check_required(const struct restype *t, const char *cairn_id, const json_t *desired,
                           struct diag *d);

/*
 * The desired value of a scalar attribute, or the table's default when
 * desired leaves it out. A boolean or integer may be JSON or text.
 */
const char *resutil_want_str(const struct restype *t, const json_t *desired, const char *name);
int resutil_want_bool(const struct restype *t, const json_t *desired, const char *name);
/* An integer attribute (JSON or text), or the default; dflt when neither says. */
long long resutil_want_int(const struct restype *t, const json_t *desired, const char *name,
                           long long dflt);
/* The desired value of a list or map, or the table's default (JSON text there); new reference,
 * NULL when there is neither. */
json_t *resutil_want_json(const struct restype *t, const json_t *desired, const char *name);

/* The cairn:stack tag in a live object's attributes ("tags"), or NULL. */
const char *resutil_stack_of(const json_t *attrs);

/*
 * Every tag to put on an object: c->tags (or desired's "tags" when c has none)
 * plus cairn:stack and cairn:id from c, which are never left out. New object.
 */
json_t *resutil_tags_want(const struct restype_call *c, const json_t *desired);

/* Tags as an API list [{<key>: k, <value>: v}] in key order, aws:* keys left out (AWS refuses
 * them); key and value name the members ("Key"/"Value", "key"/"value"). New array. */
json_t *resutil_tags_to_list(const json_t *tags, const char *key, const char *value);
/* An API list of tags back into an object of strings (new; {} for NULL). */
json_t *resutil_tags_from_list(const json_t *list, const char *key, const char *value);

/*
 * What changes to bring tags from have to want (objects of strings): *add gets
 * the keys whose value is new or differs (an object), *del the keys want lacks
 * (an array of strings). aws:* keys are never touched. Returns whether
 * anything differs; both are new references either way.
 */
int resutil_tags_delta(const json_t *have, const json_t *want, json_t **add, json_t **del);

/*
 * Add an object a read found to set when its tags (an object of strings) say
 * cairn:stack=stack; its cairn_id is the cairn:id tag. attrs are taken over
 * either way, and get "tags" when they have none. Returns the object, or NULL
 * when it is not the stack's (or id is NULL).
 */
struct live_obj *resutil_add_read(struct live_set *set, const struct restype *t, const char *stack,
                                  const char *id, const json_t *tags, json_t *attrs);

/*
 * Add a child found under one of the stack's parents (a listener's rule): a parent the stack
 * owns owns its children whole, so an untagged one (added by hand) is added as an extra, with
 * no cairn_id; one tagged with another stack is left alone (NULL). attrs are taken over either
 * way, and get "tags" when they have none.
 */
struct live_obj *resutil_add_child(struct live_set *set, const struct restype *t, const char *stack,
                                   const char *id, const json_t *tags, json_t *attrs);

/*
 * Add an object just created to set: attrs (taken over) hold its "id"; a
 * taggable type's tags are c's when attrs have none (most create responses
 * do not list them). NULL, with d saying so, when attrs have no id.
 */
struct live_obj *resutil_add_created(struct live_set *set, const struct restype *t,
                                     const struct restype_call *c, json_t *attrs, struct diag *d);

/*
 * Bring an object a create adopted (a name already taken by this stack and resource: a create
 * retried after a crash) or just made to desired: what diff_resource finds different, tags as
 * c's, goes through t's update (resutil_update_of). An attribute that would need a replacement is
 * an error naming it: the object is not the one the file describes.
 */
int resutil_converge(struct session *s, const struct restype *t, const struct restype_call *c,
                     const json_t *desired, struct live_obj *o, struct diag *d);

/*
 * A type's remove when it is one call (struct restype_delete in live's type's ops): sent with
 * live's id (or its del.attr attribute); an answer that the object does not exist, as the
 * service's dialect names it, means it is already gone.
 */
int resutil_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d);

/* The update and remove of a type's ops: its own, else the generic ones, resutil_update (by its
 * setters) and resutil_remove (where its del row names a call). NULL: it cannot remove. */
restype_update_fn *resutil_update_of(const struct restype_ops *ops);
restype_remove_fn *resutil_remove_of(const struct restype_ops *ops);

/*
 * Add to body (a JSON request) the create parameters of type t: each attribute with a member
 * that is not computed, a path or ATTR_LATER, from desired or the table's default, typed as the
 * table says; the name attribute takes c->physical_name when c has one. Attributes with
 * neither, and empty lists and maps, are left out. Then tags (an object of strings, aws:* keys
 * left out; NULL: none) as the service's dialect names them. Idempotency tokens are the
 * caller's: not every create of a service takes one (EFS's CreateMountTarget does not).
 */
void resutil_create_body(const struct restype *t, const struct restype_call *c,
                         const json_t *desired, const json_t *tags, json_t *body);

/* Whether attribute a is a create parameter (above); *value gets its desired value or
 * default (a new reference, NULL for none). */
int resutil_create_value(const struct restype *t, const struct attr *a,
                         const struct restype_call *c, const json_t *desired, json_t **value);

/*
 * The executor's way of waiting, for the types' own waits (an object still being deleted, an
 * operation still running): probe says 1 done, 0 not yet, -1 failed for good (d says why).
 * resutil_poll calls it, pausing first_ms and twice as long each time after, up to max_ms, until
 * it is done or seconds have passed: 1 done, 0 not done in time (d untouched: the caller says
 * what is not done), -1 the probe failed.
 */
typedef int (*resutil_probe_fn)(struct session *s, void *arg, struct diag *d);
int resutil_poll(struct session *s, resutil_probe_fn probe, void *arg, long first_ms, long max_ms,
                 unsigned seconds, struct diag *d);

/*
 * Whether tags (an object of strings) say the object is resource c->cairn_id of stack c->stack:
 * an object a create found already there (a create retried after a crash or a lost answer) is
 * adopted only then. 0, or -1 with d saying whose the object named name is.
 */
int resutil_adopt_check(const struct restype *t, const struct restype_call *c, const char *name,
                        const json_t *tags, struct diag *d);

/*
 * Bring live's tags to want (taken over): the service's TagResource for the keys whose value
 * is new or differs, UntagResource for the keys want lacks, named as the service's dialect
 * says (through dialect_call: JSON and query APIs). aws:* keys are never touched and stay in
 * live's tags, which follow. arn names the object. 0, or -1 with the AWS error in d.
 */
int resutil_retag(struct session *s, struct live_obj *live, const char *arn, json_t *want,
                  struct diag *d);

/*
 * Whether an update knows every attribute in changed: each must be one of settable
 * (NULL-terminated; NULL: none). Checked before anything is sent. 0, or -1 with d saying
 * "<type> <id>: <attr> cannot change in place" for the first that is not.
 */
int resutil_changeable(const struct live_obj *live, const char *const *changed, size_t nchanged,
                       const char *const *settable, struct diag *d);

struct resutil_setter;

/* One in-place change of an update (resutil_update_each): brings the attribute(s) of its row
 * to desired, and live's attributes with them. */
typedef int (*resutil_set_fn)(struct session *s, const struct restype_call *c,
                              const json_t *desired, struct live_obj *live,
                              const struct resutil_setter *row, struct diag *d);

/* When a setter runs: for each attribute changed, as it comes; once, at the first of its
 * attributes (one call sets several); once, after every other change. */
enum resutil_when { RESUTIL_EACH, RESUTIL_FIRST, RESUTIL_AFTER };

struct resutil_setter {
    const char *attr; /* the attribute it sets; NULL ends the table */
    resutil_set_fn set;
    enum resutil_when when;
    const void *arg; /* the setter's own: what it sets (an API member, a type's calls) */
};

/*
 * A type's update from a table of setters (rows with the same set and arg are one call): each
 * changed attribute goes to its row's setter as the row's when says; an attribute without a row is
 * an error naming it ("cannot change in place"), as is the first setter that fails.
 */
int resutil_update_each(const struct resutil_setter *table, struct session *s,
                        const struct restype_call *c, const json_t *desired, struct live_obj *live,
                        const char *const *changed, size_t nchanged, struct diag *d);

/* A type's update (struct restype_ops update) from its ops' setters (resutil_update_each). */
int resutil_update(struct session *s, const struct restype_call *c, const json_t *desired,
                   struct live_obj *live, const char *const *changed, size_t nchanged,
                   struct diag *d);

/* The setters of a type whose tags alone change in place, named by its id. */
extern const struct resutil_setter resutil_tags_only[];

/* Whether tags (an object of strings) say cairn:stack=c->stack and cairn:id=c->cairn_id: the
 * object is this resource of this stack. */
int resutil_owned(const json_t *tags, const struct restype_call *c);

/* A setter (resutil_update_each) of tags: resutil_retag of live to every tag c and desired
 * want, the object named by its attribute row->arg (NULL: "arn"). */
int resutil_set_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* A setter of an attribute that only a create uses (a secret's value): nothing to send. */
int resutil_set_none(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* What resutil_set_member sends (a setter's arg): op with the object (target, its value live's
 * attribute target_attr) and the desired value as member, as how says (dialect_send); clear_op
 * (NULL: none) with the object alone when desired has none, as clear_how says. */
struct resutil_put {
    const char *op, *clear_op;
    const char *target, *target_attr;
    const char *member;
    unsigned how, clear_how;
};

/* A setter of one attribute through a struct resutil_put (row->arg), DIALECT_JUST_MADE added
 * to how on an object just made (c->just_made): a document travels as its JSON text, an
 * integer given as text as a number. live's attribute follows. */
int resutil_set_member(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const struct resutil_setter *row, struct diag *d);

/* A dialect_item_fn that appends each item to arg, a JSON array: a listing's items gathered
 * for calls that take them in batches. */
int resutil_collect(struct session *s, const json_t *item, void *arg, struct diag *d);

/*
 * What every create of a named type checks before it sends anything: the required attributes
 * (resutil_check_required), then the name, desired's value of the table's ATTR_NAME attribute
 * or c->physical_name. The name, or NULL with d saying what is missing.
 */
const char *resutil_create_name(const struct restype *t, const struct restype_call *c,
                                const json_t *desired, struct diag *d);

#endif
