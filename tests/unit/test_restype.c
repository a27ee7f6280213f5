/*
 * Every resource type table in the registry: names, docs, flags, defaults,
 * enums, nested fields and references are consistent. The checker counts
 * problems (and prints each); a deliberately broken table proves it can fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/policy.h"
#include "agent/resources/dialect.h"
#include "agent/resources/registry.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "agent/restype.h"
#include "agent/vtype.h"
#include "aws/service.h"

/* Services whose APIs tag the resources cairn makes (STS makes none). */
/* Every type with the prefix of its file and symbol, from the same list as the registry. */
struct listed {
    const char *prefix;
    const struct restype *type;
};
#define LISTED(p) {#p, &p##_type},
static const struct listed listed[] = {TYPES_LIST(LISTED){NULL, NULL}};
#undef LISTED

struct check {
    const char *type; /* what problems are reported against */
    int problems;
    int attrs; /* attributes seen, nested fields included */
};

static void problem(struct check *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct check *c, const char *path, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "  %s: %s: ", c->type, path ? path : "-");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    c->problems++;
}

/* [a-z][a-z0-9]*(_[a-z0-9]+)* */
static int is_snake(const char *s)
{
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p == '_' && (p[1] == '_' || p[1] == '\0'))
            return 0;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    }
    return 1;
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int has_computed(const struct restype *t, const char *name)
{
    const struct attr *a = restype_attr(t->attrs, name);
    return a && (a->flags & ATTR_COMPUTED);
}

static void check_default(struct check *c, const struct attr *a, const char *path)
{
    struct strbuf why = STRBUF_INIT;

    if (!a->def)
        return;
    if (a->flags & ATTR_REQUIRED)
        problem(c, path, "required, yet has a default");
    if (a->flags & ATTR_COMPUTED)
        problem(c, path, "computed, yet has a default");
    if (!vtype_is_scalar(a->type)) {
        /* Lists and maps write their default as JSON of their own kind. */
        json_t *j = json_loads(a->def, JSON_DECODE_ANY, NULL);
        if (!j || (a->type == VT_LIST ? !json_is_array(j) : !json_is_object(j)))
            problem(c, path, "the default of a %s must be a JSON %s", vtype_name(a->type),
                    a->type == VT_LIST ? "array" : "object");
        json_decref(j);
    } else if (vtype_check(a->type, a->def, a->min, a->max, &why) < 0)
        problem(c, path, "default '%s' is not a valid %s: %s", a->def, vtype_name(a->type),
                why.buf ? why.buf : "");
    else if (a->values && !in_list(a->values, a->def))
        problem(c, path, "default '%s' is not one of its values", a->def);
    strbuf_release(&why);
}

static void check_values(struct check *c, const struct attr *a, const char *path)
{
    enum vtype t = a->type == VT_LIST ? a->elem : a->type;
    struct strbuf why = STRBUF_INIT;

    if (!a->values)
        return;
    if (!vtype_is_scalar(t)) {
        problem(c, path, "values on a %s", vtype_name(t));
        return;
    }
    if (!a->values[0])
        problem(c, path, "empty list of values");
    for (const char *const *v = a->values; *v; v++) {
        strbuf_reset(&why);
        if (!**v)
            problem(c, path, "empty value");
        else if (vtype_check(t, *v, a->min, a->max, &why) < 0)
            problem(c, path, "value '%s' is not a valid %s: %s", *v, vtype_name(t),
                    why.buf ? why.buf : "");
        for (const char *const *w = a->values; w < v; w++)
            if (strcmp(*w, *v) == 0)
                problem(c, path, "value '%s' twice", *v);
    }
    strbuf_release(&why);
}

static void check_ref(struct check *c, const struct attr *a, const char *path)
{
    enum vtype t = a->type == VT_LIST ? a->elem : a->type;
    const struct restype *target;

    if (!a->ref_type)
        return;
    if (t != VT_STRING && t != VT_ARN)
        problem(c, path, "ref_type on a %s", vtype_name(t));
    if (!(target = registry_lookup(a->ref_type))) {
        problem(c, path, "ref_type '%s' is not a registered type", a->ref_type);
        return;
    }
    /* vpc_id takes ${vpc.id}, target_group_arn ${tg.arn}: the target must have them. */
    if ((ends_with(a->name, "_id") || ends_with(a->name, "_ids")) && !has_computed(target, "id"))
        problem(c, path, "refers to %s by ID, which has no computed 'id'", a->ref_type);
    if ((ends_with(a->name, "_arn") || ends_with(a->name, "_arns")) && !has_computed(target, "arn"))
        problem(c, path, "refers to %s by ARN, which has no computed 'arn'", a->ref_type);
}

