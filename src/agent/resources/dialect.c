#include "agent/resources/dialect.h"

#include <stddef.h>
#include <string.h>

/* Pagination members as the APIs spell them: EC2's XML answers nextToken; ELBv2's query API
 * NextMarker; IAM IsTruncated with Marker; the JSON APIs nextToken or NextToken. */
static const struct dialect dialects[] = {
    {"ec2", "NotFound", ".Duplicate", "NextToken", "nextToken", "CreateTags", "DeleteTags",
     "ClientToken", NULL, NULL, NULL, NULL, NULL},
    {"elbv2", "NotFound", "Duplicate", "Marker", "NextMarker", "AddTags", "RemoveTags", NULL, NULL,
     NULL, NULL, NULL, NULL},
    {"ecs", "NotFoundException", NULL, "nextToken", "nextToken", "TagResource", "UntagResource",
     "clientToken", "resourceArn", "tags", "key", "value", "tagKeys"},
    {"efs", "NotFound", "AlreadyExists", "Marker", "NextMarker", "TagResource", "UntagResource",
     "CreationToken", NULL, NULL, NULL, NULL, NULL},
    {"iam", "NoSuchEntity", "EntityAlreadyExists", "Marker", "Marker", "TagRole", "UntagRole", NULL,
     "RoleName", "Tags", "Key", "Value", "TagKeys"},
    {"logs", "ResourceNotFoundException", "ResourceAlreadyExistsException", "nextToken",
     "nextToken", "TagResource", "UntagResource", NULL, "resourceArn", "tags", NULL, NULL,
     "tagKeys"},
    {"secretsmanager", "ResourceNotFoundException", "ResourceExistsException", "NextToken",
     "NextToken", "TagResource", "UntagResource", "ClientRequestToken", "SecretId", "Tags", "Key",
     "Value", "TagKeys"},
    {"servicediscovery", "NotFound", "AlreadyExists", "NextToken", "NextToken", "TagResource",
     "UntagResource", "CreatorRequestId", "ResourceARN", "Tags", "Key", "Value", "TagKeys"},
    {"backup", "ResourceNotFoundException", "AlreadyExistsException", "NextToken", "NextToken",
     "TagResource", "UntagResource", "CreatorRequestId", NULL, NULL, NULL, NULL, NULL},
};

const struct dialect *dialect_of(const char *service)
{
    for (size_t i = 0; service && i < sizeof(dialects) / sizeof(dialects[0]); i++)
        if (strcmp(dialects[i].service, service) == 0)
            return &dialects[i];
    return NULL;
}

static int contains(const char *code, const char *text)
{
    return code && *code && text && strstr(code, text) != NULL;
}

int dialect_not_found(const struct dialect *dl, const char *code)
{
    return dl && contains(code, dl->not_found);
}

int dialect_exists(const struct dialect *dl, const char *code)
{
    return dl && contains(code, dl->exists);
}
