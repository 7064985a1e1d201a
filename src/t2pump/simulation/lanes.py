"""Patient lanes: what lets LLVM run one model definition on several patients per instruction.

The compiled kernel (:mod:`t2pump.simulation.kernel`) integrates patients in blocks of
:data:`LANES`. A block's states, parameters, inputs and RK4 stages live in one scratch array,
row-major with the patient (lane) as the fast index: value ``k`` of lane ``j`` of a row block
starting at row ``r`` sits at ``(r + k) * LANES + j``. The model's right-hand side
(:func:`t2pump.physiology.dalla_man_2007.rhs`, unchanged) is called once per lane inside a plain
``for j in range(LANES)`` loop, on :class:`LaneView` arguments: ``x[k]`` of a lane view is that
load, with no array object created and no reference counting. Every address is then the scratch
array's base plus a compile-time multiple of ``LANES`` plus ``j``, so LLVM's loop vectoriser
proves the lanes independent and emits packed (SIMD) arithmetic over patients. Two other things in
the right-hand side would stop it, and get lane-friendly scalar forms here:

* :func:`select` is an LLVM ``select`` instruction, not a branch;
* :func:`exp_arith` is ``exp`` in arithmetic (Cody-Waite reduction, degree-13 polynomial evaluated
  by Estrin's scheme, the power of two put in the exponent bits), where libm's ``exp`` is a call the
  vectoriser cannot widen. It is within 2 units in the last place of libm's on the range the models
  use (tested). Estrin rather than Horner: 4 dependent steps instead of 13, which took the RK4 step
  from 63 to 56 ns per patient-minute (the exp's latency, not its arithmetic, was the cost).

A right-hand side written for NumPy rows (:mod:`t2pump.physiology.elementwise`) thereby runs,
compiled, on SIMD lanes of patients, and the NumPy path still runs the same source on arrays.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, cast

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.typing.templates import AbstractTemplate, infer_global, signature
from numba.extending import intrinsic, lower_builtin, models, register_model

__all__ = ["LANES", "LaneView", "exp_arith", "lane_view", "select"]

LANES = 16  # patients per block: 4 AVX2 / 2 AVX-512 vectors of doubles; benchmarks/README.md

_I64 = ir.IntType(64)


class LaneViewType(types.Type):
    """numba type of :class:`LaneView`: a float64 pointer and the first element's offset."""

    def __init__(self) -> None:
        super().__init__(name="LaneView")


LaneView = LaneViewType()


@register_model(LaneViewType)
class _LaneViewModel(models.StructModel):
    def __init__(self, dmm: Any, fe_type: Any) -> None:
        members = [("ptr", types.CPointer(types.float64)), ("start", types.intp)]
        super().__init__(dmm, fe_type, members)