static void check_table(struct check *c, const struct attr *table, const char *prefix, int nested,
                        int *names)
{
    if (!table || !table->name) {
        problem(c, prefix, "empty attribute table");
        return;
    }
    for (const struct attr *a = table; a->name; a++) {
        const unsigned known = ATTR_REQUIRED | ATTR_COMPUTED | ATTR_REPLACE | ATTR_SENSITIVE |
                               ATTR_NAME | ATTR_ORDERED | ATTR_PROTECTS | ATTR_LATER;
        char path[256];

        c->attrs++;
        snprintf(path, sizeof(path), "%s%s", prefix, a->name);
        if (!is_snake(a->name))
            problem(c, path, "name is not snake_case");
        for (const struct attr *b = table; b < a; b++)
            if (strcmp(b->name, a->name) == 0)
                problem(c, path, "name used twice in one table");
        if (!a->doc || !*a->doc)
            problem(c, path, "no doc");
        else if (a->doc[strlen(a->doc) - 1] != '.')
            problem(c, path, "doc does not end with a full stop");
        if ((unsigned)a->type >= VT__COUNT)
            problem(c, path, "unknown value type %d", (int)a->type);
        if (a->flags & ~known)
            problem(c, path, "unknown flags 0x%x", a->flags & ~known);
        if ((a->flags & ATTR_COMPUTED) && (a->flags & ATTR_REQUIRED))
            problem(c, path, "both computed and required");
        if ((a->flags & ATTR_LATER) && (!a->member || (a->flags & ATTR_COMPUTED)))
            problem(c, path, "ATTR_LATER on an attribute that is no create parameter anyway");
        if (a->member && (!*a->member || strchr(a->member, ' ') || strstr(a->member, "//")))
            problem(c, path, "member '%s' is not an API member or path", a->member);
        if (nested && (a->flags & (ATTR_COMPUTED | ATTR_NAME)))
            problem(c, path, "computed or name inside an object");
        if (a->flags & ATTR_NAME) {
            (*names)++;
            if (a->type != VT_STRING && a->type != VT_DNS_NAME)
                problem(c, path, "the name is a %s, not a string", vtype_name(a->type));
            if (a->flags & ATTR_COMPUTED)
                problem(c, path, "the name is computed");
        }
        check_default(c, a, path);
        check_values(c, a, path);
        check_ref(c, a, path);
        if (a->min > a->max)
            problem(c, path, "min %lld is more than max %lld", a->min, a->max);
        if (a->min < a->max && a->type != VT_INT && a->type != VT_LIST)
            problem(c, path, "bounds on a %s", vtype_name(a->type));
        if (a->type == VT_LIST && !vtype_is_scalar(a->elem) && a->elem != VT_OBJECT)
            problem(c, path, "a list of %s", vtype_name(a->elem));
        if (a->type == VT_OBJECT || (a->type == VT_LIST && a->elem == VT_OBJECT)) {
            char sub[256];
            snprintf(sub, sizeof(sub), "%s%s.", prefix, a->name);
            if (!a->fields)
                problem(c, path, "an object without fields");
            else
                check_table(c, a->fields, sub, 1, names);
        } else if (a->fields) {
            problem(c, path, "fields on a %s", vtype_name(a->type));
        }
    }
}

/* The IAM actions of a type with AWS calls (cairn policy): both lists, well formed, reads only
 * reading, no action twice, the read calling the type's own service. */
