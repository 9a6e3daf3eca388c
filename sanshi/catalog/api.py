"""The responsibility catalogue (三事分流责任清单) in force, for anyone."""

from ninja import Router, Schema

from sanshi.core.schemas import public_errors

from .selectors import current_items

router = Router(tags=["public"])


class CatalogueItemOut(Schema):
    code: str
    kind: str
    name: str
    description: str
    examples: list[str]
    keywords: list[str]
    deadline_days: int
    version: int


@router.get("/catalogue", response={200: list[CatalogueItemOut], **public_errors()}, auth=None,
            summary="三事分流责任清单（现行版本）")
def catalogue(request):
    return [{"code": i.code, "kind": i.kind, "name": i.name, "description": i.description,
             "examples": i.examples, "keywords": i.keywords, "deadline_days": i.deadline_days,
             "version": i.version.number} for i in current_items().select_related("version")]
