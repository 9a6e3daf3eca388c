"""Cases already in evaluation when rounds came in get one: opened when evaluation was last
requested, with a week to rate (about five working days), so their raters can still rate them."""

from datetime import timedelta

from django.db import migrations


def open_rounds(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    EvaluationRound = apps.get_model("evaluation", "EvaluationRound")
    for case in Case.objects.filter(status="evaluating").exclude(evaluation_rounds__decided_at__isnull=True):
        asked = (CaseEvent.objects.filter(case=case, action="request_evaluation").order_by("-at")
                 .values_list("at", flat=True).first() or case.updated_at)
        number = EvaluationRound.objects.filter(case=case).count() + 1
        EvaluationRound.objects.create(case=case, number=number, opened_at=asked, due_at=asked + timedelta(days=7))


class Migration(migrations.Migration):

    dependencies = [
        ("evaluation", "0002_rounds_groups_party_codes"),
        ("cases", "0004_mask_numbers_in_titles"),
    ]

    operations = [migrations.RunPython(open_rounds, migrations.RunPython.noop)]