static void check_actions(struct check *c, const struct restype *t)
{
    const struct service *svc = t->service ? service_lookup(t->service) : NULL;
    const char *const *lists[2] = {t->read_actions, t->write_actions};
    const char *const names[2] = {"read_actions", "write_actions"};
    int own = 0;

    if (!t->ops) {
        if (t->read_actions || t->write_actions || t->passes_role_to)
            problem(c, NULL, "IAM actions without AWS calls");
        return;
    }
    for (int k = 0; k < 2; k++) {
        if (!lists[k] || !lists[k][0]) {
            problem(c, names[k], "none: every type with AWS calls lists them");
            continue;
        }
        for (const char *const *a = lists[k]; *a; a++) {
            if (!policy_action_valid(*a))
                problem(c, names[k], "'%s' is not <IAM prefix>:<Operation>", *a);
            if (k == 0 && !policy_action_reads(*a))
                problem(c, names[k], "'%s' is not a Describe, List or Get", *a);
            if (k == 1 && in_list(t->read_actions, *a))
                problem(c, names[k], "'%s' is in read_actions too", *a);
            for (const char *const *b = lists[k]; b < a; b++)
                if (strcmp(*a, *b) == 0)
                    problem(c, names[k], "'%s' twice", *a);
            if (k == 0 && svc && strncmp(*a, svc->signing_name, strlen(svc->signing_name)) == 0 &&
                (*a)[strlen(svc->signing_name)] == ':')
                own = 1;
        }
    }
    /* cairn policy adds a taggable type's tag and untag actions from its service's dialect. */
    const struct dialect *dl = t->taggable ? dialect_of(t->service) : NULL;
    for (const char *const *a = t->write_actions; dl && a && *a; a++) {
        const char *op = strchr(*a, ':');
        if (op && (strcmp(op + 1, dl->tag_op) == 0 || strcmp(op + 1, dl->untag_op) == 0))
            problem(c, "write_actions", "'%s' comes from the dialect: cairn policy adds it", *a);
    }
    if (lists[0] && lists[0][0] && !own)
        problem(c, "read_actions", "no action of the type's own service (%s)",
                svc ? svc->signing_name : "?");
    if (t->passes_role_to && !ends_with(t->passes_role_to, ".amazonaws.com"))
        problem(c, NULL, "passes_role_to '%s' is not a service principal", t->passes_role_to);
}

static void check_type(struct check *c, const struct restype *t, const char *prefix)
{
    const char *dot = t->name ? strchr(t->name, '.') : NULL;
    const struct attr *tags;
    const struct dialect *dl;
    char expect[128];
    int names = 0;

    c->type = t->name ? t->name : "(no name)";
    if (!dot || dot == t->name || !is_snake(dot + 1)) {
        problem(c, NULL, "type name is not service.kind");
    } else {
        if (!t->service || strlen(t->service) != (size_t)(dot - t->name) ||
            strncmp(t->service, t->name, (size_t)(dot - t->name)) != 0)
            problem(c, NULL, "service '%s' is not the name's prefix", t->service ? t->service : "");
        snprintf(expect, sizeof(expect), "%s", t->name);
        expect[dot - t->name] = '_';
        if (prefix && strcmp(expect, prefix) != 0)
            problem(c, NULL, "defined as %s_type, expected %s_type", prefix, expect);
    }
    if (!t->service || !service_lookup(t->service))
        problem(c, NULL, "service '%s' is not in aws/service.c", t->service ? t->service : "");
    if (!t->doc || !*t->doc)
        problem(c, NULL, "no doc");
    check_table(c, t->attrs, "", 0, &names);
    if (names > 1)
        problem(c, NULL, "%d attributes flagged as the name", names);
    if (names && !t->name_max)
        problem(c, NULL, "has a physical name but no name_max");
    if (!names && t->name_max)
        problem(c, NULL, "name_max %u without a name attribute", t->name_max);
    tags = t->attrs ? restype_attr(t->attrs, "tags") : NULL;
    /* NULL stands for the generic update and remove (resutil_update_of, resutil_remove_of). */
    if (t->ops && (t->ops->update == resutil_update || t->ops->remove == resutil_remove))
        problem(c, NULL, "ops name resutil_update or resutil_remove, which NULL stands for");
    if (t->ops && !resutil_remove_of(t->ops))
        problem(c, NULL, "ops with neither a remove nor a del row");
    /* cairn policy and the generic retag take the tag calls from the service's dialect. */
    dl = t->taggable ? dialect_of(t->service) : NULL;
    if (t->taggable && (!dl || !dl->tag_op || !dl->untag_op))
        problem(c, NULL, "taggable, but %s does not tag", t->service ? t->service : "");
    if (t->taggable && (!tags || tags->type != VT_MAP || (tags->flags & ATTR_COMPUTED)))
        problem(c, NULL, "taggable without a settable 'tags' map (RESTYPE_TAGS)");
    if (!t->taggable && tags)
        problem(c, NULL, "has 'tags' but is not taggable");
    check_actions(c, t);
}

