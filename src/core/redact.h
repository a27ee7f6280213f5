/*
 * Redaction: what --debug logging passes requests and responses through so
 * that credentials and secret values never reach the log.
 *
 * Secret values are replaced with REDACT_MARK. The body redactors stream over
 * their input and copy only what is not secret, so a secret is never copied
 * into memory that is not wiped (the XML parser's buffers are wiped before
 * they are freed). A body that does not parse as its kind is not shown at
 * all: out gets a placeholder such as "(312 bytes, not valid JSON)".
 *
 * Names are matched case-insensitively: a JSON key at any depth, an XML
 * element's local name, the last component of a flattened Query member
 * ("Credentials.SessionToken"), a URL query parameter.
 */
#ifndef CAIRN_REDACT_H
#define CAIRN_REDACT_H

#include <stddef.h>

#include "core/strbuf.h"

#define REDACT_MARK "(redacted)"

/* Authorization, Cookie, X-Amz-Security-Token, X-Aws-Ec2-Metadata-Token, and
 * any header whose name contains "token", "secret", "password" or "credential". */
int redact_header_sensitive(const char *name);
/* SecretString, SecretBinary, SecretAccessKey, SessionToken, Token, Password,
 * ClientSecret, WebIdentityToken, AuthorizationToken, SAMLAssertion, ... and
 * any name ending in "Password" (MasterUserPassword, RandomPassword). Not
 * NextToken, ClientRequestToken or SecretId: those are not secret. */
int redact_name_sensitive(const char *name, size_t len);

/* Each appends a loggable copy of body to out and returns 0, or -1 when the
 * body is not valid for its kind (out then holds only a placeholder) or out's
 * cap was reached (out then holds a redacted prefix). */
int redact_json(const char *body, size_t len, struct strbuf *out);
int redact_xml(const char *body, size_t len, struct strbuf *out);
/* application/x-www-form-urlencoded, as the Query protocol sends. */
int redact_form(const char *body, size_t len, struct strbuf *out);
/* Picks the kind from content_type (may be NULL), else from the first byte.
 * A body of no known kind is summarised ("(12 bytes of text/plain)"), not shown. */
int redact_body(const char *content_type, const char *body, size_t len, struct strbuf *out);
/* The URL with the values of sensitive query parameters (X-Amz-Signature,
 * X-Amz-Security-Token, X-Amz-Credential, ...) redacted and no fragment. */
int redact_url(const char *url, struct strbuf *out);

#endif
