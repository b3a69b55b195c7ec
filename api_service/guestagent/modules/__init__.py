"""Modules on the guest: payloads the tenant or operator sends, kept in the instance's own
directory and handed to a module driver found by the module's type.

    modules = ModuleManager(modules_dir, owner=manager.file_owner())
    results = modules.apply([payload, ...])      # one guest result per module, in apply order
    modules.list(include_contents=False)
    modules.remove(payload)                      # errors.NotFound when it is not applied

Drivers are entry points of NAMESPACE (setup.cfg), subclasses of base.ModuleDriver; a driver
places or checks what the contents describe and never executes them.
"""
from api_service.guestagent.modules.base import ModuleDriver  # noqa: F401
from api_service.guestagent.modules.manager import ModuleManager, apply_order  # noqa: F401
from api_service.guestagent.modules.registry import NAMESPACE  # noqa: F401
