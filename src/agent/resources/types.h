/*
 * Every resource type cairn knows, one line each: the file resources/<p>.c
 * defines `const struct restype <p>_type`, where <p> is the type's name with
 * the dot as an underscore (ec2.vpc -> ec2_vpc.c, ec2_vpc_type). The list is
 * a macro so that the registry, the declarations below and unit/test_restype
 * come from one place: adding a type is its file plus one line here.
 */
#ifndef CAIRN_TYPES_H
#define CAIRN_TYPES_H

#include "agent/restype.h"

/* In dependency order, roughly: the network first, the services last. */
#define TYPES_LIST(X)                         \
    X(ec2_vpc)                                \
    X(ec2_subnet)                             \
    X(ec2_internet_gateway)                   \
    X(ec2_eip)                                \
    X(ec2_nat_gateway)                        \
    X(ec2_route_table)                        \
    X(ec2_route)                              \
    X(ec2_route_table_association)            \
    X(ec2_security_group)                     \
    X(iam_role)                               \
    X(logs_log_group)                         \
    X(secretsmanager_secret)                  \
    X(efs_file_system)                        \
    X(efs_mount_target)                       \
    X(efs_access_point)                       \
    X(efs_backup_policy)                      \
    X(servicediscovery_private_dns_namespace) \
    X(servicediscovery_service)               \
    X(ecs_cluster)                            \
    X(ecs_task_definition)                    \
    X(ecs_service)                            \
    X(elbv2_load_balancer)                    \
    X(elbv2_target_group)                     \
    X(elbv2_listener)                         \
    X(elbv2_listener_rule)                    \
    X(backup_vault)                           \
    X(backup_plan)                            \
    X(backup_selection)

#define TYPES_DECLARE(p) extern const struct restype p##_type;
TYPES_LIST(TYPES_DECLARE)
#undef TYPES_DECLARE

/* A listener's default action and a listener rule's action have one shape. */
extern const struct attr elbv2_listener_action_fields[];

#endif
