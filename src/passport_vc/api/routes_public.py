"""Public reads: status lists (with ETag), the skills taxonomy, health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from passport_vc.api.deps import CtxDep
from passport_vc.api.problems import problem_responses
from passport_vc.api.schemas import NO_NUL, IdPath, media_response
from passport_vc.services import status_lists
from passport_vc.services.errors import InvalidFieldError, NotFoundError
from passport_vc.taxonomy import Skill
from passport_vc.taxonomy.errors import UnknownCategoryError

router = APIRouter(dependencies=[NO_NUL])


@router.get(
    "/status-lists/{list_id}",
    tags=["VC API"],
    response_class=Response,
    responses={
        200: media_response(
            "application/vc+ld+json",
            "The BitstringStatusListCredential",
            {"type": "object"},
        ),
        304: {"description": "Not modified: the ETag given in If-None-Match is current"},
        **problem_responses(404, 422, 503),
    },
)
def get_status_list(list_id: IdPath, request: Request, ctx: CtxDep) -> Response:
    """The signed BitstringStatusListCredential; it reflects a change at the next request."""
    rendered = status_lists.render_list(ctx, list_id)
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": f"public, max-age={rendered.max_age}",
    }
    if request.headers.get("if-none-match") == rendered.etag:
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/vc+ld+json", headers=headers)


def _skill_json(ctx: Any, skill: Skill) -> dict[str, Any]:
    category = ctx.taxonomy.category(skill.category)
    levels = []
    for level in ctx.taxonomy.levels:
        item = {"level": level.number, "name": level.name_in("en")}
        criteria = skill.level_criteria.get(level.number)  # a skill may define some levels only
        if criteria is not None:
            item["criteria"] = criteria
        levels.append(item)
    return {
        "id": skill.uri,
        "code": skill.code,
        "label": skill.label_in("en"),
        "category": {"code": category.code, "label": category.label_in("en")},
        "levels": levels,
    }


@router.get("/skills", tags=["skills"], responses=problem_responses(422))
def list_skills(ctx: CtxDep, q: str | None = None, category: str | None = None) -> dict[str, Any]:
    """The maker skills taxonomy; `q` searches labels, `category` filters by category code."""
    taxonomy = ctx.taxonomy
    skills = list(taxonomy.skills)
    if category is not None:
        try:
            skills = taxonomy.in_category(category)
        except UnknownCategoryError as exc:
            raise InvalidFieldError(exc.detail, field="category") from None
    if q:
        found = {s.code for s in taxonomy.search(q)}
        skills = [s for s in skills if s.code in found]
    return {
        "taxonomy": {"id": taxonomy.id, "version": taxonomy.version},
        "skills": [_skill_json(ctx, s) for s in skills],
    }


@router.get("/skills/{code}", tags=["skills"], responses=problem_responses(404, 422))
def get_skill(code: str, ctx: CtxDep) -> dict[str, Any]:
    skill = ctx.taxonomy.find(code)
    if skill is None:
        raise NotFoundError(f"unknown skill {code!r}", field="code")
    return _skill_json(ctx, skill)


@router.get("/health", tags=["operations"], responses=problem_responses(503))
def health(ctx: CtxDep) -> dict[str, Any]:
    """200 when the database answers (503 problem+json otherwise)."""
    with ctx.db.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
