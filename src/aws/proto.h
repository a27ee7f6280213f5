/*
 * Wire protocols: how an apicall becomes an HTTP request and how a response
 * becomes output or a uniform struct apierr, for the four protocols the stack
 * needs (EC2 query, query, JSON 1.1, REST-JSON). The session signs and sends.
 */
#ifndef CAIRN_PROTO_H
#define CAIRN_PROTO_H

#include "aws/apicall.h"
#include "core/http.h"
#include "core/strbuf.h"

struct proto_wire {
    const char *method;
    struct strbuf path;  /* request path, escaped, without the query */
    struct strbuf query; /* query string without '?', escaped; may be empty */
    struct strbuf body;
    const char *content_type; /* NULL: no body */
    char target[192];         /* X-Amz-Target, JSON protocol only */
};

void proto_wire_init(struct proto_wire *w);
void proto_wire_release(struct proto_wire *w);

int proto_encode(const struct apicall *c, struct proto_wire *w, struct diag *d);
/* Parse a successful (2xx) response into c->out or c->xml. */
int proto_decode(struct apicall *c, const struct http_response *r, struct diag *d);
/* Fill err from an error response: code from X-Amzn-ErrorType, XML Error/Code or
 * JSON __type, whichever the protocol uses; message; request id; status. */
void proto_decode_error(const struct service *svc, const struct http_response *r,
                        struct apierr *err);
/* Append s form/URI-escaped (RFC 3986 unreserved kept, everything else %XX). */
int proto_escape(struct strbuf *sb, const char *s);

#endif
