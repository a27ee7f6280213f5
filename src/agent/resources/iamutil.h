/*
 * IAM policy documents as cairn compares them. IAM hands documents back
 * URL-encoded (GetRole, GetRolePolicy) or not (moto's ListRoles), with the
 * whitespace and key order it likes, and a policy means the same whether a
 * single action is written "x" or ["x"], or a single statement as an object or
 * a list of one. The canonical form settles all of that on both sides of a
 * comparison.
 */
#ifndef CAIRN_IAMUTIL_H
#define CAIRN_IAMUTIL_H

#include <jansson.h>

/* A document as IAM returns it (URL-encoded or plain JSON text), parsed; NULL when it is not
 * a JSON object. */
json_t *iamutil_policy_parse(const char *text);

/*
 * The canonical form of a policy document (new reference; anything that is not an object is
 * returned as it is): Statement a list, sorted; Action, NotAction, Resource, NotResource and
 * every Principal and Condition value a sorted list of unique strings (true and 12 as "true"
 * and "12"); an AWS principal given as a bare account ID spelled as IAM stores it
 * (arn:aws:iam::<account>:root). Other members, Version and Sid among them, are kept.
 */
json_t *iamutil_policy_normalize(const json_t *doc);

/* The document as compact JSON text to send (malloc'd; "{}" for NULL). */
char *iamutil_policy_text(const json_t *doc);

#endif
