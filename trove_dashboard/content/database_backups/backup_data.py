"""Backups joined, in memory, with what the page lists beside them.

The API names each backup's instance (`instance_name`, `instance_deleted`: kept after the
instance is deleted); children and chains come from the backups already fetched: never one
call per row.
"""
import datetime


def field(backup, name):
    """A field of the API's JSON, or None: never a lazy troveclient fetch of a missing one."""
    info = getattr(backup, '_info', None)
    if isinstance(info, dict):
        return info.get(name)
    return getattr(backup, name, None)


def join(backups):
    """Attach `child_ids` (children on the same list) to each backup."""
    children = {}
    for backup in backups:
        if getattr(backup, 'parent_id', None):
            children.setdefault(backup.parent_id, []).append(backup.id)
    for backup in backups:
        backup.child_ids = children.get(backup.id, [])
    return backups


def instance_gone(backup):
    """Whether the backup's instance is deleted (the API says so); its page would fail."""
    return field(backup, 'instance_deleted') is True


def newest_first(backups):
    """The API pages backups by id; within a page, the newest come first."""
    return sorted(backups, key=lambda b: getattr(b, 'created', '') or '', reverse=True)


def ancestors(backup, siblings):
    """The backups `backup` builds on, nearest first (the full one last)."""
    by_id = {b.id: b for b in siblings}
    found, parent_id = [], getattr(backup, 'parent_id', None)
    while parent_id and parent_id in by_id and len(found) < len(by_id):
        found.append(by_id[parent_id])
        parent_id = getattr(by_id[parent_id], 'parent_id', None)
    return found


def descendants(backup, siblings):
    """The incrementals that build on `backup`, directly or not, breadth first."""
    found, frontier = [], [backup.id]
    while frontier:
        step = [b for b in siblings if getattr(b, 'parent_id', None) in frontier]
        found += step
        frontier = [b.id for b in step]
    return found


def parse_time(isotime):
    return datetime.datetime.strptime(isotime[:19], '%Y-%m-%dT%H:%M:%S')


def duration(backup):
    """Seconds from created to updated of a settled backup; None while it is made."""
    created, updated = getattr(backup, 'created', None), getattr(backup, 'updated', None)
    if not (created and updated):
        return None
    return max(0, int((parse_time(updated) - parse_time(created)).total_seconds()))
