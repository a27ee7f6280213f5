/* iam.role: an IAM role with its trust policy, inline and managed policies. */
#include "agent/diff.h"
#include "agent/live.h"
#include "agent/resources/iamutil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct attr policy_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The policy's name (PolicyName), unique in the role."},
    {.name = "document",
     .type = VT_DOCUMENT,
     .flags = ATTR_REQUIRED,
     .doc = "The policy document (PolicyDocument), compared as JSON: a single action or "
            "statement is the same as a list of one, and key order does not matter."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The role's name (RoleName): letters, digits and +=,.@_-."},
    {.name = "description", .type = VT_STRING, .doc = "What the role is for."},
    {.name = "assume_role_policy",
     .type = VT_DOCUMENT,
     .flags = ATTR_REQUIRED,
     .doc = "The trust policy (AssumeRolePolicyDocument): who may assume the role, for example "
            "the service ecs-tasks.amazonaws.com."},
    {.name = "inline_policies",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = policy_fields,
     .doc = "Policies embedded in the role (PutRolePolicy): exactly these."},
    {.name = "managed_policy_arns",
     .type = VT_LIST,
     .elem = VT_ARN,
     .doc = "Managed policies attached to the role (AttachRolePolicy): exactly these."},
    {.name = "max_session_duration",
     .type = VT_INT,
     .def = "3600",
     .min = 3600,
     .max = 43200,
     .doc = "The longest session, in seconds, that assuming the role gives."},
    {.name = "permissions_boundary",
     .type = VT_ARN,
     .doc = "A managed policy that bounds the permissions the role can have."},
    RESTYPE_TAGS,
    {.name = "path",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The role's path, /cairn/<stack>/, which prefixes its name in the ARN: cairn makes "
            "a stack's roles under it and finds them with one ListRoles."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The role's ARN, which task definitions and backup selections take."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The role's unique ID (RoleId, AROA...)."},
    {0},
};

#define T (&iam_role_type)

static const struct service *iam(void)
{
    return service_lookup("iam");
}

/* The path every role of stack lives under. */
static void role_path(char *out, size_t n, const char *stack)
{
    snprintf(out, n, "/cairn/%s/", stack);
}

/* How iam_call() takes NoSuchEntity. */
enum {
    IAM_GONE_OK = 1 << 0, /* the role or policy is already gone: done */
    IAM_NEW_ROLE = 1 << 1 /* the role was just created: IAM, eventually consistent, may not
                           * know it yet everywhere; ask again after a pause */
};

/* Pauses before each new attempt of a call on a role just created: 15 s in all. */
static const long new_role_pauses_ms[] = {500, 1000, 2000, 4000, 8000};

/* One IAM call with NULL-terminated name/value pairs: 0, or -1 with the error in d. */
static __attribute__((sentinel)) int iam_call(struct session *s, struct diag *d, unsigned how,
                                              const char *op, ...)
{
    struct apicall c;
    struct diag why;
    const char *name;
    enum call_result rc;
    size_t tries = 0;
    va_list ap;

    apicall_init(&c, iam(), op);
    va_start(ap, op);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        apicall_param(&c, name, value ? value : "");
    }
    va_end(ap);
    diag_init(&why);
    for (;;) {
        int missing;
        rc = session_call(s, &c, &why);
        missing = rc == CALL_ERR_API && strcmp(c.err.code, "NoSuchEntity") == 0;
        if (!missing || !(how & IAM_NEW_ROLE) ||
            tries == sizeof(new_role_pauses_ms) / sizeof(new_role_pauses_ms[0]))
            break;
        resutil_pause(new_role_pauses_ms[tries++]);
        diag_clear(&why);
    }
    if (rc == CALL_ERR_API && (how & IAM_GONE_OK) && strcmp(c.err.code, "NoSuchEntity") == 0)
        rc = CALL_OK;
    else if (rc != CALL_OK)
        diag_error(d, NULL, "%s", diag_last(&why));
    diag_release(&why);
    apicall_release(&c);
    return rc == CALL_OK ? 0 : -1;
}

