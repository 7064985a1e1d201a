"""Pump indication in type 2 diabetes: versioned rules as data, a decision with its reasons.

The rule set lives in ``data/rules_t2d_pump.toml`` (version, date; per rule: id, kind, inputs,
text in English and French, citation, evidence level, numbers); the evaluators are pure
functions in :mod:`t2pump.decision.indication_evaluators`, keyed by rule id. :func:`evaluate`
runs every rule on a patient record and decides:

* ``not_eligible`` if a contraindication is present or a blocking capacity is missing
  (explicitly false), or if every indication is judged and none is met;
* ``insufficient_data`` if the decision depends on fields the record leaves out (they are
  named in ``missing_fields``);
* ``eligible`` if an indication is met, no contraindication and no blocking capacity gap.

Organisational conditions (centre initiateur, reinforced pregnancy follow-up) are listed as
pending, not as reasons to refuse: they are steps before the prescription. Reimbursement notes are
French (LPP). A :class:`Decision` carries every finding with its rule id, citation and evidence,
the rule-set version, the patient record it was made from and its digest; ``to_json`` and
``from_json`` round-trip it and :func:`replay` re-evaluates it. Every output carries the
disclaimer: decision support for a clinician, not a prescription.
"""

from __future__ import annotations

import json
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

from t2pump.decision.indication_evaluators import EVALUATORS, Outcome, State, Value
from t2pump.decision.patient import Patient, patient_digest, patient_from_dict, patient_to_dict
from t2pump.errors import InputRangeError, T2pumpError

__all__ = [
    "DECISION_SCHEMA",
    "Bilingual",
    "Decision",
    "Finding",
    "Lang",
    "Rule",
    "RuleKind",
    "RuleSet",
    "State",
    "Status",
    "evaluate",
    "load_ruleset",
    "replay",
]

DECISION_SCHEMA = "t2pump.decision/1"
RULES_FILE = "rules_t2d_pump.toml"


class Lang(StrEnum):
    EN = "en"
    FR = "fr"


class RuleKind(StrEnum):
    INDICATION = "indication"
    CONTRAINDICATION = "contraindication"
    CAUTION = "caution"
    CAPACITY = "capacity"
    ORGANISATION = "organisation"
    REIMBURSEMENT = "reimbursement"
    NOTE = "note"


class Status(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text in English and French."""

    en: str
    fr: str

    def get(self, lang: Lang | str) -> str:
        return self.fr if Lang(lang) is Lang.FR else self.en

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "text") -> Bilingual:
        try:
            return cls(str(d["en"]), str(d["fr"]))
        except (KeyError, TypeError):
            raise InputRangeError(where, d, "an object with 'en' and 'fr' texts") from None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the set (see ``data/rules_t2d_pump.toml``)."""

    id: str
    kind: RuleKind
    text: Bilingual
    citation: str
    evidence: str
    verified: str  # "yes" | "partly" | "no": was the source read (see the citation for what)
    inputs: tuple[str, ...]
    params: Mapping[str, float]
    met: Bilingual | None = None
    criteria: Mapping[str, Bilingual] | None = None
    variants: Mapping[str, Bilingual] | None = None  # alternative "met" texts an evaluator picks
    blocking: bool = False  # capacity: a gap decides "not eligible"


@dataclass(frozen=True, slots=True)
class RuleSet:
    id: str
    version: str
    date: str
    title: Bilingual
    disclaimer: Bilingual
    messages: Mapping[str, Bilingual]
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise InputRangeError("rule_id", rule_id, "one of " + ", ".join(r.id for r in self.rules))


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's result for one patient, with its text already written in both languages."""

    rule_id: str
    kind: RuleKind
    state: State
    text: Bilingual
    citation: str
    evidence: str
    verified: str
    blocking: bool = False
    values: tuple[tuple[str, Value], ...] = ()
    failed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind.value,
            "state": self.state.value,
            "text": self.text.to_dict(),
            "citation": self.citation,
            "evidence": self.evidence,
            "verified": self.verified,
            "blocking": self.blocking,
            "values": dict(self.values),
            "failed": list(self.failed),
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            rule_id=str(d["rule_id"]),
            kind=RuleKind(d["kind"]),
            state=State(d["state"]),
            text=Bilingual.from_dict(d["text"]),
            citation=str(d["citation"]),
            evidence=str(d["evidence"]),
            verified=str(d["verified"]),
            blocking=bool(d["blocking"]),
            values=tuple(sorted(dict(d["values"]).items())),
            failed=tuple(d["failed"]),
            missing=tuple(d["missing"]),
        )


