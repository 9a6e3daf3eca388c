"""The person register: residents of a household, contacts encrypted at rest with keyed hashes."""

import pytest
from django.db import connection

from sanshi.core.crypto import lookup_hash
from sanshi.core.errors import ValidationFailed
from sanshi.registry.models import Household, Person
from sanshi.registry.services import person_register


def test_a_resident_is_registered_with_contacts_encrypted(world):
    household = Household.objects.create(node=world.grid, address="鼎城花园3栋101")
    person = person_register(household=household, name="王小明", phone="138 1234 5678", id_number="11010519491231002x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number FROM registry_person WHERE id = %s", [person.pk])
        phone, id_number = cursor.fetchone()
    assert phone.startswith("enc1:") and "13812345678" not in phone and id_number.startswith("enc1:")
    assert Person.objects.get(phone_hash=lookup_hash("13812345678")).id_number == "11010519491231002X"


def test_bad_contacts_are_refused_per_field(world):
    household = Household.objects.create(node=world.grid, address="鼎城花园3栋102")
    with pytest.raises(ValidationFailed) as refused:
        person_register(household=household, name="", phone="12345", id_number="1234")
    assert set(refused.value.errors) == {"name", "phone", "id_number"}
    assert not Person.objects.exists()
