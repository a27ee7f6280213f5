/* Value types: names, and the check of every scalar type against good and bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/vtype.h"
#include "core/strbuf.h"

/* why == NULL: the value is good. Otherwise a substring of the reason. */
struct tcase {
    enum vtype t;
    const char *s;
    const char *why;
    long long min, max; /* VT_INT only */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void run(const struct tcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct strbuf why = STRBUF_INIT;
        int ret;

        /* The reason is appended to what the caller already wrote. */
        strbuf_adds(&why, "> ");
        ret = vtype_check(c[i].t, c[i].s, c[i].min, c[i].max, &why);
        if (!c[i].why && (ret != 0 || strcmp(why.buf, "> ") != 0))
            fail_msg("%s '%s' should pass, got %d '%s'", vtype_name(c[i].t), c[i].s, ret, why.buf);
        if (c[i].why &&
            (ret != -1 || strncmp(why.buf, "> ", 2) != 0 || !strstr(why.buf + 2, c[i].why)))
            fail_msg("%s '%s' should fail with '%s', got %d '%s'", vtype_name(c[i].t), c[i].s,
                     c[i].why, ret, why.buf);
        /* Also without a strbuf: same verdict, no crash. */
        assert_int_equal(vtype_check(c[i].t, c[i].s, c[i].min, c[i].max, NULL), ret);
        strbuf_release(&why);
    }
}

#define RUN(cases) run(cases, NELEM(cases))

static const struct tcase int_cases[] = {
    {VT_INT, "0", NULL, 0, 0},
    {VT_INT, "512", NULL, 0, 0},
    {VT_INT, "-1", NULL, 0, 0},
    {VT_INT, "9223372036854775807", NULL, 0, 0},
    {VT_INT, "-9223372036854775808", NULL, 0, 0},
    {VT_INT, "256", NULL, 256, 4096},
    {VT_INT, "4096", NULL, 256, 4096},
    {VT_INT, "1000000", NULL, 0, 0},
    {VT_INT, "7", NULL, 1, 10},
    {VT_INT, "", "empty", 0, 0},
    {VT_INT, "+5", "leading '+' is not allowed; write 5", 0, 0},
    {VT_INT, "abc", "not a number", 0, 0},
    {VT_INT, "1.5", "not a whole number", 0, 0},
    {VT_INT, "9223372036854775808", "does not fit in a 64-bit integer", 0, 0},
    {VT_INT, "-9223372036854775809", "does not fit in a 64-bit integer", 0, 0},
    {VT_INT, "99999999999999999999", "must be between 256 and 4096", 256, 4096},
    {VT_INT, "0755", "leading zeros are not allowed (YAML 1.1 reads 0755 as octal); write 755", 0,
     0},
    {VT_INT, "-007", "write -7", 0, 0},
    {VT_INT, "4097", "must be between 256 and 4096", 256, 4096},
    {VT_INT, "255", "must be between 256 and 4096", 256, 4096},
    {VT_INT, "12 ", "not a number", 0, 0},
    {VT_INT, "-", "not a number", 0, 0},
    {VT_INT, "0x10", "not a number", 0, 0},
};

static const struct tcase bool_cases[] = {
    {VT_BOOL, "true", NULL, 0, 0},
    {VT_BOOL, "false", NULL, 0, 0},
    {VT_BOOL, "yes", "use true or false (YAML 1.2 reads yes as a string", 0, 0},
    {VT_BOOL, "no", "use true or false", 0, 0},
    {VT_BOOL, "on", "use true or false", 0, 0},
    {VT_BOOL, "Off", "use true or false", 0, 0},
    {VT_BOOL, "True", "use true or false, in lowercase", 0, 0},
    {VT_BOOL, "FALSE", "use true or false, in lowercase", 0, 0},
    {VT_BOOL, "1", "expected true or false", 0, 0},
    {VT_BOOL, "0", "expected true or false", 0, 0},
    {VT_BOOL, "", "expected true or false", 0, 0},
    {VT_BOOL, "true ", "expected true or false", 0, 0},
};

