"""Backup storage drivers: one interface (base.BackupStorage), one module per backend.

`local` keeps objects in a directory (the embedded stack); a Swift backend
would be another module beside it. Stdlib only, so the guest agent can use
it without any server code.
"""
from api_service.drivers.storage.base import (
    BackupStorage, ChecksumMismatch, InvalidKey, ObjectNotFound, ObjectWriter, StorageError,
    VerifiedReader, check_key, verified_reader, verify_object)
from api_service.drivers.storage.local import LocalObjectStore

__all__ = ['BackupStorage', 'ChecksumMismatch', 'InvalidKey', 'LocalObjectStore', 'ObjectNotFound',
           'ObjectWriter', 'StorageError', 'VerifiedReader', 'check_key', 'get_storage',
           'verified_reader', 'verify_object']

_BACKENDS = {'local': LocalObjectStore}


def get_storage(backend, **options):
    """A BackupStorage of the named backend ('local': options root=<directory>)."""
    try:
        cls = _BACKENDS[backend]
    except KeyError:
        raise StorageError(details='unknown backup storage backend %r' % (backend,))
    return cls(**options)
