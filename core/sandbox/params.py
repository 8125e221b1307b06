"""Sandbox inputs derived from a ``Params`` dataclass: its fields, defaults and numpy docs.

Detectors, bill checks and the overshoot scan already declare every threshold in a frozen
``Params`` dataclass with a numpy-style docstring. ``inputs_from_params`` turns each field
into a slider with the field's default, a range around it and its documented meaning as
help, so their sandbox models need no hand-written input list and follow every change to
the real parameters.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from core.sandbox.base import Input

_ENTRY = re.compile(r"^(\w+(?:\s*,\s*\w+)*)\s*:\s*\S.*$")  # "name : type" or "a, b : type"


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> its description in ``cls``'s numpy docstring (Parameters/Attributes).

    A shared entry (``floor_kw, floor_peak_fraction : float``) documents every name it
    lists. Continuation lines are joined; "(default X)" remarks are kept; ````x```` becomes
    Markdown's ```x```.
    """
    lines = (cls.__doc__ or "").splitlines()
    docs: dict[str, list[str]] = {}
    current: list[str] = []
    indent = None
    for line in lines:
        text = line.strip()
        here = len(line) - len(line.lstrip())
        match = _ENTRY.match(text)
        if match and (indent is None or here <= indent):
            indent = here
            current = []
            for name in re.split(r"\s*,\s*", match.group(1)):
                docs[name] = current
        elif text and set(text) != {"-"} and indent is not None and here > indent:
            current.append(text)
        elif text and indent is not None and here <= indent:
            current = []  # a section heading or prose: not part of an entry
    # numpy docstrings quote code as ``x`` (reST); the page renders Markdown: `x`
    return {name: " ".join(parts).replace("``", "`") for name, parts in docs.items()}


def _nice(x: float) -> float:
    """The 1-2-5 step at or below ``x`` (0.25 -> 0.2, 3 -> 2, 0.07 -> 0.05)."""
    if x <= 0:
        return 0.01
    power = 10 ** math.floor(math.log10(x))
    return max(s * power for s in (1, 2, 5) if s * power <= x * (1 + 1e-9))


def number_input(name: str, default: float, help: str, **overrides: Any) -> Input:
    """A ``number`` input with a range derived from ``default``.

    Ints: 0 (1 for a default of 1 or more that counts something) to ``max(4 x default,
    default + 10)``, step 1. Fractions (a default below 1 whose name says fraction, ratio,
    tol or share): 0 to 1. Other floats: 0 to 4 x the default, step a 1-2-5 value near
    default / 20 (a multiple of 0.25 for hours, the 15-minute slot). ``overrides`` set any
    ``Input`` field (``min``, ``max``, ``step``, ``label`` ...).
    """
    if isinstance(default, int) and not isinstance(default, bool):
        spec: dict[str, Any] = {"min": 1 if default >= 1 else 0,
                                "max": max(4 * default, default + 10), "step": 1}  # fmt: skip
    elif default < 1 and re.search(r"fraction|ratio|tol|share", name):
        spec = {"min": 0.0, "max": 1.0, "step": 0.01}
    else:
        step = _nice(abs(default) / 20) if default else 0.1
        if "hours" in name:
            step = max(0.25, round(step / 0.25) * 0.25)
        spec = {"min": 0.0, "max": float(max(4 * default, step * 10)), "step": float(step)}
    spec.update(overrides)
    return Input(name=name, kind="number", help=help, default=default, **spec)


def inputs_from_params(
    cls: type,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    skip: tuple[str, ...] = (),
    defaults: object | None = None,
) -> tuple[Input, ...]:
    """One ``number`` input per field of the ``Params`` dataclass ``cls``, in field order.

    Parameters
    ----------
    cls : type
        A dataclass whose fields are numbers with defaults, documented numpy-style.
    overrides : mapping, optional
        Field name -> ``Input`` fields to set (range, step, label, help).
    skip : tuple of str
        Fields not offered (they keep their default in ``params_from``).
    defaults : object, optional
        An instance whose values are the defaults (e.g. ``Params.from_settings()``);
        default ``cls()``.
    """
    docs = field_docs(cls)
    base = defaults if defaults is not None else cls()
    overrides = overrides or {}
    out = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        value = getattr(base, f.name)
        help_ = docs.get(f.name) or f.name.replace("_", " ")
        out.append(number_input(f.name, value, help_, **dict(overrides.get(f.name, {}))))
    return tuple(out)


def params_from(cls: type, values: Mapping[str, Any], base: object | None = None) -> Any:
    """An instance of ``cls`` with every field found in ``values`` set (ints kept int)."""
    base = base if base is not None else cls()
    changes = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            default = getattr(base, f.name)
            value = values[f.name]
            changes[f.name] = int(round(value)) if isinstance(default, int) else float(value)
    return dataclasses.replace(base, **changes)
