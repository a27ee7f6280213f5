/* secretsmanager.secret: a secret whose value cairn generates or is given. */
#include "agent/diff.h"
#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/resources/secretsutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"
#include "core/hex.h"
#include "core/xmalloc.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
     .member = "Name",
     .doc = "The secret's name: letters, digits and /_+=.@-."},
    {.name = "description",
     .type = VT_STRING,
     .member = "Description",
     .doc = "What the secret is for."},
    {.name = "kms_key_id",
     .type = VT_STRING,
     .member = "KmsKeyId",
     .doc = "The KMS key (ID, ARN or alias) that encrypts the value; AWS's aws/secretsmanager key "
            "when omitted."},
    {.name = "generate",
     .type = VT_OBJECT,
     .fields = generate_fields,
     .doc = "How cairn makes the value with a CSPRNG when the secret is created and value is "
            "omitted. A value once stored is kept: changing these options later changes "
            "nothing."},
    {.name = "value",
     .type = VT_STRING,
     .flags = ATTR_SENSITIVE,
     .doc = "The value (SecretString), when it comes from outside; cairn never prints, logs or "
            "writes it, and never reads it back, so it is set when the secret is created and a "
            "changed value is not applied (put-secret-value does that)."},
    {.name = "recovery_window_in_days",
     .type = VT_INT,
     .def = "30",
     .min = 7,
     .max = 30,
     .doc = "How many days a secret deleted by cairn destroy stays restorable (cairn up restores "
            "it, value and all); kept as the tag cairn:recovery-window-days for the deletion."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "ARN",
     .doc = "The secret's ARN, which a container's secrets take as value_from."},
    {0},
};

#define T (&secretsmanager_secret_type)

/* Where the recovery window lives in AWS: the deletion needs it and has only what a read
 * found. The read moves it from the tags to its attribute. */
#define TAG_WINDOW "cairn:recovery-window-days"

/* 16 bytes as a UUID's 8-4-4-4-12 hex digits. */
static void uuid_format(const unsigned char b[16], char out[37])
{
    char hex[33];

    hex_encode(b, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* The ClientRequestToken of a create: the same for every run of the resource (AWS wants 32
 * to 64 characters, as the SDKs' UUIDs have). */
static void create_token(const char *token, char out[37])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)token, strlen(token), md);
    uuid_format(md, out);
}

/* A random (version 4) UUID, as the SDKs send where the caller gives no token. */
static int random_uuid(char out[37], struct diag *d)
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        diag_error(d, NULL, "the random generator failed (RAND_bytes)");
        return -1;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(b, out);
    return 0;
}

/* The attributes of a ListSecrets or DescribeSecret answer: never the value, which neither
 * carries (and cairn never asks for). */
static json_t *parse_secret(const json_t *sec)
{
    json_t *a = resmap_read(T->attrs, sec);
    json_t *tags = resutil_tags_from_list(json_object_get(sec, "Tags"), "Key", "Value");
    long long days = resutil_want_int(T, tags, TAG_WINDOW, LLONG_MIN);

    if (days != LLONG_MIN)
        json_object_set_new(a, "recovery_window_in_days", json_integer(days));
    json_object_del(tags, TAG_WINDOW);
    json_object_set_new(a, "tags", tags);
    return a;
}

/* What secret_read adds each secret to. */
struct reading {
    const char *stack;
    struct live_set *set;
};

static int read_secret(struct session *s, const json_t *sec, void *arg, struct diag *d)
{
    const struct reading *r = arg;
    json_t *a;

    (void)s, (void)d;
    if (json_object_get(sec, "DeletedDate") && !json_is_null(json_object_get(sec, "DeletedDate")))
        return 0;
    a = parse_secret(sec);
    resutil_add_read(r->set, T, r->stack, json_string_value(json_object_get(a, "arn")),
                     json_object_get(a, "tags"), a);
    return 0;
}

/*
 * ListSecrets filtered by the tag key cairn:stack and the tag value stack (paginated): the
 * stack's secrets in one call, tags included. AWS matches filter values as prefixes, so the
 * tags are checked exactly here. Secrets scheduled for deletion are not listed: they count as
 * gone, and creating one again restores it.
 */
