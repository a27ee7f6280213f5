#include "agent/drift.h"
#include "agent/resources/resutil.h"
#include "core/printable.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"in_sync", "missing", "modified", "extra", "orphan"};

void drift_init(struct drift *dr)
{
    memset(dr, 0, sizeof(*dr));
}

void drift_release(struct drift *dr)
{
    for (size_t i = 0; i < dr->n; i++) {
        for (size_t j = 0; j < dr->v[i].ndiffs; j++) {
            free(dr->v[i].diffs[j].attribute);
            json_decref(dr->v[i].diffs[j].expected);
            json_decref(dr->v[i].diffs[j].actual);
        }
        free(dr->v[i].diffs);
    }
    free(dr->v);
    drift_init(dr);
}

static int ignored(const char *const *patterns, const char *resource, const char *attribute)
{
    char path[1024];

    for (const char *const *p = patterns; p && *p; p++) {
        if (!attribute) {
            if (fnmatch(*p, resource, 0) == 0)
                return 1;
            continue;
        }
        snprintf(path, sizeof(path), "%s.%s", resource, attribute);
        if (fnmatch(*p, path, 0) == 0)
            return 1;
        /* A pattern naming the attribute covers its keys and elements too. */
        for (char *dot = strrchr(path, '.'); dot && dot > path + strlen(resource);
             dot = strrchr(path, '.')) {
            *dot = '\0';
            if (fnmatch(*p, path, 0) == 0)
                return 1;
        }
    }
    return 0;
}

static void add_diff(struct drift *dr, struct drift_item *it, const char *const *patterns,
                     const char *attribute, const char *kind, const json_t *expected,
                     const json_t *actual, int sensitive)
{
    struct drift_diff *df;

    if (ignored(patterns, it->resource, attribute)) {
        dr->ignored++;
        return;
    }
    XGROW(it->diffs, it->adiffs, it->ndiffs + 1);
    df = &it->diffs[it->ndiffs++];
    df->attribute = xstrdup(attribute);
    df->kind = kind;
    df->sensitive = sensitive;
    df->expected = sensitive || !expected ? NULL : json_incref((json_t *)expected);
    df->actual = sensitive || !actual ? NULL : json_incref((json_t *)actual);
}

static int contains(const json_t *arr, const json_t *v)
{
    const json_t *e;
    size_t i;

    json_array_foreach(arr, i, e)
    {
        if (json_equal(e, v))
            return 1;
    }
    return 0;
}

/*
 * One attribute's change as a reviewer reads it: a list (security-group rules, subnets) as the
 * elements AWS has that the file does not and the other way round; a map (tags, environment)
 * key by key; anything else as expected against actual.
 */
static void explain(struct drift *dr, struct drift_item *it, const char *const *patterns,
                    const struct diff_change *c)
{
    const json_t *e;
    const char *k;
    size_t i;
    char path[512];

    if (c->unknown) {
        json_t *why = json_string("(depends on a resource that is missing or replaced)");
        add_diff(dr, it, patterns, c->path, "changed", why, c->old, c->flags & ATTR_SENSITIVE);
        json_decref(why);
        return;
    }
    if (!(c->flags & ATTR_SENSITIVE) && json_is_array(c->old) && json_is_array(c->new)) {
        json_array_foreach(c->old, i, e)
        {
            if (!contains(c->new, e))
                add_diff(dr, it, patterns, c->path, "extra", NULL, e, 0);
        }
        json_array_foreach(c->new, i, e)
        {
            if (!contains(c->old, e))
                add_diff(dr, it, patterns, c->path, "missing", e, NULL, 0);
        }
        return;
    }
    if (!(c->flags & ATTR_SENSITIVE) && json_is_object(c->old) && json_is_object(c->new)) {
        json_object_foreach((json_t *)c->old, k, e)
        {
            const json_t *want = json_object_get(c->new, k);
            snprintf(path, sizeof(path), "%s.%s", c->path, k);
            if (!want)
                add_diff(dr, it, patterns, path, "extra", NULL, e, 0);
            else if (!json_equal(want, e))
                add_diff(dr, it, patterns, path, "changed", want, e, 0);
        }
        json_object_foreach((json_t *)c->new, k, e)
        {
            snprintf(path, sizeof(path), "%s.%s", c->path, k);
            if (!json_object_get(c->old, k))
                add_diff(dr, it, patterns, path, "missing", e, NULL, 0);
        }
        return;
    }
    add_diff(dr, it, patterns, c->path, "changed", c->new, c->old, !!(c->flags & ATTR_SENSITIVE));
}

