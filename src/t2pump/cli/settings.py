"""``t2pump settings from-mdi``: starting pump settings from a patient's MDI regimen, explained."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from t2pump.decision.patient import load_patient
from t2pump.decision.settings import (
    DISCLAIMER,
    BasalProfile,
    Scheme,
    SettingsOptions,
    StartingSettings,
    mdi_summary,
    starting_settings,
)
from t2pump.devices.envelope import load_envelopes
from t2pump.errors import InputRangeError

__all__ = ["from_mdi_command", "render_settings", "settings_app", "source_lines"]

settings_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _pairs(pairs: list[list[object]] | None, unit: str) -> str:
    return ", ".join(
        f"{clock} {value:g} {unit}" for clock, value in pairs or [] if isinstance(value, float | int)
    )


def render_settings(s: StartingSettings) -> str:
    """The settings as text: program, TDD, pump fit, clamps, warnings, sources and disclaimer."""
    d = s.to_dict()
    p, tdd, fit = d["program"], d["tdd"], d["pump_fit"]
    reduction = next(e for e in s.explanations if e.setting == "tdd_reduction")
    lines = [
        "t2pump settings from-mdi: starting pump settings",
        DISCLAIMER["en"],
        DISCLAIMER["fr"],
        "",
        f"Pump: {fit['name']} ({fit['model_id']}), U-{p['concentration']}: "
        + fit["verdict"].replace("_", " "),
        *(f"  - {n}" for n in fit["notes"]),
        f"TDD: {tdd['mdi_u_per_day']:g} U/day on MDI, reduced by {tdd['reduction_percent']:g} % "
        f"[{reduction.rule_id}: {reduction.reason}] -> {tdd['starting_u_per_day']:.4g} U/day",
        f"Basal ({tdd['basal_fraction']:.0%} of TDD): {_pairs(p['basal_u_per_h'], 'U/h')} "
        f"= {tdd['basal_u_per_day']:.4g} U/day",
    ]
    if p["scheme"] == "fixed":
        meals = ", ".join(f"{k} {v:g} U" for k, v in p["meal_bolus_u"].items())
        lines.append(f"Fixed meal boluses: {meals}")
    else:
        lines.append(f"Carb ratio: {_pairs(p['carb_ratio_g_per_u'], 'g/U')}")
    lines += [
        f"Sensitivity: {p['isf_mgdl_per_u']:g} mg/dL/U ({p['isf_mmoll_per_u']:g} mmol/L/U); target "
        f"{p['target_low_mgdl']:g}-{p['target_high_mgdl']:g} mg/dL; "
        f"active insulin time {p['active_insulin_time_h']:g} h",
        f"Programmed day: {tdd['programmed_u_per_day']:.4g} U (basal + planned boluses), within "
        f"{tdd['rounding_bound_u']:.3g} U of the starting TDD by rounding down to the pump's increments",
    ]
    if d["clamps"]:
        lines += ["", "Clamps (therapy limits and pump envelope):"]
        lines += [
            f"  - {c['field']}: {c['requested']:g} -> {c['result']:g}: {c['reason']} [{c['rule_id']}]"
            for c in d["clamps"]
        ]
    if s.warnings:
        lines += ["", "Warnings:", *(f"  - {w}" for w in s.warnings)]
    if s.pregnancy is not None:
        t = s.pregnancy
        lines += [
            "",
            f"Pregnancy targets: fasting < {t.fasting_below_mgdl:g}, 1 h < {t.one_hour_below_mgdl:g} "
            f"or 2 h < {t.two_hour_below_mgdl:g} mg/dL; CGM 63-140 mg/dL: "
            + ", ".join(f"{g.metric} {g.comparator} {g.percent:g} %" for g in t.cgm_goals),
            f"  {t.type2_note}",
        ]
    lines += ["", "Other pumps:"]
    lines += [
        f"  - {f.name}: {f.verdict.value.replace('_', ' ')}; " + "; ".join(f.notes) for f in s.other_pumps
    ]
    lines += source_lines(((e.rule_id, e.citation) for e in s.explanations), s.rule_set_version)
    return "\n".join(lines)


def source_lines(cited: Iterable[tuple[str, str]], rule_set_version: str) -> list[str]:
    """Each rule id once with its citation, then the rule-set version."""
    seen: dict[str, str] = {}
    for rule_id, citation in cited:
        seen.setdefault(rule_id, citation)
    return ["", "Sources:", *(f"  [{r}] {c}" for r, c in seen.items()), f"Rule set: {rule_set_version}"]


@settings_app.command("from-mdi", help="Starting pump settings from the MDI regimen of a patient record.")
def from_mdi_command(
    patient: Annotated[
        Path, typer.Argument(help="patient record (JSON, t2pump.patient/1)", show_default=False)
    ],
    pump: Annotated[str, typer.Option("--pump", help="pump model id", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the SETTINGS JSON")] = False,
    reduction: Annotated[
        float | None,
        typer.Option("--reduction", help="TDD reduction at pump start [%], 0-25 (default: rules)"),
    ] = None,
    scheme: Annotated[Scheme, typer.Option("--scheme", help="bolus scheme")] = Scheme.CALCULATOR,
    basal_fraction: Annotated[
        float | None, typer.Option("--basal-fraction", help="basal share of TDD, 0.40-0.55 (default 0.50)")
    ] = None,
    basal_profile: Annotated[BasalProfile, typer.Option("--basal-profile")] = BasalProfile.FLAT,
    carb_rule: Annotated[float | None, typer.Option("--carb-rule", help="450 or 500 (default 500)")] = None,
    isf_rule: Annotated[float | None, typer.Option("--isf-rule", help="1700 or 1800 (default 1800)")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="also write the SETTINGS JSON to this file")
    ] = None,
) -> None:
    envelopes = load_envelopes()
    if pump not in envelopes:
        raise InputRangeError("--pump", pump, "one of " + ", ".join(sorted(envelopes)))
    record = load_patient(patient)
    options = SettingsOptions(
        pump_model=pump,
        scheme=scheme,
        reduction_percent=reduction,
        basal_fraction=basal_fraction,
        basal_profile=basal_profile,
        carb_rule=carb_rule,
        isf_rule=isf_rule,
    )
    result = starting_settings(mdi_summary(record, str(patient)), options)
    text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    typer.echo(text if as_json else render_settings(result))
