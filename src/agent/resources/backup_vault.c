/* backup.vault: where AWS Backup keeps recovery points. */
#include "agent/resources/types.h"

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The vault's name (BackupVaultName): 2 to 50 letters, digits, hyphens and "
            "underscores."},
    {.name = "encryption_key_arn",
     .type = VT_ARN,
     .flags = ATTR_REPLACE,
     .doc = "The KMS key that encrypts the recovery points; AWS's aws/backup key when omitted."},
    RESTYPE_TAGS,
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The vault's ARN."},
    {0},
};

const struct restype backup_vault_type = {
    .name = "backup.vault",
    .service = "backup",
    .doc = "An AWS Backup vault: an encrypted container for recovery points.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 50,
};