/* Whether o carries the stack's tag (an orphan) rather than being an untagged child found under
 * one of the stack's parents (an extra); a read keeps a tagged object only if it is the
 * stack's. */
static int tagged_with_stack(const struct live_obj *o)
{
    return o->cairn_id ||
           json_object_get(json_object_get(o->attrs, "tags"), RESUTIL_TAG_STACK) != NULL;
}

void drift_build(struct drift *dr, const struct plan *p, const char *const *patterns)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        struct drift_item *it;

        XGROW(dr->v, dr->alloc, dr->n + 1);
        it = &dr->v[dr->n++];
        memset(it, 0, sizeof(*it));
        it->resource = plan_action_name(a);
        it->type = (a->res ? a->res->type : a->live->type)->name;
        it->id = a->live ? a->live->id : NULL;
        /* A template's resource is pointed at where the stack file uses the template. */
        it->loc = !a->res ? NULL : a->res->instance ? &a->res->instance_loc : &a->res->loc;
        /* An extra child (or an object tagged with the stack by hand, without a cairn:id) has
         * no name but its id. */
        if (a->kind == PLAN_DELETE && !a->live->cairn_id)
            it->resource = a->live->id;
        switch (a->kind) {
        case PLAN_NOOP:
            it->status = DRIFT_IN_SYNC;
            break;
        case PLAN_CREATE:
            it->status = DRIFT_MISSING;
            break;
        case PLAN_UPDATE:
        case PLAN_REPLACE:
            for (size_t j = 0; j < a->changes.n; j++)
                explain(dr, it, patterns, &a->changes.v[j]);
            it->status = it->ndiffs ? DRIFT_MODIFIED : DRIFT_IN_SYNC;
            break;
        default:
            it->status = tagged_with_stack(a->live) ? DRIFT_ORPHAN : DRIFT_EXTRA;
            break;
        }
        if (it->status != DRIFT_IN_SYNC && it->status != DRIFT_MODIFIED &&
            ignored(patterns, it->resource, NULL)) {
            dr->ignored++;
            it->status = DRIFT_IN_SYNC;
        }
        dr->count[it->status]++;
    }
}

int drift_found(const struct drift *dr)
{
    return dr->count[DRIFT_MISSING] + dr->count[DRIFT_MODIFIED] + dr->count[DRIFT_EXTRA] +
               dr->count[DRIFT_ORPHAN] >
           0;
}

int drift_parse_format(const char *name, enum drift_format *out)
{
    static const char *const names[] = {"text", "json", "github", "junit"};

    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum drift_format)i;
            return 0;
        }
    return -1;
}

/* A value on one line: JSON for lists and maps, the text of a string. */
static void value_text(struct strbuf *sb, const json_t *v, int sensitive)
{
    char *t;

    if (sensitive) {
        strbuf_adds(sb, "(sensitive)");
    } else if (!v) {
        strbuf_adds(sb, "(none)");
    } else if (json_is_string(v)) {
        /* From AWS: escaped, so that it cannot start a line or reach the terminal raw. */
        strbuf_addc(sb, '"');
        strbuf_add_printable(sb, json_string_value(v), SIZE_MAX);
        strbuf_addc(sb, '"');
    } else {
        t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
        strbuf_add_printable(sb, t ? t : "?", SIZE_MAX);
        free(t);
    }
}

/* One difference as a sentence: "ingress: extra in AWS: {...}". */
static void diff_text(struct strbuf *sb, const struct drift_diff *df)
{
    strbuf_addf(sb, "%s: ", df->attribute);
    if (df->sensitive) {
        strbuf_adds(sb, "differs (sensitive, not shown)");
    } else if (strcmp(df->kind, "extra") == 0) {
        strbuf_adds(sb, "in AWS, not in the file: ");
        value_text(sb, df->actual, 0);
    } else if (strcmp(df->kind, "missing") == 0) {
        strbuf_adds(sb, "in the file, not in AWS: ");
        value_text(sb, df->expected, 0);
    } else {
        strbuf_adds(sb, "expected ");
        value_text(sb, df->expected, 0);
        strbuf_adds(sb, ", actual ");
        value_text(sb, df->actual, 0);
    }
}

static const char *item_summary(const struct drift_item *it)
{
    switch (it->status) {
    case DRIFT_MISSING:
        return "missing: in the file, not in AWS (deleted outside cairn?)";
    case DRIFT_MODIFIED:
        return "modified";
    case DRIFT_EXTRA:
        return "extra: found under one of the stack's objects, declared nowhere";
    case DRIFT_ORPHAN:
        return "orphan: tagged with the stack, not in the file";
    default:
        return "in sync";
    }
}

