"""How the Projects page reads: picker labels, heading, byline, move messages, history labels."""

import pandas as pd

from core.views.projects import text

SHOWN = pd.Series({"building": "[Tower](http://e.example)", "account": "Acme", "status": "Draft"})
FACTS = pd.Series({"type": "morning_overshoot", "month": "2026-03", "void": False})


def test_pick_labels_name_building_month_and_cost_but_not_the_status():
    table = pd.DataFrame(
        {"building": ["Tower"], "month": ["2026-03"], "cost": [1234.4], "status": ["Draft"]},
        index=pd.Index(["p-1"], name="project_id"),
    )
    assert text.pick_labels(table) == {"p-1": "Tower · 2026-03 · $1,234/month"}


def test_heading_and_byline_show_names_as_text():
    heading = text.heading(SHOWN, FACTS)
    assert "](http" not in heading and heading.endswith(" · Morning overshoot · 2026\\-03")
    line = text.byline(SHOWN, FACTS, "Europe/Berlin")
    assert line.startswith("Acme · status **Draft** · times are local")
    assert "void" in text.byline(SHOWN, FACTS.copy().replace({False: True}), "UTC")


def test_moved_says_when_the_project_leaves_the_filtered_list():
    assert text.moved("Tower", "IN_PROGRESS", ()) == "Moved Tower to In progress."
    assert text.moved("Tower", "IN_PROGRESS", ("DRAFT", "IN_PROGRESS")).endswith("progress.")
    assert "left the list" in text.moved("Tower", "WONT_DO", ("DRAFT", "IN_PROGRESS"))


def test_history_shows_statuses_by_their_labels():
    events = pd.DataFrame(
        {"changed_by": ["bea", "system"], "from_status": ["DRAFT", None],
         "to_status": ["WONT_DO", "DRAFT"]}
    )  # fmt: skip
    out = text.history(events)
    assert list(out["from_status"]) == ["Draft", "—"] and list(out["to_status"]) == [
        "Won't do",
        "Draft",
    ]
    assert pd.isna(events.at[1, "from_status"])  # the input is not changed
