"""core.ui.widgets under Streamlit's AppTest: each widget in a tiny script of its own."""

from streamlit.testing.v1 import AppTest

from tests.pages.pagetest import plain


def _paged_script():
    import pandas as pd
    import streamlit as st

    from core.ui import widgets

    rows = st.session_state.setdefault("rows", 25)  # how many match now
    calls = st.session_state.setdefault("calls", [])
    letter = st.text_input("Filter", "a")

    def fetch(n):
        calls.append(n)
        ids = [f"{letter}{i}" for i in range((n - 1) * 10, min(n * 10, rows))]
        return pd.DataFrame({"issue_id": ids}), rows

    page = widgets.paged("t", letter, 10, fetch)
    st.number_input("Page", 1, page.pages, key="t_page")
    st.write(f"page {page.number} of {page.pages}: {','.join(page.rows['issue_id'])}")


def _shown(at) -> str:
    return at.markdown[-1].value


def test_new_filters_start_on_page_one_and_a_vanished_page_becomes_the_last():
    at = AppTest.from_function(_paged_script).run()
    assert _shown(at) == "page 1 of 3: " + ",".join(f"a{i}" for i in range(10))
    at.number_input(key="t_page").set_value(3).run()
    assert _shown(at) == "page 3 of 3: " + ",".join(f"a{i}" for i in range(20, 25))
    at.session_state["rows"] = 12  # fewer matches than before: page 3 is gone
    at.run()
    assert _shown(at).startswith("page 2 of 2: a10,a11")
    at.number_input(key="t_page").set_value(2).run()
    at.text_input(key=at.text_input[0].key).set_value("b").run()
    assert _shown(at).startswith("page 1 of 2: b0,")


def test_rows_under_unsaved_edits_are_kept_until_they_are_saved():
    at = AppTest.from_function(_paged_script).run()
    at.session_state["t_editor"] = {"edited_rows": {0: {"status": "resolved"}}}
    before = len(at.session_state["calls"])
    at.session_state["rows"] = 30  # someone else's change would reorder the list
    at.run()
    assert len(at.session_state["calls"]) == before  # the rows being edited stay on screen
    assert _shown(at).startswith("page 1 of 3: a0,")  # the total loaded with them is kept too


def _flash_script():
    import streamlit as st

    from core.ui import widgets

    widgets.flash("t")
    st.button("again")


def test_a_flash_shows_once_as_plain_text():
    at = AppTest.from_function(_flash_script)
    at.session_state["t_flash"] = [
        ("success", "Saved 2 change(s)."),
        ("warning", "Not saved: [sign in](http://evil.example)"),
    ]
    at.run()
    assert plain(at.success[0].value) == "Saved 2 change(s)."
    assert plain(at.warning[0].value) == "Not saved: [sign in](http://evil.example)"
    assert "](http" not in at.warning[0].value  # the link is shown as text, never rendered
    at.button[0].click().run()
    assert not at.success and not at.warning


def _pick_script():
    import streamlit as st

    from core.ui import widgets

    picked = widgets.pick(
        st,
        "t",
        "Account",
        ["acc-1", "acc-2"],
        "accounts",
        {"acc-1": "Northwind", "acc-2": "Harbor"},
    )
    st.write(f"picked {picked}")


def test_a_pick_shows_names_and_empty_means_all():
    at = AppTest.from_function(_pick_script).run()
    box = at.multiselect[0]
    assert box.options == ["Northwind", "Harbor"] and box.value == []
    assert at.markdown[-1].value == "picked []"
    box.select("acc-2").run()
    assert at.markdown[-1].value == "picked ['acc-2']"


def _places_script():
    import streamlit as st

    from core.ui import widgets

    accounts = {"acc-1": "Northwind", "acc-2": "Harbor"}
    buildings = {"b1": ("Tower", "acc-1"), "b2": ("Depot", "acc-1"), "b3": ("Pier", "acc-2")}
    picked = widgets.pick_places(st, st, "t", accounts, buildings)
    st.write(f"picked {picked}")


def test_the_building_filter_offers_the_buildings_of_the_picked_accounts():
    at = AppTest.from_function(_places_script).run()
    assert at.multiselect(key="t_buildings").options == ["Tower", "Depot", "Pier"]
    at.multiselect(key="t_accounts").select("acc-2").run()
    assert at.multiselect(key="t_buildings").options == ["Pier"]
    at.multiselect(key="t_buildings").select("b3").run()
    assert at.markdown[-1].value == "picked (['acc-2'], ['b3'])"


def _choose_script():
    import streamlit as st

    from core.ui import widgets

    options = st.session_state.setdefault("options", ["a", "b", "c"])
    link = st.session_state.pop("link", None)
    labels = {"a": "Alpha", "b": "Beta"}
    picked = widgets.choose(st, "Letter", options, labels, "t_pick", options[-1], link)
    st.write(f"picked {picked}")


def test_choose_keeps_a_valid_choice_and_follows_a_link():
    at = AppTest.from_function(_choose_script).run()
    assert at.selectbox[0].options == ["Alpha", "Beta", "c"]  # no label: the option itself
    assert at.markdown[-1].value == "picked c"  # the default
    at.selectbox[0].set_value("a").run()
    at.session_state["options"] = ["a", "b"]
    at.run()
    assert at.markdown[-1].value == "picked a"  # still offered: kept
    at.session_state["options"] = ["b", "c"]
    at.run()
    assert at.markdown[-1].value == "picked c"  # filtered away: the default
    at.session_state["link"] = "b"
    at.run()
    assert at.markdown[-1].value == "picked b"


def _link_script():
    import streamlit as st

    from core.ui import widgets

    got = widgets.new_link("t_seen", "model", lambda v: int(v) > 0)
    st.session_state.setdefault("got", []).append(got)


def test_a_link_is_applied_once_and_a_bad_one_is_ignored():
    at = AppTest.from_function(_link_script)
    at.query_params["model"] = "7"
    at.run().run()
    assert at.session_state["got"] == ["7", None]  # applied on the first run only
    at.query_params["model"] = "-1"  # not valid
    at.run()
    at.query_params["model"] = "x"  # raises ValueError
    at.run()
    assert at.session_state["got"] == ["7", None, None, None]
    at.query_params["model"] = "8"  # a new link
    at.run()
    assert at.session_state["got"][-1] == "8"


def _generation_script():
    import streamlit as st

    from core.ui import widgets

    n = widgets.generation("t_n", "t_for", st.session_state.get("about", "m1"))
    st.write(f"n {n}")


def test_generation_goes_up_when_what_the_widget_is_about_changes():
    at = AppTest.from_function(_generation_script).run()
    assert at.markdown[-1].value == "n 1"
    at.run()
    assert at.markdown[-1].value == "n 1"
    at.session_state["about"] = "m2"
    at.run()
    assert at.markdown[-1].value == "n 2"
    at.session_state["t_n"] = 5  # a page raising it itself (a blank form after a save)
    at.run()
    assert at.markdown[-1].value == "n 5"


def _download_script():
    import streamlit as st

    from core.ui import widgets

    def build(user, mask):
        st.session_state["built"] = True
        return b"a,b\n"

    widgets.download_csv("Download CSV", build, "x.csv", key="t_download")


def test_a_csv_download_is_built_only_when_clicked():
    at = AppTest.from_function(_download_script).run()
    assert not at.exception
    [button] = at.get("download_button")
    assert button.proto.label == "Download CSV"
    assert "built" not in at.session_state  # deferred: nothing is built while the page draws
