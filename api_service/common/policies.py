"""Policy defaults, with Trove's rule names so existing policy files apply.

`oslopolicy-sample-generator --namespace dbaas` renders them.
"""
from oslo_policy import policy

BASE = '/v1.0/{project_id}'


def _rule(name, check, description, path, method='GET'):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{'path': BASE + path, 'method': method}])


BASE_RULES = [
    policy.RuleDefault('context_is_admin', 'role:admin',
                       description='Rule for cloud admin access.'),
    policy.RuleDefault('admin', 'role:admin or is_admin:True',
                       description='Must be an administrator.'),
    policy.RuleDefault('admin_or_owner', 'rule:admin or project_id:%(tenant)s',
                       description='Must be an administrator or own the object.'),
    policy.RuleDefault('default', 'rule:admin_or_owner',
                       description='Rule used when no other rule matches.'),
]

CATALOGUE_RULES = [
    _rule('datastore:index', '', 'List datastores.', '/datastores'),
    _rule('datastore:show', '', 'Show a datastore.', '/datastores/{datastore}'),
    _rule('datastore:version_index', '', 'List versions of a datastore.',
          '/datastores/{datastore}/versions'),
    _rule('datastore:version_show', '', 'Show a datastore version.',
          '/datastores/{datastore}/versions/{version}'),
    _rule('datastore:version_show_by_uuid', '', 'Show a datastore version by id.',
          '/datastores/versions/{version}'),
    _rule('datastore:list_associated_flavors', '',
          'List the flavors a datastore version allows.',
          '/datastores/{datastore}/versions/{version}/flavors'),
    _rule('datastore:list_associated_volume_types', '',
          'List the volume types a datastore version allows.',
          '/datastores/{datastore}/versions/{version}/volume-types'),
    _rule('flavor:index', '', 'List flavors.', '/flavors'),
    _rule('flavor:show', '', 'Show a flavor.', '/flavors/{flavor}'),
    _rule('volume_type:index', '', 'List volume types.', '/volume-types'),
    _rule('volume_type:show', '', 'Show a volume type.', '/volume-types/{volume_type}'),
    _rule('availability_zone:index', '', 'List availability zones (extension).',
          '/availability-zones'),
    _rule('region:index', '', 'List regions (extension).', '/regions'),
    _rule('network:index', '', 'List the networks instances may attach to (extension).',
          '/networks'),
    _rule('limits:index', 'rule:admin_or_owner', 'List limits.', '/limits'),
    _rule('quota:show', 'rule:admin or project_id:%(project_id)s',
          "Show a project's quotas: admins, or members of that project.",
          '/mgmt/quotas/{project_id}'),
    _rule('quota:update', 'rule:admin', "Change a project's quotas.",
          '/mgmt/quotas/{project_id}', 'PUT'),
    _rule('quota:index', 'rule:admin', "Every project's quotas and usage at once (extension).",
          '/mgmt/quotas'),
]


I = '/instances/{instance_id}'
OWNER = 'rule:admin_or_owner'

INSTANCE_RULES = [
    _rule('instance:create', OWNER, 'Create an instance.', '/instances', 'POST'),
    _rule('instance:index', OWNER, 'List instances.', '/instances'),
    _rule('instance:detail', OWNER, 'List instances with details.', '/instances/detail'),
    _rule('instance:show', OWNER, 'Show an instance.', I),
    _rule('instance:update', OWNER, 'Rename an instance, change its access, attach or '
          'detach a configuration group.', I, 'PUT'),
    _rule('instance:delete', OWNER, 'Delete an instance.', I, 'DELETE'),
    _rule('instance:force_delete', OWNER, 'Force-delete an instance.', I, 'DELETE'),
    _rule('instance:restart', OWNER, 'Restart the database.', I + '/action', 'POST'),
    _rule('instance:resize_volume', OWNER, 'Grow the volume.', I + '/action', 'POST'),
    _rule('instance:resize_flavor', OWNER, 'Change the flavor.', I + '/action', 'POST'),
    _rule('instance:reset_status', 'rule:admin', 'Reset a stuck instance to ERROR.',
          I + '/action', 'POST'),
    _rule('instance:configuration', OWNER,
          'Show the values the engine runs with, for every configuration parameter.',
          I + '/configuration'),
    _rule('instance:events', OWNER, "List an instance's operation steps (extension).",
          I + '/events'),
    _rule('instance:extension:database:index', OWNER, 'List databases.', I + '/databases'),
    _rule('instance:extension:database:create', OWNER, 'Create databases.',
          I + '/databases', 'POST'),
    _rule('instance:extension:database:delete', OWNER, 'Delete a database.',
          I + '/databases/{database}', 'DELETE'),
    _rule('instance:extension:user:index', OWNER, 'List users.', I + '/users'),
    _rule('instance:extension:user:create', OWNER, 'Create users.', I + '/users', 'POST'),
    _rule('instance:extension:user:show', OWNER, 'Show a user.', I + '/users/{user}'),
    _rule('instance:extension:user:delete', OWNER, 'Delete a user.', I + '/users/{user}',
          'DELETE'),
    _rule('instance:extension:user:update', OWNER, "Change a user's name, host or password.",
          I + '/users/{user}', 'PUT'),
    _rule('instance:extension:user:update_all', OWNER, "Change users' passwords.",
          I + '/users', 'PUT'),
    _rule('instance:extension:user_access:index', OWNER, "List a user's databases.",
          I + '/users/{user}/databases'),
    _rule('instance:extension:user_access:update', OWNER, 'Grant access to databases.',
          I + '/users/{user}/databases', 'PUT'),
    _rule('instance:extension:user_access:delete', OWNER, 'Revoke access to a database.',
          I + '/users/{user}/databases/{database}', 'DELETE'),
    _rule('instance:extension:root:create', OWNER, 'Enable root.', I + '/root', 'POST'),
    _rule('instance:extension:root:delete', OWNER, 'Disable root.', I + '/root', 'DELETE'),
    _rule('instance:extension:root:index', OWNER, 'Show whether root is enabled.', I + '/root'),
]


