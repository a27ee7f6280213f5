/*
 * Relabeling as Prometheus 2.42's model/relabel/relabel.go: one function per
 * action in a table, the validations of Config.UnmarshalYAML with the same
 * messages, Go's regexp.Expand for $-templates.
 */
#include "scrape/relabel.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/rx.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#define MAX_GROUPS 64

struct relabel_ctx {
    const struct relabel_rule *r;
    struct labels_builder *b;
    struct arena *a;
    const char *val;
};

const char *relabel_builder_get(const struct labels_builder *b, const char *name)
{
    for (size_t i = b->n; i > 0; i--)
        if (strcmp(b->v[i - 1].name, name) == 0)
            return b->v[i - 1].value ? b->v[i - 1].value : "";
    return "";
}

/* Go's regexp extract(): a $name or ${name} at s; returns the length used or 0. */
static size_t expand_name(const char *s, const char **name, size_t *nlen, long *num)
{
    int brace = 0;
    size_t i = 0, start;

    if (s[0] != '$' || s[1] == 0)
        return 0;
    if (s[1] == '{') {
        brace = 1;
        start = 2;
    } else {
        start = 1;
    }
    while (s[start + i] && (isalnum((unsigned char)s[start + i]) || s[start + i] == '_' ||
                            (unsigned char)s[start + i] >= 0x80))
        i++;
    if (i == 0)
        return 0;
    *name = s + start;
    *nlen = i;
    if (brace) {
        if (s[start + i] != '}')
            return 0;
        i++;
    }
    *num = 0;
    for (size_t k = 0; k < *nlen; k++) {
        if ((*name)[k] < '0' || (*name)[k] > '9' || *num >= 100000000) {
            *num = -1;
            break;
        }
        *num = *num * 10 + ((*name)[k] - '0');
    }
    if ((*name)[0] == '0' && *nlen > 1)
        *num = -1;
    return start + i;
}

void relabel_expand(struct strbuf *out, const char *tmpl, const struct rx *rx, const char *subject,
                    const struct rx_span *g, int ngroups)
{
    const char *p = tmpl;

    while (*p) {
        const char *dollar = strchr(p, '$');
        const char *name;
        size_t nlen, used;
        long num;
        int idx = -1;

        if (!dollar) {
            strbuf_adds(out, p);
            return;
        }
        strbuf_add(out, p, (size_t)(dollar - p));
        p = dollar;
        if (p[1] == '$') {
            strbuf_addc(out, '$');
            p += 2;
            continue;
        }
        used = expand_name(p, &name, &nlen, &num);
        if (!used) {
            strbuf_addc(out, '$');
            p++;
            continue;
        }
        p += used;
        if (num >= 0) {
            idx = num < ngroups ? (int)num : -1;
        } else {
            char buf[256];
            if (nlen < sizeof(buf)) {
                memcpy(buf, name, nlen);
                buf[nlen] = 0;
                idx = rx_group_index(rx, buf);
            }
        }
        if (idx >= 0 && idx < ngroups && g[idx].start >= 0)
            strbuf_add(out, subject + g[idx].start, (size_t)(g[idx].end - g[idx].start));
    }
}

static char *expand_dup(struct arena *a, const char *tmpl, const struct rx *rx, const char *subject,
                        const struct rx_span *g, int ngroups)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;

    relabel_expand(&sb, tmpl, rx, subject, g, ngroups);
    s = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return s;
}

static int act_replace(struct relabel_ctx *c)
{
    struct rx_span g[MAX_GROUPS];
    int n = rx_ngroups(c->r->rx) + 1;
    const char *target, *res;

    if (n > MAX_GROUPS)
        n = MAX_GROUPS;
    if (!rx_match_groups(c->r->rx, c->val, strlen(c->val), g, n))
        return 1;
    target = expand_dup(c->a, c->r->target_label, c->r->rx, c->val, g, n);
    if (!labels_valid_name(target, strlen(target))) {
        labels_builder_del(c->b, c->r->target_label);
        return 1;
    }
    res = expand_dup(c->a, c->r->replacement, c->r->rx, c->val, g, n);
    if (!*res) {
        labels_builder_del(c->b, c->r->target_label);
        return 1;
    }
    labels_builder_set(c->b, target, res);
    return 1;
}

static int act_keep(struct relabel_ctx *c)
{
    return rx_match(c->r->rx, c->val, strlen(c->val));
}

static int act_drop(struct relabel_ctx *c)
{
    return !rx_match(c->r->rx, c->val, strlen(c->val));
}

static int act_keepequal(struct relabel_ctx *c)
{
    return strcmp(relabel_builder_get(c->b, c->r->target_label), c->val) == 0;
}

