"""Benchmark (not a test): every registered detector on a 2,000 x 29-day 15-minute fleet.

Run ``.venv/bin/python -m bench.detectors_only [n_meters] [days]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from core.detectors import REGISTRY
from core.detectors.base import Grid
from tests.core.detectors.gridmaker import make_grid


def fleet(n_meters: int, days: int) -> tuple[Grid, dict[str, np.ndarray]]:
    """Mixed fleet (70 % fine electricity, 15 % 1 kWh electricity, 15 % water), 1 % NaN.

    Returns the grid and, per detector, the rows where an anomaly was injected on the last
    (scored) day, a Monday.
    """
    rng = np.random.default_rng(1)
    n_coarse, n_water = n_meters * 15 // 100, n_meters * 15 // 100
    n_fine = n_meters - n_coarse - n_water
    common = {"tz": "America/New_York", "start": "2026-01-19"}  # 29 days: 2,784 slots
    parts = [
        make_grid(
            days,
            n_fine,
            night=rng.uniform(5, 50, n_fine),
            day=rng.uniform(60, 400, n_fine),
            seed=2,
            **common,
        ),
        make_grid(
            days,
            n_coarse,
            night=rng.uniform(2, 5, n_coarse),
            day=rng.uniform(10, 30, n_coarse),
            resolution=1.0,
            seed=3,
            **common,
        ),
        make_grid(
            days,
            n_water,
            kind="water",
            day=rng.uniform(5, 50, n_water),
            resolution=1.0,
            seed=4,
            **common,
        ),
    ]
    values = np.vstack([p.values for p in parts])
    values[rng.random(values.shape) < 0.01] = np.nan
    day = parts[0].score_from  # local midnight of the scored day

    def at(hour: float) -> int:
        return day + int(hour * 4)

    block = max(1, n_meters // 100)
    rows = {
        name: np.arange(i * block, (i + 1) * block)
        for i, name in enumerate(
            [
                "flatline",
                "zero_run",
                "negative_value",
                "spike_positive",
                "spike_negative",
                "raw_platform_mismatch",
                "offline",
            ]
        )
    }
    values[rows["flatline"], at(13) : at(21)] = values[rows["flatline"], at(13)][:, None]
    values[rows["zero_run"], at(10) : at(13)] = 0.0
    values[rows["negative_value"], at(12) : at(12.5)] = -5.0
    values[rows["spike_positive"], at(11)] *= 8
    values[rows["spike_negative"], at(11) : at(12)] *= 0.05
    values[rows["offline"], at(16) :] = np.nan
    reference = values.copy()
    reference[rows["raw_platform_mismatch"], at(9) : at(11)] *= 1.5
    base = parts[0]
    grid = Grid(
        meter_ids=np.arange(n_meters).astype(str),
        kinds=np.concatenate([p.kinds for p in parts]),
        values=values,
        start=base.start,
        slot_minutes=15,
        timezone=base.timezone,
        score_from=base.score_from,
        reference=reference,
    )
    return grid, rows


def main() -> None:
    """Time all detectors on a fresh grid (cold cache), best of five; count findings."""
    n_meters = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 29
    template, injected = fleet(n_meters, days)
    print(f"grid: {template.n_meters} meters x {template.n_slots} slots")
    best_total, best_cpu, best_each = float("inf"), float("inf"), {}
    for _ in range(5):
        grid = template.subset(np.arange(template.n_meters))  # fresh cache
        each, t_all, cpu_all = {}, time.perf_counter(), time.process_time()
        for name, module in REGISTRY.items():
            t0 = time.perf_counter()
            found = module.detect(grid, module.Params())
            each[name] = (time.perf_counter() - t0, found.mask[:, grid.score_from :].any(axis=1))
        total, cpu = time.perf_counter() - t_all, time.process_time() - cpu_all
        best_cpu = min(best_cpu, cpu)
        if total < best_total:
            best_total, best_each = total, each
    print("  detector               time      meters flagged on the scored day")
    for name, (seconds, flagged) in best_each.items():
        rows = injected.get(name, np.zeros(0, dtype=int))
        others = int(flagged.sum() - flagged[rows].sum())
        print(
            f"  {name:<22} {seconds * 1000:6.1f} ms  injected {int(flagged[rows].sum())}"
            f"/{rows.size}, others {others}"
        )
    print(
        f"total (cold cache, shared baselines): wall {best_total * 1000:.1f} ms, "
        f"cpu {best_cpu * 1000:.1f} ms (best of 5)"
    )


if __name__ == "__main__":
    main()