# --------------------------------------------------------------------------- loading the rules


def _bilingual(d: Mapping[str, Any], key: str, where: str) -> Bilingual | None:
    if key not in d:
        return None
    return Bilingual.from_dict(d[key], f"{where}.{key}")


def _rule(d: Mapping[str, Any], i: int) -> Rule:
    where = f"{RULES_FILE}: rules[{i}]"
    rule_id = str(d.get("id", ""))
    if rule_id not in EVALUATORS:
        raise InputRangeError(f"{where}.id", rule_id, "a rule id with an evaluator in indication_evaluators")
    text = _bilingual(d, "text", where)
    if text is None:
        raise InputRangeError(f"{where}.text", None, "an object with 'en' and 'fr' texts")
    criteria = {k: Bilingual.from_dict(v, f"{where}.criteria.{k}") for k, v in d.get("criteria", {}).items()}
    variants = {k: Bilingual.from_dict(v, f"{where}.variants.{k}") for k, v in d.get("variants", {}).items()}
    for key in ("citation", "evidence", "verified"):
        if not str(d.get(key, "")).strip():
            raise InputRangeError(f"{where}.{key}", d.get(key), "a non-empty text")
    return Rule(
        id=rule_id,
        kind=RuleKind(d["kind"]),
        text=text,
        citation=" ".join(str(d["citation"]).split()),
        evidence=str(d["evidence"]),
        verified=str(d["verified"]),
        inputs=tuple(d.get("inputs", ())),
        params=dict(d.get("params", {})),
        met=_bilingual(d, "met", where),
        criteria=criteria or None,
        variants=variants or None,
        blocking=bool(d.get("blocking", False)),
    )


def _ruleset_from_data(data: Mapping[str, Any]) -> RuleSet:
    head = data["ruleset"]
    status = data["messages"]["status"]
    messages = {k: Bilingual.from_dict(data["messages"][k], k) for k in ("unmet", "missing")}
    for key in ("eligible", "not_eligible", "insufficient_data", "transient"):
        messages[key] = Bilingual(status[f"{key}_en"], status[f"{key}_fr"])
    rules = tuple(_rule(r, i) for i, r in enumerate(data["rules"]))
    ids = [r.id for r in rules]
    duplicates = sorted({x for x in ids if ids.count(x) > 1})
    if duplicates:
        raise InputRangeError(f"{RULES_FILE}: rules.id", duplicates[0], "unique rule ids")
    return RuleSet(
        id=str(head["id"]),
        version=str(head["version"]),
        date=str(head["date"]),
        title=Bilingual(head["title_en"], head["title_fr"]),
        disclaimer=Bilingual.from_dict(data["disclaimer"], "disclaimer"),
        messages=messages,
        rules=rules,
    )


@cache
def load_ruleset() -> RuleSet:
    """The rule set shipped with t2pump (``t2pump/decision/data/rules_t2d_pump.toml``)."""
    text = files("t2pump.decision").joinpath("data", RULES_FILE).read_text(encoding="utf-8")
    return _ruleset_from_data(tomllib.loads(text))


# --------------------------------------------------------------------------- writing a finding


