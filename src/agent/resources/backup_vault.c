/* backup.vault: where AWS Backup keeps recovery points. */
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"

#include <string.h>

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "BackupVaultName",
     .doc = "The vault's name (BackupVaultName): 2 to 50 letters, digits, hyphens and "
            "underscores."},
    {.name = "encryption_key_arn",
     .type = VT_ARN,
     .flags = ATTR_REPLACE,
     .member = "EncryptionKeyArn",
     .doc = "The KMS key that encrypts the recovery points; AWS's aws/backup key when omitted."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "BackupVaultArn",
     .doc = "The vault's ARN."},
    {0},
};

/* How long a removal asked to delete the recovery points waits for AWS to let the vault go:
 * recovery points are deleted asynchronously, and the vault stays "not empty" until they are. */
#define EMPTY_WAIT_SECONDS 600

/* A vault's attributes from a ListBackupVaults item or a DescribeBackupVault answer. The vault
 * has no ID: the API names it by its name, which is its id here. */
static json_t *parse(const json_t *item)
{
    json_t *got = resmap_read(attrs, item);

    json_object_set(got, "id", json_object_get(got, "name"));
    return got;
}

/* Whether a listed vault can be one cairn made: a plain backup vault (not a logically
 * air-gapped or restore-access one) created with a CreatorRequestId. */
static int may_be_ours(const json_t *item)
{
    const char *type = json_string_value(json_object_get(item, "VaultType"));
    return backuputil_may_be_ours(item) && (!type || strcmp(type, "BACKUP_VAULT") == 0);
}

/* What read_vault() adds to: the stack's vaults, with their tags from the index. */
struct reading {
    const char *stack;
    struct live_set *set;
    json_t *index;
};

static int read_vault(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    struct reading *r = arg;
    const char *arn = json_string_value(json_object_get(item, "BackupVaultArn"));
    const json_t *tags;
    json_t *got, *own = NULL;

    if (!arn || !may_be_ours(item))
        return 0;
    if (!r->index && tagindex_read(s, r->stack, &r->index, d) < 0)
        return -1;
    /* Missing from the index: another stack's vault, or one made seconds ago (the tagging API
     * is eventually consistent): its own tags say which. */
    if (!(tags = tagindex_get(r->index, arn))) {
        if (backuputil_tags(s, arn, &own, d) < 0) {
            json_decref(own);
            return -1;
        }
        tags = own;
    }
    got = parse(item);
    resutil_add_read(r->set, &backup_vault_type, r->stack,
                     json_string_value(json_object_get(got, "id")), tags, got);
    json_decref(own);
    return 0;
}

/* One ListBackupVaults (paginated); the list carries no tags, which come from the stack's tag
 * index (one GetResources pass shared by every type's read, resources/tagindex.h). */
static int vault_read(struct session *s, const struct restype *t, const char *stack,
                      struct live_set *set, struct diag *d)
{
    struct reading r = {stack, set, NULL};
    struct apicall c;
    int ret;

    backuputil_init(&c, "ListBackupVaults");
    apicall_rest(&c, "GET", "/backup-vaults/");
    ret = dialect_each(s, &c, "BackupVaultList", read_vault, &r, d);
    json_decref(r.index);
    return ret;
}

/*
 * A vault named name already exists: adopt it when its tags say it is this resource of this
 * stack (a create retried after a crash or a lost answer), else say whose it is. One
 * DescribeBackupVault and one ListTags.
 */
