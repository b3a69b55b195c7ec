"""Policy defaults, with Trove's rule names so existing policy files apply.

Unlike upstream Trove (any role in the project may do anything to it), reads need Keystone's
`reader` role in the project and writes its `member` role; admins may do anything
(docs/api-extensions.md, Policies). `make policy-sample` renders them to
etc/dbaas/policy.yaml.sample.
"""
from oslo_policy import policy

BASE = '/v1.0/{project_id}'

ADMIN = 'rule:admin'
READER = 'rule:project_reader'
MEMBER = 'rule:project_member'
OPEN = ''
# Rules for routes still to come, registered so policy files and Horizon can name them now.
LATER = ' Not served yet.'


def _rule(name, check, description, path, method='GET', also=()):
    operations = [{'path': BASE + path, 'method': method}]
    operations += [{'path': BASE + p, 'method': m} for p, m in also]
    return policy.DocumentedRuleDefault(name=name, check_str=check, description=description,
                                        operations=operations)


BASE_RULES = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Rule for cloud admin access.'),
    policy.RuleDefault('admin', 'role:admin or is_admin:True',
                       description='Must be an administrator.'),
    policy.RuleDefault('project_member', 'rule:admin or (role:member and '
                       'project_id:%(tenant)s)',
                       description="Must be an administrator, or have the member role in "
                       "the object's project. Every change a project makes uses it."),
    policy.RuleDefault('project_reader', 'rule:project_member or (role:reader and '
                       'project_id:%(tenant)s)',
                       description="Must be a project member (above), or have the reader "
                       "role in the object's project. Every list and show uses it."),
    policy.RuleDefault('admin_or_owner', 'rule:project_member',
                       description="Trove's name for an owner, kept so policy files naming "
                       'it still work: a project member.'),
    policy.RuleDefault('default', 'rule:admin_or_owner',
                       description='Rule used when no other rule matches.'),
]

CATALOGUE_RULES = [
    _rule('datastore:index', OPEN, 'List datastores.', '/datastores'),
    _rule('datastore:show', OPEN, 'Show a datastore.', '/datastores/{datastore}'),
    _rule('datastore:version_index', OPEN, 'List versions of a datastore.',
          '/datastores/{datastore}/versions'),
    _rule('datastore:version_show', OPEN, 'Show a datastore version.',
          '/datastores/{datastore}/versions/{version}'),
    _rule('datastore:version_show_by_uuid', OPEN, 'Show a datastore version by id.',
          '/datastores/versions/{version}'),
    _rule('datastore:list_associated_flavors', OPEN,
          'List the flavors a datastore version allows.',
          '/datastores/{datastore}/versions/{version}/flavors'),
    _rule('datastore:list_associated_volume_types', OPEN,
          'List the volume types a datastore version allows.',
          '/datastores/{datastore}/versions/{version}/volume-types'),
    _rule('flavor:index', OPEN, 'List flavors.', '/flavors'),
    _rule('flavor:show', OPEN, 'Show a flavor.', '/flavors/{flavor}'),
    _rule('volume_type:index', OPEN, 'List volume types.', '/volume-types'),
    _rule('volume_type:show', OPEN, 'Show a volume type.', '/volume-types/{volume_type}'),
    _rule('availability_zone:index', OPEN, 'List availability zones (extension).',
          '/availability-zones'),
    _rule('region:index', OPEN, 'List regions (extension).', '/regions'),
    _rule('network:index', OPEN, 'List the networks instances may attach to (extension).',
          '/networks'),
    _rule('limits:index', READER, 'List limits.', '/limits'),
    _rule('overview:show', READER, "Show the project's instances, storage, backups, backups "
          'due next and latest faults, counted (extension).', '/overview'),
    # The quota's project is in the path, not the URL's project: its own target key.
    _rule('quota:show', 'rule:admin or ((role:member or role:reader) and '
          'project_id:%(project_id)s)',
          "Show a project's quotas: admins, or readers and members of that project.",
          '/mgmt/quotas/{project_id}'),
    _rule('quota:update', ADMIN, "Change a project's quotas.",
          '/mgmt/quotas/{project_id}', 'PUT'),
    _rule('quota:index', ADMIN, "Every project's quotas and usage at once (extension).",
          '/mgmt/quotas'),
]


