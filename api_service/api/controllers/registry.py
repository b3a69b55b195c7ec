"""Every controller of the API; adding a resource means adding it here."""
from api_service.api.controllers import datastores, flavors, limits, openapi, quotas, versions
from api_service.api.controllers import backups, guest_data, instances, schedules, zones
from api_service.api.controllers import configurations, networks, parameters
from api_service.api.controllers import mgmt_instances
from api_service.api.controllers import mgmt_datastores, mgmt_flavors
from api_service.api.controllers import instance_modules, modules
from api_service.api.controllers import overview
from api_service.api.controllers import metrics
from api_service.api.controllers import replication

CONTROLLERS = [
    versions.Versions(), openapi.OpenAPI(), datastores.Datastores(), flavors.Flavors(),
    flavors.VolumeTypes(), zones.Zones(), networks.Networks(), limits.Limits(), quotas.Quotas(),
    instances.Instances(), guest_data.Databases(), guest_data.Users(), guest_data.Root(),
    backups.Backups(), backups.BackupStrategies(), schedules.Schedules(),
    parameters.ConfigurationParameters(), parameters.MgmtConfigurationParameters(),
    configurations.Configurations(), mgmt_instances.MgmtInstances(),
]
# Operators' catalogue (issue #12).
CONTROLLERS += [
    mgmt_datastores.MgmtDatastoreVersions(), mgmt_datastores.MgmtDatastoreVersionMembers(),
    mgmt_datastores.MgmtDatastoreVersionAssociations(), mgmt_flavors.MgmtFlavors(),
    mgmt_flavors.MgmtVolumeTypes(),
]

# Modules (issue #11).
CONTROLLERS += [modules.Modules(), instance_modules.InstanceModules()]

# Instance metrics (issue #14).
CONTROLLERS += [metrics.InstanceMetrics()]

# The project's databases at a glance, for the dashboard's Overview (issue #14).
CONTROLLERS += [overview.Overview()]

# Replica sets: switchover reports and replication status (issue #17).
CONTROLLERS += [replication.Replication()]


def all_routes(prefix):
    """Routes of every controller; more specific templates first."""
    routes = [r for c in CONTROLLERS for r in c.routes(prefix)]
    # Literal segments must win over {params}: /datastores/versions/{id} before /datastores/{ds}/versions.
    return sorted(routes, key=lambda r: (r.template.count('{'), -len(r.template)))
