"""Display smoothing of the AGP curves (loess, degree 2, span 0.3, as iglu plot_agp draws them).

No R is available here, so no R loess values: the tests check properties any local quadratic
regression has. A quadratic is reproduced exactly (each local weighted least-squares fit of
``1, u, u^2`` is exact for it); tolerance 1e-9 mg/dL for float round-off in the 3x3 solves.
"""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.report.smoothing import loess

_X = np.arange(5.0, 1441.0, 5.0)  # the AGP grid columns of a 5-min sensor [min]


def test_a_quadratic_is_reproduced_exactly() -> None:
    y = 120.0 + 0.05 * _X - 3e-5 * _X**2
    np.testing.assert_allclose(loess(_X, y), y, rtol=0, atol=1e-9)


def test_missing_points_stay_missing_and_are_ignored() -> None:
    y = 150.0 + 30.0 * np.sin(_X / 1440.0 * 2 * np.pi)
    y_gap = y.copy()
    y_gap[100:110] = np.nan
    out = loess(_X, y_gap)
    assert np.all(np.isnan(out[100:110]))
    expected = loess(np.delete(_X, range(100, 110)), np.delete(y, range(100, 110)))
    np.testing.assert_allclose(np.delete(out, range(100, 110)), expected, rtol=0, atol=1e-9)


def test_noise_is_reduced() -> None:
    rng = np.random.default_rng(3)
    truth = 150.0 + 40.0 * np.sin(_X / 1440.0 * 2 * np.pi)
    noisy = truth + rng.normal(0.0, 15.0, _X.size)
    err_raw = np.sqrt(np.mean((noisy - truth) ** 2))
    err_smooth = np.sqrt(np.mean((loess(_X, noisy) - truth) ** 2))
    assert err_smooth < err_raw / 3


def test_too_few_points_are_returned_unchanged() -> None:
    np.testing.assert_array_equal(loess([0.0, 5.0, 10.0], [100.0, 140.0, 90.0]), [100.0, 140.0, 90.0])


@pytest.mark.parametrize("span", [0.0, 1.5, float("nan")])
def test_bad_span_is_refused(span: float) -> None:
    with pytest.raises(InputRangeError) as err:
        loess(_X, _X, span=span)
    assert err.value.field == "span"
