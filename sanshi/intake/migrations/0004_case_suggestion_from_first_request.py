"""Cases keep the triage suggestion they were opened with (cases 0003): copy it from each case's
first request, for the cases opened before."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Request = apps.get_model("intake", "Request")
    first = Request.objects.filter(case=OuterRef("pk")).order_by("received_at", "id").values("suggestion")[:1]
    with_requests = Request.objects.filter(case__isnull=False).values("case_id")
    Case.objects.filter(pk__in=with_requests).update(suggestion=Subquery(first))


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0003_phone_hash_plain_index"),
        ("cases", "0003_case_suggestion_and_event_index"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
