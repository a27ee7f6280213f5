/* logs.log_group: a CloudWatch Logs log group. */
#include "agent/diff.h"
#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"

#include <string.h>

/* The only values PutRetentionPolicy accepts (botocore's Days shape). */
static const char *const retention_values[] = {
    "1",   "3",   "5",   "7",    "14",   "30",   "60",   "90",   "120",  "150",  "180", "365",
    "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653", NULL};

static const char *const class_values[] = {"STANDARD", "INFREQUENT_ACCESS", "DELIVERY", NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "logGroupName",
     .doc = "The log group's name (logGroupName), for example /ecs/dev-davidshaevel-grafana. It "
            "must contain the stack's name: that is how a read picks the stack's groups out of "
            "the account's without asking for every group's tags."},
    {.name = "retention_in_days",
     .type = VT_INT,
     .values = retention_values,
     .member = "retentionInDays",
     .doc = "How many days log events are kept; omitted, they never expire."},
    {.name = "kms_key_id",
     .type = VT_ARN,
     .member = "kmsKeyId",
     .doc = "The ARN of the KMS key that encrypts the log data."},
    {.name = "log_group_class",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "STANDARD",
     .values = class_values,
     .member = "logGroupClass",
     .doc = "The log class, which sets the features and price of the group."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The log group's ARN, without the :* that DescribeLogGroups appends."},
    {0},
};

#define T (&logs_log_group_type)

/* The attributes of a DescribeLogGroups item (tags aside). */
static json_t *parse_group(const json_t *g)
{
    const char *arn = json_string_value(json_object_get(g, "logGroupArn"));
    json_t *a = resmap_read(attrs, g); /* no retentionInDays: never expire */

    if (arn) {
        json_object_set_new(a, "arn", json_string(arn));
    } else if ((arn = json_string_value(json_object_get(g, "arn")))) {
        size_t n = strlen(arn);
        /* The ARN IAM policies and tagging take has no :* (which means "every stream"). */
        if (n >= 2 && strcmp(arn + n - 2, ":*") == 0)
            n -= 2;
        json_object_set_new(a, "arn", json_stringn(arn, n));
    }
    return a;
}

/* What describe() keeps: the groups whose names contain want, or are want (exact), parsed, in
 * out. */
struct wanted {
    const char *want;
    int exact;
    json_t *out;
};

static int keep_group(struct session *s, const json_t *g, void *arg, struct diag *d)
{
    const struct wanted *w = arg;
    const char *name = json_string_value(json_object_get(g, "logGroupName"));

    (void)s, (void)d;
    if (name && (w->exact ? strcmp(name, w->want) == 0 : strstr(name, w->want) != NULL))
        json_array_append_new(w->out, parse_group(g));
    return 0;
}

/* DescribeLogGroups, every page (exact: only the groups whose names start with want, which the
 * API filters), for the groups that describe() keeps. */
static int describe(struct session *s, const char *want, int exact, json_t *out, struct diag *d)
{
    struct wanted w = {want, exact, out};

    return dialect_list(s, "logs", "DescribeLogGroups",
                        exact ? json_pack("{s:s}", "logGroupNamePrefix", want) : json_object(),
                        "logGroups", keep_group, &w, d);
}

/* ListTagsForResource of a group (its attributes), into its "tags". */
static int get_tags(struct session *s, json_t *group, struct diag *d)
{
    json_t *got, *tags;

    if (dialect_call(s, "logs", "ListTagsForResource",
                     json_pack("{s:O}", "resourceArn", json_object_get(group, "arn")), 0, &got,
                     d) < 0)
        return -1;
    tags = json_object_get(got, "tags");
    json_object_set_new(group, "tags", json_is_object(tags) ? json_deep_copy(tags) : json_object());
    json_decref(got);
    return 0;
}

/*
 * DescribeLogGroups (paginated, the account's groups 50 a page) for the groups whose name
 * contains the stack's name (CloudWatch Logs cannot filter groups by tag; names hold the stack's
 * name by construction, see the name's doc), their tags from the stack's tag index (one
 * GetResources pass shared by every type's read, resources/tagindex.h).
 */
static int group_read(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    json_t *found = json_array(), *index = NULL, *a;
    size_t i;
    int ret = -1;

    if (describe(s, stack, 0, found, d) < 0)
        goto out;
    if (json_array_size(found) && tagindex_read(s, stack, &index, d) < 0)
        goto out;
    json_array_foreach(found, i, a)
    {
        const json_t *tags = tagindex_get(index, json_string_value(json_object_get(a, "arn")));
        /* Missing from the index: another stack's group, or one made seconds ago (the tagging
         * API is eventually consistent): its own tags say which. */
        if (tags)
            json_object_set_new(a, "tags", json_deep_copy(tags));
        else if (get_tags(s, a, d) < 0)
            goto out;
        resutil_add_read(set, T, stack, json_string_value(json_object_get(a, "name")),
                         json_object_get(a, "tags"), json_incref(a));
    }
    ret = 0;
out:
    json_decref(index);
    json_decref(found);
    return ret;
}

