"""Generated benchmark warehouses cached under bench/out/: a DuckDB file plus a JSON description.

A generator calls :func:`cached` first; on a miss it builds into :func:`start`'s temporary file
and hands the result to :func:`finish`, which renames it into place and writes the JSON, so an
interrupted build never leaves a file that looks complete.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"


def cached(path: Path, regenerate: bool) -> dict[str, Any] | None:
    """The saved description of ``path`` when both files exist and ``regenerate`` is off."""
    info = path.with_suffix(".json")
    if path.exists() and info.exists() and not regenerate:
        return json.loads(info.read_text())
    return None


def start(path: Path) -> tuple[Path, Any]:
    """Remove any old copy of ``path`` and open a migrated warehouse in a temporary file.

    Returns the temporary path and an open DuckDB connection to it (the caller closes it).
    """
    from core.db import open_warehouse

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    for p in (tmp, Path(f"{tmp}.wal"), path, path.with_suffix(".json")):
        p.unlink(missing_ok=True)
    db = open_warehouse(f"duckdb:///{tmp}")  # applies the project's migrations
    return tmp, db.connect()


def finish(tmp: Path, path: Path, description: Any) -> Any:
    """Move the built file into place and save ``description`` (a dataclass) beside it."""
    tmp.rename(path)
    path.with_suffix(".json").write_text(json.dumps(asdict(description), indent=2))
    return description
