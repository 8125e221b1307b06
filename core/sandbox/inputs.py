"""Options of the data inputs (meter, building, bill meter, month, date) and their labels.

The page draws a model's inputs in order; a data input's options can depend on the inputs
before it (a month of the building picked above, a day of the meter picked above), so
``options`` receives the values picked so far. Everything is read through the context, so
it is scoped to the user and cached by the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.sandbox.base import Context, Input, SandboxError
from core.sandbox.data import METER_LIMIT, SYNTHETIC

# What the synthetic option is called in each picker.
SYNTHETIC_LABELS = {
    "meter": "Synthetic meter (made-up data with one of each problem)",
    "bill_meter": "Synthetic meter (made-up bills with two outliers)",
    "building": "Synthetic building (made-up demand with morning overshoots)",
}
_NAME_COLUMNS = ("meter_id", "kind", "building_name", "account_name")


@dataclass
class Options:
    """What a data input's picker offers.

    Attributes
    ----------
    values : list
        Option values (ids with ``SYNTHETIC`` first, or ``YYYY-MM`` months); empty for a date.
    names : pd.DataFrame
        One row per id option (``meter_id, kind, building_id, building_name, account_id,
        account_name`` as available), for labels; empty for months and dates.
    default : object
        The option to start on.
    bounds : tuple of date, optional
        First and last day a ``date`` input may take.
    labels : dict
        Option value -> label for options without names (synthetic, months).
    note : str
        A caption for the picker (e.g. the list is cut at ``METER_LIMIT``).
    """

    values: list[Any]
    default: Any
    names: pd.DataFrame = field(default_factory=pd.DataFrame)
    bounds: tuple[dt.date, dt.date] | None = None
    labels: dict[Any, str] = field(default_factory=dict)
    note: str = ""


def _before(inp: Input, values: Mapping[str, Any], kinds: tuple[str, ...], model_inputs) -> Any:
    """The value of the nearest input before ``inp`` whose kind is in ``kinds``."""
    found = None
    for other in model_inputs:
        if other.name == inp.name:
            break
        if other.kind in kinds:
            found = values.get(other.name)
    if found is None:
        raise SandboxError(f"Input {inp.name!r} ({inp.kind}) needs a {' or '.join(kinds)} "
                           "input before it")  # fmt: skip
    return found


def options(
    ctx: Context, inp: Input, values: Mapping[str, Any], inputs: tuple[Input, ...], search: str = ""
) -> Options:
    """The options of data input ``inp``, given the ``values`` of the inputs before it.

    ``search`` narrows the meter lists (id, building or account contains it).
    """
    if inp.kind in ("meter", "bill_meter"):
        loader = "meters" if inp.kind == "meter" else "bill_meters"
        names = ctx.fetch(loader, search) if inp.kind == "meter" else ctx.fetch(loader)
        if inp.kind == "bill_meter" and search:
            text = names.astype(str).apply(lambda c: c.str.lower().str.contains(search.lower()))
            names = names[text.any(axis=1)]
        ids = list(names["meter_id"])
        default = ids[0] if ids else SYNTHETIC
        hit = ctx.fetch("latest_issue", inp.prefer) if inp.prefer else None
        if hit is not None and (hit[0] in ids or not search):
            default = hit[0]
            if hit[0] not in ids:  # beyond the list's limit: offer it anyway
                ids.insert(0, hit[0])
                names = pd.concat([ctx.fetch("meters", hit[0])[lambda d: d.meter_id == hit[0]],
                                   names], ignore_index=True)  # fmt: skip
        note = (f"Showing the first {METER_LIMIT:,} meters; type in the search box to narrow "
                "the list." if len(names) >= METER_LIMIT else "")  # fmt: skip
        return Options([SYNTHETIC, *ids], default, names,
                       labels={SYNTHETIC: SYNTHETIC_LABELS[inp.kind]}, note=note)  # fmt: skip
    if inp.kind == "building":
        names = ctx.fetch("buildings")
        ids = list(names["building_id"])
        return Options([SYNTHETIC, *ids], ids[0] if ids else SYNTHETIC, names,
                       labels={SYNTHETIC: SYNTHETIC_LABELS["building"]})  # fmt: skip
    if inp.kind == "month":
        building = _before(inp, values, ("building",), inputs)
        covered = ctx.fetch("months", building)
        if not covered:
            return Options([], None, note="No readings for this building yet.")
        best = max(covered, key=lambda m: (covered[m], m))  # the best-covered, latest month
        labels = {m: f"{pd.Period(m, 'M'):%B %Y} ({d} days of data)" for m, d in covered.items()}
        return Options(list(covered), best, labels=labels)
    if inp.kind == "date":
        meter = _before(inp, values, ("meter",), inputs)
        first, last = ctx.fetch("meter_days", meter)
        default = last
        for other in inputs:  # the day of the real finding the meter picker started on
            if other.kind == "meter" and other.prefer and values.get(other.name) == meter:
                hit = ctx.fetch("latest_issue", other.prefer)
                if hit is not None and hit[0] == meter and first <= hit[1] <= last:
                    default = hit[1]
        return Options([], default, bounds=(first, last))
    raise SandboxError(f"Input {inp.name!r}: {inp.kind!r} is not a data input")


def label(row: Mapping[str, Any]) -> str:
    """An id option's label from its (possibly masked) name columns: "m-1 · electricity · ..."."""
    parts = [row.get(c) for c in _NAME_COLUMNS]
    if row.get("building_name") is None and "building_id" in row:
        parts[2] = row.get("building_id")
    if "meter_id" not in row:
        parts = [row.get("building_name") or row.get("building_id"), row.get("account_name")]
    return " · ".join(str(p) for p in parts if p is not None and str(p) not in ("", "nan"))


def labels(opts: Options, names: pd.DataFrame, kind: str) -> dict[Any, str]:
    """Option value -> label: ``opts.labels``, then each id option's :func:`label` from ``names``.

    ``names`` is ``opts.names`` as the page shows it (masked in screen-share mode), row for row;
    a ``building`` picker's ids are ``building_id``, the others' ``meter_id``.
    """
    if names.empty:
        return dict(opts.labels)
    ids = opts.names["building_id" if kind == "building" else "meter_id"]
    return {
        **opts.labels,
        **dict(zip(ids, [label(r) for r in names.to_dict("records")], strict=True)),
    }
