/* efs.mount_target: a file system's NFS endpoint in one subnet. */
#include "agent/live.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .member = "FileSystemId",
     .doc = "The file system the mount target serves."},
    {.name = "subnet_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.subnet",
     .member = "SubnetId",
     .doc = "The subnet of the mount target, at most one per Availability Zone."},
    {.name = "security_groups",
     .type = VT_LIST,
     .elem = VT_STRING,
     .ref_type = "ec2.security_group",
     .doc = "The security groups of the mount target (ModifyMountTargetSecurityGroups); AWS "
            "gives it the VPC's default group when omitted, which then shows as a difference."},
    {.name = "ip_address",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .member = "IpAddress",
     .doc = "The IPv4 address in the subnet; AWS picks a free one when omitted."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "MountTargetId",
     .doc = "The mount target's ID (fsmt-...)."},
    {.name = "availability_zone_name",
     .type = VT_AZ,
     .flags = ATTR_COMPUTED,
     .member = "AvailabilityZoneName",
     .doc = "The Availability Zone of the subnet."},
    {.name = "network_interface_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "NetworkInterfaceId",
     .doc = "The network interface AWS created for the mount target (eni-...)."},
    {0},
};

static const char *const mt_not_found[] = {"MountTargetNotFound", NULL};

static int is_going(const char *state)
{
    return state && (strcmp(state, "deleting") == 0 || strcmp(state, "deleted") == 0);
}

/* Called for each mount target DescribeMountTargets lists. */
typedef int (*mt_fn)(const json_t *mt, void *arg);

