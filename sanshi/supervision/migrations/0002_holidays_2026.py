"""Seed the 2026 PRC public holidays and make-up working days (国办发明电〔2025〕7号)."""

from django.db import migrations


def load(apps, schema_editor):
    from sanshi.supervision.holidays import SEEDED

    CalendarDay = apps.get_model("supervision", "CalendarDay")
    for days in SEEDED.values():
        for day, is_workday, name in days:
            CalendarDay.objects.get_or_create(date=day, defaults={"is_workday": is_workday, "name": name})


def unload(apps, schema_editor):
    from sanshi.supervision.holidays import SEEDED

    CalendarDay = apps.get_model("supervision", "CalendarDay")
    CalendarDay.objects.filter(date__in=[d for days in SEEDED.values() for d, _, _ in days]).delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
