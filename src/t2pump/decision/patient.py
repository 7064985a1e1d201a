"""The patient record read by decision support: one JSON file, units in the field names.

A record describes an adult with type 2 diabetes at the time a pump is discussed: body
measures, glycaemia (HbA1c in % or mmol/mol, glucose in mg/dL or mmol/L, each labelled), the
current multiple-daily-injection (MDI) regimen, self-monitoring, the patient's capacity to run a
pump, the conditions that contraindicate it, the organisational status and, optionally, the CGM
metrics that ``t2pump metrics --json`` prints (iglu names). The JSON Schema shipped in
``t2pump/decision/data/patient.schema.json`` documents every field; docs/decision_support.md
shows examples.

Only ``age_years``, ``sex`` and ``diabetes_type`` are required. Every other field may be left out
and is then kept as ``None``: the rules report "insufficient data" naming it, nothing is guessed.
The one derived value is the total daily dose, summed from the MDI doses when the record does
not give it (and only when every dose is known).

Values are checked on reading. An error names the file, the field, the value and the expected
unit or range; contradictions are errors too (pregnant and male, an adult of 15 kg, a body mass
index outside what a human body has, a diabetes older than the patient).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

from t2pump.errors import InputRangeError
from t2pump.insulin.products import PRODUCTS, InsulinClass, get_product
from t2pump.metrics.batch import SUMMARY_KEYS
from t2pump.units import hba1c_mmolmol_to_percent, hba1c_percent_to_mmolmol, mgdl_to_mmoll, mmoll_to_mgdl

__all__ = [
    "CGM_METRIC_KEYS",
    "SCHEMA_ID",
    "BasalInjection",
    "BolusRegimen",
    "Capacity",
    "Conditions",
    "Glucose",
    "GlucoseUnit",
    "HbA1c",
    "HbA1cUnit",
    "MdiRegimen",
    "Patient",
    "PatientInputError",
    "Sex",
    "load_patient",
    "patient_digest",
    "patient_from_dict",
    "patient_schema",
    "patient_to_dict",
]

SCHEMA_ID = "t2pump.patient/1"

# Plausibility bounds: values outside are typing errors or contradictions, not patients.
# Adult rule set (the T2D pump evidence is in adults: OpT2mise 30-75 y, SECURE-T2D 18-75 y).
AGE_YEARS = (18.0, 120.0)
WEIGHT_KG = (30.0, 350.0)  # an adult below 30 kg is a typing error (15 kg: rejected)
HEIGHT_CM = (120.0, 250.0)
BMI_KG_M2 = (12.0, 100.0)  # weight and height that give a BMI outside this contradict each other
HBA1C_PERCENT = (3.0, 20.0)  # DCCT/NGSP range of the assays; mmol/mol bounds follow by conversion
GLUCOSE_MGDL = (20.0, 1500.0)
DOSE_PER_INJECTION_U = (0.0, 300.0)
TDD_U = (0.0, 1000.0)
TDD_U_PER_KG = (0.0, 10.0)  # U/kg/day above 10 contradicts the weight (highest reports ~ 3-4 U/kg)
INJECTIONS_PER_DAY = (1, 12)
SMBG_PER_DAY = (0.0, 24.0)
NEWLY_DIAGNOSED_MAX_YEARS = 1.0  # "newly diagnosed" with a longer duration is a contradiction

# iglu names of the metrics ``t2pump metrics --json`` prints (t2pump.metrics.batch.SUMMARY_KEYS),
# and the pregnancy ranges (63-140 mg/dL, below 63, above 140: Battelino 2019 consensus targets in
# pregnancy); those whose unit is a percentage of CGM time are checked within 0-100.
CGM_METRIC_KEYS: tuple[str, ...] = SUMMARY_KEYS
_CGM_PERCENT_KEYS = frozenset(
    k for k in CGM_METRIC_KEYS if k.startswith(("below_", "above_", "in_range_")) or k == "active_percent"
)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class PatientInputError(InputRangeError):
    """A patient record field is missing, out of range or contradicts another field.

    The message names the file (``source``), the field, the value and what was expected.
    """

    def __init__(self, source: str, field: str, value: object, expected: str) -> None:
        super().__init__(field, value, expected)
        self.source = source
        self.args = (f"{source}: {field}: got {value!r}, expected {expected}",)

    def __str__(self) -> str:
        return str(self.args[0])


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class HbA1cUnit(StrEnum):
    PERCENT = "%"
    MMOL_PER_MOL = "mmol/mol"


class GlucoseUnit(StrEnum):
    MGDL = "mg/dL"
    MMOLL = "mmol/L"


@dataclass(frozen=True, slots=True)
class HbA1c:
    """An HbA1c result as labelled by the laboratory [% (NGSP/DCCT) or mmol/mol (IFCC)]."""

    value: float
    unit: HbA1cUnit
    date: str | None = None  # ISO date of the sample, YYYY-MM-DD

    @property
    def percent(self) -> float:
        """The value in % (IFCC-NGSP master equation, t2pump.units)."""
        if self.unit is HbA1cUnit.PERCENT:
            return self.value
        return float(hba1c_mmolmol_to_percent(self.value))

    @property
    def mmol_per_mol(self) -> float:
        if self.unit is HbA1cUnit.MMOL_PER_MOL:
            return self.value
        return float(hba1c_percent_to_mmolmol(self.value))

    def label(self) -> str:
        """``"9.1 % (76 mmol/mol)"``: the value as given, then the other unit."""
        if self.unit is HbA1cUnit.PERCENT:
            return f"{self.value:g} % ({self.mmol_per_mol:.0f} mmol/mol)"
        return f"{self.value:g} mmol/mol ({self.percent:.1f} %)"


@dataclass(frozen=True, slots=True)
class Glucose:
    """A plasma or capillary glucose value as labelled [mg/dL or mmol/L]."""

    value: float
    unit: GlucoseUnit

    @property
    def mgdl(self) -> float:
        if self.unit is GlucoseUnit.MGDL:
            return self.value
        return float(mmoll_to_mgdl(self.value))

    def label(self) -> str:
        if self.unit is GlucoseUnit.MGDL:
            return f"{self.value:g} mg/dL ({float(mgdl_to_mmoll(self.value)):.1f} mmol/L)"
        return f"{self.value:g} mmol/L ({self.mgdl:.0f} mg/dL)"


@dataclass(frozen=True, slots=True)
class BasalInjection:
    """One long-acting injection of the MDI regimen."""

    product: str  # t2pump.insulin.products id of a basal insulin (e.g. "glargine_u100")
    dose_u: float  # [U]
    clock: str | None = None  # time of day "HH:MM"


@dataclass(frozen=True, slots=True)
class BolusRegimen:
    """The prandial part of the MDI regimen: fixed meal doses, or a carb ratio.

    With a carb ratio the daily prandial insulin is known only if ``daily_bolus_u`` is given
    (e.g. the mean of the last 14 days).
    """

    product: str  # t2pump.insulin.products id of a rapid-acting insulin (e.g. "aspart")
    breakfast_u: float | None = None  # [U]
    lunch_u: float | None = None  # [U]
    dinner_u: float | None = None  # [U]
    carb_ratio_g_per_u: float | None = None  # [g/U]
    correction_factor_mgdl_per_u: float | None = None  # [mg/dL per U]
    daily_bolus_u: float | None = None  # [U/day] mean daily prandial + correction insulin

    @property
    def fixed_doses(self) -> bool:
        return any(d is not None for d in (self.breakfast_u, self.lunch_u, self.dinner_u))

    def daily_u(self) -> float | None:
        """Prandial insulin per day [U]: the given mean, else the fixed doses' sum, else None."""
        if self.daily_bolus_u is not None:
            return self.daily_bolus_u
        doses = (self.breakfast_u, self.lunch_u, self.dinner_u)
        if self.fixed_doses and all(d is not None for d in doses):
            return sum(cast(float, d) for d in doses)
        return None

    def meal_injections(self) -> int | None:
        """Meals injected per day (fixed doses > 0), None with a carb ratio."""
        if not self.fixed_doses:
            return None
        return sum(1 for d in (self.breakfast_u, self.lunch_u, self.dinner_u) if d is not None and d > 0)


