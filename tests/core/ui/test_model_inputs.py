"""core.ui.model_inputs under Streamlit's AppTest."""

from streamlit.testing.v1 import AppTest

from core.sandbox.base import Input
from core.ui import model_inputs
from tests.pages.pagetest import plain

PARAMS = [
    Input("ratio", "number", "How far above normal.", 3.0, 1.0, 10.0, 0.5),
    Input("hours", "number", "Shortest run.", 2, 1, 24, 1),
    Input("mode", "choice", "Which side.", "high", options=("high", "low")),
    Input("on", "toggle", "Use temperature.", True),
    Input("floor", "number", "A floor, unbounded.", 0.5),
]


def _script(params):
    import streamlit as st

    from core.ui import model_inputs

    st.write(repr(model_inputs.settings("t", params)))


def _values(at) -> dict:
    return eval(at.markdown[-1].value.strip("`"))  # noqa: S307 - the script's own repr


def test_each_input_kind_gets_its_widget_at_its_default_and_reset_restores_them():
    at = AppTest.from_function(_script, args=(PARAMS,)).run()
    assert not at.exception
    assert len(at.slider) == 2
    assert len(at.selectbox) == 1 and len(at.toggle) == 1 and len(at.number_input) == 1
    assert _values(at) == {"ratio": 3.0, "hours": 2, "mode": "high", "on": True, "floor": 0.5}
    at.slider[0].set_value(7.5).run()
    at.selectbox[0].set_value("low").run()
    assert _values(at)["ratio"] == 7.5 and _values(at)["mode"] == "low"
    at.button[0].click().run()  # Reset to defaults
    assert _values(at) == {"ratio": 3.0, "hours": 2, "mode": "high", "on": True, "floor": 0.5}


def test_the_changes_table_shows_picked_names_as_text():
    meter = Input("meter", "meter", "The meter.", None)
    table = model_inputs.changes_table([meter, PARAMS[0]], {"meter": "[x](http://e.example)"})
    lines = table.splitlines()
    assert lines[0] == "| input | default | yours | what moving it changes |"
    assert "](http" not in lines[2]  # a name is never a link ...
    assert (
        plain(lines[2]) == "| **meter** |  | [x](http://e.example) | The meter. |"
    )  # ... but text
    assert lines[3] == "| **ratio** | 3.0 |  | How far above normal. |"
