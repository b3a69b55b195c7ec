"""The task manager's RPC endpoint."""
import oslo_messaging as messaging


class TaskManagerEndpoint:
    """Handles casts from the API. Operations land here as their issues add them."""

    target = messaging.Target(version='1.0')
