"""The electorate's units and owners as rows (a unit, its owners): what a sheet or a staff form gives,
with the limits of their fields taken from the models."""

from dataclasses import dataclass, field
from decimal import Decimal

from sanshi.registry.models import Person

from .models import Unit

HEADERS = ["房屋地址", "建筑面积（㎡）", "开发建设单位未售出或未交付", "业主姓名", "业主手机", "业主身份证号"]
COLUMN_LETTERS = "ABCDEF"
MAX_ROWS = 20_000  # owners' rows in one sheet (a compound of several thousand units)
MAX_BYTES = 10 * 1024 * 1024
MAX_OWNERS_PER_UNIT = 10
YES = {"是", "Y", "YES", "1", "TRUE", "√"}
NO = {"", "否", "N", "NO", "0", "FALSE"}
TWO_PLACES = Decimal("0.01")


def max_length(model, name: str) -> int:
    """A text field's limit, from the model (one validation, limits from the model)."""
    limit = model._meta.get_field(name).max_length
    assert isinstance(limit, int)
    return limit


ADDRESS_MAX = max_length(Unit, "address")
NAME_MAX = max_length(Person, "name")
AREA_MAX = Decimal(10) ** (Unit._meta.get_field("area").max_digits - Unit._meta.get_field("area").decimal_places)


@dataclass(frozen=True)
class RowError:
    row: int  # the sheet's row number (1 is the header); 0 for the file itself
    column: str  # the column's header, or "" for the whole row or file
    message: str


@dataclass(frozen=True)
class OwnerRow:
    row: int
    name: str
    phone: str
    id_number: str


@dataclass
class UnitRows:
    address: str
    row: int  # its first row
    area: Decimal | None = None
    developer_held: bool | None = None
    owners: list[OwnerRow] = field(default_factory=list)


@dataclass
class Sheet:
    units: dict[str, UnitRows] = field(default_factory=dict)  # by address, in the sheet's order
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
