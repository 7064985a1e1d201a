"""Evaluators of the pump-indication rules: one pure function per rule id.

Each evaluator reads a :class:`~t2pump.decision.patient.Patient` and the rule's ``params`` (the
numbers, kept with their citations in ``data/rules_t2d_pump.toml``) and returns an
:class:`Outcome`: whether the rule's condition holds (``met``), does not (``unmet``, with the
codes of the criteria that failed), cannot be judged (``missing``, naming the fields) or does not
apply to this patient (``not_applicable``). A criterion already known to fail makes the rule
``unmet`` even when other fields are missing: more data could not change it.

"Condition holds" means: an indication is present, a contraindication or caution is present, a
capacity is in place, an organisational condition is confirmed, a reimbursement note applies.
The evaluators only read; the wording lives in the rule data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from t2pump.decision.patient import Patient
from t2pump.units import mgdl_to_mmoll

__all__ = ["EVALUATORS", "Evaluator", "Outcome", "State", "Value"]

Value = float | int | str
Params = Mapping[str, float]


class State(StrEnum):
    MET = "met"
    UNMET = "unmet"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an evaluator found: the state, the values its text shows, failed criteria, missing fields."""

    state: State
    values: Mapping[str, Value] = field(default_factory=dict)
    failed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    variant: str | None = None  # which of the rule's ``variants`` texts to write when met


Evaluator = Callable[[Patient, Params], Outcome]


class _Check:
    """Collects values, failed criteria and missing fields, then decides the state."""

    def __init__(self, params: Params) -> None:
        self.values: dict[str, Value] = dict(params)
        self.failed: list[str] = []
        self.missing: list[str] = []

    def need(self, name: str, value: object) -> bool:
        """True if ``value`` is known; else records ``name`` as missing."""
        if value is None:
            self.missing.append(name)
            return False
        return True

    def require(self, ok: bool, criterion: str) -> None:
        if not ok:
            self.failed.append(criterion)

    def outcome(self) -> Outcome:
        if self.failed:
            return Outcome(State.UNMET, self.values, tuple(self.failed), tuple(self.missing))
        if self.missing:
            return Outcome(State.MISSING, self.values, (), tuple(self.missing))
        return Outcome(State.MET, self.values)


def _fr(text: str) -> str:
    """French decimal comma in a text built from numbers (``"1.25 U/kg/j"`` -> ``"1,25 U/kg/j"``)."""
    out = []
    for i, ch in enumerate(text):
        between_digits = 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        out.append("," if ch == "." and between_digits else ch)
    return "".join(out)


def _not_on_mdi(p: Patient) -> bool:
    """Newly diagnosed and no injection regimen given: MDI-based rules do not apply."""
    return bool(p.newly_diagnosed) and p.mdi is None


def _mdi_use(c: _Check, p: Patient, params: Params) -> None:
    """>= n injections a day for >= m months (when the rule asks for the duration)."""
    if not c.need("mdi", p.mdi) or p.mdi is None:
        return
    if c.need("mdi.injections_per_day", p.mdi.injections_per_day) and p.mdi.injections_per_day is not None:
        c.values["injections"] = p.mdi.injections_per_day
        c.require(p.mdi.injections_per_day >= params["min_injections_per_day"], "not_mdi")
    if "min_months_on_mdi" in params and c.need("mdi.months_on_mdi", p.mdi.months_on_mdi):
        months = p.mdi.months_on_mdi
        assert months is not None
        c.values["months"] = months
        c.require(months >= params["min_months_on_mdi"], "mdi_too_short")


def _dose(c: _Check, p: Patient) -> float | None:
    """Total daily dose per kg [U/kg/day], recording the missing fields."""
    weight_known = c.need("weight_kg", p.weight_kg)
    tdd_known = c.need("total_daily_dose_u", p.total_daily_dose_u)
    if not (weight_known and tdd_known) or p.tdd_u_per_kg is None or p.total_daily_dose_u is None:
        return None
    c.values["tdd_u"] = p.total_daily_dose_u
    c.values["tdd_u_per_kg"] = p.tdd_u_per_kg
    return p.tdd_u_per_kg


