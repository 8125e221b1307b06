"""Normalise raw bills for the checks: parse, convert units, and skip what cannot be judged.

``normalise(raw, meters)`` turns bills in the canonical columns (as imported, or as read
from the platform's database, possibly as text) into the frame ``BillContext.bills``
expects. Nothing raises for one bad bill: a bill that cannot be judged is returned in
``skipped`` with every reason, a bill that was repaired or has a doubtful value is kept and
explained in ``notes``. Every reason and note names the bill id and the value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DQHubError
from core.ingest.spec import FALSE_WORDS, TRUE_WORDS

BILL_COLUMNS = (
    "bill_id", "account_id", "building_id", "meter_id", "commodity", "period_start",
    "period_end", "usage", "usage_unit", "cost", "demand_kw", "estimated",
)  # fmt: skip
REQUIRED = ("bill_id", "commodity", "period_start", "period_end", "usage", "usage_unit")
COMMODITIES = ("electricity", "water", "gas")

_KWH, _GAL, _THERM = "kWh", "gal", "therm"
_CCF_GAL = 748.052  # gallons in 100 cubic feet
_CCF_THERM = 1.037  # therms in 100 cubic feet of natural gas (1,037 Btu/cf, US average)
# (commodity, unit spelled lower case without spaces or dots) -> (canonical unit, factor)
UNITS: dict[tuple[str, str], tuple[str, float]] = {
    **{("electricity", u): (_KWH, 1.0) for u in ("kwh", "kilowatthour", "kilowatthours")},
    **{("electricity", u): (_KWH, 1000.0) for u in ("mwh", "megawatthour", "megawatthours")},
    ("electricity", "wh"): (_KWH, 0.001),
    **{("water", u): (_GAL, 1.0) for u in ("gal", "gals", "gallon", "gallons")},
    **{("water", u): (_GAL, 1000.0) for u in ("kgal", "1000gal", "thousandgallons")},
    **{("water", u): (_GAL, _CCF_GAL) for u in ("ccf", "hcf")},
    **{("water", u): (_GAL, _CCF_GAL / 100) for u in ("cf", "ft3", "cuft")},
    ("water", "m3"): (_GAL, 264.172),
    **{("water", u): (_GAL, 0.264172) for u in ("l", "liter", "litre", "liters", "litres")},
    **{("gas", u): (_THERM, 1.0) for u in ("therm", "therms", "thm")},
    **{("gas", u): (_THERM, 10.0) for u in ("dth", "dekatherm", "dekatherms", "mmbtu")},
    ("gas", "ccf"): (_THERM, _CCF_THERM),
    ("gas", "mcf"): (_THERM, 10 * _CCF_THERM),
    ("gas", "cf"): (_THERM, _CCF_THERM / 100),
    ("gas", "m3"): (_THERM, 35.3147 * _CCF_THERM / 100),
    ("gas", "kwh"): (_THERM, 0.0341214),
}

# Shown when a unit is not known (the common spellings, not every alias).
_KNOWN_UNITS = {
    "electricity": "kWh, MWh, Wh",
    "water": "gal, kgal, ccf, cf, m3, l",
    "gas": "therm, dth, ccf, mcf, cf, m3, kWh",
}


class BillInputError(DQHubError):
    """The raw bills frame as a whole is unusable (a required column is missing)."""


def _text(values: pd.Series) -> pd.Series:
    """Stripped text; empty strings become missing."""
    text = values.astype("string").str.strip()
    return text.where(text != "")


def _number(values: pd.Series, currency: bool) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse numbers written as text (as the importer does).

    Currency signs (with ``currency``) and spaces are stripped, ``(12.00)`` is -12, and a
    comma is accepted only as a thousands separator, so ``1.234,50`` is never read as
    1.2345.

    Returns
    -------
    tuple of pd.Series
        float values (NaN when missing or bad), "was tidied" and "is bad" flags.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = values.astype(float)
        bad = pd.Series(~np.isfinite(num) & num.notna(), index=values.index)
        return num.where(~bad), pd.Series(False, index=values.index), bad
    text = _text(values)
    s = text.str.replace(r"[\s$€£]" if currency else r"\s", "", regex=True)
    accounting = s.str.fullmatch(r"\(.*\)").fillna(False)
    s = s.where(~accounting, "-" + s.str.slice(1, -1))
    thousands = s.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?").fillna(False)
    s = s.where(~s.str.contains(",").fillna(False), s.str.replace(",", "").where(thousands))
    num = pd.to_numeric(s, errors="coerce").astype(float)
    num = num.where(np.isfinite(num))
    bad = text.notna() & num.isna()
    tidied = text.notna() & ~bad & (s != text).fillna(False)
    return num, tidied.astype(bool), bad.astype(bool)


def _date(values: pd.Series) -> pd.Series:
    """Dates (``YYYY-MM-DD``, date or timestamp objects) at midnight, naive; NaT when bad."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    dates = pd.to_datetime(values, errors="coerce", format="ISO8601").dt.normalize()
    return dates.astype("datetime64[us]")  # one resolution, whatever came in


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Booleans from bool, 1/0 or true/false/yes/no text; missing is False. Also "is bad"."""
    no = pd.Series(False, index=values.index)
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean").fillna(False).astype(bool), no
    if pd.api.types.is_numeric_dtype(values):
        return values.fillna(0).ne(0), no
    word = _text(values).str.lower()
    true, false = word.isin(TRUE_WORDS), word.isin(FALSE_WORDS)
    return true.astype(bool), (word.notna() & ~true & ~false).astype(bool)


def _shown(values: pd.Series) -> pd.Series:
    """Values as text for messages: dates as ``YYYY-MM-DD``, ``<empty>`` when missing."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d")
    return values.astype("string").fillna("<empty>")


