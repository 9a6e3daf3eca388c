"""Rotating SANSHI_FIELD_KEY (docs/operations.md, "The field key").

With the new key in SANSHI_FIELD_KEY and the old one in SANSHI_FIELD_KEY_PREVIOUS, the site reads
every value (core.crypto tries each key) and writes with the new one. `field_key_rotate` then
rewrites every stored value of every `EncryptedTextField` that is not yet under the new key, and the
lookup hash beside it (`<field>_hash`), one batch of rows per transaction. It can be stopped and run
again: a row already under the new key with the new key's hash is left alone. A value that opens
with none of the keys is left as it is and reported. Audited (`field_key.rotate`), without any
value."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Max, Min, Model, TextField
from django.db.models.functions import Cast

from sanshi.core.crypto import PREFIX, UNREADABLE, decrypt, lookup_hash, under_current_key
from sanshi.core.fields import EncryptedTextField

from .backup import field_key_fingerprint
from .services import audit_record


@dataclass
class Rotated:
    rewritten: int = 0  # rows written again (a value re-encrypted, or a lookup hash recomputed)
    unchanged: int = 0  # rows already under the current key
    unreadable: list[str] = field(default_factory=list)  # "app.Model.field #pk": opens with none of the keys


def _targets() -> Iterator[tuple[type[Model], list[str], dict[str, str]]]:
    """Each model with encrypted fields: the fields, and the lookup hash column beside each (if any)."""
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if not names:
            continue
        columns = {f.name for f in model._meta.concrete_fields}
        yield model, names, {n: f"{n}_hash" for n in names if f"{n}_hash" in columns}


def field_key_rotate(*, batch: int = 500, say: Callable[[str], None] = print) -> Rotated:
    """Rewrite every encrypted value (and its lookup hash) under the current key. See the module."""
    out = Rotated()
    for model, names, hashes in _targets():
        label = model._meta.label
        manager = model._default_manager
        bounds = manager.aggregate(lo=Min("pk"), hi=Max("pk"))
        if bounds["lo"] is None:
            continue
        raw = {f"raw_{n}": Cast(n, TextField()) for n in names}  # the stored text, not decrypted
        for start in range(bounds["lo"], bounds["hi"] + 1, batch):
            with transaction.atomic():
                rows = (manager.select_for_update().filter(pk__gte=start, pk__lt=start + batch).annotate(**raw)
                        .values("pk", *raw, *hashes.values()))
                for row in rows:
                    updates = {}
                    for name in names:
                        stored = row[f"raw_{name}"] or ""
                        plain = decrypt(stored)
                        if stored.startswith(PREFIX) and plain == UNREADABLE:
                            out.unreadable.append(f"{label}.{name} #{row['pk']}")
                            continue
                        if not under_current_key(stored):
                            updates[name] = plain  # the field encrypts it with the current key
                        if name in hashes and row[hashes[name]] != lookup_hash(plain):
                            updates[hashes[name]] = lookup_hash(plain)
                    if updates:
                        manager.filter(pk=row["pk"]).update(**updates)
                        out.rewritten += 1
                    else:
                        out.unchanged += 1
            say(f"{label}: ids {start}–{min(start + batch - 1, bounds['hi'])} of {bounds['hi']}; "
                f"{out.rewritten} rows rewritten so far")
    with transaction.atomic():
        audit_record(event="field_key.rotate", obj_type="field_key", obj_id=field_key_fingerprint()[:16],
                     reason=f"rewritten {out.rewritten}, unchanged {out.unchanged}, unreadable {len(out.unreadable)}")
    return out
