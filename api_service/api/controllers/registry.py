"""Every controller of the API; adding a resource means adding it here."""
from api_service.api.controllers import datastores, flavors, limits, openapi, quotas, versions
from api_service.api.controllers import backups, guest_data, instances, schedules, zones
from api_service.api.controllers import configurations, networks, parameters

CONTROLLERS = [
    versions.Versions(), openapi.OpenAPI(), datastores.Datastores(), flavors.Flavors(),
    flavors.VolumeTypes(), zones.Zones(), networks.Networks(), limits.Limits(), quotas.Quotas(),
    instances.Instances(), guest_data.Databases(), guest_data.Users(), guest_data.Root(),
    backups.Backups(), backups.BackupStrategies(), schedules.Schedules(),
    parameters.ConfigurationParameters(), parameters.MgmtConfigurationParameters(),
    configurations.Configurations(),
]


def all_routes(prefix):
    """Routes of every controller; more specific templates first."""
    routes = [r for c in CONTROLLERS for r in c.routes(prefix)]
    # Literal segments must win over {params}: /datastores/versions/{id} before /datastores/{ds}/versions.
    return sorted(routes, key=lambda r: (r.template.count('{'), -len(r.template)))
