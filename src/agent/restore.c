#include "agent/restore.h"
#include "agent/apply.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/registry.h"
#include "agent/resources/types.h"
#include "aws/apicall.h"
#include "aws/session.h"
#include "aws/sigv4.h"
#include "core/isotime.h"
#include "core/strbuf.h"
#include "core/xdoc.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int backup_call(struct session *s, struct apicall *c, struct diag *d)
{
    return session_call(s, c, d) == CALL_OK ? 0 : -1;
}

/* The volume type: the one whose restore hooks describe objects (an EFS file system). */
static const struct restype *volume_type(void)
{
    static const struct restype *vol;
    const char *names[128];
    size_t n;

    if (vol)
        return vol;
    n = registry_names(names, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < n && !vol; i++) {
        const struct restype *t = registry_lookup(names[i]);
        if (t && t->ops && t->ops->restore && t->ops->restore->describe)
            vol = t;
    }
    return vol;
}

static const struct restype_restore *volume_hooks(void)
{
    return volume_type()->ops->restore;
}

/* The first stack resource of type t whose live object exists: its live object, or NULL. */
const struct live_obj *restore_stack_live_of(const struct plan *p, const struct restype *t)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].res && p->v[i].res->type == t && p->v[i].live)
            return p->v[i].live;
    return NULL;
}

/* The backup role: that of the backup selection whose resources name the file system, else of
 * any of the stack's selections. */
static const char *backup_role(const struct plan *p, const char *fs_arn)
{
    const char *any = NULL;

    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        json_t *res, *v;
        size_t k;
        if (!a->res || a->res->type != &backup_selection_type || !a->live)
            continue;
        any = json_string_value(json_object_get(a->live->attrs, "iam_role_arn"));
        res = json_object_get(a->live->attrs, "resources");
        json_array_foreach(res, k, v)
        {
            if (fs_arn && json_is_string(v) && strcmp(json_string_value(v), fs_arn) == 0)
                return any;
        }
    }
    return any;
}

void restore_list_volumes(const struct stack *s, FILE *out)
{
    fputs("the stack's EFS volumes:", out);
    for (size_t i = 0; i < s->nres; i++) {
        const struct stack_res *r = s->res[i];
        const char *dot = strrchr(r->name, '.');
        if (r->type == volume_type())
            fprintf(out, " %.*s", dot ? (int)(dot - r->name) : (int)strlen(r->name), r->name);
    }
    fputc('\n', out);
}

/* A deterministic token of 32 hex digits for what (stack/volume/source). */
static void token_of(const struct restore *rs, const char *what, char out[33])
{
    char buf[1024], hex[SIGV4_HEX_LEN + 1];

    snprintf(buf, sizeof(buf), "cairn-restore/%s/%s/%s", rs->e.stack.name, rs->volume, what);
    sigv4_sha256_hex(buf, strlen(buf), hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
}

/* "aws-backup-restore_<the job's creation time, UTC>": where AWS Backup puts the files. */
static char *restore_dir_of(double created)
{
    char buf[64];
    time_t t = (time_t)created;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "aws-backup-restore_%Y-%m-%dT%H-%M-%S", &tm);
    return xstrdup(buf);
}

/* ------------------------------------------------------------ the recovery point */

/* DescribeRecoveryPoint of --recovery-point: it must be in the vault, completed, and of the
 * volume's file system. */
