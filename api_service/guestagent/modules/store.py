"""The modules directory of one instance: what was applied, and what drivers placed.

    <modules_dir>/<type>/<id>/contents.dat    the plaintext, as last applied (0600, agent's)
    <modules_dir>/<type>/<id>/result.json     the guest result of that apply (0600, agent's)
    <modules_dir>/files/<filename>            files drivers place for the engine (0600)

Everything is written to a temporary name and renamed, so a reader (or an agent killed
half-way) sees the old file or the new one. When the agent runs as root, only `files/` and
what is placed there belong to the engine's user: the engine may read a licence or a CA
bundle, never another module's contents or the records. The modules directory itself is then
0710 with the engine's group, so the engine can reach `files/` without listing the rest.
"""
import json
import os
import re
import secrets
import shutil

CONTENTS, RESULT, FILES = 'contents.dat', 'result.json', 'files'
# Types and ids become directory names: no separators, no dot-files, nothing odd.
_COMPONENT = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$')
_CHUNK = 1 << 16


class UnsafeName(ValueError):
    """A module type or id that cannot be a directory name here."""


def _is_safe(value):
    return isinstance(value, str) and bool(_COMPONENT.match(value)) and value != FILES


def safe_component(value, what):
    if not _is_safe(value):
        raise UnsafeName('The module %s %r cannot be stored on the guest.' % (what, value))
    return value


class ModuleStore:
    """Reads and writes one instance's modules directory. `owner`: the engine's (uid, gid)
    when the agent runs as root (placed files are given to it), else None."""

    def __init__(self, modules_dir, owner=None):
        self.modules_dir = os.path.abspath(modules_dir)
        self.owner = owner

    # -- layout --------------------------------------------------------------------------
    def module_dir(self, module_type, module_id):
        return os.path.join(self.modules_dir, safe_component(module_type, 'type'),
                            safe_component(module_id, 'id'))

    def contents_path(self, module_type, module_id):
        return os.path.join(self.module_dir(module_type, module_id), CONTENTS)

    @property
    def files_dir(self):
        return os.path.join(self.modules_dir, FILES)

    # -- records -------------------------------------------------------------------------
    def write_contents(self, module_type, module_id, data):
        """Keep the plaintext where the driver reads it; returns its path."""
        path = self.contents_path(module_type, module_id)
        self._private_dir(os.path.dirname(path))
        _write_atomic(path, _chunks_of(data), 0o600)
        return path

    def read_contents(self, module_type, module_id):
        with open(self.contents_path(module_type, module_id), 'rb') as handle:
            return handle.read()

    def write_result(self, result):
        path = os.path.join(self.module_dir(result['type'], result['id']), RESULT)
        self._private_dir(os.path.dirname(path))
        _write_atomic(path, [json.dumps(result, sort_keys=True).encode()], 0o600)

    def read_result(self, module_type, module_id):
        """The stored result of a module, or None when it is not applied."""
        path = os.path.join(self.module_dir(module_type, module_id), RESULT)
        try:
            with open(path) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def results(self):
        """Every stored result (any order)."""
        found = []
        for module_type in self._types():
            for module_id in _entries(os.path.join(self.modules_dir, module_type)):
                found += self.find_as(module_type, module_id)
        return found

    def find(self, module_id):
        """The stored results of a module id under any type (its type may have changed)."""
        found = []
        for module_type in self._types():
            found += self.find_as(module_type, module_id)
        return found

    def find_as(self, module_type, module_id):
        """[the stored result] of a module of that type, or [] (also for an odd id)."""
        if not _is_safe(module_id):
            return []
        result = self.read_result(module_type, module_id)
        return [result] if result is not None else []

    def _types(self):
        return [name for name in _entries(self.modules_dir) if _is_safe(name)]

    def forget(self, module_type, module_id):
        """Remove a module's contents and result."""
        shutil.rmtree(self.module_dir(module_type, module_id), ignore_errors=True)
        try:
            os.rmdir(os.path.join(self.modules_dir, module_type))
        except OSError:
            pass        # other modules of the type remain

    # -- placed files --------------------------------------------------------------------
    def place(self, filename, source_path):
        """Copy `source_path` to files/<filename> for the engine or operator tooling to read
        (never executable); returns the placed path."""
        path = self.placed_path(filename)
        self._files_dir()
        with open(source_path, 'rb') as source:
            _write_atomic(path, iter(lambda: source.read(_CHUNK), b''), 0o600, self.owner)
        return path

    def unplace(self, filename):
        try:
            os.unlink(self.placed_path(filename))
        except FileNotFoundError:
            pass

    def placed_path(self, filename):
        if not filename or os.path.basename(filename) != filename or filename[0] == '.':
            raise UnsafeName('%r is not a file name.' % filename)
        return os.path.join(self.files_dir, filename)

    # -- directories ---------------------------------------------------------------------
    def _root(self):
        os.makedirs(self.modules_dir, exist_ok=True)
        if self.owner:
            os.chown(self.modules_dir, os.geteuid(), self.owner[1])
            os.chmod(self.modules_dir, 0o710)
        else:
            os.chmod(self.modules_dir, 0o700)

    def _private_dir(self, path):
        self._root()
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)

    def _files_dir(self):
        self._root()
        os.makedirs(self.files_dir, mode=0o700, exist_ok=True)
        os.chmod(self.files_dir, 0o700)
        if self.owner:
            os.chown(self.files_dir, *self.owner)


def _entries(path):
    """The names of the directories in `path` (links are not followed)."""
    try:
        with os.scandir(path) as found:
            return sorted(e.name for e in found if e.is_dir(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _chunks_of(data):
    return [data[i:i + _CHUNK] for i in range(0, len(data), _CHUNK)] or [b'']


def _write_atomic(path, chunks, mode, owner=None):
    # A fresh name, never followed if something put a link there first (files/ belongs to
    # the engine's user when the agent is root).
    tmp = '%s.tmp-%s' % (path, secrets.token_hex(6))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, 'wb') as handle:
            for chunk in chunks:
                handle.write(chunk)
            os.fchmod(handle.fileno(), mode)
            if owner:
                os.fchown(handle.fileno(), *owner)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
