/*
 * Key tables over ydoc maps (see cfgkeys.h), and the relabel_config table.
 */
#include "scrape/cfgkeys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/suggest.h"
#include "scrape/duration.h"

int cfgkeys_want_scalar(struct cfgkeys_ctx *x, const struct ynode *v, const char *what)
{
    if (v->kind == YNODE_SCALAR)
        return 0;
    diag_error(x->d, &v->loc, "%s must be a string, not %s", what, ydoc_kind_name(v));
    return -1;
}

int cfgkeys_want(struct cfgkeys_ctx *x, const struct ynode *v, enum ynode_kind kind,
                 const char *what)
{
    if (v->kind == kind || (kind != YNODE_SCALAR && ydoc_is_null(v)))
        return 0;
    diag_error(x->d, &v->loc, "%s must be %s, not %s", what, kind == YNODE_MAP ? "a map" : "a list",
               ydoc_kind_name(v));
    return -1;
}

/* Units of alecthomas/units Base2Bytes, as body_size_limit is written ("10MB", "1KiB"). */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *u;
        unsigned shift;
    } units[] = {{"B", 0},    {"KB", 10}, {"KiB", 10}, {"MB", 20}, {"MiB", 20}, {"GB", 30},
                 {"GiB", 30}, {"TB", 40}, {"TiB", 40}, {"PB", 50}, {"PiB", 50}};
    char *end;
    unsigned long long n;

    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    n = strtoull(s, &end, 10);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].u) == 0) {
            *out = (uint64_t)n << units[i].shift;
            return 0;
        }
    }
    return -1;
}

int cfgkeys_scalar(struct cfgkeys_ctx *x, const struct ynode *k, const struct ynode *v,
                   const struct cfgkeys_key *key, void *obj)
{
    char *field = (char *)obj + key->off;

    if (key->kind != CFGKEYS_STR && ydoc_is_null(v))
        return 0; /* a null keeps the default, as yaml.v2 does */
    if (cfgkeys_want_scalar(x, v, k->str) < 0)
        return -1;
    switch (key->kind) {
    case CFGKEYS_STR:
        *(const char **)field = ydoc_is_null(v) ? "" : v->str;
        return 0;
    case CFGKEYS_DUR:
        if (duration_parse(v->str, (int64_t *)field) == 0)
            return 0;
        diag_error(x->d, &v->loc, "not a valid duration string: \"%s\"", v->str);
        return -1;
    case CFGKEYS_BOOL:
        if (!strcasecmp(v->str, "true") || !strcasecmp(v->str, "yes") ||
            !strcasecmp(v->str, "on")) {
            *(int *)field = 1;
            return 0;
        }
        if (!strcasecmp(v->str, "false") || !strcasecmp(v->str, "no") ||
            !strcasecmp(v->str, "off")) {
            *(int *)field = 0;
            return 0;
        }
        diag_error(x->d, &v->loc, "%s must be true or false, not '%s'", k->str, v->str);
        return -1;
    case CFGKEYS_UINT: {
        char *end;
        unsigned long long n = strtoull(v->str, &end, 10);
        if (v->str[0] >= '0' && v->str[0] <= '9' && !*end) {
            *(uint64_t *)field = n;
            return 0;
        }
        diag_error(x->d, &v->loc, "%s must be a non-negative integer, not '%s'", k->str, v->str);
        return -1;
    }
    case CFGKEYS_SIZE:
        if (parse_size(v->str, (uint64_t *)field) == 0)
            return 0;
        diag_error(x->d, &v->loc, "%s: invalid size '%s' (expected a number with B, KB, MB, GB)",
                   k->str, v->str);
        return -1;
    default:
        return -1;
    }
}

int cfgkeys_map(struct cfgkeys_ctx *x, const struct ynode *m, const struct cfgkeys_key *keys,
                size_t n, void *obj, const char *where)
{
    const char *names[64];
    int rc = 0;

    if (ydoc_is_null(m))
        return 0;
    if (m->kind != YNODE_MAP) {
        diag_error(x->d, &m->loc, "%s must be a map, not %s", where, ydoc_kind_name(m));
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct ynode *k = m->keys[i], *v = m->vals[i];
        size_t j;

        for (j = 0; j < n; j++)
            if (strcmp(keys[j].name, k->str) == 0)
                break;
        if (j == n) {
            size_t nn = 0;
            char tail[160];
            for (j = 0; j < n && nn < 64; j++)
                if (keys[j].kind != CFGKEYS_UNSUPPORTED)
                    names[nn++] = keys[j].name;
            diag_error(x->d, &k->loc, "unknown key '%s' in %s%s", k->str, where,
                       suggest_tail(k->str, names, nn, "", tail, sizeof(tail)));
            rc = -1;
            continue;
        }
        if (keys[j].kind == CFGKEYS_IGNORE)
            continue;
        if (keys[j].kind == CFGKEYS_UNSUPPORTED) {
            diag_error(x->d, &k->loc,
                       "'%s' in %s is not supported by cairn-scrape (see docs/scrape.md)", k->str,
                       where);
            rc = -1;
            continue;
        }
        if (keys[j].kind == CFGKEYS_FN) {
            if (keys[j].fn(x, v, obj) < 0)
                rc = -1;
            continue;
        }
        if (cfgkeys_scalar(x, k, v, &keys[j], obj) < 0)
            rc = -1;
    }
    return rc;
}

