"""The `file` module driver: places the payload where the engine or operator tooling reads
it (a licence, a CA bundle), as <modules_dir>/files/<datastore>-<version>-<name>.lic."""
import hashlib
import os
import re

from api_service.guestagent.modules import base

_UNSAFE = re.compile(r'[^A-Za-z0-9_.-]')
_PARTS = ('datastore', 'datastore_version', 'name')
SUFFIX = '.lic'
# Well under a file system's 255 bytes, leaving room for the store's temporary suffix.
MAX_FILENAME = 200
_DIGEST = 12


def placed_name(module):
    """The spec's file name, with anything that could leave the directory replaced; a name
    too long for a file system is cut, and ends with a short hash of the whole, so two long
    names that start alike still differ."""
    stem = '-'.join(_UNSAFE.sub('_', str(module.get(key) or 'all'))
                    for key in _PARTS).lstrip('.')
    if len(stem) + len(SUFFIX) > MAX_FILENAME:
        whole = '\0'.join(str(module.get(key) or 'all') for key in _PARTS)
        digest = hashlib.sha256(whole.encode('utf-8', 'replace')).hexdigest()[:_DIGEST]
        stem = '%s-%s' % (stem[:MAX_FILENAME - len(SUFFIX) - _DIGEST - 1], digest)
    return stem + SUFFIX


class FileDriver(base.ModuleDriver):
    """Copies the contents to a private, non-executable file the engine's user can read."""

    def apply(self, module, contents_path):
        filename = placed_name(module)
        holder = self._holder_of(filename, module.get('id'))
        if holder is not None:
            # Placing it would overwrite the other module's file, and removing either
            # would take the other's away.
            other = ("module '%s'" % holder.get('name') if holder.get('visible', True)
                     else 'a module set by the operator')
            raise base.DriverFailed("Module '%s' cannot be applied: the file %s is already "
                                    'placed by %s; rename one of them.'
                                    % (module.get('name'), filename, other))
        self.store.place(filename, contents_path)
        return True, 'Placed %s.' % filename, filename

    def _holder_of(self, filename, module_id):
        """The applied result of another module that placed `filename`, or None."""
        for result in self.store.results():
            if (result.get('filename') == filename and result.get('id') != module_id
                    and not result.get('removed')):
                return result
        return None

    def query(self, module):
        filename = module.get('filename')
        if filename and not os.path.exists(self.store.placed_path(filename)):
            return False, 'The placed file %s is missing; apply the module again.' % filename
        return None

    def remove(self, module):
        if module.get('filename'):
            self.store.unplace(module['filename'])
