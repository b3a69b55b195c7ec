"""One page of a list, read in one query: the statement asks for one row more than the page,
and that row says whether a next page exists (its marker is the page's last id)."""
from api_service.db.session import read_scope


def read_page(stmts, params, limit, marker):
    """`stmts`: {False: the first page's statement, True: a later page's (it binds
    `marker`)}, each binding `limit`. Returns (rows, the next page's marker or None)."""
    params = dict(params, limit=limit + 1)
    if marker:
        params['marker'] = marker
    with read_scope() as conn:
        rows = conn.execute(stmts[bool(marker)], params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)
