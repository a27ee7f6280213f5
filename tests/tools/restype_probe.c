/*
 * restype_probe: drives the AWS calls of the resource types (struct
 * restype_ops) one at a time, with a session from the environment, and prints
 * live objects as JSON lines {"type","id","cairn_id","attrs"}. Driven by
 * tests/integration/test_ec2_ops.py.
 *
 *   restype_probe read STACK                        every object the stack owns ("digest" on
 *                                                   one read without its attributes)
 *   restype_probe detail STACK                      the same, those read in full (live_detail)
 *   restype_probe create STACK TYPE CAIRN_ID JSON   create; prints the new object
 *   restype_probe update STACK TYPE ID JSON ATTR... update ATTRs; prints the object after
 *   restype_probe remove STACK TYPE ID [unprotect] [now]
 *                                                   remove (found by reading STACK first), with
 *                                                   RESTYPE_REMOVE_UNPROTECT / _NOW
 *
 * JSON is the desired attributes, references already resolved to ids. Tags put
 * on objects are JSON's "tags" plus cairn:stack and cairn:id; the idempotency
 * token is a hash of the stack and the cairn id; a type with a name gets
 * JSON's "name", or <stack>-<cairn id>. The number of API calls goes to
 * stderr as "calls: N". Exit status 0, 1 on an AWS error, 2 on bad usage.
 */
#include <jansson.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/live.h"
#include "agent/resources/registry.h"
#include "agent/resources/resutil.h"
#include "agent/restype.h"
#include "aws/session.h"
#include "core/diag.h"
#include "core/http.h"

static int usage(void)
{
    fputs("usage: restype_probe read STACK\n"
          "       restype_probe detail STACK\n"
          "       restype_probe create STACK TYPE CAIRN_ID JSON\n"
          "       restype_probe update STACK TYPE ID JSON ATTR...\n"
          "       restype_probe remove STACK TYPE ID [unprotect] [now]\n",
          stderr);
    return 2;
}

static void print_obj(const struct live_obj *o)
{
    json_t *j = json_pack("{s:s, s:s?, s:s?, s:O}", "type", o->type->name, "id", o->id, "cairn_id",
                          o->cairn_id, "attrs", o->attrs);

    if (o->digest)
        json_object_set_new(j, "digest", json_string(o->digest));
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

    printf("%s\n", s);
    free(s);
    json_decref(j);
}

/* The same for every run of the same stack and resource: FNV-1a of both. */
static void make_token(char *out, size_t n, const char *stack, const char *cairn_id)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[2] = {stack, cairn_id};

    for (int i = 0; i < 2; i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    snprintf(out, n, "cairn-%016llx", (unsigned long long)h);
}

/* tags: JSON's own, plus cairn:stack and cairn:id. */
static json_t *make_tags(const json_t *desired, const char *stack, const char *cairn_id)
{
    json_t *tags = json_object(), *own = json_object_get(desired, "tags");

    if (json_is_object(own))
        json_object_update(tags, own);
    json_object_set_new(tags, "cairn:stack", json_string(stack));
    if (cairn_id)
        json_object_set_new(tags, "cairn:id", json_string(cairn_id));
    return tags;
}