@intrinsic
def _lane_view(typingctx: Any, arr: Any, start: Any) -> Any:
    """The lane view of contiguous float64 array ``arr`` whose element ``k`` is ``arr[start + k * LANES]``.

    No bounds are checked: the kernel's fixed scratch layout is the contract."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.float64 and arr.layout == "C"):
        return None
    if not isinstance(start, types.Integer):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        view = cgutils.create_struct_proxy(LaneView)(context, builder)
        view.ptr = array.data
        view.start = context.cast(builder, args[1], sig.args[1], types.intp)
        return view._getvalue()

    return LaneView(arr, start), codegen


@infer_global(operator.getitem)
class _LaneGetItem(AbstractTemplate):
    def generic(self, args: Any, kws: Any) -> Any:
        if len(args) == 2 and isinstance(args[0], LaneViewType):
            if isinstance(args[1], types.Integer):
                return signature(types.float64, *args)
            if isinstance(args[1], types.SliceType):
                return signature(LaneView, *args)
        return None


@infer_global(operator.setitem)
class _LaneSetItem(AbstractTemplate):
    def generic(self, args: Any, kws: Any) -> Any:
        if (
            len(args) == 3
            and isinstance(args[0], LaneViewType)
            and isinstance(args[1], types.Integer)
            and isinstance(args[2], (types.Float, types.Integer))
        ):
            return signature(types.none, args[0], args[1], types.float64)
        return None


def _address(context: Any, builder: Any, view_type: Any, view: Any, index_type: Any, index: Any) -> Any:
    proxy = cgutils.create_struct_proxy(view_type)(context, builder, value=view)
    k = context.cast(builder, index, index_type, types.intp)
    offset = builder.add(proxy.start, builder.mul(k, ir.Constant(_I64, LANES)))
    return builder.gep(proxy.ptr, [offset], inbounds=True)


@lower_builtin(operator.getitem, LaneViewType, types.Integer)
def _lane_getitem(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    return builder.load(_address(context, builder, sig.args[0], args[0], sig.args[1], args[1]))


@lower_builtin(operator.setitem, LaneViewType, types.Integer, types.Float)
def _lane_setitem(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    value = context.cast(builder, args[2], sig.args[2], types.float64)
    builder.store(value, _address(context, builder, sig.args[0], args[0], sig.args[1], args[1]))
    return context.get_dummy_value()


@lower_builtin(operator.getitem, LaneViewType, types.SliceType)
def _lane_getslice(context: Any, builder: Any, sig: Any, args: Any) -> Any:
    """``view[a:b]`` starts at element ``a`` (the models slice fixed parameter blocks; the stop and
    a step are not applied: elementwise code indexes the slice within its known length)."""
    proxy = cgutils.create_struct_proxy(sig.args[0])(context, builder, value=args[0])
    piece = context.make_helper(builder, sig.args[1], args[1])
    out = cgutils.create_struct_proxy(LaneView)(context, builder)
    out.ptr = proxy.ptr
    out.start = builder.add(proxy.start, builder.mul(piece.start, ir.Constant(_I64, LANES)))
    return out._getvalue()


@intrinsic
def _select(typingctx: Any, cond: Any, if_true: Any, if_false: Any) -> Any:
    """``if_true if cond else if_false`` as one LLVM ``select`` (both operands already computed)."""
    if not isinstance(cond, types.Boolean):
        return None
    result = typingctx.unify_pairs(if_true, if_false)
    if not isinstance(result, (types.Float, types.Integer)):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        a = context.cast(builder, args[1], sig.args[1], sig.return_type)
        b = context.cast(builder, args[2], sig.args[2], sig.return_type)
        return builder.select(args[0], a, b)

    return result(cond, if_true, if_false), codegen


@intrinsic
def _bits_to_float64_intrinsic(typingctx: Any, bits: Any) -> Any:
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(context.cast(builder, args[0], sig.args[0], types.int64), ir.DoubleType())

    return types.float64(bits), codegen


# Typed aliases of the intrinsics (numba calls them inside compiled code only).
lane_view = cast(Callable[[Any, Any], Any], _lane_view)
select = cast(Callable[[Any, Any, Any], Any], _select)
_bits_to_float64 = cast(Callable[[Any], Any], _bits_to_float64_intrinsic)

# Cody-Waite split of ln 2 (fdlibm's e_exp.c constants): n * _LN2_HI is exact for |n| < 2**11.
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/k! for k = 13 ... 2: Taylor coefficients; on |r| <= ln2/2 the truncation is r^14/14! < 5e-18.
_C13, _C12, _C11, _C10 = 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0
_C9, _C8, _C7, _C6 = 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0
_C5, _C4, _C3, _C2 = 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5
EXP_ARITH_RANGE = 700.0  # |y| above this leaves the exponent field (not used by the models)


@njit(inline="always", error_model="numpy")
def exp_arith(y: float) -> Any:
    """e**y for |y| <= :data:`EXP_ARITH_RANGE` in arithmetic only (module docstring)."""
    n = math.floor(y * _LOG2E + 0.5)
    r = (y - n * _LN2_HI) - n * _LN2_LO
    # the polynomial by Estrin's scheme: four dependent steps instead of Horner's thirteen
    r2 = r * r
    r4 = r2 * r2
    b0 = (1.0 + r) + (_C2 + _C3 * r) * r2
    b1 = (_C4 + _C5 * r) + (_C6 + _C7 * r) * r2
    b2 = (_C8 + _C9 * r) + (_C10 + _C11 * r) * r2
    b3 = _C12 + _C13 * r
    q = (b0 + b1 * r4) + (b2 + b3 * r4) * (r4 * r4)
    return q * _bits_to_float64((n + 1023) << 52)