class _Formatter(string.Formatter):
    """str.format with a French decimal comma for numbers when ``lang`` is French."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        out: str = super().format_field(value, format_spec)
        if self.lang is Lang.FR and isinstance(value, float | int) and not isinstance(value, bool):
            out = out.replace(".", ",")
        return out


def _render(template: str, values: Mapping[str, Value], lang: Lang) -> str:
    return _Formatter(lang).vformat(template, (), dict(values))


def _finding(rule: Rule, outcome: Outcome, ruleset: RuleSet) -> Finding:
    texts: dict[Lang, str] = {}
    for lang in Lang:
        title = rule.text.get(lang)
        if outcome.state is State.MET:
            template = rule.met
            if outcome.variant is not None:
                template = (rule.variants or {})[outcome.variant]
            texts[lang] = _render(template.get(lang), outcome.values, lang) if template else title
        elif outcome.state is State.MISSING:
            fields = ", ".join(outcome.missing)
            texts[lang] = _render(
                ruleset.messages["missing"].get(lang), {"rule": title, "fields": fields}, lang
            )
        else:
            criteria = rule.criteria or {}
            reasons = "; ".join(
                _render(criteria[c].get(lang), outcome.values, lang) for c in outcome.failed if c in criteria
            )
            message = ruleset.messages["unmet"].get(lang)
            texts[lang] = _render(message, {"rule": title, "reasons": reasons}, lang) if reasons else title
    return Finding(
        rule_id=rule.id,
        kind=rule.kind,
        state=outcome.state,
        text=Bilingual(texts[Lang.EN], texts[Lang.FR]),
        citation=rule.citation,
        evidence=rule.evidence,
        verified=rule.verified,
        blocking=rule.blocking,
        values=tuple(sorted(outcome.values.items())),
        failed=outcome.failed,
        missing=outcome.missing,
    )


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Decision:
    """The indication decision for one patient record, with every finding and its source.

    ``findings`` holds every rule's result in rule-set order; the properties sort them for
    reading. ``inputs`` is the patient record (canonical JSON text) the decision was made from.
    """

    status: Status
    transient_only: bool
    findings: tuple[Finding, ...]
    missing_fields: tuple[str, ...]
    summary: Bilingual
    disclaimer: Bilingual
    ruleset_id: str
    ruleset_version: str
    ruleset_date: str
    patient_digest: str
    inputs: str

    def _select(self, kind: RuleKind, state: State) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind is kind and f.state is state)

    @property
    def indications_met(self) -> tuple[Finding, ...]:
        return self._select(RuleKind.INDICATION, State.MET)

    @property
    def criteria_unmet(self) -> tuple[Finding, ...]:
        """Indications judged and not met, each with the criteria that failed."""
        return self._select(RuleKind.INDICATION, State.UNMET)

    @property
    def contraindications(self) -> tuple[Finding, ...]:
        return self._select(RuleKind.CONTRAINDICATION, State.MET)

    @property
    def cautions(self) -> tuple[Finding, ...]:
        return self._select(RuleKind.CAUTION, State.MET)

    @property
    def capacity_gaps(self) -> tuple[Finding, ...]:
        return self._select(RuleKind.CAPACITY, State.UNMET)

    @property
    def organisation_pending(self) -> tuple[Finding, ...]:
        return self._select(RuleKind.ORGANISATION, State.UNMET)

    @property
    def notes(self) -> tuple[Finding, ...]:
        """Reimbursement notes and supporting notes that apply, and organisation confirmed."""
        kinds = (RuleKind.REIMBURSEMENT, RuleKind.NOTE, RuleKind.ORGANISATION)
        return tuple(f for f in self.findings if f.kind in kinds and f.state is State.MET)

    @property
    def not_evaluated(self) -> tuple[Finding, ...]:
        """Rules that could not be judged for lack of data (decisive or not)."""
        return tuple(f for f in self.findings if f.state is State.MISSING)

    def patient(self) -> Patient:
        """The patient record the decision was made from."""
        return patient_from_dict(json.loads(self.inputs), source="decision.inputs")

    def to_dict(self) -> dict[str, Any]:
        ids = {
            "indications_met": self.indications_met,
            "criteria_unmet": self.criteria_unmet,
            "contraindications": self.contraindications,
            "cautions": self.cautions,
            "capacity_gaps": self.capacity_gaps,
            "organisation_pending": self.organisation_pending,
            "notes": self.notes,
            "not_evaluated": self.not_evaluated,
        }
        return {
            "schema": DECISION_SCHEMA,
            "disclaimer": self.disclaimer.to_dict(),
            "status": self.status.value,
            "transient_only": self.transient_only,
            "summary": self.summary.to_dict(),
            "missing_fields": list(self.missing_fields),
            **{k: [f.rule_id for f in v] for k, v in ids.items()},
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "date": self.ruleset_date},
            "patient_digest": self.patient_digest,
            "findings": [f.to_dict() for f in self.findings],
            "inputs": json.loads(self.inputs),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        if d.get("schema") != DECISION_SCHEMA:
            raise InputRangeError("schema", d.get("schema"), repr(DECISION_SCHEMA))
        try:
            return cls(
                status=Status(d["status"]),
                transient_only=bool(d["transient_only"]),
                findings=tuple(Finding.from_dict(f) for f in d["findings"]),
                missing_fields=tuple(d["missing_fields"]),
                summary=Bilingual.from_dict(d["summary"], "summary"),
                disclaimer=Bilingual.from_dict(d["disclaimer"], "disclaimer"),
                ruleset_id=str(d["ruleset"]["id"]),
                ruleset_version=str(d["ruleset"]["version"]),
                ruleset_date=str(d["ruleset"]["date"]),
                patient_digest=str(d["patient_digest"]),
                inputs=_canonical(d["inputs"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputRangeError(
                "decision", type(exc).__name__, f"a complete {DECISION_SCHEMA} object"
            ) from None

    @classmethod
    def from_json(cls, text: str) -> Decision:
        return cls.from_dict(json.loads(text))


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _decide(findings: tuple[Finding, ...]) -> tuple[Status, tuple[str, ...]]:
    """The status and, when data are insufficient, the fields the decision needs."""

    def of(kind: RuleKind, state: State, *, blocking_only: bool = False) -> list[Finding]:
        return [
            f for f in findings if f.kind is kind and f.state is state and (f.blocking or not blocking_only)
        ]

    refused = of(RuleKind.CONTRAINDICATION, State.MET) or of(
        RuleKind.CAPACITY, State.UNMET, blocking_only=True
    )
    if refused:
        return Status.NOT_ELIGIBLE, ()
    met = of(RuleKind.INDICATION, State.MET)
    unknown_indications = of(RuleKind.INDICATION, State.MISSING)
    if not met and not unknown_indications:
        return Status.NOT_ELIGIBLE, ()
    needed = of(RuleKind.CONTRAINDICATION, State.MISSING) + of(
        RuleKind.CAPACITY, State.MISSING, blocking_only=True
    )
    if not met:
        needed = unknown_indications + needed
    if not needed:
        return Status.ELIGIBLE, ()
    fields = sorted({name for f in needed for name in f.missing})
    return Status.INSUFFICIENT_DATA, tuple(fields)


def evaluate(patient: Patient, ruleset: RuleSet | None = None) -> Decision:
    """Evaluate every rule of ``ruleset`` (default: the shipped one) on ``patient``."""
    rs = ruleset or load_ruleset()
    findings = tuple(_finding(rule, EVALUATORS[rule.id](patient, rule.params), rs) for rule in rs.rules)
    status, missing = _decide(findings)
    met_ids = {f.rule_id for f in findings if f.kind is RuleKind.INDICATION and f.state is State.MET}
    transient = status is Status.ELIGIBLE and met_ids == {"T2D-IND-TRANSIENT-AT-DIAGNOSIS"}
    summary = rs.messages[status.value]
    if transient:
        t = rs.messages["transient"]
        summary = Bilingual(f"{summary.en} {t.en}", f"{summary.fr} {t.fr}")
    return Decision(
        status=status,
        transient_only=transient,
        findings=findings,
        missing_fields=missing,
        summary=summary,
        disclaimer=rs.disclaimer,
        ruleset_id=rs.id,
        ruleset_version=rs.version,
        ruleset_date=rs.date,
        patient_digest=patient_digest(patient),
        inputs=_canonical(patient_to_dict(patient)),
    )


class ReplayError(T2pumpError):
    """A decision cannot be replayed as made: another rule-set version, or altered inputs."""


def replay(decision: Decision, ruleset: RuleSet | None = None) -> Decision:
    """Re-evaluate a decision from its recorded inputs; errors if the rule set or inputs changed."""
    rs = ruleset or load_ruleset()
    if (rs.id, rs.version) != (decision.ruleset_id, decision.ruleset_version):
        raise ReplayError(
            f"decision made with rule set {decision.ruleset_id} {decision.ruleset_version}, "
            f"this is {rs.id} {rs.version}"
        )
    patient = decision.patient()
    if patient_digest(patient) != decision.patient_digest:
        raise ReplayError(f"the inputs do not match the recorded digest {decision.patient_digest}")
    return evaluate(patient, rs)
