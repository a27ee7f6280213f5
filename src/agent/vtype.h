/*
 * Value types of resource attributes and template parameters, and the
 * checks that catch a bad value at validate time instead of apply time:
 * a CIDR that is not one, a port out of range, a UID that is not a number,
 * a cron expression AWS Backup would reject, a path pattern an ALB would
 * reject. Checks see the scalar text as written in the stack file.
 */
#ifndef CAIRN_VTYPE_H
#define CAIRN_VTYPE_H

#include <stddef.h>

#include "core/strbuf.h"

enum vtype {
    VT_STRING,      /* any text */
    VT_INT,         /* decimal integer, range checked by the attribute's min/max */
    VT_BOOL,        /* true / false */
    VT_CIDR,        /* IPv4 CIDR block, host bits zero: "10.0.0.0/16" */
    VT_PORT,        /* 1-65535 */
    VT_POSIX_ID,    /* UID or GID: 0-4294967295 */
    VT_OCTAL_MODE,  /* POSIX permissions as octal text: "755", "0750" */
    VT_BACKUP_CRON, /* AWS Backup schedule: "cron(0 3 * * ? *)" */
    VT_ALB_PATH,    /* ALB path-pattern condition value: "/grafana/" followed by a star */
    VT_ARN,         /* "arn:partition:service:region:account:resource" */
    VT_AZ,          /* availability zone name: "us-east-1a" */
    VT_DNS_NAME,    /* a DNS domain name: "davidshaevel.local" */
    VT_DOCUMENT,    /* a JSON document written as YAML (IAM policies): a map */
    VT_LIST,        /* a sequence; the attribute says of what */
    VT_MAP,         /* string -> string map (tags, environment) */
    VT_OBJECT,      /* a map with named fields; the attribute lists them */
    VT__COUNT
};

/*
 * "string", "integer", "cidr", ...: the name written in stack files for a
 * parameter's type, also used in messages and docs.
 */
const char *vtype_name(enum vtype t);
/* The type named name (as vtype_name() spells it). Returns 0, or -1 for an unknown name. */
int vtype_parse(const char *name, enum vtype *out);
/* Whether values of t are scalars (everything but document, list, map, object). */
int vtype_is_scalar(enum vtype t);

/*
 * Check scalar text s against t. Returns 0, or -1 with a reason appended to
 * why, phrased to follow "'<value>' is not a valid <type>: " (for example
 * "prefix length 33 is more than 32"). min/max bound VT_INT when min < max.
 */
int vtype_check(enum vtype t, const char *s, long long min, long long max, struct strbuf *why);

#endif
