#include "aws/region.h"
#include "aws/profile.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* The shape of every AWS region name: words joined by dashes, ending in a number
 * (us-east-1, us-gov-west-1, eusc-de-east-1). Checked by shape, not a list, so new regions
 * work; "us-east1" and the zone "eu-west-1a" do not pass. */
int region_valid(const char *name)
{
    size_t n = strlen(name), i = 0, words = 0;

    if (n == 0 || n > REGION_NAME_MAX)
        return 0;
    while (i < n && name[i] >= 'a' && name[i] <= 'z') {
        while (i < n && name[i] >= 'a' && name[i] <= 'z')
            i++;
        words++;
        if (i == n || name[i] != '-')
            return 0;
        i++;
    }
    if (words < 2 || i == n)
        return 0;
    for (; i < n; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    return 1;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Accept name from source, or explain why not. loc may be NULL. */
static int take(char **out_name, char **out_source, const char *name, const char *source,
                const struct srcloc *loc, struct diag *d)
{
    if (!region_valid(name)) {
        diag_error(d, loc, "invalid region '%s' from %s: expected a region name such as us-east-1",
                   name, source);
        return -1;
    }
    *out_name = xstrdup(name);
    *out_source = xstrdup(source);
    return 0;
}

/* Why the profile gave no region, for the "looked at" list. */
static void profile_miss(struct strbuf *why, const struct profile_set *set, const char *profile)
{
    const struct profile_file *cfg = &set->files[PROFILE_CONFIG];
    const char *path = cfg->path ? cfg->path : "~/.aws/config";

    if (!cfg->found)
        strbuf_addf(why, "profile '%s' in %s (file not found)", profile, path);
    else if (!profile_exists(set, profile, PROFILE_CONFIG) &&
             !profile_exists(set, profile, PROFILE_CREDENTIALS))
        strbuf_addf(why, "profile '%s' in %s (profile not found)", profile, path);
    else
        strbuf_addf(why, "profile '%s' in %s (no 'region' setting)", profile, path);
}

int region_resolve(const char *explicit_region, const char *profile, char **out_name,
                   char **out_source, struct diag *d)
{
    struct profile_set set;
    struct profile_value pv;
    struct strbuf why = STRBUF_INIT, src = STRBUF_INIT;
    const char *v, *name;
    int ret = -1;

    *out_name = *out_source = NULL;
    profile_set_init(&set);
    if (explicit_region && *explicit_region) {
        ret = take(out_name, out_source, explicit_region, "--region", NULL, d);
        goto out;
    }
    if ((v = env_nonempty("AWS_REGION"))) {
        ret = take(out_name, out_source, v, "AWS_REGION", NULL, d);
        goto out;
    }
    if ((v = env_nonempty("AWS_DEFAULT_REGION"))) {
        ret = take(out_name, out_source, v, "AWS_DEFAULT_REGION", NULL, d);
        goto out;
    }
    if (profile_set_load(&set, d) < 0)
        goto out;
    name = profile_name(profile, NULL);
    if (profile_lookup(&set, name, "region", &pv) == 0 && *pv.value) {
        struct srcloc loc = {pv.path, pv.line, 0};

        strbuf_addf(&src, "profile '%s' in %s", name, pv.path);
        ret = take(out_name, out_source, pv.value, src.buf, &loc, d);
        goto out;
    }
    profile_miss(&why, &set, name);
    diag_error(d, NULL,
               "no AWS region configured; looked at: --region (not given); AWS_REGION (not set); "
               "AWS_DEFAULT_REGION (not set); %s. Set AWS_REGION or pass --region",
               why.buf);
out:
    strbuf_release(&why);
    strbuf_release(&src);
    profile_set_release(&set);
    return ret;
}
