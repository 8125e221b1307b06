"""Fixtures for importer tests: an in-memory warehouse and a CSV writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.db import Database, open_warehouse

METERS_CSV = """meter_id,building_id,account_id,kind,unit,timezone,interval_minutes
m1,b1,a1,electricity,kWh,America/New_York,15
m2,b1,a1,water,gal,,60
"""


@pytest.fixture
def db() -> Iterator[Database]:
    warehouse = open_warehouse("duckdb:///:memory:")
    yield warehouse
    warehouse.close()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write ``text`` (dedented lines) to ``tmp_path/name`` and return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        lines = [line.strip() for line in text.strip().splitlines()]
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@pytest.fixture
def meters_csv(write_csv: Callable[[str, str], Path]) -> Path:
    return write_csv("meters.csv", METERS_CSV)
