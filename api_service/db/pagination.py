"""Keyset pagination: a page costs one query whatever the total."""
from sqlalchemy import select


def page(session, model, limit, marker=None, key='id', where=()):
    """Up to `limit` rows ordered by `key` after `marker`, and the next marker or None."""
    column = getattr(model, key)
    stmt = select(model).where(*where).order_by(column).limit(limit + 1)
    if marker:
        stmt = stmt.where(column > marker)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (getattr(rows[-1], key) if more and rows else None)