static void every_table_is_consistent(void **state)
{
    struct check c = {0};
    size_t n = 0;

    (void)state;
    for (const struct listed *l = listed; l->type; l++, n++) {
        check_type(&c, l->type, l->prefix);
        for (const struct listed *m = listed; m < l; m++)
            if (m->type->name && l->type->name && strcmp(m->type->name, l->type->name) == 0)
                problem(&c, NULL, "type name used twice");
    }
    printf("%zu types, %d attributes (nested fields included)\n", n, c.attrs);
    assert_int_equal(c.problems, 0);
}

static void registry_lists_every_type_once(void **state)
{
    size_t n = 0;

    (void)state;
    for (const struct restype *const *t = registry_types; *t; t++, n++) {
        assert_ptr_equal(*t, listed[n].type);
        assert_ptr_equal(registry_lookup((*t)->name), *t);
    }
    assert_int_equal(n, registry_count());
    assert_int_equal(n, sizeof(listed) / sizeof(listed[0]) - 1);
    assert_true(n >= 28);
}

static void registry_lookup_misses(void **state)
{
    (void)state;
    assert_null(registry_lookup(NULL));
    assert_null(registry_lookup(""));
    assert_null(registry_lookup("ec2"));
    assert_null(registry_lookup("ec2.vpcs"));
    assert_null(registry_lookup("ec2.vp"));
    assert_null(registry_lookup("EC2.VPC"));
    assert_null(registry_lookup("ecs.fargate_service"));
    assert_ptr_equal(registry_lookup("ec2.vpc"), &ec2_vpc_type);
    assert_ptr_equal(registry_lookup("backup.selection"), &backup_selection_type);
}

static void attr_lookup(void **state)
{
    const struct attr *a;

    (void)state;
    a = restype_attr(ec2_vpc_type.attrs, "cidr_block");
    assert_non_null(a);
    assert_int_equal(a->type, VT_CIDR);
    assert_true(a->flags & ATTR_REPLACE);
    assert_null(restype_attr(ec2_vpc_type.attrs, "cidr"));
    assert_null(restype_attr(ec2_vpc_type.attrs, NULL));
    assert_null(restype_attr(NULL, "cidr_block"));
    assert_null(restype_name_attr(&ec2_vpc_type));
    assert_string_equal(restype_name_attr(&iam_role_type)->name, "name");
    assert_string_equal(restype_name_attr(&ecs_task_definition_type)->name, "family");
    /* Nested fields are tables too. */
    a = restype_attr(ec2_security_group_type.attrs, "ingress");
    assert_non_null(a);
    assert_non_null(restype_attr(a->fields, "source_security_group"));
}

/* The seed's facts the tables must be able to say (issue 3, point 6). */
static void tables_carry_the_seeds_needs(void **state)
{
    const struct attr *a, *f;

    (void)state;
    a = restype_attr(ecs_task_definition_type.attrs, "cpu");
    assert_true(in_list(a->values, "256"));
    a = restype_attr(logs_log_group_type.attrs, "retention_in_days");
    assert_true(in_list(a->values, "7") && in_list(a->values, "3653"));
    assert_false(in_list(a->values, "15"));
    a = restype_attr(secretsmanager_secret_type.attrs, "value");
    assert_true(a->flags & ATTR_SENSITIVE);
    a = restype_attr(efs_file_system_type.attrs, "encrypted");
    assert_string_equal(a->def, "true");
    a = restype_attr(efs_access_point_type.attrs, "posix_user");
    f = restype_attr(a->fields, "uid");
    assert_int_equal(f->type, VT_POSIX_ID);
    a = restype_attr(elbv2_listener_rule_type.attrs, "conditions");
    f = restype_attr(a->fields, "path_patterns");
    assert_int_equal(f->elem, VT_ALB_PATH);
    a = restype_attr(backup_plan_type.attrs, "rules");
    f = restype_attr(a->fields, "schedule");
    assert_int_equal(f->type, VT_BACKUP_CRON);
    assert_int_equal(elbv2_load_balancer_type.name_max, 32);
    assert_int_equal(elbv2_target_group_type.name_max, 32);
}

