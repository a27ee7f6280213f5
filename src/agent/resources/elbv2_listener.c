/* elbv2.listener: a port of a load balancer and what it does by default. */
#include "agent/resources/types.h"

static const char *const protocol_values[] = {"HTTP", "HTTPS", NULL};
static const char *const action_values[] = {"forward", "fixed-response", "redirect", NULL};
static const char *const content_type_values[] = {
    "text/plain", "text/css", "text/html", "application/javascript", "application/json", NULL};
static const char *const redirect_code_values[] = {"HTTP_301", "HTTP_302", NULL};

static const struct attr fixed_response_fields[] = {
    {.name = "status_code",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The HTTP status code, 2XX, 4XX or 5XX."},
    {.name = "content_type",
     .type = VT_STRING,
     .values = content_type_values,
     .doc = "The content type of the body."},
    {.name = "message_body", .type = VT_STRING, .doc = "The body, up to 1024 characters."},
    {0},
};

/* #{...} keeps that part of the request, so the defaults redirect to the same URL. */
static const struct attr redirect_fields[] = {
    {.name = "protocol",
     .type = VT_STRING,
     .def = "#{protocol}",
     .doc = "HTTP, HTTPS or #{protocol}."},
    {.name = "port", .type = VT_STRING, .def = "#{port}", .doc = "A port number or #{port}."},
    {.name = "host", .type = VT_STRING, .def = "#{host}", .doc = "The host name."},
    {.name = "path", .type = VT_STRING, .def = "/#{path}", .doc = "The path, starting with /."},
    {.name = "query", .type = VT_STRING, .def = "#{query}", .doc = "The query, without the ?."},
    {.name = "status_code",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = redirect_code_values,
     .doc = "Permanent (HTTP_301) or temporary (HTTP_302)."},
    {0},
};

const struct attr elbv2_listener_action_fields[] = {
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = action_values,
     .doc = "What to do with a request."},
    {.name = "target_group_arn",
     .type = VT_ARN,
     .ref_type = "elbv2.target_group",
     .doc = "With forward: the target group that receives the request."},
    {.name = "fixed_response",
     .type = VT_OBJECT,
     .fields = fixed_response_fields,
     .doc = "With fixed-response: the response the load balancer sends itself."},
    {.name = "redirect",
     .type = VT_OBJECT,
     .fields = redirect_fields,
     .doc = "With redirect: where to send the client, for example from HTTP to HTTPS."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "load_balancer_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "elbv2.load_balancer",
     .doc = "The load balancer the listener belongs to."},
    {.name = "port",
     .type = VT_PORT,
     .flags = ATTR_REQUIRED,
     .doc = "The port the listener accepts connections on."},
    {.name = "protocol",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = protocol_values,
     .doc = "The protocol clients speak to the listener."},
    {.name = "certificate_arn",
     .type = VT_ARN,
     .doc = "With HTTPS: the ARN of the server certificate (ACM)."},
    {.name = "ssl_policy",
     .type = VT_STRING,
     .doc = "With HTTPS: the security policy (TLS versions and ciphers); AWS's default when "
            "omitted."},
    {.name = "default_action",
     .type = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = elbv2_listener_action_fields,
     .doc = "What the listener does with a request no rule matches."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The listener's ARN, which a listener rule's listener_arn takes."},
    {0},
};

const struct restype elbv2_listener_type = {
    .name = "elbv2.listener",
    .service = "elbv2",
    .doc = "A listener of a load balancer: a port and protocol clients connect to, with the "
           "action for requests no rule matches.",
    .attrs = attrs,
    .taggable = 1,
};
