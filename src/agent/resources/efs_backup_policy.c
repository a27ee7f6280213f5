/* efs.backup_policy: EFS's own automatic backups of a file system. */
#include "agent/resources/types.h"

/* ENABLING and DISABLING are states AWS reports, not values to ask for. */
static const char *const status_values[] = {"ENABLED", "DISABLED", NULL};

static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the policy applies to."},
    {.name = "status",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = status_values,
     .doc = "ENABLED backs the file system up daily into aws/efs/automatic-backup-vault with "
            "35-day retention, besides any backup.plan."},
    {0},
};

const struct restype efs_backup_policy_type = {
    .name = "efs.backup_policy",
    .service = "efs",
    .doc = "The backup policy of an EFS file system (PutBackupPolicy): whether EFS's automatic "
           "backups are on; it is part of the file system and carries no tags.",
    .attrs = attrs,
};