int main(int argc, char **argv)
{
    struct session_options opts = {0};
    struct session *s = NULL;
    struct live_set set;
    struct diag d;
    json_t *desired = NULL, *tags = NULL;
    const struct restype *t = NULL;
    const char *cmd = argc > 1 ? argv[1] : "", *stack = argc > 2 ? argv[2] : NULL;
    char token[64], name[512];
    int ret = 1;

    if (((strcmp(cmd, "read") == 0 || strcmp(cmd, "detail") == 0) && argc != 3) ||
        (strcmp(cmd, "create") == 0 && argc != 6) || (strcmp(cmd, "update") == 0 && argc < 7) ||
        (strcmp(cmd, "remove") == 0 && (argc < 5 || argc > 7)) ||
        (strcmp(cmd, "read") != 0 && strcmp(cmd, "detail") != 0 && strcmp(cmd, "create") != 0 &&
         strcmp(cmd, "update") != 0 && strcmp(cmd, "remove") != 0))
        return usage();
    if (argc > 3 && (!(t = registry_lookup(argv[3])) || !t->ops)) {
        fprintf(stderr, "restype_probe: %s: no such type, or it has no AWS calls\n", argv[3]);
        return 2;
    }
    if (argc > 5 && strcmp(cmd, "remove") != 0)
        desired = json_loads(argv[5], 0, NULL); /* json_is_object() evaluates it twice */
    if (argc > 5 && strcmp(cmd, "remove") != 0 && !json_is_object(desired)) {
        fprintf(stderr, "restype_probe: the desired attributes are not a JSON object\n");
        json_decref(desired);
        return 2;
    }
    diag_init(&d);
    live_set_init(&set);
    if (http_global_init() < 0) {
        fprintf(stderr, "restype_probe: cannot initialise libcurl\n");
        goto out;
    }
    if (!(s = session_new(&opts, &d)))
        goto out;

    if (strcmp(cmd, "read") == 0 || strcmp(cmd, "detail") == 0) {
        if (live_read_all(s, NULL, stack, &set, &d) < 0 ||
            (strcmp(cmd, "detail") == 0 && live_detail(s, &set, &d) < 0))
            goto out;
        for (size_t i = 0; i < set.n; i++)
            print_obj(&set.v[i]);
    } else if (strcmp(cmd, "create") == 0) {
        struct restype_call c = {.stack = stack, .cairn_id = argv[4], .type = t};
        struct live_obj *o = NULL;
        const char *n = json_string_value(json_object_get(desired, "name"));
        if (restype_name_attr(t)) {
            if (!n) {
                snprintf(name, sizeof(name), "%s-%s", stack, argv[4]);
                for (char *p = name; *p; p++)
                    *p = *p == '.' ? '-' : *p;
                n = name;
            }
            c.physical_name = n;
        }
        make_token(token, sizeof(token), stack, argv[4]);
        c.token = token;
        if (t->taggable)
            c.tags = tags = make_tags(desired, stack, argv[4]);
        if (t->ops->create(s, &c, desired, &set, &o, &d) < 0) {
            if (o)
                print_obj(o); /* made, but not all of it */
            goto out;
        }
        print_obj(o);
    } else {
        struct live_obj *o;
        if (t->ops->read(s, t, stack, &set, &d) < 0)
            goto out;
        if (!(o = live_find_id(&set, t, argv[4]))) {
            diag_error(&d, NULL, "%s %s: not found in stack %s", t->name, argv[4], stack);
            goto out;
        }
        if (strcmp(cmd, "remove") == 0) {
            unsigned how = 0;
            for (int i = 5; i < argc; i++) {
                if (strcmp(argv[i], "unprotect") == 0)
                    how |= RESTYPE_REMOVE_UNPROTECT;
                else if (strcmp(argv[i], "now") == 0)
                    how |= RESTYPE_REMOVE_NOW;
                else {
                    diag_error(&d, NULL, "remove: unknown flag %s (unprotect, now)", argv[i]);
                    goto out;
                }
            }
            if (resutil_remove_of(t->ops)(s, o, how, &d) < 0)
                goto out;
        } else {
            struct restype_call c = {.stack = stack, .cairn_id = o->cairn_id, .type = o->type};
            if (t->taggable)
                c.tags = tags = make_tags(desired, stack, o->cairn_id);
            if (resutil_update_of(t->ops)(s, &c, desired, o, (const char *const *)argv + 6,
                                          (size_t)(argc - 6), &d) < 0)
                goto out;
            print_obj(o);
        }
    }
    ret = 0;
out:
    if (s)
        fprintf(stderr, "calls: %lu\n", s->stats.calls);
    diag_print(&d, stderr, "restype_probe");
    live_set_release(&set);
    json_decref(desired);
    json_decref(tags);
    session_free(s);
    http_global_cleanup();
    diag_release(&d);
    return ret;
}
