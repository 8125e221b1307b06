"""core.ui.status_form under Streamlit's AppTest: the moves offered, the note, a blank form."""

from streamlit.testing.v1 import AppTest

LABELS = {"DRAFT": "Draft", "IN_PROGRESS": "In progress", "WONT_DO": "Won't do"}


def _script(labels):
    import streamlit as st

    from core.ui import status_form

    n = st.session_state.get("n", 1)
    moved = status_form.move("t", n, "DRAFT", ("IN_PROGRESS", "WONT_DO"), labels, 30, "Why?")
    if moved:
        st.session_state["moved"] = moved


def test_the_form_offers_the_moves_by_label_and_returns_the_move_and_note():
    at = AppTest.from_function(_script, args=(LABELS,)).run()
    [box] = at.selectbox
    assert box.label == "Move from Draft to" and box.options == ["In progress", "Won't do"]
    assert at.text_area[0].placeholder == "Why?" and at.text_area[0].max_chars == 30
    assert "moved" not in at.session_state  # nothing until submitted
    box.set_value("WONT_DO")
    at.text_area[0].input("Tenant owns the plant")
    at.button[0].click().run()
    assert at.session_state["moved"] == ("WONT_DO", "Tenant owns the plant")


def test_a_new_number_gives_a_blank_form():
    at = AppTest.from_function(_script, args=(LABELS,)).run()
    at.text_area[0].input("a note")
    at.button[0].click().run()
    assert at.text_area[0].value == "a note"  # the same form keeps what was typed
    at.session_state["n"] = 2
    at.run()
    assert at.text_area[0].value == ""
