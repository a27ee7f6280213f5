/*
 * cairn restore: bring a stack's EFS volume back from an AWS Backup recovery point (issue #7).
 *
 * Every step leaves its mark in AWS, so that a run cut short and run again finishes the job:
 *   1. the recovery point: --recovery-point, else the latest completed one of the volume's file
 *      system in the stack's vault (created before --before);
 *   2. the restore job, started with an IdempotencyToken derived from the stack, the volume and
 *      the recovery point (the same job again, never a second one) and a CreationToken derived
 *      the same way (a second file system is refused by EFS); waited for;
 *      or --file-system-id: a file system restored by someone else;
 *   3. take-over, by tags: the new file system is marked cairn:restore-of, cairn:restored-from
 *      and cairn:restore-dir; the old one and its access points are marked cairn:retired and
 *      lose cairn:stack and cairn:id (kept, never deleted); then the new one gets the volume's
 *      cairn:stack and cairn:id;
 *   4. re-point: the ordinary plan and apply, which now see a file system without mount
 *      targets or access points (created, the access points' root directories inside the
 *      restore directory: plan.c), task definitions and the backup selection that name the old
 *      one (replaced) and services on the old task definitions (updated, waited for);
 *   5. verify: the data gap (recovery point to now).
 */
#include "agent/apply.h"
#include "agent/cli.h"
#include "agent/engine.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/sdutil.h"
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

/* How long a restore job may run: AWS restores large file systems for hours. */
#define RESTORE_WAIT (12 * 3600)

struct restore {
    const char *volume, *rp_given, *before, *fs_given, *dir_given;
    int plan_only, yes, delete_old;
    int resume; /* the volume's file system is already the restored one */
    struct engine e;
    char fs_res[256];           /* "<volume>.file_system" */
    const struct live_obj *old; /* the stack's file system of the volume, NULL once retired */
    char *old_id, *old_arn;     /* what is restored from (kept after the engine is re-read) */
    json_t *old_tags;           /* its tags */
    json_t *old_attrs;          /* its attributes */
    const char *vault, *role;   /* the stack's vault and backup role (from the live set) */
    char *rp_arn;               /* the recovery point */
    double rp_time;             /* its creation date */
    char *job_id;               /* the restore job */
    char *new_id;               /* the file system that takes the volume over */
    char *dir;                  /* where the files are on it ("" for the root) */
};

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int backup_call(struct session *s, struct apicall *c, struct diag *d)
{
    return session_call(s, c, d) == CALL_OK ? 0 : -1;
}

/* The first stack resource of type t whose live object exists: its live object, or NULL. */
static const struct live_obj *stack_live_of(const struct plan *p, const struct restype *t)
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

static void list_volumes(const struct stack *s, FILE *out)
{
    fputs("the stack's EFS volumes:", out);
    for (size_t i = 0; i < s->nres; i++) {
        const struct stack_res *r = s->res[i];
        const char *dot = strrchr(r->name, '.');
        if (r->type == &efs_file_system_type)
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
    } while (apicall_next_page(&c, "nextToken", "NextToken"));
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
    char *arn = NULL;
    int ret = -1;

    efsutil_init(&c, "DescribeFileSystems", "GET", "file-systems", NULL, NULL);
    apicall_param(&c, "CreationToken", ctoken);
    if (efsutil_send(rs->e.session, &c, NULL, d) < 0)
        goto out;
    arn = dup_or_null(
        efsutil_str(json_array_get(json_object_get(c.out, "FileSystems"), 0), "FileSystemArn"));
    apicall_release(&c);
    ret = 0;
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
    } while (ret == 0 && apicall_next_page(&c, "nextToken", "NextToken"));
out:
    apicall_release(&c);
    free(arn);
    return ret;
}

/* StartRestoreJob (the same token: the same job), then wait for it. */
static int run_job(struct restore *rs, struct diag *d)
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

