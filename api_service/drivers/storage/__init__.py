"""Backup storage drivers: one interface (base.BackupStorage), one module per backend.

`local` keeps objects in a directory (the embedded stack's default); `swift`
keeps them in an OpenStack Swift container, through openstacksdk, which it
imports only when first used. Both commit an object whole or not at all.
Nothing here imports server code, so the guest agent uses the same package.
"""
from api_service.drivers.storage.base import (
    BackupStorage, ChecksumMismatch, InvalidKey, ObjectNotFound, ObjectWriter, StorageError,
    StoreFull, VerifiedReader, check_key, verified_reader, verify_object)
from api_service.drivers.storage.local import LocalObjectStore
from api_service.drivers.storage.swift import SwiftObjectStore

__all__ = ['BackupStorage', 'ChecksumMismatch', 'InvalidKey', 'LocalObjectStore', 'ObjectNotFound',
           'ObjectWriter', 'StorageError', 'StoreFull', 'SwiftObjectStore', 'VerifiedReader',
           'check_key',
           'get_storage', 'verified_reader', 'verify_object']

_BACKENDS = {'local': LocalObjectStore, 'swift': SwiftObjectStore}


def get_storage(backend, **options):
    """A BackupStorage of the named backend.

    'local': root=<directory>; 'swift': container=<name>, segment_size, and
    the credentials of swift.connect (auth_url, username, password, ...).
    """
    try:
        cls = _BACKENDS[backend]
    except KeyError:
        raise StorageError(details='unknown backup storage backend %r' % (backend,))
    return cls(**options)