/* DescribeMountTargets of one file system, every page (Marker). */
static int list_mts(struct session *s, const char *fs_id, mt_fn fn, void *arg, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    efsutil_init(&c, "DescribeMountTargets", "GET", "mount-targets", NULL, NULL);
    apicall_param(&c, "FileSystemId", fs_id);
    do {
        json_t *mt;
        size_t i;
        if (efsutil_send(s, &c, NULL, d) < 0)
            goto out;
        json_array_foreach(json_object_get(c.out, "MountTargets"), i, mt)
        {
            if (fn(mt, arg) < 0)
                goto out;
        }
    } while (apicall_next_page(&c, "Marker", "NextMarker"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

static int add_mt(const json_t *mt, void *arg)
{
    json_t *got;

    if (is_going(efsutil_str(mt, "LifeCycleState")))
        return 0;
    got = resutil_read(attrs, mt);
    /* Untagged: the planner matches it by file system and subnet. */
    live_set_add(arg, &efs_mount_target_type, efsutil_str(got, "id"), NULL, got);
    return 0;
}

static int read_fs(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    return list_mts(s, efsutil_str(fs, "FileSystemId"), add_mt, arg, d);
}

/* EC2 takes at most 200 values per filter. */
#define ENI_FILTER_MAX 200

/*
 * The security groups of mount targets set->v[from..] from their network interfaces: one
 * DescribeNetworkInterfaces filtered by their IDs (per 200), rather than a
 * DescribeMountTargetSecurityGroups per mount target. A filter, not NetworkInterfaceId.N,
 * because an interface deleted meanwhile must not fail the whole call.
 */
static int read_enis(struct session *s, struct live_set *set, size_t from, struct diag *d)
{
    size_t i = from;

    while (i < set->n) {
        struct apicall c;
        size_t n = 0;
        int ok = 1;
        apicall_init(&c, service_lookup("ec2"), "DescribeNetworkInterfaces");
        apicall_param(&c, "Filter.1.Name", "network-interface-id");
        for (; i < set->n && n < ENI_FILTER_MAX; i++) {
            const char *eni = efsutil_str(set->v[i].attrs, "network_interface_id");
            if (eni)
                apicall_paramf(&c, eni, "Filter.1.Value.%zu", ++n);
        }
        do {
            const struct xnode *item;
            if (!n || session_call(s, &c, d) != CALL_OK) {
                ok = !n;
                break;
            }
            for (item = xdoc_path(c.xml->root, "networkInterfaceSet/item"); item;
                 item = xdoc_next(item)) {
                const char *eni = xdoc_text(item, "networkInterfaceId");
                json_t *groups = json_array();
                for (const struct xnode *g = xdoc_path(item, "groupSet/item"); g; g = xdoc_next(g))
                    if (xdoc_text(g, "groupId"))
                        json_array_append_new(groups, json_string(xdoc_text(g, "groupId")));
                for (size_t k = from; k < set->n; k++) {
                    const char *mine = efsutil_str(set->v[k].attrs, "network_interface_id");
                    if (eni && mine && strcmp(eni, mine) == 0)
                        json_object_set(set->v[k].attrs, "security_groups", groups);
                }
                json_decref(groups);
            }
        } while (apicall_next_page(&c, "NextToken", "nextToken"));
        apicall_release(&c);
        if (!ok)
            return -1;
    }
    return 0;
}

/* DescribeMountTargetSecurityGroups: for a mount target whose interface EC2 did not list. */
static int read_groups(struct session *s, struct live_obj *o, struct diag *d)
{
    static const char *const soft[] = {"MountTargetNotFound", "IncorrectMountTargetState", NULL};
    struct apicall c;
    int r;

    efsutil_init(&c, "DescribeMountTargetSecurityGroups", "GET", "mount-targets", o->id,
                 "security-groups");
    if ((r = efsutil_send(s, &c, soft, d)) == 0)
        json_object_set(o->attrs, "security_groups", json_object_get(c.out, "SecurityGroups"));
    apicall_release(&c);
    return r < 0 ? -1 : 0;
}

/*
 * Mount targets carry no tags: they are those of the stack's file systems. One
 * DescribeFileSystems (paginated), one DescribeMountTargets per file system, and one EC2
 * DescribeNetworkInterfaces for all their security groups (a mount target's are its
 * interface's); DescribeMountTargetSecurityGroups only for one whose interface EC2 did not
 * list. Mount targets being deleted are left out.
 */
static int mt_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    size_t from = set->n;

    if (efsutil_file_systems(s, stack, read_fs, set, d) < 0 || read_enis(s, set, from, d) < 0)
        return -1;
    for (size_t i = from; i < set->n; i++)
        if (!json_object_get(set->v[i].attrs, "security_groups") &&
            read_groups(s, &set->v[i], d) < 0)
            return -1;
    return 0;
}

/* The mount target of a file system in a subnet, found after MountTargetConflict. */
struct in_subnet {
    const char *subnet;
    json_t *found;
};

static int find_in_subnet(const json_t *mt, void *arg)
{
    struct in_subnet *f = arg;
    const char *subnet = efsutil_str(mt, "SubnetId");

    if (!f->found && subnet && strcmp(subnet, f->subnet) == 0 &&
        !is_going(efsutil_str(mt, "LifeCycleState")))
        f->found = json_incref((json_t *)mt);
    return 0;
}

/*
 * CreateMountTarget. It has no idempotency token: sent again after a crash it answers
 * MountTargetConflict (one mount target per zone), and the file system's mount target in the
 * same subnet is then adopted; one in another subnet of the zone is a real conflict. Not
 * ready at once: "creating", then "available".
 */
static int mt_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    static const char *const conflict[] = {"MountTargetConflict", NULL};
    const struct restype *t = &efs_mount_target_type;
    const char *fs_id = resutil_want_str(t, desired, "file_system_id");
    const char *subnet = resutil_want_str(t, desired, "subnet_id");
    json_t *groups = json_object_get(desired, "security_groups"), *got = NULL;
    struct in_subnet f = {subnet, NULL};
    struct apicall call;
    int r, ret = -1;

    *out = NULL;
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        return -1;
    efsutil_init(&call, "CreateMountTarget", "POST", "mount-targets", NULL, NULL);
    apicall_json(&call, json_object());
    resutil_create_body(t, c, desired, NULL, call.body);
    if (json_array_size(groups)) /* read apart, from the network interface */
        json_object_set(call.body, "SecurityGroups", groups);
    if ((r = efsutil_send(s, &call, conflict, d)) < 0)
        goto out;
    if (r == 0) {
        got = resutil_read(attrs, call.out);
    } else {
        if (list_mts(s, fs_id, find_in_subnet, &f, d) < 0)
            goto out;
        if (!f.found) {
            diag_error(d, NULL, "efs CreateMountTarget: %s (%s): %s", call.err.code, c->cairn_id,
                       call.err.message);
            goto out;
        }
        got = resutil_read(attrs, f.found);
    }
    if (json_array_size(groups))
        json_object_set(got, "security_groups", groups);
    *out = resutil_add_created(set, t, c, got, d);
    ret = *out ? 0 : -1;
out:
    json_decref(f.found);
    apicall_release(&call);
    return ret;
}

/* Only the security groups change in place (ModifyMountTargetSecurityGroups). */
static int mt_update(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const char *const *changed, size_t nchanged,
                     struct diag *d)
{
    (void)c;
    for (size_t i = 0; i < nchanged; i++) {
        json_t *groups = json_object_get(desired, "security_groups");
        struct apicall call;
        int r;
        if (strcmp(changed[i], "security_groups") != 0) {
            diag_error(d, NULL, "efs.mount_target %s: %s cannot change in place", live->id,
                       changed[i]);
            return -1;
        }
        efsutil_init(&call, "ModifyMountTargetSecurityGroups", "PUT", "mount-targets", live->id,
                     "security-groups");
        apicall_json(&call, json_pack("{s:O}", "SecurityGroups",
                                      json_is_array(groups) ? groups : json_array()));
        if ((r = efsutil_send(s, &call, NULL, d)) == 0)
            json_object_set(live->attrs, "security_groups",
                            json_object_get(call.body, "SecurityGroups"));
        apicall_release(&call);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* DescribeMountTargets of one mount target: 1 and *mt (new) when listed, 0 when
 * MountTargetNotFound, -1 on other errors. */
static int describe_one(struct session *s, const char *id, json_t **mt, struct diag *d)
{
    struct apicall c;
    json_t *got;
    int r;

    *mt = NULL;
    efsutil_init(&c, "DescribeMountTargets", "GET", "mount-targets", NULL, NULL);
    apicall_param(&c, "MountTargetId", id);
    r = efsutil_send(s, &c, mt_not_found, d);
    if (r == 0 && (got = json_array_get(json_object_get(c.out, "MountTargets"), 0))) {
        *mt = json_incref(got);
        r = 1;
    } else if (r >= 0) {
        r = 0;
    }
    apicall_release(&c);
    return r;
}

static int is_gone(struct session *s, void *arg, struct diag *d)
{
    json_t *mt;
    int r = describe_one(s, arg, &mt, d), ret;
    const char *state = efsutil_str(mt, "LifeCycleState");

    ret = r < 0 ? -1 : r == 0 || (state && strcmp(state, "deleted") == 0);
    json_decref(mt);
    return ret;
}

/*
 * DeleteMountTarget (already gone counts as done), then wait until DescribeMountTargets no
 * longer lists it: AWS deletes asynchronously, and until then neither its file system nor its
 * subnet nor its security groups can be deleted.
 */
static int mt_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    char what[128];

    if (resutil_remove(s, live, how, d) < 0)
        return -1;
    snprintf(what, sizeof(what), "efs.mount_target %s: still deleting", live->id);
    return efsutil_wait(s, is_gone, live->id, EFSUTIL_WAIT, what, d);
}

/*
 * One DescribeMountTargets of the mount target: "available" is ready (live's attributes are
 * refreshed, the security groups aside), "creating" (or not listed yet) is not, anything else
 * ("error", "deleting") failed for good.
 */
static int mt_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    json_t *mt, *now;
    const char *state;
    int r = describe_one(s, live->id, &mt, d);

    if (r <= 0)
        return r;
    state = efsutil_str(mt, "LifeCycleState");
    if (state && strcmp(state, "available") == 0) {
        now = resutil_read(attrs, mt);
        json_object_update(live->attrs, now);
        json_decref(now);
        r = 1;
    } else if (!state || strcmp(state, "creating") == 0) {
        r = 0;
    } else {
        diag_error(d, NULL, "efs.mount_target %s: state %s", live->id, state);
        r = -1;
    }
    json_decref(mt);
    return r;
}

static const struct restype_ops ops = {
    .read = mt_read,
    .create = mt_create,
    .update = mt_update,
    .remove = mt_remove,
    .del = {.op = "DeleteMountTarget", .path = "/2015-02-01/mount-targets/%s"},
    .ready = mt_ready,
    .wait_seconds = 600,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * EFS checks EC2's actions on the caller for the mount target's network interface (the EFS API
 * reference of each call lists them). */
static const char *const read_actions[] = {"elasticfilesystem:DescribeFileSystems",
                                           "elasticfilesystem:DescribeMountTargets",
                                           "elasticfilesystem:DescribeMountTargetSecurityGroups",
                                           "ec2:DescribeNetworkInterfaces",
                                           "ec2:DescribeNetworkInterfaceAttribute",
                                           NULL};
static const char *const write_actions[] = {
    "elasticfilesystem:CreateMountTarget", "elasticfilesystem:ModifyMountTargetSecurityGroups",
    "elasticfilesystem:DeleteMountTarget", "ec2:DescribeSubnets",
    "ec2:CreateNetworkInterface",          "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:DeleteNetworkInterface",          NULL};

const struct restype efs_mount_target_type = {
    .name = "efs.mount_target",
    .service = "efs",
    .doc = "An EFS mount target: the file system's NFS address in one subnet, found through the "
           "file system (it carries no tags).",
    .attrs = attrs,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
