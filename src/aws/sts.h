/* STS client: the calls cairn needs from the Security Token Service. */
#ifndef CAIRN_STS_H
#define CAIRN_STS_H

#include "aws/creds.h"
#include "core/diag.h"

struct session;

struct sts_identity {
    char account[32];
    char arn[512];
    char user_id[256];
};

int sts_get_caller_identity(struct session *s, struct sts_identity *out, struct diag *d);

/* Unsigned call: trades an OIDC token for temporary credentials (out->source is left for
 * the caller to fill). */
int sts_assume_role_with_web_identity(struct session *s, const char *role_arn,
                                      const char *session_name, const char *token,
                                      struct creds *out, struct diag *d);

#endif
