"""Time in ranges (% of readings) with the consensus cut-offs, and the Glycemia Risk Index.

Cut-offs are mg/dL and, with integer sensor values, partition the readings into the consensus
bands [1]_: very low < 54, low 54-69, target 70-180, high 181-250, very high > 250. Below and
above are strict (``g < 70``, ``g > 180``), in range is inclusive at both ends (``70 <= g <= 180``),
as in the consensus tables and iglu [3]_. Also: tight range 70-140 (Battelino 2023 [2]_) and the
pregnancy range 63-140 (Battelino 2019 [1]_, Table 4).

Each function takes glucose of shape ``(n_readings,)`` or ``(n_patients, n_readings)`` (NaN =
missing) and returns an array of shape ``()`` or ``(n_patients,)``.

References
----------
.. [1] Battelino T, et al. Clinical targets for CGM data interpretation: international consensus
   on time in range. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028 (Tables 1, 2, 4)
.. [2] Battelino T, Alexander CM, Amiel SA, et al. Continuous glucose monitoring and metrics for
   clinical trials: an international consensus statement. Lancet Diabetes Endocrinol
   2023;11(1):42-57. doi:10.1016/S2213-8587(22)00319-9
.. [3] iglu 4.3.0 ``R/below_percent.R``, ``above_percent.R``, ``in_range_percent.R``, ``gri.R``.
.. [4] Klonoff DC, Wang J, Rodbard D, et al. A Glycemia Risk Index (GRI) of hypoglycemia and
   hyperglycemia for continuous glucose monitoring validated by clinician ratings. J Diabetes Sci
   Technol 2023;17(5):1226-1242. doi:10.1177/19322968221085273 (GRI formula and zones A-E)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_finite
from t2pump.metrics import _rstats
from t2pump.metrics._inputs import glucose_array

__all__ = [
    "GRI_CAP",
    "HYPER_L1_MGDL",
    "HYPER_L2_MGDL",
    "HYPO_L1_MGDL",
    "HYPO_L2_MGDL",
    "PREGNANCY_RANGE_MGDL",
    "TARGET_RANGE_MGDL",
    "TIGHT_RANGE_MGDL",
    "Gri",
    "GriZone",
    "TimeInRanges",
    "gri",
    "gri_zone",
    "percent_above",
    "percent_below",
    "percent_in_range",
    "time_in_ranges",
]

FloatArray = NDArray[np.float64]

HYPO_L2_MGDL = 54.0  # level 2 hypoglycaemia: < 54 mg/dL [1]
HYPO_L1_MGDL = 70.0  # level 1 hypoglycaemia: < 70 mg/dL [1]
HYPER_L1_MGDL = 180.0  # level 1 hyperglycaemia: > 180 mg/dL [1]
HYPER_L2_MGDL = 250.0  # level 2 hyperglycaemia: > 250 mg/dL [1]
TARGET_RANGE_MGDL = (70.0, 180.0)  # time in range [1]
TIGHT_RANGE_MGDL = (70.0, 140.0)  # time in tight range [2]
PREGNANCY_RANGE_MGDL = (63.0, 140.0)  # pregnancy target range [1] Table 4

# GRI = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High, capped at 100 [4] (equation in the abstract).
_GRI_W_VLOW, _GRI_W_LOW, _GRI_W_VHIGH, _GRI_W_HIGH = 3.0, 2.4, 1.6, 0.8
# Components: hypo = VLow + 0.8 Low, hyper = VHigh + 0.5 High; GRI = 3 hypo + 1.6 hyper [4].
_GRI_HYPO_W_LOW, _GRI_HYPER_W_HIGH = 0.8, 0.5
GRI_CAP = 100.0  # [4]
_GRI_ZONE_UPPER = (20.0, 40.0, 60.0, 80.0)  # zones A-D upper limits; E above [4] (Figure 4)


def _percent(cond: NDArray[np.bool_], g: FloatArray) -> FloatArray:
    valid = ~np.isnan(g)
    return _rstats.divide(np.sum(cond & valid, axis=-1), np.sum(valid, axis=-1)) * 100.0


def percent_below(glucose_mgdl: ArrayLike, threshold_mgdl: float) -> FloatArray:
    """Readings strictly below ``threshold_mgdl`` [% of readings]."""
    thr = check_finite("threshold_mgdl", threshold_mgdl)
    g = glucose_array(glucose_mgdl)
    return _percent(g < thr, g)


def percent_above(glucose_mgdl: ArrayLike, threshold_mgdl: float) -> FloatArray:
    """Readings strictly above ``threshold_mgdl`` [% of readings]."""
    thr = check_finite("threshold_mgdl", threshold_mgdl)
    g = glucose_array(glucose_mgdl)
    return _percent(g > thr, g)


def percent_in_range(glucose_mgdl: ArrayLike, low_mgdl: float, high_mgdl: float) -> FloatArray:
    """Readings with ``low <= g <= high`` [% of readings] (70-180 is the consensus TIR [1])."""
    lo = check_finite("low_mgdl", low_mgdl)
    hi = check_finite("high_mgdl", high_mgdl)
    if hi < lo:
        raise InputRangeError("high_mgdl", high_mgdl, f"a value >= low_mgdl = {lo:g}")
    g = glucose_array(glucose_mgdl)
    return _percent((g >= lo) & (g <= hi), g)


@dataclass(frozen=True, slots=True, eq=False)
class TimeInRanges:
    """Consensus time in ranges [% of readings]; the five bands sum to 100 % [1]."""

    very_low: FloatArray  # < 54
    low: FloatArray  # 54-69 (>= 54 and < 70)
    target: FloatArray  # 70-180
    high: FloatArray  # 181-250 (> 180 and <= 250)
    very_high: FloatArray  # > 250
    below_70: FloatArray  # < 70 (very low + low)
    above_180: FloatArray  # > 180 (high + very high)
    tight: FloatArray  # 70-140 [2]
    pregnancy: FloatArray  # 63-140 [1]


def time_in_ranges(glucose_mgdl: ArrayLike) -> TimeInRanges:
    """All consensus ranges at once [% of readings]."""
    g = glucose_array(glucose_mgdl)
    below_54 = _percent(g < HYPO_L2_MGDL, g)
    below_70 = _percent(g < HYPO_L1_MGDL, g)
    above_180 = _percent(g > HYPER_L1_MGDL, g)
    above_250 = _percent(g > HYPER_L2_MGDL, g)
    return TimeInRanges(
        very_low=below_54,
        low=_percent((g >= HYPO_L2_MGDL) & (g < HYPO_L1_MGDL), g),
        target=_percent((g >= TARGET_RANGE_MGDL[0]) & (g <= TARGET_RANGE_MGDL[1]), g),
        high=_percent((g > HYPER_L1_MGDL) & (g <= HYPER_L2_MGDL), g),
        very_high=above_250,
        below_70=below_70,
        above_180=above_180,
        tight=_percent((g >= TIGHT_RANGE_MGDL[0]) & (g <= TIGHT_RANGE_MGDL[1]), g),
        pregnancy=_percent((g >= PREGNANCY_RANGE_MGDL[0]) & (g <= PREGNANCY_RANGE_MGDL[1]), g),
    )


class GriZone(StrEnum):
    """GRI zones A (lowest risk) to E, by quintile of the 0-100 scale [4]."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