static const struct tcase cidr_cases[] = {
    {VT_CIDR, "10.0.0.0/16", NULL, 0, 0},
    {VT_CIDR, "10.0.1.0/24", NULL, 0, 0},
    {VT_CIDR, "0.0.0.0/0", NULL, 0, 0},
    {VT_CIDR, "255.255.255.255/32", NULL, 0, 0},
    {VT_CIDR, "192.168.0.0/16", NULL, 0, 0},
    {VT_CIDR, "172.16.0.0/12", NULL, 0, 0},
    {VT_CIDR, "10.0.128.0/17", NULL, 0, 0},
    {VT_CIDR, "10.0.2.0/23", NULL, 0, 0},
    {VT_CIDR, "10.0.0.4/30", NULL, 0, 0},
    {VT_CIDR, "10.0.1.5/24", "host bits are set; did you mean 10.0.1.0/24?", 0, 0},
    {VT_CIDR, "10.0.1.0/16", "did you mean 10.0.0.0/16?", 0, 0},
    {VT_CIDR, "10.0.0.1/0", "did you mean 0.0.0.0/0?", 0, 0},
    {VT_CIDR, "10.0.0.0/33", "prefix length 33 is more than 32", 0, 0},
    {VT_CIDR, "10.0.0.0", "the prefix length is missing", 0, 0},
    {VT_CIDR, "10.0.0.0/", "the prefix length is missing", 0, 0},
    {VT_CIDR, "256.0.0.0/8", "octet 256 is more than 255", 0, 0},
    {VT_CIDR, "10.0.0/16", "expected 4 numbers separated by dots", 0, 0},
    {VT_CIDR, "10.0.0.0.0/16", "more than 4 numbers", 0, 0},
    {VT_CIDR, "010.0.0.0/8", "octet '010' has a leading zero", 0, 0},
    {VT_CIDR, "10.0.0.0/08", "prefix length '08' has a leading zero", 0, 0},
    {VT_CIDR, "fd00::/8", "IPv6 blocks are not supported", 0, 0},
    {VT_CIDR, "10.0.a.0/24", "octet 'a' is not a number", 0, 0},
    {VT_CIDR, "10..0.0/16", "the octet is missing", 0, 0},
    {VT_CIDR, "-1.0.0.0/8", "octet '-1' is not a number", 0, 0},
    {VT_CIDR, "10.0.0.0/+8", "prefix length '+8' is not a number", 0, 0},
    {VT_CIDR, "", "the prefix length is missing", 0, 0},
};

static const struct tcase port_cases[] = {
    {VT_PORT, "9090", NULL, 0, 0},
    {VT_PORT, "3000", NULL, 0, 0},
    {VT_PORT, "3001", NULL, 0, 0},
    {VT_PORT, "1", NULL, 0, 0},
    {VT_PORT, "65535", NULL, 0, 0},
    {VT_PORT, "80", NULL, 0, 0},
    {VT_PORT, "443", NULL, 0, 0},
    {VT_PORT, "8080", NULL, 0, 0},
    {VT_PORT, "0", "must be between 1 and 65535", 0, 0},
    {VT_PORT, "65536", "must be between 1 and 65535", 0, 0},
    {VT_PORT, "-1", "must be between 1 and 65535", 0, 0},
    {VT_PORT, "99999999999999999999", "must be between 1 and 65535", 0, 0},
    {VT_PORT, "http", "not a number; ports are numeric", 0, 0},
    {VT_PORT, "+80", "leading '+' is not allowed", 0, 0},
    {VT_PORT, "080", "leading zeros are not allowed", 0, 0},
    {VT_PORT, "", "empty", 0, 0},
    {VT_PORT, "80.0", "not a whole number", 0, 0},
    {VT_PORT, "9090/tcp", "not a number", 0, 0},
};

