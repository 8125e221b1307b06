"""How a bill finding reads: its details described, its figures, bill ids masked, platform links.

No Streamlit here: the Utility bills page shows what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from core import config, masking
from core.db.base import Database
from core.errors import ConfigError
from core.markup import md

# Check name -> what a finding means, for an analyst (names are a contract; order = filter order).
CHECKS: dict[str, str] = {
    "bill_gap": "Days between this bill and the meter's previous one that no bill covers.",
    "bill_overlap": "This bill's period overlaps another bill of the same meter.",
    "bill_duplicate": "Same meter, period and amounts as another bill under another id.",
    "period_length": "Period outside 25-35 days for a monthly bill, or a single bill over 65.",
    "zero_usage": "The bill reports zero usage.",
    "negative_value": "Usage, cost or demand below zero.",
    "usage_outlier": "Use per day far from this meter's history (same month last year "
    "where it exists, recent bills otherwise).",
    "unit_rate_outlier": "Cost per unit far from this meter's history.",
    "demand_impossible": "Billed energy above demand (kW) x hours in the period.",
    "stale_bill": "No bill for this meter ended within 45 days of the run date.",
    "estimated_streak": "3 or more estimated bills in a row, or the same use per day "
    "repeated 3 times without the estimated flag.",
    "bill_interval_mismatch": "Billed usage more than 10% from the sum of the meter's "
    "interval readings over the same days.",
    "future_period": "The period ends after the run date.",
}
# The bill's figures, which the job copies into details and the table shows in their own columns.
FIGURES = (
    "period",
    "period_start",
    "period_end",
    "days",
    "usage",
    "usage_unit",
    "cost",
    "demand_kw",
    "estimated",
    "use_per_day",
    "cost_per_unit",
)


def bill_url(bill_id: object) -> str | None:
    """The bill's page in the platform, from ``DQ_BILL_URL_TEMPLATE`` (None when unset).

    The id is URL-quoted (``/``, ``?``, ``#``, spaces... cannot change the link's target).

    Raises
    ------
    ConfigError
        If the template lacks ``{bill_id}`` or is not an http(s) URL.
    """
    template = config.get("DQ_BILL_URL_TEMPLATE").strip()
    if not template or bill_id is None or (isinstance(bill_id, float) and np.isnan(bill_id)):
        return None
    if "{bill_id}" not in template or not template.startswith(("https://", "http://")):
        raise ConfigError(
            f"DQ_BILL_URL_TEMPLATE={template!r} must be an http(s) URL containing {{bill_id}}, "
            "e.g. https://platform.example/bills/{bill_id}"
        )
    return template.replace("{bill_id}", quote(str(bill_id), safe=""))


def bill_links(
    bill_ids: Iterable[object], masked: bool
) -> tuple[list[str | None] | None, str | None]:
    """Each bill's page in the platform (:func:`bill_url`), or None, and why not.

    None without ``DQ_BILL_URL_TEMPLATE`` and in screen-share mode (``masked``: the platform's
    page shows the real names); None with a message naming the problem when the template is
    not usable.
    """
    if masked or not config.get("DQ_BILL_URL_TEMPLATE").strip():
        return None, None
    try:
        return [bill_url(b) for b in bill_ids], None
    except ConfigError as exc:
        return None, f"No links to the platform: {exc}"


def _id_kind(key: str) -> str | None:
    """Which of Bill, Meter, Building or Account a details key names ids of (None: none)."""
    return next(
        (k.capitalize() for k in ("bill", "meter", "building", "account") if k in key.lower()), None
    )


def _label_ids(
    details: dict[str, Any], label: Callable[[str, object], str], known: dict[str, str]
) -> dict[str, Any]:
    """``details`` with its ids through ``label``.

    An id is a string (alone or in a list) that ``known`` (id -> kind) lists, or that sits under
    a key naming ids, such as ``previous_bill_id``.
    """
    out = {}
    for key, value in details.items():

        def one(v: object, key: str = key) -> object:
            kind = known.get(v) if isinstance(v, str) else None
            kind = kind or (_id_kind(key) if isinstance(v, str) else None)
            return label(kind, v) if kind else v

        out[key] = [one(v) for v in value] if isinstance(value, list) else one(value)
    return out


def _known_ids(db: Database, values: set[str]) -> dict[str, str]:
    """Which of ``values`` are bill, meter, building or account ids: ``{value: kind}``.

    Not scoped on purpose: the answer only decides what screen-share mode hides, never shows.
    """
    known: dict[str, str] = {}
    values_list = sorted(values)
    for i in range(0, len(values_list), 500):
        chunk = values_list[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        for kind, sql in (
            ("Account", f"SELECT DISTINCT account_id FROM meters WHERE account_id IN ({marks})"),
            ("Building", f"SELECT DISTINCT building_id FROM meters WHERE building_id IN ({marks})"),
            ("Meter", f"SELECT meter_id FROM meters WHERE meter_id IN ({marks})"),
            ("Bill", f"SELECT bill_id FROM bills WHERE bill_id IN ({marks})"),
        ):
            known.update({r[0]: kind for r in db.fetch_all(sql, chunk)})
    return known


def describe(details: dict[str, Any], skip: Iterable[str] = FIGURES) -> str:
    """A finding's details as one line, e.g. ``gap_days: 3 · score: 6.12``.

    The bill's own figures (``skip``; the table shows them in their own columns) and the
    check's internals (``check_*``, ``magnitude_field``) are left out.
    """
    parts = []
    for key, value in details.items():
        if key in skip or key.startswith("check_") or key == "magnitude_field" or value is None:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else _number(value)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def figures_markdown(row: pd.Series, finding: str = "") -> str:
    """A finding as Markdown: its check and what it means, the bill's figures, then ``finding``.

    No names or ids: ``finding`` (the described details) comes masked from the caller. Every
    value from data (check, severity, unit, ``finding``) is escaped: it shows as text, never as
    Markdown (:func:`core.markup.md`).
    """
    unit = md(row["usage_unit"]) if isinstance(row["usage_unit"], str) else "units"

    def num(value: object, fmt: str, before: str = "", after: str = "") -> str:
        return "n/a" if value is None or pd.isna(value) else f"{before}{value:{fmt}}{after}"

    period = "n/a"
    if pd.notna(row["period_start"]) and pd.notna(row["period_end"]):
        period = f"{row['period_start']:%Y-%m-%d} to {row['period_end']:%Y-%m-%d}"
        period += f" ({row['days']} days)"
    estimated = "n/a" if pd.isna(row["estimated"]) else "yes" if row["estimated"] else "no"
    check = row["detector"]
    lines = [
        f"**{md(check)}** ({md(row['severity'])}): {CHECKS.get(check, '')}\n",
        f"**Billing period** {period}",
        f"**Usage** {num(row['usage'], ',.0f', after=f' {unit}')} · "
        f"{num(row['use_per_day'], ',.1f', after=f' {unit}/day')}",
        f"**Cost** {num(row['cost'], ',.2f', '$')} · "
        + (
            "cost per unit n/a"
            if pd.isna(row["cost_per_unit"])
            else f"${row['cost_per_unit']:,.4f} per {unit}"
        ),
        f"**Demand** {num(row['demand_kw'], ',.1f', after=' kW')} · **Estimated read** {estimated}",
    ]
    if finding:
        lines.append(f"**Details** {md(finding)}")
    return "  \n".join(lines)


def mask_ids(db: Database, df: pd.DataFrame, salt: str | None) -> pd.DataFrame:
    """``df`` with bill ids as ``Bill 3F2A91`` pseudonyms (unchanged when ``salt`` is None).

    Bill ids are the platform's invoice numbers and often embed the meter or utility account:
    screen-share mode hides them like meter ids, in ``bill_id`` and wherever ``details`` names
    an id (another bill, a meter); the names themselves are masked by ``core.ui.mask``.
    """
    if salt is None:
        return df
    out = df.copy()
    if "bill_id" in out.columns:
        out["bill_id"] = [masking.pseudonym("Bill", b, salt) for b in df["bill_id"]]
    if "details" in out.columns:
        strings = {
            v
            for d in df["details"]
            if isinstance(d, dict)
            for x in d.values()
            for v in (x if isinstance(x, list) else [x])
            if isinstance(v, str)
        }
        known = _known_ids(db, strings) if strings else {}

        def label(kind: str, value: object) -> str:
            return masking.pseudonym(kind, value, salt)

        out["details"] = [
            _label_ids(d, label, known) if isinstance(d, dict) else d for d in df["details"]
        ]
    return out