@dataclass(frozen=True, slots=True, eq=False)
class Gri:
    """Glycemia Risk Index and its components [4]."""

    gri: FloatArray  # 0-100
    hypo_component: FloatArray  # VLow + 0.8 Low [%]
    hyper_component: FloatArray  # VHigh + 0.5 High [%]


def gri(glucose_mgdl: ArrayLike) -> Gri:
    """Glycemia Risk Index (Klonoff 2023 [4]) from the % of readings in the bands.

    GRI = 3.0 VLow + 2.4 Low + 1.6 VHigh + 0.8 High, capped at 100, with VLow = % < 54,
    Low = % 54-69, VHigh = % > 250, High = % 181-250. Computed as iglu does [3],
    ``3 b54 + 2.4 (b70 - b54) + 1.6 a250 + 0.8 (a180 - a250)``, so the numbers agree to the last bit.
    """
    g = glucose_array(glucose_mgdl)
    b54 = _percent(g < HYPO_L2_MGDL, g)
    b70 = _percent(g < HYPO_L1_MGDL, g)
    a180 = _percent(g > HYPER_L1_MGDL, g)
    a250 = _percent(g > HYPER_L2_MGDL, g)
    return _gri_from_percents(b54, b70, a180, a250)


def _gri_from_percents(b54: FloatArray, b70: FloatArray, a180: FloatArray, a250: FloatArray) -> Gri:
    """GRI from % of readings < 54, < 70, > 180 and > 250 mg/dL (iglu's arithmetic, see gri)."""
    low = b70 - b54
    high = a180 - a250
    raw = _GRI_W_VLOW * b54 + _GRI_W_LOW * low + _GRI_W_VHIGH * a250 + _GRI_W_HIGH * high
    return Gri(
        gri=np.where(raw > GRI_CAP, GRI_CAP, raw),
        hypo_component=b54 + _GRI_HYPO_W_LOW * low,
        hyper_component=a250 + _GRI_HYPER_W_HIGH * high,
    )


def gri_zone(gri_value: float) -> GriZone:
    """Zone of a GRI value: A <= 20 < B <= 40 < C <= 60 < D <= 80 < E [4]."""
    x = check_finite("gri_value", gri_value)
    if x < 0.0 or x > GRI_CAP:
        raise InputRangeError("gri_value", gri_value, "a GRI in [0, 100]")
    for zone, upper in zip(GriZone, _GRI_ZONE_UPPER, strict=False):
        if x <= upper:
            return zone
    return GriZone.E
