"""Ideas: POST /api/ideas/generate, GET /api/ideas, GET/PATCH /api/ideas/{id}, POST /api/ideas/{id}/refine."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from lib.core.errors import Forbidden
from lib.models.idea_generation_history import Idea
from lib.models.projects import Project
from lib.rules.ownership import OwnedRead, VisibleList, get_owned
from lib.schemas.common import Page
from lib.schemas.ideas import IdeaGenerateIn, IdeaOut, IdeaQuery, IdeaRefineIn, IdeasOut, IdeaUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, get, patch, post

# The row a GET of `{id}` answers, read with the caller (one round trip).
IDEA_BY_ID = OwnedRead(Idea, IdeaOut)
# Everyone, admins included, lists their own ideas here; admin reports live under /api/admin/stats.
IDEAS_PAGE = VisibleList(
    Idea,
    IdeaOut,
    ("category",),
    admin_sees_all=False,
    filters={"selected": lambda selected: Idea.user_selected == selected},
)


def _unique_interests(interests: list[str]) -> list[str]:
    unique: dict[str, str] = {}
    for interest in interests:
        unique.setdefault(interest.lower(), interest)  # the first spelling a student used wins
    return list(unique.values())


async def generate_ideas(call: Call[IdeaGenerateIn, None]) -> IdeasOut:
    # Late imports (`python -X importtime`), here and in refine_idea: the generator (the idea catalogue,
    # the provider call) and the rate limit, about 50 ms of a cold start, only for new ideas; listing,
    # reading and editing ideas need neither.
    from lib.assistant import ideas as generator
    from lib.core import ratelimit

    body = call.body
    if body.project_id is not None:
        await get_owned(call.db, Project, body.project_id, call.me, admin_sees_all=False)
    await ratelimit.spend(call.db, generator.IDEA_BUDGET, call.me.id)
    interests = _unique_interests(body.interests)
    avoid = await generator.recent_idea_titles(call.db, call.me.id)
    ideas = await generator.generate_ideas(
        body.category, interests, body.complexity, body.count, avoid, call.db
    )
    rows = await generator.store_ideas(
        call.db,
        user_id=call.me.id,
        project_id=body.project_id,
        category=body.category,
        prompt=generator.ideas_prompt(body.category, interests, body.complexity, body.count),
        ideas=ideas,
    )
    call.report(entity_id=rows[0].id)
    call.report(idea_ids=[row.id for row in rows], sources=sorted({row.source for row in rows}))
    return IdeasOut(ideas=[IdeaOut.model_validate(row) for row in rows])


async def list_ideas(call: Call[None, IdeaQuery]) -> Page[IdeaOut]:
    return await IDEAS_PAGE.page(call)


async def get_idea(call: Call[None, None]) -> IdeaOut:
    return await IDEA_BY_ID.read(call)


async def _own_idea(call: Call[Any, Any], *, for_update: bool = False) -> Idea:
    """The idea if the caller owns it: 404 for other users, 403 for an admin (who can see it)."""
    idea = await get_owned(call.db, Idea, call.params["id"], call.me, for_update=for_update)
    if idea.user_id != call.me.id:
        raise Forbidden("Only the idea's owner can change or refine it")
    return idea


async def update_idea(call: Call[IdeaUpdate, None]) -> IdeaOut:
    idea = await _own_idea(call, for_update=True)
    changes = call.body.changes()
    if changes:
        call.report(fields=sorted(changes))
        for name, value in changes.items():
            setattr(idea, name, value)
        await call.db.flush()
        await call.db.refresh(idea)  # updated_at is set by the database
    return IdeaOut.model_validate(idea)


async def refine_idea(call: Call[IdeaRefineIn, None]) -> IdeaOut:
    from lib.assistant import ideas as generator
    from lib.core import ratelimit

    body = call.body
    parent = await _own_idea(call)
    await ratelimit.spend(call.db, generator.IDEA_BUDGET, call.me.id)
    refined = await generator.refine_idea(parent, body.instructions, call.db)
    (row,) = await generator.store_ideas(
        call.db,
        user_id=call.me.id,
        project_id=parent.project_id,
        category=parent.category,
        prompt=body.instructions,
        ideas=[refined],
        parent=parent,
    )
    call.report(entity_id=row.id)
    call.report(parent_id=parent.id, source=row.source)
    return IdeaOut.model_validate(row)


ENDPOINTS = [
    post(
        "/api/ideas/generate",
        generate_ideas,
        response=IdeasOut,
        entity="idea",
        errors=(404, 422, 429),
        summary="Generate project ideas",
    ),
    get("/api/ideas", list_ideas, reads=IDEAS_PAGE, response=Page[IdeaOut], summary="List your ideas"),
    get(
        "/api/ideas/{id:int}",
        get_idea,
        reads=IDEA_BY_ID,
        response=IdeaOut,
        entity="idea",
        errors=(404,),
        summary="Get an idea",
    ),
    patch(
        "/api/ideas/{id:int}",
        update_idea,
        response=IdeaOut,
        entity="idea",
        errors=(403, 404, 422),
        summary="Select or rate an idea",
    ),
    post(
        "/api/ideas/{id:int}/refine",
        refine_idea,
        response=IdeaOut,
        entity="idea",
        errors=(403, 404, 422, 429),
        summary="Refine an idea into a new one",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
