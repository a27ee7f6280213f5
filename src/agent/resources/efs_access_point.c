/* efs.access_point: an application's entry into a file system. */
#include "agent/resources/types.h"

static const struct attr posix_user_fields[] = {
    {.name = "uid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The user ID every file operation runs as."},
    {.name = "gid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The group ID every file operation runs as."},
    {.name = "secondary_gids",
     .type = VT_LIST,
     .elem = VT_POSIX_ID,
     .min = 0,
     .max = 16,
     .doc = "Further group IDs of the user."},
    {0},
};

static const struct attr creation_info_fields[] = {
    {.name = "owner_uid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The user ID that owns the root directory when EFS creates it."},
    {.name = "owner_gid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The group ID that owns the root directory when EFS creates it."},
    {.name = "permissions",
     .type = VT_OCTAL_MODE,
     .flags = ATTR_REQUIRED,
     .doc = "The mode of the root directory when EFS creates it, for example 755."},
    {0},
};

static const struct attr root_directory_fields[] = {
    {.name = "path",
     .type = VT_STRING,
     .def = "/",
     .doc = "The directory clients see as /, for example /prometheus (up to 4 levels, 100 "
            "characters)."},
    {.name = "creation_info",
     .type = VT_OBJECT,
     .fields = creation_info_fields,
     .doc = "Owner and mode EFS creates path with when it does not exist; without it a missing "
            "path fails the mount."},
    {0},
};

/* Access points cannot be changed, only tagged: every property replaces. */
static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the access point opens."},
    {.name = "posix_user",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = posix_user_fields,
     .doc = "The POSIX identity forced on every request through the access point."},
    {.name = "root_directory",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = root_directory_fields,
     .doc = "The directory exposed as the root of the file system."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The access point's ID (fsap-...), which a task volume's authorization_config "
            "takes."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The access point's ARN."},
    {0},
};

const struct restype efs_access_point_type = {
    .name = "efs.access_point",
    .service = "efs",
    .doc = "An EFS access point: an application-specific entry into a file system with its own "
           "POSIX user and root directory.",
    .attrs = attrs,
    .taggable = 1,
};
