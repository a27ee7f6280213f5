/*
 * expo_omcheck: the rules of the OpenMetrics 1.0 specification that are
 * about meaning rather than syntax, applied by a strict parser as the lines
 * go by (the conformance cases in tests/data/openmetrics-parsers):
 *
 *   families   a family's metadata (at most one HELP, TYPE and UNIT each)
 *              comes before its samples; a family appears once; no family
 *              name or sample name may clash with another family's (a
 *              counter "a" owns a, a_total and a_created);
 *   names      a sample belongs to the current family when its name is the
 *              family name plus a suffix its type allows (counter _total
 *              _created; histogram _bucket _count _sum _created;
 *              gaugehistogram _bucket _gcount _gsum; summary "" _count _sum
 *              _created; info _info; others ""), else it starts a family
 *              of type unknown; UNIT is a suffix of the name, never on info
 *              or stateset;
 *   grouping   the samples of one label set (le and quantile aside) are
 *              contiguous; a series repeats only with timestamps, never
 *              going backwards;
 *   values     counters, counts, bucket values and sums are neither NaN nor
 *              negative (a histogram with negative buckets has no _sum, a
 *              gaugehistogram's _gsum may be negative only with them); info
 *              is 1, stateset 0 or 1 and carries its own name as a label;
 *              quantile is in [0, 1]; le is a number, infinity spelled
 *              "+Inf" (canonical), buckets increase in le and never
 *              decrease in value, the last is +Inf and equals _count;
 *              _count and _sum come together;
 *   exemplars  only on counter _total and (gauge)histogram _bucket samples,
 *              at most 128 characters of labels (expo_om.c).
 */
#include "metrics/expo_int.h"
#include "core/hash.h"
#include "core/xmalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing sets; a zero hash is stored as 1. */
struct set {
    uint64_t *h;
    char **s; /* NULL for a set of hashes */
    size_t n, cap;
};

static uint64_t nz(uint64_t h)
{
    return h ? h : 1;
}

static int set_has(const struct set *st, uint64_t h, const char *s)
{
    if (!st->cap)
        return 0;
    h = nz(h);
    for (size_t i = h & (st->cap - 1);; i = (i + 1) & (st->cap - 1)) {
        if (!st->h[i])
            return 0;
        if (st->h[i] == h && (!st->s || strcmp(st->s[i], s) == 0))
            return 1;
    }
}

static void set_add(struct set *st, uint64_t h, const char *s, int strings);

static void set_grow(struct set *st, int strings)
{
    struct set old = *st;
    st->cap = old.cap ? old.cap * 2 : 64;
    st->n = 0;
    st->h = xcalloc(st->cap, sizeof(*st->h));
    st->s = strings ? xcalloc(st->cap, sizeof(*st->s)) : NULL;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.h[i])
            continue;
        size_t j = old.h[i] & (st->cap - 1);
        while (st->h[j])
            j = (j + 1) & (st->cap - 1);
        st->h[j] = old.h[i];
        if (strings)
            st->s[j] = old.s[i];
        st->n++;
    }
    free(old.h);
    free(old.s);
}

static void set_add(struct set *st, uint64_t h, const char *s, int strings)
{
    if ((st->n + 1) * 2 > st->cap)
        set_grow(st, strings);
    h = nz(h);
    size_t i = h & (st->cap - 1);
    while (st->h[i])
        i = (i + 1) & (st->cap - 1);
    st->h[i] = h;
    if (strings)
        st->s[i] = xstrdup(s);
    st->n++;
}

static void set_clear(struct set *st)
{
    if (st->s)
        for (size_t i = 0; i < st->cap; i++)
            free(st->s[i]);
    free(st->h);
    free(st->s);
    memset(st, 0, sizeof(*st));
}

struct series_ts {
    uint64_t h;
    int has_ts;
    double ts;
};

struct expo_omstate {
    struct set claimed;     /* family and sample names owned by a family */
    struct set groups_done; /* label sets of the current family already finished */
    char *fam;
    size_t fam_len;
    enum expo_mtype type;
    int has_type, has_help, has_unit, nsamples;
    uint64_t group; /* label set (le, quantile aside) of the current group */
    int in_group;
    struct series_ts *ser; /* series of the current group */
    size_t nser, aser;
    /* The histogram checks run per label set and timestamp. */
    int hg_open, hg_has_ts;
    double hg_ts;
    int have_bucket, has_count, has_sum, has_gsum, neg_bucket, neg_gsum;
    double bucket, bvalue, count;
};

