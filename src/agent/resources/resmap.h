/*
 * resmap: attributes to and from API members by the attribute table's member (struct attr
 * member), for JSON APIs; EC2's query answers have ec2util_read and ec2util_create_params.
 */
#ifndef CAIRN_RESMAP_H
#define CAIRN_RESMAP_H

#include <jansson.h>

#include "agent/restype.h"

/*
 * The attributes table maps from an API object by their members (struct attr member): every
 * attribute with a member whose value is there and not null or "" (integers given as text
 * become numbers, "true"/"false" booleans). New object.
 */
json_t *resmap_read(const struct attr *table, const json_t *api);

/*
 * resmap_read, and then each object attribute (VT_OBJECT, or a list of them) whose fields have
 * members is read by those in turn (PosixUser/Uid into posix_user.uid). Lists that come out
 * empty are left out, as diff_normalize leaves them. New object.
 */
json_t *resmap_read_nested(const struct attr *table, const json_t *api);

/*
 * The inverse for a create or update: the attributes of table with a member (not computed or
 * ATTR_LATER) from v, or the table's default, in the API's shape: integers from JSON or decimal
 * text, objects whose fields have members in turn, lists element by element (left out when
 * empty), a member path (Lifecycle/DeleteAfterDays) as nested objects. New object.
 */
json_t *resmap_api_object(const struct attr *table, const json_t *v);

/*
 * One desired value of attribute a as the API takes it, as resmap_api_object sends each
 * attribute: an object of a's fields under their members (or a list of them), integers given as
 * text as numbers. New reference; NULL for NULL, null or an empty list.
 */
json_t *resmap_api_value(const struct attr *a, const json_t *v);

/* An integer given as JSON or decimal text, as a JSON integer (new); NULL when it is neither. */
json_t *resmap_int(const json_t *v);

#endif
