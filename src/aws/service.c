#include "aws/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* From botocore's service models (metadata block of each service-2.json). */
const struct service service_table[] = {
    {"sts", "sts", "sts", "STS", PROTO_QUERY, "2011-06-15", NULL, NULL, NULL},
    {"iam", "iam", "iam", "IAM", PROTO_QUERY, "2010-05-08", NULL, NULL, "us-east-1"},
    {"ec2", "ec2", "ec2", "EC2", PROTO_EC2, "2016-11-15", NULL, NULL, NULL},
    {"elbv2", "elasticloadbalancing", "elasticloadbalancing", "ELASTIC_LOAD_BALANCING_V2",
     PROTO_QUERY, "2015-12-01", NULL, NULL, NULL},
    {"ecs", "ecs", "ecs", "ECS", PROTO_JSON, "2014-11-13", "AmazonEC2ContainerServiceV20141113",
     "1.1", NULL},
    {"servicediscovery", "servicediscovery", "servicediscovery", "SERVICEDISCOVERY", PROTO_JSON,
     "2017-03-14", "Route53AutoNaming_v20170314", "1.1", NULL},
    {"secretsmanager", "secretsmanager", "secretsmanager", "SECRETS_MANAGER", PROTO_JSON,
     "2017-10-17", "secretsmanager", "1.1", NULL},
    {"logs", "logs", "logs", "CLOUDWATCH_LOGS", PROTO_JSON, "2014-03-28", "Logs_20140328", "1.1",
     NULL},
    {"efs", "elasticfilesystem", "elasticfilesystem", "EFS", PROTO_RESTJSON, "2015-02-01", NULL,
     NULL, NULL},
    {"backup", "backup", "backup", "BACKUP", PROTO_RESTJSON, "2018-11-15", NULL, NULL, NULL},
    {"tagging", "tagging", "tagging", "RESOURCE_GROUPS_TAGGING_API", PROTO_JSON, "2017-01-26",
     "ResourceGroupsTaggingAPI_20170126", "1.1", NULL},
    {NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

const struct service *service_lookup(const char *id)
{
    for (const struct service *s = service_table; s->id; s++)
        if (strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

const char *service_signing_region(const struct service *svc, const char *region)
{
    return svc->global_region ? svc->global_region : region;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && strcasecmp(v, "true") == 0;
}

static int set_override(struct strbuf *url, const char *value, const char *from, struct diag *d)
{
    size_t n = strlen(value);

    if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0) {
        diag_error(d, NULL, "%s='%s' is not an http:// or https:// URL", from, value);
        return -1;
    }
    while (n > 0 && value[n - 1] == '/')
        n--;
    return strbuf_add(url, value, n);
}

int service_endpoint(const struct service *svc, const char *region, struct strbuf *url,
                     struct diag *d)
{
    char name[96];
    const char *v;

    strbuf_reset(url);
    if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_%s", svc->env_id);
        if ((v = getenv(name)) && *v)
            return set_override(url, v, name, d);
        if ((v = getenv("AWS_ENDPOINT_URL")) && *v)
            return set_override(url, v, "AWS_ENDPOINT_URL", d);
    }
    if (svc->global_region)
        return strbuf_addf(url, "https://%s.amazonaws.com", svc->endpoint_prefix);
    if (!region || !*region) {
        diag_error(d, NULL, "no region for %s", svc->id);
        return -1;
    }
    return strbuf_addf(url, "https://%s.%s.amazonaws.com%s", svc->endpoint_prefix, region,
                       strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}