static void print_text(const struct drift *dr, const struct stack *s, FILE *out, int color)
{
    static const char *const sym[] = {" ", "-", "~", "+", "+"};
    static const char *const col[] = {"", "\033[31m", "\033[33m", "\033[35m", "\033[35m"};
    size_t drifted = dr->n - dr->count[DRIFT_IN_SYNC];
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < dr->n; i++) {
        const struct drift_item *it = &dr->v[i];
        if (it->status == DRIFT_IN_SYNC)
            continue;
        fprintf(out, "%s%s ", color ? col[it->status] : "", sym[it->status]);
        printable_fputs(it->resource, PRINTABLE_MAX, out); /* an orphan's name is its AWS id */
        fprintf(out, "%s (%s)%s", color ? "\033[0m" : "", it->type, it->id ? " " : "");
        printable_fputs(it->id, PRINTABLE_MAX, out);
        fprintf(out, ": %s\n", item_summary(it));
        for (size_t j = 0; j < it->ndiffs; j++) {
            strbuf_reset(&sb);
            diff_text(&sb, &it->diffs[j]);
            fprintf(out, "    %s\n", sb.buf);
        }
    }
    if (drifted)
        fputc('\n', out);
    fprintf(out,
            "%s: %zu resources checked: %zu in sync, %zu missing, %zu modified, %zu extra, "
            "%zu orphaned",
            drifted ? "Drift" : "No drift", dr->n, dr->count[DRIFT_IN_SYNC],
            dr->count[DRIFT_MISSING], dr->count[DRIFT_MODIFIED], dr->count[DRIFT_EXTRA],
            dr->count[DRIFT_ORPHAN]);
    if (dr->ignored)
        fprintf(out, " (%zu difference%s ignored)", dr->ignored, dr->ignored == 1 ? "" : "s");
    fprintf(out, ". Stack %s, %s.\n", s->name, s->file);
    strbuf_release(&sb);
}

json_t *drift_json(const struct drift *dr, const struct stack *s)
{
    json_t *root = json_object(), *list = json_array();

    for (size_t i = 0; i < dr->n; i++) {
        const struct drift_item *it = &dr->v[i];
        json_t *o = json_object(), *diffs = json_array();
        json_object_set_new(o, "resource", json_string(it->resource));
        json_object_set_new(o, "type", json_string(it->type));
        json_object_set_new(o, "id", it->id ? json_string(it->id) : json_null());
        json_object_set_new(o, "status", json_string(status_names[it->status]));
        if (it->loc && it->loc->file)
            json_object_set_new(o, "location",
                                json_pack("{s:s, s:i, s:i}", "file", it->loc->file, "line",
                                          it->loc->line, "column", it->loc->col));
        for (size_t j = 0; j < it->ndiffs; j++) {
            const struct drift_diff *df = &it->diffs[j];
            json_t *d = json_pack("{s:s, s:s, s:b}", "attribute", df->attribute, "kind", df->kind,
                                  "sensitive", df->sensitive);
            if (!df->sensitive) {
                json_object_set(d, "expected", df->expected ? df->expected : json_null());
                json_object_set(d, "actual", df->actual ? df->actual : json_null());
            }
            json_array_append_new(diffs, d);
        }
        json_object_set_new(o, "differences", diffs);
        json_array_append_new(list, o);
    }
    json_object_set_new(root, "format_version", json_integer(1));
    json_object_set_new(root, "stack", json_string(s->name));
    json_object_set_new(root, "file", json_string(s->file));
    json_object_set_new(root, "region", s->region ? json_string(s->region) : json_null());
    json_object_set_new(root, "drift", json_boolean(drift_found(dr)));
    json_object_set_new(
        root, "summary",
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "resources", (json_int_t)dr->n, "in_sync",
                  (json_int_t)dr->count[DRIFT_IN_SYNC], "missing",
                  (json_int_t)dr->count[DRIFT_MISSING], "modified",
                  (json_int_t)dr->count[DRIFT_MODIFIED], "extra",
                  (json_int_t)dr->count[DRIFT_EXTRA], "orphan", (json_int_t)dr->count[DRIFT_ORPHAN],
                  "ignored", (json_int_t)dr->ignored));
    json_object_set_new(root, "resources", list);
    return root;
}

/* GitHub workflow commands: % and line breaks escaped in messages, also : and , in
 * properties. */
