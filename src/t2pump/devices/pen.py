"""Insulin pens for multiple daily injections (MDI): dial steps, maximum per injection, strength.

A pen dials whole steps (0.5 U on half-unit pens, 1 U on most, 2 U on Tresiba FlexTouch U-200)
up to a maximum per injection. A prescribed dose above that maximum is given as several
injections, as patients are taught to do; :meth:`Pen.split` splits it into near-equal
injections in whole steps. Doses are real units; concentrated pens (U-200, U-300) dial real units
(the dose counter shows units, not volume), per their labels.

Pen data are from the products' instructions for use / SmPC section 6.5-6.6 (cited per pen).
They were not re-read in this session: each carries ``verified=False`` until checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from t2pump.errors import InputRangeError, check_finite, check_range
from t2pump.units import Concentration

__all__ = ["PEN_CATALOGUE", "Pen", "get_pen"]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Pen:
    """A pen model: strength, dial step and maximum per injection, in real units."""

    pen_id: str
    name: str
    products: tuple[str, ...]  # insulin product ids (t2pump.insulin.products)
    concentration: Concentration
    step_u: float
    max_per_injection_u: float
    cartridge_u: float
    source: str
    verified: bool = False

    def __post_init__(self) -> None:
        check_range(f"pen[{self.pen_id}].step_u", self.step_u, 0.0, 2.0, "U", lo_inclusive=False)
        check_range(
            f"pen[{self.pen_id}].max_per_injection_u", self.max_per_injection_u, self.step_u, 200.0, "U"
        )

    @property
    def device_name(self) -> str:
        return self.name

    def round_dose_down(self, units: float) -> float:
        """The dose this pen can dial, rounded down to its step."""
        units = check_range("dose_u", units, 0.0, math.inf, "U")
        return round(math.floor(units / self.step_u + _EPS) * self.step_u, 10)

    def split(self, units: float) -> tuple[float, ...]:
        """Split a dose into the fewest near-equal injections, each at most the pen's maximum.

        ``units`` must already be a multiple of the step. Injections differ by at most one step
        and are listed largest first.
        """
        units = check_finite("dose_u", units)
        steps = round(units / self.step_u)
        if steps < 0 or abs(steps * self.step_u - units) > _EPS * max(1.0, units):
            raise InputRangeError("dose_u", units, f"a non-negative multiple of {self.step_u:g} U")
        if steps == 0:
            return ()
        max_steps = math.floor(self.max_per_injection_u / self.step_u + _EPS)
        n = math.ceil(steps / max_steps)
        base, extra = divmod(steps, n)
        return tuple(round((base + (1 if i < extra else 0)) * self.step_u, 10) for i in range(n))


# Dial steps and maxima from the instructions for use / SmPC of each pen; recalled, not re-read
# in this session (verified=False).
PEN_CATALOGUE: tuple[Pen, ...] = (
    Pen(
        "novopen_echo",
        "NovoPen Echo (half-unit)",
        ("aspart", "faster_aspart"),
        Concentration.U100,
        0.5,
        30.0,
        300.0,
        "NovoPen Echo instructions for use: 0.5-30 U in 0.5 U steps",
    ),
    Pen(
        "humalog_junior_kwikpen",
        "Humalog Junior KwikPen",
        ("lispro",),
        Concentration.U100,
        0.5,
        30.0,
        300.0,
        "Humalog SmPC 6.5: Junior KwikPen 0.5-30 U in 0.5 U steps",
    ),
    Pen(
        "humalog_kwikpen",
        "Humalog KwikPen U-100",
        ("lispro",),
        Concentration.U100,
        1.0,
        60.0,
        300.0,
        "Humalog SmPC 6.5: KwikPen 1-60 U in 1 U steps",
    ),
    Pen(
        "humalog_kwikpen_u200",
        "Humalog KwikPen U-200",
        ("lispro",),
        Concentration.U200,
        1.0,
        60.0,
        600.0,
        "Humalog 200 U/mL SmPC 6.5: 1-60 U in 1 U steps, dose counter in real units",
    ),
    Pen(
        "novorapid_flexpen",
        "NovoRapid FlexPen",
        ("aspart",),
        Concentration.U100,
        1.0,
        60.0,
        300.0,
        "NovoRapid SmPC 6.5: FlexPen 1-60 U in 1 U steps",
    ),
    Pen(
        "fiasp_flextouch",
        "Fiasp FlexTouch",
        ("faster_aspart",),
        Concentration.U100,
        1.0,
        80.0,
        300.0,
        "Fiasp SmPC 6.5: FlexTouch 1-80 U in 1 U steps",
    ),
    Pen(
        "apidra_solostar",
        "Apidra SoloStar",
        ("glulisine",),
        Concentration.U100,
        1.0,
        80.0,
        300.0,
        "Apidra SmPC 6.5: SoloStar 1-80 U in 1 U steps",
    ),
    Pen(
        "lyumjev_kwikpen",
        "Lyumjev KwikPen U-100",
        ("lyumjev",),
        Concentration.U100,
        1.0,
        60.0,
        300.0,
        "Lyumjev SmPC 6.5: KwikPen 1-60 U in 1 U steps",
    ),
    Pen(
        "lantus_solostar",
        "Lantus SoloStar",
        ("glargine_u100",),
        Concentration.U100,
        1.0,
        80.0,
        300.0,
        "Lantus SmPC 6.5: SoloStar 1-80 U in 1 U steps",
    ),
    Pen(
        "toujeo_solostar",
        "Toujeo SoloStar",
        ("glargine_u300",),
        Concentration.U300,
        1.0,
        80.0,
        450.0,
        "Toujeo SmPC 6.5: SoloStar 1-80 U in 1 U steps, 450 U per pen",
    ),
    Pen(
        "toujeo_doublestar",
        "Toujeo DoubleStar",
        ("glargine_u300",),
        Concentration.U300,
        2.0,
        160.0,
        900.0,
        "Toujeo SmPC 6.5: DoubleStar 2-160 U in 2 U steps, 900 U per pen",
    ),
    Pen(
        "tresiba_flextouch_u100",
        "Tresiba FlexTouch U-100",
        ("degludec",),
        Concentration.U100,
        1.0,
        80.0,
        300.0,
        "Tresiba SmPC 6.5: FlexTouch 100 U/mL 1-80 U in 1 U steps",
    ),
    Pen(
        "tresiba_flextouch_u200",
        "Tresiba FlexTouch U-200",
        ("degludec",),
        Concentration.U200,
        2.0,
        160.0,
        600.0,
        "Tresiba SmPC 6.5: FlexTouch 200 U/mL 2-160 U in 2 U steps",
    ),
    Pen(
        "levemir_flexpen",
        "Levemir FlexPen",
        ("detemir",),
        Concentration.U100,
        1.0,
        60.0,
        300.0,
        "Levemir SmPC 6.5: FlexPen 1-60 U in 1 U steps",
    ),
    Pen(
        "humulin_n_kwikpen",
        "Humulin N KwikPen",
        ("nph",),
        Concentration.U100,
        1.0,
        60.0,
        300.0,
        "Humulin N prescribing information: KwikPen 1-60 U in 1 U steps",
    ),
)


@cache
def _by_id() -> dict[str, Pen]:
    return {p.pen_id: p for p in PEN_CATALOGUE}


def get_pen(pen_id: str) -> Pen:
    pens = _by_id()
    if pen_id not in pens:
        raise InputRangeError("pen", pen_id, "one of " + ", ".join(sorted(pens)))
    return pens[pen_id]
