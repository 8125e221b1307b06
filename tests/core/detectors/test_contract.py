"""Every registered detector honours the shared signature (core/detectors/base.py)."""

import dataclasses
import pathlib
import re

import numpy as np
import pytest

from core.detectors import REGISTRY, _example
from core.detectors.base import SCOPES, SEVERITIES, Detection, Grid, scope
from tests.core.detectors.gridmaker import make_grid, tiny_grid, with_values

MODULES = list(REGISTRY.values()) + [_example]  # the template must honour the contract too
NAN_FLAGGERS = {"missing_data", "offline"}
DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "detectors.md"


def ids(module):
    return module.NAME


@pytest.fixture(scope="module")
def messy():
    """Four meters with gaps, spikes, zeros, negatives, a flatline; one is all-NaN."""
    rng = np.random.default_rng(7)
    base = make_grid(days=10, n_meters=4, night=[10, 3, 5, 8], day=[40, 15, 30, 50])
    values = base.values.copy()
    values[rng.random(values.shape) < 0.05] = np.nan
    values[0, 500:510] = 400.0
    values[1, 600:620] = 0.0
    values[1, 700:705] = -3.0
    values[2, 300:400] = 7.0
    values[2, -30:] = np.nan
    values[3] = np.nan
    reference = values.copy()
    reference[0, 100:110] *= 3
    grid = with_values(base, values, reference)
    # What the job attaches: accounts, a net meter, confirmed-fault readings left out of the
    # baselines, a water meter (the all-NaN one), and import clock statistics with drift.
    excluded = np.zeros(values.shape, dtype=bool)
    excluded[2, 100:200] = True
    days = values.shape[1] // 96
    clock = {k: np.zeros((4, days)) for k in ("readings", "off_grid", "late", "early")}
    clock["median_offset_s"] = np.zeros((4, days))
    clock["readings"][:] = 96
    clock["late"][0, 3:] = 90
    clock["median_offset_s"][0, 3:] = 40.0
    return dataclasses.replace(
        grid,
        kinds=np.array(["electricity", "electricity", "electricity", "water"]),
        account_ids=np.array(["a1", "a1", "a2", "a2"]),
        bidirectional=np.array([False, True, False, False]),
        excluded=excluded,
        clock=clock,
        cache={},
    )


def run(module, grid: Grid) -> Detection:
    return module.detect(grid, module.Params())


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_detection_shape_and_dtype(module, messy):
    found = run(module, messy)
    assert isinstance(found, Detection)
    assert found.mask.shape == messy.values.shape
    assert found.magnitude.shape == messy.values.shape
    assert found.mask.dtype == bool
    assert np.issubdtype(found.magnitude.dtype, np.floating)
    assert np.isfinite(found.magnitude).all()
    assert (found.magnitude[~found.mask] == 0).all()


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_nan_cells_stay_unknown(module, messy):
    found = run(module, messy)
    if module.NAME not in NAN_FLAGGERS:
        assert not found.mask[np.isnan(messy.values)].any()
        if module.NAME == "raw_platform_mismatch":
            assert not found.mask[np.isnan(messy.reference)].any()


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_input_is_not_modified(module, messy):
    before = messy.values.copy()
    run(module, messy)
    np.testing.assert_array_equal(messy.values, before)


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_all_nan_meter_does_not_raise(module):
    grid = tiny_grid(np.full((2, 200), np.nan), reference=np.full((2, 200), np.nan))
    found = run(module, grid)
    assert found.mask.shape == (2, 200)
    if module.NAME != "offline":
        assert not found.mask.any()


@pytest.mark.parametrize("module", MODULES, ids=ids)
@pytest.mark.parametrize("value", [np.nan, 0.0, 5.0, -1.0])
def test_single_slot_grid(module, value):
    grid = tiny_grid([[value]], reference=np.array([[value + 1]]))
    found = run(module, grid)
    assert found.mask.shape == (1, 1)


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_empty_grids(module):
    for shape in [(0, 96), (3, 0)]:
        found = run(module, tiny_grid(np.zeros(shape), reference=np.zeros(shape)))
        assert found.mask.shape == shape


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_hourly_grid(module):
    grid = make_grid(days=10, n_meters=2, slot_minutes=60)
    found = run(module, grid)
    assert found.mask.shape == grid.values.shape
    assert not found.mask.any()  # a clean grid has no finding


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_module_metadata(module):
    assert module.__doc__ and module.__doc__.strip()
    file_name = pathlib.Path(module.__file__).stem
    assert module.NAME == file_name
    assert isinstance(module.MAGNITUDE_UNIT, str) and module.MAGNITUDE_UNIT
    assert module.SOURCES in {("platform", "raw"), ("raw",), ("platform",)}
    assert scope(module) in SCOPES
    assert module.detect.__doc__ and module.severity.__doc__


def test_registry_keys_are_names():
    for key, module in REGISTRY.items():
        assert key == module.NAME
    contract = {
        "missing_data",
        "offline",
        "flatline",
        "zero_run",
        "negative_value",
        "spike_positive",
        "spike_negative",
        "raw_platform_mismatch",
        "water_leak",
        "daily_usage_high",
        "daily_usage_low",
        "unit_change",
        "clock_drift",
    }
    assert set(REGISTRY) == contract, (
        "detector names are a contract other systems call: add a new one to `contract` in "
        "tests/core/detectors/test_contract.py (README, 'Add a detector', step 3)"
    )
    assert REGISTRY["raw_platform_mismatch"].SOURCES == ("raw",)


def test_example_is_not_registered():
    assert _example.NAME not in REGISTRY
    assert _example not in REGISTRY.values()


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


@pytest.mark.parametrize("module", MODULES, ids=ids)
def test_severity_grades(module):
    hours = np.array([0.25, 1.0, 3.0, 6.0, 24.0, 200.0])
    magnitude = np.array([0.1, 5.0, 20.0, 150.0, 1000.0, 0.0])
    grades = module.severity(hours, magnitude, module.Params())
    assert grades.shape == hours.shape
    assert set(grades) <= set(SEVERITIES)
    assert module.severity(np.array([]), np.array([]), module.Params()).shape == (0,)


@pytest.mark.parametrize("module", list(REGISTRY.values()), ids=ids)
def test_listed_in_docs(module):
    text = DOCS.read_text()
    section = re.search(rf"^## {module.NAME}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"docs/detectors.md has no '## {module.NAME}' section"
    body = section.group(1)
    for field in dataclasses.fields(module.Params):
        assert f"`{field.name}`" in body, f"{module.NAME}.{field.name} not documented"
    assert module.MAGNITUDE_UNIT in body
