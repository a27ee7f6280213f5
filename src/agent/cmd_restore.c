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
#include "agent/restore.h"
#include "agent/apply.h"
#include "agent/cli.h"
#include "agent/engine.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/elbv2util.h"
#include "agent/resources/registry.h"
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

static int count_item(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    (void)s, (void)item, (void)d;
    ++*(long *)arg;
    return 0;
}

/* Cloud Map: how many instances the service (its ARN ends in srv-...) has registered. */
static int instances(struct session *s, const char *registry_arn, long *n, struct diag *d)
{
    const char *id = strrchr(registry_arn, '/');

    *n = 0;
    return dialect_list(s, "servicediscovery", "ListInstances",
                        json_pack("{s:s}", "ServiceId", id ? id + 1 : registry_arn), "Instances",
                        count_item, n, d);
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

/* File system fs's children of kind k (access points, mount targets), each removed with its
 * type's remove (mount targets: waited for until gone). */
static int remove_children(struct session *s, const char *fs, const struct efsutil_kind *k,
                           struct diag *d)
{
    const struct restype *t = registry_lookup(k->type);
    json_t *items = json_array(), *e;
    size_t i;
    int ret = efsutil_list(s, k, "FileSystemId", fs, resutil_collect, items, NULL, d);

    json_array_foreach(items, i, e)
    {
        struct live_obj o = {.type = t, .id = (char *)efsutil_str(e, k->id_member)};
        if (ret < 0)
            break;
        if (o.id && resutil_remove_of(t->ops)(s, &o, 0, d) < 0)
            ret = -1;
        else if (o.id)
            printf("  deleted %s %s\n", t->name, o.id);
    }
    json_decref(items);
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
    fs = restore_describe_fs(s, old, &quiet);
    diag_release(&quiet);
    if (!fs) {
        printf("The old file system %s is already gone.\n", old);
        return 0;
    }
    tags = json_incref(json_object_get(fs, "tags"));
    if (!efsutil_str(tags, "cairn:retired") || efsutil_str(tags, RESUTIL_TAG_STACK)) {
        diag_error(d, NULL, "file system %s is not retired (or a stack owns it): not deleting it",
                   old);
        goto out;
    }
    printf("Deleting the old file system %s (--delete-old)\n", old);
    fflush(stdout);
    o.id = (char *)old;
    if (remove_children(s, old, &efsutil_access_point, d) < 0 ||
        remove_children(s, old, &efsutil_mount_target, d) < 0 ||
        resutil_remove_of(efs_file_system_type.ops)(s, &o, 0, d) < 0)
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
    if (restore_prepare(&rs, g, &a) < 0)
        goto out;
    {
        const struct stack_res *res = stack_find(&rs.e.stack, rs.fs_res);
        if (!res || res->type != &efs_file_system_type) {
            fprintf(stderr, "cairn restore: --volume %s: no such EFS volume in %s; ", rs.volume,
                    a.file);
            restore_list_volumes(&rs.e.stack, stderr);
            goto out;
        }
    }
    if (!rs.old) {
        /* Cut short after retiring the old file system: finish with the staged one. */
        if ((staged = restore_find_staged(&rs, &rs.e.diag)) < 0)
            goto out;
        if (!staged) {
            diag_error(&rs.e.diag, NULL,
                       "volume %s has no file system in AWS: run 'cairn up' to create it",
                       rs.volume);
            goto out;
        }
    } else if (restore_choose(&rs, &rs.e.diag) < 0) {
        goto out;
    }
    /* Adoption's checks only read: --plan makes them too. */
    if (rs.fs_given && !staged && !rs.resume && restore_adopt(&rs, &rs.e.diag) < 0)
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
        if (!rs.fs_given && restore_run_job(&rs, &rs.e.diag) < 0)
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
        if (restore_take_over(&rs, &rs.e.diag) < 0)
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
    if (restore_prepare(&rs, g, &a) < 0)
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