@dataclass(frozen=True, slots=True)
class MdiRegimen:
    """The current multiple-daily-injection regimen (basal-bolus)."""

    basal: tuple[BasalInjection, ...] = ()
    bolus: BolusRegimen | None = None
    injections_per_day: int | None = None  # derived from the fixed doses when not given
    months_on_mdi: float | None = None  # [months] on this regimen

    @property
    def basal_u(self) -> float:
        """Long-acting insulin per day [U]."""
        return sum(b.dose_u for b in self.basal)

    def daily_u(self) -> float | None:
        """Total insulin per day [U] when every part is known."""
        if not self.basal or self.bolus is None:
            return None
        bolus = self.bolus.daily_u()
        return None if bolus is None else self.basal_u + bolus


@dataclass(frozen=True, slots=True)
class Capacity:
    """What the patient can do and has (AACE/ACE 2014; Endocrine Society 2016). None: not assessed."""

    adherence: bool | None = None  # history of following the therapy (injections, SMBG, sick-day rules)
    motivation: bool | None = None  # wants the pump, realistic expectations
    vision_ok: bool | None = None  # can read the pump screen
    dexterity_ok: bool | None = None  # can fill a reservoir, insert an infusion set
    cognition_ok: bool | None = None  # can follow the pump's menus and the safety rules
    carb_counting: bool | None = None  # can estimate carbohydrate (or follows fixed meals)
    support: bool | None = None  # a relative or nurse who can help
    available_for_follow_up: bool | None = None  # can attend the visits and answer calls


