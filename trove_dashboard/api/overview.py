"""The project's databases at a glance: the API's `GET /overview` extension, one call."""
from trove_dashboard.api import trove


def overview(request):
    """{instances: {total, by_status, by_datastore}, storage: {allocated_gb, used_bytes},
    backups: {count, size_bytes}, next_backups: [...], recent_faults: [...]}."""
    return trove.extension_get(request, '/overview')['overview']
