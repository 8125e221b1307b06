"""What a sandbox model declares: its inputs, its run function and what a run returns.

A model is data, not Streamlit code: ``Model`` lists ``Input`` declarations (the page draws
one widget per input) and a ``run(ctx, values) -> Result`` function. ``Context`` is how a
run reads data (cached by the page, scoped to the signed-in user's accounts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.errors import DQHubError

if TYPE_CHECKING:
    import altair as alt

    from core.auth import User
    from core.db.base import Database

# Inputs the person sets freely, and inputs whose options come from the warehouse.
PARAMETER_KINDS = ("number", "choice", "toggle")
DATA_KINDS = ("meter", "building", "bill_meter", "month", "date")
KINDS = PARAMETER_KINDS + DATA_KINDS
MEMO_LIMIT = 32  # results kept per session by Context.remember


class SandboxError(DQHubError):
    """A malformed model declaration or input value; the message names the model and input."""


@dataclass(frozen=True)
class Input:
    """One input of a model: the page draws a widget for it from this declaration.

    Parameters
    ----------
    name : str
        Key in ``values`` passed to ``run`` (a Python identifier).
    kind : str
        ``number`` (slider when ``min`` and ``max`` are set, else a number box), ``choice``
        (one of ``options``), ``toggle`` (on/off), ``meter`` (a meter of the user's
        accounts, or the synthetic one), ``building``, ``bill_meter`` (a meter with bills),
        ``month`` (``YYYY-MM`` of the building picked before it) or ``date`` (a day of the
        meter picked before it).
    help : str
        Plain words: what moving this input changes. Shown as the widget's tooltip and in
        the page's list of inputs.
    default : object or callable
        The value the real job uses; a zero-argument callable is called when the page runs
        (for defaults that come from settings). Data inputs take their default from the data.
    min, max, step : float, optional
        Range and step of a ``number``; an int ``default`` and ``step`` make an int input.
    options : tuple, optional
        Allowed values of a ``choice``.
    label : str, optional
        Widget label (default: ``name``).
    prefer : str, optional
        For ``meter`` / ``bill_meter``: a detector or check name; the picker starts on the
        meter (and day) of the user's latest finding of it, a real issue to explain.
    """

    name: str
    kind: str
    help: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    options: tuple[Any, ...] = ()
    label: str = ""
    prefer: str = ""

    @property
    def title(self) -> str:
        """The widget label."""
        return self.label or self.name

    @property
    def is_data(self) -> bool:
        """Whether the value comes from the warehouse (meter, building, month, ...)."""
        return self.kind in DATA_KINDS

    @property
    def is_int(self) -> bool:
        """Whether a ``number`` input takes whole numbers."""
        value = self.default_value()
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (self.step is None or float(self.step).is_integer())
        )

    def default_value(self) -> Any:
        """The default, calling it when it is a callable."""
        return self.default() if callable(self.default) else self.default


@dataclass(frozen=True)
class Metric:
    """A headline figure: label, value (already formatted or a number) and a tooltip."""

    label: str
    value: Any
    help: str = ""


@dataclass
class Result:
    """What one run of a model returns.

    Parameters
    ----------
    frame : pd.DataFrame
        The rows behind the chart (flagged points, days, bills ...), shown as a table.
    chart : altair chart
        The main chart; ``extra_charts`` are drawn below it.
    count : int
        The model's headline number with these settings (flagged points, overshoot days ...).
    count_label : str
        What ``count`` counts, in plain words ("flagged points").
    explanation : str
        Markdown: what happened with these settings, in plain words.
    metrics : tuple of Metric
        Further headline figures.
    default_count : int, optional
        ``count`` with every parameter at its default; left None, the page runs the model
        again with the defaults to get it.
    notes : tuple of str
        Caveats to show (e.g. "synthetic temperature").
    """

    frame: pd.DataFrame
    chart: alt.TopLevelMixin
    count: int
    count_label: str
    explanation: str = ""
    metrics: tuple[Metric, ...] = ()
    default_count: int | None = None
    notes: tuple[str, ...] = ()
    extra_charts: tuple[Any, ...] = ()


def _direct(loader: str, *args: Any) -> Any:
    raise SandboxError(f"No data source for {loader}: build Context with a database")


@dataclass
class Context:
    """How a run reads data: ``fetch(loader, *args)`` calls ``core.sandbox.data.LOADERS``.

    The page passes a ``fetch`` that caches per (warehouse, user accounts, loader, args), so
    moving a slider reruns only the model. ``Context.direct(db, user)`` calls the loaders
    without a cache (tests, the bench, notebooks). ``memo`` keeps results a model can reuse
    across runs of one session (``remember``); the page keeps it in the session.
    """

    fetch: Callable[..., Any] = _direct
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its earlier result for the same hashable ``key``.

        For results that depend only on the data inputs, such as the defaults' run while a
        slider moves. The result is shared: do not modify it.
        """
        if key not in self.memo:
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.pop(next(iter(self.memo)))  # oldest first: a small FIFO
            self.memo[key] = compute()
        return self.memo[key]

    @classmethod
    def direct(cls, db: Database | None, user: User | None) -> Context:
        """A context reading ``db`` as ``user`` (memoized per context, not shared)."""
        from core.sandbox import data

        ctx = cls()

        def fetch(loader: str, *args: Any) -> Any:
            key = (loader, args)
            if key not in ctx.cache:
                ctx.cache[key] = data.LOADERS[loader](db, user, *args)
            return ctx.cache[key]

        ctx.fetch = fetch
        return ctx

    def series(self, meter_id: str, day: dt.date) -> Any:
        """The meter's 30 days ending with ``day`` (``core.sandbox.data.MeterSeries``)."""
        return self.fetch("series", meter_id, day)

    def demand(self, building_id: str, month: str) -> Any:
        """The building's demand for ``month`` (``core.sandbox.data.BuildingMonth``)."""
        return self.fetch("demand", building_id, month)

    def bills(self, meter_id: str) -> pd.DataFrame:
        """The meter's normalised bills, oldest first."""
        return self.fetch("bills", meter_id)

    def temperature(self, meter_id: str, day: dt.date) -> Any:
        """Outdoor temperature on the meter's 30-day grid (``data.Temperature``)."""
        return self.fetch("temperature", meter_id, day)


