"""Synthetic utility bills with known injected problems, for the checks' quality test (test-only).

``generate`` builds a clean monthly bill history per meter from a daily "true use" series
(seasonal, trending, noisy), the interval usage the platform's readings would give for each
bill, and a few building-level gas bills without a meter. It then injects about
``per_check`` problems of every check type, each on its own meter, and returns the list.
The bills come in the raw canonical form (some water bills in ccf or kgal, some
electricity in MWh, one account's costs written as ``"$1,234.50"``) so that
``core.bills.normalise`` is part of what is measured.

Harmless oddities that must NOT be flagged: seasonal swings and yearly trends, a tariff
step of up to 5%, read days varying by account (28 to 31-day periods), random single
estimated bills, building-level gas bills, and bills whose interval coverage is under 90%
with an interval sum far off the bill.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from core.bills.normalise import BILL_COLUMNS

DEFAULT_RUN_DATE = dt.date(2025, 6, 15)
INJECTED_COLUMNS = ("check", "bill_id", "meter_id", "note")
# Checks keyed by meter in ``injected`` (bill_id empty); every other check is keyed by bill.
METER_KEYED = ("stale_bill",)
_ORDER = (  # injection order: the most constrained meter pools first
    "demand_impossible", "bill_interval_mismatch", "estimated_streak", "bill_gap",
    "bill_overlap", "bill_duplicate", "period_length", "zero_usage", "negative_value",
    "usage_outlier", "unit_rate_outlier", "stale_bill", "future_period",
)  # fmt: skip
_RAW_UNITS = {  # raw unit -> factor to the canonical unit (water bills of some accounts)
    "gal": 1.0,
    "ccf": 748.052,
    "kgal": 1000.0,
}
_CLEAN_COVERAGE = (0.93, 1.0)
_LOW_COVERAGE_SHARE = 0.06  # bills with coverage under 0.9 and a skewed interval sum


class BillSet(NamedTuple):
    """A generated bill set; unpacks as ``bills, meters, interval_usage, injected``.

    Attributes
    ----------
    bills : pd.DataFrame
        Raw bills, canonical columns (``BILL_COLUMNS``), to pass through ``normalise``.
    meters : pd.DataFrame
        ``meter_id, building_id, account_id, kind, unit, interval_minutes``.
    interval_usage : pd.DataFrame
        ``bill_id, interval_sum, coverage`` for bills of meters with interval data (in the
        meter's unit), consistent with the clean bills except where a mismatch is injected.
    injected : pd.DataFrame
        ``check, bill_id, meter_id, note``: the problems a check must find. ``bill_id`` is
        the bill the finding is reported on; for ``stale_bill`` it is empty (per meter).
    """

    bills: pd.DataFrame
    meters: pd.DataFrame
    interval_usage: pd.DataFrame
    injected: pd.DataFrame


def generate(
    seed: int = 11,
    n_meters: int = 260,
    months: int = 13,
    run_date: dt.date = DEFAULT_RUN_DATE,
    per_check: int = 10,
) -> BillSet:
    """Generate a clean bill set plus ``per_check`` injected problems of every check.

    Parameters
    ----------
    seed : int
        Random seed; the same seed gives the same set.
    n_meters : int
        Meters (65% electricity in kWh, 35% water in gal; 70% have interval data). Needs
        at least ``13 * per_check`` meters plus clean ones: each problem has its own meter.
    months : int
        Monthly bills per meter (at least 8); with 13 the last bill has a same month last
        year.
    run_date : date
        The run date the set is built for: every clean meter's latest bill ends within
        41 days before it.
    per_check : int
        Injected problems per check.

    Returns
    -------
    BillSet
        ``(bills, meters, interval_usage, injected)``.
    """
    if months < 8 or n_meters < len(_ORDER) * per_check + 20:
        raise ValueError(
            f"generate needs months >= 8 and n_meters >= {len(_ORDER) * per_check + 20} "
            f"for per_check={per_check}; got months={months}, n_meters={n_meters}"
        )
    rng = np.random.default_rng(seed)
    run = pd.Timestamp(run_date)
    meters = _meters(rng, n_meters)
    calendar = _calendar(rng, meters["account_id"].unique(), months, run)
    injector = _Injector(rng, _plan(rng, meters, calendar), meters, months, run)
    for check in _ORDER:
        for _ in range(per_check):
            getattr(injector, check)(injector.pick(check))
    bills, intervals = _materialise(rng, injector.plan, meters)
    gas = _gas_bills(rng, meters, calendar)
    bills = pd.concat([_raw(rng, bills), gas], ignore_index=True)[list(BILL_COLUMNS)]
    injected = pd.DataFrame(injector.found, columns=list(INJECTED_COLUMNS))
    return BillSet(bills, meters, intervals, injected)


def _meters(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Meters: 3 per building, 4 buildings per account."""
    i = np.arange(n)
    elec = rng.random(n) < 0.65
    out = pd.DataFrame(
        {
            "meter_id": [f"sm-{k:04d}" for k in i],
            "building_id": [f"sb-{k // 3:03d}" for k in i],
            "account_id": [f"sa-{k // 12:02d}" for k in i],
            "kind": np.where(elec, "electricity", "water"),
            "unit": np.where(elec, "kWh", "gal"),
            "interval_minutes": 15,
        }
    )
    out["_interval"] = rng.random(n) < 0.7  # meters with platform interval readings
    # true use per day: electricity 100-5,000 kWh, water 200-20,000 gal
    out["_base"] = np.where(
        elec, np.exp(rng.uniform(4.6, 8.5, n)), np.exp(rng.uniform(5.3, 9.9, n))
    )
    out["_amplitude"] = np.where(elec, rng.uniform(0.05, 0.2, n), rng.uniform(0.0, 0.12, n))
    out["_phase"] = rng.uniform(0, 365, n)
    out["_trend"] = rng.uniform(-0.05, 0.05, n)
    out["_load_factor"] = np.where(elec, rng.uniform(0.3, 0.65, n), np.nan)
    return out


def _add_months(day: pd.Timestamp, k: int) -> pd.Timestamp:
    """``day`` moved by ``k`` months (day of month at most 28, so always valid)."""
    return day + pd.DateOffset(months=k)


def _calendar(
    rng: np.random.Generator, accounts: np.ndarray, months: int, run: pd.Timestamp
) -> dict[str, list[pd.Timestamp]]:
    """Per account, the start of each monthly period.

    Each account has its own read day; its latest period ends 1 to 10 days (its billing
    lag) before the run date.
    """
    out = {}
    for acc in accounts:  # a handful of accounts; bills are generated as arrays below
        day, lag = int(rng.integers(1, 29)), pd.Timedelta(days=int(rng.integers(1, 11)))
        last = pd.Timestamp(run.year, run.month, day)
        while _add_months(last, 1) - pd.Timedelta(days=1) > run - lag:
            last = _add_months(last, -1)
        out[acc] = [_add_months(last, p - months + 1) for p in range(months)]
    return out


def _plan(rng: np.random.Generator, meters: pd.DataFrame, calendar: dict) -> pd.DataFrame:
    """One row per clean bill: meter row, period, flags and the factors injections edit."""
    starts = [calendar[acc] for acc in meters["account_id"]]
    months = len(starts[0])
    plan = pd.DataFrame(
        {
            "m": np.repeat(np.arange(len(meters)), months),
            "p": np.tile(np.arange(months), len(meters)),
            "start": pd.to_datetime(np.concatenate(starts)),
        }
    )
    plan["end"] = plan["start"] + pd.DateOffset(months=1) - pd.Timedelta(days=1)
    plan.index = meters["meter_id"].to_numpy()[plan["m"]] + "-" + plan["start"].dt.strftime("%Y%m")
    plan.index.name = "bill_id"
    est = rng.random(len(plan)) < 0.03
    est &= ~np.r_[False, est[:-1]] | (plan["p"].to_numpy() == 0)  # never two in a row
    plan["estimated"] = est
    for col in ("usage_factor", "cost_factor", "interval_factor"):
        plan[col] = 1.0
    plan["load_factor"] = np.nan  # override of the meter's load factor
    plan["special"] = ""  # zero, neg_usage, credit, neg_demand, demand_mw, copy_use, duplicate
    plan["copy_from"] = None
    low = rng.random(len(plan)) < _LOW_COVERAGE_SHARE
    plan["coverage"] = np.where(
        low, rng.uniform(0.4, 0.88, len(plan)), rng.uniform(*_CLEAN_COVERAGE, len(plan))
    )
    plan["interval_skew"] = np.where(low, rng.uniform(0.5, 0.8, len(plan)), 1.0)
    plan["has_interval"] = meters["_interval"].to_numpy()[plan["m"].to_numpy()]
    return plan


class _Injector:
    """Edits the plan to inject one problem per call and records it in ``found``."""

    def __init__(self, rng, plan, meters, months, run) -> None:
        self.rng, self.plan, self.months, self.run = rng, plan, months, run
        self.ids = plan.reset_index().pivot(index="m", columns="p", values="bill_id").to_numpy()
        self.used = np.zeros(len(meters), dtype=bool)
        self.elec = (meters["kind"] == "electricity").to_numpy()
        self.interval = meters["_interval"].to_numpy()
        self.meter_ids = meters["meter_id"].to_numpy()
        self.found: list[tuple] = []

    def pick(self, check: str) -> int:
        """A fresh meter for ``check`` (electricity, with or without interval data, any)."""
        ok = ~self.used
        if check == "demand_impossible":
            ok &= self.elec
        elif check == "bill_interval_mismatch":
            ok &= self.interval
        elif check == "estimated_streak":
            ok &= ~self.interval  # copied use per day would also differ from the readings
        m = int(self.rng.choice(np.flatnonzero(ok)))
        self.used[m] = True
        return m

    def _k(self, lo: int, hi: int) -> int:
        """A bill index in [lo, hi] (negative = from the end)."""
        return int(self.rng.integers(lo % self.months, hi % self.months + 1))

    def _add(self, check: str, bill_id: str | None, m: int, note: str) -> None:
        self.found.append((check, bill_id, self.meter_ids[m], note))

    def _set(self, bill_id: str, **values) -> None:
        for col, value in values.items():
            self.plan.loc[bill_id, col] = value

    def bill_gap(self, m: int) -> None:
        k, n = self._k(2, -4), int(self.rng.integers(1, 3))
        self.plan = self.plan.drop(self.ids[m, k : k + n])
        self._add("bill_gap", self.ids[m, k + n], m, f"{n} bill(s) missing")

    def bill_overlap(self, m: int) -> None:
        k = self._k(2, -3)
        a, b = self.ids[m, k], self.ids[m, k + 1]
        if self.rng.random() < 0.5:  # a revised bill that did not replace the original
            revised = f"{a}-R"
            self.plan.loc[revised] = self.plan.loc[a]
            factor = self.rng.choice([-1, 1]) * self.rng.uniform(0.02, 0.05) + 1
            self._set(revised, usage_factor=factor, estimated=False)
            self._add("bill_overlap", revised, m, "revised bill for the same period")
            return
        ends_later = min(3, 35 - self._days(a))
        starts_earlier = min(3, 35 - self._days(b))
        self._set(a, end=self.plan.loc[a, "end"] + pd.Timedelta(days=ends_later))
        self._set(b, start=self.plan.loc[b, "start"] - pd.Timedelta(days=starts_earlier))
        self._add("bill_overlap", b, m, f"{ends_later + starts_earlier} days overlap")

    def bill_duplicate(self, m: int) -> None:
        a = self.ids[m, self._k(1, -2)]
        self.plan.loc[f"{a}-dup"] = self.plan.loc[a]
        self._set(f"{a}-dup", special="duplicate", copy_from=a)
        self._add("bill_duplicate", f"{a}-dup", m, f"copy of {a}")

    def period_length(self, m: int) -> None:
        k = self._k(2, -5)
        ids = self.ids[m]
        flavour = self.rng.integers(3)
        if flavour < 2:  # two or three months billed as one bill
            span = ids[k : k + 2 + flavour]
            self._set(span[0], end=self.plan.loc[span[-1], "end"], estimated=False)
            self.plan = self.plan.drop(span[1:])
            self._add("period_length", span[0], m, f"{len(span)} months in one bill")
            return
        shift = pd.Timedelta(days=int(self.rng.integers(8, 11)))  # read date moved earlier
        self._set(ids[k], end=self.plan.loc[ids[k], "end"] - shift)
        self._set(ids[k + 1], start=self.plan.loc[ids[k + 1], "start"] - shift)
        self._add("period_length", ids[k], m, "short bill (read date moved)")
        self._add("period_length", ids[k + 1], m, "long bill after a short one")

    def zero_usage(self, m: int) -> None:
        a = self.ids[m, self._k(1, -1)]
        self._set(a, special="zero")
        self._add("zero_usage", a, m, "usage 0")

    def negative_value(self, m: int) -> None:
        a = self.ids[m, self._k(1, -1)]
        options = ["neg_usage", "credit"] + (["neg_demand"] if self.elec[m] else [])
        kind = str(self.rng.choice(options))
        self._set(a, special=kind)
        self._add("negative_value", a, m, kind)

    def usage_outlier(self, m: int) -> None:
        k = self.months - 1 if self.rng.random() < 0.5 else self._k(4, -2)
        spike = self.rng.random() < 0.5
        factor = self.rng.uniform(3, 5) if spike else self.rng.uniform(0.1, 0.25)
        self._set(self.ids[m, k], usage_factor=factor)
        basis = "same month last year" if k == self.months - 1 else "recent bills"
        self._add("usage_outlier", self.ids[m, k], m, f"use x{factor:.2f} ({basis})")

    def unit_rate_outlier(self, m: int) -> None:
        a = self.ids[m, self._k(4, -1)]
        up = self.rng.random() < 0.5
        factor = self.rng.uniform(1.6, 2.5) if up else self.rng.uniform(0.3, 0.55)
        self._set(a, cost_factor=factor)
        self._add("unit_rate_outlier", a, m, f"cost x{factor:.2f}")

    def demand_impossible(self, m: int) -> None:
        a = self.ids[m, self._k(0, -1)]
        megawatts = self.rng.random() < 0.3
        lf = self.rng.uniform(1.3, 2.5)
        self._set(a, load_factor=lf, special="demand_mw" if megawatts else "")
        self._add(
            "demand_impossible", a, m, "demand in MW" if megawatts else f"load factor {lf:.2f}"
        )

    def stale_bill(self, m: int) -> None:
        ids = self.ids[m]
        keep = self.months - 1
        while self.run - self.plan.loc[ids[keep], "end"] <= pd.Timedelta(days=50):
            keep -= 1
        self.plan = self.plan.drop(ids[keep + 1 :])
        self._add(
            "stale_bill", None, m, f"no bill after {self.plan.loc[ids[keep], 'end']:%Y-%m-%d}"
        )

    def estimated_streak(self, m: int) -> None:
        n = int(self.rng.integers(3, 6))
        k = self._k(1, self.months - n - 1)
        ids = self.ids[m]
        for j in (k - 1, k + n):  # neighbours clean, so the streak starts at k
            if 0 <= j < self.months:
                self._set(ids[j], estimated=False)
        if self.rng.random() < 0.5:
            for a in ids[k : k + n]:
                self._set(a, estimated=True)
            self._add("estimated_streak", ids[k], m, f"{n} estimated bills")
            return
        for a in ids[k : k + n]:
            self._set(a, estimated=False)
        self._set(ids[k - 1], usage_factor=1.03)  # never the same use per day by chance
        for a in ids[k + 1 : k + n]:
            self._set(a, special="copy_use", copy_from=ids[k])
        self._add("estimated_streak", ids[k], m, f"{n} bills with the same use per day")

    def bill_interval_mismatch(self, m: int) -> None:
        a = self.ids[m, self._k(0, -1)]
        factor = (
            self.rng.uniform(0.6, 0.8) if self.rng.random() < 0.5 else self.rng.uniform(1.25, 1.6)
        )
        self._set(a, interval_factor=factor, interval_skew=1.0,
                  coverage=self.rng.uniform(*_CLEAN_COVERAGE))  # fmt: skip
        self._add("bill_interval_mismatch", a, m, f"readings x{factor:.2f}")

    def future_period(self, m: int) -> None:
        last = self.plan.loc[self.ids[m, -1]]
        start = last["end"] + pd.Timedelta(days=1)
        while True:  # append bills until one ends after the run date (only that one is wrong)
            end = _add_months(start, 1) - pd.Timedelta(days=1)
            bill_id = f"{self.meter_ids[m]}-{start:%Y%m}"
            row = last.copy()
            row[["start", "end", "estimated", "has_interval"]] = [
                start,
                end,
                False,
                end <= self.run,
            ]
            self.plan.loc[bill_id] = row
            if end > self.run:
                break
            start = end + pd.Timedelta(days=1)
        self._add("future_period", bill_id, m, f"ends {end:%Y-%m-%d}")

    def _days(self, bill_id: str) -> int:
        row = self.plan.loc[bill_id]
        return (row["end"] - row["start"]).days + 1


def _daily(rng: np.random.Generator, meters: pd.DataFrame, first: pd.Timestamp, n_days: int):
    """True use per meter and day: seasonal, trending, 8% day-to-day noise."""
    day = np.arange(n_days)
    doy = (first.day_of_year + day)[None, :]
    col = {c: meters[c].to_numpy()[:, None] for c in ("_base", "_amplitude", "_phase", "_trend")}
    season = 1 + col["_amplitude"] * np.sin(2 * np.pi * (doy - col["_phase"]) / 365.0)
    trend = 1 + col["_trend"] * day[None, :] / 365.0
    noise = rng.lognormal(0.0, 0.08, (len(meters), n_days))
    return col["_base"] * season * trend * noise


def _materialise(
    rng: np.random.Generator, plan: pd.DataFrame, meters: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bills (canonical units) and interval usage from the plan and the true daily use."""
    plan = plan.reset_index()
    n = len(plan)
    first = plan["start"].min()
    a = (plan["start"] - first).dt.days.to_numpy()
    z = (plan["end"] - first).dt.days.to_numpy() + 1
    days = z - a
    daily = _daily(rng, meters, first, int(z.max()))
    cum = np.concatenate([np.zeros((len(meters), 1)), daily.cumsum(axis=1)], axis=1)
    m = plan["m"].to_numpy(dtype=int)
    true_use = (cum[m, z] - cum[m, a]) * plan["usage_factor"].to_numpy(dtype=float)
    usage = true_use * rng.normal(1.0, 0.01, n)
    special = plan["special"].to_numpy()
    per_day = pd.Series(usage / days, index=plan["bill_id"])
    copy = special == "copy_use"
    usage[copy] = per_day[plan.loc[copy, "copy_from"]].to_numpy() * days[copy]
    usage[special == "zero"] = 0.0
    usage = np.round(usage, 2)

    meter = meters.iloc[m]
    elec = (meter["kind"] == "electricity").to_numpy()
    lf = np.where(plan["load_factor"].notna(), plan["load_factor"].astype(float),
                  meter["_load_factor"].to_numpy() * rng.uniform(0.95, 1.05, n))  # fmt: skip
    demand = true_use / (days * 24 * lf)
    mw = special == "demand_mw"  # demand written in MW: 3 decimals, 1000 times too small
    lf[mw] = meter["_load_factor"].to_numpy()[mw]
    demand = np.where(mw, np.round(true_use / (days * 24 * lf) / 1000, 3), np.round(demand, 1))
    demand = np.where(elec & (special != "zero"), demand, np.nan)
    demand[special == "neg_demand"] *= -1

    accounts = meters["account_id"].unique()
    rate_of = dict(zip(accounts, rng.uniform(0.10, 0.22, len(accounts)), strict=True))
    step_of = dict(zip(accounts, rng.uniform(0.0, 0.05, len(accounts)), strict=True))
    acc = meter["account_id"].to_numpy()
    rate = np.array([rate_of[x] for x in acc]) * np.where(elec, 1.0, 0.05)  # $/gal << $/kWh
    fixed = 0.01 * meter["_base"].to_numpy() * 30 * rate
    stepped = (plan["start"] >= first + pd.Timedelta(days=200)).to_numpy()
    rate = rate * (1 + np.where(stepped, [step_of[x] for x in acc], 0.0))
    cost = np.abs(usage) * rate * rng.normal(1.0, 0.005, n) + fixed
    cost *= plan["cost_factor"].to_numpy(dtype=float)
    cost = np.where(special == "zero", fixed, cost)
    cost = np.where(special == "neg_usage", -cost, cost)
    cost = np.where(special == "credit", -rng.uniform(50, 500, n), cost)
    usage = np.where(special == "neg_usage", -usage, usage)
    dup = np.flatnonzero(special == "duplicate")  # the very same figures as the original
    src = pd.Index(plan["bill_id"]).get_indexer(plan["copy_from"].iloc[dup])
    usage[dup], cost[dup], demand[dup] = usage[src], cost[src], demand[src]

    bills = pd.DataFrame(
        {
            "bill_id": plan["bill_id"],
            "account_id": acc,
            "building_id": meter["building_id"].to_numpy(),
            "meter_id": meter["meter_id"].to_numpy(),
            "commodity": meter["kind"].to_numpy(),
            "period_start": plan["start"],
            "period_end": plan["end"],
            "usage": usage,
            "usage_unit": meter["unit"].to_numpy(),
            "cost": np.round(cost, 2),
            "demand_kw": demand,
            "estimated": plan["estimated"].astype(bool).to_numpy(),
        }
    )
    has = plan["has_interval"].astype(bool).to_numpy()
    coverage = plan["coverage"].to_numpy(dtype=float, copy=True)
    interval = (
        true_use * coverage * plan["interval_skew"].to_numpy(dtype=float)
        * plan["interval_factor"].to_numpy(dtype=float) * rng.normal(1.0, 0.005, n)
    )  # fmt: skip
    interval[dup], coverage[dup] = interval[src], coverage[src]
    intervals = pd.DataFrame(
        {"bill_id": plan["bill_id"], "interval_sum": np.round(interval, 3), "coverage": coverage}
    )[has]
    return bills, intervals.reset_index(drop=True)


def _raw(rng: np.random.Generator, bills: pd.DataFrame) -> pd.DataFrame:
    """Write bills as utilities do: some in ccf, kgal or MWh, one account's costs as text.

    Text costs look like ``"$1,234.50"`` (``"($12.00)"`` for a credit).
    """
    out = bills.copy()
    accounts = out["account_id"].unique()
    water_unit = dict(zip(accounts, rng.choice(list(_RAW_UNITS), len(accounts)), strict=True))
    mwh = set(rng.choice(accounts, max(1, len(accounts) // 8), replace=False))
    water = (out["commodity"] == "water").to_numpy()
    unit = np.where(water, out["account_id"].map(water_unit), "kWh")
    unit = np.where(~water & out["account_id"].isin(mwh), "MWh", unit)
    factor = pd.Series(unit).map({**_RAW_UNITS, "kWh": 1.0, "MWh": 1000.0}).to_numpy()
    out["usage_unit"] = unit
    out["usage"] = np.where(factor == 1.0, out["usage"], np.round(out["usage"] / factor, 4))
    texts = out["account_id"] == accounts[0]
    cost = out.loc[texts, "cost"]
    text = cost.abs().map("${:,.2f}".format)
    out["cost"] = out["cost"].astype(object)
    out.loc[texts, "cost"] = text.where(cost >= 0, "(" + text + ")")
    return out


def _gas_bills(rng: np.random.Generator, meters: pd.DataFrame, calendar: dict) -> pd.DataFrame:
    """Building-level gas bills (no meter_id) for one building in eight, in therms."""
    buildings = meters.drop_duplicates("building_id")[::8]
    starts = [calendar[acc] for acc in buildings["account_id"]]
    months = len(starts[0])
    start = pd.Series(pd.to_datetime(np.concatenate(starts)))
    end = start + pd.DateOffset(months=1) - pd.Timedelta(days=1)
    days = (end - start).dt.days.to_numpy() + 1
    season = 1 + 0.5 * np.cos(2 * np.pi * (start.dt.day_of_year.to_numpy() - 15) / 365.0)
    base = np.repeat(rng.uniform(5, 80, len(buildings)), months)
    usage = np.round(base * season * days * rng.normal(1.0, 0.03, len(start)), 1)
    return pd.DataFrame(
        {
            "bill_id": np.repeat(buildings["building_id"].to_numpy(), months)
            + "-gas-" + start.dt.strftime("%Y%m").to_numpy(),
            "account_id": np.repeat(buildings["account_id"].to_numpy(), months),
            "building_id": np.repeat(buildings["building_id"].to_numpy(), months),
            "meter_id": None,
            "commodity": "gas",
            "period_start": start,
            "period_end": end,
            "usage": usage,
            "usage_unit": "therms",
            "cost": np.round(usage * 1.2 + 15.0, 2),
            "demand_kw": np.nan,
            "estimated": False,
        }
    )  # fmt: skip