static const char *const suffixes[][5] = {
    [EXPO_UNKNOWN] = {"", NULL},
    [EXPO_COUNTER] = {"_total", "_created", NULL},
    [EXPO_GAUGE] = {"", NULL},
    [EXPO_HISTOGRAM] = {"_bucket", "_count", "_sum", "_created", NULL},
    [EXPO_GAUGEHISTOGRAM] = {"_bucket", "_gcount", "_gsum", NULL},
    [EXPO_SUMMARY] = {"", "_count", "_sum", "_created", NULL},
    [EXPO_INFO] = {"_info", NULL},
    [EXPO_STATESET] = {"", NULL},
};

static struct expo_omstate *state(struct expo_parser *p)
{
    if (!p->om)
        p->om = xcalloc(1, sizeof(*p->om));
    return p->om;
}

void expo_omcheck_free(struct expo_parser *p)
{
    struct expo_omstate *om = p->om;
    if (!om)
        return;
    set_clear(&om->claimed);
    set_clear(&om->groups_done);
    free(om->fam);
    free(om->ser);
    free(om);
    p->om = NULL;
}

static int claim(struct expo_parser *p, const char *at, const char *fam, size_t flen,
                 const char *suffix)
{
    struct expo_omstate *om = p->om;
    size_t sl = strlen(suffix);
    char *name = xmalloc(flen + sl + 1);
    memcpy(name, fam, flen);
    memcpy(name + flen, suffix, sl + 1);
    uint64_t h = hash_bytes(name, flen + sl, 0);
    int rc = 0;
    if (set_has(&om->claimed, h, name)) {
        if (*suffix)
            expo_fail(p, at, "metric family %.*s clashes with the name %s used before", (int)flen,
                      fam, name);
        else
            expo_fail(p, at, "metric family %s appears twice or clashes with another family", name);
        rc = -1;
    } else {
        set_add(&om->claimed, h, name, 1);
    }
    free(name);
    return rc;
}

static int group_end(struct expo_parser *p, const char *at)
{
    struct expo_omstate *om = p->om;
    int hist = om->type == EXPO_HISTOGRAM, ghist = om->type == EXPO_GAUGEHISTOGRAM;
    if (!om->hg_open || (!hist && !ghist))
        goto done;
    const char *f = om->fam;
    if (!om->have_bucket || !isinf(om->bucket))
        return expo_fail(p, at, "histogram %s has no +Inf bucket", f), -1;
    if (om->has_count && om->bvalue != om->count)
        return expo_fail(p, at, "histogram %s: _count differs from the +Inf bucket", f), -1;
    if (om->has_sum && !om->has_count)
        return expo_fail(p, at, "histogram %s has _sum without _count", f), -1;
    if (om->has_gsum && !om->has_count)
        return expo_fail(p, at, "gaugehistogram %s has _gsum without _gcount", f), -1;
    if (om->has_count && !om->has_sum && !om->has_gsum)
        return expo_fail(p, at, "histogram %s has a count without a sum", f), -1;
    if (om->neg_bucket && om->has_sum)
        return expo_fail(p, at, "histogram %s has negative buckets and a _sum", f), -1;
    if (!om->neg_bucket && om->neg_gsum)
        return expo_fail(p, at, "gaugehistogram %s has a negative _gsum without negative buckets",
                         f),
               -1;
done:
    om->hg_open = om->have_bucket = om->has_count = om->has_sum = om->has_gsum = 0;
    om->neg_bucket = om->neg_gsum = 0;
    return 0;
}

static int family_end(struct expo_parser *p, const char *at)
{
    struct expo_omstate *om = p->om;
    if (!om->fam)
        return 0;
    if (group_end(p, at) < 0)
        return -1;
    set_clear(&om->groups_done);
    om->in_group = 0;
    om->nser = 0;
    free(om->fam);
    om->fam = NULL;
    return 0;
}

static int family_start(struct expo_parser *p, const char *at, const char *name, size_t len)
{
    struct expo_omstate *om = p->om;
    if (family_end(p, at) < 0)
        return -1;
    om->fam = xmalloc(len + 1);
    memcpy(om->fam, name, len);
    om->fam[len] = '\0';
    om->fam_len = len;
    om->type = EXPO_UNKNOWN;
    om->has_type = om->has_help = om->has_unit = om->nsamples = 0;
    return claim(p, at, name, len, "");
}

