/*
 * The AWS services cairn talks to: wire protocol, API version, signing name
 * and endpoint rules. To add a service, add a row to the table in service.c
 * (values come from botocore's service model: metadata.protocol,
 * apiVersion, signingName, endpointPrefix, targetPrefix, jsonVersion).
 */
#ifndef CAIRN_SERVICE_H
#define CAIRN_SERVICE_H

#include "core/diag.h"
#include "core/strbuf.h"

enum proto {
    PROTO_QUERY,   /* form-encoded POST, XML response: IAM, STS, ELBv2 */
    PROTO_EC2,     /* like query, EC2's list flattening and error shape */
    PROTO_JSON,    /* POST with X-Amz-Target, JSON 1.0/1.1: ECS, Cloud Map, Secrets Manager, Logs */
    PROTO_RESTJSON /* REST verbs and paths, JSON bodies: EFS, Backup */
};

struct service {
    const char *id;              /* cairn's and botocore's name: "ec2", "elbv2", "efs" */
    const char *endpoint_prefix; /* host label: "elasticloadbalancing", "elasticfilesystem" */
    const char *signing_name;    /* SigV4 service: usually endpoint_prefix */
    const char *env_id;          /* AWS_ENDPOINT_URL_<env_id>: "EC2", "ELASTIC_LOAD_BALANCING_V2" */
    enum proto proto;
    const char *api_version;   /* query protocols: Version= */
    const char *target_prefix; /* JSON protocol: X-Amz-Target prefix */
    const char *json_version;  /* JSON protocol: "1.1" -> application/x-amz-json-1.1 */
    const char *global_region; /* global service signed for this region (IAM: us-east-1) */
};

const struct service *service_lookup(const char *id);
/* All rows, NULL-terminated by id. */
extern const struct service service_table[];

/*
 * The endpoint URL for svc in region, the SDKs' way: AWS_ENDPOINT_URL_<ENV_ID>,
 * then AWS_ENDPOINT_URL (both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
 * is true), then https://<prefix>.<region>.amazonaws.com (global services:
 * https://<prefix>.amazonaws.com; China regions end in .com.cn).
 * Writes the URL without a trailing slash into url.
 */
int service_endpoint(const struct service *svc, const char *region, struct strbuf *url,
                     struct diag *d);
/* Region to sign with: the global region for global services, else region. */
const char *service_signing_region(const struct service *svc, const char *region);

#endif
