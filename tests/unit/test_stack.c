/* The stack engine: loading, templates, references, the graph and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/graph.h"
#include "agent/render.h"
#include "agent/stackload.h"

static char tdir[] = "/tmp/cairn-tmpl-XXXXXX";

static int setup(void **state)
{
    char path[300];
    FILE *f;

    if (!mkdtemp(tdir))
        return -1;
    f = fopen(strcat(strcpy((char[256]){0}, tdir), "/web.yaml"), "w");
    fputs("template: web\n"
          "description: a security group and a log group\n"
          "parameters:\n"
          "  vpc_id: {type: string, description: the VPC}\n"
          "  port: {type: port, default: 80}\n"
          "resources:\n"
          "  sg:\n"
          "    type: ec2.security_group\n"
          "    properties:\n"
          "      name: ${stack.name}-${instance.name}\n"
          "      description: web on ${param.port}\n"
          "      vpc_id: ${param.vpc_id}\n"
          "      ingress:\n"
          "        - {port: '${param.port}', cidr_blocks: [0.0.0.0/0]}\n"
          "  logs:\n"
          "    type: logs.log_group\n"
          "    depends_on: [sg]\n"
          "    properties:\n"
          "      name: /web/${sg.id}\n",
          f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/files", tdir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/files/app.conf", tdir);
    f = fopen(path, "w");
    fputs("name = ${stack.name}\nport = ${param.port}\n", f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/web.yaml", tdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/files/app.conf", tdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/files", tdir);
    rmdir(path);
    rmdir(tdir);
    return 0;
}

/* Load text; returns 0/-1 and leaves the printed diagnostics in *out (caller frees). */
static int load(struct stack *s, const char *text, char **out)
{
    struct stack_options o = {tdir, "eu-west-1", NULL};
    struct diag d;
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    int r;

    diag_init(&d);
    diag_add_source(&d, "t.yaml", text, strlen(text));
    stack_init(s);
    r = stack_load_text(s, "t.yaml", text, strlen(text), &o, &d);
    diag_print(&d, f, "cairn");
    fclose(f);
    diag_release(&d);
    return r;
}

static void references_make_edges_and_order(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "resources:\n"
                       "  subnet:\n"
                       "    type: ec2.subnet\n"
                       "    properties:\n"
                       "      vpc_id: ${vpc.id}\n"
                       "      cidr_block: 10.0.1.0/24\n"
                       "  vpc:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "  cluster:\n"
                       "    type: ecs.cluster\n";

    assert_int_equal(load(&s, text, &out), 0);
    assert_string_equal(out, "");
    assert_int_equal(s.nres, 3);
    struct stack_res *sub = stack_find(&s, "subnet");
    assert_int_equal(sub->ndeps, 1);
    assert_string_equal(sub->deps[0]->name, "vpc");
    struct stack_res **order = graph_order(&s);
    assert_string_equal(order[0]->name, "vpc");
    assert_string_equal(order[1]->name, "subnet");
    assert_string_equal(order[2]->name, "cluster");
    assert_string_equal(stack_find(&s, "cluster")->physical_name, "demo-cluster");
    assert_null(stack_find(&s, "vpc")->physical_name); /* EC2 objects have no name */
    assert_string_equal(s.region, "eu-west-1");
    free(out);
    stack_release(&s);
}

static void cycles_name_every_member(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "resources:\n"
                       "  a:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "    depends_on: [c]\n"
                       "  b:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "    depends_on: [a]\n"
                       "  c:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "    depends_on: [b]\n";

    assert_int_equal(load(&s, text, &out), -1);
    assert_non_null(strstr(out, "t.yaml:3:3: error: dependency cycle: a -> c -> b -> a\n"));
    free(out);
    stack_release(&s);
}

static void mistakes_are_all_reported_with_hints(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "resources:\n"
                       "  vpc:\n"
                       "    type: ec2.vpc\n"
                       "    properties:\n"
                       "      cidr_blok: 10.0.0.0/16\n"
                       "  subnet:\n"
                       "    type: ec2.subnett\n"
                       "  sg:\n"
                       "    type: ec2.security_group\n"
                       "    properties:\n"
                       "      description: x\n"
                       "      vpc_id: ${vcp.id}\n"
                       "      ingress: [{port: 70000}]\n";

    assert_int_equal(load(&s, text, &out), -1);
    assert_non_null(strstr(out, "t.yaml:6:7: error: 'cidr_blok' is not an attribute of ec2.vpc; "
                                "did you mean 'cidr_block'?\n"));
    /* The misspelling is the error; "needs cidr_block" would say it twice. */
    assert_null(strstr(out, "needs the property 'cidr_block'"));
    assert_non_null(strstr(out, "t.yaml:8:11: error: unknown resource type 'ec2.subnett'; did "
                                "you mean 'ec2.subnet'?\n"));
    assert_non_null(strstr(out, "t.yaml:13:15: error: ${vcp.id} refers to 'vcp', which is not a "
                                "resource; did you mean 'vpc'?\n"));
    assert_non_null(strstr(out, "t.yaml:14:24: error: '70000' is not a valid port"));
    /* Source line and caret. */
    assert_non_null(strstr(out, "     6 |       cidr_blok: 10.0.0.0/16\n"
                                "       |       ^\n"));
    free(out);
    stack_release(&s);
}

