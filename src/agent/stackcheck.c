/*
 * Checks across resources, after each resource's own properties were checked: what AWS would
 * reject only once it sees two objects together. Each is cheap and reads only literal values;
 * a value known only after apply (${vpc.id}) is not held to anything.
 *
 *   - two resources of one type with the same physical name (in the same parent);
 *   - subnets outside their VPC's CIDR block, or overlapping another subnet of that VPC;
 *   - two listener rules with the same priority on the same listener;
 *   - tag keys over 128 and values over 256 characters (the stack's tags; a resource's own
 *     tags are checked with its properties, validate.c).
 *
 * Messages name the other resource but not the one they point at, so that a template's
 * resource that takes its value from an instance parameter gets one error at the stack file's
 * line, however many of the template's resources use that parameter.
 */
#include "agent/stackcheck.h"
#include "agent/interp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A literal scalar property, or NULL (absent, a list, or known only after apply). */
static const struct ynode *literal(const struct stack_res *r, const char *name)
{
    const struct ynode *v = ydoc_get(r->props, name);

    return v && v->kind == YNODE_SCALAR && !interp_has_expr(v->str) ? v : NULL;
}

/* The text of a scalar property, literal or not; NULL when absent or not a scalar. */
static const char *text(const struct stack_res *r, const char *name)
{
    const struct ynode *v = ydoc_get(r->props, name);

    return v && v->kind == YNODE_SCALAR ? v->str : NULL;
}

/* Whether a and b are in the same parent: every reference attribute both set is the same. */
static int same_parent(const struct stack_res *a, const struct stack_res *b)
{
    for (const struct attr *at = a->type->attrs; at->name; at++) {
        const char *x, *y;
        if (!at->ref_type || !(x = text(a, at->name)) || !(y = text(b, at->name)))
            continue;
        if (strcmp(x, y) != 0)
            return 0;
    }
    return 1;
}

/* Where the user changes r's name: the value written, the instance, or the resource. */
static const struct srcloc *name_loc(const struct stack_res *r)
{
    const struct attr *na = restype_name_attr(r->type);
    const struct ynode *v = na ? ydoc_get(r->props, na->name) : NULL;

    if (v)
        return &v->loc;
    return r->instance ? &r->instance_loc : &r->loc;
}

static void check_names(struct stack *s, struct diag *d)
{
    for (size_t j = 0; j < s->nres; j++) {
        const struct stack_res *b = s->res[j];
        if (!b->physical_name || b->broken || interp_has_expr(b->physical_name))
            continue;
        for (size_t i = 0; i < j; i++) {
            const struct stack_res *a = s->res[i];
            if (a->type != b->type || !a->physical_name || a->broken ||
                strcmp(a->physical_name, b->physical_name) != 0 || !same_parent(a, b))
                continue;
            diag_error(d, name_loc(b),
                       "the name '%s' is already that of '%s' (%s): two objects of one type "
                       "cannot share a name",
                       b->physical_name, a->name, a->type->name);
            break;
        }
    }
}

/* "10.0.1.0/24" -> network and prefix length; -1 when it is not an IPv4 CIDR block. */
static int parse_cidr(const char *v, uint32_t *net, int *len)
{
    unsigned o[4], l;
    char tail;

    if (sscanf(v, "%u.%u.%u.%u/%u%c", &o[0], &o[1], &o[2], &o[3], &l, &tail) != 5 || l > 32 ||
        o[0] > 255 || o[1] > 255 || o[2] > 255 || o[3] > 255)
        return -1;
    *net = (uint32_t)o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3];
    *len = (int)l;
    return 0;
}

static uint32_t mask_of(int len)
{
    return len == 0 ? 0 : 0xFFFFFFFFu << (32 - len);
}

/* Whether block (n, l) lies inside (outer, ol). */
static int inside(uint32_t n, int l, uint32_t outer, int ol)
{
    return l >= ol && (n & mask_of(ol)) == (outer & mask_of(ol));
}

