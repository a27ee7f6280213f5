/* Redaction of what --debug logs: headers, JSON, XML and form bodies, URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/redact.h"
#include "core/strbuf.h"

/* Secret values used in the fixtures: none may appear in any output. */
static const char *const secrets[] = {
    "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "EXAMPLE-PASSWORD",
    "eyJhbGciOiJSUzI1NiJ9",
    "c2VjcmV0LWJpbmFyeQ",
    "hunter2",
    "S3CR3T",
};

static void assert_no_secret(const char *out)
{
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strstr(out, secrets[i]))
            fail_msg("secret '%s' leaked into: %s", secrets[i], out);
}

/* Runs fn on in and checks the whole output. */
static void check(int (*fn)(const char *, size_t, struct strbuf *), const char *in,
                  const char *want, int want_ret)
{
    struct strbuf out = STRBUF_INIT;

    assert_int_equal(fn(in, strlen(in), &out), want_ret);
    assert_string_equal(out.buf, want);
    assert_no_secret(out.buf);
    strbuf_release(&out);
}

static void header_names(void **state)
{
    static const char *const yes[] = {
        "Authorization",
        "authorization",
        "Proxy-Authorization",
        "Cookie",
        "Set-Cookie",
        "X-Amz-Security-Token",
        "x-aws-ec2-metadata-token",
        "X-aws-ec2-metadata-token-ttl-seconds",
        "X-Amz-Secret-Thing",
        "X-Admin-Password",
        "X-Amz-Credential",
        "x-amz-server-side-encryption-customer-key",
    };
    static const char *const no[] = {
        "Host",         "X-Amz-Date", "X-Amz-Content-Sha256", "Content-Type", "Content-Length",
        "X-Amz-Target", "User-Agent", "x-amzn-requestid",     "Accept",       "X-Amz-Api-Version",
    };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!redact_header_sensitive(yes[i]))
            fail_msg("%s should be redacted", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (redact_header_sensitive(no[i]))
            fail_msg("%s should be shown", no[i]);
}

static void member_names(void **state)
{
    static const char *const yes[] = {
        "SecretString",
        "SecretBinary",
        "SecretAccessKey",
        "SessionToken",
        "Token",
        "token",
        "Password",
        "ClientSecret",
        "WebIdentityToken",
        "AuthorizationToken",
        "authorizationToken",
        "MasterUserPassword",
        "RandomPassword",
        "SAMLAssertion",
        "PrivateKey",
        "SECRETACCESSKEY",
    };
    static const char *const no[] = {
        "NextToken",      "ClientRequestToken", "SecretId",  "ARN",        "Name", "AccessKeyId",
        "PasswordLength", "Expiration",         "TokenCode", "SecretList", "",
    };

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!redact_name_sensitive(yes[i], strlen(yes[i])))
            fail_msg("%s should be redacted", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (redact_name_sensitive(no[i], strlen(no[i])))
            fail_msg("%s should be shown", no[i]);
    /* Only the first len bytes count. */
    assert_true(redact_name_sensitive("TokenXYZ", 5));
}

/* STS AssumeRoleWithWebIdentity response, as documented in the STS API reference. */
static const char sts_web_identity_xml[] =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"
    "</SubjectFromWebIdentityToken>\n"
    "    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>\n"
    "      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <Expiration>2014-10-24T23:00:23Z</Expiration>\n"
    "      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "    </Credentials>\n"
    "    <SourceIdentity>SourceIdentityValue</SourceIdentity>\n"
    "    <Provider>www.amazon.com</Provider>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