static void references_must_point_at_the_right_type(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "resources:\n"
                       "  vpc:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "  a:\n"
                       "    type: ec2.subnet\n"
                       "    properties: {vpc_id: '${vpc.id}', cidr_block: 10.0.1.0/24}\n"
                       "  b:\n"
                       "    type: ec2.subnet\n"
                       "    properties: {vpc_id: '${a.id}', cidr_block: 10.0.2.0/24}\n"
                       "  c:\n"
                       "    type: ec2.subnet\n"
                       "    properties: {vpc_id: '${vpc.nope}', cidr_block: 10.0.3.0/24}\n";

    assert_int_equal(load(&s, text, &out), -1);
    assert_non_null(strstr(out,
                           "t.yaml:11:26: error: vpc_id must refer to an ec2.vpc, but 'a' is an "
                           "ec2.subnet\n"));
    assert_non_null(strstr(out, "t.yaml:14:27: error: vpc (ec2.vpc) has no attribute 'nope'"));
    free(out);
    stack_release(&s);
}

static void templates_expand_with_parameters(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "parameters:\n"
                       "  web_port: {type: port, default: 8080}\n"
                       "resources:\n"
                       "  vpc:\n"
                       "    type: ec2.vpc\n"
                       "    properties: {cidr_block: 10.0.0.0/16}\n"
                       "  front:\n"
                       "    template: web\n"
                       "    parameters:\n"
                       "      vpc_id: ${vpc.id}\n"
                       "      port: ${param.web_port}\n";

    assert_int_equal(load(&s, text, &out), 0);
    assert_string_equal(out, "");
    assert_int_equal(s.nres, 3);
    struct stack_res *sg = stack_find(&s, "front.sg"), *logs = stack_find(&s, "front.logs");
    assert_non_null(sg);
    assert_string_equal(sg->instance, "front");
    assert_string_equal(sg->physical_name, "demo-front");
    assert_string_equal(ydoc_get(sg->props, "description")->str, "web on 8080");
    assert_string_equal(ydoc_get(sg->props, "vpc_id")->str, "${vpc.id}");
    assert_string_equal(ydoc_get(logs->props, "name")->str, "/web/${front.sg.id}");
    assert_int_equal(logs->ndeps, 1);
    assert_ptr_equal(logs->deps[0], sg);
    assert_ptr_equal(sg->deps[0], stack_find(&s, "vpc"));

    json_t *j = render_json(&s);
    json_t *rule = json_array_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(j, "resources"), "front.sg"),
                            "properties"),
            "ingress"),
        0);
    assert_int_equal(json_integer_value(json_object_get(rule, "port")), 8080);
    json_decref(j);
    free(out);
    stack_release(&s);
}

static void template_parameters_are_checked(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "resources:\n"
                       "  front:\n"
                       "    template: web\n"
                       "    parameters:\n"
                       "      prot: 80\n"
                       "  back:\n"
                       "    template: wbe\n";

    assert_int_equal(load(&s, text, &out), -1);
    assert_non_null(strstr(out, "t.yaml:6:7: error: template 'web' has no parameter 'prot'; did "
                                "you mean 'port'?\n"));
    assert_non_null(strstr(out, "t.yaml:3:3: error: 'front' (template web) needs the parameter "
                                "'vpc_id': the VPC\n"));
    assert_non_null(strstr(out, "t.yaml:8:15: error: no template 'wbe' in"));
    assert_non_null(strstr(out, "did you mean 'web'?"));
    free(out);
    stack_release(&s);
}

static void null_parameters_leave_properties_out(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "parameters:\n"
                       "  retention: {type: integer, default: ~}\n"
                       "  kms: {type: string, default: ~}\n"
                       "resources:\n"
                       "  logs:\n"
                       "    type: logs.log_group\n"
                       "    properties:\n"
                       "      retention_in_days: ${param.retention}\n"
                       "      kms_key_id: ${param.kms}\n"
                       "      log_group_class: ~\n";

    assert_int_equal(load(&s, text, &out), 0);
    assert_string_equal(out, "");
    struct stack_res *r = stack_find(&s, "logs");
    assert_null(ydoc_get(r->props, "retention_in_days"));
    assert_null(ydoc_get(r->props, "kms_key_id"));
    free(out);
    stack_release(&s);
}

static void files_render_in_their_scope(void **state)
{
    struct stack s;
    char *out;
    const char *text = "stack: demo\n"
                       "parameters:\n"
                       "  port: {type: port, default: 8080}\n"
                       "resources:\n"
                       "  cfg:\n"
                       "    type: secretsmanager.secret\n"
                       "    properties:\n"
                       "      description: ${file.app.conf}\n"
                       "  bad:\n"
                       "    type: secretsmanager.secret\n"
                       "    properties:\n"
                       "      description: ${file.nope.conf}\n";

    assert_int_equal(load(&s, text, &out), -1);
    assert_non_null(strstr(out, "t.yaml:12:20: error: ${file.nope.conf}: cannot read"));
    assert_string_equal(ydoc_get(stack_find(&s, "cfg")->props, "description")->str,
                        "name = demo\nport = 8080\n");
    free(out);
    stack_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(references_make_edges_and_order),
        cmocka_unit_test(cycles_name_every_member),
        cmocka_unit_test(mistakes_are_all_reported_with_hints),
        cmocka_unit_test(references_must_point_at_the_right_type),
        cmocka_unit_test(templates_expand_with_parameters),
        cmocka_unit_test(template_parameters_are_checked),
        cmocka_unit_test(null_parameters_leave_properties_out),
        cmocka_unit_test(files_render_in_their_scope),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