/* A list of strings (a lone string is not accepted, as in Prometheus). */
int cfgkeys_strlist(struct cfgkeys_ctx *x, const struct ynode *v, const char ***out, size_t *n,
                    const char *what)
{
    if (cfgkeys_want(x, v, YNODE_SEQ, what) < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    *out = arena_alloc(x->a, (v->n + 1) * sizeof(**out));
    for (size_t i = 0; i < v->n; i++) {
        if (cfgkeys_want_scalar(x, v->vals[i], what) < 0)
            return -1;
        (*out)[i] = v->vals[i]->str;
    }
    *n = v->n;
    return 0;
}

/* A map of label names to values, validated as model.LabelSet. */
int cfgkeys_labels(struct cfgkeys_ctx *x, const struct ynode *v, struct labels *out)
{
    struct label *ls;
    struct labels_builder b;
    const char *dup = NULL;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_MAP, "labels") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    labels_builder_init(&b);
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *k = v->keys[i], *val = v->vals[i];
        if (!labels_valid_name(k->str, k->len)) {
            diag_error(x->d, &k->loc, "\"%s\" is not a valid label name", k->str);
            rc = -1;
            continue;
        }
        if (cfgkeys_want_scalar(x, val, k->str) < 0) {
            rc = -1;
            continue;
        }
        labels_builder_push(&b, k->str, ydoc_is_null(val) ? "" : val->str);
    }
    labels_builder_finish(&b, out, &dup);
    ls = arena_alloc(x->a, (out->n + 1) * sizeof(*ls));
    if (out->n)
        memcpy(ls, out->v, out->n * sizeof(*ls));
    out->v = ls;
    labels_builder_release(&b);
    return rc;
}

/* ---- relabel_config ---- */

static int rl_source_labels(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct relabel_rule *r = obj;
    if (cfgkeys_strlist(x, v, &r->source_labels, &r->nsource, "source_labels") < 0)
        return -1;
    for (size_t i = 0; i < r->nsource; i++) {
        if (!labels_valid_name(r->source_labels[i], strlen(r->source_labels[i]))) {
            diag_error(x->d, &v->vals[i]->loc, "\"%s\" is not a valid label name",
                       r->source_labels[i]);
            return -1;
        }
    }
    return 0;
}

static const struct cfgkeys_key relabel_keys[] = {
    {"source_labels", CFGKEYS_FN, 0, rl_source_labels},
    {"separator", CFGKEYS_STR, CFGKEYS_FIELD(struct relabel_rule, separator), NULL},
    {"regex", CFGKEYS_STR, CFGKEYS_FIELD(struct relabel_rule, regex), NULL},
    {"modulus", CFGKEYS_UINT, CFGKEYS_FIELD(struct relabel_rule, modulus), NULL},
    {"target_label", CFGKEYS_STR, CFGKEYS_FIELD(struct relabel_rule, target_label), NULL},
    {"replacement", CFGKEYS_STR, CFGKEYS_FIELD(struct relabel_rule, replacement), NULL},
    {"action", CFGKEYS_STR, CFGKEYS_FIELD(struct relabel_rule, action), NULL},
};

int cfgkeys_relabels(struct cfgkeys_ctx *x, const struct ynode *v, struct relabel_rule **out,
                     size_t *n, const char *what)
{
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, what) < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    *out = arena_alloc(x->a, (v->n + 1) * sizeof(**out));
    for (size_t i = 0; i < v->n; i++) {
        struct relabel_rule *r = &(*out)[i];
        relabel_rule_defaults(r);
        r->loc = v->vals[i]->loc;
        if (ydoc_is_null(v->vals[i])) {
            diag_error(x->d, &v->vals[i]->loc, "empty or null relabeling rule in %s", what);
            rc = -1;
            continue;
        }
        if (cfgkeys_map(x, v->vals[i], relabel_keys, sizeof(relabel_keys) / sizeof(relabel_keys[0]),
                        r, "a relabel config") < 0 ||
            relabel_rule_compile(r, x->d) < 0)
            rc = -1;
        *n = i + 1; /* compiled rules are released with the config */
    }
    return rc;
}