/* The one group named name (DescribeLogGroups by prefix): 1 with *out, 0 when none. */
static int describe_one(struct session *s, const char *name, json_t **out, struct diag *d)
{
    json_t *found = json_array();
    int rc = describe(s, name, 1, found, d);

    *out = json_array_size(found) ? json_incref(json_array_get(found, 0)) : NULL;
    json_decref(found);
    return rc < 0 ? -1 : *out != NULL;
}

static const struct resutil_put retention = {
    "PutRetentionPolicy", "DeleteRetentionPolicy", "logGroupName", "name", "retentionInDays", 0, 0};
static const struct resutil_put kms_key = {
    "AssociateKmsKey", "DisassociateKmsKey", "logGroupName", "name", "kmsKeyId", 0, 0};

static const struct resutil_setter setters[] = {
    {"retention_in_days", resutil_set_member, RESUTIL_EACH, &retention},
    {"kms_key_id", resutil_set_member, RESUTIL_EACH, &kms_key},
    {"tags", resutil_set_tags, RESUTIL_EACH, "arn"},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/*
 * CreateLogGroup with its tags (and KMS key and class when given), then its retention, then
 * one DescribeLogGroups for its ARN. No idempotency token: a group of that name tagged with
 * this stack and resource (a create retried after a crash) is adopted and brought to desired.
 */
static int group_create(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    const char *cls = json_string_value(json_object_get(desired, "log_group_class"));
    const json_t *kms = json_object_get(desired, "kms_key_id");
    json_t *tags = resutil_tags_want(c, desired), *body, *map = NULL, *none = NULL, *got = NULL;
    int ret = -1, made, listed;

    *out = NULL;
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name || !c->stack || !strstr(name, c->stack)) {
        diag_error(d, NULL,
                   "logs.log_group %s: the name %s does not contain the stack's name %s, by "
                   "which cairn finds the stack's log groups",
                   c->cairn_id, name ? name : "(none)", c->stack ? c->stack : "(none)");
        goto out;
    }
    resutil_tags_delta(NULL, tags, &map, &none); /* a map, without the aws:* keys AWS refuses */
    body = json_pack("{s:s, s:O}", "logGroupName", name, "tags", map);
    if (json_is_string(kms))
        json_object_set(body, "kmsKeyId", (json_t *)kms);
    if (cls && strcmp(cls, "STANDARD") != 0) /* moto takes no class: send it only when needed */
        json_object_set_new(body, "logGroupClass", json_string(cls));
    if ((made = dialect_call(s, "logs", "CreateLogGroup", body, DIALECT_TELL_EXISTS, NULL, d)) < 0)
        goto out;
    if ((listed = describe_one(s, name, &got, d)) <= 0) {
        if (listed == 0)
            diag_error(d, NULL, "logs.log_group %s: %s is not listed after its creation",
                       c->cairn_id, name);
        goto out;
    }
    if (made == DIALECT_EXISTS) {
        if (get_tags(s, got, d) < 0 ||
            resutil_adopt_check(T, c, name, json_object_get(got, "tags"), d) < 0)
            goto out;
    } else {
        json_object_set(got, "tags", tags);
    }
    *out = live_set_add(set, T, name, c->cairn_id, got);
    got = NULL;
    ret = resutil_converge(s, T, c, desired, *out, d);
out:
    json_decref(got);
    json_decref(map);
    json_decref(none);
    json_decref(tags);
    return ret;
}

static const struct restype_ops ops = {
    .read = group_read,
    .create = group_create,
    .setters = setters,
    /* DeleteLogGroup, its streams and events with it; already gone counts as done. */
    .del = {.op = "DeleteLogGroup", .member = "logGroupName", .attr = "name"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"logs:DescribeLogGroups", TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {"logs:CreateLogGroup",     "logs:ListTagsForResource",
                                            "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
                                            "logs:AssociateKmsKey",    "logs:DisassociateKmsKey",
                                            "logs:DeleteLogGroup",     NULL};

const struct restype logs_log_group_type = {
    .name = "logs.log_group",
    .service = "logs",
    .doc = "A CloudWatch Logs log group: where a container's awslogs driver sends its output.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 512,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
