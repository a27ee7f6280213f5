/*
 * The EC2 resource types' shared helpers, without a network: request
 * parameters (tag filter, TagSpecifications, IpPermissions), captured
 * Describe responses read into attributes, and security-group rule
 * normalization and differences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/resources/ec2util.h"
#include "agent/resources/registry.h"
#include "agent/resources/resmap.h"
#include "aws/apicall.h"
#include "aws/service.h"
#include "core/diag.h"
#include "core/xdoc.h"

/* The parameters of c as "Name=value\n" lines, in order (the caller frees). */
static char *params_text(const struct apicall *c)
{
    size_t n = 1;
    char *out, *p;

    for (size_t i = 0; i < c->nparams; i++)
        n += strlen(c->params[i].name) + strlen(c->params[i].value) + 2;
    p = out = malloc(n);
    *p = '\0';
    for (size_t i = 0; i < c->nparams; i++)
        p += sprintf(p, "%s=%s\n", c->params[i].name, c->params[i].value);
    return out;
}

static void assert_params(const struct apicall *c, const char *want)
{
    char *got = params_text(c);

    assert_string_equal(got, want);
    free(got);
}

/* JSON text into a value; the test fails on bad JSON. */
static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

    if (!j)
        fail_msg("bad JSON in test: %s: %s", text, e.text);
    return j;
}

/* Compare a value with expected JSON text; prints both when they differ. */
static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

    if (!json_equal(got, want))
        fail_msg("JSON differs\n got: %s\nwant: %s", g, w);
    free(g);
    free(w);
    json_decref(want);
}

static struct xdoc *parse_xml(const char *text)
{
    struct diag d;
    struct xdoc *x;

    diag_init(&d);
    x = xdoc_parse(text, strlen(text), &d);
    if (!x)
        fail_msg("bad XML in test: %s", diag_last(&d));
    diag_release(&d);
    return x;
}

static void test_stack_filter(void **state)
{
    struct apicall c;

    (void)state;
    apicall_init(&c, service_lookup("ec2"), "DescribeVpcs");
    ec2util_stack_filter(&c, 1, "dev-davidshaevel");
    ec2util_stack_filter(&c, 2, "x");
    assert_params(&c, "Filter.1.Name=tag:cairn:stack\n"
                      "Filter.1.Value.1=dev-davidshaevel\n"
                      "Filter.2.Name=tag:cairn:stack\n"
                      "Filter.2.Value.1=x\n");
    apicall_release(&c);
}

static void test_tag_spec(void **state)
{
    struct apicall c;
    json_t *tags =
        J("{\"cairn:stack\": \"dev\", \"Name\": \"vpc\", \"cairn:id\": \"network.vpc\"}");
    json_t *none = json_object();

    (void)state;
    apicall_init(&c, service_lookup("ec2"), "CreateVpc");
    ec2util_tag_spec(&c, "vpc", NULL);
    ec2util_tag_spec(&c, "vpc", none);
    assert_int_equal(c.nparams, 0);
    /* Keys in byte order: the request is the same whatever order the tags were built in. */
    ec2util_tag_spec(&c, "vpc", tags);
    assert_params(&c, "TagSpecification.1.ResourceType=vpc\n"
                      "TagSpecification.1.Tag.1.Key=Name\n"
                      "TagSpecification.1.Tag.1.Value=vpc\n"
                      "TagSpecification.1.Tag.2.Key=cairn:id\n"
                      "TagSpecification.1.Tag.2.Value=network.vpc\n"
                      "TagSpecification.1.Tag.3.Key=cairn:stack\n"
                      "TagSpecification.1.Tag.3.Value=dev\n");
    apicall_release(&c);
    json_decref(tags);
    json_decref(none);
}

