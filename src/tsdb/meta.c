/* meta: read and write meta.json (layout in meta.h). */
#include "tsdb/meta.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tsdb/fsutil.h"

void meta_init(struct meta *m)
{
    memset(m, 0, sizeof *m);
    m->version = 1;
    m->level = 1;
}

void meta_release(struct meta *m)
{
    free(m->sources);
    free(m->parents);
    memset(m, 0, sizeof *m);
}

void meta_add_source(struct meta *m, const char *ulid)
{
    for (size_t i = 0; i < m->nsources; i++)
        if (strcmp(m->sources[i], ulid) == 0)
            return;
    m->sources = xrealloc(m->sources, (m->nsources + 1) * sizeof *m->sources);
    snprintf(m->sources[m->nsources++], ULID_LEN + 1, "%s", ulid);
}

void meta_add_parent(struct meta *m, const char *ulid, int64_t mint, int64_t maxt)
{
    m->parents = xrealloc(m->parents, (m->nparents + 1) * sizeof *m->parents);
    struct meta_parent *p = &m->parents[m->nparents++];
    snprintf(p->ulid, sizeof p->ulid, "%s", ulid);
    p->mint = mint;
    p->maxt = maxt;
}

void meta_format(const struct meta *m, struct strbuf *o)
{
    strbuf_addf(
        o, "{\n\t\"ulid\": \"%s\",\n\t\"minTime\": %" PRId64 ",\n\t\"maxTime\": %" PRId64 ",\n",
        m->ulid, m->mint, m->maxt);
    strbuf_adds(o, "\t\"stats\": {");
    const char *sep = "\n";
    const struct {
        const char *k;
        uint64_t v;
    } st[] = {{"numSamples", m->nsamples},
              {"numSeries", m->nseries},
              {"numChunks", m->nchunks},
              {"numTombstones", m->ntombstones}};
    for (size_t i = 0; i < 4; i++)
        if (st[i].v) {
            strbuf_addf(o, "%s\t\t\"%s\": %" PRIu64, sep, st[i].k, st[i].v);
            sep = ",\n";
        }
    strbuf_adds(o, *sep == '\n' ? "}" : "\n\t}");
    strbuf_addf(o, ",\n\t\"compaction\": {\n\t\t\"level\": %d", m->level);
    if (m->nsources) {
        strbuf_adds(o, ",\n\t\t\"sources\": [");
        for (size_t i = 0; i < m->nsources; i++)
            strbuf_addf(o, "%s\n\t\t\t\"%s\"", i ? "," : "", m->sources[i]);
        strbuf_adds(o, "\n\t\t]");
    }
    if (m->deletable)
        strbuf_adds(o, ",\n\t\t\"deletable\": true");
    if (m->nparents) {
        strbuf_adds(o, ",\n\t\t\"parents\": [");
        for (size_t i = 0; i < m->nparents; i++)
            strbuf_addf(o,
                        "%s\n\t\t\t{\n\t\t\t\t\"ulid\": \"%s\",\n\t\t\t\t\"minTime\": %" PRId64
                        ",\n\t\t\t\t\"maxTime\": %" PRId64 "\n\t\t\t}",
                        i ? "," : "", m->parents[i].ulid, m->parents[i].mint, m->parents[i].maxt);
        strbuf_adds(o, "\n\t\t]");
    }
    strbuf_addf(o, "\n\t},\n\t\"version\": %d\n}", m->version);
}

int meta_write(const char *dir, const struct meta *m, struct diag *d)
{
    struct strbuf sb, path;
    strbuf_init(&sb, STRBUF_NOCAP);
    strbuf_init(&path, STRBUF_NOCAP);
    meta_format(m, &sb);
    strbuf_addf(&path, "%s/meta.json", dir);
    int rc = fsutil_replace_file(path.buf, sb.buf, sb.len, d);
    strbuf_release(&sb);
    strbuf_release(&path);
    return rc;
}

static int get_i64(json_t *o, const char *k, int64_t *v)
{
    json_t *x = json_object_get(o, k);
    if (!x)
        return 0;
    if (!json_is_integer(x))
        return -1;
    *v = json_integer_value(x);
    return 0;
}

int meta_read(const char *dir, struct meta *m, struct diag *d)
{
    int rc = -1;
    char path[4096];
    json_error_t je;
    meta_init(m);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        diag_error(d, NULL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    json_t *u = json_object_get(root, "ulid");
    int64_t level = 1, version = 0, ns = 0, nse = 0, nc = 0, nt = 0;
    json_t *st = json_object_get(root, "stats");
    json_t *cp = json_object_get(root, "compaction");
    if (!json_is_string(u) || !ulid_valid(json_string_value(u)) ||
        get_i64(root, "minTime", &m->mint) || get_i64(root, "maxTime", &m->maxt) ||
        get_i64(root, "version", &version) ||
        (st && (get_i64(st, "numSamples", &ns) || get_i64(st, "numSeries", &nse) ||
                get_i64(st, "numChunks", &nc) || get_i64(st, "numTombstones", &nt))) ||
        (cp && get_i64(cp, "level", &level))) {
        diag_error(d, NULL, "%s: not a block meta.json (ulid, minTime, maxTime, stats, version)",
                   path);
        goto out;
    }
    if (version != 1) {
        diag_error(d, NULL, "%s: unsupported meta.json version %" PRId64, path, version);
        goto out;
    }
    snprintf(m->ulid, sizeof m->ulid, "%s", json_string_value(u));
    m->nsamples = (uint64_t)ns;
    m->nseries = (uint64_t)nse;
    m->nchunks = (uint64_t)nc;
    m->ntombstones = (uint64_t)nt;
    m->level = (int)level;
    m->version = 1;
    if (cp) {
        json_t *srcs = json_object_get(cp, "sources"), *x;
        size_t i;
        json_array_foreach(srcs, i, x)
        {
            if (json_is_string(x) && ulid_valid(json_string_value(x)))
                meta_add_source(m, json_string_value(x));
        }
        json_t *par = json_object_get(cp, "parents");
        json_array_foreach(par, i, x)
        {
            json_t *pu = json_object_get(x, "ulid");
            int64_t a = 0, b = 0;
            if (json_is_string(pu) && !get_i64(x, "minTime", &a) && !get_i64(x, "maxTime", &b))
                meta_add_parent(m, json_string_value(pu), a, b);
        }
        m->deletable = json_is_true(json_object_get(cp, "deletable"));
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