static int given_point(struct restore *rs, struct diag *d)
{
    struct apicall c;
    const char *res, *status;
    int ret = -1;

    backuputil_init(&c, "DescribeRecoveryPoint");
    apicall_rest(&c, "GET", "/backup-vaults/%s/recovery-points/%s", apicall_escape(&c, rs->vault),
                 apicall_escape(&c, rs->rp_given));
    if (session_call(rs->e.session, &c, d) != CALL_OK)
        goto out;
    res = json_string_value(json_object_get(c.out, "ResourceArn"));
    status = json_string_value(json_object_get(c.out, "Status"));
    if (!res || strcmp(res, rs->old_arn) != 0) {
        diag_error(d, NULL,
                   "recovery point %s is of %s, not of %s (volume %s's file system %s): restore "
                   "it by hand and adopt the file system with --file-system-id",
                   rs->rp_given, res ? res : "(unknown)", rs->old_arn, rs->volume, rs->old_id);
        goto out;
    }
    if (!status || strcmp(status, "COMPLETED") != 0) {
        diag_error(d, NULL, "recovery point %s is %s, not COMPLETED", rs->rp_given,
                   status ? status : "(no status)");
        goto out;
    }
    rs->rp_arn = xstrdup(rs->rp_given);
    rs->rp_time = json_number_value(json_object_get(c.out, "CreationDate"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* ListRecoveryPointsByBackupVault for the file system: the newest completed one (before
 * --before) in rs->rp_arn, which stays NULL when there is none. */
static int latest_point(struct restore *rs, struct diag *d)
{
    struct apicall c;
    time_t before = 0;
    int ret = -1;

    if (rs->before && isotime_parse(rs->before, &before) < 0) {
        diag_error(d, NULL, "--before %s: write a UTC time as 2026-11-24T06:00:00Z", rs->before);
        return -1;
    }
    backuputil_init(&c, "ListRecoveryPointsByBackupVault");
    apicall_rest(&c, "GET", "/backup-vaults/%s/recovery-points/", apicall_escape(&c, rs->vault));
    apicall_param(&c, "resourceArn", rs->old_arn);
    do {
        json_t *rp;
        size_t i;
        if (backup_call(rs->e.session, &c, d) < 0)
            goto out;
        json_array_foreach(json_object_get(c.out, "RecoveryPoints"), i, rp)
        {
            const char *status = json_string_value(json_object_get(rp, "Status"));
            double t = json_number_value(json_object_get(rp, "CreationDate"));
            if (!status || strcmp(status, "COMPLETED") != 0 || (before && t >= (double)before) ||
                (rs->rp_arn && t <= rs->rp_time))
                continue;
            free(rs->rp_arn);
            rs->rp_arn = xstrdup(json_string_value(json_object_get(rp, "RecoveryPointArn")));
            rs->rp_time = t;
        }
    } while (dialect_next_page(&c));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* ------------------------------------------------------------ the restore job */

/* The restore metadata AWS gives for the point, made a new file system's: newFileSystem true
 * and a CreationToken of cairn's own (the old file system still holds the old one). */
static json_t *restore_metadata(struct restore *rs, const char *token, struct diag *d)
{
    struct apicall c;
    json_t *meta = NULL, *got;

    backuputil_init(&c, "GetRecoveryPointRestoreMetadata");
    apicall_rest(&c, "GET", "/backup-vaults/%s/recovery-points/%s/restore-metadata",
                 apicall_escape(&c, rs->vault), apicall_escape(&c, rs->rp_arn));
    if (backup_call(rs->e.session, &c, d) == 0) {
        got = json_object_get(c.out, "RestoreMetadata");
        meta = json_object();
        static const char *const keep[] = {"file-system-id", "Encrypted", "KmsKeyId",
                                           "PerformanceMode"};
        for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
            json_t *v = json_object_get(got, keep[i]);
            if (json_is_string(v) && *json_string_value(v))
                json_object_set(meta, keep[i], v);
        }
        if (!json_object_get(meta, "file-system-id"))
            json_object_set_new(meta, "file-system-id", json_string(rs->old_id));
        json_object_set_new(meta, "newFileSystem", json_string("true"));
        json_object_set_new(meta, "CreationToken", json_string(token));
    }
    apicall_release(&c);
    return meta;
}

struct job_probe {
    struct restore *rs;
    char *created_arn;
    double created;
};

/* One DescribeRestoreJob: 1 completed, 0 pending or running, -1 failed or aborted. */
static int job_done(struct session *s, void *arg, struct diag *d)
{
    struct job_probe *p = arg;
    struct apicall c;
    const char *status;
    int r = -1;

    backuputil_init(&c, "DescribeRestoreJob");
    apicall_rest(&c, "GET", "/restore-jobs/%s", apicall_escape(&c, p->rs->job_id));
    if (backup_call(s, &c, d) < 0)
        goto out;
    status = json_string_value(json_object_get(c.out, "Status"));
    p->created = json_number_value(json_object_get(c.out, "CreationDate"));
    if (status && strcmp(status, "COMPLETED") == 0) {
        const char *arn = json_string_value(json_object_get(c.out, "CreatedResourceArn"));
        if (!arn) {
            diag_error(d, NULL, "restore job %s completed without a file system", p->rs->job_id);
            goto out;
        }
        p->created_arn = xstrdup(arn);
        r = 1;
    } else if (!status || strcmp(status, "PENDING") == 0 || strcmp(status, "RUNNING") == 0 ||
               strcmp(status, "CREATED") == 0) {
        r = 0;
    } else {
        const char *why = json_string_value(json_object_get(c.out, "StatusMessage"));
        diag_error(d, NULL, "restore job %s %s%s%s", p->rs->job_id, status, why ? ": " : "",
                   why ? why : "");
    }
out:
    apicall_release(&c);
    return r;
}

/* The file system ID an EFS ARN ends with (…:file-system/fs-…). */
static char *fs_id_of(const char *arn)
{
    const char *s = arn ? strstr(arn, ":file-system/") : NULL;
    return s ? xstrdup(s + strlen(":file-system/")) : NULL;
}

/*
 * The restore job an earlier run started, found without its token (AWS may have forgotten it
 * by the time a run cut short is run again): when the file system with creation token ctoken
 * exists, the job of the recovery point that made it, or one still running (it names what it
 * made only once complete). 1 and rs->job_id set, 0 none, -1 error.
 */
static int find_job(struct restore *rs, const char *ctoken, struct diag *d)
{
    struct apicall c;
    json_t *fs;
    char *arn = NULL;
    int ret = 0;

    if (volume_hooks()->describe(rs->e.session, "CreationToken", ctoken, &fs, d) < 0)
        return -1;
    arn = dup_or_null(json_string_value(json_object_get(fs, "arn")));
    json_decref(fs);
    if (!arn)
        return 0;
    backuputil_init(&c, "ListRestoreJobs");
    apicall_rest(&c, "GET", "/restore-jobs/");
    do {
        json_t *job;
        size_t i;
        if (backup_call(rs->e.session, &c, d) < 0) {
            ret = -1;
            goto out;
        }
        json_array_foreach(json_object_get(c.out, "RestoreJobs"), i, job)
        {
            const char *rp = json_string_value(json_object_get(job, "RecoveryPointArn"));
            const char *made = json_string_value(json_object_get(job, "CreatedResourceArn"));
            const char *st = json_string_value(json_object_get(job, "Status"));
            int running = st && (strcmp(st, "PENDING") == 0 || strcmp(st, "RUNNING") == 0 ||
                                 strcmp(st, "CREATED") == 0);
            if (ret == 0 && rp && strcmp(rp, rs->rp_arn) == 0 &&
                (made ? strcmp(made, arn) == 0 : running)) {
                rs->job_id = xstrdup(json_string_value(json_object_get(job, "RestoreJobId")));
                ret = 1;
            }
        }
    } while (ret == 0 && dialect_next_page(&c));
out:
    apicall_release(&c);
    free(arn);
    return ret;
}

/* StartRestoreJob (the same token: the same job), then wait for it. */
int restore_run_job(struct restore *rs, struct diag *d)
{
    char token[33], ctoken[64], what[160];
    struct job_probe p = {rs, NULL, 0};
    struct apicall c;
    json_t *meta, *body;
    int ret = -1;

    backuputil_init(&c, "StartRestoreJob");
    token_of(rs, rs->rp_arn, token);
    snprintf(ctoken, sizeof(ctoken), "cairn-restore-%s", token);
    if (find_job(rs, ctoken, d) < 0)
        goto out;
    if (rs->job_id) {
        printf("  restore job %s (started before)\n", rs->job_id);
        goto wait;
    }
    if (!(meta = restore_metadata(rs, ctoken, d)))
        goto out;
    apicall_rest(&c, "PUT", "/restore-jobs");
    body = json_pack("{s:s, s:o, s:s, s:s}", "RecoveryPointArn", rs->rp_arn, "Metadata", meta,
                     "IdempotencyToken", token, "ResourceType", "EFS");
    /* Never CopySourceTagsToRestoredResource: the copy would carry the old file system's
     * cairn:stack and cairn:id, and the stack would own two file systems for one volume. */
    if (rs->role)
        json_object_set_new(body, "IamRoleArn", json_string(rs->role));
    apicall_json(&c, body);
    if (backup_call(rs->e.session, &c, d) < 0)
        goto out;
    rs->job_id = xstrdup(json_string_value(json_object_get(c.out, "RestoreJobId")));
    printf("  restore job %s\n", rs->job_id);
wait:
    fflush(stdout);
    snprintf(what, sizeof(what), "restore job %s: not finished", rs->job_id);
    if (efsutil_wait(rs->e.session, job_done, &p, RESTORE_WAIT, what, d) < 0)
        goto out;
    if (!(rs->new_id = fs_id_of(p.created_arn))) {
        diag_error(d, NULL, "restore job %s made %s, not an EFS file system", rs->job_id,
                   p.created_arn);
        goto out;
    }
    rs->dir = restore_dir_of(p.created);
    ret = 0;
out:
    free(p.created_arn);
    apicall_release(&c);
    return ret;
}

/* ------------------------------------------------------------ file systems */

/* The volume type's description of file system id: a new reference, or NULL (d says why). */
json_t *restore_describe_fs(struct session *s, const char *id, struct diag *d)
{
    json_t *fs = NULL;

    if (volume_hooks()->describe(s, "FileSystemId", id, &fs, d) == 0 && !fs)
        diag_error(d, NULL, "file system %s not found", id);
    return fs;
}

/* Whether file system id's mount targets (if any) are in one of the stack's VPCs. */
static int same_vpc(struct restore *rs, const char *id, struct diag *d)
{
    struct apicall c;
    json_t *mt;
    size_t i;
    int ret = -1;

    efsutil_init(&c, "DescribeMountTargets", "GET", "mount-targets", NULL, NULL);
    apicall_param(&c, "FileSystemId", id);
    if (dialect_send(rs->e.session, &c, 0, d) < 0)
        goto out;
    ret = 0;
    json_array_foreach(json_object_get(c.out, "MountTargets"), i, mt)
    {
        const char *vpc = efsutil_str(mt, "VpcId");
        if (vpc && !live_find_id(&rs->e.live, &ec2_vpc_type, vpc)) {
            diag_error(d, NULL,
                       "file system %s has a mount target in %s, which is not the stack's VPC: "
                       "tasks in the stack could not mount it",
                       id, vpc);
            ret = -1;
            break;
        }
    }
out:
    apicall_release(&c);
    return ret;
}

/* ListRestoreJobs: the directory of the completed job that made file system arn, or NULL. */
static char *dir_of_restored(struct restore *rs, const char *arn, struct diag *d)
{
    struct apicall c;
    char *dir = NULL;

    backuputil_init(&c, "ListRestoreJobs");
    apicall_rest(&c, "GET", "/restore-jobs/");
    apicall_param(&c, "status", "COMPLETED");
    do {
        json_t *job;
        size_t i;
        if (backup_call(rs->e.session, &c, d) < 0)
            break;
        json_array_foreach(json_object_get(c.out, "RestoreJobs"), i, job)
        {
            const char *made = json_string_value(json_object_get(job, "CreatedResourceArn"));
            if (!dir && made && strcmp(made, arn) == 0) {
                dir = restore_dir_of(json_number_value(json_object_get(job, "CreationDate")));
                free(rs->job_id);
                rs->job_id = dup_or_null(json_string_value(json_object_get(job, "RestoreJobId")));
                if (!rs->rp_arn) {
                    rs->rp_arn =
                        dup_or_null(json_string_value(json_object_get(job, "RecoveryPointArn")));
                    rs->rp_time =
                        json_number_value(json_object_get(job, "RecoveryPointCreationDate"));
                }
            }
        }
    } while (!dir && dialect_next_page(&c));
    apicall_release(&c);
    return dir;
}

/* Whether fs belongs to a stack (this one's other volume, another stack): it is not free to
 * take. A file system a restore of this volume staged is. */
static int owned_elsewhere(const struct restore *rs, const json_t *fs, struct diag *d)
{
    const json_t *tags = json_object_get(fs, "tags");
    const char *owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK)),
               *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));

    if (owner) {
        diag_error(d, NULL, "file system %s belongs to stack %s as %s: not taking it", rs->fs_given,
                   owner, id ? id : "(no cairn:id)");
        return 1;
    }
    return 0;
}

