/* Wire protocols: request encoding, response and error decoding, endpoints, XML, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/apicall.h"
#include "aws/proto.h"
#include "aws/service.h"
#include "core/isotime.h"
#include "core/jpath.h"
#include "core/xdoc.h"

static void set_body(struct http_response *r, long status, const char *body)
{
    http_response_init(r);
    r->status = status;
    strbuf_adds(&r->body, body);
}

static void add_header(struct http_response *r, const char *name, const char *value)
{
    r->headers = realloc(r->headers, sizeof(*r->headers) * (r->nheaders + 1));
    r->headers[r->nheaders].name = strdup(name);
    r->headers[r->nheaders].value = strdup(value);
    r->nheaders++;
    r->aheaders = r->nheaders;
}

static void query_encodes_action_version_and_escapes(void **state)
{
    struct apicall c;
    struct proto_wire w;
    struct diag d;

    diag_init(&d);
    apicall_init(&c, service_lookup("ec2"), "DescribeVpcs");
    apicall_param(&c, "Filter.1.Name", "tag:cairn:stack");
    apicall_paramf(&c, "a b/c+é~", "Filter.%d.Value.%d", 1, 1);
    proto_wire_init(&w);
    assert_int_equal(proto_encode(&c, &w, &d), 0);
    assert_string_equal(w.method, "POST");
    assert_string_equal(w.path.buf, "/");
    assert_string_equal(w.body.buf, "Action=DescribeVpcs&Version=2016-11-15"
                                    "&Filter.1.Name=tag%3Acairn%3Astack"
                                    "&Filter.1.Value.1=a%20b%2Fc%2B%C3%A9~");
    assert_string_equal(w.content_type, "application/x-www-form-urlencoded; charset=utf-8");
    proto_wire_release(&w);
    apicall_release(&c);
    diag_release(&d);
}

static void json_encodes_target_and_body(void **state)
{
    struct apicall c;
    struct proto_wire w;
    struct diag d;

    diag_init(&d);
    apicall_init(&c, service_lookup("ecs"), "ListClusters");
    proto_wire_init(&w);
    assert_int_equal(proto_encode(&c, &w, &d), 0);
    assert_string_equal(w.target, "AmazonEC2ContainerServiceV20141113.ListClusters");
    assert_string_equal(w.body.buf, "{}");
    assert_string_equal(w.content_type, "application/x-amz-json-1.1");
    proto_wire_release(&w);
    proto_wire_init(&w);
    apicall_json(&c, json_pack("{s:i}", "maxResults", 5));
    assert_int_equal(proto_encode(&c, &w, &d), 0);
    assert_string_equal(w.body.buf, "{\"maxResults\":5}");
    proto_wire_release(&w);
    apicall_release(&c);
    diag_release(&d);
}

static void restjson_encodes_path_and_query(void **state)
{
    struct apicall c;
    struct proto_wire w;
    struct diag d;

    diag_init(&d);
    apicall_init(&c, service_lookup("efs"), "DescribeAccessPoints");
    apicall_rest(&c, "GET", "/2015-02-01/access-points");
    apicall_param(&c, "FileSystemId", "fs-1234");
    apicall_param(&c, "MaxResults", "10");
    proto_wire_init(&w);
    assert_int_equal(proto_encode(&c, &w, &d), 0);
    assert_string_equal(w.method, "GET");
    assert_string_equal(w.path.buf, "/2015-02-01/access-points");
    assert_string_equal(w.query.buf, "FileSystemId=fs-1234&MaxResults=10");
    assert_null(w.content_type);
    assert_int_equal(w.body.len, 0);
    proto_wire_release(&w);

    apicall_rest(&c, "DELETE", "/2015-02-01/access-points/%s", apicall_escape(&c, "fsap-1/x"));
    proto_wire_init(&w);
    assert_int_equal(proto_encode(&c, &w, &d), 0);
    assert_string_equal(w.path.buf, "/2015-02-01/access-points/fsap-1%2Fx");
    proto_wire_release(&w);
    apicall_release(&c);
    diag_release(&d);
}

static void errors_decode_uniformly(void **state)
{
    struct http_response r;
    struct apierr e;

    /* Query (STS, IAM, ELBv2). */
    set_body(&r, 400,
             "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
             "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
             "<RequestId>req-1</RequestId></ErrorResponse>");
    proto_decode_error(service_lookup("sts"), &r, &e);
    assert_string_equal(e.code, "Throttling");
    assert_string_equal(e.message, "Rate exceeded");
    assert_string_equal(e.request_id, "req-1");
    assert_int_equal(e.status, 400);
    http_response_release(&r);

    /* EC2. */
    set_body(&r, 400,
             "<?xml version=\"1.0\"?><Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>"
             "<Message>The vpc ID 'vpc-1' does not exist</Message></Error></Errors>"
             "<RequestID>req-2</RequestID></Response>");
    proto_decode_error(service_lookup("ec2"), &r, &e);
    assert_string_equal(e.code, "InvalidVpcID.NotFound");
    assert_string_equal(e.request_id, "req-2");
    http_response_release(&r);

    /* JSON 1.1: __type with a namespace prefix. */
    set_body(&r, 400,
             "{\"__type\":\"com.amazonaws.ecs#ClusterNotFoundException\",\"message\":\"gone\"}");
    add_header(&r, "x-amzn-requestid", "req-3");
    proto_decode_error(service_lookup("ecs"), &r, &e);
    assert_string_equal(e.code, "ClusterNotFoundException");
    assert_string_equal(e.message, "gone");
    assert_string_equal(e.request_id, "req-3");
    http_response_release(&r);

    /* REST-JSON: X-Amzn-ErrorType wins, with its ":http://..." tail stripped. */
    set_body(&r, 404, "{\"ErrorCode\":\"FileSystemNotFound\",\"Message\":\"no such fs\"}");
    add_header(&r, "x-amzn-errortype", "FileSystemNotFound:http://internal.amazon.com/");
    proto_decode_error(service_lookup("efs"), &r, &e);
    assert_string_equal(e.code, "FileSystemNotFound");
    assert_string_equal(e.message, "no such fs");
    http_response_release(&r);

    /* Garbage from a proxy: a code from the status and the start of the body. */
    set_body(&r, 502, "<html>Bad Gateway</html>");
    proto_decode_error(service_lookup("ecs"), &r, &e);
    assert_string_equal(e.code, "Http502");
    assert_string_equal(e.message, "<html>Bad Gateway</html>");
    http_response_release(&r);
}