@dataclass(frozen=True, slots=True)
class Conditions:
    """Conditions that contraindicate a pump (SFD/ALFEDIAM 2009). None: not assessed."""

    severe_psychiatric_disorder: bool | None = None
    proliferative_retinopathy_untreated: bool | None = None  # rapidly progressing, before laser
    strong_magnetic_field_exposure: bool | None = None  # e.g. works near MRI or industrial magnets


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient record (see the module docstring). Glucose in mg/dL internally, doses in U."""

    age_years: float
    sex: Sex
    diabetes_type: str = "type2"
    patient_id: str | None = None
    weight_kg: float | None = None
    height_cm: float | None = None
    diabetes_duration_years: float | None = None
    newly_diagnosed: bool | None = None
    hyperglycaemia_symptoms: bool | None = None  # polyuria, polydipsia, weight loss
    hba1c: HbA1c | None = None
    hba1c_target: HbA1c | None = None  # individual target set by the team
    fasting_glucose: Glucose | None = None
    random_glucose: Glucose | None = None  # highest recent non-fasting value (e.g. at diagnosis)
    pregnant: bool | None = None
    planning_pregnancy: bool | None = None
    mdi: MdiRegimen | None = None
    total_daily_dose_u: float | None = None  # [U/day], summed from ``mdi`` when not given
    smbg_per_day: float | None = None  # capillary glucose checks per day
    uses_cgm: bool | None = None
    capacity: Capacity = field(default_factory=Capacity)
    conditions: Conditions = field(default_factory=Conditions)
    centre_initiateur_confirmed: bool | None = None
    reinforced_pregnancy_follow_up: bool | None = None  # diabetology + obstetric team in place
    cgm_metrics: tuple[tuple[str, float], ...] | None = None  # iglu names, sorted by name

    @property
    def bmi_kg_m2(self) -> float | None:
        if self.weight_kg is None or self.height_cm is None:
            return None
        return self.weight_kg / (self.height_cm / 100.0) ** 2

    @property
    def tdd_u_per_kg(self) -> float | None:
        """Total daily dose per kg of body weight [U/kg/day]."""
        if self.total_daily_dose_u is None or self.weight_kg is None:
            return None
        return self.total_daily_dose_u / self.weight_kg

    def cgm_metric(self, name: str) -> float | None:
        """One CGM metric by its iglu name, None when absent."""
        return dict(self.cgm_metrics or ()).get(name)


# --------------------------------------------------------------------------- reading


class _Reader:
    """Reads one JSON object: each key taken once, unknown keys rejected, errors with the path."""

    def __init__(self, source: str, obj: object, path: str) -> None:
        self.source = source
        self.path = path
        if not isinstance(obj, Mapping):
            raise PatientInputError(source, path or "(record)", obj, "a JSON object")
        self.obj: dict[str, Any] = dict(obj)
        self.taken: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, value: object, expected: str) -> PatientInputError:
        return PatientInputError(self.source, self.name(key), value, expected)

    def raw(self, key: str) -> Any:
        self.taken.add(key)
        return self.obj.get(key)

    def number(self, key: str, lo: float, hi: float, unit: str, *, required: bool = False) -> float | None:
        value = self.raw(key)
        if value is None:
            if required:
                raise self.error(key, None, f"a number in [{lo:g}, {hi:g}] {unit} (required)")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(key, value, f"a number in [{lo:g}, {hi:g}] {unit}")
        if not lo <= value <= hi:
            raise self.error(key, value, f"a number in [{lo:g}, {hi:g}] {unit}")
        return float(value)

    def integer(self, key: str, lo: int, hi: int, unit: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise self.error(key, value, f"a whole number in [{lo}, {hi}] {unit}")
        if not lo <= value <= hi:
            raise self.error(key, value, f"a whole number in [{lo}, {hi}] {unit}")
        return int(value)

    def flag(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.error(key, value, "true, false or null (not assessed)")

    def text(self, key: str, *, allowed: tuple[str, ...] | None = None, required: bool = False) -> str | None:
        value = self.raw(key)
        expected = "one of " + ", ".join(repr(a) for a in allowed) if allowed else "a string"
        if value is None:
            if required:
                raise self.error(key, None, expected + " (required)")
            return None
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            raise self.error(key, value, expected)
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """A required string among ``allowed``."""
        return cast(str, self.text(key, allowed=allowed, required=True))

    def child(self, key: str) -> _Reader | None:
        value = self.raw(key)
        return None if value is None else _Reader(self.source, value, self.name(key))

    def finish(self) -> None:
        unknown = sorted(set(self.obj) - self.taken)
        if unknown:
            key = unknown[0]
            known = ", ".join(sorted(self.taken))
            raise self.error(key, self.obj[key], f"a known field name here: {known}")


def _date(r: _Reader, key: str) -> str | None:
    value = r.text(key)
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise r.error(key, value, "an ISO date YYYY-MM-DD") from None
    return value


def _hba1c(r: _Reader, key: str) -> HbA1c | None:
    c = r.child(key)
    if c is None:
        return None
    unit = HbA1cUnit(c.choice("unit", tuple(u.value for u in HbA1cUnit)))
    if unit is HbA1cUnit.PERCENT:
        value = c.number("value", *HBA1C_PERCENT, "% (NGSP/DCCT)", required=True)
    else:
        lo, hi = (round(float(hba1c_percent_to_mmolmol(x)), 1) for x in HBA1C_PERCENT)
        value = c.number("value", lo, hi, f"mmol/mol (IFCC; {HBA1C_PERCENT[0]:g}-{HBA1C_PERCENT[1]:g} %)")
        if value is None:
            raise c.error("value", None, "a number (required)")
    date = _date(c, "date")
    c.finish()
    return HbA1c(cast(float, value), unit, date)


def _glucose(r: _Reader, key: str) -> Glucose | None:
    c = r.child(key)
    if c is None:
        return None
    unit = GlucoseUnit(c.choice("unit", tuple(u.value for u in GlucoseUnit)))
    lo, hi = GLUCOSE_MGDL
    if unit is GlucoseUnit.MMOLL:
        lo, hi = round(float(mgdl_to_mmoll(lo)), 1), round(float(mgdl_to_mmoll(hi)), 1)
    value = c.number("value", lo, hi, unit.value, required=True)
    c.finish()
    return Glucose(cast(float, value), unit)


def _product(r: _Reader, key: str, insulin_class: InsulinClass, required: bool = True) -> str:
    allowed = tuple(p for p in PRODUCTS if get_product(p).insulin_class is insulin_class)
    return cast(str, r.text(key, allowed=allowed, required=required))


def _basal(r: _Reader, key: str) -> tuple[BasalInjection, ...]:
    value = r.raw(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise r.error(key, value, "a list of {product, dose_u, clock} objects")
    out = []
    for i, item in enumerate(value):
        c = _Reader(r.source, item, f"{r.name(key)}[{i}]")
        product = _product(c, "product", InsulinClass.BASAL)
        dose = c.number("dose_u", *DOSE_PER_INJECTION_U, "U", required=True)
        clock = c.text("clock")
        if clock is not None and not _CLOCK.match(clock):
            raise c.error("clock", clock, 'a time of day "HH:MM" (00:00-23:59)')
        c.finish()
        out.append(BasalInjection(product, cast(float, dose), clock))
    return tuple(out)


def _bolus(r: _Reader, key: str) -> BolusRegimen | None:
    c = r.child(key)
    if c is None:
        return None
    product = _product(c, "product", InsulinClass.RAPID)
    meals = [c.number(k, *DOSE_PER_INJECTION_U, "U") for k in ("breakfast_u", "lunch_u", "dinner_u")]
    ratio = c.number("carb_ratio_g_per_u", 1.0, 150.0, "g/U")
    cf = c.number("correction_factor_mgdl_per_u", 1.0, 500.0, "mg/dL per U")
    daily = c.number("daily_bolus_u", *TDD_U, "U/day")
    c.finish()
    if ratio is None and all(m is None for m in meals):
        raise c.error("(doses)", None, "breakfast_u/lunch_u/dinner_u [U] or carb_ratio_g_per_u [g/U]")
    return BolusRegimen(product, meals[0], meals[1], meals[2], ratio, cf, daily)


def _mdi(r: _Reader, key: str, duration_years: float | None) -> MdiRegimen | None:
    c = r.child(key)
    if c is None:
        return None
    basal = _basal(c, "basal")
    bolus = _bolus(c, "bolus")
    injections = c.integer("injections_per_day", *INJECTIONS_PER_DAY, "injections/day")
    months = c.number("months_on_mdi", 0.0, 1200.0, "months")
    c.finish()
    meals = None if bolus is None else bolus.meal_injections()
    if injections is None and meals is not None and basal:
        injections = len(basal) + meals
    elif injections is not None and meals is not None and injections < len(basal) + meals:
        raise c.error(
            "injections_per_day", injections, f">= {len(basal) + meals} (the basal and meal doses listed)"
        )
    if months is not None and duration_years is not None and months > duration_years * 12.0 + 1.0:
        raise c.error(
            "months_on_mdi",
            months,
            f"<= the diabetes duration ({duration_years:g} years = {duration_years * 12.0:g} months)",
        )
    return MdiRegimen(basal, bolus, injections, months)


def _cgm_metrics(r: _Reader, key: str) -> tuple[tuple[str, float], ...] | None:
    c = r.child(key)
    if c is None:
        return None
    out = []
    for name in sorted(c.obj):
        if name == "id":  # ``t2pump metrics --json`` rows carry the patient id
            c.text("id")
            continue
        if name not in CGM_METRIC_KEYS:
            raise c.error(name, c.obj[name], "an iglu metric name: " + ", ".join(CGM_METRIC_KEYS))
        hi = 100.0 if name in _CGM_PERCENT_KEYS else 1e9
        value = c.number(name, 0.0, hi, "% of CGM time" if hi == 100.0 else "(iglu unit)")
        if value is not None:
            out.append((name, value))
    c.finish()
    return tuple(out)


def _capacity(r: _Reader) -> Capacity:
    c = r.child("capacity")
    if c is None:
        return Capacity()
    values = {f.name: c.flag(f.name) for f in fields(Capacity)}
    c.finish()
    return Capacity(**values)


def _conditions(r: _Reader) -> Conditions:
    c = r.child("conditions")
    if c is None:
        return Conditions()
    values = {f.name: c.flag(f.name) for f in fields(Conditions)}
    c.finish()
    return Conditions(**values)


def patient_from_dict(d: Mapping[str, Any], source: str = "<patient>") -> Patient:
    """Read and check a patient record (the JSON object of :func:`load_patient`).

    Raises :class:`PatientInputError` naming ``source``, the field, the value and the expected
    unit or range.
    """
    r = _Reader(source, d, "")
    schema = r.text("schema")
    if schema is not None and schema != SCHEMA_ID:
        raise r.error("schema", schema, repr(SCHEMA_ID))
    age = cast(float, r.number("age_years", *AGE_YEARS, "years (adults)", required=True))
    sex = Sex(r.choice("sex", tuple(s.value for s in Sex)))
    diabetes_type = r.choice("diabetes_type", ("type2",))
    duration = r.number("diabetes_duration_years", 0.0, AGE_YEARS[1], "years")
    if duration is not None and duration > age:
        raise r.error("diabetes_duration_years", duration, f"<= age_years ({age:g})")
    newly = r.flag("newly_diagnosed")
    if newly and duration is not None and duration > NEWLY_DIAGNOSED_MAX_YEARS:
        raise r.error(
            "newly_diagnosed",
            newly,
            f"false with a diabetes duration of {duration:g} years "
            f"(newly diagnosed: <= {NEWLY_DIAGNOSED_MAX_YEARS:g} year)",
        )
    weight = r.number("weight_kg", *WEIGHT_KG, "kg (adult)")
    height = r.number("height_cm", *HEIGHT_CM, "cm (adult)")
    if weight is not None and height is not None:
        bmi = weight / (height / 100.0) ** 2
        if not BMI_KG_M2[0] <= bmi <= BMI_KG_M2[1]:
            raise r.error(
                "weight_kg",
                weight,
                f"a weight consistent with height_cm {height:g} (BMI {bmi:.0f} kg/m2 is "
                f"outside [{BMI_KG_M2[0]:g}, {BMI_KG_M2[1]:g}])",
            )
    pregnant = r.flag("pregnant")
    planning = r.flag("planning_pregnancy")
    if sex is Sex.MALE and pregnant:
        raise r.error("pregnant", pregnant, "false or null for sex 'male'")
    if sex is Sex.MALE and planning:
        raise r.error("planning_pregnancy", planning, "false or null for sex 'male'")
    mdi = _mdi(r, "mdi", duration)
    tdd = r.number("total_daily_dose_u", *TDD_U, "U/day")
    if tdd is None and mdi is not None:
        tdd = mdi.daily_u()
    if tdd is not None and mdi is not None and mdi.basal and tdd < mdi.basal_u:
        raise r.error("total_daily_dose_u", tdd, f">= the basal doses listed ({mdi.basal_u:g} U/day)")
    if tdd is not None and weight is not None and tdd / weight > TDD_U_PER_KG[1]:
        raise r.error("total_daily_dose_u", tdd, f"<= {TDD_U_PER_KG[1]:g} U/kg/day for weight_kg {weight:g}")
    patient = Patient(
        age_years=age,
        sex=sex,
        diabetes_type=diabetes_type,
        patient_id=r.text("id"),
        weight_kg=weight,
        height_cm=height,
        diabetes_duration_years=duration,
        newly_diagnosed=newly,
        hyperglycaemia_symptoms=r.flag("hyperglycaemia_symptoms"),
        hba1c=_hba1c(r, "hba1c"),
        hba1c_target=_hba1c(r, "hba1c_target"),
        fasting_glucose=_glucose(r, "fasting_glucose"),
        random_glucose=_glucose(r, "random_glucose"),
        pregnant=pregnant,
        planning_pregnancy=planning,
        mdi=mdi,
        total_daily_dose_u=tdd,
        smbg_per_day=r.number("smbg_per_day", *SMBG_PER_DAY, "checks/day"),
        uses_cgm=r.flag("uses_cgm"),
        capacity=_capacity(r),
        conditions=_conditions(r),
        centre_initiateur_confirmed=r.flag("centre_initiateur_confirmed"),
        reinforced_pregnancy_follow_up=r.flag("reinforced_pregnancy_follow_up"),
        cgm_metrics=_cgm_metrics(r, "cgm_metrics"),
    )
    r.finish()
    return patient


def load_patient(path: str | Path) -> Patient:
    """Read a patient record from a JSON file; errors name the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PatientInputError(str(p), "(file)", str(p), f"a readable JSON file ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PatientInputError(
            str(p), f"(line {exc.lineno}, column {exc.colno})", exc.msg, "valid JSON"
        ) from None
    return patient_from_dict(data, source=str(p))