/* Whether fs differs from the volume's file system in what cannot change in place: up would
 * replace it with an empty one. */
static int differs(const struct restore *rs, const json_t *fs, struct diag *d)
{
    const json_t *have = rs->old_attrs;
    int enc = json_is_true(json_object_get(fs, "encrypted"));
    const char *mode = json_string_value(json_object_get(fs, "performance_mode")),
               *az = json_string_value(json_object_get(fs, "availability_zone_name"));
    const char *want_mode = json_string_value(json_object_get(have, "performance_mode"));
    const char *want_az = json_string_value(json_object_get(have, "availability_zone_name"));

    if (enc != json_is_true(json_object_get(have, "encrypted")) ||
        (mode && want_mode && strcmp(mode, want_mode) != 0) ||
        (az ? !want_az || strcmp(az, want_az) != 0 : want_az != NULL)) {
        diag_error(d, NULL,
                   "file system %s (encrypted %s, %s, %s) differs from %s (encrypted %s, %s, %s), "
                   "which cannot change in place: up would replace it with an empty one",
                   rs->fs_given, enc ? "true" : "false", mode ? mode : "?", az ? az : "Regional",
                   rs->old_id, json_is_true(json_object_get(have, "encrypted")) ? "true" : "false",
                   want_mode ? want_mode : "?", want_az ? want_az : "Regional");
        return 1;
    }
    return 0;
}