Runner = Callable[[Context, Mapping[str, Any]], Result]


@dataclass(frozen=True)
class Model:
    """A sandbox model: what the page shows and how it runs.

    Parameters
    ----------
    title : str
        Short name on the page ("Spike detector (positive)").
    summary : str
        Markdown, plain words: what the model does and when it raises something.
    mirrors : tuple of str
        What the model mirrors: ``docs/<file>.md#<section>`` anchors and source paths. The
        page shows the doc sections and links the code, so a person can match a real
        finding to the rule that raised it.
    inputs : tuple of Input
        In display order; data inputs first.
    run : callable
        ``run(ctx, values) -> Result``; ``values`` maps every input name to its value.
    key : str
        URL key (``?model=<key>``); defaults to the module's file name.
    group : str
        Heading the model is listed under ("Meter detectors", "Bill checks", ...).
    """

    title: str
    summary: str
    mirrors: tuple[str, ...]
    inputs: tuple[Input, ...]
    run: Runner
    key: str = ""
    group: str = "Models"

    def input(self, name: str) -> Input:
        """The input called ``name``."""
        for inp in self.inputs:
            if inp.name == name:
                return inp
        raise SandboxError(f"Model {self.key}: no input {name!r}")

    def defaults(self) -> dict[str, Any]:
        """Every parameter input's default (data inputs are not included)."""
        return {i.name: i.default_value() for i in self.inputs if not i.is_data}

    def with_defaults(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` with every parameter input reset to its default (data inputs kept)."""
        return {**values, **self.defaults()}

    def validate(self) -> None:
        """Raise ``SandboxError`` naming the model and input when the declaration is wrong."""
        where = f"Model {self.key or self.title!r}"
        if not self.title or not self.summary or not callable(self.run):
            raise SandboxError(f"{where}: needs a title, a summary and a run function")
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise SandboxError(f"{where}: input names repeat: {names}")
        for inp in self.inputs:
            _check_input(where, inp)


def _check_input(where: str, inp: Input) -> None:
    if not inp.name.isidentifier() or inp.kind not in KINDS:
        raise SandboxError(
            f"{where}, input {inp.name!r}: kind {inp.kind!r}; expected one of {', '.join(KINDS)}"
        )
    if not inp.help:
        raise SandboxError(f"{where}, input {inp.name!r}: say in plain words what it changes")
    if inp.is_data:
        return
    value = inp.default_value()
    if inp.kind == "choice" and value not in inp.options:
        raise SandboxError(f"{where}, input {inp.name!r}: default {value!r} not in options")
    if inp.kind == "number":
        low = -float("inf") if inp.min is None else inp.min
        high = float("inf") if inp.max is None else inp.max
        if not low <= value <= high:
            raise SandboxError(
                f"{where}, input {inp.name!r}: default {value} outside [{inp.min}, {inp.max}]"
            )
