"""The administrative tree becomes django-treebeard's materialised path.

The old `path` held codes ("/JJ/DS/DS01/"); treebeard's holds fixed steps of 4 base-36 digits per
level ("0001" root, "00010001" its first child …), with `depth` and `numchild`. Siblings are numbered
in code order (the model's node_order_by), as `load_bulk` would, so the tree reads as before."""

from django.db import migrations, models

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4


def _step(n: int) -> str:
    digits = ""
    while n:
        n, r = divmod(n, len(ALPHABET))
        digits = ALPHABET[r] + digits
    return digits.rjust(STEPLEN, "0")


def to_treebeard(apps, schema_editor):
    OrgNode = apps.get_model("registry", "OrgNode")
    nodes = list(OrgNode.objects.all().order_by("code"))
    children: dict[int | None, list] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)

    def walk(parent_id, prefix: str, depth: int) -> None:
        for i, node in enumerate(children.get(parent_id, []), start=1):
            node.path, node.depth = prefix + _step(i), depth
            node.numchild = len(children.get(node.pk, []))
            node.save(update_fields=["path", "depth", "numchild"])
            walk(node.pk, node.path, depth + 1)

    # first out of the way (the unique index comes after), then the real paths
    OrgNode.objects.update(path=models.functions.Concat(models.Value("~"), models.F("id"),
                                                        output_field=models.CharField()))
    walk(None, "", 1)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_alter_staffrole_role"),
    ]

    operations = [
        migrations.AddField(model_name="orgnode", name="depth", field=models.PositiveIntegerField(default=1),
                            preserve_default=False),
        migrations.AddField(model_name="orgnode", name="numchild", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(
            model_name="orgnode", name="community_leads_household",
            field=models.BooleanField(default=False, help_text="街道节点：城子模式，网格邻里会由社区书记召集",
                                      verbose_name="家事由社区党组织牵头")),
        migrations.AlterField(model_name="orgnode", name="path", field=models.CharField(max_length=255)),
        migrations.RunPython(to_treebeard, migrations.RunPython.noop),
        migrations.AlterField(model_name="orgnode", name="path", field=models.CharField(max_length=255, unique=True)),
    ]