# --------------------------------------------------------------------------- writing


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def patient_to_dict(p: Patient) -> dict[str, Any]:
    """The record as JSON data, as it was given (labelled units, derived TDD included).

    ``patient_from_dict(patient_to_dict(p)) == p``; fields left out (None) are not written.
    """

    def hba1c(h: HbA1c | None) -> dict[str, Any] | None:
        return None if h is None else _drop_none({"value": h.value, "unit": h.unit.value, "date": h.date})

    def glucose(g: Glucose | None) -> dict[str, Any] | None:
        return None if g is None else {"value": g.value, "unit": g.unit.value}

    mdi = None
    if p.mdi is not None:
        m = p.mdi
        bolus = None
        if m.bolus is not None:
            bolus = _drop_none({f.name: getattr(m.bolus, f.name) for f in fields(BolusRegimen)})
        mdi = _drop_none(
            {
                "basal": [
                    _drop_none({"product": b.product, "dose_u": b.dose_u, "clock": b.clock}) for b in m.basal
                ]
                or None,
                "bolus": bolus,
                "injections_per_day": m.injections_per_day,
                "months_on_mdi": m.months_on_mdi,
            }
        )
    capacity = _drop_none({f.name: getattr(p.capacity, f.name) for f in fields(Capacity)})
    conditions = _drop_none({f.name: getattr(p.conditions, f.name) for f in fields(Conditions)})
    return _drop_none(
        {
            "schema": SCHEMA_ID,
            "id": p.patient_id,
            "age_years": p.age_years,
            "sex": p.sex.value,
            "diabetes_type": p.diabetes_type,
            "weight_kg": p.weight_kg,
            "height_cm": p.height_cm,
            "diabetes_duration_years": p.diabetes_duration_years,
            "newly_diagnosed": p.newly_diagnosed,
            "hyperglycaemia_symptoms": p.hyperglycaemia_symptoms,
            "hba1c": hba1c(p.hba1c),
            "hba1c_target": hba1c(p.hba1c_target),
            "fasting_glucose": glucose(p.fasting_glucose),
            "random_glucose": glucose(p.random_glucose),
            "pregnant": p.pregnant,
            "planning_pregnancy": p.planning_pregnancy,
            "mdi": mdi,
            "total_daily_dose_u": p.total_daily_dose_u,
            "smbg_per_day": p.smbg_per_day,
            "uses_cgm": p.uses_cgm,
            "capacity": capacity or None,
            "conditions": conditions or None,
            "centre_initiateur_confirmed": p.centre_initiateur_confirmed,
            "reinforced_pregnancy_follow_up": p.reinforced_pregnancy_follow_up,
            "cgm_metrics": None if p.cgm_metrics is None else dict(p.cgm_metrics),
        }
    )


def patient_schema() -> dict[str, Any]:
    """The JSON Schema of the record (``t2pump/decision/data/patient.schema.json``)."""
    text = files("t2pump.decision").joinpath("data", "patient.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def patient_digest(p: Patient) -> str:
    """SHA-256 of the record's canonical JSON: the same record always gives the same digest."""
    canonical = json.dumps(patient_to_dict(p), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
