"""Model sandbox page: every shipped model moves as documented; links, scope, masking, new files."""

import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

import core.sandbox.models as models_pkg
from core.auth import User
from core.db import connect
from core.sandbox import data
from tests.pages import pagetest
from tests.pages.pagetest import sent

ADMIN = User("ada", "Ada", "admin", None)
STAFF = User("staff", "Demo staff", "staff", frozenset({"acc-01", "acc-02"}))
HEADLINE = re.compile(r"Flagged with your settings: \*\*([\d,]+)\*\* vs defaults: ([\d,]+)")


def _app(url, monkeypatch, user=ADMIN, **query):
    return pagetest.app("sandbox", url, monkeypatch, user, query=query)


def headline(at):
    """(count with your settings, count with the defaults) from the page's headline."""
    for md in at.markdown:
        if m := HEADLINE.search(md.value):
            return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
    raise AssertionError("no headline: " + " | ".join(e.value for e in at.error))


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


# model, input, new value, how "your settings" compares with the defaults afterwards
MOVES = [
    ("spike_positive", "ratio", 10.0, "<"),  # a higher spike threshold flags fewer points
    ("spike_negative", "ratio", 0.0, "<"),  # no reading is below 0 x expected
    ("missing_data", "min_slots", 13, "<"),
    ("offline", "min_hours", 8.0, "<"),
    ("flatline", "min_hours", 8.0, "<"),
    ("zero_run", "min_hours", 5.0, "<"),
    ("negative_value", "medium_magnitude", 0.5, "=="),  # severity moves, flags do not
    ("raw_platform_mismatch", "rel_tol", 0.6, "<"),
    ("overshoot", "min_ratio", 0.04, ">"),  # a looser ratio counts more mornings
    ("usage_outlier", "z_threshold", 1.0, ">"),
    ("unit_rate_outlier", "z_threshold", 0.5, ">"),
    ("baseline", "band", 99, "<"),  # a wider band flags fewer readings
]
QUERY = {
    "meter": data.SYNTHETIC,
    "day": "2025-03-12",
    "building": data.SYNTHETIC,
    "bill_meter": data.SYNTHETIC,
}  # the synthetic building's month: the picker's default


@pytest.mark.parametrize(("key", "name", "value", "relation"), MOVES, ids=[m[0] for m in MOVES])
def test_every_model_moves_as_documented(db_path, monkeypatch, key, name, value, relation):
    at = _app(db_path, monkeypatch, model=key, **QUERY).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="sbx_model").value == key
    yours, defaults = headline(at)
    assert yours == defaults
    widget = at.slider(key=f"sbx_{key}_{name}")
    widget.set_value(value).run()
    assert not at.exception and not at.error
    yours, again = headline(at)
    assert again == defaults
    assert {"<": yours < defaults, ">": yours > defaults, "==": yours == defaults}[relation]
    if key == "negative_value":
        assert metric(at, "High / medium / low") == "0 / 1 / 0"  # was low
    assert at.get("vega_lite_chart"), "the chart is drawn"


def test_a_lower_spike_threshold_flags_at_least_as_many_points(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, model="spike_positive", **QUERY).run()
    counts = []
    for ratio in (10.0, 3.0, 1.0):
        at.slider(key="sbx_spike_positive_ratio").set_value(ratio).run()
        counts.append(headline(at)[0])
    assert counts == sorted(counts) and counts[0] < counts[-1]


def test_baseline_temperature_toggle_and_reset(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, model="baseline", **QUERY).run()
    with_temp = float(metric(at, "CV(RMSE), test week").split()[0])
    at.toggle(key="sbx_baseline_temperature").set_value(False).run()
    assert float(metric(at, "CV(RMSE), test week").split()[0]) > with_temp
    at.button(key="sbx_baseline_reset").click().run()
    assert at.toggle(key="sbx_baseline_temperature").value is True
    assert float(metric(at, "CV(RMSE), test week").split()[0]) == with_temp


