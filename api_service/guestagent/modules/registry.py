"""Module drivers by type, from the entry points of NAMESPACE (any installed distribution
may add one: setup.cfg ships ping and file)."""
import logging

LOG = logging.getLogger(__name__)
NAMESPACE = 'dbaas.guest.module_drivers'


class DriverRegistry:
    """The driver classes installed when first asked (the agent's lifetime: a driver
    installed later is seen after the agent restarts)."""

    def __init__(self, namespace=NAMESPACE):
        self.namespace = namespace
        self._classes = None

    def get(self, module_type):
        """The driver class for `module_type`, or None when none is installed."""
        return self._load().get(module_type)

    def types(self):
        return sorted(self._load())

    def _load(self):
        if self._classes is None:
            from stevedore import extension
            manager = extension.ExtensionManager(self.namespace,
                                                 on_load_failure_callback=_load_failed)
            self._classes = {ext.name: ext.plugin for ext in manager}
        return self._classes


def _load_failed(manager, entry_point, error):
    # A driver that cannot be imported is as good as missing: its modules fail by name.
    LOG.error('module driver %s could not be loaded: %s', entry_point.name, error)