static void gh_escape(struct strbuf *out, const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%')
            strbuf_adds(out, "%25");
        else if (*s == '\r')
            strbuf_adds(out, "%0D");
        else if (*s == '\n')
            strbuf_adds(out, "%0A");
        else if (property && *s == ':')
            strbuf_adds(out, "%3A");
        else if (property && *s == ',')
            strbuf_adds(out, "%2C");
        else
            strbuf_addc(out, *s);
    }
}

static void print_github(const struct drift *dr, const struct stack *s, FILE *out)
{
    struct strbuf line = STRBUF_INIT, msg = STRBUF_INIT, title = STRBUF_INIT;

    for (size_t i = 0; i < dr->n; i++) {
        const struct drift_item *it = &dr->v[i];
        if (it->status == DRIFT_IN_SYNC)
            continue;
        strbuf_reset(&msg);
        strbuf_reset(&line);
        strbuf_reset(&title);
        strbuf_add_printable(&msg, it->resource, PRINTABLE_MAX);
        strbuf_addf(&msg, " (%s)%s", it->type, it->id ? " " : "");
        strbuf_add_printable(&msg, it->id ? it->id : "", PRINTABLE_MAX);
        strbuf_addf(&msg, ": %s", item_summary(it));
        for (size_t j = 0; j < it->ndiffs; j++) {
            strbuf_adds(&msg, "\n");
            diff_text(&msg, &it->diffs[j]);
        }
        strbuf_adds(&title, "drift: ");
        strbuf_add_printable(&title, it->resource, PRINTABLE_MAX);
        strbuf_adds(&line, "::error file=");
        gh_escape(&line, it->loc && it->loc->file ? it->loc->file : s->file, 1);
        if (it->loc && it->loc->line)
            strbuf_addf(&line, ",line=%d,col=%d", it->loc->line, it->loc->col);
        strbuf_adds(&line, ",title=");
        gh_escape(&line, title.buf, 1);
        strbuf_adds(&line, "::");
        gh_escape(&line, msg.buf, 0);
        fprintf(out, "%s\n", line.buf);
    }
    fprintf(out, "%s: %zu of %zu resources drifted\n", drift_found(dr) ? "Drift" : "No drift",
            dr->n - dr->count[DRIFT_IN_SYNC], dr->n);
    strbuf_release(&line);
    strbuf_release(&msg);
    strbuf_release(&title);
}

static void xml_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            /* Control characters are not allowed in XML 1.0: drop them, keep \t \n \r. */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n' || *s == '\r')
                fputc(*s, out);
        }
    }
}

static void print_junit(const struct drift *dr, const struct stack *s, FILE *out)
{
    struct strbuf sb = STRBUF_INIT;
    size_t failures = dr->n - dr->count[DRIFT_IN_SYNC];

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"cairn drift\" tests=\"%zu\" failures=\"%zu\">\n", dr->n,
            failures);
    fputs("  <testsuite name=\"", out);
    xml_escape(out, s->name);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", dr->n,
            failures);
    for (size_t i = 0; i < dr->n; i++) {
        const struct drift_item *it = &dr->v[i];
        fputs("    <testcase classname=\"", out);
        xml_escape(out, it->type);
        fputs("\" name=\"", out);
        xml_escape(out, it->resource);
        if (it->status == DRIFT_IN_SYNC) {
            fputs("\"/>\n", out);
            continue;
        }
        fputs("\">\n      <failure type=\"", out);
        fputs(status_names[it->status], out);
        fputs("\" message=\"", out);
        xml_escape(out, item_summary(it));
        fputs("\">", out);
        strbuf_reset(&sb);
        if (it->id)
            strbuf_addf(&sb, "%s\n", it->id);
        for (size_t j = 0; j < it->ndiffs; j++) {
            diff_text(&sb, &it->diffs[j]);
            strbuf_addc(&sb, '\n');
        }
        xml_escape(out, sb.buf);
        fputs("</failure>\n    </testcase>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    strbuf_release(&sb);
}

void drift_print(const struct drift *dr, enum drift_format f, const struct stack *s, FILE *out,
                 int color)
{
    json_t *j;

    switch (f) {
    case DRIFT_JSON:
        j = drift_json(dr, s);
        json_dumpf(j, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        json_decref(j);
        break;
    case DRIFT_GITHUB:
        print_github(dr, s, out);
        break;
    case DRIFT_JUNIT:
        print_junit(dr, s, out);
        break;
    default:
        print_text(dr, s, out, color);
    }
}
