"""What a datastore version's `image` names for the local driver: an installed engine build.

Upstream Trove checks `image` in Glance; here instances are processes, so the "image" is one
of the engine builds `local_engines.discover()` finds, named by the directory of its
binaries or as `<datastore>-<version>` (e.g. `postgresql-16`, `mariadb-10.11.19`).
"""
from api_service.common import exceptions


def names_of(engine):
    """Every name an operator may give for an engine build."""
    return {engine.path, '%s-%s' % (engine.datastore, engine.name),
            '%s-%s' % (engine.datastore, engine.version)}


def resolve(image, manager):
    """The engine build `image` names, run by `manager`; a 404 listing the installed ones."""
    # Imported here: only registration needs the local driver's engine finder.
    from api_service.drivers.compute import local_engines
    engines = [e for e in local_engines.discover() if e.manager == manager]
    for engine in engines:
        if image in names_of(engine):
            return engine
    known = ', '.join(sorted('%s-%s' % (e.datastore, e.version) for e in engines)) or 'none'
    raise exceptions.NotFound(
        "Image '%s' not found: for this deployment an image is an installed engine build of "
        "manager '%s' (installed: %s), named <datastore>-<version> or by the directory of its "
        "binaries; `dbaas-manage datastore discover` lists them." % (image[:255], manager, known))
