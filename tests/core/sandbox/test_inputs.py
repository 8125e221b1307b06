"""Option labels of the sandbox's data pickers: synthetic and month labels, then names."""

import pandas as pd

from core.sandbox.inputs import Options, label, labels


def test_labels_from_names_as_shown_after_the_fixed_ones():
    names = pd.DataFrame(
        {"meter_id": ["m1"], "kind": ["electricity"], "building_name": ["Tower"],
         "account_name": ["Acme"]}
    )  # fmt: skip
    opts = Options(["synthetic", "m1"], "m1", names, labels={"synthetic": "Synthetic meter"})
    assert labels(opts, names, "meter") == {
        "synthetic": "Synthetic meter",
        "m1": "m1 · electricity · Tower · Acme",
    }
    masked = names.assign(meter_id="Meter X", building_name="Building Y")
    assert labels(opts, masked, "meter")["m1"] == "Meter X · electricity · Building Y · Acme"


def test_building_options_are_keyed_by_building_and_months_keep_their_labels():
    names = pd.DataFrame({"building_id": ["b1"], "building_name": [None], "account_name": ["A"]})
    opts = Options(["synthetic", "b1"], "b1", names)
    assert labels(opts, names, "building") == {"b1": "b1 · A"}
    months = Options(["2026-03"], "2026-03", labels={"2026-03": "March 2026 (31 days of data)"})
    assert labels(months, months.names, "month") == months.labels
    assert label({"building_id": "b2", "building_name": "Depot"}) == "Depot"
