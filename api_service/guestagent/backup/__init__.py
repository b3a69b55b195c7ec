"""Backup strategies of the guest agent, one module per engine, found by manager name.

    strategy = get_strategy('mariadb')            # or get_strategy(manager)
    record = backup_to_storage(manager, storage, 'backups/<id>/data', parent=None)
    restore_from_storage(manager, storage, [full_record, incremental_record, ...])

A record is what the server keeps of a backup: {'key', 'size', 'checksum',
'metadata'}; an incremental's parent is the parent's record. Like the engine
managers, a module (and its client library) is imported only when asked for.
"""
import importlib

from api_service.drivers.storage import verified_reader
from api_service.guestagent import errors

_STRATEGIES = {
    'mariadb': ('api_service.guestagent.backup.mariadb', 'MariaDBBackup'),
    'postgresql': ('api_service.guestagent.backup.postgresql', 'PostgreSQLBackup'),
    'redis': ('api_service.guestagent.backup.redis', 'RedisBackup'),
}


def strategy_names():
    return sorted(_STRATEGIES)


def get_strategy(manager, compression=None, level=None):
    """The BackupStrategy for a manager name or an engine manager.

    `compression` is 'zstd' or 'gzip' (default: zstd when installed) and
    `level` its level (default: the strategy's, zstd -1 but --fast=5 for
    Redis); they only matter for backups, a restore uses what each backup
    recorded.
    """
    name = getattr(manager, 'manager', manager)
    try:
        module_name, class_name = _STRATEGIES[name]
    except (KeyError, TypeError):
        raise errors.NotSupported('backup', name if isinstance(name, str) else None)
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(compression=compression, level=level)


def backup_to_storage(manager, storage, key, parent=None, compression=None, level=None):
    """Back the running engine up into a new object `key`; returns the backup's record.

    `parent` is the parent backup's record ({'key', 'metadata', ...}) for an
    incremental. Nothing is left under `key` unless the whole backup worked.
    """
    strategy = get_strategy(manager, compression, level)
    parent_metadata = None
    if parent is not None:
        parent_metadata = dict(parent.get('metadata') or {}, key=parent.get('key'))
    with storage.open_writer(key) as writer:
        metadata = strategy.backup(manager, writer, parent_metadata)
        stored = writer.commit()
    return {'key': key, 'size': stored['size'], 'checksum': stored['checksum'],
            'metadata': metadata}


def restore_from_storage(manager, storage, records):
    """Restore a chain of backup records (full first) into the stopped instance.

    Each object is read through a verified reader: a corrupted one raises
    ChecksumMismatch and the instance's data is left as it was.
    """
    strategy = get_strategy(manager)
    readers = []
    try:
        for record in records:
            readers.append(verified_reader(storage, record['key'], record['checksum'],
                                           record.get('size')))
        strategy.restore(manager, [(reader, record['metadata'])
                                   for reader, record in zip(readers, records)])
    finally:
        for reader in readers:
            reader.close()
