"""The patient record: reading, units, derived total dose, and the errors bad input gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from patient_fixtures import BASELINE_PATH, baseline, vary

from t2pump.decision.patient import (
    GlucoseUnit,
    HbA1cUnit,
    PatientInputError,
    Sex,
    load_patient,
    patient_digest,
    patient_from_dict,
    patient_to_dict,
)
from t2pump.errors import InputRangeError


def test_baseline_record_reads_with_units_and_derived_total_dose() -> None:
    p = load_patient(BASELINE_PATH)
    assert p.sex is Sex.FEMALE
    assert p.hba1c is not None
    assert p.hba1c.unit is HbA1cUnit.PERCENT
    assert p.hba1c.percent == 9.1
    # 50 U glargine + 18 + 20 + 20 U aspart: the total is summed, not guessed
    assert p.total_daily_dose_u == 108.0
    assert p.tdd_u_per_kg == pytest.approx(108 / 98)
    assert p.bmi_kg_m2 == pytest.approx(98 / 1.7**2)
    assert p.cgm_metric("in_range_70_180") == 41.0
    assert p.cgm_metric("gri") is None


def test_hba1c_in_mmol_per_mol_is_kept_as_labelled_and_converted() -> None:
    p = patient_from_dict(vary(hba1c={"value": 76, "unit": "mmol/mol"}))
    assert p.hba1c is not None
    assert p.hba1c.unit is HbA1cUnit.MMOL_PER_MOL
    assert p.hba1c.value == 76.0
    # IFCC-NGSP master equation: 0.09148 x 76 + 2.152 = 9.10 %
    assert p.hba1c.percent == pytest.approx(9.1045, abs=1e-4)
    assert p.hba1c.label() == "76 mmol/mol (9.1 %)"


def test_glucose_in_mmol_per_litre_is_converted_to_mgdl() -> None:
    p = patient_from_dict(vary(fasting_glucose={"value": 10.0, "unit": "mmol/L"}))
    assert p.fasting_glucose is not None
    assert p.fasting_glucose.unit is GlucoseUnit.MMOLL
    assert p.fasting_glucose.mgdl == pytest.approx(180.156)


def test_given_total_daily_dose_wins_over_the_sum_of_doses() -> None:
    assert patient_from_dict(vary(total_daily_dose_u=112)).total_daily_dose_u == 112.0


def test_carb_ratio_without_daily_bolus_leaves_total_dose_unknown() -> None:
    bolus = {"product": "aspart", "carb_ratio_g_per_u": 8}
    p = patient_from_dict(vary(mdi__bolus=bolus, mdi__injections_per_day=None))
    assert p.total_daily_dose_u is None
    assert p.mdi is not None
    assert p.mdi.injections_per_day is None


def test_minimal_record_keeps_every_missing_field_as_none() -> None:
    p = patient_from_dict({"age_years": 60, "sex": "male", "diabetes_type": "type2"})
    assert p.weight_kg is None
    assert p.hba1c is None
    assert p.mdi is None
    assert p.total_daily_dose_u is None
    assert p.capacity.motivation is None
    assert p.conditions.severe_psychiatric_disorder is None


def test_round_trip_through_json_gives_the_same_record_and_digest() -> None:
    p = load_patient(BASELINE_PATH)
    again = patient_from_dict(json.loads(json.dumps(patient_to_dict(p))))
    assert again == p
    assert patient_digest(again) == patient_digest(p)
    assert patient_digest(patient_from_dict(vary(weight_kg=99))) != patient_digest(p)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"sex": "male", "pregnant": True}, "pregnant", "false or null for sex 'male'"),
        ({"sex": "male", "planning_pregnancy": True}, "planning_pregnancy", "sex 'male'"),
        ({"weight_kg": 15}, "weight_kg", "[30, 350] kg"),
        ({"age_years": 12}, "age_years", "[18, 120] years"),
        ({"hba1c": {"value": 25, "unit": "%"}}, "hba1c.value", "[3, 20] %"),
        ({"hba1c": {"value": 2.5, "unit": "%"}}, "hba1c.value", "[3, 20] %"),
        ({"hba1c": {"value": 250, "unit": "mmol/mol"}}, "hba1c.value", "mmol/mol"),
        ({"hba1c": {"value": 9.1, "unit": "percent"}}, "hba1c.unit", "'%', 'mmol/mol'"),
        ({"hba1c": {"value": 9.1}}, "hba1c.unit", "required"),
        ({"hba1c": {"value": "9,1", "unit": "%"}}, "hba1c.value", "a number"),
        ({"hba1c": {"value": 9.1, "unit": "%", "date": "02/10/2026"}}, "hba1c.date", "YYYY-MM-DD"),
        ({"fasting_glucose": {"value": 180, "unit": "g/L"}}, "fasting_glucose.unit", "'mg/dL', 'mmol/L'"),
        ({"fasting_glucose": {"value": 2000, "unit": "mg/dL"}}, "fasting_glucose.value", "mg/dL"),
        ({"weight_kg": 300, "height_cm": 150}, "weight_kg", "BMI"),
        ({"diabetes_duration_years": 70}, "diabetes_duration_years", "<= age_years"),
        ({"newly_diagnosed": True}, "newly_diagnosed", "newly diagnosed"),
        ({"mdi__months_on_mdi": 400}, "mdi.months_on_mdi", "diabetes duration"),
        ({"mdi__injections_per_day": 2}, "mdi.injections_per_day", ">= 4"),
        ({"mdi__basal": [{"product": "aspart", "dose_u": 40}]}, "mdi.basal[0].product", "glargine_u100"),
        (
            {"mdi__basal": [{"product": "degludec", "dose_u": 40, "clock": "25:00"}]},
            "mdi.basal[0].clock",
            "HH:MM",
        ),
        ({"mdi__bolus": {"product": "aspart"}}, "mdi.bolus.(doses)", "carb_ratio_g_per_u"),
        ({"total_daily_dose_u": 30}, "total_daily_dose_u", "basal doses"),
        ({"total_daily_dose_u": 999, "weight_kg": 60, "height_cm": 160}, "total_daily_dose_u", "U/kg/day"),
        ({"diabetes_type": "type1"}, "diabetes_type", "'type2'"),
        ({"sex": "f"}, "sex", "'female', 'male'"),
        ({"pregnant": "no"}, "pregnant", "true, false or null"),
        ({"capacity__motivation": 1}, "capacity.motivation", "true, false or null"),
        ({"conditions__retinopathy": True}, "conditions.retinopathy", "known field name"),
        ({"weight": 98}, "weight", "weight_kg"),
        ({"cgm_metrics": {"time_in_range": 50}}, "cgm_metrics.time_in_range", "in_range_70_180"),
        ({"cgm_metrics": {"in_range_70_180": 140}}, "cgm_metrics.in_range_70_180", "% of CGM time"),
        ({"schema": "t2pump.patient/9"}, "schema", "t2pump.patient/1"),
    ],
)
def test_bad_input_names_file_field_value_and_expectation(
    changes: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(PatientInputError) as info:
        patient_from_dict(vary(**changes), source="vignette.json")
    err = info.value
    assert isinstance(err, InputRangeError)
    assert err.field == field
    assert expected in err.expected
    assert str(err).startswith(f"vignette.json: {field}: got ")


def test_missing_required_field_is_named() -> None:
    data = baseline()
    del data["age_years"]
    with pytest.raises(PatientInputError, match=r"^p\.json: age_years: got None, expected .*required"):
        patient_from_dict(data, source="p.json")


def test_load_patient_names_the_file_on_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"age_years": 58,', encoding="utf-8")
    with pytest.raises(PatientInputError, match=r"broken\.json: \(line 1, column"):
        load_patient(path)
    with pytest.raises(PatientInputError, match=r"absent\.json"):
        load_patient(tmp_path / "absent.json")


def test_record_must_be_an_object() -> None:
    with pytest.raises(PatientInputError, match=r"list\.json: \(record\): got \[1\], expected a JSON object"):
        patient_from_dict([1], source="list.json")  # type: ignore[arg-type]
