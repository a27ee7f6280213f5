#include "agent/resources/iamutil.h"
#include "agent/diff.h"
#include "core/hex.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *iamutil_policy_parse(const char *text)
{
    const char *p = text;
    char *plain, *o;
    json_t *doc;

    if (!text)
        return NULL;
    while (isspace((unsigned char)*p))
        p++;
    /* Encoded text starts %7B; a document sent back as it is starts {. */
    if (*p == '{') {
        doc = json_loads(p, 0, NULL);
    } else {
        plain = o = xmalloc(strlen(p) + 1);
        for (; *p; p++) {
            int hi, lo;
            if (*p == '%' && (hi = hex_digit((unsigned char)p[1])) >= 0 &&
                (lo = hex_digit((unsigned char)p[2])) >= 0) {
                *o++ = (char)(hi * 16 + lo);
                p += 2;
            } else {
                *o++ = *p;
            }
        }
        *o = '\0';
        doc = json_loads(plain, 0, NULL);
        free(plain);
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* A scalar as IAM reads it: the text of a number or boolean; anything else as it is. */
static json_t *as_text(const json_t *v)
{
    json_t *text = diff_as_text(v);

    return text ? text : json_incref((json_t *)v);
}

/* "x" or ["x", ...] as a set of strings. */
static json_t *values(const json_t *v)
{
    json_t *out = json_array(), *e;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            json_array_append_new(out, as_text(e));
        }
    } else {
        json_array_append_new(out, as_text(v));
    }
    return diff_set(out, 1);
}

static int all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Principal: "*" stays; {"Service": "x"} gets lists; an AWS account ID becomes its root ARN. */
static json_t *principal(const json_t *v)
{
    json_t *out, *e;
    const char *k;

    if (!json_is_object(v))
        return json_incref((json_t *)v);
    out = json_object();
    json_object_foreach((json_t *)v, k, e)
    {
        json_t *vals = values(e), *x;
        size_t i;
        if (strcmp(k, "AWS") == 0)
            json_array_foreach(vals, i, x)
            {
                const char *s = json_string_value(x);
                if (s && all_digits(s, 12)) {
                    char arn[64];
                    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:root", s);
                    json_array_set_new(vals, i, json_string(arn));
                }
            }
        json_object_set_new(out, k, diff_set(vals, 1));
    }
    return out;
}

/* Condition: {"StringEquals": {"aws:SourceAccount": "1"}} with every value a set. */
static json_t *condition(const json_t *v)
{
    json_t *out, *ops, *e;
    const char *op, *k;

    if (!json_is_object(v))
        return json_incref((json_t *)v);
    out = json_object();
    json_object_foreach((json_t *)v, op, ops)
    {
        json_t *keys;
        if (!json_is_object(ops)) {
            json_object_set(out, op, ops);
            continue;
        }
        keys = json_object();
        json_object_foreach(ops, k, e)
        {
            json_object_set_new(keys, k, values(e));
        }
        json_object_set_new(out, op, keys);
    }
    return out;
}

static json_t *statement(const json_t *st)
{
    static const char *const lists[] = {"Action", "NotAction", "Resource", "NotResource"};
    json_t *out, *e;
    const char *k;

    if (!json_is_object(st))
        return json_incref((json_t *)st);
    out = json_object();
    json_object_foreach((json_t *)st, k, e)
    {
        json_t *nv = NULL;
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !nv; i++)
            if (strcmp(k, lists[i]) == 0)
                nv = values(e);
        if (!nv && (strcmp(k, "Principal") == 0 || strcmp(k, "NotPrincipal") == 0))
            nv = principal(e);
        if (!nv && strcmp(k, "Condition") == 0)
            nv = condition(e);
        json_object_set_new(out, k, nv ? nv : json_incref(e));
    }
    return out;
}

json_t *iamutil_policy_normalize(const json_t *doc)
{
    json_t *out, *st, *list, *e;
    size_t i;

    if (!json_is_object(doc))
        return json_incref((json_t *)doc);
    out = json_deep_copy(doc);
    st = json_object_get(doc, "Statement");
    if (!st)
        return out;
    list = json_array();
    if (json_is_array(st)) {
        json_array_foreach(st, i, e)
        {
            json_array_append_new(list, statement(e));
        }
    } else {
        json_array_append_new(list, statement(st));
    }
    json_object_set_new(out, "Statement", diff_set(list, 1));
    return out;
}

char *iamutil_policy_text(const json_t *doc)
{
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

    return s ? s : xstrdup("{}");
}
