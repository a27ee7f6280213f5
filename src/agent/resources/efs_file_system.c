/* efs.file_system: an EFS file system. */
#include "agent/resources/types.h"

static const char *const performance_values[] = {"generalPurpose", "maxIO", NULL};
static const char *const throughput_values[] = {"bursting", "provisioned", "elastic", NULL};
static const char *const to_ia_values[] = {
    "AFTER_1_DAY",   "AFTER_7_DAYS",   "AFTER_14_DAYS",  "AFTER_30_DAYS",  "AFTER_60_DAYS",
    "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS", NULL};
static const char *const to_primary_values[] = {"AFTER_1_ACCESS", NULL};

static const struct attr lifecycle_fields[] = {
    {.name = "transition_to_ia",
     .type = VT_STRING,
     .values = to_ia_values,
     .doc = "When files not accessed move to Infrequent Access."},
    {.name = "transition_to_primary_storage_class",
     .type = VT_STRING,
     .values = to_primary_values,
     .doc = "When files move back to Standard storage."},
    {.name = "transition_to_archive",
     .type = VT_STRING,
     .values = to_ia_values,
     .doc = "When files not accessed move to Archive."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "encrypted",
     .type = VT_BOOL,
     .flags = ATTR_REPLACE,
     .def = "true",
     .doc = "Whether data is encrypted at rest; cairn's default is true where the API's is "
            "false."},
    {.name = "kms_key_id",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .doc = "The KMS key (ID, ARN or alias) that encrypts the data; AWS's aws/elasticfilesystem "
            "key when omitted."},
    {.name = "performance_mode",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "generalPurpose",
     .values = performance_values,
     .doc = "The performance mode; AWS recommends generalPurpose for all file systems."},
    {.name = "throughput_mode",
     .type = VT_STRING,
     .def = "bursting",
     .values = throughput_values,
     .doc = "How throughput is provided: bursting scales with the size stored."},
    {.name = "provisioned_throughput_in_mibps",
     .type = VT_INT,
     .min = 1,
     .max = 3414,
     .doc = "The throughput in MiB/s when throughput_mode is provisioned (the upper limit "
            "depends on the Region)."},
    {.name = "availability_zone_name",
     .type = VT_AZ,
     .flags = ATTR_REPLACE,
     .doc = "For One Zone storage, the Availability Zone; omitted, the file system is Regional."},
    {.name = "lifecycle_policies",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = lifecycle_fields,
     .min = 0,
     .max = 3,
     .doc = "When files move between storage classes (PutLifecycleConfiguration); omitted or "
            "empty, they never move."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The file system's ID (fs-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The file system's ARN, which a backup selection takes."},
    /* Derived from the stack and logical name: an interrupted create is adopted, not repeated. */
    {.name = "creation_token",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED | ATTR_REPLACE,
     .doc = "The idempotency token cairn creates the file system with (CreationToken)."},
    {0},
};

const struct restype efs_file_system_type = {
    .name = "efs.file_system",
    .service = "efs",
    .doc = "An EFS file system: elastic NFS storage that tasks in the VPC mount through mount "
           "targets.",
    .attrs = attrs,
    .taggable = 1,
};
