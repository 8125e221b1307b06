"""Issue 11.1: no demo logins on real data, whichever way a warehouse gets there.

Each test goes through what a person runs (``python -m jobs ...``, the app's Home.py) and
asserts that ``admin``/``demo`` cannot sign in where real data is, and that no cookie key sits in
the warehouse.
"""

import io

import pandas as pd
import pytest

from core.db import connect, open_warehouse
from jobs.cli import main
from tests.pages.pagetest import home, plain, sign_in, signed_in

METERS = pd.DataFrame({
    "meter_id": ["real-1"], "building_id": ["b-1"], "account_id": ["customer-1"],
    "kind": ["electricity"], "unit": ["kWh"],
})  # fmt: skip


def _seed_demo(capsys, *extra) -> str:
    """``python -m jobs demo`` on the test's DQ_WAREHOUSE (a short fleet); its output."""
    assert main(["demo", "--seed", "3", "--end-day", "2026-03-10", *extra]) == 0
    return capsys.readouterr().out


@pytest.fixture
def demo_file(tmp_path, monkeypatch, capsys):
    """A DuckDB file seeded as the README's `make run` does: (url, output of jobs demo)."""
    url = f"duckdb:///{tmp_path}/volume/dqhub.duckdb"
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return url, _seed_demo(capsys)


def _admin_demo_signs_in(url, monkeypatch) -> bool:
    return signed_in(sign_in(home(url, monkeypatch), "admin", "demo"))


def test_the_demo_is_an_explicit_visible_choice(demo_file, monkeypatch):
    url, out = demo_file
    assert "demo logins are on" in out
    at = sign_in(home(url, monkeypatch), "admin", "demo")
    assert signed_in(at)
    assert any("Demo mode" in w.value for w in at.sidebar.warning)


def test_jobs_demo_refuses_a_postgresql_warehouse_and_creates_nothing(pg_url, monkeypatch, capsys):
    monkeypatch.setenv("DQ_WAREHOUSE", pg_url)
    assert main(["demo", "--seed", "3", "--end-day", "2026-03-10"]) == 2
    err = capsys.readouterr().err
    assert "only into an embedded DuckDB warehouse" in err and "postgresql" in err
    assert "@" not in err  # no user, host or password from the URL
    assert not connect(pg_url).table_exists("meters")  # refused before anything was created


def test_jobs_demo_refuses_a_warehouse_holding_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DQ_WAREHOUSE", f"duckdb:///{tmp_path}/real.duckdb")
    path = tmp_path / "meters.csv"
    METERS.to_csv(path, index=False)
    assert main(["import", "--meters", str(path)]) == 0
    capsys.readouterr()
    assert main(["demo", "--seed", "3", "--end-day", "2026-03-10"]) == 2
    assert "already has 1 meters rows" in capsys.readouterr().err
    assert main(["demo", "--if-empty"]) == 0  # make run on a real warehouse: nothing to do


def test_the_first_real_import_ends_demo_mode_for_good(demo_file, tmp_path, monkeypatch, capsys):
    url, _ = demo_file
    path = tmp_path / "meters.csv"
    METERS.to_csv(path, index=False)
    assert main(["import", "--meters", str(path)]) == 0
    assert not _admin_demo_signs_in(url, monkeypatch)
    at = home(url, monkeypatch).run()
    assert "No users configured" in plain(at.error[0].value)  # production rules apply now
    capsys.readouterr()
    assert main(["demo", "--seed", "3", "--end-day", "2026-03-10"]) == 2
    assert "demo mode ended on this warehouse" in capsys.readouterr().err


def test_users_add_ends_demo_mode_for_good(demo_file, monkeypatch, tmp_path):
    url, _ = demo_file
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert (
        main(["users", "add", "alice", "--role", "admin", "--accounts", "all", "--password-stdin"])
        == 0
    )
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    assert not _admin_demo_signs_in(url, monkeypatch)
    (tmp_path / "users.yaml").unlink()  # the users file goes away again...
    monkeypatch.delenv("DQ_COOKIE_KEY")
    assert not _admin_demo_signs_in(url, monkeypatch)  # ...the demo logins do not come back
    assert "No users configured" in plain(home(url, monkeypatch).run().error[0].value)


