"""Properties every insulin action curve and absorption model must have."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.insulin.curves import CurveKind, ExponentialInsulinModel, Oref0Curve
from t2pump.insulin.iob import iob_from_doses, iob_timeline
from t2pump.insulin.products import PRODUCTS, get_product

pytestmark = pytest.mark.property

curves = st.one_of(
    st.builds(
        Oref0Curve.from_settings,
        st.sampled_from([CurveKind.RAPID_ACTING, CurveKind.ULTRA_RAPID]),
        st.floats(5.0, 8.0),
        st.one_of(st.none(), st.floats(35.0, 120.0)),
    ),
    st.builds(
        ExponentialInsulinModel,
        st.floats(240.0, 480.0),
        st.floats(30.0, 100.0),
        st.floats(0.0, 20.0),
    ),
)


@settings(max_examples=60, deadline=None)
@given(curve=curves, dose=st.floats(0.05, 75.0))
def test_iob_after_a_bolus_lies_in_0_dose_and_never_rises(curve: Oref0Curve, dose: float) -> None:
    t = np.arange(0.0, curve.duration_min + 30.0, 1.0)
    iob, act = iob_from_doses([0.0], [dose], curve, t)
    assert np.all(iob >= -1e-12)
    assert np.all(iob <= dose + 1e-12)
    assert np.all(np.diff(iob) <= 1e-12)
    assert np.all(act >= -1e-15)
    assert iob[-1] == 0.0


def test_bilinear_iob_fit_deviates_only_as_oref0_does() -> None:
    # oref0's bilinear IOB is two quadratic fits (calculate.js). They are not exact: the falling fit
    # has its minimum at s = 75 + 5 x 0.054233 / (2 x 0.001323) = 177.5 scaled min, where it is
    # -2.3e-4 of the dose, and it jumps +4e-5 at the peak. We reproduce oref0, so the curve may rise
    # by < 1e-4 and dip to -2.5e-4 of the dose, never more, and is 0 from 180 scaled min.
    c = Oref0Curve.from_settings(CurveKind.BILINEAR, 3.0)
    iob = c.iob_fraction(np.arange(0.0, 200.0, 0.5))
    assert np.max(np.diff(iob)) < 1e-4
    assert np.min(iob) > -2.5e-4
    assert float(c.iob_fraction(180.0)) == 0.0


@settings(max_examples=40, deadline=None)
@given(doses=st.lists(st.floats(0.0, 5.0), min_size=30, max_size=200))
def test_timeline_iob_equals_sum_of_dose_iobs(doses: list[float]) -> None:
    curve = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
    d = np.asarray(doses)
    iob, _ = iob_timeline(d, curve)
    t = np.arange(d.size, dtype=float)
    direct, _ = iob_from_doses(t, d, curve, t)
    np.testing.assert_allclose(iob, direct, atol=1e-9)


def test_timeline_is_vectorised_over_patients() -> None:
    rng = np.random.default_rng(7)
    d = rng.exponential(0.05, size=(4, 600))
    curve = Oref0Curve.from_settings(CurveKind.ULTRA_RAPID, 5.0)
    together, _ = iob_timeline(d, curve)
    for i in range(4):
        alone, _ = iob_timeline(d[i], curve)
        np.testing.assert_array_equal(together[i], alone)


@pytest.mark.parametrize("product_id", PRODUCTS)
def test_absorption_conserves_insulin(product_id: str) -> None:
    """Depots + absorbed = dose at every time, and the exact step matrix conserves it too."""
    a = get_product(product_id).absorption
    t = np.linspace(0.0, 5 * 24 * 60.0, 2001)
    s1, s2 = a.depots(t)
    absorbed = a.fraction_absorbed(t)
    np.testing.assert_allclose(s1 + s2 + absorbed, 1.0, atol=1e-12)
    # Stepping with the exact transition from a unit depot: the mass left equals the closed form.
    step, _ = a.transition(5.0)
    x = np.array([1.0 - a.direct_fraction, a.direct_fraction])
    for _ in range(100):
        x = step @ x
    c1, c2 = a.depots(500.0)
    np.testing.assert_allclose(x, [float(c1), float(c2)], rtol=1e-9, atol=1e-12)