static int act_dropequal(struct relabel_ctx *c)
{
    return strcmp(relabel_builder_get(c->b, c->r->target_label), c->val) != 0;
}

static int act_hashmod(struct relabel_ctx *c)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    uint64_t h = 0;

    EVP_Digest(c->val, strlen(c->val), md, &mdlen, EVP_md5(), NULL);
    /* Prometheus uses the last 8 bytes of the digest, big-endian. */
    for (int i = 8; i < 16; i++)
        h = (h << 8) | md[i];
    labels_builder_set(c->b, c->r->target_label,
                       arena_printf(c->a, "%llu", (unsigned long long)(h % c->r->modulus)));
    return 1;
}

static int act_case(struct relabel_ctx *c, int upper)
{
    char *s = arena_strdup(c->a, c->val);

    for (char *p = s; *p; p++)
        *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
    labels_builder_set(c->b, c->r->target_label, s);
    return 1;
}

static int act_lowercase(struct relabel_ctx *c)
{
    return act_case(c, 0);
}

static int act_uppercase(struct relabel_ctx *c)
{
    return act_case(c, 1);
}

/* The builder's pairs before this rule, since labelmap/labeldrop change it while reading. */
static struct label *snapshot(struct relabel_ctx *c, size_t *n)
{
    struct label *v = arena_alloc(c->a, (c->b->n + 1) * sizeof(*v));
    size_t k = 0;

    for (size_t i = 0; i < c->b->n; i++)
        if (c->b->v[i].value && *c->b->v[i].value)
            v[k++] = c->b->v[i];
    *n = k;
    return v;
}

static int act_labelmap(struct relabel_ctx *c)
{
    struct rx_span g[MAX_GROUPS];
    int ng = rx_ngroups(c->r->rx) + 1;
    size_t n;
    struct label *v = snapshot(c, &n);

    if (ng > MAX_GROUPS)
        ng = MAX_GROUPS;
    for (size_t i = 0; i < n; i++) {
        if (!rx_match_groups(c->r->rx, v[i].name, strlen(v[i].name), g, ng))
            continue;
        labels_builder_set(c->b, expand_dup(c->a, c->r->replacement, c->r->rx, v[i].name, g, ng),
                           v[i].value);
    }
    return 1;
}

static int act_labelfilter(struct relabel_ctx *c, int keep)
{
    size_t n;
    struct label *v = snapshot(c, &n);

    for (size_t i = 0; i < n; i++)
        if (rx_match(c->r->rx, v[i].name, strlen(v[i].name)) != keep)
            labels_builder_del(c->b, v[i].name);
    return 1;
}

static int act_labeldrop(struct relabel_ctx *c)
{
    return act_labelfilter(c, 0);
}

static int act_labelkeep(struct relabel_ctx *c)
{
    return act_labelfilter(c, 1);
}

/* Which fields an action needs and allows, as Config.UnmarshalYAML checks them. */
enum {
    NEEDS_TARGET = 1,     /* target_label required */
    TARGET_TEMPLATE = 2,  /* target_label must match relabelTarget */
    TARGET_NAME = 4,      /* target_label must be a valid label name */
    NO_REPLACEMENT = 8,   /* replacement must be the default */
    ONLY_SRC_TARGET = 16, /* keepequal/dropequal */
    ONLY_REGEX = 32,      /* labeldrop/labelkeep */
    NEEDS_MODULUS = 64,
    REPL_TEMPLATE = 128, /* replacement must match relabelTarget */
};

