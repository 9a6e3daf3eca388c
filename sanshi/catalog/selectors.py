from .models import CatalogueItem, CatalogueVersion


def current_version() -> CatalogueVersion | None:
    return CatalogueVersion.objects.order_by("-number").first()


def current_items():
    return CatalogueItem.objects.filter(version=current_version()).order_by("code")


def current_item(code: str) -> CatalogueItem | None:
    return current_items().filter(code=code).first()
