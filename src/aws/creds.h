/*
 * AWS credentials and the standard provider chain, in the SDKs' order:
 *   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
 *   2. web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the profile's
 *      web_identity_token_file + role_arn) -> STS AssumeRoleWithWebIdentity
 *   3. shared credentials and config files (AWS_PROFILE, [profile x],
 *      AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)
 *   4. ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI,
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])
 *   5. EC2 instance metadata, IMDSv2 (token first), unless AWS_EC2_METADATA_DISABLED
 * Temporary credentials are refreshed when fewer than CREDS_REFRESH_MARGIN
 * seconds remain. Secrets are wiped on release and never logged.
 */
#ifndef CAIRN_CREDS_H
#define CAIRN_CREDS_H

#include <time.h>

#include "core/diag.h"

struct session;

#define CREDS_REFRESH_MARGIN 300

struct creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL for long-term keys */
    time_t expiration;   /* 0: does not expire */
    /* Where they came from: "environment (AWS_ACCESS_KEY_ID)",
     * "shared credentials file /home/x/.aws/credentials (profile ci)", ... */
    char source[512];
};

void creds_init(struct creds *c);
/* Overwrites the secret bytes before freeing them. */
void creds_release(struct creds *c);
/* dst must have been creds_init()ed; what it held is released first. */
void creds_copy(struct creds *dst, const struct creds *src);
/* 1 when c expires within margin seconds of now (never for expiration 0). */
int creds_expired(const struct creds *c, time_t now, int margin);

struct creds_provider;

/* profile: NULL means AWS_PROFILE or "default". The provider uses s for the
 * STS call of web identity; s may be NULL in tests that do not need it. */
struct creds_provider *creds_provider_new(const char *profile);
void creds_provider_free(struct creds_provider *p);

/* Current credentials, resolving or refreshing them as needed, copied into out
 * (creds_init()ed by the caller; what it held is released). The chain is walked
 * once; later calls re-ask the link that answered when the credentials expire
 * within CREDS_REFRESH_MARGIN of now. On failure, d holds one error: either why
 * a configured link failed, or every place that was looked at and why each gave
 * nothing. */
int creds_provider_get(struct creds_provider *p, struct session *s, time_t now, struct creds *out,
                       struct diag *d);

#endif
