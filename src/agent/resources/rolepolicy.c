/* An IAM role's inline and managed policies: read, set to exactly a list, removed. */
#include "agent/resources/rolepolicy.h"
#include "agent/resources/iamutil.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"

#include <stdlib.h>
#include <string.h>

/* A listing's <member> as a string (arg: the child field that holds it, or NULL), into out. */
struct strings {
    const char *field;
    json_t *out;
};

static int add_string(const struct xnode *m, void *arg, struct diag *d)
{
    const struct strings *l = arg;
    const char *t = l->field ? xdoc_text(m, l->field) : m->text;

    (void)d;
    if (t)
        json_array_append_new(l->out, json_string(t));
    return 0;
}

int rolepolicy_list(struct session *s, const char *role, json_t *inl, json_t *managed,
                    struct diag *d)
{
    struct strings names = {NULL, inl}, arns = {"PolicyArn", managed};

    if (dialect_query_list(s, "iam", "ListRolePolicies", json_pack("{s:s}", "RoleName", role),
                           "PolicyNames", add_string, &names, d) < 0)
        return -1;
    return dialect_query_list(s, "iam", "ListAttachedRolePolicies",
                              json_pack("{s:s}", "RoleName", role), "AttachedPolicies", add_string,
                              &arns, d);
}

int rolepolicy_get(struct session *s, const char *role, json_t *attrs, struct diag *d)
{
    json_t *names = json_array(), *inl = json_array(), *managed = json_array(), *n;
    size_t i;
    int ret = -1;

    if (rolepolicy_list(s, role, names, managed, d) < 0)
        goto out;
    json_array_foreach(names, i, n)
    {
        struct apicall c;
        json_t *doc = NULL;
        apicall_init(&c, service_lookup("iam"), "GetRolePolicy");
        apicall_param(&c, "RoleName", role);
        apicall_param(&c, "PolicyName", json_string_value(n));
        if (session_call(s, &c, d) == CALL_OK &&
            !(doc = iamutil_policy_parse(
                  xdoc_text(c.xml->root, "GetRolePolicyResult/PolicyDocument"))))
            diag_error(d, NULL, "iam GetRolePolicy %s %s: the document is not JSON", role,
                       json_string_value(n));
        apicall_release(&c);
        if (!doc)
            goto out;
        json_array_append_new(inl, json_pack("{s:O, s:o}", "name", n, "document", doc));
    }
    json_object_set(attrs, "inline_policies", inl);
    json_object_set(attrs, "managed_policy_arns", managed);
    ret = 0;
out:
    json_decref(names);
    json_decref(inl);
    json_decref(managed);
    return ret;
}

/* A policy's name: an inline one is {name, document}, or its name alone (a listing's); a
 * managed one is its ARN. */
static const char *policy_name(const json_t *p)
{
    return json_string_value(json_is_object(p) ? json_object_get(p, "name") : p);
}

/* The policy named name (a managed one: its ARN) in a list of policies, or NULL. */
static const json_t *find_policy(const json_t *list, const char *name)
{
    const json_t *p;
    size_t i;

    json_array_foreach(list, i, p)
    {
        const char *n = policy_name(p);
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

/* Every policy of have that want lacks, taken off the role by op (its member naming the
 * policy); gone counts as done. */
static int drop_missing(struct session *s, const char *role, const json_t *have, const json_t *want,
                        const char *op, const char *member, struct diag *d)
{
    const json_t *p;
    size_t i;

    json_array_foreach(have, i, p)
    {
        const char *n = policy_name(p);
        if (n && !find_policy(want, n) &&
            dialect_call(s, "iam", op, json_pack("{s:s, s:s}", "RoleName", role, member, n),
                         DIALECT_GONE_OK, NULL, d) < 0)
            return -1;
    }
    return 0;
}

int rolepolicy_put_inline(struct session *s, const char *role, const json_t *have,
                          const json_t *want, unsigned how, struct diag *d)
{
    const json_t *p;
    size_t i;

    json_array_foreach(want, i, p)
    {
        const char *n = policy_name(p);
        const json_t *doc = json_object_get(p, "document"), *old = find_policy(have, n);
        char *text;
        int rc;
        if (old && same_document(json_object_get(old, "document"), doc))
            continue;
        text = iamutil_policy_text(doc);
        rc = dialect_call(
            s, "iam", "PutRolePolicy",
            json_pack("{s:s, s:s, s:s}", "RoleName", role, "PolicyName", n, "PolicyDocument", text),
            how, NULL, d);
        free(text);
        if (rc < 0)
            return -1;
    }
    return drop_missing(s, role, have, want, "DeleteRolePolicy", "PolicyName", d);
}

int rolepolicy_put_managed(struct session *s, const char *role, const json_t *have,
                           const json_t *want, unsigned how, struct diag *d)
{
    const json_t *e;
    size_t i;

    json_array_foreach(want, i, e)
    {
        const char *arn = json_string_value(e);
        if (arn && !find_policy(have, arn) &&
            dialect_call(s, "iam", "AttachRolePolicy",
                         json_pack("{s:s, s:s}", "RoleName", role, "PolicyArn", arn), how, NULL,
                         d) < 0)
            return -1;
    }
    return drop_missing(s, role, have, want, "DetachRolePolicy", "PolicyArn", d);
}

int rolepolicy_remove(struct session *s, const char *role, const json_t *inl, const json_t *managed,
                      struct diag *d)
{
    json_t *none = json_array();
    int rc = rolepolicy_put_managed(s, role, managed, none, 0, d);

    if (rc == 0)
        rc = rolepolicy_put_inline(s, role, inl, none, 0, d);
    json_decref(none);
    return rc;
}
