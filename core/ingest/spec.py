"""The canonical import columns of each file kind (the contract in DESIGN.md, "Canonical data")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    """Columns of one import file kind.

    Parameters
    ----------
    kind : str
        ``"meters"``, ``"readings"`` or ``"bills"``; also the warehouse table it loads into.
    required : tuple of str
        Columns the file must have (values may still be rejected row by row).
    optional : tuple of str
        Columns that may be absent; an absent column behaves like an all-empty one.
    key : str
        Identifier shown with each bad row (``meter_id`` or ``bill_id``).
    """

    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    key: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column, required first."""
        return self.required + self.optional

    def describe(self) -> str:
        """One line naming the required and optional columns, for error messages."""
        return (
            f"a {self.kind} file needs columns {', '.join(self.required)}"
            f" (optional: {', '.join(self.optional)})"
        )


METERS = FileSpec(
    kind="meters",
    required=("meter_id", "building_id", "account_id", "kind", "unit"),
    optional=(
        "building_name",
        "account_name",
        "timezone",
        "dq_enabled",
        "account_active",
        "building_archived",
        "interval_minutes",
        "bidirectional",
    ),
    key="meter_id",
)

READINGS = FileSpec(
    kind="readings",
    required=("meter_id", "ts", "value"),
    optional=("source",),
    key="meter_id",
)

BILLS = FileSpec(
    kind="bills",
    required=(
        "bill_id",
        "account_id",
        "building_id",
        "commodity",
        "period_start",
        "period_end",
        "usage",
        "usage_unit",
        "cost",
    ),
    optional=("meter_id", "demand_kw", "estimated"),
    key="bill_id",
)

SPECS = {spec.kind: spec for spec in (METERS, READINGS, BILLS)}

# Value domains shared by validation and docs.
METER_UNITS = {"electricity": "kWh", "water": "gal"}
INTERVALS = (15, 60)
SOURCES = ("platform", "raw")
COMMODITIES = ("electricity", "water", "gas")
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
