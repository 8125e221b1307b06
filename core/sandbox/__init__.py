"""Sandbox models: one file per model in ``core/sandbox/models``, found without a registry line.

Every module in ``core.sandbox.models`` whose name does not start with ``_`` and that
defines ``MODEL`` (one ``core.sandbox.base.Model``) or ``MODELS`` (several, e.g. generated
from another registry) is registered by ``discover``; adding a file is the only step. A
model file that fails to import or declares a bad model is reported in
``Registry.errors`` and left out, so it cannot take the other models down. Copy
``models/_example.py`` to start a new one (docs/sandbox.md).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType

from core.sandbox.base import Context, Input, Metric, Model, Result, SandboxError

MODELS_PACKAGE = "core.sandbox.models"


@dataclass
class Registry:
    """Discovered models by key (in file order) and the files that failed, with the reason."""

    models: dict[str, Model] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _declared(module: ModuleType) -> list[Model]:
    found = []
    if hasattr(module, "MODEL"):
        found.append(module.MODEL)
    found += list(getattr(module, "MODELS", ()))
    for model in found:
        if not isinstance(model, Model):
            raise SandboxError(f"declares {type(model).__name__}, not a core.sandbox.Model")
    return found


def discover(package: str = MODELS_PACKAGE) -> Registry:
    """Import every public module of ``package`` and collect its ``MODEL`` / ``MODELS``.

    Modules are visited in name order; a model without a ``key`` takes the module's name.
    Keys must be unique across files.
    """
    pkg = importlib.import_module(package)
    out = Registry()
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}")
            for model in _declared(module):
                if not model.key:
                    model = dataclasses.replace(model, key=info.name)
                model.validate()
                if model.key in out.models:
                    raise SandboxError(
                        f"model key {model.key!r} is already used by {owner[model.key]}.py"
                    )
                out.models[model.key] = model
                owner[model.key] = info.name
        except Exception as exc:  # noqa: BLE001 - one broken file must not hide the others
            out.errors.append((f"{info.name}.py", f"{type(exc).__name__}: {exc}"))
    return out


def registry() -> dict[str, Model]:
    """The discovered models by key (see ``discover``)."""
    return discover().models


__all__ = [
    "MODELS_PACKAGE", "Context", "Input", "Metric", "Model", "Registry", "Result",
    "SandboxError", "discover", "registry",
]  # fmt: skip