/* --file-system-id: a file system restored by someone else, checked and taken. */
int restore_adopt(struct restore *rs, struct diag *d)
{
    json_t *fs = restore_describe_fs(rs->e.session, rs->fs_given, d);
    const char *arn = json_string_value(json_object_get(fs, "arn")),
               *state = json_string_value(json_object_get(fs, "state"));
    int ret = -1;

    if (!fs)
        return -1;
    if (strcmp(rs->fs_given, rs->old_id) == 0) {
        diag_error(d, NULL, "%s is already volume %s's file system", rs->fs_given, rs->volume);
        goto out;
    }
    if (!state || strcmp(state, "available") != 0) {
        diag_error(d, NULL, "file system %s is %s, not available", rs->fs_given,
                   state ? state : "(no state)");
        goto out;
    }
    if (owned_elsewhere(rs, fs, d) || differs(rs, fs, d) || same_vpc(rs, rs->fs_given, d) < 0)
        goto out;
    rs->new_id = xstrdup(rs->fs_given);
    if (rs->dir_given)
        rs->dir = xstrdup(rs->dir_given);
    else if (!(rs->dir = dir_of_restored(rs, arn, d)))
        rs->dir = xstrdup(""); /* not made by a restore job cairn can see: files at the root */
    ret = 0;
out:
    json_decref(fs);
    return ret;
}

