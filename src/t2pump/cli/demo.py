"""``t2pump demo``: one day of pump therapy for an illustrative adult with type 2 diabetes.

The person (95 kg, about 1 U/kg/day, as in OpT2mise's pump arm) wears a MiniMed 780G in manual
mode with U-100 lispro: a four-segment basal pattern (higher at dawn), boluses from the Bolus
Wizard at three meals (the lunch as a dual wave), a 50 % temporary basal for an afternoon walk.
Glucose values are those the person would enter from a meter; simulated physiology arrives with
the virtual patients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import typer

from t2pump import DISCLAIMER
from t2pump.cli.bolus import render
from t2pump.devices.envelope import BolusType, get_envelope
from t2pump.devices.pump import DeliveryTimeline, Pump, PumpSettings
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.insulin.iob import iob_timeline
from t2pump.schedule import DailySchedule
from t2pump.therapy.bolus import BolusRecommendation, BolusSettings
from t2pump.therapy.limits import TherapyLimits
from t2pump.therapy.regimen import CsiiTherapy

# Settings from the usual starting rules for a TDD of 95 U (t2pump research notes clinical.md 4.2-4.4):
# basal about 50 % of TDD (AACE), carb ratio 500/TDD = 5.3 -> 5 g/U, ISF 1800/TDD = 19 -> 20 mg/dL/U.
BASAL_PATTERN = [("00:00", 1.8), ("03:00", 2.2), ("09:00", 2.0), ("21:00", 1.8)]
MEALS = [  # (clock minute, carbohydrate g, meter glucose mg/dL, bolus kind)
    (7 * 60 + 30, 60.0, 165.0, BolusType.NORMAL),
    (12 * 60 + 30, 90.0, 190.0, BolusType.DUAL_WAVE),
    (19 * 60 + 30, 140.0, 230.0, BolusType.NORMAL),
]
WALK = (17 * 60, 50.0, 90.0)  # start minute, percent, duration


@dataclass(frozen=True)
class DemoDay:
    pump_name: str
    timeline: DeliveryTimeline
    iob_u: np.ndarray
    recommendations: list[BolusRecommendation]


def run_demo() -> DemoDay:
    env = get_envelope("medtronic_minimed_780g")
    pump = Pump(env, PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=25.0))
    pump.set_pattern("weekday", DailySchedule.from_pairs(BASAL_PATTERN))
    pump.set_pattern("sport", DailySchedule.from_pairs([("00:00", 1.45), ("03:00", 1.75), ("09:00", 1.6)]))
    pump.activate_pattern("weekday")
    settings = BolusSettings(
        DailySchedule.constant(5.0),
        DailySchedule.constant(20.0),
        DailySchedule.constant(100.0),
        DailySchedule.constant(120.0),
    )
    curve = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
    therapy = CsiiTherapy(pump, TherapyLimits(max_bolus_u=40.0), settings, curve)
    recs = []
    events = sorted(
        [(m, "meal", (c, g, k)) for m, c, g, k in MEALS] + [(WALK[0], "walk", None)], key=lambda e: e[0]
    )
    for minute, what, data in events:
        pump.advance(minute)
        if what == "walk":
            therapy.temp_basal_for_activity(WALK[1], WALK[2])
            continue
        assert data is not None
        carbs, bg, kind = data
        rec = therapy.recommend(carbs_g=carbs, glucose=bg)
        recs.append(rec)
        if kind is BolusType.DUAL_WAVE:
            therapy.bolus(
                rec.recommended_u,
                kind=kind,
                now_fraction=0.6,
                duration_min=120,
                confirmed=rec.requires_confirmation,
            )
        else:
            therapy.deliver(rec, confirmed=rec.requires_confirmation)
    pump.advance(1440)
    tl = pump.timeline()
    iob, _ = iob_timeline(tl.bolus_delivered_u + tl.basal_delivered_u - tl.scheduled_basal_u, curve)
    return DemoDay(env.name, tl, iob, recs)


def demo_summary(day: DemoDay) -> dict[str, Any]:
    tl = day.timeline
    hours = []
    for h in range(24):
        sl = slice(h * 60, (h + 1) * 60)
        hours.append(
            {
                "hour": h,
                "scheduled_basal_u": round(float(tl.scheduled_basal_u[sl].sum()), 3),
                "basal_delivered_u": round(float(tl.basal_delivered_u[sl].sum()), 3),
                "bolus_delivered_u": round(float(tl.bolus_delivered_u[sl].sum()), 3),
                "iob_end_u": round(float(day.iob_u[min(1439, (h + 1) * 60 - 1)]), 2),
            }
        )
    return {
        "pump": day.pump_name,
        "hours": hours,
        "totals": {k: round(v, 3) for k, v in tl.totals().items()},
        "events": [{"t_min": e.t_min, "kind": e.kind.value, "detail": e.detail} for e in tl.events],
        "bolus_calculations": [r.to_dict() for r in day.recommendations],
        "disclaimer": DISCLAIMER,
    }


def demo_command(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    day = run_demo()
    summary = demo_summary(day)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"t2pump demonstration: one day on a {day.pump_name} (U-100 lispro), type 2 diabetes, 95 kg")
    typer.echo(DISCLAIMER)
    typer.echo("\nHour  scheduled basal  delivered basal   bolus   IOB at end (net, U)")
    for row in summary["hours"]:
        typer.echo(
            f"{row['hour']:02d}h   {row['scheduled_basal_u']:>10.3f} U   {row['basal_delivered_u']:>10.3f} U"
            f"  {row['bolus_delivered_u']:>6.2f} U   {row['iob_end_u']:>6.2f}"
        )
    t = summary["totals"]
    typer.echo(
        f"\nTotal: basal {t['basal_delivered_u']:.2f} U (program {t['scheduled_basal_u']:.2f} U), "
        f"bolus {t['bolus_delivered_u']:.2f} U, day {t['total_delivered_u']:.2f} U"
    )
    typer.echo("\nEvents:")
    for e in summary["events"]:
        typer.echo(f"  {e['t_min'] // 60:02d}:{e['t_min'] % 60:02d}  {e['kind']:<20} {e['detail']}")
    typer.echo("\nLast meal's bolus calculation:")
    typer.echo(render(day.recommendations[-1]))
