"""``t2pump indication``: is this type 2 patient a pump candidate? The decision with its reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2pump.decision.patient import load_patient
from t2pump.decision.rules import Decision, Finding, Lang, evaluate, load_ruleset
from t2pump.errors import parse_enum

__all__ = ["indication_command", "render_decision"]

_HEADINGS: dict[str, tuple[str, str]] = {
    "status": ("Status", "Statut"),
    "indications_met": ("Indications met", "Indications remplies"),
    "criteria_unmet": ("Indications not met", "Indications non remplies"),
    "contraindications": ("Contraindications", "Contre-indications"),
    "capacity_gaps": ("Capacity gaps", "Capacités à acquérir"),
    "missing_fields": ("Data needed for the decision", "Données nécessaires à la décision"),
    "cautions": ("Cautions", "Précautions"),
    "organisation_pending": ("Before the prescription", "Avant la prescription"),
    "notes": ("Notes", "Notes"),
    "not_evaluated": ("Not evaluated (data missing)", "Non évalué (données manquantes)"),
    "sources": ("Sources", "Sources"),
    "ruleset": ("Rule set", "Jeu de règles"),
    "record": ("patient record", "dossier patient"),
}
_STATUS: dict[str, tuple[str, str]] = {
    "eligible": ("ELIGIBLE", "ÉLIGIBLE"),
    "not_eligible": ("NOT ELIGIBLE", "NON ÉLIGIBLE"),
    "insufficient_data": ("INSUFFICIENT DATA", "DONNÉES INSUFFISANTES"),
}


def _say(pair: tuple[str, str], lang: Lang) -> str:
    return pair[1] if lang is Lang.FR else pair[0]


def _head(key: str, lang: Lang) -> str:
    """A heading with its colon (French typography puts a space before it)."""
    return _say(_HEADINGS[key], lang) + (" :" if lang is Lang.FR else ":")


def render_decision(decision: Decision, lang: Lang = Lang.EN) -> str:
    """The decision as text: status, reasons by section, sources, rule set and disclaimer."""
    title = load_ruleset().title.get(lang)
    lines = [
        f"t2pump indication: {title}",
        decision.disclaimer.get(lang),
        "",
        f"{_head('status', lang)} {_say(_STATUS[decision.status.value], lang)}",
        decision.summary.get(lang),
    ]
    shown: list[Finding] = []
    sections: list[tuple[str, tuple[Finding, ...]]] = [
        ("indications_met", decision.indications_met),
        ("contraindications", decision.contraindications),
        ("capacity_gaps", decision.capacity_gaps),
        ("criteria_unmet", decision.criteria_unmet),
        ("cautions", decision.cautions),
        ("organisation_pending", decision.organisation_pending),
        ("notes", decision.notes),
        ("not_evaluated", decision.not_evaluated),
    ]
    for key, findings in sections:
        if key == "criteria_unmet" and decision.missing_fields:
            lines += ["", _head("missing_fields", lang)]
            lines += [f"  - {name}" for name in decision.missing_fields]
        if not findings:
            continue
        lines += ["", _head(key, lang)]
        lines += [f"  - [{f.rule_id}] {f.text.get(lang)}" for f in findings]
        if key != "not_evaluated":
            shown += findings
    if shown:
        lines += ["", _head("sources", lang)]
        for f in shown:
            lines.append(f"  [{f.rule_id}] {f.citation} ({f.evidence}; verified: {f.verified})")
    lines += [
        "",
        f"{_head('ruleset', lang)} {decision.ruleset_id} {decision.ruleset_version} "
        f"({decision.ruleset_date}); {_say(_HEADINGS['record'], lang)} {decision.patient_digest}",
        decision.disclaimer.get(lang),
    ]
    return "\n".join(lines)


def indication_command(
    patient_file: Annotated[
        Path, typer.Argument(help="patient record (JSON, t2pump.patient/1)", show_default=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the decision as JSON (replayable, both languages)")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="language of the text output: fr or en")] = "en",
) -> None:
    language = parse_enum(Lang, lang, "--lang")
    decision = evaluate(load_patient(patient_file))
    if as_json:
        typer.echo(decision.to_json())
        return
    typer.echo(render_decision(decision, language))