static int secret_read(struct session *s, const struct restype *t, const char *stack,
                       struct live_set *set, struct diag *d)
{
    struct reading r = {stack, set};

    return dialect_list(s, "secretsmanager", "ListSecrets",
                        json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}], s:i}", "Filters", "Key",
                                  "tag-key", "Values", RESUTIL_TAG_STACK, "Key", "tag-value",
                                  "Values", stack, "MaxResults", 100),
                        "SecretList", read_secret, &r, d);
}

/* The tags to put on the secret: c's and the recovery window. */
static json_t *window_tags(const struct restype_call *c, const json_t *desired)
{
    json_t *tags = resutil_tags_want(c, desired);
    char days[32];

    snprintf(days, sizeof(days), "%lld",
             resutil_want_int(T, desired, "recovery_window_in_days", 30));
    json_object_set_new(tags, TAG_WINDOW, json_string(days));
    return tags;
}

/* UpdateSecret of the description and KMS key, without a value: no new version. */
static int update_secret(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    const json_t *desc = json_object_get(desired, "description");
    const json_t *kms = json_object_get(desired, "kms_key_id");
    char token[37];
    json_t *body;

    (void)c, (void)row;
    /* The SDKs always send a token; moto refuses an UpdateSecret without one. */
    if (random_uuid(token, d) < 0)
        return -1;
    body = json_pack("{s:O, s:s}", "SecretId", json_object_get(o->attrs, "arn"),
                     "ClientRequestToken", token);
    if (json_is_string(desc))
        json_object_set(body, "Description", (json_t *)desc);
    if (json_is_string(kms))
        json_object_set(body, "KmsKeyId", (json_t *)kms);
    if (dialect_call(s, "secretsmanager", "UpdateSecret", body, 0, NULL, d) < 0)
        return -1;
    if (json_is_string(desc))
        json_object_set(o->attrs, "description", (json_t *)desc);
    if (json_is_string(kms))
        json_object_set(o->attrs, "kms_key_id", (json_t *)kms);
    return 0;
}

/* The recovery window, which lives in its tag (TAG_WINDOW). */
static int set_window(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    long long days = resutil_want_int(T, desired, row->attr, 30);
    char text[32];

    (void)c;
    snprintf(text, sizeof(text), "%lld", days);
    if (dialect_call(s, "secretsmanager", "TagResource",
                     json_pack("{s:O, s:[{s:s, s:s}]}", "SecretId",
                               json_object_get(live->attrs, "arn"), "Tags", "Key", TAG_WINDOW,
                               "Value", text),
                     0, NULL, d) < 0)
        return -1;
    json_object_set_new(live->attrs, row->attr, json_integer(days));
    return 0;
}