static void decode_parses_success_bodies(void **state)
{
    struct apicall c;
    struct http_response r;
    struct diag d;

    diag_init(&d);
    apicall_init(&c, service_lookup("ec2"), "DescribeVpcs");
    set_body(&r, 200,
             "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
             "<vpcSet><item><vpcId>vpc-1</vpcId></item><item><vpcId>vpc-2</vpcId></item></vpcSet>"
             "<nextToken>tok</nextToken></DescribeVpcsResponse>");
    assert_int_equal(proto_decode(&c, &r, &d), 0);
    const struct xnode *item = xdoc_path(c.xml->root, "vpcSet/item");
    assert_string_equal(xdoc_text(item, "vpcId"), "vpc-1");
    item = xdoc_next(item);
    assert_string_equal(xdoc_text(item, "vpcId"), "vpc-2");
    assert_null(xdoc_next(item));
    assert_int_equal(apicall_next_page(&c, "NextToken", "nextToken"), 1);
    assert_string_equal(c.params[c.nparams - 1].name, "NextToken");
    assert_string_equal(c.params[c.nparams - 1].value, "tok");
    http_response_release(&r);
    apicall_release(&c);

    apicall_init(&c, service_lookup("logs"), "DescribeLogGroups");
    set_body(&r, 200, "{\"logGroups\":[]}");
    assert_int_equal(proto_decode(&c, &r, &d), 0);
    assert_int_equal(apicall_next_page(&c, "nextToken", "nextToken"), 0);
    http_response_release(&r);
    set_body(&r, 200, "{\"logGroups\":[],\"nextToken\":\"n2\"}");
    apicall_reset_result(&c);
    assert_int_equal(proto_decode(&c, &r, &d), 0);
    assert_int_equal(apicall_next_page(&c, "nextToken", "nextToken"), 1);
    assert_string_equal(json_string_value(json_object_get(c.body, "nextToken")), "n2");
    http_response_release(&r);

    set_body(&r, 200, "{not json");
    apicall_reset_result(&c);
    assert_int_equal(proto_decode(&c, &r, &d), -1);
    assert_non_null(strstr(diag_last(&d), "not JSON"));
    http_response_release(&r);
    apicall_release(&c);
    diag_release(&d);
}

