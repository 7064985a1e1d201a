"""Insulin products: absorption timing against the product labels it was derived from.

Tolerances reflect what the labels give: a range (aspart tmax 40-50 min) or a single value whose
model was fitted by hand (docs/research_insulin_pk.md), so each check allows the label's range or
about +/-15 % of the value.
"""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.insulin.products import InsulinClass, get_product

T = np.arange(0.0, 72 * 60.0, 1.0)


def _peak_min(product_id: str) -> float:
    return float(T[np.argmax(get_product(product_id).absorption.appearance_rate(T))])


@pytest.mark.reference
def test_rapid_analog_absorption_peaks_before_plasma_tmax() -> None:
    # UVA/Padova population SC model: Ra peaks at 49 min; plasma aspart tmax is 40-50 min
    # (NovoRapid label) and plasma peaks ~8 min after Ra with fast clearance: Ra peak 32-50 min.
    assert 32.0 <= _peak_min("aspart") <= 50.0
    assert _peak_min("lispro") == _peak_min("aspart")


@pytest.mark.reference
def test_faster_analogs_absorb_earlier() -> None:
    # Fiasp: ~2x aspart exposure in the first 30 min (label ratio 2.01, 95 % CI in the label).
    t30 = np.arange(0.0, 30.0, 0.1)
    early = {
        p: np.trapezoid(get_product(p).absorption.appearance_rate(t30), t30)
        for p in ("aspart", "faster_aspart")
    }
    assert 1.6 <= early["faster_aspart"] / early["aspart"] <= 4.0
    assert _peak_min("faster_aspart") < _peak_min("aspart")


@pytest.mark.reference
def test_basal_insulins_are_slow_and_in_the_right_order() -> None:
    # NPH peaks at 4-6 h (typical), detemir Cmax 6-8 h (label); glargine and U300 much later and flatter.
    assert 4 * 60 <= _peak_min("nph") <= 6 * 60
    assert 6 * 60 <= _peak_min("detemir") <= 8 * 60
    assert _peak_min("glargine_u100") > 12 * 60
    assert _peak_min("glargine_u300") > _peak_min("glargine_u100")


def test_only_rapid_analogs_go_in_a_pump() -> None:
    for pid in ("lispro", "aspart", "glulisine", "faster_aspart", "lyumjev"):
        p = get_product(pid)
        assert p.insulin_class is InsulinClass.RAPID
        assert p.pump_compatible
    for pid in ("glargine_u100", "glargine_u300", "degludec", "detemir", "nph"):
        assert not get_product(pid).pump_compatible


def test_unknown_product_names_the_choices() -> None:
    with pytest.raises(InputRangeError, match="lispro"):
        get_product("insulin X")