int expo_omcheck_meta(struct expo_parser *p, enum expo_entry kind, const char *at)
{
    struct expo_omstate *om = state(p);
    const char *name = expo_str(p, p->name_off);
    static const char *const words[] = {
        [EXPO_HELP] = "HELP", [EXPO_TYPE] = "TYPE", [EXPO_UNIT] = "UNIT"};
    if (!om->fam || om->fam_len != p->name_len || memcmp(om->fam, name, p->name_len) != 0) {
        if (family_start(p, at, name, p->name_len) < 0)
            return -1;
    } else if (om->nsamples) {
        return expo_fail(p, at, "%s for %s after its samples", words[kind], name), -1;
    }
    int *seen = kind == EXPO_HELP   ? &om->has_help
                : kind == EXPO_TYPE ? &om->has_type
                                    : &om->has_unit;
    if (*seen)
        return expo_fail(p, at, "second %s line for %s", words[kind], name), -1;
    *seen = 1;
    if (kind == EXPO_TYPE) {
        om->type = p->type;
        for (const char *const *s = suffixes[p->type]; *s; s++)
            if (**s && claim(p, at, name, p->name_len, *s) < 0)
                return -1;
    }
    if (om->has_unit && (om->type == EXPO_INFO || om->type == EXPO_STATESET) && p->text_len)
        return expo_fail(p, at, "%s metric %s cannot have a unit", expo_mtype_name(om->type), name),
               -1;
    if (kind == EXPO_UNIT && p->text_len == 0)
        return 0;
    return 0;
}

static const char *suffix_of(const struct expo_omstate *om, const char *name, size_t len)
{
    if (!om->fam || len < om->fam_len || memcmp(name, om->fam, om->fam_len) != 0)
        return NULL;
    for (const char *const *s = suffixes[om->type]; *s; s++)
        if (strlen(*s) == len - om->fam_len && memcmp(name + om->fam_len, *s, strlen(*s)) == 0)
            return *s;
    return NULL;
}

/* Hash of the labels without __name__, and without le or quantile when skip names one. */
static uint64_t group_hash(const struct labels *ls, const char *skip)
{
    uint64_t h = 0x9ae16a3b2f90404full;
    for (size_t i = 0; i < ls->n; i++) {
        const char *n = ls->v[i].name;
        if (strcmp(n, LABELS_METRIC_NAME) == 0 || (skip && strcmp(n, skip) == 0))
            continue;
        h = hash_mix(h, hash_bytes(n, strlen(n), 1));
        h = hash_mix(h, hash_bytes(ls->v[i].value, strlen(ls->v[i].value), 2));
    }
    return h;
}

static int check_le(struct expo_parser *p, const char *at, const char *v, double *le)
{
    if (!v)
        return expo_fail(p, at, "histogram bucket without an le label"), -1;
    if (expo_parse_float(v, strlen(v), le) < 0 || isnan(*le))
        return expo_fail(p, at, "le=\"%s\" is not a number", v), -1;
    if (isinf(*le) && strcmp(v, "+Inf") != 0 && strcmp(v, "-Inf") != 0)
        return expo_fail(p, at, "le=\"%s\": infinity is written +Inf", v), -1;
    return 0;
}

static int values(struct expo_parser *p, const char *at, const char *sfx)
{
    struct expo_omstate *om = p->om;
    double v = p->value;
    enum expo_mtype t = om->type;
    const char *f = om->fam;
    int counterlike =
        (t == EXPO_COUNTER && !strcmp(sfx, "_total")) ||
        ((t == EXPO_HISTOGRAM || t == EXPO_GAUGEHISTOGRAM) && !strcmp(sfx, "_bucket")) ||
        ((t == EXPO_HISTOGRAM || t == EXPO_SUMMARY) &&
         (!strcmp(sfx, "_count") || !strcmp(sfx, "_sum"))) ||
        (t == EXPO_GAUGEHISTOGRAM && !strcmp(sfx, "_gcount"));
    if (counterlike && (isnan(v) || v < 0))
        return expo_fail(p, at, "%s%s cannot be NaN or negative", f, sfx), -1;
    if (t == EXPO_GAUGEHISTOGRAM && !strcmp(sfx, "_gsum") && isnan(v))
        return expo_fail(p, at, "%s_gsum cannot be NaN", f), -1;
    if (t == EXPO_INFO && v != 1)
        return expo_fail(p, at, "info metric %s must have the value 1", f), -1;
    if (t == EXPO_STATESET) {
        if (v != 0 && v != 1)
            return expo_fail(p, at, "stateset %s values are 0 or 1", f), -1;
        if (!labels_get(&p->labels, f))
            return expo_fail(p, at, "stateset %s needs a label named %s", f, f), -1;
    }
    if (t == EXPO_SUMMARY && !*sfx) {
        const char *q = labels_get(&p->labels, "quantile");
        double qv;
        if (!q)
            return expo_fail(p, at, "summary %s sample without a quantile label", f), -1;
        if (expo_parse_float(q, strlen(q), &qv) < 0 || !(qv >= 0 && qv <= 1))
            return expo_fail(p, at, "quantile=\"%s\" is not a number in [0, 1]", q), -1;
        if (v < 0)
            return expo_fail(p, at, "summary %s quantile value cannot be negative", f), -1;
    }
    return 0;
}