/* The VPC a subnet's vpc_id refers to, when it is exactly ${<vpc>.id}. */
static const struct stack_res *vpc_of(struct stack *s, const struct stack_res *subnet)
{
    const char *v = text(subnet, "vpc_id");
    char name[256];
    size_t n;

    if (!v || strncmp(v, "${", 2) != 0 || (n = strlen(v)) < 7 || strcmp(v + n - 4, ".id}") != 0 ||
        n - 6 >= sizeof(name))
        return NULL;
    snprintf(name, sizeof(name), "%.*s", (int)(n - 6), v + 2);
    return stack_find(s, name);
}

static void check_subnets(struct stack *s, struct diag *d)
{
    for (size_t j = 0; j < s->nres; j++) {
        const struct stack_res *b = s->res[j], *vpc;
        const struct ynode *bc = literal(b, "cidr_block"), *vc;
        uint32_t bn, vn;
        int bl, vl;
        if (strcmp(b->type->name, "ec2.subnet") != 0 || !bc || parse_cidr(bc->str, &bn, &bl) < 0)
            continue;
        vpc = vpc_of(s, b);
        if (vpc && (vc = literal(vpc, "cidr_block")) && parse_cidr(vc->str, &vn, &vl) == 0 &&
            !inside(bn, bl, vn, vl)) {
            diag_error(d, &bc->loc, "subnet %s is outside %s, the CIDR block of VPC '%s'", bc->str,
                       vc->str, vpc->name);
            continue;
        }
        for (size_t i = 0; i < j; i++) {
            const struct stack_res *a = s->res[i];
            const struct ynode *ac = literal(a, "cidr_block");
            uint32_t an;
            int al;
            if (a->type != b->type || !ac || parse_cidr(ac->str, &an, &al) < 0 || !vpc ||
                vpc_of(s, a) != vpc)
                continue;
            if (inside(bn, bl, an, al) || inside(an, al, bn, bl)) {
                diag_error(d, &bc->loc, "subnet %s overlaps %s of subnet '%s' in the same VPC",
                           bc->str, ac->str, a->name);
                break;
            }
        }
    }
}

static void check_priorities(struct stack *s, struct diag *d)
{
    for (size_t j = 0; j < s->nres; j++) {
        const struct stack_res *b = s->res[j];
        const struct ynode *bp = literal(b, "priority");
        const char *bl = text(b, "listener_arn");
        if (strcmp(b->type->name, "elbv2.listener_rule") != 0 || !bp || !bl)
            continue;
        for (size_t i = 0; i < j; i++) {
            const struct stack_res *a = s->res[i];
            const struct ynode *ap = literal(a, "priority");
            const char *al = text(a, "listener_arn");
            if (a->type != b->type || !ap || !al || strcmp(al, bl) != 0 ||
                atol(ap->str) != atol(bp->str))
                continue;
            diag_error(d, &bp->loc,
                       "priority %s is already that of listener rule '%s' on the same listener",
                       bp->str, a->name);
            break;
        }
    }
}

/* Characters, not bytes: AWS counts Unicode characters. */
static size_t utf8_len(const char *p)
{
    size_t n = 0;

    for (; *p; p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    return n;
}

void stackcheck_tags(const struct ynode *tags, struct diag *d)
{
    if (!tags || tags->kind != YNODE_MAP)
        return;
    for (size_t i = 0; i < tags->n; i++) {
        const struct ynode *k = tags->keys[i], *v = tags->vals[i];
        size_t n;
        if ((n = utf8_len(k->str)) > STACKCHECK_TAG_KEY_MAX)
            diag_error(d, &k->loc, "tag key '%.40s...' is %zu characters long; AWS allows %d",
                       k->str, n, STACKCHECK_TAG_KEY_MAX);
        else if (v->kind == YNODE_SCALAR && !interp_has_expr(v->str) &&
                 (n = utf8_len(v->str)) > STACKCHECK_TAG_VALUE_MAX)
            diag_error(d, &v->loc, "the value of tag '%s' is %zu characters long; AWS allows %d",
                       k->str, n, STACKCHECK_TAG_VALUE_MAX);
    }
}

void stackcheck_run(struct stack *s, struct diag *d)
{
    stackcheck_tags(s->tags, d);
    check_names(s, d);
    check_subnets(s, d);
    check_priorities(s, d);
}
