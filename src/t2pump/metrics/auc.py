"""Area under the glucose curve as iglu reports it: the hourly average AUC [mg/dL] [1]_.

Danne 2017 [2]_ lists AUC among the CGM metrics without fixing a computation; iglu 4.3.0 ``auc``
[1] computes trapezoids on the interpolation grid and divides the area by the hours covered, so the
result is close to the mean glucose. Its grouping has a quirk that t2pump reproduces because it
changes the number: the grid points are labelled by day with ``rep(dates, 1440 / dt0)``, which
interleaves the labels, so each "trapezoid" joins two grid points ``n_days x dt0`` minutes apart
(consecutive points only when there is one day). The result is the summed area over all such pairs
with both values present divided by their summed duration (``dt0 / 60`` h each).

References
----------
.. [1] iglu 4.3.0 ``R/AUC.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [2] Danne T, Nimri R, Battelino T, et al. International consensus on use of continuous glucose
   monitoring. Diabetes Care 2017;40(12):1631-1640. doi:10.2337/dc17-1600
"""

from __future__ import annotations

import math

import numpy as np

from t2pump.metrics.grid import GlucoseGrid
from t2pump.units import MIN_PER_H

__all__ = ["auc_hourly_iglu_mgdl"]


def auc_hourly_iglu_mgdl(grid: GlucoseGrid) -> float:
    """iglu's hourly average AUC [mg/dL], its pairing quirk included (module doc)."""
    x = grid.flat
    lag = grid.n_days
    if lag >= x.shape[0]:
        return math.nan
    h = grid.dt0_min / MIN_PER_H
    area = h * ((x[lag:] + x[:-lag]) / 2.0)
    area = area[~np.isnan(area)]
    if area.shape[0] == 0:
        return math.nan
    return float(np.sum(area) / (h * area.shape[0]))