static const struct tcase posix_id_cases[] = {
    {VT_POSIX_ID, "65534", NULL, 0, 0},
    {VT_POSIX_ID, "472", NULL, 0, 0},
    {VT_POSIX_ID, "0", NULL, 0, 0},
    {VT_POSIX_ID, "1000", NULL, 0, 0},
    {VT_POSIX_ID, "4294967295", NULL, 0, 0},
    {VT_POSIX_ID, "2147483648", NULL, 0, 0},
    {VT_POSIX_ID, "1", NULL, 0, 0},
    {VT_POSIX_ID, "999", NULL, 0, 0},
    {VT_POSIX_ID, "nobody", "not a number; UIDs and GIDs are numeric", 0, 0},
    {VT_POSIX_ID, "grafana", "not a number; UIDs and GIDs are numeric", 0, 0},
    {VT_POSIX_ID, "-1", "must be between 0 and 4294967295", 0, 0},
    {VT_POSIX_ID, "4294967296", "must be between 0 and 4294967295", 0, 0},
    {VT_POSIX_ID, "", "empty", 0, 0},
    {VT_POSIX_ID, "+0", "leading '+'", 0, 0},
    {VT_POSIX_ID, "00", "leading zeros", 0, 0},
    {VT_POSIX_ID, "1.0", "not a whole number", 0, 0},
    {VT_POSIX_ID, "0x1f4", "not a number", 0, 0},
};

static const struct tcase octal_cases[] = {
    {VT_OCTAL_MODE, "755", NULL, 0, 0},
    {VT_OCTAL_MODE, "0750", NULL, 0, 0},
    {VT_OCTAL_MODE, "644", NULL, 0, 0},
    {VT_OCTAL_MODE, "0755", NULL, 0, 0},
    {VT_OCTAL_MODE, "700", NULL, 0, 0},
    {VT_OCTAL_MODE, "000", NULL, 0, 0},
    {VT_OCTAL_MODE, "7777", NULL, 0, 0},
    {VT_OCTAL_MODE, "1777", NULL, 0, 0},
    {VT_OCTAL_MODE, "", "0 digits; expected 3 or 4 octal digits", 0, 0},
    {VT_OCTAL_MODE, "75", "2 digits; expected 3 or 4", 0, 0},
    {VT_OCTAL_MODE, "07555", "5 digits; expected 3 or 4", 0, 0},
    {VT_OCTAL_MODE, "758", "'8' is not an octal digit (0-7)", 0, 0},
    {VT_OCTAL_MODE, "rwxr-xr-x", "'r' is not an octal digit", 0, 0},
    {VT_OCTAL_MODE, "0o755", "'o' is not an octal digit", 0, 0},
    {VT_OCTAL_MODE, "-755", "'-' is not an octal digit", 0, 0},
    {VT_OCTAL_MODE, " 755", "' ' (space) is not an octal digit", 0, 0},
    {VT_OCTAL_MODE, "75a", "'a' is not an octal digit", 0, 0},
};