I = '/instances/{instance_id}'
CREATE = ('/instances', 'POST')

INSTANCE_RULES = [
    _rule('instance:create', MEMBER, 'Create an instance.', '/instances', 'POST'),
    _rule('instance:index', READER, 'List instances.', '/instances'),
    _rule('instance:detail', READER, 'List instances with details.', '/instances/detail'),
    _rule('instance:show', READER, 'Show an instance.', I),
    _rule('instance:update', MEMBER, 'Rename an instance, change its access, attach or '
          'detach a configuration group (also checked by a create with a configuration '
          'group).', I, 'PUT', also=[CREATE]),
    _rule('instance:edit', MEMBER, 'Change an instance with PATCH (the fields PUT takes; '
          'upgrade is not served yet).', I, 'PATCH'),
    _rule('instance:delete', MEMBER, 'Delete an instance.', I, 'DELETE'),
    _rule('instance:force_delete', MEMBER, 'Force-delete an instance.' + LATER, I, 'DELETE'),
    _rule('instance:restart', MEMBER, 'Restart the database.', I + '/action', 'POST'),
    _rule('instance:resize_volume', MEMBER, 'Grow the volume.', I + '/action', 'POST'),
    _rule('instance:resize_flavor', MEMBER, 'Change the flavor.', I + '/action', 'POST'),
    _rule('instance:reset_status', ADMIN, 'Reset a stuck instance to ERROR.',
          I + '/action', 'POST'),
    _rule('instance:promote_to_replica_source', MEMBER,
          'Promote a replica to replica source.', I + '/action', 'POST'),
    _rule('instance:eject_replica_source', MEMBER,
          'Eject the replica source from its replica set.', I + '/action', 'POST'),
    _rule('instance:detach_replica', MEMBER,
          'Detach a replica from its source: it becomes a standalone instance (also checked '
          'with instance:update or instance:edit by a PUT or PATCH with replica_of null).',
          I + '/action', 'POST', also=[(I, 'PUT'), (I, 'PATCH')]),
    _rule('instance:switchovers', READER, "List the switchover reports of an instance's "
          'replica set: each promote and eject with its write downtime (extension).',
          I + '/switchovers'),
    _rule('instance:replication', READER, "Show an instance's replica set: each member's "
          'role, replication lag and health (extension).', I + '/replication'),
    _rule('instance:configuration', READER,
          'Show the values the engine runs with, for every configuration parameter.',
          I + '/configuration'),
    _rule('instance:events', READER, "List an instance's operation steps (extension).",
          I + '/events'),
    _rule('instance:extension:metrics:show', READER, "Show an instance's metrics of the "
          'last 24 hours (extension).', I + '/metrics'),
    _rule('instance:guest_log_list', READER, "List an instance's guest logs." + LATER,
          I + '/log'),
    _rule('instance:backups', READER, "List an instance's backups.", I + '/backups'),
    _rule('instance:module_list', READER, "List an instance's modules.",
          I + '/modules'),
    _rule('instance:module_apply', MEMBER, 'Apply modules to an instance (also checked by '
          'a create with modules).', I + '/modules', 'POST', also=[CREATE]),
    _rule('instance:module_remove', MEMBER, 'Remove a module from an instance.',
          I + '/modules/{module}', 'DELETE'),
]

