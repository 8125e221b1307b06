"""Quality on a generated bill set (not the demo's): recall per check and overall precision.

A finding is true when it matches an injected problem of the same check on the same bill
(on the same meter for ``stale_bill``). ``-s`` prints the figures.
"""

import datetime as dt

import pandas as pd
import pytest

from core.bills import REGISTRY
from core.bills.base import BillContext
from core.bills.normalise import normalise
from tests.core.bills import synthetic

SEED = 2024  # the demo uses 42; the contract tests 1
RUN_DATE = dt.date(2025, 9, 30)
MIN_RECALL = 0.9
MIN_PRECISION = 0.9


@pytest.fixture(scope="module")
def scored():
    bs = synthetic.generate(seed=SEED, run_date=RUN_DATE)
    bad = pd.DataFrame(  # bad input rides along: skipped, and the run goes on
        [
            {**bs.bills.iloc[0].to_dict(), "bill_id": "bad-dates", "period_end": "2020-01-01"},
            {**bs.bills.iloc[0].to_dict(), "bill_id": "bad-usage", "usage": None},
            {**bs.bills.iloc[0].to_dict(), "bill_id": "bad-unit", "usage_unit": "bushels"},
            {**bs.bills.iloc[0].to_dict(), "bill_id": "bad-meter", "meter_id": "sm-9999"},
        ]
    )
    bills, skipped, notes = normalise(pd.concat([bs.bills, bad], ignore_index=True), bs.meters)
    ctx = BillContext(RUN_DATE, bills, bs.meters, bs.interval_usage)
    found = {name: module.check(ctx, module.Params()) for name, module in REGISTRY.items()}
    return bs, skipped, notes, found


def _key(check):
    return "meter_id" if check in synthetic.METER_KEYED else "bill_id"


def test_bad_input_is_skipped_with_ids(scored):
    _, skipped, notes, _ = scored
    assert set(skipped["bill_id"]) == {"bad-dates", "bad-usage", "bad-unit", "bad-meter"}
    assert notes["note"].str.contains("read as").any()  # one account's costs are text


def test_recall_and_precision(scored):
    bs, _, _, found = scored
    injected = bs.injected
    lines, true_total, found_total = [], 0, 0
    recall = {}
    for name, result in found.items():
        key = _key(name)
        want = set(injected.loc[injected["check"] == name, key])
        got = list(result[key])
        true = sum(1 for x in got if x in want)
        recall[name] = len(want & set(got)) / len(want)
        true_total += true
        found_total += len(got)
        lines.append(
            f"{name:24s} recall {len(want & set(got)):3d}/{len(want):<3d} = {recall[name]:.2f}"
            f"   precision {true:3d}/{len(got):<3d}"
        )
    precision = true_total / found_total
    print(f"\nbill checks, synthetic seed {SEED}, run date {RUN_DATE}:")
    print("\n".join(lines))
    print(f"overall precision {true_total}/{found_total} = {precision:.3f}")
    assert set(recall) == set(injected["check"])  # every check has injected problems
    assert all(r >= MIN_RECALL for r in recall.values()), recall
    assert precision >= MIN_PRECISION
