/* backup.selection: the resources a backup plan backs up. */
#include "agent/resources/types.h"

/* There is no UpdateBackupSelection: every property replaces. */
static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The selection's name (SelectionName): 1 to 50 letters, digits and -_.."},
    {.name = "plan_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "backup.plan",
     .doc = "The plan that backs the resources up."},
    {.name = "iam_role_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "iam.role",
     .doc = "The role AWS Backup assumes to back the resources up, for example one with "
            "AWSBackupServiceRolePolicyForBackup."},
    {.name = "resources",
     .type = VT_LIST,
     .elem = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "The ARNs of the resources to back up, for example ${efs.prometheus_data.arn}."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The selection's ID (SelectionId)."},
    {0},
};

const struct restype backup_selection_type = {
    .name = "backup.selection",
    .service = "backup",
    .doc = "An AWS Backup selection: the resources a plan backs up and the role it uses; found "
           "through the plan (it carries no tags).",
    .attrs = attrs,
    .name_max = 50,
};
