/*
 * The shared AWS config and credentials files, read the way botocore reads them:
 *   config       AWS_CONFIG_FILE, else ~/.aws/config;  sections [default], [profile NAME]
 *   credentials  AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; sections [NAME]
 * "key = value" (or "key: value"), full-line comments starting with # or ;,
 * whitespace trimmed, key names lowercased, indented sub-sections ("s3 =" followed
 * by indented lines) skipped, later duplicates win. Other sections of the config
 * file ([sso-session x], [services x], ...) are checked for syntax and ignored.
 * For the same profile, a credentials-file value beats a config-file value.
 * Missing files are not an error; unreadable, oversized or malformed ones are,
 * reported as "file:line: message" (never quoting the line: it may hold a secret).
 */
#ifndef CAIRN_PROFILE_H
#define CAIRN_PROFILE_H

#include "core/arena.h"
#include "core/diag.h"

#define PROFILE_FILE_MAX (1024 * 1024)

enum profile_kind { PROFILE_CONFIG = 0, PROFILE_CREDENTIALS = 1 };

struct profile_file {
    char *path; /* after ~ expansion; NULL when the file was not asked for */
    int found;  /* 1 when the file existed and was read */
};

/* A value and where it was written. */
struct profile_value {
    const char *value;
    const char *path;
    unsigned line;
    enum profile_kind kind;
};

struct profile_section;

struct profile_set {
    struct arena arena;
    struct profile_file files[2]; /* indexed by enum profile_kind */
    struct profile_section *sections;
    size_t nsections, asections;
};

void profile_set_init(struct profile_set *set);
void profile_set_release(struct profile_set *set);

/* Read both files from the environment's paths (or the defaults). Returns 0, or -1
 * with every problem in d. */
int profile_set_load(struct profile_set *set, struct diag *d);
/* Same with explicit paths (~ is expanded); NULL skips that file. */
int profile_set_load_files(struct profile_set *set, const char *config_path,
                           const char *credentials_path, struct diag *d);

/* The value of key in profile, credentials file over config file; NULL when unset. */
const char *profile_get(const struct profile_set *set, const char *profile, const char *key);
/* Like profile_get() but also says where the value came from. Returns 0 or -1 (unset). */
int profile_lookup(const struct profile_set *set, const char *profile, const char *key,
                   struct profile_value *out);
/* Whether the file of that kind has a section for the profile. */
int profile_exists(const struct profile_set *set, const char *profile, enum profile_kind kind);

/* The profile to use: explicit (--profile) > AWS_PROFILE > AWS_DEFAULT_PROFILE > "default".
 * Empty strings count as unset. *source (if not NULL) gets "--profile", "AWS_PROFILE",
 * "AWS_DEFAULT_PROFILE" or "default". */
const char *profile_name(const char *explicit_profile, const char **source);

/* "~" and "~/..." expanded with HOME (or the password database). Caller frees. */
char *profile_expand_path(const char *path);

#endif
