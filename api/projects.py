"""Projects: GET/POST /api/projects, GET/PATCH/DELETE /api/projects/{id} (soft delete)."""

import lib.startup  # noqa: F401  (first: no garbage collection while this function loads)

from typing import Any

from sqlalchemy import func, select, update

from lib.core.pagination import matching
from lib.models.projects import Project
from lib.rules.ownership import OwnedRead, VisibleList, not_found, owned, visible
from lib.rules.search import search_page
from lib.schemas.common import Page
from lib.schemas.projects import ProjectCreate, ProjectOut, ProjectQuery, ProjectUpdate
from lib.web.app import create_app, lambda_handler
from lib.web.endpoints import Call, delete, get, patch, post

# What the GETs read with the caller (one round trip): a project by id, a page (searches aside).
PROJECT_BY_ID = OwnedRead(Project, ProjectOut)
PROJECTS_PAGE = VisibleList(Project, ProjectOut, ("status", "category", "user_id"), unless=("q",))


async def list_projects(call: Call[None, ProjectQuery]) -> Page[ProjectOut]:
    query = call.query
    if not query.q:
        return await PROJECTS_PAGE.page(call)
    statement = select(Project).where(*visible(Project, call.me))
    statement = matching(statement, Project, query, "status", "category", "user_id")
    # Searched: a bounded walk of the newest rows, then the GIN index (lib/rules/search.py says why).
    tsquery = func.websearch_to_tsquery("english", query.q)
    conditions = [] if statement.whereclause is None else [statement.whereclause]
    return await search_page(call.db, Project, ProjectOut, conditions, tsquery, query)


async def create_project(call: Call[ProjectCreate, None]) -> ProjectOut:
    project = Project(user_id=call.me.id, **call.body.model_dump())
    await call.insert(project)
    return ProjectOut.model_validate(project)


async def get_project(call: Call[None, None]) -> ProjectOut:
    return await _current(call)


async def _current(call: Call[Any, Any]) -> ProjectOut:
    return await PROJECT_BY_ID.read(call)


async def update_project(call: Call[ProjectUpdate, None]) -> ProjectOut:
    changes = call.body.changes()
    project_id = call.params["id"]
    if not changes:
        return await _current(call)
    call.report(fields=sorted(changes))
    statement = (
        update(Project).where(*owned(Project, project_id, call.me)).values(**changes).returning(Project)
    )
    project = await call.db.scalar(statement.execution_options(synchronize_session=False))
    if project is None:
        raise not_found(Project, project_id)
    return ProjectOut.model_validate(project)


async def delete_project(call: Call[None, None]) -> None:
    project_id = call.params["id"]
    statement = (
        update(Project)
        .where(*owned(Project, project_id, call.me))
        .values(deleted_at=func.now())
        .returning(Project.id)
    )
    if await call.db.scalar(statement.execution_options(synchronize_session=False)) is None:
        raise not_found(Project, project_id)


ENDPOINTS = [
    get(
        "/api/projects",
        list_projects,
        reads=PROJECTS_PAGE,
        response=Page[ProjectOut],
        summary="List projects",
    ),
    post(
        "/api/projects",
        create_project,
        transaction=False,
        response=ProjectOut,
        entity="project",
        errors=(422,),
        summary="Create a project",
    ),
    get(
        "/api/projects/{id:int}",
        get_project,
        reads=PROJECT_BY_ID,
        response=ProjectOut,
        entity="project",
        errors=(404,),
        summary="Get a project",
    ),
    patch(
        "/api/projects/{id:int}",
        update_project,
        transaction=False,
        response=ProjectOut,
        entity="project",
        errors=(404, 422),
        summary="Update a project",
    ),
    delete(
        "/api/projects/{id:int}",
        delete_project,
        transaction=False,
        entity="project",
        errors=(404,),
        summary="Soft-delete a project",
    ),
]

app = create_app(ENDPOINTS)
__getattr__ = lambda_handler(app)  # `handler` for AWS Lambda, built on first use
