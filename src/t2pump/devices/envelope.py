"""What a pump model can physically do: its envelope.

Each field of each model carries its source (a user guide or an open driver at a named commit)
and whether it was verified against that source. The data live in ``data/pump_envelopes.json``;
this module turns them into typed, frozen values.

Every envelope number is in *pump units*: the volume a pump counts, expressed as units of U-100
insulin (0.01 mL). A pump filled with U-200 delivers two real units per pump unit;
:class:`t2pump.devices.pump.Pump` converts, and the rest of t2pump counts real units only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from t2pump.errors import InputRangeError

__all__ = [
    "BolusType",
    "FieldSource",
    "PumpEnvelope",
    "StepTable",
    "TempBasalType",
    "get_envelope",
    "load_envelopes",
]

_EPS = 1e-9

# Where a model's field is unknown (null in the data), the engine needs a value all the same.
# These fallbacks are marked unverified in the envelope's ``sources`` and come from:
FALLBACKS: dict[str, tuple[object, str]] = {
    # Omnipod delivers 0.05 U per 2 s (LoopKit/OmniBLE Pod.swift) and Paradigm x23+ 1.5 U/min
    # (LoopKit/MinimedKit PumpModel.swift): the common standard bolus speed.
    "bolus_speed_u_per_min": (1.5, "fallback 1.5 U/min: OmniBLE Pod.swift / MinimedKit standard bolus speed"),
    # Nightscout pump plugin: reservoir warning below 10 U (cgm-remote-monitor lib/plugins/pump.js).
    "low_reservoir_alarm_default_u": (10.0, "fallback 10 U: Nightscout pump plugin reservoir warning"),
    "low_reservoir_alarm_range_u": ((1.0, 50.0), "fallback 1-50 U: Omnipod low-reservoir setting range"),
    # Paradigm 511 specification: an occlusion alarm after about 3 U of missed delivery.
    "occlusion_threshold_u": (3.0, "fallback 3 U: Medtronic Paradigm occlusion detection (about 3 U missed)"),
}


class TempBasalType(StrEnum):
    PERCENT = "percent"
    ABSOLUTE = "absolute"


class BolusType(StrEnum):
    NORMAL = "normal"
    EXTENDED = "extended"
    DUAL_WAVE = "dual_wave"


@dataclass(frozen=True, slots=True)
class StepTable:
    """Increments that depend on the size of the value: ``((from_value, step), ...)``.

    A value ``x`` must be a multiple of the step of the band it falls in, e.g. Medtronic basal
    rates: 0.025 U/h below 1 U/h, 0.05 U/h from 1 to 10 U/h, 0.1 U/h from 10 U/h.
    """

    bands: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if not self.bands or self.bands[0][0] != 0:
            raise InputRangeError("step_table.bands", self.bands, "bands starting at 0")
        for start, step in self.bands:
            if not (step > 0 and math.isfinite(step) and start >= 0):
                raise InputRangeError(
                    "step_table.bands", self.bands, "positive steps from non-negative starts"
                )

    def step_at(self, x: float) -> float:
        step = self.bands[0][1]
        for start, s in self.bands:
            if x + _EPS >= start:
                step = s
        return step

    @property
    def finest(self) -> float:
        return min(step for _, step in self.bands)

    def round_down(self, x: float) -> float:
        """The largest valid value not above ``x`` (``x`` >= 0)."""
        if x <= 0:
            return 0.0
        for start, step in reversed(self.bands):
            if x + _EPS >= start:
                candidate = math.floor(x / step + _EPS) * step
                if candidate + _EPS >= start or start == 0:
                    return round(candidate, 10)
                # rounding fell below this band's start: the band start itself is valid
                return round(start, 10)
        return 0.0

    def is_valid(self, x: float) -> bool:
        step = self.step_at(x)
        return abs(round(x / step) * step - x) <= _EPS * max(1.0, abs(x))

    def scaled(self, factor: float) -> StepTable:
        return StepTable(tuple((start * factor, step * factor) for start, step in self.bands))


@dataclass(frozen=True, slots=True)
class FieldSource:
    source: str
    verified: bool


@dataclass(frozen=True, slots=True)
class PumpEnvelope:
    """A pump model's envelope, in pump units (U-100 volume equivalents)."""

    model_id: str
    manufacturer: str
    name: str
    reservoir_capacity_u: float
    basal_rate_range_u_per_h: tuple[float, float]
    basal_increments: StepTable
    basal_pulse_u: float
    basal_patterns_max: int
    basal_segments_max: int
    basal_segment_min_minutes: int
    temp_basal_types: frozenset[TempBasalType]
    temp_basal_percent_range: tuple[float, float] | None
    temp_basal_percent_step: float | None
    temp_basal_absolute_max_u_per_h: float | None
    temp_basal_duration_range_min: tuple[float, float]
    temp_basal_duration_step_min: float
    bolus_increments: StepTable
    bolus_max_u: float
    bolus_speed_u_per_min: float
    bolus_types: frozenset[BolusType]
    extended_bolus_duration_range_min: tuple[float, float] | None
    extended_bolus_duration_step_min: float | None
    max_hourly_u: float | None
    max_daily_u: float | None
    low_reservoir_alarm_default_u: float
    low_reservoir_alarm_range_u: tuple[float, float]
    auto_off_range_h: tuple[float, float] | None
    occlusion_threshold_u: float
    insulin_concentrations: tuple[int, ...]
    sources: Mapping[str, FieldSource]
    note: str = ""

    def unverified_fields(self) -> list[str]:
        return sorted(name for name, src in self.sources.items() if not src.verified)