/* A DescribeVpcs answer as moto gives it (AWS's has the same elements). */
static const char describe_vpcs[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\"><vpcSet><item>"
    "<ownerId>123456789012</ownerId><instanceTenancy>default</instanceTenancy>"
    "<ipv6CidrBlockAssociationSet/><cidrBlockAssociationSet><item>"
    "<associationId>vpc-cidr-assoc-0e3b2f661c29c2fc4</associationId>"
    "<cidrBlock>10.0.0.0/16</cidrBlock><cidrBlockState><state>associated</state></cidrBlockState>"
    "</item></cidrBlockAssociationSet><isDefault>false</isDefault><tagSet>"
    "<item><key>cairn:stack</key><value>s1</value></item>"
    "<item><key>cairn:id</key><value>network.vpc</value></item>"
    "<item><key>aws:cloudformation:stack-name</key><value>old</value></item></tagSet>"
    "<vpcId>vpc-e9d3427277aed6c21</vpcId><state>available</state>"
    "<cidrBlock>10.0.0.0/16</cidrBlock><dhcpOptionsId>default</dhcpOptionsId></item>"
    "<item><vpcId>vpc-2</vpcId><cidrBlock>10.1.0.0/16</cidrBlock><isDefault>true</isDefault>"
    "<instanceTenancy></instanceTenancy></item>"
    "</vpcSet><nextToken>tok</nextToken><requestId>request-id</requestId></DescribeVpcsResponse>";

/* The same fields as ec2.vpc's, a boolean, and an element the answer does not have. */
static const struct attr vpc_fields[] = {
    {.name = "id", .type = VT_STRING, .member = "vpcId"},
    {.name = "cidr_block", .type = VT_CIDR, .member = "cidrBlock"},
    {.name = "instance_tenancy", .type = VT_STRING, .member = "instanceTenancy"},
    {.name = "is_default", .type = VT_BOOL, .member = "isDefault"},
    {.name = "ipv6_pool", .type = VT_STRING, .member = "ipv6CidrBlockAssociationSet/item/ipv6Pool"},
    {.name = "unmapped", .type = VT_STRING},
    {0},
};

static void test_describe_vpcs_into_attrs(void **state)
{
    struct xdoc *x = parse_xml(describe_vpcs);
    const struct xnode *item = xdoc_path(xdoc_child(x->root, "vpcSet"), "item");
    json_t *a;

    (void)state;
    assert_non_null(item);
    a = ec2util_read(vpc_fields, item);
    assert_json(a, "{\"id\": \"vpc-e9d3427277aed6c21\", \"cidr_block\": \"10.0.0.0/16\","
                   " \"instance_tenancy\": \"default\", \"is_default\": false,"
                   " \"tags\": {\"cairn:stack\": \"s1\", \"cairn:id\": \"network.vpc\","
                   " \"aws:cloudformation:stack-name\": \"old\"}}");
    json_decref(a);
    assert_string_equal(ec2util_tag(item, "cairn:id"), "network.vpc");
    assert_null(ec2util_tag(item, "Name"));
    assert_string_equal(xdoc_text(x->root, "nextToken"), "tok");

    /* The second VPC has no tagSet (so no tags) and an empty element (left out). */
    item = xdoc_next(item);
    a = ec2util_read(vpc_fields, item);
    assert_json(a, "{\"id\": \"vpc-2\", \"cidr_block\": \"10.1.0.0/16\", \"is_default\": true}");
    json_decref(a);
    a = ec2util_tags(item);
    assert_json(a, "{}");
    json_decref(a);
    assert_null(xdoc_next(item));
    xdoc_free(x);
}

static void test_attrs_kinds(void **state)
{
    static const char subnet[] =
        "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-1</subnetId>"
        "<availableIpAddressCount>250</availableIpAddressCount>"
        "<mapPublicIpOnLaunch>true</mapPublicIpOnLaunch><attachmentSet><item><vpcId>vpc-1</vpcId>"
        "</item></attachmentSet></item></subnetSet></DescribeSubnetsResponse>";
    static const struct attr fields[] = {
        {.name = "id", .type = VT_STRING, .member = "subnetId"},
        {.name = "free", .type = VT_INT, .member = "availableIpAddressCount"},
        {.name = "map_public_ip_on_launch", .type = VT_BOOL, .member = "mapPublicIpOnLaunch"},
        {.name = "vpc_id", .type = VT_STRING, .member = "attachmentSet/item/vpcId"},
        {0},
    };
    struct xdoc *x = parse_xml(subnet);
    json_t *a;

    (void)state;
    a = ec2util_read(fields, xdoc_path(x->root, "subnetSet/item"));
    assert_json(a, "{\"id\": \"subnet-1\", \"free\": 250, \"map_public_ip_on_launch\": true,"
                   " \"vpc_id\": \"vpc-1\"}");
    json_decref(a);
    xdoc_free(x);
}

/*
 * A DescribeSecurityGroups answer in AWS's shape: rules grouped by protocol and
 * ports, each range and group with its own description; the egress holds the
 * default allow-all rule; an ICMP rule, an IPv6 range and a prefix list added
 * outside cairn.
 */
static const char describe_sgs[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeSecurityGroupsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
    "<requestId>r</requestId><securityGroupInfo><item>"
    "<ownerId>123456789012</ownerId><groupId>sg-0a</groupId><groupName>dev-alb</groupName>"
    "<groupDescription>The public load balancer</groupDescription><vpcId>vpc-1</vpcId>"
    "<securityGroupArn>arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a</securityGroupArn>"
    "<ipPermissions>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort>"
    "<groups><item><userId>123456789012</userId><groupId>sg-0c</groupId>"
    "<description>From the ALB</description></item></groups>"
    "<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp><description>inside</description></item>"
    "<item><cidrIp>0.0.0.0/0</cidrIp></item><item><cidrIp>192.168.0.0/16</cidrIp>"
    "<description>inside</description></item></ipRanges>"
    "<ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges>"
    "<prefixListIds/></item>"
    "<item><ipProtocol>icmp</ipProtocol><fromPort>8</fromPort><toPort>-1</toPort><groups/>"
    "<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges><ipv6Ranges/>"
    "<prefixListIds/></item>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>8000</fromPort><toPort>8010</toPort><groups/>"
    "<ipRanges/><ipv6Ranges/><prefixListIds><item><prefixListId>pl-1</prefixListId>"
    "</item></prefixListIds></item>"
    "</ipPermissions>"
    "<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item>"
    "<cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item>"
    "</ipPermissionsEgress>"
    "<tagSet><item><key>cairn:stack</key><value>dev</value></item></tagSet>"
    "</item></securityGroupInfo></DescribeSecurityGroupsResponse>";

static void test_describe_security_groups_rules(void **state)
{
    struct xdoc *x = parse_xml(describe_sgs);
    const struct xnode *item = xdoc_path(x->root, "securityGroupInfo/item");
    json_t *in, *out;

    (void)state;
    in = ec2util_rules_read(xdoc_child(item, "ipPermissions"));
    /* Canonical: one kind of source per rule, ranges with equal descriptions merged and
     * sorted, port for tcp with one port, ICMP type/code as from/to, sorted by protocol,
     * ports, kind of source, description. */
    assert_json(in, "["
                    "{\"protocol\": \"icmp\", \"from_port\": 8, \"to_port\": -1,"
                    " \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    "{\"protocol\": \"tcp\", \"port\": 443, \"cidr_blocks\": [\"0.0.0.0/0\"]},"
                    "{\"protocol\": \"tcp\", \"port\": 443, \"description\": \"inside\","
                    " \"cidr_blocks\": [\"10.0.0.0/8\", \"192.168.0.0/16\"]},"
                    "{\"protocol\": \"tcp\", \"port\": 443, \"ipv6_cidr_blocks\": [\"::/0\"]},"
                    "{\"protocol\": \"tcp\", \"port\": 443, \"source_security_group\": \"sg-0c\","
                    " \"description\": \"From the ALB\"},"
                    "{\"protocol\": \"tcp\", \"from_port\": 8000, \"to_port\": 8010,"
                    " \"prefix_list_ids\": [\"pl-1\"]}"
                    "]");
    out = ec2util_rules_read(xdoc_child(item, "ipPermissionsEgress"));
    assert_json(out, "[{\"protocol\": \"-1\", \"cidr_blocks\": [\"0.0.0.0/0\"]}]");
    /* What was read is already canonical. */
    json_t *again = ec2util_rules_normalize(in);
    assert_true(json_equal(again, in));
    json_decref(again);
    json_decref(in);
    json_decref(out);
    /* No rules at all: an empty list. */
    in = ec2util_rules_read(NULL);
    assert_json(in, "[]");
    json_decref(in);
    xdoc_free(x);
}

static void check_normalize(const char *rules, const char *want)
{
    json_t *r = J(rules), *n = ec2util_rules_normalize(r);

    assert_json(n, want);
    json_decref(r);
    json_decref(n);
}

static void test_rules_normalize(void **state)
{
    (void)state;
    /* protocol defaults to tcp; from_port = to_port is port. */
    check_normalize("[{\"from_port\": 80, \"to_port\": 80, \"cidr_blocks\": [\"0.0.0.0/0\"]}]",
                    "[{\"protocol\": \"tcp\", \"port\": 80, \"cidr_blocks\": [\"0.0.0.0/0\"]}]");
    /* Protocol numbers as AWS names them; all traffic has no ports. */
    check_normalize("[{\"protocol\": \"6\", \"port\": \"22\", \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"protocol\": \"-1\", \"port\": 22, \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"protocol\": 17, \"from_port\": 53, \"to_port\": 54,"
                    "  \"cidr_blocks\": [\"10.0.0.0/8\"]}]",
                    "[{\"protocol\": \"-1\", \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"protocol\": \"tcp\", \"port\": 22, \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"protocol\": \"udp\", \"from_port\": 53, \"to_port\": 54,"
                    "  \"cidr_blocks\": [\"10.0.0.0/8\"]}]");
    /* A rule with ranges and a group is two; rules equal but for their ranges are one, with
     * the ranges sorted and without duplicates; an empty description is none. */
    check_normalize(
        "[{\"port\": 443, \"cidr_blocks\": [\"10.1.0.0/16\", \"10.0.0.0/16\"],"
        "  \"source_security_group\": \"sg-1\", \"description\": \"\"},"
        " {\"port\": 443, \"cidr_blocks\": [\"10.0.0.0/16\", \"10.2.0.0/16\"]},"
        " {\"port\": 443, \"source_security_group\": \"sg-1\"}]",
        "[{\"protocol\": \"tcp\", \"port\": 443,"
        "  \"cidr_blocks\": [\"10.0.0.0/16\", \"10.1.0.0/16\", \"10.2.0.0/16\"]},"
        " {\"protocol\": \"tcp\", \"port\": 443, \"source_security_group\": \"sg-1\"}]");
    /* Different descriptions keep ranges apart. */
    check_normalize("[{\"port\": 80, \"cidr_blocks\": [\"10.0.0.0/8\"], \"description\": \"b\"},"
                    " {\"port\": 80, \"cidr_blocks\": [\"10.1.0.0/16\"], \"description\": \"a\"}]",
                    "[{\"protocol\": \"tcp\", \"port\": 80, \"cidr_blocks\": [\"10.1.0.0/16\"],"
                    "  \"description\": \"a\"},"
                    " {\"protocol\": \"tcp\", \"port\": 80, \"cidr_blocks\": [\"10.0.0.0/8\"],"
                    "  \"description\": \"b\"}]");
    /* Sorted by ports as numbers, not as text. */
    check_normalize("[{\"port\": 9090, \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"port\": 80, \"cidr_blocks\": [\"10.0.0.0/8\"]}]",
                    "[{\"protocol\": \"tcp\", \"port\": 80, \"cidr_blocks\": [\"10.0.0.0/8\"]},"
                    " {\"protocol\": \"tcp\", \"port\": 9090, \"cidr_blocks\": [\"10.0.0.0/8\"]}]");
    check_normalize("null", "[]");
    check_normalize("[]", "[]");
}

static void test_rules_equal_and_minus(void **state)
{
    json_t *a = J("[{\"port\": 443, \"cidr_blocks\": [\"10.0.0.0/8\", \"0.0.0.0/0\"]},"
                  " {\"port\": 22, \"source_security_group\": \"sg-1\"}]");
    json_t *b = J("[{\"protocol\": \"tcp\", \"from_port\": 22, \"to_port\": 22,"
                  "  \"source_security_group\": \"sg-1\"},"
                  " {\"port\": 443, \"cidr_blocks\": [\"0.0.0.0/0\"]},"
                  " {\"port\": 443, \"cidr_blocks\": [\"10.0.0.0/8\"]}]");
    json_t *c = J("[{\"port\": 443, \"cidr_blocks\": [\"0.0.0.0/0\"]},"
                  " {\"port\": 8443, \"cidr_blocks\": [\"0.0.0.0/0\"]}]");
    json_t *m;

    (void)state;
    assert_true(ec2util_rules_equal(a, b));
    assert_false(ec2util_rules_equal(a, c));
    m = ec2util_rules_minus(a, b);
    assert_json(m, "[]");
    json_decref(m);
    /* Source by source: only 10.0.0.0/8 of the first rule is not in c. */
    m = ec2util_rules_minus(a, c);
    assert_json(m, "[{\"protocol\": \"tcp\", \"port\": 22, \"source_security_group\": \"sg-1\"},"
                   " {\"protocol\": \"tcp\", \"port\": 443, \"cidr_blocks\": [\"10.0.0.0/8\"]}]");
    json_decref(m);
    m = ec2util_rules_minus(c, a);
    assert_json(m, "[{\"protocol\": \"tcp\", \"port\": 8443, \"cidr_blocks\": [\"0.0.0.0/0\"]}]");
    json_decref(m);
    /* A description is part of a rule: a new one is a difference. */
    json_decref(c);
    c = J("[{\"port\": 22, \"source_security_group\": \"sg-1\", \"description\": \"ssh\"}]");
    m = ec2util_rules_minus(c, a);
    assert_json(m, "[{\"protocol\": \"tcp\", \"port\": 22, \"source_security_group\": \"sg-1\","
                   " \"description\": \"ssh\"}]");
    json_decref(m);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void test_ip_permissions(void **state)
{
    struct apicall c;
    json_t *rules =
        J("[{\"port\": 443, \"cidr_blocks\": [\"10.0.0.0/8\", \"0.0.0.0/0\"],"
          "  \"description\": \"web\"},"
          " {\"port\": 5432, \"source_security_group\": \"sg-1\"},"
          " {\"protocol\": \"-1\", \"cidr_blocks\": [\"0.0.0.0/0\"]},"
          " {\"protocol\": \"icmp\", \"from_port\": -1, \"to_port\": -1,"
          "  \"ipv6_cidr_blocks\": [\"::/0\"]},"
          " {\"from_port\": 8000, \"to_port\": 8080, \"prefix_list_ids\": [\"pl-1\"]}]");

    (void)state;
    apicall_init(&c, service_lookup("ec2"), "AuthorizeSecurityGroupIngress");
    assert_int_equal(ec2util_ip_permissions(&c, "IpPermissions", rules), 5);
    assert_params(&c, "IpPermissions.1.IpProtocol=-1\n"
                      "IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0/0\n"
                      "IpPermissions.2.IpProtocol=icmp\n"
                      "IpPermissions.2.FromPort=-1\n"
                      "IpPermissions.2.ToPort=-1\n"
                      "IpPermissions.2.Ipv6Ranges.1.CidrIpv6=::/0\n"
                      "IpPermissions.3.IpProtocol=tcp\n"
                      "IpPermissions.3.FromPort=443\n"
                      "IpPermissions.3.ToPort=443\n"
                      "IpPermissions.3.IpRanges.1.CidrIp=0.0.0.0/0\n"
                      "IpPermissions.3.IpRanges.1.Description=web\n"
                      "IpPermissions.3.IpRanges.2.CidrIp=10.0.0.0/8\n"
                      "IpPermissions.3.IpRanges.2.Description=web\n"
                      "IpPermissions.4.IpProtocol=tcp\n"
                      "IpPermissions.4.FromPort=5432\n"
                      "IpPermissions.4.ToPort=5432\n"
                      "IpPermissions.4.Groups.1.GroupId=sg-1\n"
                      "IpPermissions.5.IpProtocol=tcp\n"
                      "IpPermissions.5.FromPort=8000\n"
                      "IpPermissions.5.ToPort=8080\n"
                      "IpPermissions.5.PrefixListIds.1.PrefixListId=pl-1\n");
    apicall_release(&c);
    apicall_init(&c, service_lookup("ec2"), "RevokeSecurityGroupEgress");
    assert_int_equal(ec2util_ip_permissions(&c, "IpPermissions", NULL), 0);
    assert_int_equal(c.nparams, 0);
    apicall_release(&c);
    json_decref(rules);
}

/* Values left out are the table's defaults, read from the registry's real tables. */
static void test_want_defaults(void **state)
{
    const struct restype *vpc = registry_lookup("ec2.vpc");
    const struct restype *sg = registry_lookup("ec2.security_group");
    json_t *desired = J("{\"enable_dns_hostnames\": true, \"enable_dns_support\": \"false\","
                        " \"ingress\": []}");
    json_t *v, *n;

    (void)state;
    assert_non_null(vpc);
    assert_non_null(sg);
    assert_true(resutil_want_bool(vpc, desired, "enable_dns_hostnames"));
    assert_false(resutil_want_bool(vpc, desired, "enable_dns_support"));
    assert_false(resutil_want_bool(vpc, desired, "enable_network_address_usage_metrics"));
    assert_true(resutil_want_bool(vpc, NULL, "enable_dns_support"));
    assert_string_equal(resutil_want_str(vpc, desired, "instance_tenancy"), "default");
    assert_null(resutil_want_str(vpc, desired, "cidr_block"));
    /* A left-out egress is AWS's allow-all rule; ingress is what desired says. */
    v = resutil_want_json(sg, desired, "egress");
    n = ec2util_rules_normalize(v);
    assert_json(n, "[{\"protocol\": \"-1\", \"cidr_blocks\": [\"0.0.0.0/0\"]}]");
    json_decref(v);
    json_decref(n);
    v = resutil_want_json(sg, desired, "ingress");
    assert_json(v, "[]");
    json_decref(v);
    assert_null(resutil_want_json(sg, desired, "tags"));
    json_decref(desired);
}

static void test_check_required(void **state)
{
    const struct restype *subnet = registry_lookup("ec2.subnet");
    json_t *ok = J("{\"vpc_id\": \"vpc-1\", \"cidr_block\": \"10.0.1.0/24\"}");
    json_t *bad = J("{\"vpc_id\": 7, \"map_public_ip_on_launch\": true}");
    struct diag d;

    (void)state;
    diag_init(&d);
    assert_int_equal(resutil_check_required(subnet, "network.public_a", ok, &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(resutil_check_required(subnet, "network.public_a", bad, &d), -1);
    assert_int_equal(d.nerrors, 2);
    assert_string_equal(d.v[0].msg, "ec2.subnet network.public_a: vpc_id must be a string");
    assert_string_equal(d.v[1].msg, "ec2.subnet network.public_a: cidr_block is required");
    diag_release(&d);
    json_decref(ok);
    json_decref(bad);
}

static void test_stack_of(void **state)
{
    json_t *a = J("{\"tags\": {\"cairn:stack\": \"dev\"}}"), *b = J("{\"id\": \"x\"}");

    (void)state;
    assert_string_equal(resutil_stack_of(a), "dev");
    assert_null(resutil_stack_of(b));
    assert_null(resutil_stack_of(NULL));
    json_decref(a);
    json_decref(b);
}

/* Create parameters from the real tables: members capitalized for EC2, defaults filled in,
 * computed and ATTR_LATER attributes (a subnet's map_public_ip_on_launch) left out. */
static void test_create_params(void **state)
{
    const struct restype *subnet = registry_lookup("ec2.subnet");
    const struct restype *vpc = registry_lookup("ec2.vpc");
    json_t *want = J("{\"vpc_id\": \"vpc-1\", \"cidr_block\": \"10.0.1.0/24\","
                     " \"map_public_ip_on_launch\": true, \"id\": \"subnet-x\"}");
    struct apicall c;
    char *text;

    (void)state;
    apicall_init(&c, service_lookup("ec2"), "CreateSubnet");
    ec2util_create_params(&c, subnet, NULL, want);
    text = params_text(&c);
    assert_string_equal(text, "VpcId=vpc-1\nCidrBlock=10.0.1.0/24\n");
    free(text);
    apicall_release(&c);
    apicall_init(&c, service_lookup("ec2"), "CreateVpc");
    ec2util_create_params(&c, vpc, NULL, want);
    text = params_text(&c);
    assert_string_equal(text, "CidrBlock=10.0.1.0/24\nInstanceTenancy=default\n");
    free(text);
    apicall_release(&c);
    json_decref(want);
}

/* A JSON service's read and create body from the table: paths, integers as text, empty and
 * null members left out; the physical name and tags as the dialect spells them. */
static void test_json_read_and_create_body(void **state)
{
    const struct restype *ns = registry_lookup("servicediscovery.private_dns_namespace");
    const struct restype *mt = registry_lookup("efs.mount_target");
    static const struct attr table[] = {
        {.name = "count", .type = VT_INT, .member = "Count"},
        {.name = "on", .type = VT_BOOL, .member = "On"},
        {.name = "gone", .type = VT_STRING, .member = "Gone"},
        {.name = "unmapped", .type = VT_STRING},
        {0},
    };
    json_t *api = J("{\"Id\": \"ns-1\", \"Name\": \"x.local\", \"Description\": \"\","
                    " \"Properties\": {\"DnsProperties\": {\"HostedZoneId\": \"Z1\"}}}");
    json_t *kinds = J("{\"Count\": \"12\", \"On\": \"true\", \"Gone\": null}");
    json_t *want = J("{\"vpc\": \"vpc-1\", \"description\": \"d\", \"name\": \"ignored\"}");
    json_t *tags = J("{\"b\": \"2\", \"a\": \"1\", \"aws:x\": \"no\"}");
    json_t *a, *body = json_object();
    struct restype_call call = {.physical_name = "dev.local", .token = "tok"};

    (void)state;
    a = resmap_read(ns->attrs, api);
    assert_json(a, "{\"name\": \"x.local\", \"id\": \"ns-1\", \"hosted_zone_id\": \"Z1\"}");
    json_decref(a);
    a = resmap_read(table, kinds);
    assert_json(a, "{\"count\": 12, \"on\": true}");
    json_decref(a);
    resutil_create_body(ns, &call, want, tags, body);
    assert_json(body, "{\"Name\": \"dev.local\", \"Vpc\": \"vpc-1\", \"Description\": \"d\","
                      " \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"},"
                      " {\"Key\": \"b\", \"Value\": \"2\"}]}");
    json_decref(body);
    /* An untaggable type gets no tags member; an attribute without a member is not sent. */
    body = json_object();
    json_decref(want);
    want =
        J("{\"file_system_id\": \"fs-1\", \"subnet_id\": \"s-1\", \"security_groups\": [\"sg\"]}");
    resutil_create_body(mt, &call, want, NULL, body);
    assert_json(body, "{\"FileSystemId\": \"fs-1\", \"SubnetId\": \"s-1\"}");
    json_decref(body);
    json_decref(api);
    json_decref(kinds);
    json_decref(want);
    json_decref(tags);
}

/* An object found under the name a create wanted is adopted only when its tags say it is this
 * stack's resource. */
static void test_adopt_check(void **state)
{
    const struct restype *lg = registry_lookup("logs.log_group");
    struct restype_call c = {.stack = "dev", .cairn_id = "logs.app"};
    json_t *mine = J("{\"cairn:stack\": \"dev\", \"cairn:id\": \"logs.app\"}");
    json_t *other = J("{\"cairn:stack\": \"dev\", \"cairn:id\": \"logs.other\"}");
    struct diag d;

    (void)state;
    diag_init(&d);
    assert_int_equal(resutil_adopt_check(lg, &c, "/ecs/dev-app", mine, &d), 0);
    assert_int_equal(d.nerrors, 0);
    assert_int_equal(resutil_adopt_check(lg, &c, "/ecs/dev-app", other, &d), -1);
    assert_int_equal(resutil_adopt_check(lg, &c, "/ecs/dev-app", NULL, &d), -1);
    assert_string_equal(d.v[0].msg, "logs.log_group logs.app: a log group named /ecs/dev-app "
                                    "exists and is not this stack's");
    diag_release(&d);
    json_decref(mine);
    json_decref(other);
}

/* Counts down to done; fails when asked to. */
static int countdown(struct session *s, void *arg, struct diag *d)
{
    int *n = arg;

    (void)s;
    if (*n < 0) {
        diag_error(d, NULL, "failed");
        return -1;
    }
    return --*n <= 0;
}

static void test_poll(void **state)
{
    int n = 3;
    struct diag d;

    (void)state;
    diag_init(&d);
    assert_int_equal(resutil_poll(NULL, countdown, &n, 1, 2, 5, &d), 1);
    assert_int_equal(n, 0);
    n = 1000000; /* not done within 0 s: the probe runs once */
    assert_int_equal(resutil_poll(NULL, countdown, &n, 1, 2, 0, &d), 0);
    assert_int_equal(n, 999999);
    assert_int_equal(d.nerrors, 0);
    n = -1;
    assert_int_equal(resutil_poll(NULL, countdown, &n, 1, 2, 5, &d), -1);
    assert_int_equal(d.nerrors, 1);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_filter),
        cmocka_unit_test(test_tag_spec),
        cmocka_unit_test(test_describe_vpcs_into_attrs),
        cmocka_unit_test(test_attrs_kinds),
        cmocka_unit_test(test_describe_security_groups_rules),
        cmocka_unit_test(test_rules_normalize),
        cmocka_unit_test(test_rules_equal_and_minus),
        cmocka_unit_test(test_ip_permissions),
        cmocka_unit_test(test_want_defaults),
        cmocka_unit_test(test_check_required),
        cmocka_unit_test(test_stack_of),
        cmocka_unit_test(test_create_params),
        cmocka_unit_test(test_json_read_and_create_body),
        cmocka_unit_test(test_adopt_check),
        cmocka_unit_test(test_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
