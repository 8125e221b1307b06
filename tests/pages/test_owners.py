"""Owners page: set owners in the table or from a CSV, scope, masking, who may open it."""

import pytest

from core import owners
from core.auth import User
from core.db import connect
from tests.pages.pagetest import app, edit, plain, sent

ADMIN = User("admin", "Demo admin", "admin", None)  # the demo users are the directory here
DS_ONE = User("ds", "Demo ds", "ds", frozenset({"acc-01"}))


@pytest.fixture
def wh(demo_warehouse_file, monkeypatch):
    url, _ = demo_warehouse_file
    monkeypatch.setenv("DQ_WAREHOUSE", url)
    return url


def _page(url, monkeypatch, user=ADMIN, **state):
    return app("owners", url, monkeypatch, user, **state)


def _rows(at):
    return at.dataframe[0].value


def _owners(url):
    return connect(url).fetch_all(
        "SELECT account_id, building_id, owner, set_by FROM dq_owners ORDER BY 1, 2 NULLS FIRST"
    )


def test_lists_every_account_and_building_and_saves_an_owner(wh, monkeypatch):
    at = _page(wh, monkeypatch).run()
    assert not at.exception
    rows = _rows(at)
    db = connect(wh)
    places = db.fetch_value("SELECT count(DISTINCT building_id) FROM meters")
    accounts = db.fetch_value("SELECT count(DISTINCT account_id) FROM meters")
    assert len(rows) == places + accounts
    assert rows["building"].iloc[0] == "(whole account)"  # each account first, then its buildings
    name, building = db.fetch_all(
        "SELECT max(account_name), max(building_name) FROM meters WHERE account_id = 'acc-01'"
    )[0]
    own = rows.index[(rows["account"] == name) & (rows["building"] == "(whole account)")][0]
    place = rows.index[rows["building"] == building][0]
    edit(at, "owners_editor", {own: {"owner": "staff"}, place: {"owner": "bse"}})
    at.button(key="owners_save").click().run()
    assert not at.exception
    assert _owners(wh) == [("acc-01", None, "staff", "admin")]
    assert any("1 owner(s) set" in plain(s.value) for s in at.success)
    assert any("bse (bse) cannot change issues" in plain(w.value) for w in at.warning)
    assert _rows(at)["owner"].iloc[own] == "staff"  # reloaded after the save


def test_an_uploaded_csv_is_imported_and_bad_rows_are_named_by_line(wh, monkeypatch):
    at = _page(wh, monkeypatch).run()
    data = b"account_id,building_id,owner\nacc-01,,staff\nacc-03,,staff\n"
    at.get("file_uploader")[0].set_value(("owners.csv", data, "text/csv"))
    at.run()
    at.button(key="owners_import").click().run()
    assert not at.exception
    assert _owners(wh) == [("acc-01", None, "staff", "admin")]
    assert any("line 3" in plain(w.value) and "staff is not granted this account" in plain(w.value)
               for w in at.warning)  # fmt: skip


def test_a_ds_with_one_account_sees_and_sets_only_its_owners(wh, monkeypatch):
    db = connect(wh)
    owners.seed_demo(db)  # every demo account has an owner now
    other = db.fetch_all("SELECT DISTINCT account_id, account_name FROM meters "
                         "WHERE account_id <> 'acc-01'")  # fmt: skip
    at = _page(wh, monkeypatch, DS_ONE).run()
    assert not at.exception
    text = sent(at)
    assert [v for row in other for v in row if v in text] == []
    assert set(_rows(at)["owner"].dropna()) == {"staff"}  # acc-01's own owner only
    data = b"account_id,owner\nacc-01,ds\nacc-02,ds\n"
    at.get("file_uploader")[0].set_value(("owners.csv", data, "text/csv"))
    at.run()
    at.button(key="owners_import").click().run()
    assert not at.exception
    assert [plain(w.value) for w in at.warning] == [
        "Not saved, line 3: account acc-02 is not one of your accounts"
    ]
    got = db.fetch_all("SELECT account_id, owner, set_by FROM dq_owners WHERE account_id "
                       "IN ('acc-01', 'acc-02') ORDER BY 1")  # fmt: skip
    assert got == [("acc-01", "ds", "ds"), ("acc-02", "staff", "system")]


def test_owners_stay_readable_and_places_masked_in_screen_share_mode(wh, monkeypatch):
    db = connect(wh)
    owners.seed_demo(db)
    names = {v for r in db.fetch_all("SELECT DISTINCT account_name, building_name, "
                                     "account_id, building_id FROM meters") for v in r if v}  # fmt: skip
    at = _page(wh, monkeypatch, dq_mask=True, dq_mask_salt="s" * 32).run()
    assert not at.exception
    text = sent(at)
    assert [n for n in names if n in text] == []
    rows = _rows(at)
    assert rows["account"].str.startswith("Account ").all()
    assert {"staff", "ds"} <= set(rows["owner"].dropna())  # staff names are not customer data


@pytest.mark.parametrize("role", ["staff", "bse"])
def test_only_admin_and_ds_open_the_page(wh, monkeypatch, role):
    at = _page(wh, monkeypatch, User(role, role, role, None)).run()
    assert not at.exception and "cannot open this page" in at.error[0].value


def test_an_owner_who_lost_the_account_is_flagged(wh, monkeypatch):
    db = connect(wh)
    db.execute(
        "INSERT INTO dq_owners (account_id, building_id, owner, set_by, set_at) "
        "VALUES ('acc-03', NULL, 'staff', 'admin', TIMESTAMP '2026-03-01 00:00:00')"
    )
    at = _page(wh, monkeypatch).run()
    assert not at.exception
    assert any("1 owner(s) no longer fit" in plain(w.value) for w in at.warning)
    rows = _rows(at)
    assert [p for p in rows["problem"] if p] == ["staff is not granted this account"]


def test_a_proxy_sign_in_is_recorded_and_makes_the_person_assignable(
    db_path, tmp_path, monkeypatch
):
    """oidc/proxy: people are known from their sign-ins (dq_people), with their mapped grants."""
    from core.auth import people
    from core.ui import gate
    from tests.pages.pagetest import home

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("rules:\n  - group: support\n    role: staff\n    accounts: [acc-01]\n")
    for name, value in {
        "DQ_AUTH_MODE": "proxy", "DQ_AUTH_PROXY_HEADER": "X-Forwarded-Email",
        "DQ_AUTH_PROXY_GROUPS_HEADER": "X-Forwarded-Groups", "DQ_TRUSTED_PROXIES": "10.0.0.1",
        "DQ_AUTH_MAPPING_FILE": str(mapping), "DQ_COOKIE_KEY": "k" * 40,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gate, "_peer", lambda: "10.0.0.1")
    monkeypatch.setattr(gate, "_headers", lambda: {
        "X-Forwarded-Email": "pat@example.com", "X-Forwarded-Groups": "support"})  # fmt: skip
    db = connect(db_path)
    assert "pat@example.com" not in people.directory(db)  # a group has no known members
    at = home(db_path, monkeypatch).run()
    assert not at.exception and at.session_state["dq_user"].username == "pat@example.com"
    pat = people.directory(db)["pat@example.com"]
    assert (pat.role, pat.accounts) == ("staff", frozenset({"acc-01"}))
    at.run()  # the same session: not written again
    assert db.fetch_value("SELECT count(*) FROM dq_people") == 1