def test_a_users_file_keeps_demo_logins_off(demo_file, monkeypatch):
    url, _ = demo_file
    from core import auth

    auth.add_user("alice", "pw", "admin", "all")
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    assert not _admin_demo_signs_in(url, monkeypatch)


def test_a_remote_warehouse_is_never_demo_even_marked_so(pg_url, monkeypatch):
    db = open_warehouse(pg_url)
    db.insert_df(
        "meters",
        METERS.assign(
            timezone="UTC",
            dq_enabled=True,
            account_active=True,
            building_archived=False,
            interval_minutes=15,
        ),
    )
    db.insert_df("dq_meta", pd.DataFrame({"meta_key": ["demo_seed"], "meta_value": ["42"]}))
    monkeypatch.setenv("DQ_CACHE_PATH", "")  # and through the app cache: see the next test
    at = home(pg_url, monkeypatch).run()
    assert "No users configured" in plain(at.error[0].value)
    assert not at.text_input  # no sign-in form, so no admin/demo


def test_a_remote_warehouse_behind_the_app_cache_is_never_demo(pg_url, tmp_path, monkeypatch):
    db = open_warehouse(pg_url)
    db.insert_df("dq_meta", pd.DataFrame({"meta_key": ["demo_seed"], "meta_value": ["42"]}))
    monkeypatch.setenv("DQ_CACHE_PATH", str(tmp_path / "cache.duckdb"))
    at = home(pg_url, monkeypatch).run()
    assert "No users configured" in plain(at.error[0].value)


def test_no_cookie_key_in_the_warehouse(demo_file, monkeypatch):
    url, _ = demo_file
    db = connect(url)
    db.insert_df("dq_meta", pd.DataFrame({"meta_key": ["demo_cookie_key"], "meta_value": ["x"]}))
    from core.db import migrations

    version = next(m.version for m in migrations.discover() if m.name == "auth_sessions")
    for sql in (
        "DROP TABLE auth_sessions",
        "DROP TABLE auth_failures",
        f"DELETE FROM schema_migrations WHERE version = {version}",
    ):
        db.execute(sql)  # the warehouse as an older DQ Hub left it
    assert _admin_demo_signs_in(url, monkeypatch)  # the app migrates on start
    keys = {k for (k,) in connect(url).fetch_all("SELECT meta_key FROM dq_meta")}
    assert "demo_cookie_key" not in keys and not [k for k in keys if "cookie" in k]
    assert keys <= {"demo_seed", "issue_id_key"}  # no login key of any name is stored


def test_try_the_demo_on_the_volume_you_later_use_for_production(tmp_path, monkeypatch, capsys):
    """docs/docker.md: `docker run -v dqhub-data:/app/data dqhub demo`, later production."""
    volume = tmp_path / "data"
    url = f"duckdb:///{volume}/dqhub.duckdb"
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    _seed_demo(capsys, "--if-empty")  # the image's demo mode runs `jobs demo --if-empty`
    assert _admin_demo_signs_in(url, monkeypatch)
    # production on the same volume: a real user and the customer's meters
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert (
        main(["users", "add", "ops", "--role", "admin", "--accounts", "all", "--password-stdin"])
        == 0
    )
    path = tmp_path / "meters.csv"
    METERS.to_csv(path, index=False)
    assert main(["import", "--meters", str(path)]) == 0
    at = home(url, monkeypatch).run()  # no DQ_COOKIE_KEY yet: refused
    assert "DQ_COOKIE_KEY must be at least 32 characters" in plain(at.error[0].value)
    monkeypatch.setenv("DQ_COOKIE_KEY", "k" * 40)
    assert not _admin_demo_signs_in(url, monkeypatch)
    assert signed_in(sign_in(home(url, monkeypatch), "ops", "a long passphrase"))
    capsys.readouterr()
    _seed_demo(capsys, "--if-empty")  # the image's demo mode rerun by mistake: nothing happens
    assert not _admin_demo_signs_in(url, monkeypatch)
