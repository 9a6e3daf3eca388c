"""The district departments a street usually summons (吹哨报到); administrators edit the list."""

from django.db import migrations

DEPARTMENTS = [
    ("ZJ", "区住建委"), ("CG", "区城管局"), ("STHJ", "区生态环境局"), ("JT", "区交通局"), ("JY", "区教委"),
    ("WJ", "区卫健委"), ("RS", "区人社局"), ("SCJG", "区市场监管局"), ("GA", "公安分局"), ("MZ", "区民政局"),
    ("SW", "区水务局"), ("GHZY", "区规划自然资源局"),
]


def load(apps, schema_editor):
    Department = apps.get_model("registry", "Department")
    for code, name in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