def _hba1c(c: _Check, p: Patient) -> float | None:
    if not c.need("hba1c", p.hba1c) or p.hba1c is None:
        return None
    c.values["hba1c_percent"] = p.hba1c.percent
    c.values["hba1c_mmolmol"] = p.hba1c.mmol_per_mol
    return p.hba1c.percent


# ---------------------------------------------------------------------- indications


def _hba1c_above_threshold(c: _Check, p: Patient, params: Params) -> None:
    """HbA1c >= the threshold (8 %), or above the individual target when that is higher."""
    threshold = params["hba1c_threshold_percent"]
    individual = None if p.hba1c_target is None else p.hba1c_target.percent
    c.values["threshold_percent"] = threshold
    hba1c = _hba1c(c, p)
    if individual is not None and individual >= threshold:
        c.values["target_percent"] = individual
        if hba1c is not None:
            c.require(hba1c > individual, "at_individual_target")
    elif hba1c is not None:
        c.require(hba1c >= threshold, "below_threshold")


def mdi_failure(p: Patient, params: Params) -> Outcome:
    """HbA1c >= 8 % (or above a higher individual target) despite >= 3 injections a day for >= 3 months."""
    c = _Check(params)
    if _not_on_mdi(p):
        return Outcome(State.NOT_APPLICABLE, c.values, ("no_mdi",))
    _hba1c_above_threshold(c, p, params)
    _mdi_use(c, p, params)
    return c.outcome()


def opt2mise_phenotype(p: Patient, params: Params) -> Outcome:
    """HbA1c >= 8 % (or above a higher individual target), 0.7-1.8 U/kg/day, >= 3 injections, >= 3 months."""
    c = _Check(params)
    if _not_on_mdi(p):
        return Outcome(State.NOT_APPLICABLE, c.values, ("no_mdi",))
    _hba1c_above_threshold(c, p, params)
    dose = _dose(c, p)
    if dose is not None:
        c.require(dose >= params["tdd_min_u_per_kg"], "dose_low")
        c.require(dose <= params["tdd_max_u_per_kg"], "dose_high")
    _mdi_use(c, p, params)
    return c.outcome()


def major_insulin_resistance(p: Patient, params: Params) -> Outcome:
    """Total daily dose above 1.5 U/kg/day on >= 3 injections a day."""
    c = _Check(params)
    if _not_on_mdi(p):
        return Outcome(State.NOT_APPLICABLE, c.values, ("no_mdi",))
    dose = _dose(c, p)
    if dose is not None:
        c.require(dose > params["tdd_min_u_per_kg"], "dose_low")
    _mdi_use(c, p, params)
    return c.outcome()


def transient_at_diagnosis(p: Patient, params: Params) -> Outcome:
    """Newly diagnosed with HbA1c >= 10 %, glucose >= 300 mg/dL or symptoms of hyperglycaemia."""
    c = _Check(params)
    if p.newly_diagnosed is None:
        return Outcome(State.MISSING, c.values, (), ("newly_diagnosed",))
    if not p.newly_diagnosed:
        return Outcome(State.NOT_APPLICABLE, c.values, ("not_new",))
    markers_en: list[str] = []
    markers_fr: list[str] = []
    unknown: list[str] = []
    if p.hba1c is None:
        unknown.append("hba1c")
    elif p.hba1c.percent >= params["hba1c_min_percent"]:
        markers_en.append(f"HbA1c {p.hba1c.label()}")
        markers_fr.append(_fr(f"HbA1c {p.hba1c.label()}"))
    glucoses = [g for g in (p.fasting_glucose, p.random_glucose) if g is not None]
    if not glucoses:
        unknown += ["fasting_glucose", "random_glucose"]
    else:
        top = max(glucoses, key=lambda g: g.mgdl)
        if top.mgdl >= params["glucose_min_mgdl"]:
            mmoll = float(mgdl_to_mmoll(top.mgdl))
            markers_en.append(f"glucose {top.mgdl:.0f} mg/dL ({mmoll:.1f} mmol/L)")
            markers_fr.append(_fr(f"glycémie {top.mgdl:.0f} mg/dL ({mmoll:.1f} mmol/L)"))
    if p.hyperglycaemia_symptoms is None:
        unknown.append("hyperglycaemia_symptoms")
    elif p.hyperglycaemia_symptoms:
        markers_en.append("symptoms of hyperglycaemia")
        markers_fr.append("symptômes d'hyperglycémie")
    if markers_en:
        c.values |= {"marker_en": ", ".join(markers_en), "marker_fr": ", ".join(markers_fr)}
        return Outcome(State.MET, c.values)
    if unknown:
        return Outcome(State.MISSING, c.values, (), tuple(unknown))
    return Outcome(State.UNMET, c.values, ("not_marked",))


