/*
 * The AWS region, in the SDKs' order: explicit (--region) > AWS_REGION >
 * AWS_DEFAULT_REGION > the profile's "region" in the shared config file
 * (a credentials-file value for the same profile wins, as everywhere in profile.h).
 * The name is checked: lowercase letters, digits and dashes ("us-east-1").
 */
#ifndef CAIRN_REGION_H
#define CAIRN_REGION_H

#include "core/diag.h"

#define REGION_NAME_MAX 63

/*
 * Resolve the region. explicit_region: --region or NULL. profile: --profile or NULL
 * (then AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"); the shared files are read only
 * when the environment does not settle it. On 0, *name ("eu-west-1") and *source
 * ("--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile 'dev' in /home/x/.aws/config")
 * are the caller's to free. On -1, d holds one error: an invalid name and where it came
 * from, a malformed file, or no region anywhere, naming every place looked at.
 */
int region_resolve(const char *explicit_region, const char *profile, char **name, char **source,
                   struct diag *d);

/* 1 when name is a syntactically valid region name. */
int region_valid(const char *name);

#endif