static void sts_xml_response(void **state)
{
    struct strbuf out = STRBUF_INIT;

    assert_int_equal(redact_xml(sts_web_identity_xml, strlen(sts_web_identity_xml), &out), 0);
    assert_no_secret(out.buf);
    assert_non_null(strstr(out.buf, "<SessionToken>(redacted)</SessionToken>"));
    assert_non_null(strstr(out.buf, "<SecretAccessKey>(redacted)</SecretAccessKey>"));
    /* The ending "...WebIdentityToken" over-matches; a subject is no loss. */
    assert_non_null(
        strstr(out.buf, "<SubjectFromWebIdentityToken>(redacted)</SubjectFromWebIdentityToken>"));
    /* Everything else is copied byte for byte. */
    assert_non_null(strstr(out.buf, "<AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>"));
    assert_non_null(strstr(out.buf, "<Expiration>2014-10-24T23:00:23Z</Expiration>"));
    assert_non_null(strstr(out.buf, "<RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
                                    "  </ResponseMetadata>\n"
                                    "</AssumeRoleWithWebIdentityResponse>\n"));
    assert_true(strncmp(out.buf, sts_web_identity_xml, 100) == 0);
    strbuf_release(&out);
}

static void xml_edge_cases(void **state)
{
    /* A CDATA section that looks like the end tag must not end the secret early. */
    check(redact_xml,
          "<X><SessionToken><![CDATA[S3CR3T</SessionToken>hunter2]]></SessionToken></X>",
          "<X><SessionToken>(redacted)</SessionToken></X>", 0);
    check(redact_xml, "<X><Token><Token>S3CR3T</Token><!-- hunter2 --></Token><Token/></X>",
          "<X><Token>(redacted)</Token><Token/></X>", 0);
    check(redact_xml, "<sts:R xmlns:sts=\"urn:x\"><sts:Password>hunter2</sts:Password></sts:R>",
          "<sts:R xmlns:sts=\"urn:x\"><sts:Password>(redacted)</sts:Password></sts:R>", 0);
    check(redact_xml, "<?xml version=\"1.0\"?>\n<R><password>S3&amp;CR3T</password></R>",
          "<?xml version=\"1.0\"?>\n<R><password>(redacted)</password></R>", 0);
    /* Not well-formed: nothing of it is shown. */
    check(redact_xml, "<R><SessionToken>hunter2</R>", "(28 bytes, not valid XML)", -1);
    check(redact_xml, "<R><SessionToken>hunter2", "(24 bytes, not valid XML)", -1);
    check(redact_xml, "", "(0 bytes, not valid XML)", -1);
}

/* Secrets Manager GetSecretValue response (API reference example). */
static const char get_secret_value_json[] =
    "{\"ARN\":\"arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3\","
    "\"CreatedDate\":1.523477145713E9,\"Name\":\"MyTestSecret\","
    "\"SecretString\":\"{\\\"username\\\":\\\"david\\\",\\\"password\\\":\\\"EXAMPLE-PASSWORD\\\"}\","
    "\"VersionId\":\"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\",\"VersionStages\":[\"AWSPREVIOUS\"]}";

static void secrets_manager_get_secret_value(void **state)
{
    check(
        redact_json, get_secret_value_json,
        "{\"ARN\":\"arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3\","
        "\"CreatedDate\":1.523477145713E9,\"Name\":\"MyTestSecret\","
        "\"SecretString\":\"(redacted)\","
        "\"VersionId\":\"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1\",\"VersionStages\":[\"AWSPREVIOUS\"]}",
        0);
    check(redact_json, "{\"Name\":\"bin\",\"SecretBinary\":\"c2VjcmV0LWJpbmFyeQ==\"}",
          "{\"Name\":\"bin\",\"SecretBinary\":\"(redacted)\"}", 0);
    check(redact_json, "{\"RandomPassword\":\"hunter2\"}", "{\"RandomPassword\":\"(redacted)\"}",
          0);
}

static void secrets_manager_create_secret_request(void **state)
{
    check(redact_json,
          "{\"ClientRequestToken\":\"EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE\","
          "\"Description\":\"Grafana admin password\",\"Name\":\"dev/grafana/admin\","
          "\"SecretString\":\"hunter2\","
          "\"Tags\":[{\"Key\":\"cairn:stack\",\"Value\":\"dev\"}]}",
          "{\"ClientRequestToken\":\"EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE\","
          "\"Description\":\"Grafana admin password\",\"Name\":\"dev/grafana/admin\","
          "\"SecretString\":\"(redacted)\","
          "\"Tags\":[{\"Key\":\"cairn:stack\",\"Value\":\"dev\"}]}",
          0);
}

