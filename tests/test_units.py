"""Unit conversions against their published definitions."""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.units import (
    MGDL_PER_MMOLL,
    Concentration,
    hba1c_mmolmol_to_percent,
    hba1c_percent_to_mmolmol,
    mgdl_to_mmoll,
    ml_to_units,
    mmoll_to_mgdl,
    units_to_ml,
)


def test_glucose_factor_is_molar_mass_over_ten() -> None:
    # 180.156 g/mol (IUPAC 2013 atomic weights) -> 1 mmol/L = 18.0156 mg/dL
    assert pytest.approx(18.0156, abs=1e-12) == MGDL_PER_MMOLL
    assert mmoll_to_mgdl(10.0) == pytest.approx(180.156)
    assert mgdl_to_mmoll(np.array([70.0, 180.0])) == pytest.approx([3.8855, 9.9914], abs=1e-4)


@pytest.mark.reference
@pytest.mark.parametrize(
    ("percent", "mmolmol"),
    # IFCC/NGSP conversion table (Hoelzel et al. Clin Chem 2004;50:166; NGSP "IFCC-NGSP equations"):
    # 6.5 % = 48 mmol/mol, 7.0 % = 53, 8.0 % = 64, 9.0 % = 75, 10.0 % = 86 (rounded to whole mmol/mol)
    [(6.5, 48), (7.0, 53), (8.0, 64), (9.0, 75), (10.0, 86)],
)
def test_hba1c_matches_published_table(percent: float, mmolmol: int) -> None:
    assert round(hba1c_percent_to_mmolmol(percent)) == mmolmol
    assert hba1c_mmolmol_to_percent(hba1c_percent_to_mmolmol(percent)) == pytest.approx(percent)


def test_concentrated_insulin_volume() -> None:
    assert units_to_ml(100.0, Concentration.U100) == pytest.approx(1.0)
    assert units_to_ml(100.0, Concentration.U200) == pytest.approx(0.5)
    assert units_to_ml(100.0, Concentration.U500) == pytest.approx(0.2)
    assert ml_to_units(3.0, Concentration.U300) == pytest.approx(900.0)


def test_concentration_parsing_and_errors() -> None:
    assert Concentration.parse("U-200") is Concentration.U200
    assert Concentration.parse(500) is Concentration.U500
    with pytest.raises(InputRangeError, match="U-100, U-200, U-300, U-500"):
        Concentration.parse("U-40")
