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


DATA = [
    Input("meter", "meter", "The meter.", None),
    Input("day", "date", "The last day.", None),
]


def _data_script(url, user, inputs):
    import streamlit as st

    from core.db import open_warehouse
    from core.sandbox.base import Context
    from core.ui import model_inputs

    ctx = Context.direct(open_warehouse(url), user)
    values, shown = model_inputs.data_inputs("t", ctx, inputs, "t_seen")
    st.write(repr(({name: str(value) for name, value in values.items()}, shown)))


def _warehouse(url):
    from core.db import open_warehouse

    open_warehouse(url).execute(
        "INSERT INTO meters (meter_id, building_id, account_id, kind, unit, building_name, "
        "account_name, timezone, dq_enabled, account_active, building_archived, "
        "interval_minutes) VALUES ('m1', 'b1', 'acc-1', 'electricity', 'kWh', 'Tower', "
        "'Northwind', 'UTC', TRUE, TRUE, FALSE, 15)"
    )


def _data_app(url, **state):
    from core.auth import User

    at = AppTest.from_function(
        _data_script, args=(url, User("ada", "Ada", "admin", None), DATA), default_timeout=30
    )
    for key, value in state.items():
        at.session_state[key] = value
    return at


def test_data_inputs_offer_the_warehouse_and_synthetic_data_and_follow_a_link(db_path):
    _warehouse(db_path)
    at = _data_app(db_path).run()
    assert not at.exception
    box = at.selectbox(key="t_meter")
    assert box.options[0].startswith("Synthetic meter") and box.options[1:] == [
        "m1 · electricity · Tower · Northwind"
    ]
    values, shown = _values(at)
    assert values["meter"] == "m1" and shown["meter"] == "m1 · electricity · Tower · Northwind"
    assert shown["day"] == values["day"] == str(at.date_input(key="t_day").value)
    at.query_params["meter"] = "synthetic"
    at.run()
    assert _values(at)[0]["meter"] == "synthetic"  # the link, applied once
    at.selectbox(key="t_meter").set_value("m1").run()
    assert _values(at)[0]["meter"] == "m1"  # the link does not pull the picker back


def test_screen_share_mode_shows_pseudonyms_under_another_widget(db_path):
    _warehouse(db_path)
    at = _data_app(db_path, dq_mask=True, dq_mask_salt="s").run()
    assert not at.exception
    box = at.selectbox(key="t_meter_masked")
    assert box.options[1].startswith("Meter ") and "Tower" not in box.options[1]
    assert "Northwind" not in _values(at)[1]["meter"]
