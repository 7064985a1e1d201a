"""Traces for the report tests, built without t2pump.io.

``iglu_trace``: one subject of the iglu synthetic set (tests/fixtures/iglu, see PROVENANCE.md), times
parsed with t2pump.metrics.minutes_since_midnight. ``synthetic_trace``: a smooth daily pattern with
noise, for shapes the fixture does not have (few days, simulated, very high glucose).
``page_texts``: the texts of a drawn page, by gid.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from conftest import read_csv
from t2pump.metrics import minutes_since_midnight
from t2pump.simulation.engine import Trace


@cache
def _iglu_rows() -> tuple[tuple[str, str, float], ...]:
    return tuple((r["id"], r["time"], float(r["gl"])) for r in read_csv("iglu/cgm_synthetic_dev.csv"))


@cache
def iglu_trace(subject: str) -> Trace:
    rows = [r for r in _iglu_rows() if r[0] == subject]
    t_min, day0 = minutes_since_midnight([r[1] for r in rows])
    glucose = np.array([[r[2] for r in rows]])
    return Trace(
        t_min=t_min,
        patients=(subject,),
        signals={"cgm": glucose},
        units={"cgm": "mg/dL"},
        origin_date=str(day0),
    )


def synthetic_trace(
    days: float = 3.0,
    *,
    mean_mgdl: float = 140.0,
    amplitude_mgdl: float = 40.0,
    simulated: bool = True,
    origin_date: str | None = None,
    patients: tuple[str, ...] = ("virtual-01",),
    seed: int = 7,
) -> Trace:
    """5-min CGM from 00:05 of day 0: a two-peak daily pattern plus noise (and ``bg_plasma`` if simulated)."""
    rng = np.random.default_rng(seed)
    t = np.arange(5.0, days * 1440.0 + 1e-9, 5.0)
    hour = (t % 1440.0) / 60.0
    pattern = mean_mgdl + amplitude_mgdl * (
        np.sin(2 * np.pi * (hour - 6) / 24) + 0.5 * np.sin(4 * np.pi * hour / 24)
    )
    cgm = np.round(pattern + rng.normal(0.0, 8.0, (len(patients), t.size)))
    cgm = np.clip(cgm, 40.0, 400.0)
    signals = {"cgm": cgm}
    units = {"cgm": "mg/dL"}
    if simulated:
        signals["bg_plasma"] = cgm.copy()
        units["bg_plasma"] = "mg/dL"
    return Trace(t_min=t, patients=patients, signals=signals, units=units, origin_date=origin_date)


def page_texts(fig: Figure) -> dict[str, str]:
    """Every text of a report page by gid (texts without a gid under their own text)."""
    out: dict[str, str] = {}
    for t in fig.findobj(Text):
        if t.get_text():
            out[t.get_gid() or t.get_text()] = t.get_text()
    return out
