"""Gastric emptying: the nonlinear rate of the oral glucose absorption model, shared by the models.

``k_empt = k_min + (k_max - k_min)/2 [tanh(aa (Qsto - b D)) - tanh(cc (Qsto - d D)) + 2]`` with
``aa = 5 / (2 D (1 - b))`` and ``cc = 5 / (2 D d)``, D the meal size [mg] (Dalla Man, Camilleri &
Cobelli 2006 [1]_; the meal model of Dalla Man et al. 2007 and the UVA/Padova simulator use it as is).
Without a meal (D = 0) the stomach empties at ``k_max``. Written with
:mod:`t2pump.physiology.elementwise` so that the compiled kernel runs this very function.

References
----------
.. [1] Dalla Man C, Camilleri M, Cobelli C. A system model of oral glucose absorption: validation on
   gold standard data. IEEE Trans Biomed Eng 2006;53(12):2472-2478.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from t2pump.physiology.elementwise import select, tanh

__all__ = ["gastric_emptying_rate"]

FloatArray = NDArray[np.float64]


def gastric_emptying_rate(
    qsto_mg: FloatArray,
    meal_d_mg: FloatArray,
    k_max: FloatArray,
    k_min: FloatArray,
    b: FloatArray,
    d: FloatArray,
) -> FloatArray:
    """k_empt [1/min] for every patient; ``meal_d_mg`` 0 means no meal (then k_max)."""
    has_meal = meal_d_mg > 0
    dbar = select(has_meal, meal_d_mg, 1.0)
    aa = 5.0 / (2.0 * dbar * (1.0 - b))
    cc = 5.0 / (2.0 * dbar * d)
    k = k_min + (k_max - k_min) / 2.0 * (
        tanh(aa * (qsto_mg - b * dbar)) - tanh(cc * (qsto_mg - d * dbar)) + 2.0
    )
    return select(has_meal, k, k_max)  # type: ignore[no-any-return]
