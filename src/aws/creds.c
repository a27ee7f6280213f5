#include "aws/creds.h"
#include "aws/credhttp.h"
#include "aws/profile.h"
#include "aws/sts.h"
#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_FILE_MAX  (16 * 1024)
#define CONTAINER_HOST  "http://169.254.170.2"
#define IMDS_DEFAULT    "http://169.254.169.254"
#define IMDS_DEFAULT_V6 "http://[fd00:ec2::254]"

/* ---- struct creds ---- */

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void creds_init(struct creds *c)
{
    memset(c, 0, sizeof(*c));
}

void creds_release(struct creds *c)
{
    wipe_free(c->access_key_id);
    wipe_free(c->secret_access_key);
    wipe_free(c->session_token);
    creds_init(c);
}

void creds_copy(struct creds *dst, const struct creds *src)
{
    creds_release(dst);
    dst->access_key_id = src->access_key_id ? xstrdup(src->access_key_id) : NULL;
    dst->secret_access_key = src->secret_access_key ? xstrdup(src->secret_access_key) : NULL;
    dst->session_token = src->session_token ? xstrdup(src->session_token) : NULL;
    dst->expiration = src->expiration;
    memcpy(dst->source, src->source, sizeof(dst->source));
}

int creds_expired(const struct creds *c, time_t now, int margin)
{
    return c->expiration != 0 && c->expiration - margin <= now;
}

static void set_source(struct creds *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_source(struct creds *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->source, sizeof(c->source), fmt, ap);
    va_end(ap);
}

/* ---- small helpers ---- */

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int env_true(const char *name)
{
    const char *v = getenv(name);
    return v && strcasecmp(v, "true") == 0;
}

/* A token file (web identity, container authorization): capped, trimmed, non-empty.
 * CI systems rotate these files, so callers read them again on every fetch. */
static int read_token_file(const char *path, const char *what, struct strbuf *out,
                           struct strbuf *why)
{
    char *full = profile_expand_path(path);
    int ret = -1;