static const struct tcase cron_cases[] = {
    {VT_BACKUP_CRON, "cron(0 3 * * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 5 ? * * *)", NULL, 0, 0},  /* Backup's default */
    {VT_BACKUP_CRON, "cron(15 * ? * * *)", NULL, 0, 0}, /* the doc's hourly example */
    {VT_BACKUP_CRON, "cron(0 12 * * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 0 ? * MON-FRI *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(30 2 1 * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 */6 * * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 1,13 * * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 L * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 LW * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 15W * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * 6#3 *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * FRI#1 *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * 6L *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? JAN,JUL SUN 2025-2030)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(05 3 1/7 * ? *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? jan mon *)", NULL, 0, 0}, /* names: any case, as Quartz */
    {VT_BACKUP_CRON, "cron(0 0-12/3 ? * 2-6 *)", NULL, 0, 0},
    {VT_BACKUP_CRON, "rate(1 day)", "AWS Backup takes cron(...) schedules only", 0, 0},
    {VT_BACKUP_CRON, "at(2030-01-01T00:00:00)", "cron(...) schedules only", 0, 0},
    {VT_BACKUP_CRON, "0 3 * * ? *", "expected cron(minutes hours day-of-month", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ? *", "expected cron(", 0, 0},
    {VT_BACKUP_CRON, "", "expected cron(", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ?)", "5 fields; AWS cron has 6", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ?)", "(add a year, * for every year)", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ? * *)", "7 fields", 0, 0},
    {VT_BACKUP_CRON, "cron()", "0 fields", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week", 0, 0},
    {VT_BACKUP_CRON, "cron(* 3 * * ? *)", "AWS Backup runs at most once an hour", 0, 0},
    {VT_BACKUP_CRON, "cron(*/5 * * * ? *)", "AWS Backup runs at most once an hour", 0, 0},
    {VT_BACKUP_CRON, "cron(0,30 * * * ? *)", "at most once an hour", 0, 0},
    {VT_BACKUP_CRON, "cron(0-5 3 * * ? *)", "at most once an hour", 0, 0},
    {VT_BACKUP_CRON, "cron(60 3 * * ? *)", "minutes 60 is out of range 0-59", 0, 0},
    {VT_BACKUP_CRON, "cron(0 24 * * ? *)", "hours 24 is out of range 0-23", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 32 * ? *)", "day-of-month 32 is out of range 1-31", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 0 * ? *)", "day-of-month 0 is out of range 1-31", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * 0 *)", "day-of-week 0 is out of range 1-7 (SUN is 1", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * 13 ? *)", "month 13 is out of range 1-12", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * FOO ? *)",
     "'FOO' in the month field is not a number or a name JAN-DEC", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * FUN *)", "or a name SUN-SAT", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ? 1969)", "year 1969 is out of range 1970-2199", 0, 0},
    {VT_BACKUP_CRON, "cron(0 ? * * ? *)",
     "'?' is only allowed in day-of-month or day-of-week, not hours", 0, 0},
    {VT_BACKUP_CRON, "cron(0 5-2 * * ? *)", "range 5-2 in the hours field runs backwards", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 ? * 2#6 *)", "'#6' in the day-of-week field must be #1 to #5", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 1,,2 * ? *)", "empty value in the day-of-month field", 0, 0},
    {VT_BACKUP_CRON, "cron(0 */0 * * ? *)", "step '0' in the hours field must be a number 1-23", 0,
     0},
    {VT_BACKUP_CRON, "cron(0 3# * * ? *)",
     "'#' is only allowed in the day-of-week field, not hours", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 L,15 * ? *)", "'L' must be the whole day-of-month field", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 32W * ? *)", "day-of-month 32 is out of range", 0, 0},
    {VT_BACKUP_CRON, "cron(0 3 * * ?,1 *)", "'?' must be the whole day-of-week field", 0, 0},
};

static char long_path[130];
static char long_label[70];
static char long_name[260];

static const struct tcase alb_path_cases[] = {
    {VT_ALB_PATH, "/prometheus/*", NULL, 0, 0},
    {VT_ALB_PATH, "/grafana/*", NULL, 0, 0},
    {VT_ALB_PATH, "/", NULL, 0, 0},
    {VT_ALB_PATH, "/api/metrics", NULL, 0, 0},
    {VT_ALB_PATH, "/img/*/pics", NULL, 0, 0},
    {VT_ALB_PATH, "*.jpg", NULL, 0, 0},
    {VT_ALB_PATH, "/a?c", NULL, 0, 0},
    {VT_ALB_PATH, "/x&amp;y", NULL, 0, 0},
    {VT_ALB_PATH, "/~user/$v/@me:+'\"", NULL, 0, 0},
    {VT_ALB_PATH, "/A_b-c.D", NULL, 0, 0},
    {VT_ALB_PATH, "", "the value is empty", 0, 0},
    {VT_ALB_PATH, "/a b", "' ' (space) is not allowed in an ALB path pattern", 0, 0},
    {VT_ALB_PATH, "/a&b", "write '&' as '&amp;'", 0, 0},
    {VT_ALB_PATH, "/a%20b", "'%' is not allowed", 0, 0},
    {VT_ALB_PATH, "/path?x=1", "'=' is not allowed", 0, 0},
    {VT_ALB_PATH, "/a#b", "'#' is not allowed", 0, 0},
    {VT_ALB_PATH, "/a,b", "',' is not allowed", 0, 0},
    {VT_ALB_PATH, "/caf\xc3\xa9", "byte 0xc3 is not allowed", 0, 0},
    {VT_ALB_PATH, "/a\\b", "'\\' is not allowed", 0, 0},
    {VT_ALB_PATH, "/a;b", "';' is not allowed", 0, 0},
};