static int adopt(struct session *s, const struct restype_call *c, const char *name,
                 struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    json_t *tags = NULL, *got;
    int ret = -1;

    backuputil_init(&call, "DescribeBackupVault");
    apicall_rest(&call, "GET", "/backup-vaults/%s", apicall_escape(&call, name));
    if (session_call(s, &call, d) != CALL_OK)
        goto out;
    got = parse(call.out);
    if (backuputil_tags(s, json_string_value(json_object_get(got, "arn")), &tags, d) < 0) {
        json_decref(got);
        goto out;
    }
    if (!resutil_owned(tags, c)) {
        const char *stack = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
        const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
        diag_error(d, NULL,
                   "backup.vault %s: a vault named %s already exists and is not this "
                   "resource's (cairn:stack %s, cairn:id %s): choose another name",
                   c->cairn_id, name, stack ? stack : "none", id ? id : "none");
        json_decref(got);
        goto out;
    }
    json_object_set(got, "tags", tags);
    *out = resutil_add_created(set, &backup_vault_type, c, got, d);
    ret = *out ? 0 : -1;
out:
    json_decref(tags);
    apicall_release(&call);
    return ret;
}

/*
 * CreateBackupVault with its tags and CreatorRequestId. Vault names are unique in the account
 * and region, so a create sent again after a crash meets AlreadyExistsException: the vault is
 * adopted when its tags say it is this resource's.
 */
static int vault_create(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *name = resutil_create_name(&backup_vault_type, c, desired, d);
    const char *key = resutil_want_str(&backup_vault_type, desired, "encryption_key_arn");
    struct apicall call;
    json_t *body, *got;
    int r;

    *out = NULL;
    if (!name)
        return -1;
    backuputil_init(&call, "CreateBackupVault");
    apicall_rest(&call, "PUT", "/backup-vaults/%s", apicall_escape(&call, name));
    body = json_pack("{s:o}", "BackupVaultTags", resutil_tags_want(c, desired));
    if (key)
        json_object_set_new(body, "EncryptionKeyArn", json_string(key));
    if ((r = backuputil_create(s, &call, c, body, d)) == 0) {
        got = parse(call.out);
        json_object_set_new(got, "id", json_string(name));
        json_object_set_new(got, "name", json_string(name));
        if (key)
            json_object_set_new(got, "encryption_key_arn", json_string(key));
        *out = resutil_add_created(set, &backup_vault_type, c, got, d);
    }
    apicall_release(&call);
    if (r == 1)
        return adopt(s, c, name, set, out, d);
    return *out ? 0 : -1;
}

/* DeleteBackupVault: 0 gone (or already), 1 AWS says the vault still holds recovery points,
 * -1 any other error (in d). */
static int delete_vault(struct session *s, const char *name, struct diag *d)
{
    static const char *const refused[] = {"InvalidRequestException", NULL};
    struct apicall c;
    int ret;

    backuputil_init(&c, "DeleteBackupVault");
    apicall_rest(&c, "DELETE", "/backup-vaults/%s", apicall_escape(&c, name));
    if ((ret = dialect_send_codes(s, &c, DIALECT_GONE_OK, refused, d)) > 0 &&
        !strstr(c.err.message, "recovery point")) {
        diag_error(d, NULL, "backup.vault %s: %s: %s", name, c.err.code, c.err.message);
        ret = -1;
    }
    apicall_release(&c);
    return ret > 0 ? 1 : ret;
}

/* What each_point() does with the recovery points of vault name: counts them, and deletes them
 * when purge is set. */
struct points {
    const char *name;
    int purge;
    size_t n;
};

static int each_point(struct session *s, const json_t *rp, void *arg, struct diag *d)
{
    struct points *p = arg;
    const char *arn = json_string_value(json_object_get(rp, "RecoveryPointArn"));
    const char *status = json_string_value(json_object_get(rp, "Status"));
    struct apicall del;
    enum call_result rc;

    p->n++;
    if (!p->purge || !arn || (status && strcmp(status, "DELETING") == 0))
        return 0;
    backuputil_init(&del, "DeleteRecoveryPoint");
    apicall_rest(&del, "DELETE", "/backup-vaults/%s/recovery-points/%s",
                 apicall_escape(&del, p->name), apicall_escape(&del, arn));
    rc = session_call(s, &del, d);
    apicall_release(&del);
    return rc == CALL_OK ? 0 : -1;
}

