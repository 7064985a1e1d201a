"""The insulin pump engine: what a pump delivers, minute by minute, given what it was told.

A :class:`Pump` holds a model's envelope (:mod:`t2pump.devices.envelope`), its settings (max
basal, max bolus, alarms), named basal patterns with one active, and its state (temporary basal,
boluses in progress, suspension, reservoir, battery, alarms). Commands are validated completely
before anything changes: a rejected command raises :class:`~t2pump.errors.InputRangeError` (or
:class:`PumpStateError`) and leaves the pump exactly as it was. :meth:`Pump.advance` runs the
clock; :meth:`Pump.timeline` returns what was requested and delivered each minute, with every
clamp and alarm as an event.

Delivery model (documented choices):

* Time advances in whole minutes. Basal insulin is owed continuously (rate / 60 per minute) and
  delivered in whole pulses of the model's basal pulse (Omnipod 0.05 U, Medtronic 0.025 U): a
  24-h program delivers its integral rounded down to one pulse.
* A normal bolus is delivered at the model's bolus speed, in whole increments each minute.
  An extended bolus is spread evenly over its duration, delivered in whole increments, the last
  minute delivering the remainder. A dual-wave bolus is a normal part now plus an extended part.
* A percent temporary basal follows the scheduled rate, rounded down to the basal increment
  (Medtronic rounds percent temps down; t2pump research notes, pumps_aid.md section 5) and is
  clamped to the max basal setting, the clamp recorded.
* Suspending cancels boluses in progress (the remainder is not delivered and is recorded);
  a temporary basal keeps running on its clock and delivers nothing while suspended.
* Delivery stops, with an alarm, when the reservoir empties, an occlusion is detected (after
  the envelope's missed volume), the battery is empty, auto-off triggers, or the hourly/daily
  maximum would be exceeded (Medtrum-style, rolling 60 min / 24 h). Delivery resumes only on
  :meth:`Pump.resume` once the cause is cleared.
* Concentration: every dose and setting here is in real units. The envelope counts U-100
  volume; with U-200 each pump unit is 2 real units, so increments, pulses, rates and reservoir
  scale by concentration / 100. A concentration the model is not labelled for is allowed and
  recorded as an off-label warning.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from t2pump.devices.envelope import BolusType, PumpEnvelope, StepTable, TempBasalType
from t2pump.errors import InputRangeError, T2pumpError, check_finite, check_range, parse_enum
from t2pump.schedule import DailySchedule
from t2pump.units import MIN_PER_H, Concentration

__all__ = [
    "AlarmKind",
    "DeliveryTimeline",
    "EventKind",
    "Pump",
    "PumpEvent",
    "PumpSettings",
    "PumpStateError",
    "TempBasal",
]

_EPS = 1e-9
_GENERIC_SEGMENT_GRID_MIN = 30  # t2pump: basal segments start on 30-min boundaries (issue 2)
_GENERIC_MAX_SEGMENTS = 48  # 48 half-hours in a day
# Nightscout pump plugin battery thresholds: warn 30 %, urgent 20 % (cgm-remote-monitor lib/plugins/pump.js)
_LOW_BATTERY_PERCENT = 20.0


class PumpStateError(T2pumpError):
    """A command that the pump cannot accept in its current state (e.g. a bolus while suspended)."""


class AlarmKind(StrEnum):
    OCCLUSION = "occlusion"
    LOW_RESERVOIR = "low_reservoir"
    EMPTY_RESERVOIR = "empty_reservoir"
    LOW_BATTERY = "low_battery"
    EMPTY_BATTERY = "empty_battery"
    AUTO_OFF = "auto_off"
    MAX_HOURLY_REACHED = "max_hourly_reached"
    MAX_DAILY_REACHED = "max_daily_reached"


STOPPING_ALARMS = frozenset(
    {
        AlarmKind.OCCLUSION,
        AlarmKind.EMPTY_RESERVOIR,
        AlarmKind.EMPTY_BATTERY,
        AlarmKind.AUTO_OFF,
        AlarmKind.MAX_HOURLY_REACHED,
        AlarmKind.MAX_DAILY_REACHED,
    }
)


class EventKind(StrEnum):
    SETTINGS = "settings"
    PATTERN_SAVED = "pattern_saved"
    PATTERN_ACTIVATED = "pattern_activated"
    TEMP_BASAL_STARTED = "temp_basal_started"
    TEMP_BASAL_ENDED = "temp_basal_ended"
    TEMP_BASAL_CANCELLED = "temp_basal_cancelled"
    BOLUS_STARTED = "bolus_started"
    BOLUS_COMPLETED = "bolus_completed"
    BOLUS_CANCELLED = "bolus_cancelled"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    RESERVOIR_CHANGED = "reservoir_changed"
    INFUSION_SET_CHANGED = "infusion_set_changed"
    BATTERY = "battery"
    CLAMP = "clamp"
    ALARM = "alarm"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class PumpEvent:
    """One thing that happened: a command, a clamp, an alarm. Units are real units."""

    t_min: int
    kind: EventKind
    detail: str
    requested_u: float | None = None
    delivered_u: float | None = None
    alarm: AlarmKind | None = None


@dataclass(frozen=True, slots=True)
class PumpSettings:
    """User-programmable limits and alarms, in real units.

    Each must lie within the model's envelope converted to real units at the pump's concentration.
    """

    max_basal_u_per_h: float
    max_bolus_u: float
    low_reservoir_alarm_u: float | None = None  # None: the model's default
    auto_off_h: float | None = None  # None: auto-off disabled
    max_hourly_u: float | None = None  # None: no hourly maximum
    max_daily_u: float | None = None  # None: no daily maximum


@dataclass(frozen=True, slots=True)
class TempBasal:
    """A programmed temporary basal: a percentage of the scheduled rate, or an absolute rate."""

    start_min: int
    end_min: int
    percent: float | None = None
    rate_u_per_h: float | None = None


@dataclass(slots=True)
class _ActiveBolus:
    bolus_id: int
    kind: BolusType
    start_min: int
    requested_u: float
    immediate_left_u: float
    extended_total_u: float
    extended_start_min: int
    extended_end_min: int
    extended_sent_u: float = 0.0
    extended_accum_u: float = 0.0
    delivered_u: float = 0.0


@dataclass(frozen=True, slots=True)
class DeliveryTimeline:
    """Per-minute requests and deliveries [U per minute, real units] and the event log.

    ``t_min[k]`` is the start of minute ``k``; ``scheduled_basal_u`` is what the active basal
    pattern asks for (rate / 60), ``basal_requested_u`` what the pump meant to deliver after any
    temporary basal, ``basal_delivered_u`` and ``bolus_delivered_u`` what left the reservoir.
    """

    t_min: NDArray[np.int64]
    scheduled_basal_u: NDArray[np.float64]
    basal_requested_u: NDArray[np.float64]
    basal_delivered_u: NDArray[np.float64]
    bolus_requested_u: NDArray[np.float64]
    bolus_delivered_u: NDArray[np.float64]
    events: tuple[PumpEvent, ...]

    @property
    def delivered_u(self) -> NDArray[np.float64]:
        return self.basal_delivered_u + self.bolus_delivered_u

    def totals(self) -> dict[str, float]:
        return {
            "scheduled_basal_u": float(self.scheduled_basal_u.sum()),
            "basal_delivered_u": float(self.basal_delivered_u.sum()),
            "bolus_requested_u": float(self.bolus_requested_u.sum()),
            "bolus_delivered_u": float(self.bolus_delivered_u.sum()),
            "total_delivered_u": float(self.delivered_u.sum()),
        }

    def clamps(self) -> list[PumpEvent]:
        return [e for e in self.events if e.kind is EventKind.CLAMP]

    def alarms(self) -> list[PumpEvent]:
        return [e for e in self.events if e.kind is EventKind.ALARM]


def _floor_to(x: float, step: float) -> float:
    return math.floor(x / step + _EPS) * step


@dataclass
class Pump:
    """One insulin pump. See the module docstring for the delivery model."""

    envelope: PumpEnvelope
    settings: PumpSettings
    concentration: Concentration = Concentration.U100
    start_min: int = 0
    reservoir_u: float | None = None  # real units loaded; None: a full reservoir
    battery_percent: float = 100.0

    _now: int = field(init=False)
    _patterns: dict[str, DailySchedule] = field(init=False, default_factory=dict)
    _active_pattern: str | None = field(init=False, default=None)
    _temp: TempBasal | None = field(init=False, default=None)
    _temp_clamped: bool = field(init=False, default=False)
    _boluses: list[_ActiveBolus] = field(init=False, default_factory=list)
    _next_bolus_id: int = field(init=False, default=1)
    _user_suspended: bool = field(init=False, default=False)
    _alarms: set[AlarmKind] = field(init=False, default_factory=set)
    _occluded: bool = field(init=False, default=False)
    _missed_u: float = field(init=False, default=0.0)
    _basal_accum_u: float = field(init=False, default=0.0)
    _last_interaction: int = field(init=False)
    _window_hour: deque[float] = field(init=False, default_factory=deque)
    _window_day: deque[float] = field(init=False, default_factory=deque)
    _rec: dict[str, list[float]] = field(init=False)
    _t: list[int] = field(init=False, default_factory=list)
    _events: list[PumpEvent] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.concentration = Concentration.parse(self.concentration)
        self._now = int(self.start_min)
        self._last_interaction = self._now
        self._rec = {k: [] for k in ("sched", "basal_req", "basal_del", "bolus_req", "bolus_del")}
        self._validate_settings(self.settings, self.concentration)
        capacity = self.reservoir_capacity_u
        if self.reservoir_u is None:
            self.reservoir_u = capacity
        check_range("reservoir_u", self.reservoir_u, 0.0, capacity, "U")
        check_range("battery_percent", self.battery_percent, 0.0, 100.0, "%")
        self._warn_off_label(self.concentration)
        self._check_reservoir_level()

    # ---- envelope in real units ------------------------------------------------------------
    @property
    def factor(self) -> float:
        """Real units per pump unit (concentration / 100)."""
        return float(self.concentration) / float(Concentration.U100)

    @property
    def reservoir_capacity_u(self) -> float:
        return self.envelope.reservoir_capacity_u * self.factor

    @property
    def basal_increments(self) -> StepTable:
        return self.envelope.basal_increments.scaled(self.factor)

    @property
    def bolus_increments(self) -> StepTable:
        return self.envelope.bolus_increments.scaled(self.factor)

    @property
    def basal_pulse_u(self) -> float:
        return self.envelope.basal_pulse_u * self.factor

    @property
    def bolus_step_u(self) -> float:
        return self.envelope.bolus_increments.finest * self.factor

    # ---- what therapy.limits needs (BolusDevice, BasalDevice) ------------------------------
    @property
    def device_name(self) -> str:
        return self.envelope.name

    @property
    def max_bolus_u(self) -> float:
        return self.settings.max_bolus_u

    @property
    def max_basal_u_per_h(self) -> float:
        return self.settings.max_basal_u_per_h

    def round_bolus_down(self, units: float) -> float:
        return self.bolus_increments.round_down(units)

    def round_basal_down(self, rate_u_per_h: float) -> float:
        return self.basal_increments.round_down(rate_u_per_h)

    @property
    def now_min(self) -> int:
        return self._now

    @property
    def active_pattern(self) -> str | None:
        return self._active_pattern

    @property
    def patterns(self) -> Mapping[str, DailySchedule]:
        return dict(self._patterns)

    @property
    def active_alarms(self) -> frozenset[AlarmKind]:
        return frozenset(self._alarms)

    @property
    def temp_basal(self) -> TempBasal | None:
        return self._temp

    @property
    def is_delivering(self) -> bool:
        return not self._user_suspended and not (self._alarms & STOPPING_ALARMS)

    @property
    def low_reservoir_alarm_u(self) -> float:
        if self.settings.low_reservoir_alarm_u is not None:
            return self.settings.low_reservoir_alarm_u
        return self.envelope.low_reservoir_alarm_default_u * self.factor

    # ---- validation (never mutates) --------------------------------------------------------
    def _validate_settings(self, s: PumpSettings, concentration: Concentration) -> None:
        env = self.envelope
        f = float(concentration) / float(Concentration.U100)
        check_range(
            "settings.max_basal_u_per_h",
            s.max_basal_u_per_h,
            0.0,
            env.basal_rate_range_u_per_h[1] * f,
            "U/h",
            lo_inclusive=False,
        )
        check_range("settings.max_bolus_u", s.max_bolus_u, 0.0, env.bolus_max_u * f, "U", lo_inclusive=False)
        if s.low_reservoir_alarm_u is not None:
            lo, hi = env.low_reservoir_alarm_range_u
            check_range("settings.low_reservoir_alarm_u", s.low_reservoir_alarm_u, lo * f, hi * f, "U")
        if s.auto_off_h is not None:
            if env.auto_off_range_h is None:
                raise InputRangeError(
                    "settings.auto_off_h", s.auto_off_h, f"None ({env.name} has no auto-off)"
                )
            check_range("settings.auto_off_h", s.auto_off_h, *env.auto_off_range_h, "h")
        for name, value, env_max in (
            ("settings.max_hourly_u", s.max_hourly_u, env.max_hourly_u),
            ("settings.max_daily_u", s.max_daily_u, env.max_daily_u),
        ):
            if value is not None:
                upper = env_max * f if env_max is not None else math.inf
                check_range(name, value, 0.0, upper, "U", lo_inclusive=False)

    def _validate_pattern(self, name: str, schedule: DailySchedule) -> None:
        env = self.envelope
        if not name or not name.strip():
            raise InputRangeError("pattern.name", name, "a non-empty name")
        max_segments = min(env.basal_segments_max, _GENERIC_MAX_SEGMENTS)
        if len(schedule.starts_min) > max_segments:
            raise InputRangeError(
                f"pattern[{name}].segments",
                len(schedule.starts_min),
                f"at most {max_segments} segments on the {env.name}",
            )
        grid = max(_GENERIC_SEGMENT_GRID_MIN, env.basal_segment_min_minutes)
        for i, start in enumerate(schedule.starts_min):
            if start % grid:
                raise InputRangeError(
                    f"pattern[{name}].segment[{i}].start_min",
                    start,
                    f"a multiple of {grid} min (segment boundary on the {env.name})",
                )
        lo, hi = env.basal_rate_range_u_per_h
        lo, hi = lo * self.factor, min(hi * self.factor, self.settings.max_basal_u_per_h)
        for i, rate in enumerate(schedule.values):
            check_range(f"pattern[{name}].segment[{i}].rate_u_per_h", rate, lo, hi, "U/h")
            if not self.basal_increments.is_valid(rate):
                raise InputRangeError(
                    f"pattern[{name}].segment[{i}].rate_u_per_h",
                    rate,
                    f"a multiple of {self.basal_increments.step_at(rate):g} U/h",
                )
        if name not in self._patterns and len(self._patterns) >= env.basal_patterns_max:
            raise InputRangeError(
                "pattern.name",
                name,
                f"one of the {env.basal_patterns_max} existing patterns "
                f"(the {env.name} holds at most {env.basal_patterns_max})",
            )

    def _require_delivering(self, what: str) -> None:
        if self._user_suspended:
            raise PumpStateError(f"{what}: the pump is suspended; resume first")
        stopped = self._alarms & STOPPING_ALARMS
        if stopped:
            names = ", ".join(sorted(a.value for a in stopped))
            raise PumpStateError(f"{what}: delivery is stopped by alarm ({names}); clear it and resume first")
        if self._active_pattern is None:
            raise PumpStateError(f"{what}: no basal pattern is active")

    def _check_bolus_units(self, field_name: str, units: float, *, allow_zero: bool = False) -> float:
        u = check_finite(field_name, units)
        lo = 0.0 if allow_zero else self.bolus_step_u
        check_range(field_name, u, lo, self.settings.max_bolus_u, "U (the pump's max bolus setting)")
        if not self.bolus_increments.is_valid(u):
            raise InputRangeError(field_name, units, f"a multiple of {self.bolus_increments.step_at(u):g} U")
        return u

    def _check_extended_duration(self, duration_min: float) -> int:
        env = self.envelope
        if env.extended_bolus_duration_range_min is None or env.extended_bolus_duration_step_min is None:
            raise InputRangeError("bolus.duration_min", duration_min, f"no extended bolus on the {env.name}")
        d = check_range("bolus.duration_min", duration_min, *env.extended_bolus_duration_range_min, "min")
        step = env.extended_bolus_duration_step_min
        if abs(round(d / step) * step - d) > _EPS:
            raise InputRangeError("bolus.duration_min", duration_min, f"a multiple of {step:g} min")
        return round(d)

    # ---- commands --------------------------------------------------------------------------
    def _log(
        self,
        kind: EventKind,
        detail: str,
        *,
        requested: float | None = None,
        delivered: float | None = None,
        alarm: AlarmKind | None = None,
    ) -> None:
        self._events.append(PumpEvent(self._now, kind, detail, requested, delivered, alarm))

    def _interaction(self) -> None:
        self._last_interaction = self._now

    def _warn_off_label(self, concentration: Concentration) -> None:
        if int(concentration) not in self.envelope.insulin_concentrations:
            labelled = ", ".join(f"U-{c}" for c in self.envelope.insulin_concentrations)
            self._log(
                EventKind.WARNING,
                f"off-label: {self.envelope.name} is labelled for {labelled}; "
                f"running U-{int(concentration)}, all doses in real units",
            )

    def configure(self, settings: PumpSettings) -> None:
        """Replace the settings (validated first; patterns must still fit the new max basal)."""
        self._validate_settings(settings, self.concentration)
        for name, sched in self._patterns.items():
            if max(sched.values) > settings.max_basal_u_per_h + _EPS:
                raise InputRangeError(
                    "settings.max_basal_u_per_h",
                    settings.max_basal_u_per_h,
                    f">= {max(sched.values):g} U/h (pattern {name!r} uses it)",
                )
        temp = self._temp
        if (
            temp is not None
            and temp.rate_u_per_h is not None
            and temp.rate_u_per_h > settings.max_basal_u_per_h
        ):
            raise InputRangeError(
                "settings.max_basal_u_per_h",
                settings.max_basal_u_per_h,
                f">= {temp.rate_u_per_h:g} U/h (the running temp basal uses it; cancel it first)",
            )
        self.settings = settings
        self._interaction()
        self._log(EventKind.SETTINGS, f"settings: {settings}")

    def set_pattern(self, name: str, schedule: DailySchedule) -> None:
        """Save (or replace) a named basal pattern."""
        self._validate_pattern(name, schedule)
        self._patterns[name] = replace(schedule, name=name)
        self._interaction()
        self._log(
            EventKind.PATTERN_SAVED,
            f"pattern {name!r}: {schedule.daily_integral():.3f} U/day, {len(schedule.starts_min)} segment(s)",
        )

    def activate_pattern(self, name: str) -> None:
        if name not in self._patterns:
            raise InputRangeError(
                "pattern.name", name, "one of " + ", ".join(map(repr, sorted(self._patterns)))
            )
        self._active_pattern = name
        self._interaction()
        self._log(EventKind.PATTERN_ACTIVATED, f"pattern {name!r} active")

    def start_temp_basal(
        self, duration_min: float, *, percent: float | None = None, rate_u_per_h: float | None = None
    ) -> TempBasal:
        """Start a temporary basal (replacing any running one)."""
        env = self.envelope
        self._require_delivering("temp basal")
        if (percent is None) == (rate_u_per_h is None):
            raise InputRangeError(
                "temp_basal", (percent, rate_u_per_h), "exactly one of percent or rate_u_per_h"
            )
        d = check_range("temp_basal.duration_min", duration_min, *env.temp_basal_duration_range_min, "min")
        step = env.temp_basal_duration_step_min
        if abs(round(d / step) * step - d) > _EPS:
            raise InputRangeError("temp_basal.duration_min", duration_min, f"a multiple of {step:g} min")
        if percent is not None:
            if TempBasalType.PERCENT not in env.temp_basal_types or env.temp_basal_percent_range is None:
                raise InputRangeError(
                    "temp_basal.percent", percent, f"an absolute rate ({env.name} sets U/h)"
                )
            p = check_range("temp_basal.percent", percent, *env.temp_basal_percent_range, "%")
            pstep = env.temp_basal_percent_step or 1.0
            if abs(round(p / pstep) * pstep - p) > _EPS:
                raise InputRangeError("temp_basal.percent", percent, f"a multiple of {pstep:g} %")
            temp = TempBasal(self._now, self._now + round(d), percent=p)
            what = f"{p:g} %"
        else:
            assert rate_u_per_h is not None
            if TempBasalType.ABSOLUTE not in env.temp_basal_types:
                raise InputRangeError(
                    "temp_basal.rate_u_per_h", rate_u_per_h, f"a percentage ({env.name} sets %)"
                )
            upper = self.settings.max_basal_u_per_h
            if env.temp_basal_absolute_max_u_per_h is not None:
                upper = min(upper, env.temp_basal_absolute_max_u_per_h * self.factor)
            r = check_range("temp_basal.rate_u_per_h", rate_u_per_h, 0.0, upper, "U/h (max basal)")
            if not self.basal_increments.is_valid(r):
                raise InputRangeError(
                    "temp_basal.rate_u_per_h",
                    rate_u_per_h,
                    f"a multiple of {self.basal_increments.step_at(r):g} U/h",
                )
            temp = TempBasal(self._now, self._now + round(d), rate_u_per_h=r)
            what = f"{r:g} U/h"
        if self._temp is not None:
            self._log(EventKind.TEMP_BASAL_CANCELLED, "replaced by a new temp basal")
        self._temp = temp
        self._temp_clamped = False
        self._interaction()
        self._log(EventKind.TEMP_BASAL_STARTED, f"temp basal {what} for {d:g} min")
        return temp

    def cancel_temp_basal(self) -> None:
        if self._temp is None:
            raise PumpStateError("cancel temp basal: no temp basal is running")
        self._temp = None
        self._interaction()
        self._log(EventKind.TEMP_BASAL_CANCELLED, "temp basal cancelled")

    def bolus(
        self,
        units: float,
        *,
        kind: BolusType | str = BolusType.NORMAL,
        extended_units: float = 0.0,
        duration_min: float = 0.0,
    ) -> int:
        """Start a bolus and return its id.

        ``kind="normal"``: ``units`` now. ``kind="extended"``: ``extended_units`` over
        ``duration_min`` (``units`` must be 0). ``kind="dual_wave"``: ``units`` now plus
        ``extended_units`` over ``duration_min``.
        """
        kind = parse_enum(BolusType, kind, "bolus.kind")
        if kind not in self.envelope.bolus_types:
            raise InputRangeError(
                "bolus.kind",
                kind.value,
                "one of "
                + ", ".join(sorted(t.value for t in self.envelope.bolus_types))
                + f" on the {self.envelope.name}",
            )
        self._require_delivering("bolus")
        now_u = self._check_bolus_units("bolus.units", units, allow_zero=kind is BolusType.EXTENDED)
        ext_u, dur = 0.0, 0
        if kind is BolusType.NORMAL:
            if extended_units or duration_min:
                raise InputRangeError("bolus.extended_units", extended_units, "0 for a normal bolus")
        else:
            if kind is BolusType.EXTENDED and now_u:
                raise InputRangeError("bolus.units", units, "0 for an extended bolus (use extended_units)")
            ext_u = self._check_bolus_units("bolus.extended_units", extended_units)
            dur = self._check_extended_duration(duration_min)
            total = now_u + ext_u
            if total > self.settings.max_bolus_u + _EPS:
                raise InputRangeError(
                    "bolus.total_u", total, f"at most {self.settings.max_bolus_u:g} U (max bolus)"
                )
        if now_u and any(b.immediate_left_u > _EPS for b in self._boluses):
            raise PumpStateError("bolus: a normal bolus is already being delivered")
        if ext_u and any(b.extended_end_min > self._now for b in self._boluses if b.extended_total_u):
            raise PumpStateError("bolus: an extended bolus is already running")
        bolus = _ActiveBolus(
            self._next_bolus_id, kind, self._now, now_u + ext_u, now_u, ext_u, self._now, self._now + dur
        )
        self._next_bolus_id += 1
        self._boluses.append(bolus)
        self._interaction()
        detail = f"bolus #{bolus.bolus_id} {kind.value}: {now_u:g} U now"
        if ext_u:
            detail += f" + {ext_u:g} U over {dur} min"
        self._log(EventKind.BOLUS_STARTED, detail, requested=now_u + ext_u)
        return bolus.bolus_id

    def suspend(self) -> None:
        if self._user_suspended:
            raise PumpStateError("suspend: the pump is already suspended")
        self._user_suspended = True
        self._cancel_boluses("suspended")
        self._interaction()
        self._log(EventKind.SUSPENDED, "delivery suspended by the user")

    def resume(self) -> None:
        """Resume delivery after a user suspension or a stopping alarm whose cause is cleared."""
        if self._occluded:
            raise PumpStateError("resume: occlusion not cleared; change the infusion set first")
        if self.reservoir_u is not None and self.reservoir_u <= _EPS:
            raise PumpStateError("resume: the reservoir is empty; change it first")
        if self.battery_percent <= 0:
            raise PumpStateError("resume: the battery is empty; change it first")
        if not self._user_suspended and not (self._alarms & STOPPING_ALARMS):
            raise PumpStateError("resume: the pump is already delivering")
        self._user_suspended = False
        self._alarms -= STOPPING_ALARMS
        self._interaction()
        self._log(EventKind.RESUMED, "delivery resumed")

    def change_reservoir(self, fill_u: float, concentration: Concentration | int | str | None = None) -> None:
        """Load a new reservoir with ``fill_u`` real units, optionally at another concentration."""
        conc = self.concentration if concentration is None else Concentration.parse(concentration)
        f = float(conc) / float(Concentration.U100)
        fill = check_range(
            "reservoir.fill_u", fill_u, 0.0, self.envelope.reservoir_capacity_u * f, "U", lo_inclusive=False
        )
        if any(b.immediate_left_u > _EPS or b.extended_end_min > self._now for b in self._boluses):
            raise PumpStateError("change reservoir: a bolus is in progress; wait or cancel it")
        if conc != self.concentration:
            self._validate_settings(self.settings, conc)
            for name, sched in self._patterns.items():
                for i, rate in enumerate(sched.values):
                    if not self.envelope.basal_increments.scaled(f).is_valid(rate):
                        raise InputRangeError(
                            f"pattern[{name}].segment[{i}].rate_u_per_h",
                            rate,
                            f"a multiple of the U-{int(conc)} basal increment",
                        )
        self.concentration = conc
        self.reservoir_u = fill
        self._alarms.discard(AlarmKind.LOW_RESERVOIR)  # an empty-reservoir stop still needs resume()
        self._interaction()
        self._log(EventKind.RESERVOIR_CHANGED, f"reservoir loaded: {fill:g} U of U-{int(conc)}")
        self._warn_off_label(conc)
        self._check_reservoir_level()

    def change_infusion_set(self) -> None:
        """Clears an occlusion (the fault and its missed volume)."""
        self._occluded = False
        self._missed_u = 0.0
        self._interaction()
        self._log(EventKind.INFUSION_SET_CHANGED, "infusion set changed")

    def occlude(self) -> None:
        """Fault injection: the infusion line blocks from now on (the pump detects it later)."""
        self._occluded = True
        self._log(EventKind.WARNING, "fault injected: infusion line occluded")

    def set_battery(self, percent: float) -> None:
        p = check_range("battery_percent", percent, 0.0, 100.0, "%")
        self.battery_percent = p
        self._log(EventKind.BATTERY, f"battery {p:g} %")
        if p <= 0:
            self._raise_alarm(AlarmKind.EMPTY_BATTERY, "battery empty: delivery stopped")
        elif p <= _LOW_BATTERY_PERCENT:
            self._raise_alarm(AlarmKind.LOW_BATTERY, f"battery low ({p:g} %)")
        else:
            self._alarms.discard(AlarmKind.LOW_BATTERY)

    def acknowledge(self, alarm: AlarmKind) -> None:
        """Acknowledge a non-stopping alarm (stopping alarms clear on :meth:`resume`)."""
        if alarm in STOPPING_ALARMS:
            raise PumpStateError(f"acknowledge: {alarm.value} stops delivery; clear its cause and resume")
        self._alarms.discard(alarm)
        self._interaction()

    # ---- delivery --------------------------------------------------------------------------
    def _check_reservoir_level(self) -> None:
        """Low-reservoir alarm for a reservoir loaded at or below the alarm threshold."""
        assert self.reservoir_u is not None
        if self.reservoir_u <= self.low_reservoir_alarm_u:
            self._raise_alarm(AlarmKind.LOW_RESERVOIR, f"low reservoir: {self.reservoir_u:g} U left")

    def _expire_temp(self, m: int) -> None:
        if self._temp is not None and m >= self._temp.end_min:
            self._events.append(
                PumpEvent(self._temp.end_min, EventKind.TEMP_BASAL_ENDED, "temp basal completed")
            )
            self._temp = None

    def _raise_alarm(self, alarm: AlarmKind, detail: str) -> None:
        if alarm in self._alarms:
            return
        self._alarms.add(alarm)
        self._log(EventKind.ALARM, detail, alarm=alarm)
        if alarm in STOPPING_ALARMS:
            self._cancel_boluses(f"stopped by alarm {alarm.value}")

    def _cancel_boluses(self, why: str) -> None:
        for b in self._boluses:
            left = b.immediate_left_u + (b.extended_total_u - b.extended_sent_u)
            if left > _EPS:
                self._log(
                    EventKind.BOLUS_CANCELLED,
                    f"bolus #{b.bolus_id} {why}: {b.delivered_u:g} of {b.requested_u:g} U delivered",
                    requested=b.requested_u,
                    delivered=b.delivered_u,
                )
        self._boluses.clear()

    def _basal_rate(self, m: int, scheduled: float) -> float:
        self._expire_temp(m)
        temp = self._temp
        if temp is None:
            return scheduled
        if temp.rate_u_per_h is not None:
            return temp.rate_u_per_h
        assert temp.percent is not None
        rate = self.basal_increments.round_down(scheduled * temp.percent / 100.0)
        if rate > self.settings.max_basal_u_per_h + _EPS:
            if not self._temp_clamped:
                self._log(
                    EventKind.CLAMP,
                    f"temp basal {temp.percent:g} % of {scheduled:g} U/h = {rate:g} U/h "
                    f"clamped to max basal {self.settings.max_basal_u_per_h:g} U/h",
                    requested=rate,
                    delivered=self.settings.max_basal_u_per_h,
                )
                self._temp_clamped = True
            rate = self.settings.max_basal_u_per_h
        return rate

    def _plan_boluses(self, m: int) -> list[tuple[_ActiveBolus, float]]:
        """This minute's bolus chunks, in whole increments, at the model's bolus speed."""
        step = self.bolus_step_u
        per_min = max(step, _floor_to(self.envelope.bolus_speed_u_per_min * self.factor, step))
        plan: list[tuple[_ActiveBolus, float]] = []
        for b in self._boluses:
            chunk = 0.0
            if b.immediate_left_u > _EPS:
                now_part = min(b.immediate_left_u, per_min)
                b.immediate_left_u = round(b.immediate_left_u - now_part, 10)
                chunk += now_part
            if b.extended_total_u and b.extended_start_min <= m < b.extended_end_min:
                if m == b.extended_end_min - 1:
                    ext_part = b.extended_total_u - b.extended_sent_u
                else:
                    b.extended_accum_u += b.extended_total_u / (b.extended_end_min - b.extended_start_min)
                    ext_part = _floor_to(b.extended_accum_u, step)
                    b.extended_accum_u -= ext_part
                ext_part = round(ext_part, 10)
                b.extended_sent_u += ext_part
                chunk += ext_part
            plan.append((b, chunk))
        return plan

    @staticmethod
    def _book_boluses(plan: list[tuple[_ActiveBolus, float]], delivered_u: float) -> None:
        """Share what was actually delivered among this minute's bolus chunks, in order."""
        left = delivered_u
        for b, chunk in plan:
            given = min(chunk, left)
            b.delivered_u = round(b.delivered_u + given, 10)
            left -= given

    def _finish_boluses(self, m: int) -> None:
        done = [
            b
            for b in self._boluses
            if b.immediate_left_u <= _EPS and (not b.extended_total_u or m + 1 >= b.extended_end_min)
        ]
        for b in done:
            self._events.append(
                PumpEvent(
                    m + 1,
                    EventKind.BOLUS_COMPLETED,
                    f"bolus #{b.bolus_id} completed",
                    b.requested_u,
                    b.delivered_u,
                )
            )
            self._boluses.remove(b)

    def _limit(
        self, m: int, candidate: float, pulse: float
    ) -> tuple[float, list[tuple[AlarmKind, str]], bool]:
        """Apply hourly/daily maxima, reservoir and occlusion to this minute's delivery.

        Returns what leaves the pump, the alarms to raise once the minute is booked (raising them
        cancels boluses, which must first be credited with this minute's delivery), and whether
        the line is occluded (the pump does not know yet: a bolus keeps running until detection).
        """
        s = self.settings
        allowed = candidate
        alarms: list[tuple[AlarmKind, str]] = []
        for limit, window, alarm, label in (
            (s.max_hourly_u, self._window_hour, AlarmKind.MAX_HOURLY_REACHED, "hourly"),
            (s.max_daily_u, self._window_day, AlarmKind.MAX_DAILY_REACHED, "daily"),
        ):
            if limit is not None and sum(window) + allowed > limit + _EPS:
                fit = _floor_to(max(0.0, limit - sum(window)), pulse)
                self._events.append(
                    PumpEvent(
                        m,
                        EventKind.CLAMP,
                        f"{label} maximum {limit:g} U reached: {allowed:g} U requested, {fit:g} U delivered",
                        allowed,
                        fit,
                    )
                )
                allowed = fit
                alarms.append((alarm, f"{label} maximum delivery {limit:g} U reached: delivery stopped"))
        assert self.reservoir_u is not None
        if allowed > self.reservoir_u + _EPS:
            fit = _floor_to(self.reservoir_u, pulse)
            self._events.append(
                PumpEvent(
                    m,
                    EventKind.CLAMP,
                    f"reservoir empty: {allowed:g} U requested, {fit:g} U delivered",
                    allowed,
                    fit,
                )
            )
            allowed = fit
        if self._occluded and allowed > 0:
            self._missed_u += allowed
            if self._missed_u / self.factor + _EPS >= self.envelope.occlusion_threshold_u:
                alarms.append(
                    (AlarmKind.OCCLUSION, f"occlusion detected after {self._missed_u:g} U not delivered")
                )
            return 0.0, alarms, True
        return allowed, alarms, self._occluded

    def _step(self, m: int) -> None:
        assert self._active_pattern is not None
        scheduled = self._patterns[self._active_pattern].scalar_at(m)
        rate = self._basal_rate(m, scheduled)
        basal_req = rate / MIN_PER_H
        bolus_req = 0.0
        basal_del = bolus_del = 0.0
        s = self.settings
        if s.auto_off_h is not None and m - self._last_interaction >= s.auto_off_h * MIN_PER_H:
            self._raise_alarm(AlarmKind.AUTO_OFF, f"auto-off: no user interaction for {s.auto_off_h:g} h")
        if self.is_delivering:
            pulse = self.basal_pulse_u
            self._basal_accum_u += basal_req
            basal_due = _floor_to(self._basal_accum_u, pulse)
            plan = self._plan_boluses(m)
            bolus_req = sum(chunk for _, chunk in plan)
            delivered, alarms, occluded = self._limit(m, basal_due + bolus_req, min(pulse, self.bolus_step_u))
            basal_del = min(basal_due, delivered)
            bolus_del = round(delivered - basal_del, 10)
            self._book_boluses(plan, bolus_del)
            for alarm, detail in alarms:
                self._raise_alarm(alarm, detail)
            self._basal_accum_u -= basal_due
            assert self.reservoir_u is not None
            before = self.reservoir_u
            self.reservoir_u = max(0.0, round(before - delivered, 10))
            if before > self.low_reservoir_alarm_u >= self.reservoir_u:
                self._raise_alarm(AlarmKind.LOW_RESERVOIR, f"low reservoir: {self.reservoir_u:g} U left")
            if self.reservoir_u <= _EPS:
                self._raise_alarm(AlarmKind.EMPTY_RESERVOIR, "reservoir empty: delivery stopped")
            if bolus_del + _EPS < bolus_req and not occluded:
                self._cancel_boluses("stopped by a delivery limit")
            self._finish_boluses(m)
        for window, size in ((self._window_hour, 60), (self._window_day, 1440)):
            window.append(basal_del + bolus_del)
            if len(window) >= size:
                window.popleft()
        self._t.append(m)
        for key, value in (
            ("sched", scheduled / MIN_PER_H),
            ("basal_req", basal_req),
            ("basal_del", basal_del),
            ("bolus_req", bolus_req),
            ("bolus_del", bolus_del),
        ):
            self._rec[key].append(value)

    def advance(self, to_min: int) -> None:
        """Run the pump from now to ``to_min`` (exclusive), minute by minute."""
        end = int(to_min)
        if end < self._now:
            raise InputRangeError("advance.to_min", to_min, f">= now ({self._now} min)")
        if end > self._now and self._active_pattern is None:
            raise PumpStateError("advance: no basal pattern is active")
        for m in range(self._now, end):
            self._now = m
            self._step(m)
        self._now = end
        self._expire_temp(end)

    def timeline(self) -> DeliveryTimeline:
        def arr(key: str) -> NDArray[np.float64]:
            return np.asarray(self._rec[key], dtype=np.float64)

        return DeliveryTimeline(
            t_min=np.asarray(self._t, dtype=np.int64),
            scheduled_basal_u=arr("sched"),
            basal_requested_u=arr("basal_req"),
            basal_delivered_u=arr("basal_del"),
            bolus_requested_u=arr("bolus_req"),
            bolus_delivered_u=arr("bolus_del"),
            events=tuple(self._events),
        )