/* DescribeFileSystems of id: a new reference, or NULL (d says why). */
static json_t *describe_fs(struct session *s, const char *id, struct diag *d)
{
    struct apicall c;
    json_t *fs = NULL;

    efsutil_init(&c, "DescribeFileSystems", "GET", "file-systems", NULL, NULL);
    apicall_param(&c, "FileSystemId", id);
    if (efsutil_send(s, &c, NULL, d) == 0 &&
        !(fs = json_incref(json_array_get(json_object_get(c.out, "FileSystems"), 0))))
        diag_error(d, NULL, "file system %s not found", id);
    apicall_release(&c);
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
    if (efsutil_send(rs->e.session, &c, NULL, d) < 0)
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
    } while (!dir && apicall_next_page(&c, "nextToken", "NextToken"));
    apicall_release(&c);
    return dir;
}

/* Whether fs belongs to a stack (this one's other volume, another stack): it is not free to
 * take. A file system a restore of this volume staged is. */
static int owned_elsewhere(const struct restore *rs, const json_t *fs, struct diag *d)
{
    json_t *tags = efsutil_tags(json_object_get(fs, "Tags"));
    const char *owner = efsutil_str(tags, RESUTIL_TAG_STACK),
               *id = efsutil_str(tags, RESUTIL_TAG_ID);
    int r = 0;

    if (owner) {
        diag_error(d, NULL, "file system %s belongs to stack %s as %s: not taking it", rs->fs_given,
                   owner, id ? id : "(no cairn:id)");
        r = 1;
    }
    json_decref(tags);
    return r;
}

/* Whether fs differs from the volume's file system in what cannot change in place: up would
 * replace it with an empty one. */
