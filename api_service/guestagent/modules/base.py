"""The interface every module driver implements."""
import abc


class DriverFailed(Exception):
    """A driver's refusal in the user's words: the message becomes the module's FAILED
    message as it is (raise it instead of returning (False, message) from deep inside)."""


class ModuleDriver(abc.ABC):
    """Places or checks what one type of module describes; never executes the contents.

    A driver is made for each call with the module store, which knows the modules directory
    and makes the files the engine's user may read (`store.place`, `store.unplace`). `module`
    is the module as the guest knows it: the payload's fields (id, name, type, tenant,
    datastore, datastore_version, md5, ...) and, once applied, its result's (filename, ...).
    """

    def __init__(self, store):
        self.store = store

    @abc.abstractmethod
    def apply(self, module, contents_path):
        """Apply the module whose plaintext is in `contents_path` (read it, never run it).
        Returns (ok, message, filename): `message` is for the tenant, `filename` the
        basename of a file placed for the engine or operator tooling, or None."""

    def query(self, module):
        """Whether an applied module is still in effect: (ok, message), or None when there is
        nothing to add to what apply reported."""
        return None

    @abc.abstractmethod
    def remove(self, module):
        """Undo what apply placed for `module` (its applied result: filename included)."""