BACKUP_RULES = [
    _rule('backup:create', OWNER, 'Back up an instance.', '/backups', 'POST'),
    _rule('backup:index', OWNER, 'List backups.', '/backups'),
    _rule('backup:index:all_projects', 'rule:admin',
          "List every project's backups (?all_projects=true) or another project's "
          '(?project_id=).', '/backups'),
    _rule('backup:show', OWNER, 'Show a backup.', '/backups/{backup}'),
    _rule('backup:delete', OWNER, 'Delete a backup.', '/backups/{backup}', 'DELETE'),
    _rule('instance:backups', OWNER, "List an instance's backups.", I + '/backups'),
    _rule('backup_strategy:index', OWNER, 'List backup strategies.', '/backup_strategies'),
    _rule('backup_strategy:create', OWNER, 'Create a backup strategy.', '/backup_strategies',
          'POST'),
    _rule('backup_strategy:delete', OWNER, 'Delete backup strategies.', '/backup_strategies',
          'DELETE'),
]


SCHEDULES = I + '/schedules'
SCHEDULE_RULES = [
    _rule('schedule:create', OWNER, 'Create a backup schedule (extension).', SCHEDULES, 'POST'),
    _rule('schedule:index', OWNER, 'List backup schedules (extension).', SCHEDULES),
    _rule('schedule:show', OWNER, 'Show a backup schedule (extension).',
          SCHEDULES + '/{schedule}'),
    _rule('schedule:update', OWNER, 'Change a backup schedule (extension).',
          SCHEDULES + '/{schedule}', 'PATCH'),
    _rule('schedule:delete', OWNER, 'Delete a backup schedule (extension).',
          SCHEDULES + '/{schedule}', 'DELETE'),
    _rule('schedule:executions', OWNER, "List a schedule's executions (extension).",
          SCHEDULES + '/{schedule}/executions'),
    _rule('schedule:delete_execution', OWNER, 'Delete an execution record (extension).',
          SCHEDULES + '/{schedule}/executions/{execution}', 'DELETE'),
]


P = '/datastores/{datastore}/versions/{version}/parameters'
P_BY_ID = '/datastores/versions/{version}/parameters'

# Trove's names and defaults (trove/common/policies/configuration_parameters.py).
CONFIGURATION_PARAMETER_RULES = [
    _rule('configuration-parameter:index', OWNER,
          'List the configuration parameters a datastore version accepts.', P),
    _rule('configuration-parameter:show', OWNER,
          'Show a configuration parameter of a datastore version.', P + '/{param}'),
    _rule('configuration-parameter:index_by_version', OWNER,
          'List the configuration parameters of a datastore version by its id.', P_BY_ID),
    _rule('configuration-parameter:show_by_version', OWNER,
          'Show a configuration parameter of a datastore version by its id.',
          P_BY_ID + '/{param}'),
]

MGMT_P = '/mgmt/datastores/versions/{version}/parameters'
CONFIGURATION_PARAMETER_RULES += [
    _rule('configuration-parameter:mgmt_index', 'rule:admin',
          "List a version's configuration parameters as an operator.", MGMT_P),
    _rule('configuration-parameter:mgmt_show', 'rule:admin',
          'Show a configuration parameter as an operator.', MGMT_P + '/{param}'),
    _rule('configuration-parameter:create', 'rule:admin',
          'Add a configuration parameter to a datastore version.', MGMT_P, 'POST'),
    _rule('configuration-parameter:update', 'rule:admin',
          'Change a configuration parameter of a datastore version.', MGMT_P + '/{param}',
          'PUT'),
    _rule('configuration-parameter:delete', 'rule:admin',
          'Delete a configuration parameter of a datastore version.', MGMT_P + '/{param}',
          'DELETE'),
]