/* ------------------------------------------------------------ take-over */

/* Tags without aws:* ones and without cairn's restore and retirement marks (new reference). */
static json_t *plain_tags(const json_t *tags)
{
    json_t *out = json_object(), *v;
    const char *k;

    json_object_foreach((json_t *)tags, k, v)
    {
        if (strncmp(k, "aws:", 4) != 0 &&
            strncmp(k, PLAN_TAG_RESTORE_PREFIX, strlen(PLAN_TAG_RESTORE_PREFIX)) != 0 &&
            strcmp(k, "cairn:retired") != 0)
            json_object_set(out, k, v);
    }
    return out;
}

/* The retirement mark: which stack and resource the object was, and when it stopped being. */
static json_t *retired(const struct restore *rs, const json_t *tags)
{
    json_t *t = json_deep_copy(tags);
    char mark[512], day[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(mark, sizeof(mark), "%s/%s/%s", rs->e.stack.name,
             json_string_value(json_object_get(tags, RESUTIL_TAG_ID)), day);
    json_object_set_new(t, "cairn:retired", json_string(mark));
    return t;
}

/* Mark one object retired, then take it out of the stack: in this order, a run cut short in
 * between leaves it marked and still the stack's, which the next run retires again. */
static int retire(struct restore *rs, const struct restype *t, const char *id, const json_t *tags,
                  struct diag *d)
{
    json_t *marked = retired(rs, tags), *out = json_deep_copy(marked);
    int (*retag)(struct session *, const char *, const json_t *, const json_t *, struct diag *) =
        t->ops->restore->retag;
    int r;

    json_object_del(out, RESUTIL_TAG_STACK);
    json_object_del(out, RESUTIL_TAG_ID);
    r = retag(rs->e.session, id, tags, marked, d) < 0 ||
                retag(rs->e.session, id, marked, out, d) < 0
            ? -1
            : 0;
    json_decref(marked);
    json_decref(out);
    return r;
}

/* What the new file system is to carry: the old one's tags (the stack's, Name, cairn:stack,
 * cairn:id) and the restore marks. with_owner 0: the marks only, for the first step. */
static json_t *new_tags(const struct restore *rs, const json_t *have, int with_owner)
{
    json_t *t = json_deep_copy(have);
    char from[1024];

    if (with_owner) {
        json_t *own = plain_tags(rs->old_tags);
        json_object_update(t, own);
        json_decref(own);
    }
    snprintf(from, sizeof(from), "%s", rs->rp_arn ? rs->rp_arn : rs->old_id);
    json_object_set_new(t, PLAN_TAG_RESTORE_OF,
                        json_pack("s+++", rs->e.stack.name, "/", rs->fs_res, ""));
    json_object_set_new(t, PLAN_TAG_RESTORE_FROM, json_string(from));
    if (rs->old_id && (!rs->new_id || strcmp(rs->old_id, rs->new_id) != 0))
        json_object_set_new(t, PLAN_TAG_RESTORE_REPLACED, json_string(rs->old_id));
    /* EFS refuses an empty tag value: the root is "/". */
    json_object_set_new(t, PLAN_TAG_RESTORE_DIR, json_string(*rs->dir ? rs->dir : "/"));
    return t;
}

int restore_take_over(struct restore *rs, struct diag *d)
{
    const struct restype *vol = volume_type();
    json_t *fs = restore_describe_fs(rs->e.session, rs->new_id, d), *have = NULL, *step = NULL,
           *all = NULL;
    int ret = -1;

    if (!fs)
        return -1;
    have = json_incref(json_object_get(fs, "tags"));
    step = new_tags(rs, have, 0);
    if (vol->ops->restore->retag(rs->e.session, rs->new_id, have, step, d) < 0)
        goto out;
    if (rs->old) {
        /* What lives on the old file system (access points) is read by its own tags: it goes
         * too. */
        for (size_t i = 0; i < rs->e.live.n; i++) {
            const struct live_obj *o = &rs->e.live.v[i];
            const struct restype_restore *h = o->type->ops ? o->type->ops->restore : NULL;
            const char *of =
                h ? json_string_value(json_object_get(o->attrs, h->parent_attr)) : NULL;
            if (h && h->parent == vol && h->retag && of && strcmp(of, rs->old_id) == 0 &&
                retire(rs, o->type, o->id, json_object_get(o->attrs, "tags"), d) < 0)
                goto out;
        }
        if (retire(rs, vol, rs->old_id, rs->old_tags, d) < 0)
            goto out;
        printf("  retired %s (tagged cairn:retired, kept)\n", rs->old_id);
    }
    all = new_tags(rs, step, 1);
    if (vol->ops->restore->retag(rs->e.session, rs->new_id, step, all, d) < 0)
        goto out;
    printf("  %s is now %s\n", rs->new_id, rs->fs_res);
    ret = 0;
out:
    json_decref(fs);
    json_decref(have);
    json_decref(step);
    json_decref(all);
    return ret;
}

struct staged {
    struct restore *rs;
    char want[512]; /* "<stack>/<volume>": the cairn:restore-of to look for */
    double newest;
};

/* One file system of the region: the newest marked cairn:restore-of the volume and not retired
 * is the staged one. */
static int staged_one(const json_t *fs, void *arg, struct diag *d)
{
    struct staged *st = arg;
    struct restore *rs = st->rs;
    const json_t *tags = json_object_get(fs, "tags");
    const char *of = json_string_value(json_object_get(tags, PLAN_TAG_RESTORE_OF)), *dir;
    double t = json_number_value(json_object_get(fs, "created"));

    (void)d;
    if (!of || strcmp(of, st->want) != 0 || json_object_get(tags, "cairn:retired") ||
        t <= st->newest)
        return 0;
    dir = json_string_value(json_object_get(tags, PLAN_TAG_RESTORE_DIR));
    st->newest = t;
    free(rs->new_id);
    free(rs->dir);
    free(rs->rp_arn);
    rs->new_id = xstrdup(json_string_value(json_object_get(fs, "id")));
    rs->dir = xstrdup(dir && strcmp(dir, "/") != 0 ? dir : "");
    rs->rp_arn = dup_or_null(json_string_value(json_object_get(tags, PLAN_TAG_RESTORE_FROM)));
    json_decref(rs->old_tags);
    rs->old_tags = json_deep_copy(tags);
    json_object_set_new(rs->old_tags, RESUTIL_TAG_STACK, json_string(rs->e.stack.name));
    json_object_set_new(rs->old_tags, RESUTIL_TAG_ID, json_string(rs->fs_res));
    return 0;
}

/*
 * A run cut short between retiring the old file system and tagging the new one leaves the
 * volume without a file system: the one marked cairn:restore-of the volume (the newest) is the
 * one to finish with. 1 found (rs->new_id, rs->dir, rs->rp_arn set), 0 none, -1 error.
 */
int restore_find_staged(struct restore *rs, struct diag *d)
{
    struct staged st = {.rs = rs, .newest = -1};

    snprintf(st.want, sizeof(st.want), "%s/%s", rs->e.stack.name, rs->fs_res);
    if (volume_hooks()->each(rs->e.session, staged_one, &st, d) < 0)
        return -1;
    return st.newest >= 0;
}

/* Load, read and plan (again, after take-over). */
int restore_prepare(struct restore *rs, const struct cli_global *g, const struct cli_stack_args *a)
{
    if (engine_prepare(&rs->e, g, a, 0) < 0)
        return -1;
    rs->old = live_find(&rs->e.live, volume_type(), rs->fs_res);
    return 0;
}

/* Choose what the volume is restored from; d says why not. */
int restore_choose(struct restore *rs, struct diag *d)
{
    const struct live_obj *vault = restore_stack_live_of(&rs->e.plan, volume_hooks()->source);

    rs->old_id = xstrdup(rs->old->id);
    rs->old_arn = dup_or_null(json_string_value(json_object_get(rs->old->attrs, "arn")));
    rs->old_tags = json_deep_copy(json_object_get(rs->old->attrs, "tags"));
    rs->old_attrs = json_deep_copy(rs->old->attrs);
    if (rs->fs_given)
        return 0;
    if (!vault) {
        diag_error(d, NULL, "the stack has no backup vault in AWS to restore from");
        return -1;
    }
    rs->vault = json_string_value(json_object_get(vault->attrs, "name"));
    if (!rs->vault)
        rs->vault = vault->id;
    rs->role = backup_role(&rs->e.plan, rs->old_arn);
    if (rs->rp_given)
        return given_point(rs, d);
    if (latest_point(rs, d) < 0)
        return -1;
    if (rs->rp_arn)
        return 0;
    /* A file system cairn restore made, with no backup of its own yet: a run cut short after
     * the take-over, or one that finished; the re-point is what is left to do. */
    if (json_object_get(rs->old_tags, PLAN_TAG_RESTORE_FROM) && !rs->before) {
        const char *dir = json_string_value(json_object_get(rs->old_tags, PLAN_TAG_RESTORE_DIR));
        rs->resume = 1;
        rs->new_id = xstrdup(rs->old_id);
        rs->dir = xstrdup(dir && strcmp(dir, "/") != 0 ? dir : "");
        rs->rp_arn =
            xstrdup(json_string_value(json_object_get(rs->old_tags, PLAN_TAG_RESTORE_FROM)));
        return 0;
    }
    diag_error(d, NULL, "no completed recovery point of volume %s's file system %s in vault %s%s%s",
               rs->volume, rs->old_id, rs->vault, rs->before ? " before " : "",
               rs->before ? rs->before : "");
    return -1;
}
