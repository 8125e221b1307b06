from pathlib import Path

from streamlit.testing.v1 import AppTest

HOME = Path(__file__).resolve().parents[2] / "Home.py"


def test_home_without_runs_says_how_to_start(db_path, monkeypatch):
    monkeypatch.setenv("DQ_WAREHOUSE", db_path)
    at = AppTest.from_file(str(HOME)).run(timeout=30)
    assert not at.exception
    assert "No DQ run yet" in at.info[0].value


def test_home_shows_latest_run_and_open_counts(demo_warehouse_file, monkeypatch):
    url, day = demo_warehouse_file
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    at = AppTest.from_file(str(HOME)).run(timeout=30)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Last DQ run"] == "ok"
    assert int(metrics["Issues found"]) > 0
    assert f"Scored day {day}" in at.caption[0].value
    table = at.dataframe[0].value
    assert list(table.columns) == ["high", "medium", "low"]
    assert "offline" in table.index