def test_model_from_the_url_and_the_url_follows_the_picker(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, model="overshoot", building=data.SYNTHETIC).run()
    assert at.selectbox(key="sbx_model").value == "overshoot"
    label = at.selectbox(key="sbx_overshoot_month").options[1]  # "September 2026 (30 days ...)"
    month = f"{pd.Timestamp(label.split(' (')[0]):%Y-%m}"
    at = _app(db_path, monkeypatch, model="overshoot", building=data.SYNTHETIC, month=month).run()
    assert at.selectbox(key="sbx_overshoot_month").value == month  # a link picks the month
    assert "Fault" in [m.label for m in at.metric]
    at.selectbox(key="sbx_model").set_value("baseline").run()
    assert at.query_params["model"] == "baseline"
    assert "building" not in at.query_params and at.query_params["meter"] == data.SYNTHETIC
    texts = " ".join(e.value for e in at.subheader)
    assert "What each input changes" in texts and "What it mirrors" in texts


def test_a_bad_setting_is_a_message_not_a_traceback(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, model="overshoot", **QUERY).run()
    at.slider(key="sbx_overshoot_morning_start_h").set_value(12.0).run()
    assert not at.exception
    assert "morning window must start before it ends" in at.error[0].value


def test_signed_out_is_told_to_sign_in(db_path, monkeypatch):
    at = _app(db_path, monkeypatch, user=None).run()
    assert "session has ended" in at.warning[0].value


@pytest.fixture
def extra_models(tmp_path, monkeypatch):
    folder = tmp_path / "more_models"
    folder.mkdir()
    monkeypatch.setattr(models_pkg, "__path__", [*models_pkg.__path__, str(folder)])
    yield folder
    sys.modules.pop("core.sandbox.models.my_model", None)


def test_a_new_model_file_appears_on_the_page_with_no_other_change(
    db_path, monkeypatch, extra_models
):
    shutil.copy(Path(models_pkg.__file__).parent / "_example.py", extra_models / "my_model.py")
    at = _app(db_path, monkeypatch, model="my_model", **QUERY).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="sbx_model").value == "my_model"
    before = headline(at)[0]
    at.slider(key="sbx_my_model_factor").set_value(1.5).run()
    assert headline(at)[0] > before


# ---- on the demo fleet: real meters, scope and screen-share mode ------------------------------


@pytest.fixture(scope="module")
def demo(scored_demo):
    url, day, _ = scored_demo
    return url, connect(url)


def test_a_detector_starts_on_the_latest_real_finding(demo, monkeypatch):
    url, db = demo
    meter_id, start = db.fetch_all(
        "SELECT meter_id, start_ts FROM dq_issues WHERE detector = 'spike_positive' "
        "ORDER BY COALESCE(end_ts, start_ts) DESC, issue_id LIMIT 1"
    )[0]
    at = _app(url, monkeypatch, model="spike_positive").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="sbx_spike_positive_meter").value == meter_id
    assert at.date_input(key="sbx_spike_positive_day").value == start.date()
    yours, defaults = headline(at)
    assert yours == defaults > 0
    assert int(metric(at, "Stored by the daily job")) >= 1  # the real issue, outlined


def test_staff_see_only_their_accounts_and_links_cannot_widen_it(demo, monkeypatch):
    url, db = demo
    other = db.fetch_value("SELECT min(meter_id) FROM meters WHERE account_id = 'acc-03'")
    mine = {
        r[0]
        for r in db.fetch_all(
            "SELECT meter_id FROM meters WHERE account_id IN ('acc-01', 'acc-02')"
        )
    }
    at = _app(url, monkeypatch, user=STAFF, model="spike_positive", meter=other).run()
    assert not at.exception
    picker = at.selectbox(key="sbx_spike_positive_meter")
    assert picker.options[0].startswith("Synthetic meter")
    assert {label.split(" · ")[0] for label in picker.options[1:]} <= mine
    assert picker.value in mine
    assert other not in sent(at)
    at = _app(url, monkeypatch, user=STAFF, model="usage_outlier").run()
    assert at.selectbox(key="sbx_usage_outlier_bill_meter").value in mine | {data.SYNTHETIC}


def test_screen_share_mode_shows_pseudonyms(demo, monkeypatch):
    url, db = demo
    name = db.fetch_value("SELECT building_name FROM meters WHERE account_id = 'acc-01' LIMIT 1")
    at = _app(url, monkeypatch, user=STAFF, model="flatline", dq_mask=True)
    at.session_state["dq_mask"], at.session_state["dq_mask_salt"] = True, "k" * 32
    at.run()
    assert not at.exception
    text = sent(at)
    assert name not in text and "Meter " in text
    assert "meter" not in at.query_params