static int differs(const struct restore *rs, const json_t *fs, struct diag *d)
{
    const json_t *have = rs->old_attrs;
    int enc = json_is_true(json_object_get(fs, "Encrypted"));
    const char *mode = efsutil_str(fs, "PerformanceMode"),
               *az = efsutil_str(fs, "AvailabilityZoneName");
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
static int adopt(struct restore *rs, struct diag *d)
{
    json_t *fs = describe_fs(rs->e.session, rs->fs_given, d);
    const char *arn = efsutil_str(fs, "FileSystemArn"), *state = efsutil_str(fs, "LifeCycleState");
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
static int retire(struct restore *rs, const char *id, const json_t *tags, struct diag *d)
{
    json_t *marked = retired(rs, tags), *out = json_deep_copy(marked);
    int r;

    json_object_del(out, RESUTIL_TAG_STACK);
    json_object_del(out, RESUTIL_TAG_ID);
    r = efsutil_retag(rs->e.session, id, tags, marked, d) < 0 ||
                efsutil_retag(rs->e.session, id, marked, out, d) < 0
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

static int take_over(struct restore *rs, struct diag *d)
{
    json_t *fs = describe_fs(rs->e.session, rs->new_id, d), *have = NULL, *step = NULL, *all = NULL;
    int ret = -1;

    if (!fs)
        return -1;
    have = efsutil_tags(json_object_get(fs, "Tags"));
    step = new_tags(rs, have, 0);
    if (efsutil_retag(rs->e.session, rs->new_id, have, step, d) < 0)
        goto out;
    if (rs->old) {
        /* The old file system's access points are read by their own tags: they go too. */
        for (size_t i = 0; i < rs->e.live.n; i++) {
            const struct live_obj *o = &rs->e.live.v[i];
            const char *of = json_string_value(json_object_get(o->attrs, "file_system_id"));
            if (o->type == &efs_access_point_type && of && strcmp(of, rs->old_id) == 0 &&
                retire(rs, o->id, json_object_get(o->attrs, "tags"), d) < 0)
                goto out;
        }
        if (retire(rs, rs->old_id, rs->old_tags, d) < 0)
            goto out;
        printf("  retired %s (tagged cairn:retired, kept)\n", rs->old_id);
    }
    all = new_tags(rs, step, 1);
    if (efsutil_retag(rs->e.session, rs->new_id, step, all, d) < 0)
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

/*
 * A run cut short between retiring the old file system and tagging the new one leaves the
 * volume without a file system: the one marked cairn:restore-of the volume (the newest) is the
 * one to finish with. 1 found (rs->new_id, rs->dir, rs->rp_arn set), 0 none, -1 error.
 */
static int find_staged(struct restore *rs, struct diag *d)
{
    struct apicall c;
    char want[512];
    double newest = -1;
    int ret = -1;

    snprintf(want, sizeof(want), "%s/%s", rs->e.stack.name, rs->fs_res);
    efsutil_init(&c, "DescribeFileSystems", "GET", "file-systems", NULL, NULL);
    do {
        json_t *fs;
        size_t i;
        if (efsutil_send(rs->e.session, &c, NULL, d) < 0)
            goto out;
        json_array_foreach(json_object_get(c.out, "FileSystems"), i, fs)
        {
            json_t *tags = efsutil_tags(json_object_get(fs, "Tags"));
            const char *of = efsutil_str(tags, PLAN_TAG_RESTORE_OF);
            double t = json_number_value(json_object_get(fs, "CreationTime"));
            if (of && strcmp(of, want) == 0 && !efsutil_str(tags, "cairn:retired") && t > newest) {
                const char *dir = efsutil_str(tags, PLAN_TAG_RESTORE_DIR);
                newest = t;
                free(rs->new_id);
                free(rs->dir);
                free(rs->rp_arn);
                rs->new_id = xstrdup(efsutil_str(fs, "FileSystemId"));
                rs->dir = xstrdup(dir && strcmp(dir, "/") != 0 ? dir : "");
                rs->rp_arn = dup_or_null(efsutil_str(tags, PLAN_TAG_RESTORE_FROM));
                json_decref(rs->old_tags);
                rs->old_tags = json_deep_copy(tags);
                json_object_set_new(rs->old_tags, RESUTIL_TAG_STACK, json_string(rs->e.stack.name));
                json_object_set_new(rs->old_tags, RESUTIL_TAG_ID, json_string(rs->fs_res));
            }
            json_decref(tags);
        }
    } while (apicall_next_page(&c, "Marker", "NextMarker"));
    ret = newest >= 0;
out:
    apicall_release(&c);
    return ret;
}

/* ------------------------------------------------------------ the command */

static void print_gap(const struct restore *rs)
{
    double gap = rs->rp_time > 0 ? (double)time(NULL) - rs->rp_time : -1;
    char when[32];

    if (gap < 0)
        return;
    isotime_format((time_t)rs->rp_time, when, sizeof(when));
    printf("Data gap: %.0fh %02.0fm (recovery point %s, %s; anything written after it is not "
           "in the restored file system).\n",
           (double)((long long)gap / 3600), (double)(((long long)gap % 3600) / 60), when,
           rs->rp_arn ? rs->rp_arn : "");
}

/* ------------------------------------------------------------ verify */

struct verify {
    const struct restore *rs;
    struct strbuf why; /* what the last look found short, one line each */
};

/* Cloud Map: how many instances the service (its ARN ends in srv-...) has registered. */
static int instances(struct session *s, const char *registry_arn, long *n, struct diag *d)
{
    const char *id = strrchr(registry_arn, '/');
    json_t *body;
    struct apicall c;
    int ret = 0;

    *n = 0;
    body = json_pack("{s:s}", "ServiceId", id ? id + 1 : registry_arn);
    while (body && (ret = sdutil_call(s, &c, "ListInstances", body, d)) == 0) {
        const char *next = json_string_value(json_object_get(c.out, "NextToken"));
        *n += (long)json_array_size(json_object_get(c.out, "Instances"));
        body = next ? json_pack("{s:s, s:s}", "ServiceId", id ? id + 1 : registry_arn, "NextToken",
                                next)
                    : NULL;
        apicall_release(&c);
    }
    if (ret < 0)
        apicall_release(&c);
    return ret;
}

/* ELB: how many targets of the target group are healthy. */
static int healthy(struct session *s, const char *tg, long *n, struct diag *d)
{
    struct apicall c;
    const struct xnode *m;
    int ret = -1;

    *n = 0;
    elbv2util_init(&c, "DescribeTargetHealth");
    apicall_param(&c, "TargetGroupArn", tg);
    if (session_call(s, &c, d) == CALL_OK) {
        m = xdoc_path(c.xml->root, "DescribeTargetHealthResult/TargetHealthDescriptions/member");
        for (; m; m = xdoc_next(m)) {
            const char *state = xdoc_text(m, "TargetHealth/State");
            *n += state && strcmp(state, "healthy") == 0;
        }
        ret = 0;
    }
    apicall_release(&c);
    return ret;
}

/* One look at every service of the stack: 1 when each has its desired count registered in
 * Cloud Map and healthy in each of its target groups, 0 when not yet (v->why says what). */
static int all_serving(struct session *s, void *arg, struct diag *d)
{
    struct verify *v = arg;
    const struct plan *p = &v->rs->e.plan;
    int ok = 1;

    strbuf_reset(&v->why);
    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        json_t *list, *e;
        long want, have;
        size_t k;
        if (!a->res || a->res->type != &ecs_service_type || !a->live)
            continue;
        want = (long)json_integer_value(json_object_get(a->live->attrs, "desired_count"));
        list = json_object_get(a->live->attrs, "service_registries");
        json_array_foreach(list, k, e)
        {
            const char *arn = json_string_value(json_object_get(e, "registry_arn"));
            if (!arn || instances(s, arn, &have, d) < 0)
                continue;
            if (have < want) {
                strbuf_addf(&v->why, "  %s: %ld of %ld instances registered in Cloud Map\n",
                            a->res->name, have, want);
                ok = 0;
            }
        }
        list = json_object_get(a->live->attrs, "load_balancers");
        json_array_foreach(list, k, e)
        {
            const char *tg = json_string_value(json_object_get(e, "target_group_arn"));
            if (!tg || healthy(s, tg, &have, d) < 0)
                continue;
            if (have < want) {
                strbuf_addf(&v->why, "  %s: %ld of %ld targets healthy in %s\n", a->res->name, have,
                            want, tg);
                ok = 0;
            }
        }
    }
    return d->nerrors ? -1 : ok;
}

/* Wait (at most seconds) until every service serves: 0, or -1 with what is short. */
static int verify(const struct restore *rs, unsigned seconds, struct diag *d)
{
    struct verify v = {rs, STRBUF_INIT};
    struct diag quiet;
    int r;

    diag_init(&quiet);
    r = efsutil_wait(rs->e.session, all_serving, &v, seconds, "verify", &quiet);
    if (r < 0 && v.why.len)
        diag_error(d, NULL,
                   "the restore is done, but after %u s not every service serves from the "
                   "restored volume (look at the tasks' events and logs):\n%.*s",
                   seconds, (int)v.why.len - 1, v.why.buf);
    else if (r < 0)
        diag_error(d, NULL, "the restore is done, but verifying it failed: %s",
                   diag_last(&quiet) ? diag_last(&quiet) : "(no reason)");
    else
        printf("Verified: every service has its tasks registered in Cloud Map and healthy "
               "behind the load balancer.\n");
    diag_release(&quiet);
    strbuf_release(&v.why);
    return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ --delete-old */

/* The ids of file system fs's children listed by op (access points, mount targets) under the
 * member list, each removed with type t's remove (mount targets: waited for until gone). */
static int remove_children(struct session *s, const char *fs, const char *op, const char *what,
                           const char *list, const char *idk, const char *in, const char *out,
                           const struct restype *t, struct diag *d)
{
    struct apicall c;
    json_t *ids = json_array(), *e;
    size_t i;
    int ret = -1;

    efsutil_init(&c, op, "GET", what, NULL, NULL);
    apicall_param(&c, "FileSystemId", fs);
    do {
        if (efsutil_send(s, &c, NULL, d) < 0)
            goto out;
        json_array_foreach(json_object_get(c.out, list), i, e)
        {
            json_array_append(ids, json_object_get(e, idk));
        }
    } while (apicall_next_page(&c, in, out));
    ret = 0;
    json_array_foreach(ids, i, e)
    {
        struct live_obj o = {.type = t, .id = (char *)json_string_value(e)};
        if (o.id && t->ops->remove(s, &o, 0, d) < 0) {
            ret = -1;
            break;
        }
        printf("  deleted %s %s\n", t->name, o.id);
    }
out:
    apicall_release(&c);
    json_decref(ids);
    return ret;
}

/*
 * The file system this volume's restore retired (the restored one's cairn:restore-replaced
 * tag), deleted once everything is verified: its access points, its mount targets, then the
 * file system. Only one marked cairn:retired and owned by no stack; none left is done.
 */
static int delete_old(struct restore *rs, struct diag *d)
{
    const char *old =
        rs->old ? json_string_value(json_object_get(json_object_get(rs->old->attrs, "tags"),
                                                    PLAN_TAG_RESTORE_REPLACED))
                : NULL;
    struct session *s = rs->e.session;
    struct live_obj o = {.type = &efs_file_system_type};
    json_t *fs, *tags;
    struct diag quiet;
    int ret = -1;

    if (!old) {
        printf("No old file system to delete: volume %s was not restored by cairn restore.\n",
               rs->volume);
        return 0;
    }
    diag_init(&quiet);
    fs = describe_fs(s, old, &quiet);
    diag_release(&quiet);
    if (!fs) {
        printf("The old file system %s is already gone.\n", old);
        return 0;
    }
    tags = efsutil_tags(json_object_get(fs, "Tags"));
    if (!efsutil_str(tags, "cairn:retired") || efsutil_str(tags, RESUTIL_TAG_STACK)) {
        diag_error(d, NULL, "file system %s is not retired (or a stack owns it): not deleting it",
                   old);
        goto out;
    }
    printf("Deleting the old file system %s (--delete-old)\n", old);
    fflush(stdout);
    o.id = (char *)old;
    if (remove_children(s, old, "DescribeAccessPoints", "access-points", "AccessPoints",
                        "AccessPointId", "NextToken", "NextToken", &efs_access_point_type, d) < 0 ||
        remove_children(s, old, "DescribeMountTargets", "mount-targets", "MountTargets",
                        "MountTargetId", "Marker", "NextMarker", &efs_mount_target_type, d) < 0 ||
        efs_file_system_type.ops->remove(s, &o, 0, d) < 0)
        goto out;
    printf("  deleted efs.file_system %s\n", old);
    ret = 0;
out:
    json_decref(fs);
    json_decref(tags);
    return ret;
}

/* Whether the re-point would make the volume's file system anew (the restored one differs
 * from the file in what cannot change in place): refused, the data would be lost again. */
static int replaces_volume(const struct restore *rs, struct diag *d)
{
    const struct plan_action *a = plan_action_of(&rs->e.plan, stack_find(&rs->e.stack, rs->fs_res));

    if (!a || a->kind == PLAN_NOOP || a->kind == PLAN_UPDATE)
        return 0;
    diag_error(d, NULL,
               "the re-point would %s %s instead of using the restored file system %s: change "
               "the stack file to match it (see the plan above), then run restore again",
               plan_kind_name(a->kind), rs->fs_res, rs->new_id);
    return 1;
}

/* Load, read and plan (again, after take-over). */
static int prepare(struct restore *rs, const struct cli_global *g, const struct cli_stack_args *a)
{
    if (engine_prepare(&rs->e, g, a, 0) < 0)
        return -1;
    rs->old = live_find(&rs->e.live, &efs_file_system_type, rs->fs_res);
    return 0;
}

/* Choose what the volume is restored from; d says why not. */
static int choose(struct restore *rs, struct diag *d)
{
    const struct live_obj *vault = stack_live_of(&rs->e.plan, &backup_vault_type);

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

/*
 * What the re-point would do, planned against the live set as it will be after the take-over:
 * the volume's file system stands for the restored one (its ID and ARN not known yet, its files
 * under the restore directory) and the old one's children (mount targets, backup policy,
 * access points) are gone from the stack. Printed like 'cairn plan'.
 */
static void show_repoint(const struct restore *rs, const struct cli_global *g)
{
    struct live_set sim;
    struct plan p;
    struct diag d;
    const char *new_id = rs->new_id ? rs->new_id : "fs-(restored)"; /* adopted: known */
    const char *dir = rs->dir ? rs->dir : "aws-backup-restore_(the restore job's time)";

    live_set_init(&sim);
    plan_init(&p);
    diag_init(&d);
    for (size_t i = 0; i < rs->e.live.n; i++) {
        const struct live_obj *o = &rs->e.live.v[i];
        const char *of = json_string_value(json_object_get(o->attrs, "file_system_id"));
        json_t *attrs = json_deep_copy(o->attrs);
        if (o == rs->old) {
            char arn[512];
            snprintf(arn, sizeof(arn), "%.*s%s", (int)(strlen(rs->old_arn) - strlen(rs->old_id)),
                     rs->old_arn, new_id);
            json_object_set_new(attrs, "id", json_string(new_id));
            json_object_set_new(attrs, "arn", json_string(arn));
            json_object_set_new(json_object_get(attrs, "tags"), PLAN_TAG_RESTORE_DIR,
                                json_string(*dir ? dir : "/"));
            live_set_add(&sim, o->type, new_id, o->cairn_id, attrs);
        } else if (of && strcmp(of, rs->old_id) == 0) {
            json_decref(attrs);
        } else {
            live_set_add(&sim, o->type, o->id, o->cairn_id, attrs)->pending = o->pending;
        }
    }
    printf("\nThe re-point, once the restored file system is %s:\n", rs->fs_res);
    if (plan_build(&p, &((struct restore *)rs)->e.stack, &sim, &d) == 0)
        plan_print(&p, stdout, engine_color(g));
    diag_print(&d, stderr, "cairn");
    diag_release(&d);
    plan_release(&p);
    live_set_release(&sim);
}

static void print_steps(const struct restore *rs)
{
    printf("Restore of volume %s (%s):\n", rs->volume, rs->fs_res);
    if (rs->resume) {
        printf("  1. %s is already the restored file system (from %s): finish the re-point\n",
               rs->new_id, rs->rp_arn);
    } else if (rs->new_id && !rs->old) {
        printf("  1. finish the take-over by %s (a run cut short)\n", rs->new_id);
    } else if (rs->fs_given) {
        printf("  1. adopt file system %s (restored by hand)\n", rs->fs_given);
    } else {
        printf("  1. restore recovery point %s of %s from vault %s to a new file system "
               "(one restore job, started once)\n",
               rs->rp_arn, rs->old_id, rs->vault);
    }
    if (rs->old && !rs->resume)
        printf("  2. retire %s and its access points (tagged cairn:retired, kept), the new file "
               "system becomes %s\n",
               rs->old_id, rs->fs_res);
    printf("  3. re-point the stack: mount targets and access points on the new file system "
           "(root directories inside the restore directory), new task definition revisions, "
           "services rolled and waited for, the backup selection\n");
    printf("  4. verify every service (Cloud Map, target groups); the data gap\n");
    if (rs->delete_old)
        printf("  5. delete the old file system, its access points and mount targets "
               "(--delete-old)\n");
}

int cmd_restore_run(const struct cli_global *g, int argc, char **argv)
{
    struct restore rs;
    struct cli_stack_args a;
    struct apply_result r;
    struct apply_options ao = {APPLY_DEFAULT_PARALLEL, stdout, NULL, 0};
    int ret = 1, staged = 0;
    const char *vt = NULL;
    unsigned verify_seconds = 900;
    int delete_old_fs = cli_take_flag(&argc, argv, "--delete-old");

    memset(&rs, 0, sizeof(rs));
    rs.plan_only = cli_take_flag(&argc, argv, "--plan");
    rs.yes = cli_take_flag(&argc, argv, "--yes");
    if (cli_take_value(&argc, argv, "--volume", &rs.volume) < 0 ||
        cli_take_value(&argc, argv, "--recovery-point", &rs.rp_given) < 0 ||
        cli_take_value(&argc, argv, "--before", &rs.before) < 0 ||
        cli_take_value(&argc, argv, "--file-system-id", &rs.fs_given) < 0 ||
        cli_take_value(&argc, argv, "--restore-dir", &rs.dir_given) < 0 ||
        cli_take_value(&argc, argv, "--verify-timeout", &vt) < 0 ||
        (ao.parallel = cli_take_parallel(&argc, argv)) < 0 ||
        cli_parse_stack_args("restore", argc, argv, 0, &a) < 0)
        return 1;
    engine_init(&rs.e);
    rs.delete_old = delete_old_fs;
    if (vt) {
        char *end;
        unsigned long n = strtoul(vt, &end, 10);
        if (*vt < '0' || *vt > '9' || *end || n > 86400) {
            fprintf(stderr, "cairn restore: --verify-timeout %s: give seconds, 0 to 86400\n", vt);
            goto out;
        }
        verify_seconds = (unsigned)n;
    }
    if (!rs.volume) {
        fprintf(stderr, "cairn restore: --volume NAME is required (the stack's EFS volume, such "
                        "as prometheus_data)\n");
        goto out;
    }
    if (!!rs.rp_given + !!rs.before + !!rs.fs_given > 1) {
        fprintf(stderr, "cairn restore: --recovery-point, --before and --file-system-id exclude "
                        "one another\n");
        goto out;
    }
    snprintf(rs.fs_res, sizeof(rs.fs_res), "%s.file_system", rs.volume);
    if (prepare(&rs, g, &a) < 0)
        goto out;
    {
        const struct stack_res *res = stack_find(&rs.e.stack, rs.fs_res);
        if (!res || res->type != &efs_file_system_type) {
            fprintf(stderr, "cairn restore: --volume %s: no such EFS volume in %s; ", rs.volume,
                    a.file);
            list_volumes(&rs.e.stack, stderr);
            goto out;
        }
    }
    if (!rs.old) {
        /* Cut short after retiring the old file system: finish with the staged one. */
        if ((staged = find_staged(&rs, &rs.e.diag)) < 0)
            goto out;
        if (!staged) {
            diag_error(&rs.e.diag, NULL,
                       "volume %s has no file system in AWS: run 'cairn up' to create it",
                       rs.volume);
            goto out;
        }
    } else if (choose(&rs, &rs.e.diag) < 0) {
        goto out;
    }
    /* Adoption's checks only read: --plan makes them too. */
    if (rs.fs_given && !staged && !rs.resume && adopt(&rs, &rs.e.diag) < 0)
        goto out;
    print_steps(&rs);
    if (rs.plan_only) {
        if (rs.resume || staged)
            plan_print(&rs.e.plan, stdout, engine_color(g));
        else
            show_repoint(&rs, g);
        printf("Plan only: nothing was changed.\n");
        print_gap(&rs);
        ret = 0;
        goto out;
    }
    if (!cli_confirm("Restore and re-point the stack?", rs.yes))
        goto out;
    if (!staged && !rs.resume) {
        printf("Step 1: %s\n", rs.fs_given ? "adopt" : "restore");
        fflush(stdout);
        if (!rs.fs_given && run_job(&rs, &rs.e.diag) < 0)
            goto out;
        if (rs.dir_given) {
            free(rs.dir);
            rs.dir = xstrdup(strcmp(rs.dir_given, "/") == 0 ? "" : rs.dir_given);
        }
        printf("  file system %s, files under /%s\n", rs.new_id, rs.dir);
    }
    if (!rs.resume) {
        printf("Step 2: take-over\n");
        fflush(stdout);
        if (take_over(&rs, &rs.e.diag) < 0)
            goto out;
    }
    /* Step 3: the ordinary plan and apply, on a fresh read. */
    printf("Step 3: re-point\n");
    fflush(stdout);
    diag_print(&rs.e.diag, stderr, "cairn");
    diag_release(&rs.e.diag);
    session_free(rs.e.session);
    plan_release(&rs.e.plan);
    live_set_release(&rs.e.live);
    stack_release(&rs.e.stack);
    memset(&rs.e, 0, sizeof(rs.e));
    engine_init(&rs.e);
    if (prepare(&rs, g, &a) < 0)
        goto out;
    plan_print(&rs.e.plan, stdout, engine_color(g));
    if (replaces_volume(&rs, &rs.e.diag))
        goto out;
    if (plan_has_changes(&rs.e.plan)) {
        ao.so = &rs.e.options;
        if (apply_plan(rs.e.session, &rs.e.stack, &rs.e.plan, &ao, &r, &rs.e.diag) < 0) {
            printf("Restore incomplete: run the same restore again to finish it.\n");
            goto out;
        }
        session_stats_add(&rs.e.session->stats, &r.stats);
    }
    printf("Restore complete: volume %s is file system %s.\n", rs.volume, rs.new_id);
    print_gap(&rs);
    if (verify(&rs, verify_seconds, &rs.e.diag) < 0)
        goto out;
    if (delete_old_fs && delete_old(&rs, &rs.e.diag) < 0)
        goto out;
    ret = 0;
out:
    engine_release(&rs.e, g);
    cli_stack_args_release(&a);
    free(rs.old_id);
    free(rs.old_arn);
    json_decref(rs.old_tags);
    json_decref(rs.old_attrs);
    free(rs.rp_arn);
    free(rs.job_id);
    free(rs.new_id);
    free(rs.dir);
    return ret;
}
