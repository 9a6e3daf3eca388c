"""Load the baseline 24-item catalogue (TRIAGE_RUBRIC.md) as version 1."""

from django.db import migrations

FIELDS = ("kind", "name", "description", "examples", "keywords", "deadline_days")


def load(apps, schema_editor):
    from sanshi.catalog.baseline import ITEMS

    Version = apps.get_model("catalog", "CatalogueVersion")
    Item = apps.get_model("catalog", "CatalogueItem")
    if Version.objects.exists():
        return
    version = Version.objects.create(number=1, note="基线清单（8公事+8共事+8家事）")
    Item.objects.bulk_create([Item(version=version, code=i["code"], **{f: i[f] for f in FIELDS}) for i in ITEMS])


def unload(apps, schema_editor):
    apps.get_model("catalog", "CatalogueItem").objects.filter(version__number=1).delete()
    apps.get_model("catalog", "CatalogueVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
