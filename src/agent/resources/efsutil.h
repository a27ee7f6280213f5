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

/*
 * Send c. 0 when it succeeded; 1 when AWS answered with an error whose code is
 * in tolerated (NULL-terminated, or NULL for none), which stays out of d (a
 * NotFound where gone is what the caller wants); -1 with the error in d.
 */
int efsutil_send(struct session *s, struct apicall *c, const char *const *tolerated,
                 struct diag *d);

/* The string member k of the JSON object o, or NULL. */
const char *efsutil_str(const json_t *o, const char *k);

/* An API tag list [{Key, Value}] as an object of strings (new; {} for NULL). */
json_t *efsutil_tags(const json_t *list);

/* Called for each file system of the stack: fs is the API's FileSystemDescription. */
typedef int (*efsutil_fs_fn)(struct session *s, const json_t *fs, void *arg, struct diag *d);

/*
 * DescribeFileSystems, every page (Marker), fn called for each file system whose
 * inline tags say cairn:stack=stack and that is not being deleted.
 */
int efsutil_file_systems(struct session *s, const char *stack, efsutil_fs_fn fn, void *arg,
                         struct diag *d);

/*
 * Bring the tags of resource id (a file system or an access point) from have to
 * want: UntagResource for the keys want lacks, TagResource for the new or
 * changed ones; aws:* keys are never touched, and nothing is sent when nothing
 * differs.
 */
int efsutil_retag(struct session *s, const char *id, const json_t *have, const json_t *want,
                  struct diag *d);

/* The update of "tags": efsutil_retag from live's tags to every tag c wants (cairn:stack and
 * cairn:id included); live's attributes follow. */
int efsutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, struct diag *d);

/*
 * resutil_poll of probe, pausing 0.25 s doubling to 5 s in between, for at most seconds; then
 * -1 with d saying "<what> after <n> s".
 */
int efsutil_wait(struct session *s, resutil_probe_fn probe, void *arg, unsigned seconds,
                 const char *what, struct diag *d);

#endif
