"""Shared test helpers: fixtures live in tests/fixtures with their provenance."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.schedule import DailySchedule
from t2pump.units import Concentration

FIXTURES = Path(__file__).parent / "fixtures"


def read_csv(relative: str) -> list[dict[str, str]]:
    with (FIXTURES / relative).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def make_pump(
    model_id: str,
    basal: DailySchedule | float | None = 1.0,
    *,
    concentration: Concentration | int = Concentration.U100,
    reservoir_u: float | None = None,
    max_basal_u_per_h: float = 5.0,
    max_bolus_u: float = 20.0,
    **limits: float | None,
) -> Pump:
    """A pump of ``model_id`` with one active pattern ``"basal"`` (unless ``basal`` is None)."""
    pump = Pump(
        get_envelope(model_id),
        PumpSettings(max_basal_u_per_h=max_basal_u_per_h, max_bolus_u=max_bolus_u, **limits),
        concentration=Concentration.parse(concentration),
        reservoir_u=reservoir_u,
    )
    if basal is not None:
        schedule = basal if isinstance(basal, DailySchedule) else DailySchedule.constant(basal)
        pump.set_pattern("basal", schedule)
        pump.activate_pattern("basal")
    return pump