static void json_any_depth_any_case_any_type(void **state)
{
    /* ECS container credentials, pretty-printed: layout is kept. */
    check(redact_json,
          "{\n  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n  \"SecretAccessKey\" : \"S3CR3T\",\n"
          "  \"Token\" : \"AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp\"\n}\n",
          "{\n  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n  \"SecretAccessKey\" : \"(redacted)\",\n"
          "  \"Token\" : \"(redacted)\"\n}\n",
          0);
    check(redact_json,
          "[{\"a\":[{\"b\":{\"password\":{\"x\":[\"hunter2\",1]}}}],\"SESSIONTOKEN\":12345,"
          "\"token\":null,\"t\":true,\"n\":-1.5e3}]",
          "[{\"a\":[{\"b\":{\"password\":\"(redacted)\"}}],\"SESSIONTOKEN\":\"(redacted)\","
          "\"token\":\"(redacted)\",\"t\":true,\"n\":-1.5e3}]",
          0);
    /* A key spelled with escapes is still recognised. */
    check(redact_json, "{\"Secret\\u0053tring\":\"hunter2\",\"x\\\"y\":\"\\\"ok\\\"\"}",
          "{\"Secret\\u0053tring\":\"(redacted)\",\"x\\\"y\":\"\\\"ok\\\"\"}", 0);
    /* A secret-looking value under an ordinary key is not a secret by name. */
    check(redact_json, "{\"NextToken\":\"abc\",\"SecretId\":\"dev/x\"}",
          "{\"NextToken\":\"abc\",\"SecretId\":\"dev/x\"}", 0);
    check(redact_json, "  \"just a string\"  ", "  \"just a string\"  ", 0);
    check(redact_json, "{}", "{}", 0);
}

static void json_invalid_shows_nothing(void **state)
{
    check(redact_json, "{\"SecretString\":\"hunter2", "(24 bytes, not valid JSON)", -1);
    check(redact_json, "{\"SecretString\":\"hunter2\"} trailing", "(35 bytes, not valid JSON)", -1);
    check(redact_json, "{\"SecretString\":\"hunter2\",}", "(27 bytes, not valid JSON)", -1);
    check(redact_json, "{\"a\":01,\"Password\":\"hunter2\"}", "(29 bytes, not valid JSON)", -1);
    check(redact_json, "{\"a\":\"\\x\",\"Password\":\"hunter2\"}", "(31 bytes, not valid JSON)",
          -1);
    check(redact_json, "{\"Password\" \"hunter2\"}", "(22 bytes, not valid JSON)", -1);
    check(redact_json, "", "(0 bytes, not valid JSON)", -1);
    check(redact_json, "nul", "(3 bytes, not valid JSON)", -1);
}

static void json_depth_is_bounded(void **state)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

    for (int i = 0; i < 10000; i++)
        strbuf_addc(&in, '[');
    for (int i = 0; i < 10000; i++)
        strbuf_addc(&in, ']');
    assert_int_equal(redact_json(in.buf, in.len, &out), -1);
    assert_string_equal(out.buf, "(20000 bytes, not valid JSON)");
    strbuf_release(&in);
    strbuf_release(&out);
}

/* The STS AssumeRoleWithWebIdentity request as the Query protocol sends it. */
static void form_bodies(void **state)
{
    check(redact_form,
          "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci"
          "&RoleSessionName=cairn&Version=2011-06-15"
          "&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl",
          "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci"
          "&RoleSessionName=cairn&Version=2011-06-15&WebIdentityToken=(redacted)",
          0);
    check(redact_form,
          "Credentials.SessionToken=S3CR3T&Credentials.AccessKeyId=ASIA&"
          "Users.member.1.Password=hunter2&Web%49dentityToken=S3CR3T&NextToken=abc&Flag&"
          "Token=&x=1",
          "Credentials.SessionToken=(redacted)&Credentials.AccessKeyId=ASIA&"
          "Users.member.1.Password=(redacted)&Web%49dentityToken=(redacted)&NextToken=abc&Flag&"
          "Token=(redacted)&x=1",
          0);
    check(redact_form, "Action=GetCallerIdentity&Version=2011-06-15",
          "Action=GetCallerIdentity&Version=2011-06-15", 0);
    check(redact_form, "", "", 0);
}