    strbuf_wipe(out);
    strbuf_init(out, TOKEN_FILE_MAX);
    if (strbuf_read_file(out, full) < 0) {
        if (errno == EFBIG)
            strbuf_addf(why, "%s %s is larger than %d KiB", what, full, TOKEN_FILE_MAX / 1024);
        else
            strbuf_addf(why, "cannot read %s %s: %s", what, full, strerror(errno));
        goto out;
    }
    strbuf_trim(out);
    if (out->len == 0) {
        strbuf_addf(why, "%s %s is empty", what, full);
        goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        strbuf_wipe(out);
    free(full);
    return ret;
}

/* A value that goes into an HTTP header must not carry line breaks (header injection). */
/* ---- the provider ---- */

enum link { LINK_NONE, LINK_ENV, LINK_WEB, LINK_PROFILE, LINK_CONTAINER, LINK_IMDS };

/* What a link found: credentials, nothing (the chain goes on), or a configuration
 * that is there but does not work (the chain stops: falling through to another
 * identity would be a surprise). */
enum link_result { FOUND, ABSENT, FAILED };

struct creds_provider {
    char *profile; /* --profile, or NULL */
    enum link link;
    struct creds cur;
    int busy; /* guards against the STS call asking for credentials again */
    /* What the answering link needs to be asked again. */
    char *role_arn, *token_file, *session_name; /* web identity */
    char *url;                                  /* container endpoint, IMDS endpoint */
};

/* State of one walk along the chain. */
struct chain {
    struct creds_provider *p;
    struct session *s;
    time_t now;
    struct profile_set set;
    int set_loaded;
    const char *profile;  /* resolved name */
    struct strbuf looked; /* "; "-separated "place (why nothing)" */
};

static void looked(struct chain *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void looked(struct chain *ch, const char *fmt, ...)
{
    va_list ap;

    if (ch->looked.len)
        strbuf_adds(&ch->looked, "; ");
    va_start(ap, fmt);
    strbuf_vaddf(&ch->looked, fmt, ap);
    va_end(ap);
}

struct creds_provider *creds_provider_new(const char *profile)
{
    struct creds_provider *p = xcalloc(1, sizeof(*p));

    p->profile = profile && *profile ? xstrdup(profile) : NULL;
    creds_init(&p->cur);
    return p;
}

static void forget_link(struct creds_provider *p)
{
    free(p->role_arn);
    free(p->token_file);
    free(p->session_name);
    free(p->url);
    p->role_arn = p->token_file = p->session_name = p->url = NULL;
    p->link = LINK_NONE;
    creds_release(&p->cur);
}

void creds_provider_free(struct creds_provider *p)
{
    if (!p)
        return;
    forget_link(p);
    free(p->profile);
    free(p);
}

static enum link_result link_env(struct chain *ch, struct creds *out, struct diag *d)
{
    const char *akid = env_nonempty("AWS_ACCESS_KEY_ID");
    const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
    const char *token = env_nonempty("AWS_SESSION_TOKEN");

    if (!akid && !secret) {
        looked(ch, "environment (AWS_ACCESS_KEY_ID not set)");
        return ABSENT;
    }
    if (!akid || !secret) {
        diag_error(d, NULL,
                   "%s is set but %s is not; set both (and AWS_SESSION_TOKEN for temporary "
                   "credentials), or neither to use the other credential sources",
                   akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                   akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return FAILED;
    }
    if (!token)
        token = env_nonempty("AWS_SECURITY_TOKEN"); /* the legacy name */
    out->access_key_id = xstrdup(akid);
    out->secret_access_key = xstrdup(secret);
    out->session_token = token ? xstrdup(token) : NULL;
    set_source(out, "environment (AWS_ACCESS_KEY_ID)");
    return FOUND;
}

/* Ask STS with the token file as it is now. */
static int fetch_web(struct creds_provider *p, struct session *s, struct creds *out, struct diag *d)
{
    struct strbuf token = STRBUF_INIT, why = STRBUF_INIT;
    struct diag tmp;
    int ret = -1;

    diag_init(&tmp);
    if (read_token_file(p->token_file, "web identity token file", &token, &why) < 0) {
        diag_error(d, NULL, "web identity (role %s): %s", p->role_arn, why.buf);
        goto out;
    }
    if (!s) {
        diag_error(d, NULL, "web identity (role %s): no AWS session to call STS with", p->role_arn);
        goto out;
    }
    if (sts_assume_role_with_web_identity(s, p->role_arn, p->session_name, token.buf, out, &tmp) !=
        0) {
        diag_error(d, NULL, "web identity (role %s): %s", p->role_arn,
                   diag_has_errors(&tmp) ? diag_last(&tmp)
                                         : "STS AssumeRoleWithWebIdentity failed");
        creds_release(out);
        goto out;
    }
    set_source(out, "web identity (role %s via STS AssumeRoleWithWebIdentity)", p->role_arn);
    ret = 0;
out:
    strbuf_wipe(&token);
    strbuf_release(&why);
    diag_release(&tmp);
    return ret;
}

static enum link_result link_web(struct chain *ch, struct creds *out, struct diag *d)
{
    struct creds_provider *p = ch->p;
    const char *env_file = env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *env_role = env_nonempty("AWS_ROLE_ARN");
    const char *prof_file = profile_get(&ch->set, ch->profile, "web_identity_token_file");
    const char *prof_role = profile_get(&ch->set, ch->profile, "role_arn");
    const char *file, *role, *session;
    struct profile_value pv;

    /* Each setting from the environment, else from the profile, as botocore does. */
    file = env_file ? env_file : prof_file && *prof_file ? prof_file : NULL;
    role = env_role ? env_role : prof_role && *prof_role ? prof_role : NULL;
    if (!file) {
        if (env_role) {
            diag_error(d, NULL,
                       "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not; web identity "
                       "needs both (cairn does not support other ways to assume a role)");
            return FAILED;
        }
        looked(ch, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)");
        return ABSENT;
    }
    if (!role) {
        if (env_file) {
            diag_error(d, NULL,
                       "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; "
                       "web identity needs both");
        } else {
            struct srcloc loc = {NULL, 0, 0};

            if (profile_lookup(&ch->set, ch->profile, "web_identity_token_file", &pv) == 0) {
                loc.file = pv.path;
                loc.line = pv.line;
            }
            diag_error(d, &loc, "profile '%s' sets web_identity_token_file but not role_arn",
                       ch->profile);
        }
        return FAILED;
    }
    if (!(session = env_nonempty("AWS_ROLE_SESSION_NAME")))
        session = profile_get(&ch->set, ch->profile, "role_session_name");
    p->token_file = xstrdup(file);
    p->role_arn = xstrdup(role);
    if (session && *session) {
        p->session_name = xstrdup(session);
    } else {
        char buf[32];
        snprintf(buf, sizeof(buf), "cairn-%lld", (long long)ch->now);
        p->session_name = xstrdup(buf);
    }
    return fetch_web(p, ch->s, out, d) == 0 ? FOUND : FAILED;
}

/* Profile settings that select a way of getting credentials cairn does not have. */
static enum link_result profile_unsupported(struct chain *ch, struct diag *d)
{
    static const struct {
        const char *key, *what;
    } keys[] = {
        {"credential_process", "credential_process"},
        {"source_profile", "role_arn + source_profile (AssumeRole)"},
        {"credential_source", "role_arn + credential_source (AssumeRole)"},
        {"role_arn", "role_arn without web_identity_token_file (AssumeRole)"},
        {"sso_session", "IAM Identity Center (sso_session)"},
        {"sso_start_url", "IAM Identity Center (sso_start_url)"},
    };
    struct profile_value pv;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct srcloc loc;

        if (profile_lookup(&ch->set, ch->profile, keys[i].key, &pv) < 0)
            continue;
        loc.file = pv.path;
        loc.line = pv.line;
        loc.col = 0;
        diag_error(d, &loc,
                   "profile '%s' gets credentials through %s, which cairn does not support; use "
                   "static keys, web identity, or export the credentials first, e.g. eval "
                   "\"$(aws configure export-credentials --profile %s --format env)\"",
                   ch->profile, keys[i].what, ch->profile);
        return FAILED;
    }
    return ABSENT;
}

static enum link_result link_profile(struct chain *ch, struct creds *out, struct diag *d)
{
    static const char *const what[] = {"shared config file", "shared credentials file"};
    static const enum profile_kind order[] = {PROFILE_CREDENTIALS, PROFILE_CONFIG};
    struct profile_value id, secret, token;
    int has_id = profile_lookup(&ch->set, ch->profile, "aws_access_key_id", &id) == 0;
    int has_secret = profile_lookup(&ch->set, ch->profile, "aws_secret_access_key", &secret) == 0;

    if (has_id && has_secret && *id.value && *secret.value) {
        out->access_key_id = xstrdup(id.value);
        out->secret_access_key = xstrdup(secret.value);
        if (profile_lookup(&ch->set, ch->profile, "aws_session_token", &token) == 0 ||
            profile_lookup(&ch->set, ch->profile, "aws_security_token", &token) == 0)
            out->session_token = *token.value ? xstrdup(token.value) : NULL;
        set_source(out, "%s %s (profile %s)", what[id.kind], id.path, ch->profile);
        return FOUND;
    }
    if (has_id || has_secret) {
        const struct profile_value *v = has_id ? &id : &secret;
        struct srcloc loc = {v->path, v->line, 0};

        diag_error(d, &loc, "profile '%s' sets %s but not %s", ch->profile,
                   has_id ? "aws_access_key_id" : "aws_secret_access_key",
                   has_id ? "aws_secret_access_key" : "aws_access_key_id");
        return FAILED;
    }
    if (profile_unsupported(ch, d) == FAILED)
        return FAILED;
    for (size_t i = 0; i < 2; i++) {
        const struct profile_file *f = &ch->set.files[order[i]];

        if (!f->found)
            looked(ch, "%s %s (not found)", what[order[i]], f->path ? f->path : "(none)");
        else if (!profile_exists(&ch->set, ch->profile, order[i]))
            looked(ch, "%s %s (profile '%s' not found)", what[order[i]], f->path, ch->profile);
        else
            looked(ch, "%s %s (profile '%s' has no aws_access_key_id)", what[order[i]], f->path,
                   ch->profile);
    }
    return ABSENT;
}

/* The container endpoint, with the authorization token read afresh (it rotates). */
static int fetch_container(const char *url, struct creds *out, struct strbuf *why)
{
    struct strbuf auth = STRBUF_INIT;
    const char *v, *token = NULL;
    int ret = -1;

    if ((v = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))) {
        if (read_token_file(v, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &auth, why) < 0)
            goto out;
        token = auth.buf;
    } else {
        token = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    ret = credhttp_container(url, token, out, why);
out:
    strbuf_wipe(&auth);
    return ret;
}

static enum link_result link_container(struct chain *ch, struct creds *out, struct diag *d)
{
    const char *rel = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    struct strbuf url = STRBUF_INIT, why = STRBUF_INIT;
    enum link_result ret = FAILED;

    if (rel) {
        strbuf_addf(&url, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
    } else if (full) {
        if (!credhttp_url_allowed(full, &why)) {
            diag_error(d, NULL, "%s", why.buf);
            goto out;
        }
        strbuf_adds(&url, full);
    } else {
        looked(ch, "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not "
                   "set)");
        ret = ABSENT;
        goto out;
    }
    if (fetch_container(url.buf, out, &why) < 0) {
        diag_error(d, NULL, "container credentials endpoint %s: %s", url.buf, why.buf);
        goto out;
    }
    set_source(out, "container credentials endpoint %s", url.buf);
    ch->p->url = strbuf_detach(&url, NULL);
    ret = FOUND;
out:
    strbuf_release(&url);
    strbuf_release(&why);
    return ret;
}

static enum link_result link_imds(struct chain *ch, struct creds *out, struct diag *d)
{
    struct strbuf url = STRBUF_INIT, why = STRBUF_INIT;
    const char *v, *mode;
    enum link_result ret = ABSENT;

    if (env_true("AWS_EC2_METADATA_DISABLED")) {
        looked(ch, "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
        goto out;
    }
    if (!(v = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT")))
        v = profile_get(&ch->set, ch->profile, "ec2_metadata_service_endpoint");
    if (!v || !*v) {
        if (!(mode = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")))
            mode = profile_get(&ch->set, ch->profile, "ec2_metadata_service_endpoint_mode");
        v = mode && strcasecmp(mode, "ipv6") == 0 ? IMDS_DEFAULT_V6 : IMDS_DEFAULT;
    }
    if (strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0) {
        diag_error(d, NULL, "EC2 instance metadata endpoint '%s' is not an http:// or https:// URL",
                   v);
        ret = FAILED;
        goto out;
    }
    strbuf_adds(&url, v);
    while (url.len && url.buf[url.len - 1] == '/')
        strbuf_setlen(&url, url.len - 1);
    if (credhttp_imds(url.buf, out, &why) < 0) {
        looked(ch, "EC2 instance metadata %s (%s)", url.buf, why.buf);
        goto out;
    }
    set_source(out, "EC2 instance metadata (IMDSv2)");
    ch->p->url = strbuf_detach(&url, NULL);
    ret = FOUND;
out:
    strbuf_release(&url);
    strbuf_release(&why);
    return ret;
}

static int resolve(struct creds_provider *p, struct session *s, time_t now, struct diag *d)
{
    static const struct {
        enum link link;
        enum link_result (*fn)(struct chain *, struct creds *, struct diag *);
    } links[] = {
        {LINK_WEB, link_web},
        {LINK_PROFILE, link_profile},
        {LINK_CONTAINER, link_container},
        {LINK_IMDS, link_imds},
    };
    struct chain ch;
    struct creds found;
    enum link_result r;
    int ret = -1;

    memset(&ch, 0, sizeof(ch));
    ch.p = p;
    ch.s = s;
    ch.now = now;
    ch.profile = profile_name(p->profile, NULL);
    strbuf_init(&ch.looked, STRBUF_NOCAP);
    profile_set_init(&ch.set);
    creds_init(&found);
    forget_link(p);

    /* The environment first, and without touching the files: a broken config file
     * must not get in the way of explicit keys. */
    if ((r = link_env(&ch, &found, d)) == FAILED)
        goto out;
    if (r == FOUND) {
        p->link = LINK_ENV;
        goto found;
    }
    if (profile_set_load(&ch.set, d) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        r = links[i].fn(&ch, &found, d);
        if (r == FAILED)
            goto out;
        if (r == FOUND) {
            p->link = links[i].link;
            goto found;
        }
    }
    diag_error(d, NULL, "no AWS credentials found; looked at: %s", ch.looked.buf);
    goto out;
found:
    creds_copy(&p->cur, &found);
    log_debug("credentials: %s", p->cur.source);
    ret = 0;
out:
    if (ret < 0)
        forget_link(p);
    creds_release(&found);
    profile_set_release(&ch.set);
    strbuf_release(&ch.looked);
    return ret;
}

/* Ask the link that answered before. */
static int refresh(struct creds_provider *p, struct session *s, struct diag *d)
{
    struct creds fresh;
    struct strbuf why = STRBUF_INIT;
    int ret = -1;

    creds_init(&fresh);
    switch (p->link) {
    case LINK_WEB:
        ret = fetch_web(p, s, &fresh, d);
        break;
    case LINK_CONTAINER:
        if ((ret = fetch_container(p->url, &fresh, &why)) < 0)
            diag_error(d, NULL, "container credentials endpoint %s: %s", p->url, why.buf);
        else
            set_source(&fresh, "container credentials endpoint %s", p->url);
        break;
    case LINK_IMDS:
        if ((ret = credhttp_imds(p->url, &fresh, &why)) < 0)
            diag_error(d, NULL, "EC2 instance metadata %s: %s", p->url, why.buf);
        else
            set_source(&fresh, "EC2 instance metadata (IMDSv2)");
        break;
    default:
        /* Environment and profile keys carry no expiration; nothing to refresh. */
        ret = 0;
        goto out;
    }
    if (ret == 0) {
        creds_copy(&p->cur, &fresh);
        log_debug("credentials refreshed: %s", p->cur.source);
    }
out:
    creds_release(&fresh);
    strbuf_release(&why);
    return ret;
}

int creds_provider_get(struct creds_provider *p, struct session *s, time_t now, struct creds *out,
                       struct diag *d)
{
    struct diag tmp;
    int ret = -1;

    diag_init(&tmp);
    if (p->busy) {
        diag_error(d, NULL, "credentials were asked for while they were being resolved");
        return -1;
    }
    p->busy = 1;
    if (p->link == LINK_NONE) {
        if (resolve(p, s, now, d) < 0)
            goto out;
    } else if (creds_expired(&p->cur, now, CREDS_REFRESH_MARGIN)) {
        if (refresh(p, s, &tmp) < 0) {
            /* Still usable for a while: keep going and try again on the next call. */
            if (!creds_expired(&p->cur, now, 0)) {
                log_warn("could not refresh AWS credentials (%s); using the current ones until "
                         "they expire",
                         diag_last(&tmp));
            } else {
                diag_error(d, NULL,
                           "AWS credentials from %s expired and could not be refreshed: %s",
                           p->cur.source, diag_last(&tmp));
                goto out;
            }
        }
    }
    creds_copy(out, &p->cur);
    ret = 0;
out:
    p->busy = 0;
    diag_release(&tmp);
    return ret;
}