def _pair(value: Sequence[float] | None) -> tuple[float, float] | None:
    if value is None:
        return None
    lo, hi = value
    return (float(lo), float(hi))


def _required_pair(value: Sequence[float]) -> tuple[float, float]:
    lo, hi = value
    return (float(lo), float(hi))


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _envelope_from_json(model_id: str, raw: Mapping[str, Any]) -> PumpEnvelope:
    fields = {k: v for k, v in raw.items() if isinstance(v, dict) and "value" in v}
    v = {k: f["value"] for k, f in fields.items()}
    sources = {
        k: FieldSource(str(f.get("source", "")), bool(f.get("verified", False))) for k, f in fields.items()
    }
    for name, (fallback, why) in FALLBACKS.items():
        if v.get(name) is None:
            v[name] = fallback
            sources[name] = FieldSource(why, False)
    try:
        return PumpEnvelope(
            model_id=model_id,
            manufacturer=str(raw["manufacturer"]),
            name=str(raw["name"]),
            reservoir_capacity_u=float(v["reservoir_capacity_u"]),
            basal_rate_range_u_per_h=_required_pair(v["basal_rate_range_u_per_h"]),
            basal_increments=StepTable(tuple((float(a), float(b)) for a, b in v["basal_increments"])),
            basal_pulse_u=float(v["basal_pulse_u"]),
            basal_patterns_max=int(v["basal_patterns_max"]),
            basal_segments_max=int(v["basal_segments_max"]),
            basal_segment_min_minutes=int(v["basal_segment_min_minutes"]),
            temp_basal_types=frozenset(TempBasalType(t) for t in v["temp_basal_types"]),
            temp_basal_percent_range=_pair(v["temp_basal_percent_range"]),
            temp_basal_percent_step=_opt_float(v["temp_basal_percent_step"]),
            temp_basal_absolute_max_u_per_h=_opt_float(v["temp_basal_absolute_max_u_per_h"]),
            temp_basal_duration_range_min=_required_pair(v["temp_basal_duration_range_min"]),
            temp_basal_duration_step_min=float(v["temp_basal_duration_step_min"]),
            bolus_increments=StepTable(tuple((float(a), float(b)) for a, b in v["bolus_increments"])),
            bolus_max_u=float(v["bolus_max_u"]),
            bolus_speed_u_per_min=float(v["bolus_speed_u_per_min"]),
            bolus_types=frozenset(BolusType(t) for t in v["bolus_types"]),
            extended_bolus_duration_range_min=_pair(v["extended_bolus_duration_range_min"]),
            extended_bolus_duration_step_min=_opt_float(v["extended_bolus_duration_step_min"]),
            max_hourly_u=_opt_float(v["max_hourly_u"]),
            max_daily_u=_opt_float(v["max_daily_u"]),
            low_reservoir_alarm_default_u=float(v["low_reservoir_alarm_default_u"]),
            low_reservoir_alarm_range_u=_required_pair(v["low_reservoir_alarm_range_u"]),
            auto_off_range_h=_pair(v["auto_off_range_h"]),
            occlusion_threshold_u=float(v["occlusion_threshold_u"]),
            insulin_concentrations=tuple(int(c) for c in v["insulin_concentrations"]),
            sources=sources,
            note=str(raw.get("note", "")),
        )
    except KeyError as exc:
        raise InputRangeError(
            f"pump_envelopes.json:{model_id}", exc.args[0], "every envelope field"
        ) from None


@cache
def load_envelopes() -> Mapping[str, PumpEnvelope]:
    """All packaged pump envelopes, by model id."""
    text = resources.files("t2pump.devices").joinpath("data/pump_envelopes.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return {model_id: _envelope_from_json(model_id, m) for model_id, m in raw["models"].items()}


def get_envelope(model_id: str) -> PumpEnvelope:
    envelopes = load_envelopes()
    if model_id not in envelopes:
        raise InputRangeError("pump_model", model_id, "one of " + ", ".join(sorted(envelopes)))
    return envelopes[model_id]