GUEST_DATA_RULES = [
    _rule('instance:extension:database:index', READER, 'List databases.', I + '/databases'),
    _rule('instance:extension:database:show', READER, 'Show a database.' + LATER,
          I + '/databases/{database}'),
    _rule('instance:extension:database:create', MEMBER, 'Create databases (also checked by '
          'a create with databases).', I + '/databases', 'POST', also=[CREATE]),
    _rule('instance:extension:database:delete', MEMBER, 'Delete a database.',
          I + '/databases/{database}', 'DELETE'),
    _rule('instance:extension:user:index', READER, 'List users.', I + '/users'),
    _rule('instance:extension:user:create', MEMBER, 'Create users (also checked by a create '
          'with users).', I + '/users', 'POST', also=[CREATE]),
    _rule('instance:extension:user:show', READER, 'Show a user.', I + '/users/{user}'),
    _rule('instance:extension:user:delete', MEMBER, 'Delete a user.', I + '/users/{user}',
          'DELETE'),
    _rule('instance:extension:user:update', MEMBER, "Change a user's name, host or password.",
          I + '/users/{user}', 'PUT'),
    _rule('instance:extension:user:update_all', MEMBER, "Change users' passwords.",
          I + '/users', 'PUT'),
    _rule('instance:extension:user_access:index', READER, "List a user's databases.",
          I + '/users/{user}/databases'),
    _rule('instance:extension:user_access:update', MEMBER, 'Grant access to databases.',
          I + '/users/{user}/databases', 'PUT'),
    _rule('instance:extension:user_access:delete', MEMBER, 'Revoke access to a database.',
          I + '/users/{user}/databases/{database}', 'DELETE'),
    _rule('instance:extension:root:create', MEMBER, 'Enable root.', I + '/root', 'POST'),
    _rule('instance:extension:root:delete', MEMBER, 'Disable root.', I + '/root', 'DELETE'),
    _rule('instance:extension:root:index', READER, 'Show whether root is enabled.',
          I + '/root'),
]


BACKUP_RULES = [
    _rule('backup:create', MEMBER, 'Back up an instance.', '/backups', 'POST'),
    _rule('backup:index', READER, 'List backups.', '/backups'),
    _rule('backup:index:all_projects', ADMIN,
          "List every project's backups (?all_projects=true) or another project's "
          '(?project_id=).', '/backups'),
    _rule('backup:show', READER, 'Show a backup.', '/backups/{backup}'),
    _rule('backup:delete', MEMBER, 'Delete a backup.', '/backups/{backup}', 'DELETE'),
    _rule('backup_strategy:index', READER, 'List backup strategies.', '/backup_strategies'),
    _rule('backup_strategy:create', MEMBER, 'Create a backup strategy.', '/backup_strategies',
          'POST'),
    _rule('backup_strategy:delete', MEMBER, 'Delete backup strategies.', '/backup_strategies',
          'DELETE'),
]


SCHEDULES = I + '/schedules'
SCHEDULE_RULES = [
    _rule('schedule:create', MEMBER, 'Create a backup schedule (extension).', SCHEDULES,
          'POST'),
    _rule('schedule:index', READER, 'List backup schedules (extension).', SCHEDULES),
    _rule('schedule:show', READER, 'Show a backup schedule (extension).',
          SCHEDULES + '/{schedule}'),
    _rule('schedule:update', MEMBER, 'Change a backup schedule (extension).',
          SCHEDULES + '/{schedule}', 'PATCH'),
    _rule('schedule:delete', MEMBER, 'Delete a backup schedule (extension).',
          SCHEDULES + '/{schedule}', 'DELETE'),
    _rule('schedule:run', MEMBER, 'Run a backup schedule now (extension).',
          SCHEDULES + '/{schedule}/run', 'POST'),
    _rule('schedule:executions', READER, "List a schedule's executions (extension).",
          SCHEDULES + '/{schedule}/executions'),
    _rule('schedule:delete_execution', MEMBER, 'Delete an execution record (extension).',
          SCHEDULES + '/{schedule}/executions/{execution}', 'DELETE'),
]


P = '/datastores/{datastore}/versions/{version}/parameters'
P_BY_ID = '/datastores/versions/{version}/parameters'
MGMT_P = '/mgmt/datastores/versions/{version}/parameters'

CONFIGURATION_PARAMETER_RULES = [
    _rule('configuration-parameter:index', READER,
          'List the configuration parameters a datastore version accepts.', P),
    _rule('configuration-parameter:show', READER,
          'Show a configuration parameter of a datastore version.', P + '/{param}'),
    _rule('configuration-parameter:index_by_version', READER,
          'List the configuration parameters of a datastore version by its id.', P_BY_ID),
    _rule('configuration-parameter:show_by_version', READER,
          'Show a configuration parameter of a datastore version by its id.',
          P_BY_ID + '/{param}'),
    _rule('configuration-parameter:mgmt_index', ADMIN,
          "List a version's configuration parameters as an operator.", MGMT_P),
    _rule('configuration-parameter:mgmt_show', ADMIN,
          'Show a configuration parameter as an operator.', MGMT_P + '/{param}'),
    _rule('configuration-parameter:create', ADMIN,
          'Add a configuration parameter to a datastore version.', MGMT_P, 'POST'),
    _rule('configuration-parameter:update', ADMIN,
          'Change a configuration parameter of a datastore version.', MGMT_P + '/{param}',
          'PUT'),
    _rule('configuration-parameter:delete', ADMIN,
          'Delete a configuration parameter of a datastore version.', MGMT_P + '/{param}',
          'DELETE'),
]