def _unit_key(units: pd.Series) -> pd.Series:
    """Lower case, without spaces or dots: ``"Cu. Ft"`` -> ``"cuft"``."""
    return units.str.lower().str.replace(r"[\s.]", "", regex=True)


Rule = tuple  # (mask, *parts): parts are text or Series shown with ``_shown``


def _messages(label: pd.Series, rules: list[Rule]) -> pd.Series:
    """Per row, the ``"; "``-joined messages of the rules whose mask is True (else missing).

    A message is ``label: `` followed by the rule's parts; Series parts are formatted on
    the flagged rows only, so clean bills cost nothing here.
    """
    out = pd.Series(pd.NA, index=label.index, dtype="string")
    for mask, *parts in rules:  # a fixed list of rules, not a loop over bills
        hit = np.asarray(mask, dtype=bool)
        if not hit.any():
            continue
        msg = label[hit] + ": "
        for part in parts:
            msg = msg + (part if isinstance(part, str) else _shown(part[hit]))
        out[hit] = out[hit].str.cat(msg, sep="; ").fillna(msg)
    return out


def _frame(ids: pd.Series, text: pd.Series, column: str) -> pd.DataFrame:
    """``bill_id, <column>`` rows where ``text`` is present."""
    keep = text.notna().to_numpy()
    return pd.DataFrame({"bill_id": _objects(ids[keep]), column: _objects(text[keep])})


