"""``t2pump bolus``: the bolus calculator from options or a JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.errors import InputRangeError
from t2pump.schedule import DailySchedule
from t2pump.therapy.bolus import (
    BolusPolicy,
    BolusRecommendation,
    BolusRequest,
    BolusSettings,
    calculate_bolus,
)
from t2pump.therapy.limits import TherapyLimits

_SCHEDULES = ("carb_ratio", "isf", "target_low", "target_high", "basal")
_REQUEST_FIELDS = (
    "carbs_g",
    "glucose",
    "bolus_iob_u",
    "basal_iob_u",
    "trend_per_5min",
    "cob_g",
    "correction_u",
    "percentage",
    "superbolus",
    "time_min",
)


def _schedule(value: Any, name: str, source: str) -> DailySchedule:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return DailySchedule.constant(float(value), name)
    if isinstance(value, list):
        try:
            return DailySchedule.from_pairs([(str(s), float(v)) for s, v in value], name)
        except (TypeError, ValueError):
            pass
    raise InputRangeError(f"{source}:{name}", value, 'a number or a list of ["HH:MM", value] pairs')


def load_inputs(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputRangeError("--input", str(path), f"a readable JSON file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputRangeError(f"{path}:{exc.lineno}", exc.msg, "valid JSON") from None
    if not isinstance(data, dict):
        raise InputRangeError(str(path), type(data).__name__, "a JSON object")
    known = (
        set(_SCHEDULES)
        | set(_REQUEST_FIELDS)
        | {"policy", "unit", "pump", "pump_max_bolus_u", "max_bolus_u", "confirm_above_u"}
    )
    for key in data:
        if key not in known:
            raise InputRangeError(f"{path}:{key}", data[key], "one of the fields " + ", ".join(sorted(known)))
    return data


def compute(inputs: dict[str, Any], source: str = "options") -> BolusRecommendation:
    """Build settings, request, pump and limits from plain inputs and run the calculator."""
    env = get_envelope(str(inputs.get("pump", "medtronic_minimed_780g")))
    pump = Pump(
        env,
        PumpSettings(
            max_basal_u_per_h=env.basal_rate_range_u_per_h[1],
            max_bolus_u=float(inputs.get("pump_max_bolus_u", env.bolus_max_u)),
        ),
    )
    settings = BolusSettings(
        carb_ratio_g_per_u=_schedule(inputs.get("carb_ratio"), "carb_ratio", source),
        isf_per_u=_schedule(inputs.get("isf"), "isf", source),
        target_low=_schedule(inputs.get("target_low"), "target_low", source),
        target_high=_schedule(inputs.get("target_high"), "target_high", source),
        unit=inputs.get("unit", "mg/dL"),
        policy=inputs.get("policy", BolusPolicy.MEDTRONIC_WIZARD.value),
        basal_u_per_h=_schedule(inputs["basal"], "basal", source)
        if inputs.get("basal") is not None
        else None,
    )
    limits = TherapyLimits(
        max_bolus_u=float(inputs.get("max_bolus_u", 75.0)),
        confirm_bolus_above_u=float(inputs.get("confirm_above_u", 25.0)),
    )
    req = {k: inputs[k] for k in _REQUEST_FIELDS if inputs.get(k) is not None}
    request = BolusRequest(time_min=float(req.pop("time_min", 0.0)), **req)
    return calculate_bolus(request, settings, device=pump, limits=limits, device_step_u=pump.bolus_step_u)


def bolus_command(
    carbs: Annotated[float, typer.Option(help="carbohydrate [g]")] = 0.0,
    glucose: Annotated[float | None, typer.Option(help="current glucose, in --unit")] = None,
    carb_ratio: Annotated[
        float | None, typer.Option("--carb-ratio", help="insulin-to-carb ratio [g/U]")
    ] = None,
    isf: Annotated[float | None, typer.Option(help="sensitivity factor [unit/U]")] = None,
    target_low: Annotated[float | None, typer.Option("--target-low")] = None,
    target_high: Annotated[float | None, typer.Option("--target-high")] = None,
    unit: Annotated[str, typer.Option(help="mg/dL or mmol/L")] = "mg/dL",
    policy: Annotated[BolusPolicy, typer.Option(help="calculator rule")] = BolusPolicy.MEDTRONIC_WIZARD,
    bolus_iob: Annotated[float, typer.Option("--bolus-iob", help="active bolus insulin [U]")] = 0.0,
    basal_iob: Annotated[float, typer.Option("--basal-iob", help="net basal IOB [U] (AAPS)")] = 0.0,
    trend: Annotated[float | None, typer.Option(help="glucose change per 5 min (AAPS)")] = None,
    percentage: Annotated[float, typer.Option(help="AAPS percentage")] = 100.0,
    superbolus: Annotated[bool, typer.Option(help="AAPS superbolus (needs --basal)")] = False,
    basal: Annotated[float | None, typer.Option(help="basal rate [U/h] for the superbolus")] = None,
    pump: Annotated[str, typer.Option(help="pump model id")] = "medtronic_minimed_780g",
    pump_max_bolus: Annotated[
        float | None, typer.Option("--pump-max-bolus", help="pump max bolus [U]")
    ] = None,
    max_bolus: Annotated[float, typer.Option("--max-bolus", help="patient max bolus [U]")] = 75.0,
    confirm_above: Annotated[
        float, typer.Option("--confirm-above", help="confirmation threshold [U]")
    ] = 25.0,
    input_file: Annotated[Path | None, typer.Option("--input", help="JSON file with the same fields")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the breakdown as JSON")] = False,
) -> None:
    if input_file is not None:
        inputs = load_inputs(input_file)
        source = str(input_file)
    else:
        inputs = {
            "carbs_g": carbs,
            "glucose": glucose,
            "carb_ratio": carb_ratio,
            "isf": isf,
            "target_low": target_low,
            "target_high": target_high,
            "unit": unit,
            "policy": policy.value,
            "bolus_iob_u": bolus_iob,
            "basal_iob_u": basal_iob,
            "trend_per_5min": trend,
            "percentage": percentage,
            "superbolus": superbolus,
            "basal": basal,
            "pump": pump,
            "max_bolus_u": max_bolus,
            "confirm_above_u": confirm_above,
        }
        if pump_max_bolus is not None:
            inputs["pump_max_bolus_u"] = pump_max_bolus
        source = "options"
        for name in ("carb_ratio", "isf", "target_low", "target_high"):
            if inputs[name] is None:
                raise InputRangeError(f"--{name.replace('_', '-')}", None, "a value (or --input FILE)")
    rec = compute(inputs, source)
    if as_json:
        typer.echo(json.dumps(rec.to_dict(), indent=2))
        return
    typer.echo(render(rec))


def render(rec: BolusRecommendation) -> str:
    lines = [f"Bolus calculation ({rec.policy.value}; {rec.citation})"]
    for c in rec.components:
        lines.append(f"  {c.name:<18} {c.units:>+8.2f} U   {c.explanation}")
    lines.append(f"  {'calculated':<18} {rec.calculated_u:>8.2f} U")
    for clamp in rec.limited.clamps:
        lines.append(f"  limit: {clamp.reason} -> {clamp.result:g} U [{clamp.rule_id}]")
    lines.append(f"  {'RECOMMENDED':<18} {rec.recommended_u:>8.2f} U")
    if rec.carbs_equivalent_g:
        lines.append(f"  carbohydrate equivalent: {rec.carbs_equivalent_g:.0f} g")
    if rec.requires_confirmation:
        lines.append(f"  CONFIRMATION REQUIRED: {rec.limited.confirmation_reason}")
    for r in rec.reasons:
        lines.append(f"  - {r}")
    lines.append("Decision support only: check every dose with the diabetes team.")
    return "\n".join(lines)