static const struct tcase arn_cases[] = {
    {VT_ARN, "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy", NULL, 0, 0},
    {VT_ARN, "arn:aws:s3:::my-bucket", NULL, 0, 0},
    {VT_ARN, "arn:aws:iam::123456789012:role/dev-davidshaevel-task", NULL, 0, 0},
    {VT_ARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/grafana-AbCdEf", NULL, 0, 0},
    {VT_ARN, "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/x:*", NULL, 0, 0},
    {VT_ARN, "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:vpc/vpc-1", NULL, 0, 0},
    {VT_ARN, "arn:aws-cn:s3:::b", NULL, 0, 0},
    {VT_ARN, "arn:aws-iso-b:ec2:us-isob-east-1:123456789012:vpc/vpc-1", NULL, 0, 0},
    {VT_ARN, "arn:aws-eusc:ec2:eusc-de-east-1:123456789012:vpc/vpc-1", NULL, 0, 0},
    {VT_ARN, "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1", NULL, 0, 0},
    {VT_ARN, "aws:iam::aws:policy/x", "an ARN starts with 'arn:'", 0, 0},
    {VT_ARN, "", "an ARN starts with 'arn:'", 0, 0},
    {VT_ARN, "arn:aws:iam", "expected arn:partition:service:region:account:resource", 0, 0},
    {VT_ARN, "arn:awz:s3:::b", "unknown partition 'awz'", 0, 0},
    {VT_ARN, "arn:aws::us-east-1:123456789012:x", "the service is empty", 0, 0},
    {VT_ARN, "arn:aws:S3:::b", "service 'S3' must be lowercase", 0, 0},
    {VT_ARN, "arn:aws:ec2:us-east:123456789012:vpc/x", "'us-east' is not a region name", 0, 0},
    {VT_ARN, "arn:aws:ec2:us-east-1a:123456789012:vpc/x", "'us-east-1a' is not a region name", 0,
     0},
    {VT_ARN, "arn:aws-iso-:ec2::123456789012:vpc/x", "unknown partition 'aws-iso-'", 0, 0},
    {VT_ARN, "arn:aws:iam::1234:role/x", "account '1234' must be 12 digits", 0, 0},
    {VT_ARN, "arn:aws:iam::12345678901a:role/x", "account '12345678901a' must be 12 digits", 0, 0},
    {VT_ARN, "arn:aws:iam::123456789012:", "the resource is empty", 0, 0},
};

static const struct tcase az_cases[] = {
    {VT_AZ, "us-east-1a", NULL, 0, 0},
    {VT_AZ, "us-east-1f", NULL, 0, 0},
    {VT_AZ, "eu-west-2b", NULL, 0, 0},
    {VT_AZ, "ap-southeast-2c", NULL, 0, 0},
    {VT_AZ, "us-gov-west-1a", NULL, 0, 0},
    {VT_AZ, "cn-north-1b", NULL, 0, 0},
    {VT_AZ, "use1-az1", NULL, 0, 0},
    {VT_AZ, "usw2-az4", NULL, 0, 0},
    {VT_AZ, "apse2-az3", NULL, 0, 0},
    {VT_AZ, "euc1-az2", NULL, 0, 0},
    {VT_AZ, "us-west-2-lax-1a", "expected a zone name", 0, 0}, /* Local Zones: not yet */
    {VT_AZ, "usw2-lax1-az1", "expected a zone name", 0, 0},
    {VT_AZ, "use1-az1x", "expected a zone name", 0, 0},
    {VT_AZ, "1-az1", "expected a zone name", 0, 0},
    {VT_AZ, "us-east-1", "that is a region; add the zone letter, as in us-east-1a", 0, 0},
    {VT_AZ, "us-east-1A", "the zone letter must be lowercase: us-east-1a", 0, 0},
    {VT_AZ, "useast1a", "expected a zone name such as us-east-1a or a zone ID", 0, 0},
    {VT_AZ, "", "expected a zone name", 0, 0},
    {VT_AZ, "us-east-1ab", "expected a zone name", 0, 0},
    {VT_AZ, "us-east1a", "expected a zone name", 0, 0},
    {VT_AZ, "az1", "expected a zone name", 0, 0},
    {VT_AZ, "use1-az", "expected a zone name", 0, 0},
    {VT_AZ, "us-east-1-a", "expected a zone name", 0, 0},
    {VT_AZ, "US-EAST-1A", "expected a zone name", 0, 0},
};

static const struct tcase dns_cases[] = {
    {VT_DNS_NAME, "davidshaevel.local", NULL, 0, 0},
    {VT_DNS_NAME, "local", NULL, 0, 0},
    {VT_DNS_NAME, "dev-davidshaevel-backend.davidshaevel.local", NULL, 0, 0},
    {VT_DNS_NAME, "example.com", NULL, 0, 0},
    {VT_DNS_NAME, "example.com.", NULL, 0, 0},
    {VT_DNS_NAME, "a.b.c.d", NULL, 0, 0},
    {VT_DNS_NAME, "xn--bcher-kva.example", NULL, 0, 0},
    {VT_DNS_NAME, "DavidShaevel.Local", NULL, 0, 0},
    {VT_DNS_NAME, "0.in-addr.arpa", NULL, 0, 0},
    {VT_DNS_NAME, "a-b.c", NULL, 0, 0},
    {VT_DNS_NAME, "", "the name is empty", 0, 0},
    {VT_DNS_NAME, ".", "the root '.' is not a domain name here", 0, 0},
    {VT_DNS_NAME, "a..b", "empty label", 0, 0},
    {VT_DNS_NAME, ".local", "empty label", 0, 0},
    {VT_DNS_NAME, "davidshaevel.local..", "empty label", 0, 0},
    {VT_DNS_NAME, "-a.local", "label '-a' starts with '-'", 0, 0},
    {VT_DNS_NAME, "a-.local", "label 'a-' ends with '-'", 0, 0},
    {VT_DNS_NAME, "my_ns.local", "'_' is not allowed; labels use letters, digits and '-'", 0, 0},
    {VT_DNS_NAME, "a b.local", "' ' (space) is not allowed", 0, 0},
    {VT_DNS_NAME, "caf\xc3\xa9.local", "byte 0xc3 is not allowed", 0, 0},
};

static void ints(void **state)
{
    RUN(int_cases);
}

static void bools(void **state)
{
    RUN(bool_cases);
}

static void cidrs(void **state)
{
    RUN(cidr_cases);
}

static void ports(void **state)
{
    RUN(port_cases);
}

static void posix_ids(void **state)
{
    RUN(posix_id_cases);
}

static void octal_modes(void **state)
{
    RUN(octal_cases);
}

static void backup_crons(void **state)
{
    RUN(cron_cases);
}

/* Lengths at and over the limits, built at run time. */
static void fill(char *buf, size_t n, const char *head, char c)
{
    size_t h = strlen(head);

    memcpy(buf, head, h);
    memset(buf + h, c, n - h);
    buf[n] = '\0';
}

static void alb_paths(void **state)
{
    struct tcase len[2] = {
        {VT_ALB_PATH, long_path, NULL, 0, 0},
        {VT_ALB_PATH, long_path, "129 characters; an ALB path pattern has at most 128", 0, 0}};

    RUN(alb_path_cases);
    fill(long_path, 128, "/", 'a');
    run(&len[0], 1);
    fill(long_path, 129, "/", 'a');
    run(&len[1], 1);
}

static void arns(void **state)
{
    RUN(arn_cases);
}

static void azs(void **state)
{
    RUN(az_cases);
}

static void dns_names(void **state)
{
    struct tcase c = {VT_DNS_NAME, NULL, NULL, 0, 0};
    char name[300];

    RUN(dns_cases);
    fill(long_label, 63, "", 'a');
    c.s = long_label;
    run(&c, 1);
    fill(long_label, 64, "", 'a');
    c.why = "is 64 characters; at most 63";
    run(&c, 1);
    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, then 254. */
    snprintf(name, sizeof(name), "%.63s.%.63s.%.63s.%.61s", long_name, long_name, long_name,
             long_name);
    c.s = name;
    c.why = NULL;
    run(&c, 1);
    strcat(name, "b");
    c.why = "254 characters; a DNS name has at most 253";
    run(&c, 1);
}

static void strings(void **state)
{
    static const struct tcase c[] = {
        {VT_STRING, "", NULL, 0, 0},
        {VT_STRING, "davidshaevel", NULL, 0, 0},
        {VT_STRING, "public.ecr.aws/nginx/nginx:latest", NULL, 0, 0},
        {VT_STRING, "with spaces", NULL, 0, 0},
        {VT_STRING, "caf\xc3\xa9", NULL, 0, 0},
        {VT_STRING, "$${literal}", NULL, 0, 0},
        {VT_STRING, "a\tb", NULL, 0, 0},
        {VT_STRING, "line\nbreak", NULL, 0, 0},
    };

    RUN(c);
    assert_int_equal(vtype_check(VT_STRING, NULL, 0, 0, NULL), 0);
}

static void not_scalars(void **state)
{
    static const struct tcase c[] = {
        {VT_DOCUMENT, "x", "expected document", 0, 0}, {VT_LIST, "x", "expected list", 0, 0},
        {VT_MAP, "x", "expected map", 0, 0},           {VT_OBJECT, "x", "expected object", 0, 0},
        {VT__COUNT, "x", "expected unknown", 0, 0},
    };

    RUN(c);
}

static void names(void **state)
{
    static const char *const want[VT__COUNT] = {
        "string",     "integer",     "boolean",  "cidr",   "port", "posix_id",
        "octal_mode", "backup_cron", "alb_path", "arn",    "az",   "dns_name",
        "document",   "list",        "map",      "object",
    };
    enum vtype t;

    assert_int_equal(VT_STRING, 0);
    assert_int_equal(VT_OBJECT, VT__COUNT - 1);
    for (int i = 0; i < VT__COUNT; i++) {
        assert_string_equal(vtype_name((enum vtype)i), want[i]);
        t = VT__COUNT;
        assert_int_equal(vtype_parse(want[i], &t), 0);
        assert_int_equal(t, i);
        assert_int_equal(vtype_is_scalar((enum vtype)i), i < VT_DOCUMENT);
    }
    assert_int_equal(vtype_parse("int", &t), -1);
    assert_int_equal(vtype_parse("String", &t), -1);
    assert_int_equal(vtype_parse("", &t), -1);
    assert_int_equal(vtype_parse(NULL, &t), -1);
    assert_string_equal(vtype_name(VT__COUNT), "unknown");
    assert_false(vtype_is_scalar(VT__COUNT));
}

/* The tables hold at least 8 good and 8 bad values of each scalar type
 * (boolean has only two good values; any string is good). */
static void coverage(void **state)
{
    static const struct {
        const struct tcase *c;
        size_t n;
    } tables[] = {
        {int_cases, NELEM(int_cases)},           {bool_cases, NELEM(bool_cases)},
        {cidr_cases, NELEM(cidr_cases)},         {port_cases, NELEM(port_cases)},
        {posix_id_cases, NELEM(posix_id_cases)}, {octal_cases, NELEM(octal_cases)},
        {cron_cases, NELEM(cron_cases)},         {alb_path_cases, NELEM(alb_path_cases)},
        {arn_cases, NELEM(arn_cases)},           {az_cases, NELEM(az_cases)},
        {dns_cases, NELEM(dns_cases)},
    };
    int good[VT__COUNT] = {0}, bad[VT__COUNT] = {0};

    for (size_t i = 0; i < NELEM(tables); i++)
        for (size_t j = 0; j < tables[i].n; j++)
            (tables[i].c[j].why ? bad : good)[tables[i].c[j].t]++;
    for (int t = VT_INT; t < VT_DOCUMENT; t++) {
        if (good[t] < (t == VT_BOOL ? 2 : 8) || bad[t] < 8)
            fail_msg("%s: %d good, %d bad values", vtype_name((enum vtype)t), good[t], bad[t]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),        cmocka_unit_test(coverage),  cmocka_unit_test(strings),
        cmocka_unit_test(ints),         cmocka_unit_test(bools),     cmocka_unit_test(cidrs),
        cmocka_unit_test(ports),        cmocka_unit_test(posix_ids), cmocka_unit_test(octal_modes),
        cmocka_unit_test(backup_crons), cmocka_unit_test(alb_paths), cmocka_unit_test(arns),
        cmocka_unit_test(azs),          cmocka_unit_test(dns_names), cmocka_unit_test(not_scalars),
    };

    memset(long_name, 'a', sizeof(long_name) - 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
