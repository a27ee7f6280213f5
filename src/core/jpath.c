#include "core/jpath.h"

#include <stdlib.h>
#include <string.h>

json_t *jpath_get(const json_t *j, const char *path)
{
    char key[128];

    while (j && *path) {
        if (*path == '[') {
            char *end;
            unsigned long i = strtoul(path + 1, &end, 10);
            if (end == path + 1 || *end != ']')
                return NULL;
            j = json_array_get(j, i);
            path = end + 1;
        } else {
            size_t len = strcspn(path, ".[");
            if (len == 0 || len >= sizeof(key))
                return NULL;
            memcpy(key, path, len);
            key[len] = '\0';
            j = json_object_get(j, key);
            path += len;
        }
        if (*path == '.')
            path++;
    }
    return (json_t *)j;
}

const char *jpath_str(const json_t *j, const char *path)
{
    return json_string_value(jpath_get(j, path));
}

json_int_t jpath_int(const json_t *j, const char *path, json_int_t def)
{
    json_t *v = jpath_get(j, path);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

int jpath_bool(const json_t *j, const char *path, int def)
{
    json_t *v = jpath_get(j, path);
    return json_is_boolean(v) ? json_is_true(v) : def;
}