static void xdoc_rejects_bad_and_deep_xml(void **state)
{
    struct diag d;
    struct strbuf sb = STRBUF_INIT;

    diag_init(&d);
    assert_null(xdoc_parse("<a><b></a>", 10, &d));
    assert_non_null(strstr(diag_last(&d), "malformed XML"));
    for (int i = 0; i < 100; i++)
        strbuf_adds(&sb, "<x>");
    assert_null(xdoc_parse(sb.buf, sb.len, &d));
    assert_non_null(strstr(diag_last(&d), "deeper"));
    strbuf_release(&sb);
    diag_release(&d);
}

static void endpoints_follow_sdk_rules(void **state)
{
    struct strbuf url = STRBUF_INIT;
    struct diag d;

    diag_init(&d);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_EFS");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    assert_int_equal(service_endpoint(service_lookup("efs"), "eu-west-1", &url, &d), 0);
    assert_string_equal(url.buf, "https://elasticfilesystem.eu-west-1.amazonaws.com");
    assert_int_equal(service_endpoint(service_lookup("iam"), "eu-west-1", &url, &d), 0);
    assert_string_equal(url.buf, "https://iam.amazonaws.com");
    assert_string_equal(service_signing_region(service_lookup("iam"), "eu-west-1"), "us-east-1");
    assert_int_equal(service_endpoint(service_lookup("elbv2"), "cn-north-1", &url, &d), 0);
    assert_string_equal(url.buf, "https://elasticloadbalancing.cn-north-1.amazonaws.com.cn");
    assert_string_equal(service_lookup("elbv2")->signing_name, "elasticloadbalancing");

    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
    setenv("AWS_ENDPOINT_URL_EFS", "http://127.0.0.1:6000", 1);
    assert_int_equal(service_endpoint(service_lookup("efs"), "eu-west-1", &url, &d), 0);
    assert_string_equal(url.buf, "http://127.0.0.1:6000");
    assert_int_equal(service_endpoint(service_lookup("ecs"), "eu-west-1", &url, &d), 0);
    assert_string_equal(url.buf, "http://127.0.0.1:5000");
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    assert_int_equal(service_endpoint(service_lookup("ecs"), "eu-west-1", &url, &d), 0);
    assert_string_equal(url.buf, "https://ecs.eu-west-1.amazonaws.com");
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    setenv("AWS_ENDPOINT_URL", "127.0.0.1:5000", 1);
    assert_int_equal(service_endpoint(service_lookup("ecs"), "eu-west-1", &url, &d), -1);
    assert_non_null(strstr(diag_last(&d), "AWS_ENDPOINT_URL='127.0.0.1:5000'"));
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_EFS");
    strbuf_release(&url);
    diag_release(&d);
}

static void every_service_row_is_complete(void **state)
{
    int n = 0;
    for (const struct service *s = service_table; s->id; s++, n++) {
        assert_non_null(s->endpoint_prefix);
        assert_non_null(s->signing_name);
        assert_non_null(s->env_id);
        assert_non_null(s->api_version);
        if (s->proto == PROTO_JSON) {
            assert_non_null(s->target_prefix);
            assert_non_null(s->json_version);
        }
        assert_ptr_equal(service_lookup(s->id), s);
    }
    assert_int_equal(n, 11);
    assert_null(service_lookup("s3"));
}