static void urls(void **state)
{
    struct strbuf out = STRBUF_INIT;

    assert_int_equal(
        redact_url("https://b.s3.us-east-1.amazonaws.com/k%20ey?versionId=3&X-Amz-Algorithm="
                   "AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fs3"
                   "%2Faws4_request&X-Amz-Security-Token=AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp"
                   "&X-Amz-Signature=c2VjcmV0LWJpbmFyeQ&X-Amz-SignedHeaders=host#frag",
                   &out),
        0);
    assert_string_equal(out.buf,
                        "https://b.s3.us-east-1.amazonaws.com/k%20ey?versionId=3&X-Amz-Algorithm="
                        "AWS4-HMAC-SHA256&X-Amz-Credential=(redacted)&X-Amz-Security-Token="
                        "(redacted)&X-Amz-Signature=(redacted)&X-Amz-SignedHeaders=host");
    strbuf_reset(&out);
    assert_int_equal(redact_url("http://127.0.0.1:8080/", &out), 0);
    assert_string_equal(out.buf, "http://127.0.0.1:8080/");
    strbuf_reset(&out);
    assert_int_equal(redact_url("http://h/p?maxResults=5#x", &out), 0);
    assert_string_equal(out.buf, "http://h/p?maxResults=5");
    strbuf_release(&out);
}

static void body_kind_from_content_type(void **state)
{
    static const char json[] = "{\"Password\":\"hunter2\"}";
    static const char xml[] = "<R><Password>hunter2</Password></R>";
    static const char form[] = "Password=hunter2";
    struct {
        const char *type, *body, *want;
        int ret;
    } cases[] = {
        {"application/x-amz-json-1.1", json, "{\"Password\":\"(redacted)\"}", 0},
        {"application/json", json, "{\"Password\":\"(redacted)\"}", 0},
        {"text/xml", xml, "<R><Password>(redacted)</Password></R>", 0},
        {"application/xml; charset=utf-8", xml, "<R><Password>(redacted)</Password></R>", 0},
        {"application/x-www-form-urlencoded; charset=utf-8", form, "Password=(redacted)", 0},
        {NULL, json, "{\"Password\":\"(redacted)\"}", 0},
        {NULL, xml, "<R><Password>(redacted)</Password></R>", 0},
        {NULL, form, "(16 bytes of unknown type)", 0},
        {"text/plain", "hunter2", "(7 bytes of text/plain)", 0},
        {"application/octet-stream", json, "(22 bytes of application/octet-stream)", 0},
        {"application/json", xml, "(35 bytes, not valid JSON)", -1},
        {"application/json", "", "", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf out = STRBUF_INIT;
        assert_int_equal(redact_body(cases[i].type, cases[i].body, strlen(cases[i].body), &out),
                         cases[i].ret);
        assert_string_equal(out.buf, cases[i].want);
        strbuf_release(&out);
    }
}

/* A capped output stops short, and what it holds is still redacted. */
static void capped_output(void **state)
{
    struct strbuf out;

    strbuf_init(&out, 60);
    assert_int_equal(redact_json(get_secret_value_json, strlen(get_secret_value_json), &out), -1);
    assert_true(out.len <= 60);
    assert_no_secret(out.buf);
    strbuf_release(&out);

    strbuf_init(&out, 900);
    assert_int_equal(redact_xml(sts_web_identity_xml, strlen(sts_web_identity_xml), &out), -1);
    assert_no_secret(out.buf);
    strbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_names),
        cmocka_unit_test(member_names),
        cmocka_unit_test(sts_xml_response),
        cmocka_unit_test(xml_edge_cases),
        cmocka_unit_test(secrets_manager_get_secret_value),
        cmocka_unit_test(secrets_manager_create_secret_request),
        cmocka_unit_test(json_any_depth_any_case_any_type),
        cmocka_unit_test(json_invalid_shows_nothing),
        cmocka_unit_test(json_depth_is_bounded),
        cmocka_unit_test(form_bodies),
        cmocka_unit_test(urls),
        cmocka_unit_test(body_kind_from_content_type),
        cmocka_unit_test(capped_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
