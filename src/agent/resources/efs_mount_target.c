/* efs.mount_target: a file system's NFS endpoint in one subnet. */
#include "agent/live.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
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

/* A mount target's attributes: the table's, by member. */
static json_t *mt_attrs(const json_t *mt)
{
    return resmap_read(attrs, mt);
}

static int add_mt(struct session *s, const json_t *mt, void *arg, struct diag *d)
{
    json_t *got;

    (void)s, (void)d;
    if (efsutil_going(efsutil_str(mt, "LifeCycleState")))
        return 0;
    got = mt_attrs(mt);
    /* Untagged: the planner matches it by file system and subnet. */
    live_set_add(arg, &efs_mount_target_type, efsutil_str(got, "id"), NULL, got);
    return 0;
}

static int read_fs(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    return efsutil_list(s, &efsutil_mount_target, "FileSystemId", efsutil_str(fs, "FileSystemId"),
                        add_mt, arg, NULL, d);
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
        } while (dialect_next_page(&c));
        apicall_release(&c);
        if (!ok)
            return -1;
    }
    return 0;
}

/* DescribeMountTargetSecurityGroups: for a mount target whose interface EC2 did not list. */
static int read_groups(struct session *s, struct live_obj *o, struct diag *d)
{
    static const char *const soft[] = {"IncorrectMountTargetState", NULL};
    struct apicall c;
    int r;

    efsutil_init(&c, "DescribeMountTargetSecurityGroups", "GET", "mount-targets", o->id,
                 "security-groups");
    if ((r = dialect_send_codes(s, &c, DIALECT_TELL_GONE, soft, d)) == 0)
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
static int mt_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
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

/*
 * CreateMountTarget. It has no idempotency token: sent again after a crash it answers
 * MountTargetConflict (one mount target per zone), and the file system's mount target in the
 * same subnet is then adopted; one in another subnet of the zone is a real conflict. Not
 * ready at once: "creating", then "available".
 */
static int mt_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &efs_mount_target_type;
    const struct efsutil_adopt in_subnet = {"MountTargetConflict", "FileSystemId",
                                            resutil_want_str(t, desired, "file_system_id"),
                                            "SubnetId", resutil_want_str(t, desired, "subnet_id")};
    json_t *groups = json_object_get(desired, "security_groups"), *body, *mt, *got;

    *out = NULL;
    resutil_create_body(t, c, desired, NULL, body = json_object());
    if (json_array_size(groups)) /* read apart, from the network interface */
        json_object_set(body, "SecurityGroups", groups);
    if (efsutil_create(s, &efsutil_mount_target, c, desired, body, &in_subnet, &mt, d) < 0)
        return -1;
    got = mt_attrs(mt);
    json_decref(mt);
    if (json_array_size(groups))
        json_object_set(got, "security_groups", groups);
    *out = resutil_add_created(set, t, c, got, d);
    return *out ? 0 : -1;
}

/* ModifyMountTargetSecurityGroups (a setter; c and row unused): the only change in place. */
static int set_groups(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *groups = json_object_get(desired, "security_groups");
    struct apicall call;
    int r;

    (void)c, (void)row;
    efsutil_init(&call, "ModifyMountTargetSecurityGroups", "PUT", "mount-targets", live->id,
                 "security-groups");
    apicall_json(&call, json_pack("{s:o}", "SecurityGroups",
                                  json_is_array(groups) ? json_incref(groups) : json_array()));
    if ((r = dialect_send(s, &call, 0, d)) == 0)
        json_object_set(live->attrs, "security_groups",
                        json_object_get(call.body, "SecurityGroups"));
    apicall_release(&call);
    return r;
}

static const struct resutil_setter setters[] = {
    {"security_groups", set_groups, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/*
 * DeleteMountTarget (already gone counts as done), then wait until DescribeMountTargets no
 * longer lists it: AWS deletes asynchronously, and until then neither its file system nor its
 * subnet nor its security groups can be deleted.
 */
static int mt_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    if (resutil_remove(s, live, how, d) < 0)
        return -1;
    return efsutil_wait_gone(s, &efsutil_mount_target, live->id, d);
}

/*
 * One DescribeMountTargets of the mount target: "available" is ready (live's attributes are
 * refreshed, the security groups aside), "creating" (or not listed yet) is not, anything else
 * ("error", "deleting") failed for good.
 */
static int mt_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    return efsutil_ready(s, &efsutil_mount_target, live, mt_attrs, d);
}

static const struct restype_ops ops = {
    .read = mt_read,
    .create = mt_create,
    .setters = setters,
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
