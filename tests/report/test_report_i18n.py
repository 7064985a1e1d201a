"""Report languages: the .po catalogs match the code's messages, French is complete, Babel formats."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import t2pump.report
from t2pump.errors import InputRangeError
from t2pump.report.i18n import Lang, catalog_path, localizer

_PACKAGE = Path(t2pump.report.__file__).parent


def _code_messages() -> set[str]:
    found: set[str] = set()
    for source in sorted(_PACKAGE.glob("*.py")):
        found |= {str(message) for _, message, _, _ in extract_from_file("python", source)}
    return found


def _catalog(lang: Lang) -> dict[str, str]:
    with open(catalog_path(lang), "rb") as fh:
        catalog = read_po(fh)
    assert not any(m.fuzzy for m in catalog if m.id), f"fuzzy entries in the {lang} catalog"
    return {str(m.id): str(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", list(Lang))
def test_catalogs_hold_exactly_the_messages_of_the_code(lang: Lang) -> None:
    code = _code_messages()
    assert len(code) > 30
    assert set(_catalog(lang)) == code  # refresh with pybabel extract/update (t2pump.report.i18n)


def test_every_french_message_is_translated_with_the_same_placeholders() -> None:
    for msgid, msgstr in _catalog(Lang.FR).items():
        assert msgstr, f"untranslated: {msgid!r}"
        assert sorted(re.findall(r"\{\w+\}", msgstr)) == sorted(re.findall(r"\{\w+\}", msgid)), msgid


def test_french_and_english_texts() -> None:
    fr, en = localizer("fr"), localizer(Lang.EN)
    assert fr.gettext("Time in ranges") == "Temps dans les plages"
    assert en.gettext("Time in ranges") == "Time in ranges"
    assert fr.gettext("not a message id") == "not a message id"  # falls back to the id


def test_numbers_and_dates_follow_the_locale() -> None:
    fr, en = localizer("fr"), localizer("en")
    assert fr.decimal(7.44, 1) == "7,4"
    assert en.decimal(1234.5, 0) == "1,234"  # half-even, group separator
    assert fr.percent(72.36, 1) == "72,4\u00a0%"
    assert en.percent(72.36, 1) == "72.4%"
    day = dt.date(2024, 7, 30)
    assert (fr.date(day), en.date(day)) == ("30 juil. 2024", "30 Jul 2024")
    assert (fr.weekday_day(day), en.weekday_day(day)) == ("mar. 30", "Tue 30")
    assert [en.duration(m) for m in (1008.0, 60.0, 14.4, 0.2)] == [
        "16\u00a0h\u00a048\u00a0min",
        "1\u00a0h",
        "14\u00a0min",
        "0\u00a0min",
    ]


def test_unknown_language_is_refused_naming_lang() -> None:
    with pytest.raises(InputRangeError) as err:
        localizer("de")
    assert err.value.field == "lang"
    assert "'fr'" in str(err.value)
    assert "'en'" in str(err.value)