/* The recovery points in vault name (ListRecoveryPointsByBackupVault, paginated): counted in
 * *n, and deleted one by one (DeleteRecoveryPoint) when purge is set. */
static int recovery_points(struct session *s, const char *name, int purge, size_t *n,
                           struct diag *d)
{
    struct points p = {name, purge, 0};
    struct apicall c;
    int ret;

    backuputil_init(&c, "ListRecoveryPointsByBackupVault");
    apicall_rest(&c, "GET", "/backup-vaults/%s/recovery-points/", apicall_escape(&c, name));
    ret = dialect_each(s, &c, "RecoveryPoints", each_point, &p, d);
    *n = p.n;
    return ret;
}

/* Delete the recovery points of a vault, then the vault, as a probe of resutil_poll: 1 gone, 0
 * not empty yet (n points were listed), -1 on error. The points are listed again each round:
 * points still being made, or a page that moved. */
struct purge {
    const char *name;
    size_t n;
};

static int purge_once(struct session *s, void *arg, struct diag *d)
{
    struct purge *p = arg;
    int rc;

    if (recovery_points(s, p->name, 1, &p->n, d) < 0 || (rc = delete_vault(s, p->name, d)) < 0)
        return -1;
    return rc == 0;
}

/*
 * DeleteBackupVault; a vault already gone counts as deleted. AWS refuses to delete a vault
 * that holds recovery points (InvalidRequestException): those are the backups themselves, so
 * by default cairn keeps them and says so, with their number. Asked to delete at once
 * (RESTYPE_REMOVE_NOW), it deletes every recovery point of the vault, then tries the vault
 * again until AWS has finished deleting them (at most EMPTY_WAIT_SECONDS).
 */
static int vault_remove(struct session *s, const struct live_obj *live, unsigned how,
                        struct diag *d)
{
    const char *name = json_string_value(json_object_get(live->attrs, "name"));
    struct purge p = {name ? name : live->id, 0};
    size_t n = 0;
    int rc;

    name = p.name;
    if ((rc = delete_vault(s, name, d)) <= 0)
        return rc;
    if (!(how & RESTYPE_REMOVE_NOW)) {
        if (recovery_points(s, name, 0, &n, d) < 0)
            return -1;
        diag_error(d, NULL,
                   "backup.vault %s: AWS does not delete a vault that holds recovery points, and "
                   "this one holds %zu: they are the backups, so cairn keeps them unless told to "
                   "delete at once; delete them first, or keep the vault",
                   name, n);
        return -1;
    }
    if ((rc = resutil_poll(s, purge_once, &p, 1000, 10000, EMPTY_WAIT_SECONDS, d)) == 0)
        diag_error(d, NULL,
                   "backup.vault %s: still not empty %d s after its recovery points were deleted "
                   "(%zu left)",
                   name, EMPTY_WAIT_SECONDS, p.n);
    return rc == 1 ? 0 : -1;
}

static const struct restype_ops ops = {
    .read = vault_read,
    .create = vault_create,
    .setters = backuputil_tags_only,
    .remove = vault_remove,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * AWS Backup checks backup-storage:MountCapsule on the caller of CreateBackupVault;
 * DescribeBackupVault adopts a vault a create finds taken; a removal counts the recovery points,
 * and deletes them when asked to delete at once. */
static const char *const read_actions[] = {"backup:ListBackupVaults", "backup:ListTags",
                                           TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {"backup:CreateBackupVault",
                                            "backup:DescribeBackupVault",
                                            "backup:DeleteBackupVault",
                                            "backup:ListRecoveryPointsByBackupVault",
                                            "backup:DeleteRecoveryPoint",
                                            "backup-storage:MountCapsule",
                                            NULL};

const struct restype backup_vault_type = {
    .name = "backup.vault",
    .service = "backup",
    .doc = "An AWS Backup vault: an encrypted container for recovery points. AWS deletes a vault "
           "only once it is empty, so destroying one that holds backups fails unless asked to "
           "delete them too.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 50,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
