"""Every registered bill check honours the shared signature (core/bills/base.py)."""

import dataclasses
import json
import pathlib
import re

import numpy as np
import pandas as pd
import pytest

from core.bills import REGISTRY
from core.bills.base import RESULT_COLUMNS, BillContext
from core.bills.checks import _example
from core.bills.normalise import normalise
from tests.core.bills import synthetic
from tests.core.bills.billmaker import make_bills, make_ctx, monthly

MODULES = list(REGISTRY.values()) + [_example]  # the template must honour the contract too
SEVERITIES = {"low", "medium", "high"}
DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "bills.md"
CONTRACT = {
    "bill_gap", "bill_overlap", "bill_duplicate", "period_length", "zero_usage",
    "negative_value", "usage_outlier", "unit_rate_outlier", "demand_impossible", "stale_bill",
    "estimated_streak", "bill_interval_mismatch", "future_period",
}  # fmt: skip
PER_METER = {
    "bill_gap", "bill_overlap", "bill_duplicate", "usage_outlier", "unit_rate_outlier",
    "stale_bill", "estimated_streak", "bill_interval_mismatch",
}  # fmt: skip


def ids(module):
    return module.NAME


@pytest.fixture(scope="module")
def messy():
    """A small generated set with every kind of problem, normalised."""
    bs = synthetic.generate(seed=1, n_meters=160, per_check=3)
    bills, _, _ = normalise(bs.bills, bs.meters)
    return BillContext(synthetic.DEFAULT_RUN_DATE, bills, bs.meters, bs.interval_usage)


def run(module, ctx):
    return module.check(ctx, module.Params())


def test_registry_is_the_contract():
    assert set(REGISTRY) == CONTRACT
    for key, module in REGISTRY.items():
        assert key == module.NAME


def test_example_is_not_registered():
    assert _example.NAME not in REGISTRY
    assert _example not in REGISTRY.values()


@pytest.mark.parametrize("module", list(REGISTRY.values()), ids=ids)
def test_finds_something_on_the_messy_set(module, messy):
    assert len(run(module, messy)) > 0


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_result_shape(module, messy):
    found = run(module, messy)
    assert list(found.columns) == RESULT_COLUMNS
    assert set(found["severity"]) <= SEVERITIES
    magnitude = found["magnitude"].to_numpy(dtype=float)
    assert np.isfinite(magnitude).all()
    for details in found["details"]:
        assert isinstance(details, dict) and details
        json.dumps(details, allow_nan=False)  # stored as JSON text
    known = set(messy.bills["bill_id"])
    assert all(b is None or b != b or b in known for b in found["bill_id"])


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_input_is_not_modified(module, messy):
    before = messy.bills.copy()
    run(module, messy)
    pd.testing.assert_frame_equal(messy.bills, before)


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_empty_input_gives_an_empty_result(module):
    found = run(module, make_ctx(make_bills([])))
    assert list(found.columns) == RESULT_COLUMNS and found.empty


@pytest.mark.parametrize("module", MODULES, ids=ids)
@pytest.mark.parametrize(
    "bill",
    [
        {"start": "2025-05-01", "end": "2025-05-31"},
        {"start": "2025-05-01", "end": "2025-05-31", "usage": np.nan, "cost": np.nan},
        {"start": "2025-05-01", "end": "2025-05-01", "usage": 0.0, "demand_kw": 0.0},
        {"start": "2025-05-01", "end": "2025-05-31", "meter_id": None},
    ],
    ids=["normal", "missing-figures", "one-day-zero", "no-meter"],
)
def test_a_single_bill_does_not_raise(module, bill):
    found = run(module, make_ctx(make_bills([bill])))
    assert list(found.columns) == RESULT_COLUMNS


@pytest.mark.parametrize("module", list(REGISTRY.values()), ids=ids)
def test_bills_without_a_meter(module):
    """Per-meter checks never judge bills without a meter; the others report meter_id None."""
    rows = monthly(13, meter_id=None, usage=[3000] * 6 + [0, -5, 9000, 3000, 3000, 3000, 3000])
    rows[3]["estimated"] = rows[4]["estimated"] = rows[5]["estimated"] = True
    rows[10]["end"] = "2025-12-31"  # long and in the future
    found = run(module, make_ctx(make_bills(rows)))
    if module.NAME in PER_METER:
        assert found.empty
    else:
        assert found["meter_id"].isna().all()


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_module_metadata(module):
    assert module.__doc__ and module.__doc__.strip()
    assert module.NAME == pathlib.Path(module.__file__).stem
    assert isinstance(module.MAGNITUDE_UNIT, str) and module.MAGNITUDE_UNIT
    assert module.check.__doc__


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_params_frozen_with_defaults(module):
    assert dataclasses.is_dataclass(module.Params)
    params = module.Params()  # every field has a default
    fields = dataclasses.fields(params)
    assert fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(params, fields[0].name, 1)
    for field in fields:  # every field is documented in the numpy-style docstring
        assert re.search(rf"^\s+{field.name} : ", module.Params.__doc__, re.M), field.name


@pytest.mark.parametrize("module", list(REGISTRY.values()), ids=ids)
def test_listed_in_docs(module):
    text = DOCS.read_text()
    section = re.search(rf"^## {module.NAME}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"docs/bills.md has no '## {module.NAME}' section"
    body = section.group(1)
    for field in dataclasses.fields(module.Params):
        assert f"`{field.name}`" in body, f"{module.NAME}.{field.name} not documented"
        value = getattr(module.Params(), field.name)
        assert any(f in body for f in _spellings(value)), f"{module.NAME}.{field.name} default"
    assert module.MAGNITUDE_UNIT in body
    assert "Severity" in body


def _spellings(value):
    """Ways the docs may write a default: 0.5, 1000 or 1,000, 1e-05 or 0.00001, True."""
    out = {str(value)}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        out |= {f"{value:g}", f"{value:,}", f"{value:,.0f}", f"{value:f}".rstrip("0").rstrip(".")}
    return out
