"""Each shipped model moves the way its page says when an input moves (synthetic data)."""

import datetime as dt
import importlib

import pytest

from core.detectors import REGISTRY
from core.sandbox import Context, discover
from core.sandbox.data import SYNTHETIC

DAY = dt.date(2025, 3, 12)
MONTH = "2025-01"
MODELS = discover().models


@pytest.fixture(scope="module")
def ctx():
    return Context.direct(None, None)  # synthetic data only: no warehouse


def run(ctx, key, **changes):
    model = MODELS[key]
    values = {
        "meter": SYNTHETIC,
        "day": DAY,
        "building": SYNTHETIC,
        "month": MONTH,
        "bill_meter": SYNTHETIC,
        **model.defaults(),
        **changes,
    }
    names = {i.name for i in model.inputs}
    return model.run(ctx, {k: v for k, v in values.items() if k in names})


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_detector_finds_its_synthetic_problem_with_the_defaults(ctx, key):
    from core.sandbox import synthetic

    assert key in synthetic.PROBLEMS or key in synthetic.VARIANTS, (
        f"no made-up case for {key}: add it to PROBLEMS (and its injection in meter_values) or "
        "VARIANTS in core/sandbox/synthetic.py (README, 'Add a detector', step 5)"
    )
    result = run(ctx, key)
    assert result.count > 0 and result.default_count == result.count
    assert (result.frame["status"] == "open").any()
    assert result.chart["datasets"]["flagged"]["flag"].eq("your settings").sum() == sum(
        ~result.chart["datasets"]["flagged"]["reading"].isna()
    )


# (detector, parameter, stricter value): a stricter setting never flags more readings.
STRICTER = [
    ("spike_positive", "high_ratio", 4.0),
    ("spike_positive", "ratio", 10.0),
    ("spike_positive", "max_hours", 0.25),
    ("spike_negative", "max_hours", 0.25),
    ("spike_negative", "floor_band_fraction", 1.0),
    ("missing_data", "min_slots", 13),
    ("offline", "min_hours", 8.0),
    ("flatline", "min_hours", 8.0),
    ("flatline", "candidate_hours", 7.0),
    ("zero_run", "min_hours", 5.0),
    ("raw_platform_mismatch", "rel_tol", 0.6),
]


@pytest.mark.parametrize(("key", "param", "value"), STRICTER)
def test_a_stricter_detector_setting_flags_no_more_and_here_fewer(ctx, key, param, value):
    result = run(ctx, key, **{param: value})
    assert result.count < result.default_count


def test_a_lower_spike_threshold_flags_at_least_as_many_points(ctx):
    counts = [run(ctx, "spike_positive", ratio=r).count for r in (10.0, 5.0, 3.0, 2.0, 1.0)]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_a_shorter_flatline_than_min_hours_is_found_but_not_an_issue(ctx):
    result = run(ctx, "flatline", min_hours=7.0)  # the synthetic flatline lasts 6 h
    assert result.count == 0 and (result.frame["status"] == "not_an_issue").sum() == 1
    assert "not an issue" in result.explanation


def test_severity_sliders_change_the_grade_not_the_flags(ctx):
    base = run(ctx, "negative_value")
    graded = run(ctx, "negative_value", medium_magnitude=0.5, high_magnitude=1.0)
    assert graded.count == base.count
    assert set(base.frame["severity"]) == {"low"} and set(graded.frame["severity"]) == {"high"}


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_slider_end_runs(ctx, key):
    for inp in MODELS[key].inputs:
        if inp.kind == "number":
            for value in (inp.min, inp.max):
                run(ctx, key, **{inp.name: value})


def test_overshoot_a_lower_ratio_counts_more_mornings_and_the_rate_scales_the_cost(ctx):
    base = run(ctx, "overshoot")
    looser = run(ctx, "overshoot", min_ratio=0.04)
    assert base.count == base.default_count >= 3 and looser.count > base.count
    assert {m.label: m.value for m in base.metrics}["Fault"] == "yes"
    assert set(base.frame.columns) >= {"morning_peak_kw", "plateau_median_kw", "overshoot"}
    cost = {m.label: m.value for m in run(ctx, "overshoot", demand_rate_per_kw=30.0).metrics}
    assert cost["Est. monthly cost"].startswith("$1,7")  # twice the default's $881


def test_overshoot_fault_rules(ctx):
    strict = run(ctx, "overshoot", min_days=10, min_ratio=0.5)
    assert {m.label: m.value for m in strict.metrics}["Fault"] == "no"
    assert "not a fault" in strict.explanation


def test_overshoot_refuses_a_window_that_ends_before_it_starts(ctx):
    from core.sandbox import SandboxError

    with pytest.raises(SandboxError, match="morning window must start before it ends"):
        run(ctx, "overshoot", morning_start_h=12.0, morning_end_h=8.0)


def test_baseline_a_wider_band_flags_no_more_and_temperature_helps_a_temperature_meter(ctx):
    counts = [run(ctx, "baseline", band=b).count for b in (60, 80, 90, 95, 99)]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    cv = {
        t: float(run(ctx, "baseline", temperature=t).metrics[0].value.split()[0])
        for t in (False, True)
    }
    assert cv[True] < cv[False]
    assert any("follow the made-up temperature" in n for n in run(ctx, "baseline").notes)


@pytest.mark.parametrize(
    ("key", "param", "looser"),
    [
        ("usage_outlier", "z_threshold", 1.0),
        ("usage_outlier", "same_month_ratio", 1.0),
        ("unit_rate_outlier", "z_threshold", 0.5),
    ],
)
def test_a_lower_bill_threshold_flags_at_least_as_many_bills(ctx, key, param, looser):
    base, more = run(ctx, key), run(ctx, key, **{param: looser})
    assert base.count == base.default_count == 1  # the one injected outlier
    assert more.count > base.count
    assert more.frame.loc[more.frame["with_defaults"], "flagged"].all()  # a superset


def test_the_example_model_runs_and_a_lower_factor_flags_more(ctx):
    example = importlib.import_module("core.sandbox.models._example").MODEL
    example.validate()
    values = {"meter": SYNTHETIC, "day": DAY}
    few, many = (example.run(ctx, {**values, "factor": f}).count for f in (3.0, 1.2))
    assert 0 < few < many