/* After a page of an IAM list: whether there is another, its Marker set on c. */
static int more(struct apicall *c, const char *result)
{
    char path[128];
    const char *truncated;

    snprintf(path, sizeof(path), "%s/IsTruncated", result);
    truncated = xdoc_text(c->xml->root, path);
    if (!truncated || strcmp(truncated, "true") != 0)
        return 0;
    snprintf(path, sizeof(path), "%s/Marker", result);
    return apicall_next_page(c, "Marker", path);
}

/*
 * Every page of an IAM list call (op with param=value): the text of each <member> of list in
 * the result, or of its child field, appended to out as strings.
 */
static int list_all(struct session *s, const char *op, const char *param, const char *value,
                    const char *list, const char *field, json_t *out, struct diag *d)
{
    struct apicall c;
    char result[64], path[160];
    int ret = -1;

    snprintf(result, sizeof(result), "%sResult", op);
    snprintf(path, sizeof(path), "%s/%s/member", result, list);
    apicall_init(&c, iam(), op);
    apicall_param(&c, param, value);
    do {
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        for (const struct xnode *m = xdoc_path(c.xml->root, path); m; m = xdoc_next(m)) {
            const char *t = field ? xdoc_text(m, field) : m->text;
            if (t)
                json_array_append_new(out, json_string(t));
        }
    } while (more(&c, result));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* The attributes a Role element (GetRole, CreateRole) gives; tags only when it lists them. */
static json_t *parse_role(const struct xnode *role)
{
    json_t *a = json_object(), *doc;
    const char *desc = xdoc_text(role, "Description");
    const char *max = xdoc_text(role, "MaxSessionDuration");
    const char *pb = xdoc_text(role, "PermissionsBoundary/PermissionsBoundaryArn");
    const struct xnode *tags = xdoc_child(role, "Tags");

    json_object_set_new(a, "name", json_string(xdoc_text(role, "RoleName")));
    json_object_set_new(a, "path", json_string(xdoc_text(role, "Path")));
    json_object_set_new(a, "arn", json_string(xdoc_text(role, "Arn")));
    json_object_set_new(a, "id", json_string(xdoc_text(role, "RoleId")));
    if (desc && *desc)
        json_object_set_new(a, "description", json_string(desc));
    if ((doc = iamutil_policy_parse(xdoc_text(role, "AssumeRolePolicyDocument"))))
        json_object_set_new(a, "assume_role_policy", doc);
    if (max && *max)
        json_object_set_new(a, "max_session_duration", json_integer(strtoll(max, NULL, 10)));
    if (pb && *pb)
        json_object_set_new(a, "permissions_boundary", json_string(pb));
    if (tags) {
        json_t *t = json_object();
        for (const struct xnode *m = xdoc_child(tags, "member"); m; m = xdoc_next(m)) {
            const char *k = xdoc_text(m, "Key"), *v = xdoc_text(m, "Value");
            if (k)
                json_object_set_new(t, k, json_string(v ? v : ""));
        }
        json_object_set_new(a, "tags", t);
    }
    return a;
}

/* GetRole: 1 with *out its attributes, 0 when there is no such role, -1 on error. */
static int get_role(struct session *s, const char *name, json_t **out, struct diag *d)
{
    struct apicall c;
    struct diag why;
    enum call_result rc;
    const struct xnode *role;
    int ret = -1;

    *out = NULL;
    apicall_init(&c, iam(), "GetRole");
    apicall_param(&c, "RoleName", name);
    diag_init(&why);
    if ((rc = session_call(s, &c, &why)) != CALL_OK) {
        if (rc == CALL_ERR_API && strcmp(c.err.code, "NoSuchEntity") == 0)
            ret = 0;
        else
            diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    }
    if (!(role = xdoc_path(c.xml->root, "GetRoleResult/Role"))) {
        diag_error(d, NULL, "iam GetRole %s: the response has no role", name);
        goto out;
    }
    *out = parse_role(role);
    if (!json_object_get(*out, "tags"))
        json_object_set_new(*out, "tags", json_object());
    ret = 1;
out:
    diag_release(&why);
    apicall_release(&c);
    return ret;
}

/* The role's inline policies (ListRolePolicies, then GetRolePolicy each) and attached managed
 * policies (ListAttachedRolePolicies), into role's attributes. */
static int get_policies(struct session *s, const char *name, json_t *role, struct diag *d)
{
    json_t *names = json_array(), *inl = json_array(), *managed = json_array(), *n;
    size_t i;
    int ret = -1;

    if (list_all(s, "ListRolePolicies", "RoleName", name, "PolicyNames", NULL, names, d) < 0 ||
        list_all(s, "ListAttachedRolePolicies", "RoleName", name, "AttachedPolicies", "PolicyArn",
                 managed, d) < 0)
        goto out;
    json_array_foreach(names, i, n)
    {
        struct apicall c;
        json_t *doc = NULL;
        int ok;
        apicall_init(&c, iam(), "GetRolePolicy");
        apicall_param(&c, "RoleName", name);
        apicall_param(&c, "PolicyName", json_string_value(n));
        if ((ok = session_call(s, &c, d) == CALL_OK))
            doc =
                iamutil_policy_parse(xdoc_text(c.xml->root, "GetRolePolicyResult/PolicyDocument"));
        apicall_release(&c);
        if (!doc) {
            if (ok)
                diag_error(d, NULL, "iam GetRolePolicy %s %s: the document is not JSON", name,
                           json_string_value(n));
            goto out;
        }
        json_array_append_new(inl, json_pack("{s:O, s:o}", "name", n, "document", doc));
    }
    json_object_set(role, "inline_policies", inl);
    json_object_set(role, "managed_policy_arns", managed);
    ret = 0;
out:
    json_decref(names);
    json_decref(inl);
    json_decref(managed);
    return ret;
}

/* ListRoles under path (paginated): each role's attributes as a Role element gives them (no
 * tags nor boundary: ListRoles leaves them out), in list order, appended to out. */
static int list_roles(struct session *s, const char *path, json_t *out, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    apicall_init(&c, iam(), "ListRoles");
    apicall_param(&c, "PathPrefix", path);
    do {
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        for (const struct xnode *m = xdoc_path(c.xml->root, "ListRolesResult/Roles/member"); m;
             m = xdoc_next(m))
            json_array_append_new(out, parse_role(m));
    } while (more(&c, "ListRolesResult"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* The role named name in roles (an array of attributes), or NULL. */
static json_t *role_named(const json_t *roles, const char *name)
{
    size_t i;
    json_t *r;

    json_array_foreach(roles, i, r)
    {
        if (name && strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
            return r;
    }
    return NULL;
}

/* What a RoleDetail element adds to a role ListRoles gave: tags, boundary, inline policies
 * (RolePolicyList) and attached managed ones. -1 when a policy document is not JSON. */
static int merge_detail(const struct xnode *m, json_t *role, struct diag *d)
{
    json_t *parsed = parse_role(m), *inl = json_array(), *managed = json_array();
    const struct xnode *p;

    json_object_set(role, "tags",
                    json_object_get(parsed, "tags") ? json_object_get(parsed, "tags")
                                                    : json_object());
    if (json_object_get(parsed, "permissions_boundary"))
        json_object_set(role, "permissions_boundary",
                        json_object_get(parsed, "permissions_boundary"));
    json_decref(parsed);
    for (p = xdoc_path(m, "RolePolicyList/member"); p; p = xdoc_next(p)) {
        json_t *doc = iamutil_policy_parse(xdoc_text(p, "PolicyDocument"));
        if (!doc) {
            diag_error(d, NULL,
                       "iam GetAccountAuthorizationDetails %s %s: the document is not JSON",
                       xdoc_text(m, "RoleName"), xdoc_text(p, "PolicyName"));
            json_decref(inl);
            json_decref(managed);
            return -1;
        }
        json_array_append_new(
            inl, json_pack("{s:s, s:o}", "name", xdoc_text(p, "PolicyName"), "document", doc));
    }
    for (p = xdoc_path(m, "AttachedManagedPolicies/member"); p; p = xdoc_next(p))
        if (xdoc_text(p, "PolicyArn"))
            json_array_append_new(managed, json_string(xdoc_text(p, "PolicyArn")));
    json_object_set_new(role, "inline_policies", inl);
    json_object_set_new(role, "managed_policy_arns", managed);
    json_object_set_new(role, "detailed", json_true());
    return 0;
}

/*
 * What ListRoles leaves out of the stack's roles, for all of them at once: one
 * GetAccountAuthorizationDetails of the account's roles (paginated, 1000 a page) gives each
 * role's tags, boundary, inline policies with their documents and attached managed policies,
 * where per role it would take GetRole, ListRolePolicies, GetRolePolicy per inline policy and
 * ListAttachedRolePolicies.
 */
static int add_details(struct session *s, json_t *roles, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    apicall_init(&c, iam(), "GetAccountAuthorizationDetails");
    apicall_param(&c, "Filter.member.1", "Role");
    apicall_param(&c, "MaxItems", "1000");
    do {
        const char *list = "GetAccountAuthorizationDetailsResult/RoleDetailList/member";
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        for (const struct xnode *m = xdoc_path(c.xml->root, list); m; m = xdoc_next(m)) {
            json_t *role = role_named(roles, xdoc_text(m, "RoleName"));
            if (role && merge_detail(m, role, d) < 0)
                goto out;
        }
    } while (more(&c, "GetAccountAuthorizationDetailsResult"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/*
 * ListRoles under the stack's path (paginated): one call for the stack's roles, whatever else
 * the account holds; then add_details() once for all of them. A role listed but not detailed
 * was deleted meanwhile; one whose tags name another stack is not the stack's after all.
 */
static int role_read(struct session *s, const struct restype *t, const char *stack,
                     struct live_set *set, struct diag *d)
{
    json_t *roles = json_array(), *r;
    char path[600];
    size_t i;
    int ret = -1;

    role_path(path, sizeof(path), stack);
    if (list_roles(s, path, roles, d) < 0 ||
        (json_array_size(roles) && add_details(s, roles, d) < 0))
        goto out;
    json_array_foreach(roles, i, r)
    {
        if (!json_object_get(r, "detailed"))
            continue;
        json_object_del(r, "detailed");
        resutil_add_read(set, T, stack, json_string_value(json_object_get(r, "id")),
                         json_object_get(r, "tags"), json_incref(r));
    }
    ret = 0;
out:
    json_decref(roles);
    return ret;
}

/* ---- changes ---- */

/* Tags.member.N.Key/Value of a CreateRole or TagRole. */
static void tag_params(struct apicall *c, const json_t *tags)
{
    json_t *list = resutil_tags_to_list(tags, "Key", "Value"), *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        apicall_paramf(c, json_string_value(json_object_get(e, "Key")), "Tags.member.%zu.Key",
                       i + 1);
        apicall_paramf(c, json_string_value(json_object_get(e, "Value")), "Tags.member.%zu.Value",
                       i + 1);
    }
    json_decref(list);
}

static int retag(struct session *s, const struct restype_call *c, const json_t *desired,
                 struct live_obj *o, struct diag *d)
{
    const char *name = json_string_value(json_object_get(o->attrs, "name"));
    json_t *have = json_object_get(o->attrs, "tags"), *want = resutil_tags_want(c, desired);
    json_t *add, *del, *k;
    struct apicall call;
    size_t i;
    int ret = -1;

    resutil_tags_delta(have, want, &add, &del);
    if (json_object_size(add)) {
        apicall_init(&call, iam(), "TagRole");
        apicall_param(&call, "RoleName", name);
        tag_params(&call, add);
        ret = session_call(s, &call, d) == CALL_OK ? 0 : -1;
        apicall_release(&call);
        if (ret < 0)
            goto out;
    }
    if (json_array_size(del)) {
        apicall_init(&call, iam(), "UntagRole");
        apicall_param(&call, "RoleName", name);
        json_array_foreach(del, i, k)
        {
            apicall_paramf(&call, json_string_value(k), "TagKeys.member.%zu", i + 1);
        }
        ret = session_call(s, &call, d) == CALL_OK ? 0 : -1;
        apicall_release(&call);
        if (ret < 0)
            goto out;
    }
    /* What AWS added (aws:*) stays. */
    json_object_update_missing(want, have);
    json_array_foreach(del, i, k)
    {
        json_object_del(want, json_string_value(k));
    }
    json_object_set(o->attrs, "tags", want);
    ret = 0;
out:
    json_decref(add);
    json_decref(del);
    json_decref(want);
    return ret;
}

/* The policy named name in a list of {name, document}, or NULL. */
static const json_t *find_policy(const json_t *list, const char *name)
{
    const json_t *p;
    size_t i;

    json_array_foreach(list, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && strcmp(n, name) == 0)
            return p;
    }
    return NULL;
}

static int same_document(const json_t *a, const json_t *b)
{
    json_t *na = iamutil_policy_normalize(a), *nb = iamutil_policy_normalize(b);
    int same = json_equal(na, nb);

    json_decref(na);
    json_decref(nb);
    return same;
}

/* Inline policies to exactly want: new and changed ones put first, so that no permission the
 * role keeps lapses; then the others deleted. */
static int set_inline(struct session *s, struct live_obj *o, const json_t *want, unsigned fresh,
                      struct diag *d)
{
    const char *role = json_string_value(json_object_get(o->attrs, "name"));
    const json_t *have = json_object_get(o->attrs, "inline_policies"), *p;
    size_t i;

    json_array_foreach(want, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        const json_t *doc = json_object_get(p, "document"), *old = find_policy(have, n);
        char *text;
        int rc;
        if (old && same_document(json_object_get(old, "document"), doc))
            continue;
        text = iamutil_policy_text(doc);
        rc = iam_call(s, d, fresh, "PutRolePolicy", "RoleName", role, "PolicyName", n,
                      "PolicyDocument", text, NULL);
        free(text);
        if (rc < 0)
            return -1;
    }
    json_array_foreach(have, i, p)
    {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && !find_policy(want, n) &&
            iam_call(s, d, IAM_GONE_OK, "DeleteRolePolicy", "RoleName", role, "PolicyName", n,
                     NULL) < 0)
            return -1;
    }
    json_object_set_new(o->attrs, "inline_policies", json_deep_copy(want));
    return 0;
}

static int has_str(const json_t *list, const char *s)
{
    const json_t *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        if (json_string_value(e) && strcmp(json_string_value(e), s) == 0)
            return 1;
    }
    return 0;
}

/* Managed policies to exactly want: attach the missing, then detach the others. */
static int set_managed(struct session *s, struct live_obj *o, const json_t *want, unsigned fresh,
                       struct diag *d)
{
    const char *role = json_string_value(json_object_get(o->attrs, "name"));
    const json_t *have = json_object_get(o->attrs, "managed_policy_arns"), *e;
    size_t i;

    json_array_foreach(want, i, e)
    {
        const char *arn = json_string_value(e);
        if (arn && !has_str(have, arn) &&
            iam_call(s, d, fresh, "AttachRolePolicy", "RoleName", role, "PolicyArn", arn, NULL) < 0)
            return -1;
    }
    json_array_foreach(have, i, e)
    {
        const char *arn = json_string_value(e);
        if (arn && !has_str(want, arn) &&
            iam_call(s, d, IAM_GONE_OK, "DetachRolePolicy", "RoleName", role, "PolicyArn", arn,
                     NULL) < 0)
            return -1;
    }
    json_object_set_new(o->attrs, "managed_policy_arns", json_deep_copy(want));
    return 0;
}

/* UpdateRole takes both; AWS keeps what is left out, moto clears it: send both. */
static int update_role(struct session *s, const json_t *desired, struct live_obj *o, unsigned fresh,
                       struct diag *d)
{
    const char *desc = json_string_value(json_object_get(desired, "description"));
    long long max = resutil_want_int(T, desired, "max_session_duration", 3600);
    char maxs[32];

    if (!desc)
        desc = json_string_value(json_object_get(o->attrs, "description"));
    snprintf(maxs, sizeof(maxs), "%lld", max);
    if (iam_call(s, d, fresh, "UpdateRole", "RoleName",
                 json_string_value(json_object_get(o->attrs, "name")), "Description",
                 desc ? desc : "", "MaxSessionDuration", maxs, NULL) < 0)
        return -1;
    if (desc && *desc)
        json_object_set_new(o->attrs, "description", json_string(desc));
    json_object_set_new(o->attrs, "max_session_duration", json_integer(max));
    return 0;
}

/* One changed attribute; fresh is IAM_NEW_ROLE for a role just created, else 0. */
static int update_one(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *o, const char *attr, int *role_done, unsigned fresh,
                      struct diag *d)
{
    const char *name = json_string_value(json_object_get(o->attrs, "name"));
    const json_t *v = json_object_get(desired, attr);
    json_t *empty;
    int rc;

    if (strcmp(attr, "description") == 0 || strcmp(attr, "max_session_duration") == 0) {
        if (*role_done)
            return 0;
        *role_done = 1;
        return update_role(s, desired, o, fresh, d);
    }
    if (strcmp(attr, "assume_role_policy") == 0) {
        char *text = iamutil_policy_text(v);
        rc = iam_call(s, d, fresh, "UpdateAssumeRolePolicy", "RoleName", name, "PolicyDocument",
                      text, NULL);
        free(text);
        if (rc == 0)
            json_object_set(o->attrs, attr, (json_t *)v);
        return rc;
    }
    if (strcmp(attr, "permissions_boundary") == 0) {
        if (json_string_value(v))
            rc = iam_call(s, d, fresh, "PutRolePermissionsBoundary", "RoleName", name,
                          "PermissionsBoundary", json_string_value(v), NULL);
        else
            rc = iam_call(s, d, IAM_GONE_OK, "DeleteRolePermissionsBoundary", "RoleName", name,
                          NULL);
        if (rc == 0 && json_string_value(v))
            json_object_set(o->attrs, attr, (json_t *)v);
        else if (rc == 0)
            json_object_del(o->attrs, attr);
        return rc;
    }
    if (strcmp(attr, "inline_policies") == 0 || strcmp(attr, "managed_policy_arns") == 0) {
        empty = json_is_array(v) ? json_incref((json_t *)v) : json_array();
        rc = strcmp(attr, "inline_policies") == 0 ? set_inline(s, o, empty, fresh, d)
                                                  : set_managed(s, o, empty, fresh, d);
        json_decref(empty);
        return rc;
    }
    if (strcmp(attr, "tags") == 0)
        return retag(s, c, desired, o, d);
    diag_error(d, NULL, "iam.role %s: %s cannot change in place", name, attr);
    return -1;
}

static int apply_changes(struct session *s, const struct restype_call *c, const json_t *desired,
                         struct live_obj *live, const char *const *changed, size_t nchanged,
                         unsigned fresh, struct diag *d)
{
    int role_done = 0;

    for (size_t i = 0; i < nchanged; i++)
        if (update_one(s, c, desired, live, changed[i], &role_done, fresh, d) < 0)
            return -1;
    return 0;
}

static int role_update(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const char *const *changed, size_t nchanged,
                       struct diag *d)
{
    return apply_changes(s, c, desired, live, changed, nchanged, 0, d);
}

/* The update of a role just made: IAM, eventually consistent, may not know it everywhere yet
 * (the policies of a new role). */
static int new_role_update(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const char *const *changed, size_t nchanged,
                           struct diag *d)
{
    return apply_changes(s, c, desired, live, changed, nchanged, IAM_NEW_ROLE, d);
}

/*
 * A create that found the name taken: the role is this resource's when its tags say the same
 * stack and cairn:id (a create retried after a crash) and it lies under the stack's path
 * (else no read would find it). Then *out gets its attributes, policies included.
 */
static int adopt(struct session *s, const struct restype_call *c, const char *name,
                 const char *path, json_t **out, struct diag *d)
{
    const char *p;
    json_t *a = NULL;
    int rc = get_role(s, name, &a, d), ret = -1;

    *out = NULL;
    if (rc <= 0) {
        if (rc == 0)
            diag_error(d, NULL, "iam.role %s: CreateRole says %s exists, GetRole that it does not",
                       c->cairn_id, name);
        goto out;
    }
    p = json_string_value(json_object_get(a, "path"));
    if (resutil_adopt_check(&iam_role_type, c, name, json_object_get(a, "tags"), d) < 0)
        goto out;
    if (!p || strcmp(p, path) != 0) {
        diag_error(d, NULL, "iam.role %s: the stack's role %s has the path %s, not %s", c->cairn_id,
                   name, p ? p : "(none)", path);
        goto out;
    }
    if (get_policies(s, name, a, d) < 0)
        goto out;
    *out = a;
    a = NULL;
    ret = 0;
out:
    json_decref(a);
    return ret;
}

/*
 * CreateRole under the stack's path with its tags, trust policy, description, session length
 * and boundary; then its inline and managed policies. IAM has no idempotency token: when the
 * name is taken by this resource's role (a create retried after a crash) it is adopted and
 * brought to desired.
 */
static int role_create(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    struct diag why;
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    const char *desc = json_string_value(json_object_get(desired, "description"));
    const char *pb = json_string_value(json_object_get(desired, "permissions_boundary"));
    char path[600], maxs[32], *trust = NULL;
    json_t *tags = NULL, *got = NULL;
    const struct xnode *role;
    enum call_result rc;
    int ret = -1, adopted = 0;

    *out = NULL;
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        return -1;
    if (!name || !c->stack) {
        diag_error(d, NULL, "iam.role %s: no name to give it", c->cairn_id);
        return -1;
    }
    role_path(path, sizeof(path), c->stack);
    snprintf(maxs, sizeof(maxs), "%lld",
             resutil_want_int(T, desired, "max_session_duration", 3600));
    trust = iamutil_policy_text(json_object_get(desired, "assume_role_policy"));
    tags = resutil_tags_want(c, desired);
    diag_init(&why);
    apicall_init(&call, iam(), "CreateRole");
    apicall_param(&call, "RoleName", name);
    apicall_param(&call, "Path", path);
    apicall_param(&call, "AssumeRolePolicyDocument", trust);
    if (desc && *desc)
        apicall_param(&call, "Description", desc);
    apicall_param(&call, "MaxSessionDuration", maxs);
    if (pb)
        apicall_param(&call, "PermissionsBoundary", pb);
    tag_params(&call, tags);
    rc = session_call(s, &call, &why);
    if (rc == CALL_ERR_API && strcmp(call.err.code, "EntityAlreadyExists") == 0) {
        if (adopt(s, c, name, path, &got, d) < 0)
            goto out;
        adopted = 1;
    } else if (rc != CALL_OK) {
        diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    } else if (!(role = xdoc_path(call.xml->root, "CreateRoleResult/Role"))) {
        diag_error(d, NULL, "iam.role %s: CreateRole answered without the role", c->cairn_id);
        goto out;
    } else {
        got = parse_role(role);
        if (!json_object_get(got, "tags"))
            json_object_set(got, "tags", tags);
        json_object_set_new(got, "inline_policies", json_array());
        json_object_set_new(got, "managed_policy_arns", json_array());
    }
    if (!(*out = live_set_add(set, T, json_string_value(json_object_get(got, "id")), c->cairn_id,
                              got)))
        goto out;
    got = NULL;
    ret = resutil_converge(s, T, c, desired, *out, adopted ? role_update : new_role_update, d);
out:
    json_decref(got);
    json_decref(tags);
    free(trust);
    diag_release(&why);
    apicall_release(&call);
    return ret;
}

static int remove_policies(struct session *s, const char *name, const json_t *inl,
                           const json_t *managed, struct diag *d)
{
    const json_t *e;
    size_t i;

    json_array_foreach(managed, i, e)
    {
        if (json_string_value(e) && iam_call(s, d, IAM_GONE_OK, "DetachRolePolicy", "RoleName",
                                             name, "PolicyArn", json_string_value(e), NULL) < 0)
            return -1;
    }
    json_array_foreach(inl, i, e)
    {
        const json_t *n = json_is_object(e) ? json_object_get(e, "name") : e;
        if (json_string_value(n) && iam_call(s, d, IAM_GONE_OK, "DeleteRolePolicy", "RoleName",
                                             name, "PolicyName", json_string_value(n), NULL) < 0)
            return -1;
    }
    return 0;
}

/*
 * Detach the managed policies, delete the inline ones, delete the role; gone counts as done.
 * When DeleteRole still finds policies (added since the read), they are listed afresh and
 * removed, and the role deleted once more.
 */
static int role_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    const char *name = json_string_value(json_object_get(live->attrs, "name"));
    json_t *inl = json_array(), *managed = json_array();
    struct apicall c;
    struct diag why;
    enum call_result rc;
    int ret = -1;

    (void)how;
    diag_init(&why);
    apicall_init(&c, iam(), "DeleteRole");
    if (!name) {
        diag_error(d, NULL, "iam.role %s: no name to delete it by", live->id);
        goto out;
    }
    if (remove_policies(s, name, json_object_get(live->attrs, "inline_policies"),
                        json_object_get(live->attrs, "managed_policy_arns"), d) < 0)
        goto out;
    apicall_param(&c, "RoleName", name);
    rc = session_call(s, &c, &why);
    if (rc == CALL_OK || (rc == CALL_ERR_API && strcmp(c.err.code, "NoSuchEntity") == 0)) {
        ret = 0;
        goto out;
    }
    if (rc != CALL_ERR_API || strcmp(c.err.code, "DeleteConflict") != 0) {
        diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    }
    if (list_all(s, "ListRolePolicies", "RoleName", name, "PolicyNames", NULL, inl, d) < 0 ||
        list_all(s, "ListAttachedRolePolicies", "RoleName", name, "AttachedPolicies", "PolicyArn",
                 managed, d) < 0 ||
        remove_policies(s, name, inl, managed, d) < 0)
        goto out;
    ret = iam_call(s, d, IAM_GONE_OK, "DeleteRole", "RoleName", name, NULL);
out:
    json_decref(inl);
    json_decref(managed);
    diag_release(&why);
    apicall_release(&c);
    return ret;
}

/* Policy documents compare in canonical form (iamutil.h), inline ones by name and document. */
static json_t *role_normalize(const char *attr, const json_t *v)
{
    json_t *out, *p;
    size_t i;

    if (strcmp(attr, "assume_role_policy") == 0)
        return iamutil_policy_normalize(v);
    if (strcmp(attr, "inline_policies") != 0 || !json_is_array(v))
        return NULL;
    out = json_array();
    json_array_foreach(v, i, p)
    {
        json_t *np = json_is_object(p) ? json_deep_copy(p) : json_incref(p);
        const json_t *doc = json_object_get(p, "document");
        if (json_is_object(np) && doc)
            json_object_set_new(np, "document", iamutil_policy_normalize(doc));
        json_array_append_new(out, np);
    }
    return out;
}

static const struct restype_ops ops = {
    .read = role_read,
    .create = role_create,
    .update = role_update,
    .remove = role_remove,
    .normalize = role_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"iam:ListRoles", "iam:GetAccountAuthorizationDetails",
                                           NULL};
static const char *const write_actions[] = {"iam:CreateRole",
                                            "iam:GetRole",
                                            "iam:ListRolePolicies",
                                            "iam:GetRolePolicy",
                                            "iam:ListAttachedRolePolicies",
                                            "iam:TagRole",
                                            "iam:UntagRole",
                                            "iam:UpdateRole",
                                            "iam:UpdateAssumeRolePolicy",
                                            "iam:PutRolePermissionsBoundary",
                                            "iam:DeleteRolePermissionsBoundary",
                                            "iam:PutRolePolicy",
                                            "iam:DeleteRolePolicy",
                                            "iam:AttachRolePolicy",
                                            "iam:DetachRolePolicy",
                                            "iam:DeleteRole",
                                            NULL};

const struct restype iam_role_type = {
    .name = "iam.role",
    .service = "iam",
    .doc = "An IAM role: an identity with permissions that a trusted principal, such as an ECS "
           "task, assumes. cairn keeps a stack's roles under the path /cairn/<stack>/.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 64,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