C = '/configurations/{configuration}'
CONFIGURATION_RULES = [
    _rule('configuration:create', MEMBER, 'Create a configuration group.', '/configurations',
          'POST'),
    _rule('configuration:index', READER, 'List configuration groups.', '/configurations'),
    _rule('configuration:show', READER, 'Show a configuration group.', C),
    _rule('configuration:update', MEMBER, "Replace a configuration group's values (applied "
          'to the instances it is attached to).', C, 'PUT'),
    _rule('configuration:edit', MEMBER, "Merge values into a configuration group's (applied "
          'to the instances it is attached to).', C, 'PATCH'),
    _rule('configuration:delete', MEMBER, 'Delete a configuration group.', C, 'DELETE'),
    _rule('configuration:instances', READER,
          'List the instances a configuration group is attached to.', C + '/instances'),
]


CL = '/clusters/{cluster}'
CLUSTER_RULES = [
    _rule('cluster:create', MEMBER, 'Create a cluster.' + LATER, '/clusters', 'POST'),
    _rule('cluster:index', READER, 'List clusters.' + LATER, '/clusters'),
    _rule('cluster:show', READER, 'Show a cluster.' + LATER, CL),
    _rule('cluster:show_instance', READER, 'Show an instance of a cluster.' + LATER,
          CL + '/instances/{instance}'),
    _rule('cluster:action', MEMBER, 'Grow, shrink, restart or upgrade a cluster.' + LATER,
          CL, 'POST'),
    _rule('cluster:delete', MEMBER, 'Delete a cluster.' + LATER, CL, 'DELETE'),
    _rule('cluster:force_delete', MEMBER, 'Force-delete a cluster.' + LATER, CL, 'POST'),
    _rule('cluster:reset-status', ADMIN, "Reset a cluster's task to NONE." + LATER, CL,
          'POST'),
    _rule('cluster:extension:root:create', MEMBER, 'Enable root on a cluster.' + LATER,
          CL + '/root', 'POST'),
    _rule('cluster:extension:root:delete', MEMBER, 'Disable root on a cluster.' + LATER,
          CL + '/root', 'DELETE'),
    _rule('cluster:extension:root:index', READER,
          'Show whether root is enabled on a cluster.' + LATER, CL + '/root'),
]

M = '/modules/{module}'
MODULE_RULES = [
    _rule('module:create', MEMBER, 'Create a module.', '/modules', 'POST'),
    _rule('module:index', READER, 'List modules.', '/modules'),
    _rule('module:show', READER, 'Show a module.', M),
    _rule('module:instances', READER, 'List the instances a module is applied to.',
          M + '/instances'),
    _rule('module:update', MEMBER, 'Change a module.', M, 'PUT'),
    _rule('module:reapply', MEMBER, 'Apply a module again to its instances.',
          M + '/instances', 'PUT'),
    _rule('module:delete', MEMBER, 'Delete a module.', M, 'DELETE'),
    # Admin-only options (all tenants, all datastores, auto_apply, visible=false,
    # priority_apply, full_access) and changing an admin module: Trove's is_admin rule.
    _rule('module:admin_options', ADMIN, "Use a module's admin-only options, or change a "
          'module an admin made.', '/modules', 'POST'),
]


MI = '/mgmt/instances/{instance_id}'
# The operator's instances (Trove's mgmt extension): admins only.
MGMT_INSTANCE_RULES = [
    _rule('mgmt:instance:index', ADMIN, "List every project's instances, deleted ones on "
          'request.', '/mgmt/instances'),
    _rule('mgmt:instance:show', ADMIN, 'Show any instance, a deleted one too.', MI),
    _rule('mgmt:instance:action', ADMIN, "Stop an instance's engine, reboot it or reset "
          'its status.', MI + '/action', 'POST'),
    _rule('mgmt:instance:root', ADMIN, 'Show when root was enabled on an instance, and by '
          'whom.', MI + '/root'),
    _rule('mgmt:instance:rpc_ping', ADMIN, "Check that an instance's guest agent answers.",
          MI + '/rpc_ping'),
    _rule('mgmt:instance:hwinfo', ADMIN, "Show an instance's memory and CPUs.",
          MI + '/hwinfo'),
    _rule('mgmt:instance:diagnostics', ADMIN, "Show an instance's current figures.",
          MI + '/diagnostics'),
]


