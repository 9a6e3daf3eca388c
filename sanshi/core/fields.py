from django.db import models

from .crypto import decrypt, encrypt


class EncryptedTextField(models.TextField):
    """Stores the value encrypted (see core.crypto); Python code sees plain text. Not searchable:
    keep a `lookup_hash` column beside it for exact matches."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def to_python(self, value):
        return decrypt(value) if isinstance(value, str) and value.startswith("enc1:") else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