def pregnancy(p: Patient, params: Params) -> Outcome:
    """Pregnant (target < 6 %) or planning one (target < 6.5 %) with HbA1c above the target."""
    c = _Check(params)
    if p.sex == "male" or (p.pregnant is False and p.planning_pregnancy is False):
        return Outcome(State.NOT_APPLICABLE, c.values, ("not_pregnant",))
    if p.pregnant:
        target = params["pregnancy_target_percent"]
        c.values |= {"situation_en": "Pregnant", "situation_fr": "Grossesse"}
    elif p.planning_pregnancy:
        target = params["preconception_target_percent"]
        c.values |= {"situation_en": "Planning a pregnancy", "situation_fr": "Projet de grossesse"}
    else:
        missing = tuple(
            n
            for n, v in (("pregnant", p.pregnant), ("planning_pregnancy", p.planning_pregnancy))
            if v is None
        )
        return Outcome(State.MISSING, c.values, (), missing)
    c.values["target_percent"] = target
    hba1c = _hba1c(c, p)
    if hba1c is not None:
        c.require(hba1c >= target, "at_target")
    return c.outcome()


# ---------------------------------------------------------------------- contraindications, capacity


def _flag(name: str, value: bool | None, *, holds_when: bool = True) -> Outcome:
    """A yes/no field: met when it equals ``holds_when``, unmet (criterion "gap") otherwise."""
    if value is None:
        return Outcome(State.MISSING, {}, (), (name,))
    if value is holds_when:
        return Outcome(State.MET)
    return Outcome(State.UNMET, {}, ("gap",))


def severe_psychiatric(p: Patient, params: Params) -> Outcome:
    return _flag("conditions.severe_psychiatric_disorder", p.conditions.severe_psychiatric_disorder)


def proliferative_retinopathy(p: Patient, params: Params) -> Outcome:
    return _flag(
        "conditions.proliferative_retinopathy_untreated", p.conditions.proliferative_retinopathy_untreated
    )


def magnetic_field(p: Patient, params: Params) -> Outcome:
    return _flag("conditions.strong_magnetic_field_exposure", p.conditions.strong_magnetic_field_exposure)