# Operators' catalogue (issue #12): upstream's datastore:delete, and ours for what upstream
# guards only by its mgmt admin_context.
MDV = '/mgmt/datastore-versions'
MV = '/mgmt/datastores/{datastore}/versions/{version}'
DATASTORE_ADMIN_RULES = [
    _rule('datastore:delete', ADMIN, 'Delete a datastore and its unused versions.',
          '/datastores/{datastore}', 'DELETE'),
    _rule('datastore_version:create', ADMIN, 'Register a datastore version.', MDV, 'POST'),
    _rule('datastore_version:index', ADMIN, 'List every datastore version, hidden ones too.',
          MDV),
    _rule('datastore_version:show', ADMIN, 'Show a registered datastore version.',
          MDV + '/{version}'),
    _rule('datastore_version:update', ADMIN, 'Change a datastore version.',
          MDV + '/{version}', 'PATCH'),
    _rule('datastore_version:delete', ADMIN, 'Delete a datastore version nothing uses.',
          MDV + '/{version}', 'DELETE'),
    _rule('datastore_version:update_visibility', ADMIN,
          "Set a datastore version's visibility.", MV, 'PUT'),
    _rule('datastore_version_member:create', ADMIN,
          'Admit a project to a private datastore version.', MV + '/members', 'POST'),
    _rule('datastore_version_member:index', ADMIN, "List a datastore version's members.",
          MV + '/members'),
    _rule('datastore_version_member:show', ADMIN, 'Show a datastore version member.',
          MV + '/members/{member}'),
    _rule('datastore_version_member:delete', ADMIN, 'Remove a datastore version member.',
          MV + '/members/{member}', 'DELETE'),
    _rule('datastore_version_member:index_by_tenant', ADMIN,
          "List a project's memberships in a datastore's versions.",
          '/mgmt/datastores/{datastore}/versions/members/{member_project}'),
    _rule('datastore_version:add_flavor', ADMIN, 'Allow a flavor for a datastore version.',
          MV + '/flavors/{flavor}', 'PUT'),
    _rule('datastore_version:remove_flavor', ADMIN,
          'Stop allowing a flavor for a datastore version.', MV + '/flavors/{flavor}',
          'DELETE'),
    _rule('datastore_version:add_volume_type', ADMIN,
          'Allow a volume type for a datastore version.', MV + '/volume-types/{volume_type}',
          'PUT'),
    _rule('datastore_version:remove_volume_type', ADMIN,
          'Stop allowing a volume type for a datastore version.',
          MV + '/volume-types/{volume_type}', 'DELETE'),
    _rule('flavor:create', ADMIN, 'Create a flavor.', '/mgmt/flavors', 'POST'),
    _rule('flavor:update', ADMIN, 'Change a flavor.', '/mgmt/flavors/{flavor}', 'PATCH'),
    _rule('flavor:delete', ADMIN, 'Delete a flavor no instance uses.', '/mgmt/flavors/{flavor}',
          'DELETE'),
    _rule('volume_type:create', ADMIN, 'Create a volume type.', '/mgmt/volume-types', 'POST'),
    _rule('volume_type:update', ADMIN, 'Change a volume type.',
          '/mgmt/volume-types/{volume_type}', 'PATCH'),
    _rule('volume_type:delete', ADMIN, 'Delete a volume type no instance uses.',
          '/mgmt/volume-types/{volume_type}', 'DELETE'),
]


def list_rules():
    """Entry point for oslo.policy's generators."""
    return (BASE_RULES + CATALOGUE_RULES + INSTANCE_RULES + GUEST_DATA_RULES + BACKUP_RULES
            + SCHEDULE_RULES + CONFIGURATION_PARAMETER_RULES + CONFIGURATION_RULES
            + CLUSTER_RULES + MODULE_RULES + MGMT_INSTANCE_RULES + DATASTORE_ADMIN_RULES)