/* A table with one mistake per entry (the first dup aside): the checker must find each. */
static const char *const ab_values[] = {"a", "b", NULL};
static const char *const bad_int_values[] = {"1", "x", NULL};
static const struct attr bad_fields[] = {
    {.name = "inner", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "Computed inside."},
    {0},
};
static const struct attr bad_attrs[] = {
    {.name = "CidrBlock", .type = VT_CIDR, .doc = "Not snake_case."},
    {.name = "dup", .type = VT_STRING, .doc = "First."},
    {.name = "dup", .type = VT_STRING, .doc = "Second."},
    {.name = "no_doc", .type = VT_STRING},
    {.name = "both", .type = VT_STRING, .flags = ATTR_REQUIRED | ATTR_COMPUTED, .doc = "Both."},
    {.name = "req_def", .type = VT_STRING, .flags = ATTR_REQUIRED, .def = "x", .doc = "Def."},
    {.name = "bad_def", .type = VT_INT, .def = "abc", .doc = "Not a number."},
    {.name = "def_out", .type = VT_STRING, .def = "c", .values = ab_values, .doc = "Not a value."},
    {.name = "bad_value", .type = VT_INT, .values = bad_int_values, .doc = "x is no integer."},
    {.name = "vpc_id", .type = VT_STRING, .ref_type = "ec2.nope", .doc = "Unknown type."},
    {.name = "no_fields", .type = VT_OBJECT, .doc = "Object without fields."},
    {.name = "obj", .type = VT_OBJECT, .fields = bad_fields, .doc = "Computed field."},
    {.name = "port_name", .type = VT_PORT, .flags = ATTR_NAME, .doc = "A port as the name."},
    {.name = "range", .type = VT_INT, .min = 5, .max = 1, .doc = "Inverted bounds."},
    {0},
};
static const struct restype bad_type = {
    .name = "nope.thing",
    .service = "nope",
    .doc = "",
    .attrs = bad_attrs,
    .taggable = 1,
    .ops = &(const struct restype_ops){.update = resutil_update},
};

static void checker_finds_mistakes(void **state)
{
    struct check c = {0};

    (void)state;
    fprintf(stderr, "expected problems of a deliberately broken table:\n");
    check_type(&c, &bad_type, "nope_other");
    /*
     * 13 in the table; then: defined as nope_other_type, service not in
     * service.c, no doc, name without name_max, nope does not tag, no tags map, ops naming
     * resutil_update, ops with no way to remove, no read_actions, no write_actions.
     */
    assert_int_equal(c.problems, 13 + 10);
}

/* One mistake per action (the repeat aside), and a service that is no principal. */
static const struct restype_ops some_ops = {0};
static const char *const bad_reads[] = {"ec2:CreateVpc",    /* not a read */
                                        "nope:DescribeX",   /* unknown prefix */
                                        "ec2:describeVpcs", /* not an operation name, not a read */
                                        "ec2:Getaway",      /* not a read: Get, then no noun */
                                        "ec2 DescribeVpcs", /* no colon, not a read */
                                        "ec2:DescribeVpcs",
                                        "ec2:DescribeVpcs", /* twice */
                                        NULL};
static const char *const bad_writes[] = {"ec2:DescribeVpcs", /* a read of the type too */
                                         "iam:Pass-Role",    /* not an operation name */
                                         "ec2:CreateTags",   /* the dialect's, added by policy */
                                         NULL};
static const struct restype bad_actions_type = {
    .name = "ec2.thing",
    .service = "ec2",
    .doc = "A thing.",
    .attrs =
        (const struct attr[]){
            {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "Its ID."}, {0}},
    .taggable = 1,
    .ops = &some_ops,
    .read_actions = bad_reads,
    .write_actions = bad_writes,
    .passes_role_to = "ecs-tasks",
};
static const struct restype no_actions_type = {
    .name = "ec2.other",
    .service = "ec2",
    .doc = "Another thing.",
    .attrs =
        (const struct attr[]){
            {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "Its ID."}, {0}},
    .ops = &some_ops,
    .write_actions = (const char *const[]){NULL},
};

static void action_checker_finds_mistakes(void **state)
{
    struct check c = {0};

    (void)state;
    fprintf(stderr, "expected problems of deliberately broken action lists:\n");
    check_actions(&c, &bad_actions_type);
    /* 1 + 1 + 2 + 1 + 2 + 1 reads, 3 writes, the principal. */
    assert_int_equal(c.problems, 8 + 3 + 1);
    c.problems = 0;
    check_actions(&c, &no_actions_type);
    assert_int_equal(c.problems, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_table_is_consistent),
        cmocka_unit_test(registry_lists_every_type_once),
        cmocka_unit_test(registry_lookup_misses),
        cmocka_unit_test(attr_lookup),
        cmocka_unit_test(tables_carry_the_seeds_needs),
        cmocka_unit_test(checker_finds_mistakes),
        cmocka_unit_test(action_checker_finds_mistakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