/* generate and value only ever apply to a create (see their docs). */
static const struct resutil_setter setters[] = {
    {"description", update_secret, RESUTIL_FIRST, NULL},
    {"kms_key_id", update_secret, RESUTIL_FIRST, NULL},
    {"tags", resutil_set_tags, RESUTIL_EACH, "arn"},
    {"recovery_window_in_days", set_window, RESUTIL_EACH, NULL},
    {"generate", resutil_set_none, RESUTIL_EACH, NULL},
    {"value", resutil_set_none, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* The value to create the secret with: desired's, else one generated as desired says, else
 * NULL (a secret without a value yet). *failed when generating failed. */
static char *initial_value(const json_t *desired, int *failed, struct diag *d)
{
    const char *given = json_string_value(json_object_get(desired, "value"));
    const json_t *gen = json_object_get(desired, "generate");
    struct secretsutil_gen g;
    json_t *opts;
    char *v;

    *failed = 0;
    if (given)
        return xstrdup(given);
    if (!json_is_object(gen))
        return NULL;
    /* The table's defaults fill in what the stack leaves out. */
    opts = diff_normalize(restype_attr(T->attrs, "generate"), gen);
    g = (struct secretsutil_gen){
        .length = (size_t)json_integer_value(json_object_get(opts, "length")),
        .exclude_characters = json_string_value(json_object_get(opts, "exclude_characters")),
        .exclude_numbers = json_is_true(json_object_get(opts, "exclude_numbers")),
        .exclude_punctuation = json_is_true(json_object_get(opts, "exclude_punctuation")),
        .exclude_uppercase = json_is_true(json_object_get(opts, "exclude_uppercase")),
        .exclude_lowercase = json_is_true(json_object_get(opts, "exclude_lowercase")),
        .include_space = json_is_true(json_object_get(opts, "include_space")),
        .require_each_included_type =
            json_is_true(json_object_get(opts, "require_each_included_type")),
    };
    v = secretsutil_generate(&g, d);
    *failed = !v;
    json_decref(opts);
    return v;
}

/*
 * CreateSecret found the name taken: DescribeSecret, and when its tags say this stack and
 * resource (a create retried after a crash, or an up after a destroy), adopt it, restoring it
 * first if it is scheduled for deletion; its old value comes back with it, which is what the
 * application that uses it expects. *out gets its attributes; first is the create's error.
 */
static int adopt(struct session *s, const struct restype_call *c, const char *name,
                 const char *first, json_t **out, struct diag *d)
{
    json_t *got = NULL, *a = NULL;
    const json_t *deleted;
    struct diag why;
    int ret = -1;

    *out = NULL;
    diag_init(&why);
    if (dialect_call(s, "secretsmanager", "DescribeSecret", json_pack("{s:s}", "SecretId", name), 0,
                     &got, &why) < 0) {
        diag_error(d, NULL, "%s", first);
        goto out;
    }
    a = parse_secret(got);
    if (resutil_adopt_check(&secretsmanager_secret_type, c, name, json_object_get(a, "tags"), d) <
        0)
        goto out;
    deleted = json_object_get(got, "DeletedDate");
    if (deleted && !json_is_null(deleted) &&
        dialect_call(s, "secretsmanager", "RestoreSecret",
                     json_pack("{s:O}", "SecretId", json_object_get(a, "arn")), 0, NULL, d) < 0)
        goto out;
    *out = a;
    a = NULL;
    ret = 0;
out:
    json_decref(a);
    json_decref(got);
    diag_release(&why);
    return ret;
}

/* CreateSecret with body (taken over): 0 and *got the answer; 1 when the name is taken (by a
 * secret, or one scheduled for deletion: InvalidRequestException); -1. why says the error. The
 * value in the body is wiped before jansson frees it. */
static int send_create(struct session *s, json_t *body, json_t **got, struct diag *why)
{
    struct apicall call;
    json_t *sv;
    int rc;

    apicall_init(&call, service_lookup("secretsmanager"), "CreateSecret");
    apicall_json(&call, body);
    if ((rc = dialect_send(s, &call, 0, why)) < 0 &&
        (strcmp(call.err.code, "ResourceExistsException") == 0 ||
         strcmp(call.err.code, "InvalidRequestException") == 0))
        rc = 1;
    if ((sv = json_object_get(call.body, "SecretString")))
        OPENSSL_cleanse((char *)json_string_value(sv), json_string_length(sv));
    *got = rc == 0 && call.out ? json_incref(call.out) : NULL;
    apicall_release(&call);
    return rc;
}

/*
 * CreateSecret with its tags, description, KMS key and value (desired's, or made here with
 * OpenSSL's CSPRNG as generate says), and a ClientRequestToken derived from c->token, so a
 * create sent twice makes one secret. The value is wiped from memory cairn owns as soon as
 * the call is done, and never read back. A name already taken by this resource's secret is
 * adopted (restored first when scheduled for deletion).
 */
static int secret_create(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    char token[37];
    json_t *body = NULL, *got = NULL, *a = NULL, *tags = NULL;
    struct diag why;
    char *value = NULL;
    int failed, ret = -1, adopted;

    *out = NULL;
    diag_init(&why);
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name || !c->stack || !c->cairn_id) {
        diag_error(d, NULL, "secretsmanager.secret %s: no name to give it", c->cairn_id);
        goto out;
    }
    if (c->token)
        create_token(c->token, token);
    else if (random_uuid(token, d) < 0)
        goto out;
    value = initial_value(desired, &failed, d);
    if (failed) {
        diag_error(d, NULL, "secretsmanager.secret %s: cannot generate its value", c->cairn_id);
        goto out;
    }
    /* Name, Description, KmsKeyId and Tags (the recovery window's among them); what the
     * secret will be is read back from them. */
    body = json_pack("{s:s}", "ClientRequestToken", token);
    resutil_create_body(T, c, desired, tags = window_tags(c, desired), body);
    if (!json_string_length(json_object_get(body, "Description")))
        json_object_del(body, "Description");
    a = resmap_read(T->attrs, body);
    json_object_set_new(a, "tags", resutil_tags_want(c, desired));
    json_object_set_new(a, "recovery_window_in_days",
                        json_integer(resutil_want_int(T, desired, "recovery_window_in_days", 30)));
    if (value) {
        json_t *sv = json_string(value);
        secretsutil_free(value);
        value = NULL;
        json_object_set_new(body, "SecretString", sv);
    }
    if ((adopted = send_create(s, body, &got, &why)) < 0) {
        diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    }
    if (adopted) {
        json_decref(a);
        if (adopt(s, c, name, diag_last(&why), &a, d) < 0)
            goto out;
    } else if (json_object_get(got, "ARN")) {
        json_object_set(a, "arn", json_object_get(got, "ARN"));
    }
    if (!json_string_value(json_object_get(a, "arn"))) {
        diag_error(d, NULL, "secretsmanager.secret %s: no ARN for %s", c->cairn_id, name);
        goto out;
    }
    *out = live_set_add(set, T, json_string_value(json_object_get(a, "arn")), c->cairn_id, a);
    a = NULL;
    ret = adopted ? resutil_converge(s, T, c, desired, *out, d) : 0;
out:
    secretsutil_free(value);
    json_decref(a);
    json_decref(got);
    json_decref(tags);
    diag_release(&why);
    return ret;
}

/*
 * DeleteSecret: with the recovery window the read found (30 days if none), or at once
 * (ForceDeleteWithoutRecovery) when the operator asked for RESTYPE_REMOVE_NOW. A secret that
 * is gone, or already scheduled for deletion, counts as removed.
 */
static int secret_remove(struct session *s, const struct live_obj *live, unsigned how,
                         struct diag *d)
{
    const json_t *arn = json_object_get(live->attrs, "arn");
    long long days = resutil_want_int(T, live->attrs, "recovery_window_in_days", 30);
    struct apicall c;
    struct diag why;
    int ret;

    apicall_init(&c, service_lookup("secretsmanager"), "DeleteSecret");
    if (how & RESTYPE_REMOVE_NOW)
        apicall_json(&c, json_pack("{s:O, s:b}", "SecretId", arn, "ForceDeleteWithoutRecovery", 1));
    else
        apicall_json(
            &c, json_pack("{s:O, s:I}", "SecretId", arn, "RecoveryWindowInDays", (json_int_t)days));
    diag_init(&why);
    ret = dialect_send(s, &c, DIALECT_GONE_OK, &why);
    if (ret < 0 && strcmp(c.err.code, "InvalidRequestException") == 0 &&
        (strstr(c.err.message, "deleted") || strstr(c.err.message, "deletion")))
        ret = 0;
    else if (ret < 0)
        diag_error(d, NULL, "%s", diag_last(&why));
    diag_release(&why);
    apicall_release(&c);
    return ret;
}

/*
 * The value is never read back and generate only says how a create makes it: neither can
 * differ from what AWS has, so both compare as their defaults (nothing).
 */
static json_t *secret_normalize(const char *attr, const json_t *v)
{
    (void)v;
    if (strcmp(attr, "generate") == 0)
        return json_object();
    if (strcmp(attr, "value") == 0)
        return json_null();
    return NULL;
}

static const struct restype_ops ops = {
    .read = secret_read,
    .create = secret_create,
    .setters = setters,
    .remove = secret_remove,
    .normalize = secret_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * DescribeSecret: a create that finds the name taken looks at the secret to adopt or restore it. */
static const char *const read_actions[] = {"secretsmanager:ListSecrets", NULL};
static const char *const write_actions[] = {
    "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:RestoreSecret",
    "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret",   NULL};

const struct restype secretsmanager_secret_type = {
    .name = "secretsmanager.secret",
    .service = "secretsmanager",
    .doc = "A Secrets Manager secret: an encrypted value that ECS injects into containers and "
           "cairn never shows.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 512,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
