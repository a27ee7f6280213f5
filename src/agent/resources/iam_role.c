/* iam.role: an IAM role with its trust policy, inline and managed policies. */
#include "agent/diff.h"
#include "agent/live.h"
#include "agent/resources/iamutil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/rolepolicy.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The path every role of stack lives under. */
static void role_path(char *out, size_t n, const char *stack)
{
    snprintf(out, n, "/cairn/%s/", stack);
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
    const struct xnode *role;
    int ret = -1, rc;

    *out = NULL;
    apicall_init(&c, service_lookup("iam"), "GetRole");
    apicall_param(&c, "RoleName", name);
    if ((rc = dialect_send(s, &c, DIALECT_TELL_GONE, d)) != 0) {
        ret = rc == DIALECT_GONE ? 0 : -1;
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
    apicall_release(&c);
    return ret;
}

static int add_role(const struct xnode *m, void *roles, struct diag *d)
{
    (void)d;
    json_array_append_new(roles, parse_role(m));
    return 0;
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

/* What a RoleDetail element adds to the role of roles ListRoles gave of that name: tags,
 * boundary, inline policies (RolePolicyList) and attached managed ones. -1 when a policy
 * document is not JSON. */
static int merge_detail(const struct xnode *m, void *roles, struct diag *d)
{
    json_t *role = role_named(roles, xdoc_text(m, "RoleName")), *parsed, *inl, *managed;
    const struct xnode *p;

    if (!role)
        return 0;
    parsed = parse_role(m);
    json_object_set(role, "tags",
                    json_object_get(parsed, "tags") ? json_object_get(parsed, "tags")
                                                    : json_object());
    if (json_object_get(parsed, "permissions_boundary"))
        json_object_set(role, "permissions_boundary",
                        json_object_get(parsed, "permissions_boundary"));
    json_decref(parsed);
    json_object_set_new(role, "inline_policies", inl = json_array());
    json_object_set_new(role, "managed_policy_arns", managed = json_array());
    for (p = xdoc_path(m, "RolePolicyList/member"); p; p = xdoc_next(p)) {
        json_t *doc = iamutil_policy_parse(xdoc_text(p, "PolicyDocument"));
        if (!doc) {
            diag_error(d, NULL,
                       "iam GetAccountAuthorizationDetails %s %s: the document is not JSON",
                       xdoc_text(m, "RoleName"), xdoc_text(p, "PolicyName"));
            return -1;
        }
        json_array_append_new(
            inl, json_pack("{s:s, s:o}", "name", xdoc_text(p, "PolicyName"), "document", doc));
    }
    for (p = xdoc_path(m, "AttachedManagedPolicies/member"); p; p = xdoc_next(p))
        if (xdoc_text(p, "PolicyArn"))
            json_array_append_new(managed, json_string(xdoc_text(p, "PolicyArn")));
    json_object_set_new(role, "detailed", json_true());
    return 0;
}

/*
 * ListRoles under the stack's path (paginated): one call for the stack's roles, whatever else
 * the account holds (each role's attributes as a Role element gives them: no tags nor
 * boundary). Then, for all of them at once, one GetAccountAuthorizationDetails of the
 * account's roles (paginated, 1000 a page) gives each role's tags, boundary, inline policies
 * with their documents and attached managed policies, where per role it would take GetRole,
 * ListRolePolicies, GetRolePolicy per inline policy and ListAttachedRolePolicies. A role
 * listed but not detailed was deleted meanwhile; one whose tags name another stack is not the
 * stack's after all.
 */
static int role_read(struct session *s, const struct restype *t, const char *stack,
                     struct live_set *set, struct diag *d)
{
    json_t *roles = json_array(), *r;
    char path[600];
    size_t i;
    int ret = -1;

    role_path(path, sizeof(path), stack);
    if (dialect_query_list(s, "iam", "ListRoles", json_pack("{s:s}", "PathPrefix", path), "Roles",
                           add_role, roles, d) < 0 ||
        (json_array_size(roles) &&
         dialect_query_list(s, "iam", "GetAccountAuthorizationDetails",
                            json_pack("{s:[s], s:s}", "Filter", "Role", "MaxItems", "1000"),
                            "RoleDetailList", merge_detail, roles, d) < 0))
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

/* How the setters of a role call IAM: a role just made may not be known everywhere yet. */
static unsigned role_how(const struct restype_call *c)
{
    return c->just_made ? DIALECT_JUST_MADE : 0;
}

/* The inline or managed policies (row->attr) to exactly what desired lists. */
static int set_policies(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    const char *role = json_string_value(json_object_get(o->attrs, "name"));
    const json_t *have = json_object_get(o->attrs, row->attr),
                 *v = json_object_get(desired, row->attr);
    json_t *want = json_is_array(v) ? json_deep_copy(v) : json_array();
    unsigned how = role_how(c);
    int rc = strcmp(row->attr, "inline_policies") == 0
                 ? rolepolicy_put_inline(s, role, have, want, how, d)
                 : rolepolicy_put_managed(s, role, have, want, how, d);

    if (rc == 0)
        json_object_set(o->attrs, row->attr, want);
    json_decref(want);
    return rc;
}

/* UpdateRole takes both; AWS keeps what is left out, moto clears it: send both. */
static int update_role(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    const char *desc = json_string_value(json_object_get(desired, "description"));
    long long max = resutil_want_int(T, desired, "max_session_duration", 3600);

    (void)row;
    if (!desc)
        desc = json_string_value(json_object_get(o->attrs, "description"));
    if (dialect_call(s, "iam", "UpdateRole",
                     json_pack("{s:O, s:s, s:I}", "RoleName", json_object_get(o->attrs, "name"),
                               "Description", desc ? desc : "", "MaxSessionDuration",
                               (json_int_t)max),
                     role_how(c), NULL, d) < 0)
        return -1;
    if (desc && *desc)
        json_object_set_new(o->attrs, "description", json_string(desc));
    json_object_set_new(o->attrs, "max_session_duration", json_integer(max));
    return 0;
}

/* The trust policy and the boundary: one call each. */
static const struct resutil_put trust_put = {
    .op = "UpdateAssumeRolePolicy",
    .target = "RoleName",
    .target_attr = "name",
    .member = "PolicyDocument",
};
static const struct resutil_put boundary_put = {
    .op = "PutRolePermissionsBoundary",
    .clear_op = "DeleteRolePermissionsBoundary",
    .target = "RoleName",
    .target_attr = "name",
    .member = "PermissionsBoundary",
    .clear_how = DIALECT_GONE_OK,
};

/* One UpdateRole for both of its attributes, a call per other attribute. */
static const struct resutil_setter setters[] = {
    {"description", update_role, RESUTIL_FIRST, NULL},
    {"max_session_duration", update_role, RESUTIL_FIRST, NULL},
    {"assume_role_policy", resutil_set_member, RESUTIL_EACH, &trust_put},
    {"permissions_boundary", resutil_set_member, RESUTIL_EACH, &boundary_put},
    {"inline_policies", set_policies, RESUTIL_EACH, NULL},
    {"managed_policy_arns", set_policies, RESUTIL_EACH, NULL},
    {"tags", resutil_set_tags, RESUTIL_EACH, "name"},
    {0},
};

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
    if (rolepolicy_get(s, name, a, d) < 0)
        goto out;
    *out = a;
    a = NULL;
    ret = 0;
out:
    json_decref(a);
    return ret;
}

/* CreateRole's members: the role under the stack's path with its tags, trust policy,
 * description, session length and boundary. */
static json_t *create_body(const struct restype_call *c, const json_t *desired, const char *name,
                           const char *path)
{
    const char *desc = json_string_value(json_object_get(desired, "description"));
    const json_t *pb = json_object_get(desired, "permissions_boundary");
    char *trust = iamutil_policy_text(json_object_get(desired, "assume_role_policy"));
    json_t *tags = resutil_tags_want(c, desired);
    json_t *body = json_pack("{s:s, s:s, s:s}", "RoleName", name, "Path", path,
                             "AssumeRolePolicyDocument", trust);

    if (desc && *desc)
        json_object_set_new(body, "Description", json_string(desc));
    json_object_set_new(body, "MaxSessionDuration",
                        json_integer(resutil_want_int(T, desired, "max_session_duration", 3600)));
    if (json_is_string(pb))
        json_object_set(body, "PermissionsBoundary", (json_t *)pb);
    json_object_set_new(body, "Tags", resutil_tags_to_list(tags, "Key", "Value"));
    json_decref(tags);
    free(trust);
    return body;
}

/*
 * CreateRole (create_body), then its inline and managed policies. IAM has no idempotency
 * token: when the name is taken by this resource's role (a create retried after a crash) it is
 * adopted and brought to desired.
 */
static int role_create(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    const char *name = c->physical_name ? c->physical_name : resutil_want_str(T, desired, "name");
    char path[600];
    json_t *body, *got = NULL;
    const struct xnode *role;
    struct restype_call fresh = *c;
    int ret = -1, made;

    *out = NULL;
    if (resutil_check_required(T, c->cairn_id, desired, d) < 0)
        return -1;
    if (!name || !c->stack) {
        diag_error(d, NULL, "iam.role %s: no name to give it", c->cairn_id);
        return -1;
    }
    role_path(path, sizeof(path), c->stack);
    apicall_init(&call, service_lookup("iam"), "CreateRole");
    dialect_params(&call, body = create_body(c, desired, name, path));
    if ((made = dialect_send(s, &call, DIALECT_TELL_EXISTS, d)) < 0)
        goto out;
    if (made == DIALECT_EXISTS) {
        if (adopt(s, c, name, path, &got, d) < 0)
            goto out;
    } else if (!(role = xdoc_path(call.xml->root, "CreateRoleResult/Role"))) {
        diag_error(d, NULL, "iam.role %s: CreateRole answered without the role", c->cairn_id);
        goto out;
    } else {
        got = parse_role(role);
        if (!json_object_get(got, "tags"))
            json_object_set_new(got, "tags", resutil_tags_want(c, desired));
        json_object_set_new(got, "inline_policies", json_array());
        json_object_set_new(got, "managed_policy_arns", json_array());
    }
    if (!(*out = live_set_add(set, T, json_string_value(json_object_get(got, "id")), c->cairn_id,
                              got)))
        goto out;
    got = NULL;
    fresh.just_made = made != DIALECT_EXISTS;
    ret = resutil_converge(s, T, &fresh, desired, *out, d);
out:
    json_decref(got);
    json_decref(body);
    apicall_release(&call);
    return ret;
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
    int ret = -1;

    (void)how;
    diag_init(&why);
    apicall_init(&c, service_lookup("iam"), "DeleteRole");
    if (!name) {
        diag_error(d, NULL, "iam.role %s: no name to delete it by", live->id);
        goto out;
    }
    if (rolepolicy_remove(s, name, json_object_get(live->attrs, "inline_policies"),
                          json_object_get(live->attrs, "managed_policy_arns"), d) < 0)
        goto out;
    apicall_param(&c, "RoleName", name);
    if ((ret = dialect_send(s, &c, DIALECT_GONE_OK, &why)) == 0)
        goto out;
    if (strcmp(c.err.code, "DeleteConflict") != 0) {
        diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    }
    if (rolepolicy_list(s, name, inl, managed, d) < 0 ||
        rolepolicy_remove(s, name, inl, managed, d) < 0)
        goto out;
    ret = dialect_call(s, "iam", "DeleteRole", json_pack("{s:s}", "RoleName", name),
                       DIALECT_GONE_OK, NULL, d);
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
    .setters = setters,
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