def normalise(
    raw: pd.DataFrame, meters: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Parse, convert and sort raw bills; report the ones that cannot be judged.

    Parameters
    ----------
    raw : pd.DataFrame
        Bills in the canonical columns (``BILL_COLUMNS``; ``account_id``, ``building_id``,
        ``meter_id``, ``cost``, ``demand_kw`` and ``estimated`` may be absent). Values may
        be text.
    meters : pd.DataFrame
        Known meters (``meter_id``, optionally ``account_id``, ``building_id``).

    Returns
    -------
    bills : pd.DataFrame
        ``BILL_COLUMNS`` plus ``days`` (inclusive period length): dates as datetime64 at
        midnight, ``usage``/``cost``/``demand_kw`` float in canonical units (kWh, gal,
        therm), ``estimated`` bool, ``meter_id`` None for building-level bills; sorted by
        ``meter_id`` (missing last), ``period_start``, ``bill_id``.
    skipped : pd.DataFrame
        ``bill_id, reason``: one row per bill left out, every reason joined by ``"; "``.
    notes : pd.DataFrame
        ``bill_id, note``: kept bills whose values were repaired or are doubtful.

    Raises
    ------
    BillInputError
        When a required column is missing (the message names it).
    """
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise BillInputError(
            f"bills lack column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}"
        )
    raw = raw.reset_index(drop=True)
    col = {c: raw[c] if c in raw else pd.Series(pd.NA, index=raw.index) for c in BILL_COLUMNS}
    ids = _text(col["bill_id"])
    label = ("bill " + ids).fillna("row " + pd.Series(raw.index + 1, dtype="string"))
    commodity = _text(col["commodity"]).str.lower()
    start, end = _date(col["period_start"]), _date(col["period_end"])
    usage, _, usage_bad = _number(col["usage"], currency=False)
    cost, cost_tidied, cost_bad = _number(col["cost"], currency=True)
    demand, _, demand_bad = _number(col["demand_kw"], currency=False)
    estimated, estimated_bad = _boolean(col["estimated"])
    unit_text = _text(col["usage_unit"])
    unit, factor = _convert(commodity, unit_text)
    meter_id = _text(col["meter_id"])
    known = meter_id.isin(meters["meter_id"].astype("string"))

    skip = _messages(label, _skip_rules(col, ids, commodity, start, end, usage, usage_bad,
                                        unit_text, unit, meter_id, known))  # fmt: skip
    again = ids.notna() & ids.where(skip.isna()).duplicated(keep="last")  # last valid row wins
    note = _messages(label, [
        (cost_tidied, "cost '", col["cost"], "' read as ", cost),
        (cost_bad, "cost '", col["cost"], "' is not a number; kept without a cost"),
        (cost.isna() & ~cost_bad, "cost is missing"),
        (demand_bad, "demand_kw '", col["demand_kw"], "' is not a number; ignored"),
        (estimated_bad, "estimated '", col["estimated"], "' is not a boolean; read as false"),
        (unit.notna() & (factor != 1.0) & usage.notna(),
         "usage ", usage, " ", unit_text, " converted to ", (usage * factor).round(6), " ", unit),
        (again, "bill_id appears again in a later row; kept the later row"),
    ]).where(skip.isna())  # fmt: skip

    keep = (skip.isna() & ~again).to_numpy()
    bills = pd.DataFrame(
        {
            "bill_id": _objects(ids),
            "account_id": _objects(_text(col["account_id"])),
            "building_id": _objects(_text(col["building_id"])),
            "meter_id": _objects(meter_id),
            "commodity": _objects(commodity),
            "period_start": start,
            "period_end": end,
            "usage": usage * factor,
            "usage_unit": unit,
            "cost": cost,
            "demand_kw": demand,
            "estimated": estimated.astype(bool),
        }
    )[keep]
    bills["days"] = (bills["period_end"] - bills["period_start"]).dt.days.astype(int) + 1
    bills = bills.sort_values(
        ["meter_id", "period_start", "bill_id"], na_position="last", kind="stable",
        ignore_index=True,
    )  # fmt: skip
    return bills, _frame(ids, skip, "reason"), _frame(ids, note, "note")


def _skip_rules(
    col: dict[str, pd.Series],
    ids: pd.Series,
    commodity: pd.Series,
    start: pd.Series,
    end: pd.Series,
    usage: pd.Series,
    usage_bad: pd.Series,
    unit_text: pd.Series,
    unit: pd.Series,
    meter_id: pd.Series,
    known: pd.Series,
) -> list[tuple[pd.Series, pd.Series | str]]:
    """(mask, message) of every reason to skip a bill."""  # fmt: skip
    listed = ", ".join(COMMODITIES)
    return [
        (ids.isna(), "bill_id is missing"),
        (commodity.isna(), "commodity is missing"),
        (commodity.notna() & ~commodity.isin(COMMODITIES),
         "commodity '", col["commodity"], "' is not one of " + listed),
        (start.isna(), "period_start '", col["period_start"], "' is not a date"),
        (end.isna(), "period_end '", col["period_end"], "' is not a date"),
        (end < start, "period_end ", end, " is before period_start ", start),
        (usage.isna() & ~usage_bad, "usage is missing"),
        (usage_bad, "usage '", col["usage"], "' is not a number"),
        (unit_text.isna(), "usage_unit is missing"),
        (unit_text.notna() & commodity.isin(COMMODITIES) & unit.isna(),
         "usage_unit '", col["usage_unit"], "' is not a known ", commodity, " unit (known: ",
         commodity.map(_KNOWN_UNITS), ")"),
        (meter_id.notna() & ~known, "meter_id '", col["meter_id"], "' is not a known meter"),
    ]  # fmt: skip


def _convert(commodity: pd.Series, unit_text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical unit (None when unknown) and factor to it, per bill, via one merge."""
    table = pd.DataFrame(
        [(c, u, canonical, f) for (c, u), (canonical, f) in UNITS.items()],
        columns=["commodity", "key", "unit", "factor"],
    )
    wanted = pd.DataFrame({"commodity": _objects(commodity), "key": _objects(_unit_key(unit_text))})
    found = wanted.merge(table, how="left", on=["commodity", "key"])  # keeps the left order
    unit = pd.Series(_objects(found["unit"]), index=commodity.index, dtype=object)
    factor = pd.Series(found["factor"].to_numpy(dtype=float), index=commodity.index)
    return unit, factor


def _objects(values: pd.Series) -> np.ndarray:
    """An object array with None for missing values (ids and names)."""
    values = pd.Series(values).astype(object)
    return values.where(values.notna(), None).to_numpy(dtype=object)
