"""Rotating SANSHI_FIELD_KEY (docs/operations.md, "The field key"): with the old key kept as
SANSHI_FIELD_KEY_PREVIOUS the site reads every phone; `sanshi rotate-field-key` rewrites every value
and lookup hash under the new key, can run again, and leaves a value no key opens as it is."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sanshi.audit.models import AuditEntry
from sanshi.core.crypto import lookup_hash
from sanshi.intake.models import Request
from sanshi.registry.models import Household, Person
from sanshi.registry.services import person_register

from ..helpers import submit

OLD, NEW, LOST = "old-field-key-" + "a" * 32, "new-field-key-" + "b" * 32, "lost-field-key-" + "c" * 32


def stored(table: str, column: str, pk: int) -> str:
    """The text in the database, as a copy of the table would show it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 — fixed names
        return cursor.fetchone()[0]


def rotate(*args) -> str:
    out = StringIO()
    call_command("rotate-field-key", *args, stdout=out)
    return out.getvalue()


def test_the_site_reads_with_the_old_key_and_the_command_moves_everything_to_the_new(world, client, settings):
    settings.SANSHI_FIELD_KEY = OLD
    home = Household.objects.create(node=world.grid, address="鼎城花园1栋101")
    person = person_register(household=home, name="王小明", phone="13800138000", id_number="50038119800101123X")
    request = Request.objects.get(tracking_code=submit(client, text="路灯不亮", grid="T1C1-G01",
                                                       reporter_phone="13900139000").json()["tracking_code"])
    before = stored("registry_person", "phone", person.pk)
    # the key is replaced; the old one is kept to read with
    settings.SANSHI_FIELD_KEY, settings.SANSHI_FIELD_KEY_PREVIOUS = NEW, [OLD]
    assert Person.objects.get(pk=person.pk).phone == "13800138000"
    assert not Person.objects.filter(phone_hash=lookup_hash("13800138000")).exists()  # hashes are the new key's
    out = rotate("--batch", "1")
    assert "全部数据已改用新密钥" in out and "registry.Person" in out
    assert stored("registry_person", "phone", person.pk) != before
    # the old key can go: everything reads, and lookups by phone and ID number find the rows again
    settings.SANSHI_FIELD_KEY_PREVIOUS = []
    again = Person.objects.get(pk=person.pk)
    assert (again.phone, again.id_number) == ("13800138000", "50038119800101123X")
    assert Person.objects.filter(phone_hash=lookup_hash("13800138000"), id_number_hash=lookup_hash("50038119800101123X")).exists()
    fresh = Request.objects.get(pk=request.pk)
    assert fresh.reporter_phone == "13900139000" and fresh.reporter_phone_hash == lookup_hash("13900139000")
    entry = AuditEntry.objects.get(event="field_key.rotate")
    assert "13800138000" not in entry.reason and "unreadable 0" in entry.reason
    # run again: nothing left to do
    assert "改写 0 行" in rotate()


def test_a_value_no_key_opens_is_left_as_it_is_and_named(world, settings):
    home = Household.objects.create(node=world.grid, address="鼎城花园1栋102")
    settings.SANSHI_FIELD_KEY = LOST
    lost = person_register(household=home, name="李四", phone="13700137000")
    settings.SANSHI_FIELD_KEY = OLD
    kept = person_register(household=home, name="张三", phone="13600136000")
    settings.SANSHI_FIELD_KEY, settings.SANSHI_FIELD_KEY_PREVIOUS = NEW, [OLD]
    before = stored("registry_person", "phone", lost.pk)
    with pytest.raises(CommandError, match="1 个值用新旧密钥都无法解密"):
        rotate()
    assert stored("registry_person", "phone", lost.pk) == before  # never overwritten with the placeholder
    settings.SANSHI_FIELD_KEY_PREVIOUS = []
    assert Person.objects.get(pk=kept.pk).phone == "13600136000"
