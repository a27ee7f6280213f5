#include "agent/outputs.h"
#include "core/printable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The live object of type tname whose id is id, among the plan's; NULL when none. */
static const struct live_obj *find(const struct plan *p, const char *tname, const char *id)
{
    for (size_t i = 0; id && i < p->n; i++) {
        const struct live_obj *o = p->v[i].live;
        if (o && p->v[i].kind != PLAN_DELETE && strcmp(o->type->name, tname) == 0 && o->id &&
            strcmp(o->id, id) == 0)
            return o;
    }
    return NULL;
}

static const char *attr_str(const struct live_obj *o, const char *name)
{
    return o ? json_string_value(json_object_get(o->attrs, name)) : NULL;
}

static long long attr_int(const struct live_obj *o, const char *name)
{
    const json_t *v = o ? json_object_get(o->attrs, name) : NULL;
    return json_is_integer(v)  ? json_integer_value(v)
           : json_is_string(v) ? atoll(json_string_value(v))
                               : 0;
}

/* One URL per path pattern of a listener rule: the pattern up to its first wildcard. */
static int print_rule(const struct plan *p, const struct live_obj *rule, FILE *out)
{
    const struct live_obj *ln = find(p, "elbv2.listener", attr_str(rule, "listener_arn"));
    const struct live_obj *lb = find(p, "elbv2.load_balancer", attr_str(ln, "load_balancer_arn"));
    const char *dns = attr_str(lb, "dns_name"), *proto = attr_str(ln, "protocol");
    const json_t *paths =
        json_object_get(json_object_get(rule->attrs, "conditions"), "path_patterns");
    long long port = attr_int(ln, "port");
    int https = proto && strcasecmp(proto, "HTTPS") == 0, n = 0;
    const json_t *v;
    size_t i;

    if (!dns)
        return 0;
    json_array_foreach(paths, i, v)
    {
        const char *pat = json_string_value(v);
        char portbuf[16] = "";
        if (!pat)
            continue;
        if (port && port != (https ? 443 : 80))
            snprintf(portbuf, sizeof(portbuf), ":%lld", port);
        char *url = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&url, &len);
        fprintf(m, "%s://%s%s%.*s", https ? "https" : "http", dns, portbuf, (int)strcspn(pat, "*?"),
                pat);
        fclose(m);
        fputs("  ", out);
        printable_fputs(url, PRINTABLE_MAX, out); /* names from AWS: escaped */
        fputc('\n', out);
        free(url);
        n++;
    }
    return n;
}

void outputs_print(const struct plan *p, FILE *out)
{
    int said = 0;

    for (size_t i = 0; i < p->n; i++) {
        const struct live_obj *o = p->v[i].live;
        if (!o || p->v[i].kind == PLAN_DELETE || strcmp(o->type->name, "elbv2.listener_rule") != 0)
            continue;
        if (!said++)
            fputs("\nLoad balancer:\n", out);
        print_rule(p, o, out);
    }
    said = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct live_obj *o = p->v[i].live, *ns;
        if (!o || p->v[i].kind == PLAN_DELETE ||
            strcmp(o->type->name, "servicediscovery.service") != 0)
            continue;
        ns = find(p, "servicediscovery.private_dns_namespace", attr_str(o, "namespace_id"));
        if (!said++)
            fputs("\nCloud Map names:\n", out);
        fputs("  ", out);
        printable_fputs(attr_str(o, "name") ? attr_str(o, "name") : o->id, PRINTABLE_MAX, out);
        fputc('.', out);
        printable_fputs(attr_str(ns, "name") ? attr_str(ns, "name") : "(namespace unknown)",
                        PRINTABLE_MAX, out);
        fputc('\n', out);
    }
}