C = '/configurations/{configuration}'
# Trove's names and defaults (trove/common/policies/configurations.py).
CONFIGURATION_RULES = [
    _rule('configuration:create', OWNER, 'Create a configuration group.', '/configurations',
          'POST'),
    _rule('configuration:index', OWNER, 'List configuration groups.', '/configurations'),
    _rule('configuration:show', OWNER, 'Show a configuration group.', C),
    _rule('configuration:update', OWNER, "Replace a configuration group's values (applied to "
          'the instances it is attached to).', C, 'PUT'),
    _rule('configuration:edit', OWNER, "Merge values into a configuration group's (applied "
          'to the instances it is attached to).', C, 'PATCH'),
    _rule('configuration:delete', OWNER, 'Delete a configuration group.', C, 'DELETE'),
    _rule('configuration:instances', OWNER,
          'List the instances a configuration group is attached to.', C + '/instances'),
]


MI = '/mgmt/instances/{instance_id}'
ADMIN = 'rule:admin'
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
DS_ADMIN = 'rule:admin'
DATASTORE_ADMIN_RULES = [
    _rule('datastore:delete', DS_ADMIN, 'Delete a datastore and its unused versions.',
          '/datastores/{datastore}', 'DELETE'),
    _rule('datastore_version:create', DS_ADMIN, 'Register a datastore version.', MDV, 'POST'),
    _rule('datastore_version:index', DS_ADMIN, 'List every datastore version, hidden ones too.',
          MDV),
    _rule('datastore_version:show', DS_ADMIN, 'Show a registered datastore version.',
          MDV + '/{version}'),
    _rule('datastore_version:update', DS_ADMIN, 'Change a datastore version.',
          MDV + '/{version}', 'PATCH'),
    _rule('datastore_version:delete', DS_ADMIN, 'Delete a datastore version nothing uses.',
          MDV + '/{version}', 'DELETE'),
    _rule('datastore_version:update_visibility', DS_ADMIN,
          "Set a datastore version's visibility.", MV, 'PUT'),
    _rule('datastore_version_member:create', DS_ADMIN,
          'Admit a project to a private datastore version.', MV + '/members', 'POST'),
    _rule('datastore_version_member:index', DS_ADMIN, "List a datastore version's members.",
          MV + '/members'),
    _rule('datastore_version_member:show', DS_ADMIN, 'Show a datastore version member.',
          MV + '/members/{member}'),
    _rule('datastore_version_member:delete', DS_ADMIN, 'Remove a datastore version member.',
          MV + '/members/{member}', 'DELETE'),
    _rule('datastore_version_member:index_by_tenant', DS_ADMIN,
          "List a project's memberships in a datastore's versions.",
          '/mgmt/datastores/{datastore}/versions/members/{member_project}'),
    _rule('datastore_version:add_flavor', DS_ADMIN, 'Allow a flavor for a datastore version.',
          MV + '/flavors/{flavor}', 'PUT'),
    _rule('datastore_version:remove_flavor', DS_ADMIN,
          'Stop allowing a flavor for a datastore version.', MV + '/flavors/{flavor}',
          'DELETE'),
    _rule('datastore_version:add_volume_type', DS_ADMIN,
          'Allow a volume type for a datastore version.', MV + '/volume-types/{volume_type}',
          'PUT'),
    _rule('datastore_version:remove_volume_type', DS_ADMIN,
          'Stop allowing a volume type for a datastore version.',
          MV + '/volume-types/{volume_type}', 'DELETE'),
    _rule('flavor:create', DS_ADMIN, 'Create a flavor.', '/mgmt/flavors', 'POST'),
    _rule('flavor:update', DS_ADMIN, 'Change a flavor.', '/mgmt/flavors/{flavor}', 'PATCH'),
    _rule('flavor:delete', DS_ADMIN, 'Delete a flavor no instance uses.', '/mgmt/flavors/{flavor}',
          'DELETE'),
    _rule('volume_type:create', DS_ADMIN, 'Create a volume type.', '/mgmt/volume-types', 'POST'),
    _rule('volume_type:update', DS_ADMIN, 'Change a volume type.',
          '/mgmt/volume-types/{volume_type}', 'PATCH'),
    _rule('volume_type:delete', DS_ADMIN, 'Delete a volume type no instance uses.',
          '/mgmt/volume-types/{volume_type}', 'DELETE'),
]


def list_rules():
    """Entry point for oslo.policy's generators."""
    return (BASE_RULES + CATALOGUE_RULES + INSTANCE_RULES + BACKUP_RULES + SCHEDULE_RULES
            + CONFIGURATION_PARAMETER_RULES + CONFIGURATION_RULES + MGMT_INSTANCE_RULES
            + DATASTORE_ADMIN_RULES)
