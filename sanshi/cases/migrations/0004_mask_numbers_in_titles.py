"""Case titles (the first 40 characters of a request) label a case on every list, board, export and
notification: phone and ID numbers typed into them are masked from now on (cases.services.case_opened);
this masks the titles of the cases opened before."""

from django.db import migrations

from sanshi.core.personal import mask_personal_text


def mask_titles(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    changed = []
    for case in Case.objects.only("id", "title").iterator(chunk_size=2000):
        masked = mask_personal_text(case.title)
        if masked != case.title:
            case.title = masked
            changed.append(case)
        if len(changed) >= 1000:
            Case.objects.bulk_update(changed, ["title"])
            changed = []
    if changed:
        Case.objects.bulk_update(changed, ["title"])


class Migration(migrations.Migration):

    dependencies = [("cases", "0003_case_suggestion_and_event_index")]

    operations = [migrations.RunPython(mask_titles, migrations.RunPython.noop)]
