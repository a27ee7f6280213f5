/*
 * Reading JSON responses with paths: jpath_get(out, "service.deployments[0].status").
 * A thin layer on jansson for the JSON 1.1 and REST-JSON services, so resource
 * code reads like the API documentation instead of nested json_object_get calls.
 */
#ifndef CAIRN_JPATH_H
#define CAIRN_JPATH_H

#include <jansson.h>

/* The value at path ("a.b[2].c"; "" is j itself), or NULL when any step is missing. */
json_t *jpath_get(const json_t *j, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *jpath_str(const json_t *j, const char *path);
/* The integer at path, or def when absent or not an integer. */
json_int_t jpath_int(const json_t *j, const char *path, json_int_t def);
/* 1/0 for a boolean at path, or def when absent or not a boolean. */
int jpath_bool(const json_t *j, const char *path, int def);

#endif