static const struct {
    const char *name;
    enum relabel_action act;
    int (*fn)(struct relabel_ctx *c);
    int rules;
} actions[] = {
    {"replace", RELABEL_REPLACE, act_replace, NEEDS_TARGET | TARGET_TEMPLATE},
    {"keep", RELABEL_KEEP, act_keep, 0},
    {"drop", RELABEL_DROP, act_drop, 0},
    {"keepequal", RELABEL_KEEPEQUAL, act_keepequal,
     NEEDS_TARGET | TARGET_TEMPLATE | NO_REPLACEMENT | ONLY_SRC_TARGET},
    {"dropequal", RELABEL_DROPEQUAL, act_dropequal,
     NEEDS_TARGET | TARGET_TEMPLATE | NO_REPLACEMENT | ONLY_SRC_TARGET},
    {"hashmod", RELABEL_HASHMOD, act_hashmod, NEEDS_TARGET | TARGET_NAME | NEEDS_MODULUS},
    {"labelmap", RELABEL_LABELMAP, act_labelmap, REPL_TEMPLATE},
    {"labeldrop", RELABEL_LABELDROP, act_labeldrop, ONLY_REGEX},
    {"labelkeep", RELABEL_LABELKEEP, act_labelkeep, ONLY_REGEX},
    {"lowercase", RELABEL_LOWERCASE, act_lowercase,
     NEEDS_TARGET | TARGET_TEMPLATE | NO_REPLACEMENT},
    {"uppercase", RELABEL_UPPERCASE, act_uppercase,
     NEEDS_TARGET | TARGET_TEMPLATE | NO_REPLACEMENT},
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

void relabel_rule_defaults(struct relabel_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->separator = ";";
    r->regex = "(.*)";
    r->target_label = "";
    r->replacement = "$1";
    r->action = "replace";
}

/* Prometheus's relabelTarget: `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`. */
static int valid_target(const char *s)
{
    static const char pat[] = "(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+";
    char err[128];
    struct rx *rx = rx_new(pat, sizeof(pat) - 1, RX_ANCHORED, err, sizeof(err));
    int ok = rx && rx_match(rx, s, strlen(s));

    rx_free(rx);
    return ok;
}

int relabel_rule_compile(struct relabel_rule *r, struct diag *d)
{
    char err[256], lower[32];
    size_t i, k;
    int rules;

    for (k = 0; r->action[k] && k + 1 < sizeof(lower); k++)
        lower[k] = (char)tolower((unsigned char)r->action[k]);
    lower[k] = 0;
    for (i = 0; i < NACTIONS; i++)
        if (strcmp(actions[i].name, lower) == 0 && !r->action[k])
            break;
    if (i == NACTIONS) {
        diag_error(d, &r->loc, "unknown relabel action \"%s\"", r->action);
        return -1;
    }
    r->act = actions[i].act;
    rules = actions[i].rules;
    if ((rules & NEEDS_MODULUS) && r->modulus == 0) {
        diag_error(d, &r->loc, "relabel configuration for hashmod requires non-zero modulus");
        return -1;
    }
    if ((rules & NEEDS_TARGET) && !*r->target_label) {
        diag_error(d, &r->loc, "relabel configuration for %s action requires 'target_label' value",
                   lower);
        return -1;
    }
    if (((rules & TARGET_TEMPLATE) && !valid_target(r->target_label)) ||
        ((rules & TARGET_NAME) && !labels_valid_name(r->target_label, strlen(r->target_label)))) {
        diag_error(d, &r->loc, "\"%s\" is invalid 'target_label' for %s action", r->target_label,
                   lower);
        return -1;
    }
    if ((rules & NO_REPLACEMENT) && strcmp(r->replacement, "$1") != 0) {
        diag_error(d, &r->loc, "'replacement' can not be set for %s action", lower);
        return -1;
    }
    if ((rules & REPL_TEMPLATE) && !valid_target(r->replacement)) {
        diag_error(d, &r->loc, "\"%s\" is invalid 'replacement' for %s action", r->replacement,
                   lower);
        return -1;
    }
    if ((rules & ONLY_SRC_TARGET) &&
        (strcmp(r->regex, "(.*)") != 0 || r->modulus != 0 || strcmp(r->separator, ";") != 0 ||
         strcmp(r->replacement, "$1") != 0)) {
        diag_error(
            d, &r->loc,
            "%s action requires only 'source_labels' and `target_label`, and no other fields",
            lower);
        return -1;
    }
    if ((rules & ONLY_REGEX) &&
        (r->source_labels || *r->target_label || r->modulus != 0 ||
         strcmp(r->separator, ";") != 0 || strcmp(r->replacement, "$1") != 0)) {
        diag_error(d, &r->loc, "%s action requires only 'regex', and no other fields", lower);
        return -1;
    }
    r->rx = rx_new(r->regex, strlen(r->regex), RX_ANCHORED, err, sizeof(err));
    if (!r->rx) {
        diag_error(d, &r->loc, "error parsing regexp: %s", err);
        return -1;
    }
    return 0;
}

void relabel_rule_release(struct relabel_rule *r)
{
    rx_free(r->rx);
    r->rx = NULL;
}

int relabel_process(struct labels_builder *b, const struct relabel_rule *rules, size_t n,
                    struct arena *a)
{
    for (size_t i = 0; i < n; i++) {
        const struct relabel_rule *r = &rules[i];
        struct relabel_ctx c = {r, b, a, ""};
        size_t k;

        if (r->nsource == 1) {
            c.val = relabel_builder_get(b, r->source_labels[0]);
        } else if (r->nsource > 1) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t j = 0; j < r->nsource; j++) {
                if (j)
                    strbuf_adds(&sb, r->separator);
                strbuf_adds(&sb, relabel_builder_get(b, r->source_labels[j]));
            }
            c.val = arena_strndup(a, sb.buf, sb.len);
            strbuf_release(&sb);
        }
        for (k = 0; k < NACTIONS; k++)
            if (actions[k].act == r->act)
                break;
        if (!actions[k].fn(&c))
            return 0;
    }
    return 1;
}
