"""Full-text search pages: check the newest rows in order first, ask the GIN index only for older matches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_, union_all

from lib.core.pagination import OutT, decode_cursor, page_of
from lib.schemas.common import Page

# How many of the newest candidate rows are checked in created_at order before the GIN index is
# asked for older matches. A common term fills the page from these (a bounded created_at walk); a
# rare or absent one costs this walk plus one GIN bitmap scan instead of a walk of the whole table
# (223 ms at 300k projects). Either way the rows are exactly those of the plain filtered query.
WALK = 1000


def search_statement(
    model: Any,
    conditions: list[ColumnElement[bool]],
    tsquery: ColumnElement[Any],
    *,
    want: int,
    after: tuple[Any, Any] | None,
) -> Select[Any]:
    """Rows of `model` meeting `conditions` whose `search` matches `tsquery`: at least the newest `want`.

    `walk`: the newest WALK rows meeting `conditions` (an index walk in created_at order, never the
    GIN index); `hits`: the newest `want` of those that match. Only when `hits` is short and the walk
    did not reach the end does `tail` run (one-time filters): every older match, through the GIN
    index. The caller orders and limits.
    """
    key = (model.created_at, model.id)
    where = list(conditions)
    if after is not None:
        where.append(tuple_(*key) < after)
    newest_first = (model.created_at.desc(), model.id.desc())
    walk = (
        select(model.id, model.created_at, model.search)
        .where(*where)
        .order_by(*newest_first)
        .limit(WALK)
        .cte("walk")
        .prefix_with("MATERIALIZED")
    )
    hits = (
        select(walk.c.id, walk.c.created_at)
        .where(walk.c.search.op("@@")(tsquery))
        .order_by(walk.c.created_at.desc(), walk.c.id.desc())
        .limit(want)
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    oldest = select(walk.c.created_at, walk.c.id).order_by(walk.c.created_at, walk.c.id).limit(1)
    tail = (
        select(model.id, model.created_at)
        .where(
            *where,
            model.search.op("@@")(tsquery),
            select(func.count()).select_from(hits).scalar_subquery() < want,
            select(func.count()).select_from(walk).scalar_subquery() == WALK,
            tuple_(*key) < oldest.scalar_subquery(),
        )
        # MATERIALIZED and without ORDER BY/LIMIT: the planner has no reason to walk created_at
        # here, so the match is answered by the GIN index (a bitmap scan).
        .cte("tail")
        .prefix_with("MATERIALIZED")
    )
    newest_tail = select(tail.c.id).order_by(tail.c.created_at.desc(), tail.c.id.desc()).limit(want)
    ids = union_all(select(hits.c.id), newest_tail)
    return select(model).where(model.id.in_(ids))


async def search_page(
    db: Any,
    model: Any,
    out: type[OutT],
    conditions: list[ColumnElement[bool]],
    tsquery: ColumnElement[Any],
    query: Any,
) -> Page[OutT]:
    """One page (newest first, from `query.cursor`) of rows meeting `conditions` and matching `tsquery`."""
    after = decode_cursor(query.cursor) if query.cursor else None
    # page_of orders, pages and validates the few ids found, as for any list.
    return await page_of(
        db, search_statement(model, conditions, tsquery, want=query.limit + 1, after=after), model, out, query
    )
