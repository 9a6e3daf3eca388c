"""Create the database cache table (CACHE_URL=dbcache://…, the default) with the schema, so a
deployment that only runs `migrate` never answers 500 for a missing cache table. Idempotent; a
no-op when the cache is Redis or in memory."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
