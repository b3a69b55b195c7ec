"""The catalogue (datastores, flavors, volume types) kept in each process's memory.

The catalogue changes only when an operator changes it, yet nearly every request reads
it. A process keeps what it loaded beside the catalogue generation it read just before
loading; each later read costs one single-row query of the generation. Every catalogue
write bumps the generation in its own transaction (bump), so the next read in any
process, whichever wrote, sees the change.
"""
from sqlalchemy import update

from api_service.db import models
from api_service.db.session import get_reader

_GENERATION = 'SELECT generation FROM catalogue_generation WHERE id = 1'
_ROW = models.CatalogueGeneration

# name -> (reader engine, generation, value); the engine tells databases apart (tests).
_entries = {}


def current_generation(engine):
    """The catalogue's generation, on a raw pooled connection: this runs on every read."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(_GENERATION)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()
    return row[0] if row else None


def cached(name, load):
    """load()'s value as of the current generation: kept, or loaded again if it moved.

    The generation is read before loading: a change committed in between leaves the new
    data under the old number, re-read next time, never old data under the new number.
    Values are shared between threads, so `load` must return immutable ones (tuples).
    """
    engine = get_reader()
    generation = current_generation(engine)
    entry = _entries.get(name)
    if (generation is not None and entry is not None
            and entry[0] is engine and entry[1] == generation):
        return entry[2]
    value = load()
    _entries[name] = (engine, generation, value)
    return value


def bump(session):
    """Count a catalogue change, inside the session's transaction that makes it."""
    session.execute(update(_ROW).where(_ROW.id == 1).values(generation=_ROW.generation + 1))
