/* Credentials from HTTP endpoints: ECS/EKS container credentials and IMDSv2. */
#ifndef CAIRN_CREDHTTP_H
#define CAIRN_CREDHTTP_H

#include "aws/creds.h"
#include "core/strbuf.h"

/* Whether a AWS_CONTAINER_CREDENTIALS_FULL_URI may be used: https anywhere; http only to
 * loopback or the ECS/EKS agent addresses, as the SDKs enforce. 1 or 0 with why filled. */
int credhttp_url_allowed(const char *url, struct strbuf *why);
/* GET the container endpoint (auth: the Authorization token, or NULL). 0, or -1 with why. */
int credhttp_container(const char *url, const char *auth, struct creds *out, struct strbuf *why);
/* IMDSv2 at endpoint: token, role name, then the role's credentials. 0, or -1 with why. */
int credhttp_imds(const char *endpoint, struct creds *out, struct strbuf *why);

#endif
