/* secretsmanager.secret: a secret whose value cairn generates or is given. */
#include "agent/resources/types.h"

/* Defaults follow GetRandomPassword, so the same words mean the same thing. */
static const struct attr generate_fields[] = {
    {.name = "length",
     .type = VT_INT,
     .def = "32",
     .min = 1,
     .max = 4096,
     .doc = "The number of characters."},
    {.name = "exclude_characters",
     .type = VT_STRING,
     .doc = "Characters the value must not contain."},
    {.name = "exclude_numbers", .type = VT_BOOL, .def = "false", .doc = "Leave out digits."},
    {.name = "exclude_punctuation",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Leave out punctuation, for values that end up in URLs or shell commands."},
    {.name = "exclude_uppercase",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Leave out uppercase letters."},
    {.name = "exclude_lowercase",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Leave out lowercase letters."},
    {.name = "include_space", .type = VT_BOOL, .def = "false", .doc = "Allow the space."},
    {.name = "require_each_included_type",
     .type = VT_BOOL,
     .def = "true",
     .doc = "Include at least one character of every kind not excluded."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The secret's name: letters, digits and /_+=.@-."},
    {.name = "description", .type = VT_STRING, .doc = "What the secret is for."},
    {.name = "kms_key_id",
     .type = VT_STRING,
     .doc = "The KMS key (ID, ARN or alias) that encrypts the value; AWS's aws/secretsmanager key "
            "when omitted."},
    {.name = "generate",
     .type = VT_OBJECT,
     .fields = generate_fields,
     .doc = "How cairn makes the value with a CSPRNG when value is omitted and the secret has "
            "none yet; a value once stored is kept."},
    {.name = "value",
     .type = VT_STRING,
     .flags = ATTR_SENSITIVE,
     .doc = "The value (SecretString), when it comes from outside; cairn never prints, logs or "
            "writes it."},
    {.name = "recovery_window_in_days",
     .type = VT_INT,
     .def = "30",
     .min = 7,
     .max = 30,
     .doc = "How many days a secret deleted by cairn destroy stays restorable."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The secret's ARN, which a container's secrets take as value_from."},
    {0},
};

const struct restype secretsmanager_secret_type = {
    .name = "secretsmanager.secret",
    .service = "secretsmanager",
    .doc = "A Secrets Manager secret: an encrypted value that ECS injects into containers and "
           "cairn never shows.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 512,
};