static void isotime_parses_aws_forms(void **state)
{
    time_t t;
    char buf[32];

    assert_int_equal(isotime_parse("2026-11-24T03:18:45Z", &t), 0);
    isotime_format(t, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T03:18:45Z");
    assert_int_equal(isotime_parse("2026-11-24T04:18:45.123+01:00", &t), 0);
    isotime_format(t, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T03:18:45Z");
    assert_int_equal(isotime_parse("2026-11-24 03:18:45", &t), -1);
    assert_int_equal(isotime_parse("2026-13-24T03:18:45Z", &t), -1);
    assert_int_equal(isotime_parse("yesterday", &t), -1);
    /* Lenient for AWS: lower-case z, an offset without its colon, a bare dot. */
    assert_int_equal(isotime_parse("2026-11-24t03:18:45.z", &t), 0);
    assert_int_equal(isotime_parse("2026-11-24T04:18:45+0100", &t), 0);
    isotime_format(t, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-24T03:18:45Z");
    /* Whole seconds before the epoch too: the fraction is dropped, not rounded up. */
    assert_int_equal(isotime_parse("1969-12-31T23:59:58.700Z", &t), 0);
    assert_int_equal((long long)t, -2);
}

/* Prometheus's API form: strict RFC 3339, milliseconds from the fraction's first digits. */
static void isotime_strict_ms(void **state)
{
    int64_t ms;

    (void)state;
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:51.781Z", ISOTIME_STRICT, &ms), 0);
    assert_int_equal(ms, 1435781451781LL);
    assert_int_equal(isotime_parse_ms("2015-07-01T22:10:51.7819999+02:00", ISOTIME_STRICT, &ms), 0);
    assert_int_equal(ms, 1435781451781LL);
    assert_int_equal(isotime_parse_ms("2015-07-01t20:10:51Z", ISOTIME_STRICT, &ms), -1);
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:51z", ISOTIME_STRICT, &ms), -1);
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:51.Z", ISOTIME_STRICT, &ms), -1);
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:51+0200", ISOTIME_STRICT, &ms), -1);
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:60Z", ISOTIME_STRICT, &ms), -1);
    assert_int_equal(isotime_parse_ms("2015-07-01T20:10:60Z", 0, &ms), 0);
}

static void jpath_reads_nested_values(void **state)
{
    json_t *j = json_loads("{\"service\":{\"deployments\":[{\"status\":\"PRIMARY\","
                           "\"running\":2,\"ok\":true}],\"name\":\"x\"}}",
                           0, NULL);

    assert_non_null(j);
    assert_string_equal(jpath_str(j, "service.deployments[0].status"), "PRIMARY");
    assert_int_equal(jpath_int(j, "service.deployments[0].running", -1), 2);
    assert_true(jpath_bool(j, "service.deployments[0].ok", 0));
    assert_int_equal(jpath_int(j, "service.deployments[1].running", -1), -1);
    assert_null(jpath_str(j, "service.deployments[0].running"));
    assert_null(jpath_get(j, "service.nope.x"));
    assert_null(jpath_get(j, "service.deployments[x]"));
    assert_ptr_equal(jpath_get(j, ""), j);
    assert_string_equal(jpath_str(j, "service.name"), "x");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_encodes_action_version_and_escapes),
        cmocka_unit_test(json_encodes_target_and_body),
        cmocka_unit_test(restjson_encodes_path_and_query),
        cmocka_unit_test(errors_decode_uniformly),
        cmocka_unit_test(decode_parses_success_bodies),
        cmocka_unit_test(xdoc_rejects_bad_and_deep_xml),
        cmocka_unit_test(endpoints_follow_sdk_rules),
        cmocka_unit_test(every_service_row_is_complete),
        cmocka_unit_test(isotime_parses_aws_forms),
        cmocka_unit_test(isotime_strict_ms),
        cmocka_unit_test(jpath_reads_nested_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