def adherence(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.adherence", p.capacity.adherence)


def motivation(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.motivation", p.capacity.motivation)


def cognition(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.cognition_ok", p.capacity.cognition_ok)


def carb_assessment(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.carb_counting", p.capacity.carb_counting)


def support(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.support", p.capacity.support)


def follow_up(p: Patient, params: Params) -> Outcome:
    return _flag("capacity.available_for_follow_up", p.capacity.available_for_follow_up)


def vision_dexterity(p: Patient, params: Params) -> Outcome:
    """Vision and dexterity sufficient, or compensated by a trained relative (``support``)."""
    cap = p.capacity
    limited = [
        (en, fr)
        for ok, en, fr in ((cap.vision_ok, "vision", "vision"), (cap.dexterity_ok, "dexterity", "dextérité"))
        if ok is False
    ]
    unknown = [
        n
        for n, ok in (("capacity.vision_ok", cap.vision_ok), ("capacity.dexterity_ok", cap.dexterity_ok))
        if ok is None
    ]
    if not limited:
        if unknown:
            return Outcome(State.MISSING, {}, (), tuple(unknown))
        return Outcome(
            State.MET,
            {"how_en": "vision and dexterity sufficient", "how_fr": "vision et dextérité suffisantes"},
        )
    what = {"what_en": " and ".join(en for en, _ in limited), "what_fr": " et ".join(fr for _, fr in limited)}
    if cap.support is None:
        return Outcome(State.MISSING, what, (), ("capacity.support",))
    if cap.support:
        how = {
            "how_en": f"{what['what_en']} limited, compensated by a trained relative",
            "how_fr": f"{what['what_fr']} limitée(s), compensée(s) par un proche formé",
        }
        return Outcome(State.MET, what | how)
    return Outcome(State.UNMET, what, ("gap",))


def self_monitoring(p: Patient, params: Params) -> Outcome:
    """>= 4 capillary checks a day, or CGM."""
    if p.uses_cgm:
        return Outcome(State.MET, {"smbg_per_day": p.smbg_per_day or 0.0} | dict(params))
    if p.smbg_per_day is not None and p.smbg_per_day >= params["min_smbg_per_day"]:
        return Outcome(State.MET, {"smbg_per_day": p.smbg_per_day} | dict(params))
    missing = tuple(n for n, v in (("smbg_per_day", p.smbg_per_day), ("uses_cgm", p.uses_cgm)) if v is None)
    if missing:
        return Outcome(State.MISSING, dict(params), (), missing)
    assert p.smbg_per_day is not None
    return Outcome(State.UNMET, {"smbg_per_day": p.smbg_per_day} | dict(params), ("gap",))


# ---------------------------------------------------------------------- cautions, notes


def concentrated_insulin(p: Patient, params: Params) -> Outcome:
    """Total daily dose above 200 U/day; days a 300 U reservoir lasts."""
    if p.total_daily_dose_u is None:
        return Outcome(State.MISSING, {}, (), ("total_daily_dose_u",))
    if p.total_daily_dose_u <= params["tdd_above_u"]:
        return Outcome(State.UNMET, {"tdd_u": p.total_daily_dose_u})
    days = params["reservoir_u"] / p.total_daily_dose_u
    return Outcome(State.MET, {"tdd_u": p.total_daily_dose_u, "reservoir_days": days} | dict(params))


def outside_trial_population(p: Patient, params: Params) -> Outcome:
    """Age outside 30-75, HbA1c above 12 % or dose outside 0.7-1.8 U/kg/day."""
    if _not_on_mdi(p):
        return Outcome(State.NOT_APPLICABLE)
    en: list[str] = []
    fr: list[str] = []
    if not params["age_min_years"] <= p.age_years <= params["age_max_years"]:
        en.append(
            f"age {p.age_years:g} years (trial: {params['age_min_years']:g}-{params['age_max_years']:g})"
        )
        fr.append(
            f"âge {p.age_years:g} ans (essai : {params['age_min_years']:g}-{params['age_max_years']:g})"
        )
    missing: list[str] = []
    if p.hba1c is None:
        missing.append("hba1c")
    elif p.hba1c.percent > params["hba1c_max_percent"]:
        en.append(f"HbA1c {p.hba1c.percent:.1f} % (trial: <= {params['hba1c_max_percent']:g} %)")
        fr.append(f"HbA1c {p.hba1c.percent:.1f} % (essai : <= {params['hba1c_max_percent']:g} %)")
    dose = p.tdd_u_per_kg
    if dose is None:
        missing += [
            n
            for n, v in (("weight_kg", p.weight_kg), ("total_daily_dose_u", p.total_daily_dose_u))
            if v is None
        ]
    elif not params["tdd_min_u_per_kg"] <= dose <= params["tdd_max_u_per_kg"]:
        span = f"{params['tdd_min_u_per_kg']:g}-{params['tdd_max_u_per_kg']:g}"
        en.append(f"{dose:.2f} U/kg/day (trial: {span})")
        fr.append(f"{dose:.2f} U/kg/j (essai : {span})")
    if en:
        return Outcome(State.MET, {"reasons_en": "; ".join(en), "reasons_fr": _fr("; ".join(fr))})
    if missing:
        return Outcome(State.MISSING, {}, (), tuple(missing))
    return Outcome(State.UNMET)


def level2_hypoglycaemia(p: Patient, params: Params) -> Outcome:
    """CGM time below 54 mg/dL at or above 1 %."""
    below = p.cgm_metric("below_54")
    if below is None:
        return Outcome(State.MISSING, {}, (), ("cgm_metrics.below_54",))
    values = {"below_54": below} | dict(params)
    return Outcome(State.MET if below >= params["below_54_max_percent"] else State.UNMET, values)


def high_dose_uncontrolled(p: Patient, params: Params) -> Outcome:
    """HbA1c above 8 % despite >= 1 U/kg/day."""
    c = _Check(params)
    hba1c = _hba1c(c, p)
    if hba1c is not None:
        c.require(hba1c > params["hba1c_min_percent"], "hba1c_low")
    dose = _dose(c, p)
    if dose is not None:
        c.require(dose >= params["tdd_min_u_per_kg"], "dose_low")
    return c.outcome()


# ---------------------------------------------------------------------- organisation, reimbursement


def centre_initiateur(p: Patient, params: Params) -> Outcome:
    """Confirmed, or pending (None and False both mean: not yet confirmed)."""
    return Outcome(State.MET) if p.centre_initiateur_confirmed else Outcome(State.UNMET, {}, ("pending",))


def pregnancy_follow_up(p: Patient, params: Params) -> Outcome:
    if not (p.pregnant or p.planning_pregnancy):
        return Outcome(State.NOT_APPLICABLE)
    if p.reinforced_pregnancy_follow_up:
        return Outcome(State.MET)
    return Outcome(State.UNMET, {}, ("pending",))


def lpp_1131170(p: Patient, params: Params) -> Outcome:
    """The LPP wording, and whether this record shows diabetes not balanced by MDI."""
    rule = mdi_failure(p, params)  # params: those of T2D-IND-MDI-FAILURE (a test keeps them equal)
    variant = {State.MET: "matches", State.MISSING: "to_document"}.get(rule.state, "not_shown")
    return Outcome(State.MET, variant=variant)


def always(p: Patient, params: Params) -> Outcome:
    """A note that applies to every pump prescription."""
    return Outcome(State.MET)


def patch_pump_60u(p: Patient, params: Params) -> Outcome:
    if p.total_daily_dose_u is None:
        return Outcome(State.MISSING, {}, (), ("total_daily_dose_u",))
    values = {"tdd_u": p.total_daily_dose_u} | dict(params)
    return Outcome(State.MET if p.total_daily_dose_u > params["patch_max_u_per_day"] else State.UNMET, values)


EVALUATORS: dict[str, Evaluator] = {
    "T2D-IND-MDI-FAILURE": mdi_failure,
    "T2D-IND-OPT2MISE-PHENOTYPE": opt2mise_phenotype,
    "T2D-IND-MAJOR-INSULIN-RESISTANCE": major_insulin_resistance,
    "T2D-IND-TRANSIENT-AT-DIAGNOSIS": transient_at_diagnosis,
    "T2D-IND-PREGNANCY": pregnancy,
    "T2D-CI-SEVERE-PSYCHIATRIC": severe_psychiatric,
    "T2D-CI-PROLIFERATIVE-RETINOPATHY": proliferative_retinopathy,
    "T2D-CI-MAGNETIC-FIELD": magnetic_field,
    "T2D-CAUTION-CONCENTRATED-INSULIN": concentrated_insulin,
    "T2D-CAUTION-OUTSIDE-TRIAL-POPULATION": outside_trial_population,
    "T2D-CAUTION-LEVEL2-HYPOGLYCAEMIA": level2_hypoglycaemia,
    "T2D-CAP-ADHERENCE": adherence,
    "T2D-CAP-MOTIVATION": motivation,
    "T2D-CAP-COGNITION": cognition,
    "T2D-CAP-VISION-DEXTERITY": vision_dexterity,
    "T2D-CAP-SELF-MONITORING": self_monitoring,
    "T2D-CAP-CARB-ASSESSMENT": carb_assessment,
    "T2D-CAP-SUPPORT": support,
    "T2D-CAP-FOLLOW-UP": follow_up,
    "T2D-ORG-CENTRE-INITIATEUR": centre_initiateur,
    "T2D-ORG-PREGNANCY-FOLLOW-UP": pregnancy_follow_up,
    "T2D-REIMB-LPP-1131170": lpp_1131170,
    "T2D-REIMB-PRESCRIPTION": always,
    "T2D-REIMB-PATCH-PUMP-60U": patch_pump_60u,
    "T2D-REIMB-RENEWAL-4-YEARS": always,
    "T2D-NOTE-HIGH-DOSE-UNCONTROLLED": high_dose_uncontrolled,
}
