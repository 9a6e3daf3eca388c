# Issue 19: a job run again after a crash wrote a second notification (and deliveries with new
# ids). Notifications get a unique id, derived from the job that writes them. The column is added
# empty (each existing row would otherwise get the same default value and break the unique index),
# then given its default for new rows; rows written before keep NULL, which a unique index allows.

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_job_result'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='uid',
            field=models.UUIDField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='notification',
            name='uid',
            field=models.UUIDField(default=uuid.uuid4, editable=False, null=True, unique=True),
        ),
    ]
