/* The SDKs' standard retry mode: classification, backoff, quota, AWS_MAX_ATTEMPTS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/retry.h"
#include "core/diag.h"

static void classifies_error_codes(void **state)
{
    static const char *const throttles[] = {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    };
    static const char *const transients[] = {
        "RequestTimeout",  "RequestTimeoutException", "InternalError",
        "InternalFailure", "ServiceUnavailable",
    };
    static const char *const others[] = {
        "AccessDenied",
        "AccessDeniedException",
        "ValidationError",
        "InvalidParameterValue",
        "ExpiredToken",
        "throttling",
        "Throttling ",
        "",
        "ResourceNotFoundException",
    };

    for (size_t i = 0; i < sizeof(throttles) / sizeof(throttles[0]); i++) {
        assert_true(retry_is_throttle_code(throttles[i]));
        /* The code decides, whatever the status. */
        assert_int_equal(retry_classify(HTTP_OK, 400, throttles[i]), RETRY_THROTTLE);
        assert_int_equal(retry_classify(HTTP_OK, 503, throttles[i]), RETRY_THROTTLE);
    }
    for (size_t i = 0; i < sizeof(transients) / sizeof(transients[0]); i++) {
        assert_false(retry_is_throttle_code(transients[i]));
        assert_int_equal(retry_classify(HTTP_OK, 400, transients[i]), RETRY_TRANSIENT);
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_false(retry_is_throttle_code(others[i]));
        assert_int_equal(retry_classify(HTTP_OK, 400, others[i]), RETRY_NO);
        assert_int_equal(retry_classify(HTTP_OK, 403, others[i]), RETRY_NO);
    }
    assert_false(retry_is_throttle_code(NULL));
}

static void classifies_statuses(void **state)
{
    static const long transient[] = {500, 502, 503, 504};
    static const long no[] = {200, 204, 301, 400, 401, 403, 404, 409, 413, 501, 505, 599};

    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++) {
        assert_int_equal(retry_classify(HTTP_OK, transient[i], NULL), RETRY_TRANSIENT);
        assert_int_equal(retry_classify(HTTP_OK, transient[i], "SomethingElse"), RETRY_TRANSIENT);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(retry_classify(HTTP_OK, no[i], NULL), RETRY_NO);
    assert_int_equal(retry_classify(HTTP_OK, 429, NULL), RETRY_THROTTLE);
    assert_int_equal(retry_classify(HTTP_OK, 429, "SomethingElse"), RETRY_THROTTLE);
}

static void classifies_transport_results(void **state)
{
    assert_int_equal(retry_classify(HTTP_ERR_CONNECT, 0, NULL), RETRY_TRANSIENT);
    assert_int_equal(retry_classify(HTTP_ERR_NETWORK, 0, NULL), RETRY_TRANSIENT);
    assert_int_equal(retry_classify(HTTP_ERR_TIMEOUT, 0, NULL), RETRY_TIMEOUT);
    assert_int_equal(retry_classify(HTTP_ERR_TLS, 0, NULL), RETRY_NO);
    assert_int_equal(retry_classify(HTTP_ERR_TOO_LARGE, 0, NULL), RETRY_NO);
    assert_int_equal(retry_classify(HTTP_ERR_OTHER, 0, NULL), RETRY_NO);
    /* Status and code mean nothing without a response. */
    assert_int_equal(retry_classify(HTTP_ERR_TLS, 503, "Throttling"), RETRY_NO);

    assert_true(http_result_transient(HTTP_ERR_CONNECT));
    assert_true(http_result_transient(HTTP_ERR_TIMEOUT));
    assert_true(http_result_transient(HTTP_ERR_NETWORK));
    assert_false(http_result_transient(HTTP_OK));
    assert_false(http_result_transient(HTTP_ERR_TLS));
    assert_false(http_result_transient(HTTP_ERR_TOO_LARGE));
    assert_false(http_result_transient(HTTP_ERR_OTHER));
}

static double fixed_random(void *ctx)
{
    return *(const double *)ctx;
}

