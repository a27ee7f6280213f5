/* efs.mount_target: a file system's NFS endpoint in one subnet. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the mount target serves."},
    {.name = "subnet_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.subnet",
     .doc = "The subnet of the mount target, at most one per Availability Zone."},
    {.name = "security_groups",
     .type = VT_LIST,
     .elem = VT_STRING,
     .ref_type = "ec2.security_group",
     .doc = "The security groups of the mount target (ModifyMountTargetSecurityGroups); the "
            "VPC's default group when omitted."},
    {.name = "ip_address",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .doc = "The IPv4 address in the subnet; AWS picks a free one when omitted."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The mount target's ID (fsmt-...)."},
    {.name = "availability_zone_name",
     .type = VT_AZ,
     .flags = ATTR_COMPUTED,
     .doc = "The Availability Zone of the subnet."},
    {.name = "network_interface_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The network interface AWS created for the mount target (eni-...)."},
    {0},
};

const struct restype efs_mount_target_type = {
    .name = "efs.mount_target",
    .service = "efs",
    .doc = "An EFS mount target: the file system's NFS address in one subnet, found through the "
           "file system (it carries no tags).",
    .attrs = attrs,
};
