"""Inputs derived from Params dataclasses: docs, ranges and the values handed back."""

from dataclasses import dataclass

from core.detectors import spike_positive
from core.overshoot import detect
from core.sandbox.params import field_docs, inputs_from_params, params_from


@dataclass(frozen=True)
class Params:
    """Toy parameters.

    Parameters
    ----------
    max_hours : float
        Longest run, in hours (default 2).
    ratio : float
        A share ... (default 0.2)
        that goes on.
    count : int
        How many.
    """

    max_hours: float = 2.0
    ratio: float = 0.2
    count: int = 6


def test_field_docs_reads_every_entry_and_joins_continuation_lines():
    docs = field_docs(Params)
    assert docs == {
        "max_hours": "Longest run, in hours (default 2).",
        "ratio": "A share ... (default 0.2) that goes on.",
        "count": "How many.",
    }
    shared = field_docs(detect.Params)  # "morning_start_h, morning_end_h : float"
    assert (
        shared["morning_start_h"] == shared["morning_end_h"]
        and "Morning window" in shared["morning_end_h"]
    )


def test_ranges_follow_the_kind_of_number():
    hours, ratio, count = inputs_from_params(Params)
    assert (hours.min, hours.max, hours.step) == (0.0, 8.0, 0.25)  # hours move by slots
    assert (ratio.min, ratio.max, ratio.step) == (0.0, 1.0, 0.01)  # a share
    assert (count.min, count.max, count.step, count.is_int) == (1, 24, 1, True)
    for inp in inputs_from_params(spike_positive.Params):
        assert inp.min <= inp.default <= inp.max


def test_overrides_skip_and_configured_defaults():
    (hours,) = inputs_from_params(Params, {"max_hours": {"max": 3.0}}, skip=("ratio", "count"))
    assert hours.max == 3.0
    (count,) = inputs_from_params(Params, skip=("max_hours", "ratio"), defaults=Params(count=9))
    assert count.default == 9


def test_params_from_keeps_ints_and_ignores_other_values():
    p = params_from(Params, {"count": 7.0, "ratio": 0.5, "meter": "m-1"})
    assert p == Params(max_hours=2.0, ratio=0.5, count=7) and isinstance(p.count, int)
