/*
 * Value type checks. Where AWS has a rule, the check follows the API's own
 * documentation (botocore's service models), cited next to each check, so a
 * value that passes here is one the API accepts.
 */
#include "agent/vtype.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* In enum order: the names test of test_vtype checks each. */
static const char *const type_names[VT__COUNT] = {
    "string",     "integer",     "boolean",  "cidr",  "port", "posix_id",
    "octal_mode", "backup_cron", "alb_path", "arn",   "az",   "dns_name",
    "document",   "list",        "map",      "object"};

const char *vtype_name(enum vtype t)
{
    if ((unsigned)t >= VT__COUNT)
        return "unknown";
    return type_names[t];
}

int vtype_parse(const char *name, enum vtype *out)
{
    for (unsigned i = 0; name && i < VT__COUNT; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (enum vtype)i;
            return 0;
        }
    }
    return -1;
}

int vtype_is_scalar(enum vtype t)
{
    return (unsigned)t < VT__COUNT && t != VT_DOCUMENT && t != VT_LIST && t != VT_MAP &&
           t != VT_OBJECT;
}

static int fail(struct strbuf *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct strbuf *why, const char *fmt, ...)
{
    va_list ap;

    if (why) {
        va_start(ap, fmt);
        strbuf_vaddf(why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_alnum(char c)
{
    return is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z');
}

/* A character for a message: 'x', or its byte value when it would not show. */
static const char *show_char(char c, char buf[16])
{
    if (c == ' ')
        snprintf(buf, 16, "' ' (space)");
    else if ((unsigned char)c > ' ' && (unsigned char)c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", (unsigned char)c);
    return buf;
}

enum num { NUM_OK, NUM_EMPTY, NUM_PLUS, NUM_NOT_DIGIT, NUM_LEADING_ZERO, NUM_RANGE };

/* Parse [-]digits in s[0..n) into *out, without leading zeros (YAML 1.1
 * reads 0755 as octal, so 0755 would mean different things to different
 * readers of the same file). */
static enum num parse_num(const char *s, size_t n, long long *out)
{
    unsigned long long v = 0, lim = LLONG_MAX;
    int neg = 0;
    size_t i = 0;

    if (n > 0 && s[0] == '+')
        return NUM_PLUS;
    if (n > 0 && s[0] == '-') {
        neg = 1;
        lim = (unsigned long long)LLONG_MAX + 1;
        i = 1;
    }
    if (i == n)
        return n ? NUM_NOT_DIGIT : NUM_EMPTY;
    for (size_t j = i; j < n; j++)
        if (!is_digit(s[j]))
            return NUM_NOT_DIGIT;
    if (s[i] == '0' && n - i > 1)
        return NUM_LEADING_ZERO;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return NUM_RANGE;
        v = v * 10 + d;
    }
    /* -(LLONG_MIN) does not fit a long long. */
    if (neg && v == (unsigned long long)LLONG_MAX + 1)
        *out = LLONG_MIN;
    else
        *out = neg ? -(long long)v : (long long)v;
    return NUM_OK;
}

/* An integer in [min, max] when min < max; notnum completes "not a number". */
static int check_int(const char *s, long long min, long long max, const char *notnum,
                     struct strbuf *why)
{
    size_t n = strlen(s), z;
    long long v = 0;

    switch (parse_num(s, n, &v)) {
    case NUM_OK:
        break;
    case NUM_EMPTY:
        return fail(why, "the value is empty; expected a number");
    case NUM_PLUS:
        return fail(why, "a leading '+' is not allowed; write %s", s + 1);
    case NUM_NOT_DIGIT:
        if (strchr(s, '.'))
            return fail(why, "not a whole number");
        return fail(why, "not a number%s", notnum);
    case NUM_LEADING_ZERO:
        z = s[0] == '-';
        while (s[z] == '0' && s[z + 1])
            z++;
        return fail(why, "leading zeros are not allowed (YAML 1.1 reads 0755 as octal); write %s%s",
                    s[0] == '-' ? "-" : "", s + z);
    case NUM_RANGE:
        if (min < max)
            return fail(why, "must be between %lld and %lld", min, max);
        return fail(why, "does not fit in a 64-bit integer");
    }
    if (min < max && (v < min || v > max))
        return fail(why, "must be between %lld and %lld", min, max);
    return 0;
}

static int check_bool(const char *s, struct strbuf *why)
{
    static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n"};

    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
        return 0;
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)
        return fail(why, "use true or false, in lowercase");
    for (size_t i = 0; i < sizeof(yaml11) / sizeof(yaml11[0]); i++)
        if (strcasecmp(s, yaml11[i]) == 0)
            return fail(why, "use true or false (YAML 1.2 reads %s as a string, not a boolean)", s);
    return fail(why, "expected true or false");
}

/* EFS CreationInfo.Permissions: pattern ^[0-7]{3,4}$. */
static int check_octal_mode(const char *s, struct strbuf *why)
{
    size_t n = strlen(s);
    char c[16];

    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '7')
            return fail(why, "%s is not an octal digit (0-7)", show_char(s[i], c));
    if (n < 3 || n > 4)
        return fail(why, "%zu digits; expected 3 or 4 octal digits such as 755 or 0750", n);
    return 0;
}

/* One dotted-quad or prefix number of a CIDR block: 0..max, no leading zeros. */
static int cidr_num(const char *p, size_t n, long long max, const char *what, unsigned *out,
                    struct strbuf *why)
{
    long long v = 0;

    if (memchr(p, '-', n))
        return fail(why, "%s '%.*s' is not a number", what, (int)n, p);
    switch (parse_num(p, n, &v)) {
    case NUM_OK:
        break;
    case NUM_EMPTY:
        return fail(why, "the %s is missing", what);
    case NUM_LEADING_ZERO:
        return fail(why, "%s '%.*s' has a leading zero", what, (int)n, p);
    default:
        return fail(why, "%s '%.*s' is not a number", what, (int)n, p);
    }
    if (v < 0 || v > max)
        return fail(why, "%s %lld is more than %lld", what, v, max);
    *out = (unsigned)v;
    return 0;
}

static int check_cidr(const char *s, struct strbuf *why)
{
    const char *slash = strchr(s, '/'), *p = s;
    uint32_t addr = 0, mask, net;
    unsigned v, len;

    if (strchr(s, ':'))
        return fail(why, "IPv6 blocks are not supported; expected IPv4 such as 10.0.0.0/16");
    if (!slash)
        return fail(why, "the prefix length is missing (10.0.0.0/16, 10.0.1.0/24, ...)");
    for (int i = 0; i < 4; i++) {
        const char *end = memchr(p, '.', (size_t)(slash - p));

        if (i < 3 && !end)
            return fail(why, "expected 4 numbers separated by dots before the '/'");
        if (i == 3 && end)
            return fail(why, "more than 4 numbers before the '/'");
        if (!end)
            end = slash;
        if (cidr_num(p, (size_t)(end - p), 255, "octet", &v, why) < 0)
            return -1;
        addr = (addr << 8) | v;
        p = end + 1;
    }
    if (cidr_num(slash + 1, strlen(slash + 1), 32, "prefix length", &len, why) < 0)
        return -1;
    mask = len ? 0xffffffffu << (32 - len) : 0;
    net = addr & mask;
    if (net != addr)
        return fail(why, "host bits are set; did you mean %u.%u.%u.%u/%u?", (net >> 24) & 0xff,
                    (net >> 16) & 0xff, (net >> 8) & 0xff, net & 0xff, len);
    return 0;
}

/*
 * AWS Backup schedule. BackupRuleInput.ScheduleExpression: "A CRON expression
 * in UTC specifying when Backup initiates a backup job", default
 * "cron(0 5 ? * * *)", syntax per CloudWatch Events' "Schedule Expressions
 * for Rules". The doc names only cron, never rate(...) or at(...), so those
 * are rejected here. The six fields and their wildcards follow that page.
 */
enum { CF_QMARK = 1, CF_DOM = 2, CF_DOW = 4 };

struct cron_field {
    const char *name;
    int min, max, step_max;
    const char *const *names; /* three-letter names for min, min + 1, ... */
    unsigned flags;
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const struct cron_field cron_fields[6] = {
    {"minutes", 0, 59, 59, NULL, 0},
    {"hours", 0, 23, 23, NULL, 0},
    {"day-of-month", 1, 31, 31, NULL, CF_QMARK | CF_DOM},
    {"month", 1, 12, 12, month_names, 0},
    {"day-of-week", 1, 7, 7, day_names, CF_QMARK | CF_DOW},
    {"year", 1970, 2199, 229, NULL, 0},
};

/* Cron numbers: plain digits, leading zeros allowed ("05"). */
static int cron_num(const char *p, size_t n, long long *out)
{
    long long v = 0;

    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* A number or name in field f. */
static int cron_value(const struct cron_field *f, const char *p, size_t n, int *out,
                      struct strbuf *why)
{
    long long v = 0;

    for (int i = 0; f->names && f->names[i]; i++) {
        if (n == 3 && strncasecmp(p, f->names[i], 3) == 0) {
            *out = f->min + i;
            return 0;
        }
    }
    if (cron_num(p, n, &v) < 0)
        return fail(why, "'%.*s' in the %s field is not a number%s%s%s", (int)n, p, f->name,
                    f->names ? " or a name " : "", f->names ? f->names[0] : "",
                    f->names ? (f->flags & CF_DOW ? "-SAT" : "-DEC") : "");
    if (v < f->min || v > f->max)
        return fail(why, "%s %lld is out of range %d-%d%s", f->name, v, f->min, f->max,
                    f->flags & CF_DOW ? " (SUN is 1, SAT is 7)" : "");
    *out = (int)v;
    return 0;
}

/* One element of a list: *, N, N-M, each optionally /STEP. */
static int cron_element(const struct cron_field *f, const char *p, size_t n, struct strbuf *why)
{
    const char *slash = memchr(p, '/', n), *dash;
    size_t bn = slash ? (size_t)(slash - p) : n;
    int a, b;

    if (n == 0)
        return fail(why, "empty value in the %s field (check the commas)", f->name);
    if (slash) {
        long long step = 0;
        size_t sn = n - bn - 1;

        if (cron_num(slash + 1, sn, &step) < 0 || step < 1 || step > f->step_max)
            return fail(why, "step '%.*s' in the %s field must be a number 1-%d", (int)sn,
                        slash + 1, f->name, f->step_max);
    }
    if (bn == 1 && p[0] == '*')
        return 0;
    if (bn == 1 && p[0] == '?')
        return fail(why, "'?' must be the whole %s field", f->name);
    dash = memchr(p, '-', bn);
    if (!dash)
        return cron_value(f, p, bn, &a, why);
    if (cron_value(f, p, (size_t)(dash - p), &a, why) < 0 ||
        cron_value(f, dash + 1, bn - (size_t)(dash - p) - 1, &b, why) < 0)
        return -1;
    if (a > b)
        return fail(why, "range %.*s in the %s field runs backwards", (int)bn, p, f->name);
    return 0;
}

static int cron_field_check(const struct cron_field *f, const char *p, size_t n, struct strbuf *why)
{
    const char *hash = memchr(p, '#', n);
    long long k = 0;
    int v;

    if (n == 1 && p[0] == '?') {
        if (!(f->flags & CF_QMARK))
            return fail(why, "'?' is only allowed in day-of-month or day-of-week, not %s", f->name);
        return 0;
    }
    if (hash && !(f->flags & CF_DOW))
        return fail(why, "'#' is only allowed in the day-of-week field, not %s", f->name);
    /* L, LW and 15W in day-of-month; L, 6L and 6#3 in day-of-week: each the whole field. */
    if ((f->flags & (CF_DOM | CF_DOW)) && n == 1 && p[0] == 'L')
        return 0;
    if ((f->flags & CF_DOM) && n == 2 && memcmp(p, "LW", 2) == 0)
        return 0;
    if (((f->flags & CF_DOM) && n > 1 && p[n - 1] == 'W') ||
        ((f->flags & CF_DOW) && n > 1 && p[n - 1] == 'L'))
        return cron_value(f, p, n - 1, &v, why);
    if (hash) {
        size_t kn = n - (size_t)(hash - p) - 1;

        if (cron_value(f, p, (size_t)(hash - p), &v, why) < 0)
            return -1;
        if (cron_num(hash + 1, kn, &k) < 0 || k < 1 || k > 5)
            return fail(why, "'#%.*s' in the day-of-week field must be #1 to #5", (int)kn,
                        hash + 1);
        return 0;
    }
    for (const char *e = p, *end = p + n;; e++) {
        const char *comma = memchr(e, ',', (size_t)(end - e));
        size_t en = comma ? (size_t)(comma - e) : (size_t)(end - e);

        if ((f->flags & CF_DOM) && memchr(e, 'L', en))
            return fail(why, "'L' must be the whole %s field", f->name);
        if (cron_element(f, e, en, why) < 0)
            return -1;
        if (!comma)
            return 0;
        e = comma;
    }
}

static int check_backup_cron(const char *s, struct strbuf *why)
{
    size_t n = strlen(s), len[6];
    const char *field[6], *p, *q, *end;
    int count = 0;

    if (strncmp(s, "rate(", 5) == 0 || strncmp(s, "at(", 3) == 0)
        return fail(why, "AWS Backup takes cron(...) schedules only, such as cron(0 3 * * ? *)");
    if (strncmp(s, "cron(", 5) != 0 || n < 6 || s[n - 1] != ')')
        return fail(why, "expected cron(minutes hours day-of-month month day-of-week year), "
                         "such as cron(0 3 * * ? *)");
    for (p = s + 5, end = s + n - 1; p < end; p = q) {
        while (p < end && *p == ' ')
            p++;
        for (q = p; q < end && *q != ' '; q++)
            ;
        if (q > p && count < 6) {
            field[count] = p;
            len[count] = (size_t)(q - p);
        }
        count += q > p;
    }
    if (count != 6)
        return fail(why,
                    "%d field%s; AWS cron has 6: minutes hours day-of-month month "
                    "day-of-week year%s",
                    count, count == 1 ? "" : "s",
                    count == 5 ? " (add a year, * for every year)" : "");
    for (int i = 0; i < 6; i++)
        if (cron_field_check(&cron_fields[i], field[i], len[i], why) < 0)
            return -1;
    if ((len[2] == 1 && field[2][0] == '?') == (len[4] == 1 && field[4][0] == '?'))
        return fail(why, "exactly one of day-of-month and day-of-week must be '?' (cron(0 3 * * "
                         "? *) runs every day)");
    /* AWS Backup's minimum frequency is one hour, so minutes is one number. */
    for (size_t i = 0; i < len[0]; i++)
        if (!is_digit(field[0][i]))
            return fail(why,
                        "AWS Backup runs at most once an hour: the minutes field must be "
                        "one number such as 0, not '%.*s'",
                        (int)len[0], field[0]);
    return 0;
}

/*
 * ELBv2 RuleCondition.Values for path-pattern: "case-sensitive, can be up
 * to 128 characters in length, and can contain any of the following
 * characters. A-Z, a-z, 0-9; _ - . $ / ~ " ' @ : +; & (using &amp;);
 * * (matches 0 or more characters); ? (matches exactly 1 character)", and
 * RuleCondition: "the value for a condition can't be empty". The doc does
 * not require a leading '/', so neither does this check.
 */
static int check_alb_path(const char *s, struct strbuf *why)
{
    size_t n = strlen(s);
    char c[16];

    if (n == 0)
        return fail(why, "the value is empty; an ALB path pattern needs at least one character");
    if (n > 128)
        return fail(why, "%zu characters; an ALB path pattern has at most 128", n);
    for (size_t i = 0; i < n; i++) {
        if (is_alnum(s[i]) || strchr("_-.$/~\"'@:+*?", s[i]))
            continue;
        if (s[i] == '&' && strncmp(s + i, "&amp;", 5) == 0) {
            i += 4;
            continue;
        }
        if (s[i] == '&')
            return fail(why, "write '&' as '&amp;' in an ALB path pattern");
        return fail(why,
                    "%s is not allowed in an ALB path pattern (allowed: A-Z a-z 0-9 "
                    "_ - . $ / ~ \" ' @ : + &amp; and the wildcards * ?)",
                    show_char(s[i], c));
    }
    return 0;
}

/*
 * DNS name, the rule of servicediscovery's NamespaceNamePublic pattern
 * (labels of letters, digits and inner '-', 1-63 characters, 253 in all).
 * A single label such as "local" is accepted: NamespaceNamePrivate
 * (^(?!arn:)[!-~]{1,253}$) does not require a dot.
 */
static int check_dns_name(const char *s, struct strbuf *why)
{
    size_t n = strlen(s);
    const char *p = s, *end;
    char c[16];

    if (n == 1 && s[0] == '.')
        return fail(why, "the root '.' is not a domain name here");
    if (n > 0 && s[n - 1] == '.')
        n--; /* fully qualified */
    if (n == 0)
        return fail(why, "the name is empty");
    if (n > 253)
        return fail(why, "%zu characters; a DNS name has at most 253", n);
    for (end = s + n;; p++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t ln = dot ? (size_t)(dot - p) : (size_t)(end - p);

        if (ln == 0)
            return fail(why, "empty label (a leading dot or two dots in a row)");
        if (ln > 63)
            return fail(why, "label '%.*s...' is %zu characters; at most 63", 16, p, ln);
        for (size_t i = 0; i < ln; i++)
            if (!is_alnum(p[i]) && p[i] != '-')
                return fail(why, "%s is not allowed; labels use letters, digits and '-'",
                            show_char(p[i], c));
        if (p[0] == '-' || p[ln - 1] == '-')
            return fail(why, "label '%.*s' %s with '-'", (int)ln, p,
                        p[0] == '-' ? "starts" : "ends");
        if (!dot)
            return 0;
        p = dot;
    }
}

/* Region name shape, as botocore's partition regexes (us-east-1,
 * us-gov-west-1, eusc-de-east-1): letters-letters[-letters]-digits. The
 * shape rather than a list, so regions newer than cairn still pass. */
static int is_region(const char *s, size_t n)
{
    size_t parts = 0, i = 0;

    while (i < n) {
        size_t j = i;

        while (j < n && is_lower(s[j]))
            j++;
        if (j == i || j == n || s[j] != '-')
            break;
        parts++;
        i = j + 1;
    }
    if (parts < 2 || parts > 3 || i >= n || s[i] == '0')
        return 0;
    for (; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static int check_arn(const char *s, struct strbuf *why)
{
    static const char *const partitions[] = {"aws",       "aws-cn",    "aws-us-gov", "aws-iso",
                                             "aws-iso-b", "aws-iso-e", "aws-iso-f",  "aws-eusc"};
    const char *part[6], *p = s;
    size_t len[6], i, known = 0;

    if (strncmp(s, "arn:", 4) != 0)
        return fail(why, "an ARN starts with 'arn:'");
    for (i = 0; i < 5; i++) { /* the resource (part 5) may itself contain ':' */
        const char *colon = strchr(p, ':');

        if (!colon)
            return fail(why, "expected arn:partition:service:region:account:resource");
        part[i] = p;
        len[i] = (size_t)(colon - p);
        p = colon + 1;
    }
    part[5] = p;
    len[5] = strlen(p);
    for (i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
        known |= len[1] == strlen(partitions[i]) && strncmp(part[1], partitions[i], len[1]) == 0;
    if (!known && !(len[1] == 9 && strncmp(part[1], "aws-iso-", 8) == 0 && is_lower(part[1][8])))
        return fail(why, "unknown partition '%.*s' (aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc)",
                    (int)len[1], part[1]);
    if (len[2] == 0)
        return fail(why, "the service is empty");
    for (i = 0; i < len[2]; i++)
        if (!is_lower(part[2][i]) && !is_digit(part[2][i]) && part[2][i] != '-')
            return fail(why, "service '%.*s' must be lowercase letters, digits and '-'",
                        (int)len[2], part[2]);
    if (len[3] && !is_region(part[3], len[3]))
        return fail(why, "'%.*s' is not a region name such as us-east-1", (int)len[3], part[3]);
    /* "aws" is the owner of AWS managed policies: arn:aws:iam::aws:policy/... */
    if (len[4] && !(len[4] == 3 && memcmp(part[4], "aws", 3) == 0) &&
        !(len[4] == 12 && strspn(part[4], "0123456789") >= 12))
        return fail(why, "account '%.*s' must be 12 digits", (int)len[4], part[4]);
    if (len[5] == 0)
        return fail(why, "the resource is empty");
    return 0;
}

/* Zone ID: letters, digits, "-az", digits, as in use1-az1. */
static int is_az_id(const char *s, size_t n)
{
    size_t i = 0, a, d;

    while (i < n && is_lower(s[i]))
        i++;
    for (a = i; i < n && is_digit(s[i]);)
        i++;
    if (a == 0 || i == a || n - i < 4 || strncmp(s + i, "-az", 3) != 0)
        return 0;
    for (d = i += 3; i < n && is_digit(s[i]);)
        i++;
    return i > d && i == n;
}

static int check_az(const char *s, struct strbuf *why)
{
    size_t n = strlen(s);
    char last = n ? s[n - 1] : 0;

    if (is_az_id(s, n))
        return 0;
    if (n > 1 && is_lower(last) && is_region(s, n - 1))
        return 0;
    if (is_region(s, n))
        return fail(why, "that is a region; add the zone letter, as in %sa", s);
    if (n > 1 && last >= 'A' && last <= 'Z' && is_region(s, n - 1))
        return fail(why, "the zone letter must be lowercase: %.*s%c", (int)(n - 1), s,
                    last - 'A' + 'a');
    return fail(why, "expected a zone name such as us-east-1a or a zone ID such as use1-az1");
}

int vtype_check(enum vtype t, const char *s, long long min, long long max, struct strbuf *why)
{
    if (!s)
        s = "";
    switch (t) {
    case VT_STRING:
        /* s is NUL-terminated: a NUL byte inside the YAML scalar is the loader's to reject. */
        return 0;
    case VT_INT:
        return check_int(s, min, max, "", why);
    case VT_BOOL:
        return check_bool(s, why);
    case VT_CIDR:
        return check_cidr(s, why);
    case VT_PORT:
        return check_int(s, 1, 65535, "; ports are numeric", why);
    case VT_POSIX_ID:
        /* EFS PosixUser Uid/Gid and CreationInfo OwnerUid/OwnerGid: long, 0-4294967295. */
        return check_int(s, 0, 4294967295LL, "; UIDs and GIDs are numeric", why);
    case VT_OCTAL_MODE:
        return check_octal_mode(s, why);
    case VT_BACKUP_CRON:
        return check_backup_cron(s, why);
    case VT_ALB_PATH:
        return check_alb_path(s, why);
    case VT_ARN:
        return check_arn(s, why);
    case VT_AZ:
        return check_az(s, why);
    case VT_DNS_NAME:
        return check_dns_name(s, why);
    case VT_DOCUMENT:
    case VT_LIST:
    case VT_MAP:
    case VT_OBJECT:
    case VT__COUNT:
        break;
    }
    return fail(why, "expected %s", vtype_name(t));
}