static void backoff_is_full_jitter_capped_at_20s(void **state)
{
    /* min(2^(i-1) s, 20 s) for retries 1..10 */
    static const long caps[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000, 20000, 20000, 20000};
    struct retry_policy p;
    double r;

    retry_init(&p, 0);
    p.random = fixed_random;
    p.random_ctx = &r;
    for (int i = 1; i <= 10; i++) {
        long cap = caps[i - 1];
        r = 0.0;
        assert_int_equal(retry_delay_ms(&p, i), 0);
        r = 0.5;
        assert_int_equal(retry_delay_ms(&p, i), cap / 2);
        r = 0.999;
        assert_int_equal(retry_delay_ms(&p, i), (long)(0.999 * (double)cap));
        assert_true(retry_delay_ms(&p, i) < cap);
    }
    r = 0.999;
    assert_int_equal(retry_delay_ms(&p, 1000), 19980);
    assert_int_equal(retry_delay_ms(&p, 0), 0);
    /* A broken source cannot push the delay past the cap. */
    r = 7.0;
    assert_true(retry_delay_ms(&p, 3) < 4000);
    r = -1.0;
    assert_int_equal(retry_delay_ms(&p, 3), 0);
}

static void default_random_stays_in_range(void **state)
{
    struct retry_policy p;
    long lo = 20000, hi = 0;

    retry_init(&p, 0);
    for (int i = 0; i < 2000; i++) {
        long d = retry_delay_ms(&p, 5);
        assert_in_range(d, 0, 15999);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* 2000 uniform draws over 16 s spread far wider than this. */
    assert_true(lo < 2000);
    assert_true(hi > 14000);
}

static void quota_runs_out_after_100_retries(void **state)
{
    struct retry_policy p;
    int n = 0;

    retry_init(&p, 0);
    assert_int_equal(p.quota, 500);
    while (retry_acquire(&p, n % 2 ? RETRY_THROTTLE : RETRY_TRANSIENT) == RETRY_COST)
        n++;
    assert_int_equal(n, 100);
    assert_int_equal(p.quota, 0);
    assert_int_equal(retry_acquire(&p, RETRY_TRANSIENT), -1);
    assert_int_equal(p.quota, 0);
}

static void timeouts_cost_ten(void **state)
{
    struct retry_policy p;
    int n = 0;

    retry_init(&p, 0);
    while (retry_acquire(&p, RETRY_TIMEOUT) == RETRY_TIMEOUT_COST)
        n++;
    assert_int_equal(n, 50);

    /* 8 tokens left: a time-out retry no longer fits, a throttle retry does. */
    p.quota = 8;
    assert_int_equal(retry_acquire(&p, RETRY_TIMEOUT), -1);
    assert_int_equal(p.quota, 8);
    assert_int_equal(retry_acquire(&p, RETRY_THROTTLE), 5);
    assert_int_equal(p.quota, 3);
}

static void not_retryable_takes_nothing(void **state)
{
    struct retry_policy p;

    retry_init(&p, 0);
    assert_int_equal(retry_acquire(&p, RETRY_NO), -1);
    assert_int_equal(p.quota, 500);
}

static void success_refunds(void **state)
{
    struct retry_policy p;

    retry_init(&p, 0);
    assert_int_equal(retry_acquire(&p, RETRY_TRANSIENT), 5);
    assert_int_equal(retry_acquire(&p, RETRY_TIMEOUT), 10);
    assert_int_equal(p.quota, 485);
    /* The success after the time-out retry refunds what that retry took. */
    retry_success(&p, 10);
    assert_int_equal(p.quota, 495);
    /* A first-try success adds one token... */
    retry_success(&p, 0);
    assert_int_equal(p.quota, 496);
    /* ...never past the initial 500. */
    for (int i = 0; i < 10; i++)
        retry_success(&p, 0);
    assert_int_equal(p.quota, 500);
    retry_success(&p, 5);
    assert_int_equal(p.quota, 500);
}

static void init_defaults_attempts(void **state)
{
    struct retry_policy p;

    retry_init(&p, 0);
    assert_int_equal(p.max_attempts, RETRY_DEFAULT_ATTEMPTS);
    assert_int_equal(p.max_attempts, 3);
    assert_non_null(p.random);
    retry_init(&p, -4);
    assert_int_equal(p.max_attempts, 3);
    retry_init(&p, 7);
    assert_int_equal(p.max_attempts, 7);
    assert_int_equal(p.quota, RETRY_QUOTA_INITIAL);
}

static void env_case(const char *value, int want, int want_error)
{
    struct diag d;

    diag_init(&d);
    if (value)
        setenv("AWS_MAX_ATTEMPTS", value, 1);
    else
        unsetenv("AWS_MAX_ATTEMPTS");
    assert_int_equal(retry_env_max_attempts(&d), want);
    assert_int_equal(diag_has_errors(&d), want_error);
    if (want_error)
        assert_non_null(strstr(diag_last(&d), "AWS_MAX_ATTEMPTS"));
    diag_release(&d);
}

static void env_max_attempts(void **state)
{
    env_case(NULL, 0, 0);
    env_case("", 0, 0);
    env_case("5", 5, 0);
    env_case("1", 1, 0);
    env_case("10", 10, 0);
    env_case("0", 0, 1);
    env_case("-1", 0, 1);
    env_case("-0", 0, 1);
    env_case("+3", 0, 1);
    env_case(" 3", 0, 1);
    env_case("3 ", 0, 1);
    env_case("3x", 0, 1);
    env_case("abc", 0, 1);
    env_case("2.5", 0, 1);
    env_case("99999999999999999999", 0, 1);
    unsetenv("AWS_MAX_ATTEMPTS");
}

/* Which failures may hide a write that happened: 5xx and time-outs yes, throttles and refused
 * connections no (AWS never did the work). */
static void ambiguous_failures(void **state)
{
    (void)state;
    assert_true(retry_ambiguous(HTTP_OK, 500, "InternalError"));
    assert_true(retry_ambiguous(HTTP_OK, 503, NULL));
    assert_true(retry_ambiguous(HTTP_ERR_TIMEOUT, 0, NULL));
    assert_true(retry_ambiguous(HTTP_ERR_NETWORK, 0, NULL));
    assert_false(retry_ambiguous(HTTP_ERR_CONNECT, 0, NULL));
    assert_false(retry_ambiguous(HTTP_OK, 503, "RequestLimitExceeded"));
    assert_false(retry_ambiguous(HTTP_OK, 400, "ThrottlingException"));
    assert_false(retry_ambiguous(HTTP_OK, 429, NULL));
    assert_false(retry_ambiguous(HTTP_OK, 400, "InvalidParameterValue"));
}

/* Creates without a token are not repeated; with one they are; other writes are. */
static void unsafe_writes(void **state)
{
    (void)state;
    assert_true(retry_unsafe_write("CreateVpc", 0));
    assert_true(retry_unsafe_write("AllocateAddress", 0));
    assert_true(retry_unsafe_write("RegisterTaskDefinition", 0));
    assert_true(retry_unsafe_write("AssociateRouteTable", 0));
    assert_false(retry_unsafe_write("CreateNatGateway", 1));
    assert_false(retry_unsafe_write("ModifyVpcAttribute", 0));
    assert_false(retry_unsafe_write("CreateTags", 0));
    assert_false(retry_unsafe_write("AttachInternetGateway", 0));
    assert_false(retry_unsafe_write("DeleteVpc", 0));
    assert_false(retry_unsafe_write("DescribeVpcs", 0));
    assert_true(retry_is_token_member("ClientToken"));
    assert_true(retry_is_token_member("clientToken"));
    assert_true(retry_is_token_member("CreatorRequestId"));
    assert_false(retry_is_token_member("NextToken"));
}

/* After an unanswered attempt, "already there" or "already gone" means that attempt did it. */
static void done_codes(void **state)
{
    (void)state;
    assert_true(retry_done_code("DeleteVpc", "InvalidVpcID.NotFound"));
    assert_true(retry_done_code("DeleteRole", "NoSuchEntity"));
    assert_true(retry_done_code("DeleteService", "ServiceNotFoundException"));
    assert_true(retry_done_code("AttachInternetGateway", "Resource.AlreadyAssociated"));
    assert_true(retry_done_code("AuthorizeSecurityGroupIngress", "InvalidPermission.Duplicate"));
    assert_false(retry_done_code("DeleteVpc", "DependencyViolation"));
    assert_false(retry_done_code("CreateVpc", "VpcLimitExceeded"));
    assert_false(retry_done_code("ModifyVpcAttribute", "InvalidVpcID.NotFound"));
    assert_false(retry_done_code("DeleteVpc", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classifies_error_codes),
        cmocka_unit_test(classifies_statuses),
        cmocka_unit_test(classifies_transport_results),
        cmocka_unit_test(backoff_is_full_jitter_capped_at_20s),
        cmocka_unit_test(default_random_stays_in_range),
        cmocka_unit_test(quota_runs_out_after_100_retries),
        cmocka_unit_test(timeouts_cost_ten),
        cmocka_unit_test(not_retryable_takes_nothing),
        cmocka_unit_test(success_refunds),
        cmocka_unit_test(init_defaults_attempts),
        cmocka_unit_test(env_max_attempts),
        cmocka_unit_test(ambiguous_failures),
        cmocka_unit_test(unsafe_writes),
        cmocka_unit_test(done_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
