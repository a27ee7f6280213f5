/*
 * The IAM policy a CI job needs to run cairn on a stack (cairn policy), built
 * from the resource types' tables: their read_actions and write_actions.
 *
 * The read policy is what plan and drift call: the reads of every registered
 * type, whatever the stack holds, because a plan reads every type to find the
 * stack's objects of types no longer in the file. The write policy adds what
 * up and destroy call: the writes of the types the stack uses, and
 * iam:PassRole for the services those types hand roles to. Both allow
 * sts:GetCallerIdentity (cairn whoami). One statement per IAM prefix, its
 * actions sorted and without repeats, Resource "*": most of these APIs take no
 * resource-level permission for their list calls, and the stack's objects have
 * no ARN before up makes them.
 */
#ifndef CAIRN_POLICY_H
#define CAIRN_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "agent/restype.h"

/* A managed policy holds at most this many characters, whitespace aside (an inline one
 * 10,240 per role). */
#define POLICY_MANAGED_MAX 6144

/*
 * The policy document (a new object): {"Version": "2012-10-17", "Statement": [...]}.
 * types: the stack's types, n of them (repeats are fine); write 0 for the read policy,
 * which does not depend on them.
 */
json_t *policy_document(const struct restype *const *types, size_t n, int write);

/* Whether action is "<prefix>:<Operation>" with an IAM prefix the policies know (the signing
 * names of aws/service.c, and those AWS checks behind cairn's calls: route53, backup-storage). */
int policy_action_valid(const char *action);
/* Whether action only reads: its operation starts with Describe, List or Get. */
int policy_action_reads(const char *action);
/* The document's size as IAM counts it against its quotas: its characters, whitespace aside. */
size_t policy_size(const json_t *doc);

#endif
