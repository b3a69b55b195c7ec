"""The conductor's RPC endpoint."""
import oslo_messaging as messaging


class ConductorEndpoint:
    """Receives heartbeats and reports from guests as later issues add them."""

    target = messaging.Target(version='1.0')
