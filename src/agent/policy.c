#include "agent/policy.h"
#include "agent/resources/dialect.h"
#include "agent/resources/registry.h"
#include "aws/service.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prefixes of actions AWS checks on the caller behind cairn's calls, beyond its own services:
 * Cloud Map's hosted zones, AWS Backup's vault storage. */
static const char *const extra_prefixes[] = {"route53", "backup-storage", NULL};

static int known_prefix(const char *p, size_t n)
{
    for (const struct service *s = service_table; s->id; s++)
        if (strlen(s->signing_name) == n && strncmp(s->signing_name, p, n) == 0)
            return 1;
    for (const char *const *e = extra_prefixes; *e; e++)
        if (strlen(*e) == n && strncmp(*e, p, n) == 0)
            return 1;
    return 0;
}

int policy_action_valid(const char *action)
{
    const char *colon = action ? strchr(action, ':') : NULL;

    if (!colon || colon == action || !known_prefix(action, (size_t)(colon - action)))
        return 0;
    if (!isupper((unsigned char)colon[1]))
        return 0;
    for (const char *p = colon + 1; *p; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

int policy_action_reads(const char *action)
{
    static const char *const verbs[] = {"Describe", "List", "Get", NULL};
    const char *colon = action ? strchr(action, ':') : NULL;

    if (!colon)
        return 0;
    for (const char *const *v = verbs; *v; v++) {
        size_t n = strlen(*v);
        /* The verb, then the start of a noun: not "Getaway". */
        if (strncmp(colon + 1, *v, n) == 0 && isupper((unsigned char)colon[1 + n]))
            return 1;
    }
    return 0;
}

struct names {
    const char **v;
    size_t n, alloc;
};

static void add(struct names *a, const char *s)
{
    XGROW(a->v, a->alloc, a->n + 1);
    a->v[a->n++] = s;
}

static void add_list(struct names *a, const char *const *list)
{
    for (; list && *list; list++)
        add(a, *list);
}

/* A taggable type's tag and untag actions, by its service's dialect: an update that changes
 * tags needs both, so no type lists them itself. The strings go onto made, to be freed. */
static void add_tagging(struct names *a, struct names *made, const struct restype *t)
{
    const struct dialect *dl = t->taggable ? dialect_of(t->service) : NULL;
    const struct service *svc = dl ? service_lookup(t->service) : NULL;
    const char *ops[] = {dl ? dl->tag_op : NULL, dl ? dl->untag_op : NULL};
    char buf[128];

    for (size_t i = 0; svc && i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (!ops[i])
            continue;
        snprintf(buf, sizeof(buf), "%s:%s", svc->signing_name, ops[i]);
        add(made, xstrdup(buf));
        add(a, made->v[made->n - 1]);
    }
}

/* By prefix, then operation: "backup:X" before "backup-storage:X". */
static int cmp_action(const void *pa, const void *pb)
{
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    size_t na = strcspn(a, ":"), nb = strcspn(b, ":");
    int c = strncmp(a, b, na < nb ? na : nb);

    if (c || na == nb)
        return c ? c : strcmp(a + na, b + nb);
    return na < nb ? -1 : 1;
}

/* Sort and drop repeats. */
static void sort_unique(struct names *a)
{
    size_t j = 0;

    if (a->n)
        qsort(a->v, a->n, sizeof(*a->v), cmp_action);
    for (size_t i = 0; i < a->n; i++)
        if (!j || strcmp(a->v[j - 1], a->v[i]) != 0)
            a->v[j++] = a->v[i];
    a->n = j;
}

/* "elasticloadbalancing" -> "Elasticloadbalancing", "backup-storage" -> "BackupStorage": a Sid
 * takes only letters and digits. */
static json_t *sid_of(const char *prefix, size_t n)
{
    char sid[64];
    size_t j = 0;
    int upper = 1;

    for (size_t i = 0; i < n && j + 1 < sizeof(sid); i++) {
        if (!isalnum((unsigned char)prefix[i])) {
            upper = 1;
            continue;
        }
        sid[j++] = upper ? (char)toupper((unsigned char)prefix[i]) : prefix[i];
        upper = 0;
    }
    sid[j] = '\0';
    return json_string(sid);
}

static json_t *statement(json_t *sid, json_t *actions)
{
    return json_pack("{s:o, s:s, s:o, s:s}", "Sid", sid, "Effect", "Allow", "Action", actions,
                     "Resource", "*");
}

static int has_type(const struct restype *const *types, size_t n, const struct restype *t)
{
    for (size_t i = 0; i < n; i++)
        if (types[i] == t)
            return 1;
    return 0;
}

json_t *policy_document(const struct restype *const *types, size_t n, int write)
{
    struct names actions = {0}, passed = {0}, made = {0};
    json_t *statements = json_array(), *list = NULL;
    size_t plen = 0;

    add(&actions, "sts:GetCallerIdentity");
    for (const struct restype *const *t = registry_types; *t; t++)
        add_list(&actions, (*t)->read_actions);
    for (size_t i = 0; write && i < n; i++) {
        add_list(&actions, types[i]->write_actions);
        add_tagging(&actions, &made, types[i]);
        if (types[i]->passes_role_to)
            add(&passed, types[i]->passes_role_to);
    }
    /* cairn restore's calls, where the stack has a volume and what it is restored from. */
    for (size_t i = 0; write && i < n; i++) {
        const struct restype_restore *h = types[i]->ops ? types[i]->ops->restore : NULL;
        if (h && h->actions && has_type(types, n, h->source))
            add_list(&actions, h->actions);
    }
    sort_unique(&actions);
    sort_unique(&passed);
    /* Sorted, the actions of one prefix are next to each other. */
    for (size_t i = 0; i < actions.n; i++) {
        const char *a = actions.v[i], *colon = strchr(a, ':');
        size_t len = colon ? (size_t)(colon - a) : strlen(a);
        if (!list || len != plen || strncmp(a, actions.v[i - 1], len) != 0) {
            list = json_array();
            plen = len;
            json_array_append_new(statements, statement(sid_of(a, len), list));
        }
        json_array_append_new(list, json_string(a));
    }
    if (passed.n) {
        json_t *services = json_array(), *st;
        for (size_t i = 0; i < passed.n; i++)
            json_array_append_new(services, json_string(passed.v[i]));
        st = statement(json_string("IamPassRole"), json_pack("[s]", "iam:PassRole"));
        json_object_set_new(
            st, "Condition",
            json_pack("{s:{s:o}}", "StringEquals", "iam:PassedToService", services));
        json_array_append_new(statements, st);
    }
    for (size_t i = 0; i < made.n; i++)
        free((char *)made.v[i]);
    free(actions.v);
    free(passed.v);
    free(made.v);
    return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", statements);
}

size_t policy_size(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    size_t n = 0;

    for (const char *p = text; p && *p; p++)
        n += !isspace((unsigned char)*p);
    free(text);
    return n;
}
