#include "agent/resources/dialect.h"

#include <stddef.h>
#include <string.h>

/* Pagination members as the APIs spell them: EC2's XML answers nextToken; ELBv2's query API
 * NextMarker; IAM IsTruncated with Marker; the JSON APIs nextToken or NextToken. */
static const struct dialect dialects[] = {
    {.service = "ec2",
     .not_found = "NotFound",
     .exists = ".Duplicate",
     .page_in = "NextToken",
     .page_out = "nextToken",
     .tag_op = "CreateTags",
     .untag_op = "DeleteTags",
     .token_member = "ClientToken"},
    {.service = "elbv2",
     .not_found = "NotFound",
     .exists = "Duplicate",
     .page_in = "Marker",
     .page_out = "NextMarker",
     .tag_op = "AddTags",
     .untag_op = "RemoveTags",
     .tag_target = "ResourceArns",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys",
     .tag_target_list = 1},
    {.service = "ecs",
     .not_found = "NotFoundException",
     .page_in = "nextToken",
     .page_out = "nextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "clientToken",
     .tag_target = "resourceArn",
     .tags_member = "tags",
     .tag_key = "key",
     .tag_value = "value",
     .untag_keys = "tagKeys",
     /* A service being deleted refuses UpdateService and DeleteService with this; a task
      * definition revision has no not-found code of its own. */
     .gone_codes = (const struct dialect_code[]){{NULL, "ServiceNotActiveException"},
                                                 {"DescribeTaskDefinition", "ClientException"},
                                                 {"DeleteTaskDefinitions", "ClientException"},
                                                 {NULL, NULL}}},
    {.service = "efs",
     .not_found = "NotFound",
     .exists = "AlreadyExists",
     .page_in = "Marker",
     .page_out = "NextMarker",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreationToken"},
    {.service = "iam",
     .not_found = "NoSuchEntity",
     .exists = "EntityAlreadyExists",
     .page_in = "Marker",
     .page_out = "Marker",
     .tag_op = "TagRole",
     .untag_op = "UntagRole",
     .tag_target = "RoleName",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys"},
    {.service = "logs",
     .not_found = "ResourceNotFoundException",
     .exists = "ResourceAlreadyExistsException",
     .page_in = "nextToken",
     .page_out = "nextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .tag_target = "resourceArn",
     .tags_member = "tags",
     .untag_keys = "tagKeys"},
    {.service = "secretsmanager",
     .not_found = "ResourceNotFoundException",
     .exists = "ResourceExistsException",
     .page_in = "NextToken",
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "ClientRequestToken",
     .tag_target = "SecretId",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys"},
    {.service = "servicediscovery",
     .not_found = "NotFound",
     .exists = "AlreadyExists",
     .page_in = "NextToken",
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreatorRequestId",
     .tag_target = "ResourceARN",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys",
     /* A create sent again while the first is still under way; a namespace's domain taken. */
     .exists_codes = (const struct dialect_code[]){{NULL, "DuplicateRequest"},
                                                   {NULL, "ConflictingDomainExists"},
                                                   {NULL, NULL}}},
    {.service = "backup",
     .not_found = "ResourceNotFoundException",
     .exists = "AlreadyExistsException",
     .page_in = "nextToken", /* a REST API: the query string's */
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreatorRequestId"},
    /* The Resource Groups Tagging API (resources/tagindex.h): read, and paged, only. */
    {.service = "tagging", .page_in = "PaginationToken", .page_out = "PaginationToken"},
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

static int listed(const struct dialect_code *list, const char *op, const char *code)
{
    for (; list && list->code; list++)
        if ((!list->op || (op && strcmp(list->op, op) == 0)) && code &&
            strcmp(list->code, code) == 0)
            return 1;
    return 0;
}

int dialect_not_found(const struct dialect *dl, const char *op, const char *code)
{
    return dl && (contains(code, dl->not_found) || listed(dl->gone_codes, op, code));
}

int dialect_exists(const struct dialect *dl, const char *op, const char *code)
{
    return dl && (contains(code, dl->exists) || listed(dl->exists_codes, op, code));
}