static int histogram(struct expo_parser *p, const char *at, const char *sfx)
{
    struct expo_omstate *om = p->om;
    const char *f = om->fam;
    om->hg_open = 1;
    if (!strcmp(sfx, "_bucket")) {
        double le;
        if (check_le(p, at, labels_get(&p->labels, "le"), &le) < 0)
            return -1;
        if (le < 0)
            om->neg_bucket = 1;
        if (om->have_bucket && le <= om->bucket)
            return expo_fail(p, at, "histogram %s buckets out of order", f), -1;
        if (om->have_bucket && p->value < om->bvalue)
            return expo_fail(p, at, "histogram %s bucket values decrease", f), -1;
        om->have_bucket = 1;
        om->bucket = le;
        om->bvalue = p->value;
    } else if (!strcmp(sfx, "_count") || !strcmp(sfx, "_gcount")) {
        om->has_count = 1;
        om->count = p->value;
    } else if (!strcmp(sfx, "_sum")) {
        om->has_sum = 1;
    } else if (!strcmp(sfx, "_gsum")) {
        om->has_gsum = 1;
        om->neg_gsum |= p->value < 0;
    }
    return 0;
}

static int grouping(struct expo_parser *p, const char *at)
{
    struct expo_omstate *om = p->om;
    const char *skip = (om->type == EXPO_HISTOGRAM || om->type == EXPO_GAUGEHISTOGRAM) ? "le"
                       : om->type == EXPO_SUMMARY                                      ? "quantile"
                                                                                       : NULL;
    uint64_t g = group_hash(&p->labels, skip);
    if (!om->in_group || g != om->group) {
        if (om->in_group) {
            if (group_end(p, at) < 0)
                return -1;
            set_add(&om->groups_done, om->group, NULL, 0);
        }
        if (set_has(&om->groups_done, g, NULL))
            return expo_fail(p, at, "samples of one label set of %s are not grouped together",
                             om->fam),
                   -1;
        om->group = g;
        om->in_group = 1;
        om->nser = 0;
    } else if (om->hg_open &&
               (p->has_ts != om->hg_has_ts || (p->has_ts && p->ts_raw != om->hg_ts))) {
        if (group_end(p, at) < 0)
            return -1;
    }
    om->hg_has_ts = p->has_ts;
    om->hg_ts = p->ts_raw;
    uint64_t h = labels_hash(&p->labels);
    for (size_t i = 0; i < om->nser; i++) {
        struct series_ts *s = &om->ser[i];
        if (s->h != h)
            continue;
        if (!s->has_ts || !p->has_ts)
            return expo_fail(p, at, "series repeated without a timestamp"), -1;
        if (p->ts_raw < s->ts)
            return expo_fail(p, at, "timestamps of a series go backwards"), -1;
        s->ts = p->ts_raw;
        return 0;
    }
    if (om->nser == om->aser) {
        om->aser = om->aser ? om->aser * 2 : 16;
        om->ser = xrealloc(om->ser, om->aser * sizeof(*om->ser));
    }
    om->ser[om->nser++] = (struct series_ts){h, p->has_ts, p->ts_raw};
    return 0;
}

int expo_omcheck_sample(struct expo_parser *p, const char *at)
{
    struct expo_omstate *om = state(p);
    const char *name = expo_str(p, p->name_off);
    const char *sfx = suffix_of(om, name, p->name_len);
    if (!sfx) {
        if (family_start(p, at, name, p->name_len) < 0)
            return -1;
        sfx = "";
    }
    om->nsamples++;
    p->type = om->type;
    if (p->has_ex) {
        int ok = (om->type == EXPO_COUNTER && !strcmp(sfx, "_total")) ||
                 ((om->type == EXPO_HISTOGRAM || om->type == EXPO_GAUGEHISTOGRAM) &&
                  !strcmp(sfx, "_bucket"));
        if (!ok)
            return expo_fail(p, at, "exemplars are not allowed on %s (a %s sample)", name,
                             expo_mtype_name(om->type)),
                   -1;
    }
    if (values(p, at, sfx) < 0 || grouping(p, at) < 0)
        return -1;
    if (om->type == EXPO_HISTOGRAM || om->type == EXPO_GAUGEHISTOGRAM)
        return histogram(p, at, sfx);
    return 0;
}

int expo_omcheck_eof(struct expo_parser *p, const char *at)
{
    state(p);
    return family_end(p, at);
}
