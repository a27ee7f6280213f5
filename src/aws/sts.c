#include "aws/sts.h"
#include "aws/session.h"
#include "core/isotime.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <string.h>

static void copy_text(char *dst, size_t n, const struct xnode *root, const char *path)
{
    const char *s = xdoc_text(root, path);
    snprintf(dst, n, "%s", s ? s : "");
}

int sts_get_caller_identity(struct session *s, struct sts_identity *out, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    apicall_init(&c, service_lookup("sts"), "GetCallerIdentity");
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    copy_text(out->account, sizeof(out->account), c.xml->root, "GetCallerIdentityResult/Account");
    copy_text(out->arn, sizeof(out->arn), c.xml->root, "GetCallerIdentityResult/Arn");
    copy_text(out->user_id, sizeof(out->user_id), c.xml->root, "GetCallerIdentityResult/UserId");
    if (!out->account[0] || !out->arn[0]) {
        diag_error(d, NULL, "sts GetCallerIdentity: response has no Account or Arn");
        goto out;
    }
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

int sts_assume_role_with_web_identity(struct session *s, const char *role_arn,
                                      const char *session_name, const char *token,
                                      struct creds *out, struct diag *d)
{
    struct apicall c;
    const struct xnode *cr = NULL;
    const char *ak, *sk, *st, *exp;
    int ret = -1;

    apicall_init(&c, service_lookup("sts"), "AssumeRoleWithWebIdentity");
    c.anonymous = 1; /* the token is the credential */
    apicall_param(&c, "RoleArn", role_arn);
    apicall_param(&c, "RoleSessionName", session_name);
    apicall_param(&c, "WebIdentityToken", token);
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    cr = xdoc_path(c.xml->root, "AssumeRoleWithWebIdentityResult/Credentials");
    ak = xdoc_text(cr, "AccessKeyId");
    sk = xdoc_text(cr, "SecretAccessKey");
    st = xdoc_text(cr, "SessionToken");
    exp = xdoc_text(cr, "Expiration");
    if (!ak || !*ak || !sk || !*sk || !st || !exp || isotime_parse(exp, &out->expiration) < 0) {
        diag_error(d, NULL, "sts AssumeRoleWithWebIdentity: response has no usable Credentials");
        goto out;
    }
    creds_release(out);
    out->access_key_id = xstrdup(ak);
    out->secret_access_key = xstrdup(sk);
    out->session_token = xstrdup(st);
    isotime_parse(exp, &out->expiration);
    ret = 0;
out:
    /* The response held a secret key: clear it from the call's memory before it is freed. */
    if (c.xml)
        for (const struct xnode *n = cr ? cr->child : NULL; n; n = n->next)
            memset((char *)n->text, 0, strlen(n->text));
    apicall_release(&c);
    return ret;
}
