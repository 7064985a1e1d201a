"""Report languages: text from the package's gettext catalogs, numbers and dates through Babel.

The catalogs are the text ``.po`` files under ``t2pump/report/locale/<lang>/LC_MESSAGES/t2pump.po``
(message ids are the English text). They are read with Babel and compiled in memory on first use,
so no compiled ``.mo`` file is kept in the repository. A message missing from a catalog falls back
to the English id.

Locales: ``fr`` is ``fr_FR`` (decimal comma, "30 juil. 2024", "72,4 %" with a no-break space);
``en`` is ``en_GB``: day-month-year dates ("30 Jul 2024") and the 24-hour clock, as used in the
European clinics t2pump is written for (en_US would print "Jul 30, 2024"). The glucose unit is
chosen apart from the language (mg/dL, mmol/L or g/L: :mod:`t2pump.report.glucose_units`).

Changing a message: edit the text in the code, then refresh the catalogs and translate what is new
(``tests/report/test_report_i18n.py`` fails while a message is missing or untranslated)::

    uv run pybabel extract -o /tmp/t2pump-report.pot src/t2pump/report
    uv run pybabel update -i /tmp/t2pump-report.pot -d src/t2pump/report/locale -D t2pump

Messages are marked with ``_ = loc.gettext`` and ``_("...")`` so that the extractor finds them
(never inside an f-string, where it cannot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from io import BytesIO

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from t2pump.errors import parse_enum

__all__ = ["DOMAIN", "LOCALES", "Lang", "Localizer", "catalog_path", "localizer"]

DOMAIN = "t2pump"


class Lang(StrEnum):
    FR = "fr"
    EN = "en"


LOCALES = {Lang.FR: "fr_FR", Lang.EN: "en_GB"}  # see the module doc for the choice of en_GB


def catalog_path(lang: Lang) -> str:
    """Path of a language's ``.po`` catalog inside the package."""
    return str(files("t2pump.report") / "locale" / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po")


@dataclass(frozen=True, slots=True)
class Localizer:
    """Translate and format for one language (all report text goes through here)."""

    lang: Lang
    locale: Locale
    translations: Translations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def decimal(self, value: float, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals (half-even) and the locale's separators."""
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value_percent: float, digits: int = 0) -> str:
        """A percentage given in % (``72.4`` -> ``"72.4%"``, ``"72,4 %"`` in French)."""
        pattern = self.locale.percent_formats[None].pattern
        number = self.decimal(value_percent, digits)
        # The locale's pattern puts the number where "#,##0" is (e.g. "#,##0\u00a0%" in fr_FR).
        return pattern.replace("#,##0", number, 1) if "#,##0" in pattern else f"{number}%"

    def date(self, day: dt.date) -> str:
        """Medium date: "30 Jul 2024" / "30 juil. 2024"."""
        return format_date(day, format="medium", locale=self.locale)

    def weekday_day(self, day: dt.date) -> str:
        """Short weekday and day of month: "Tue 30" / "mar. 30"."""
        return format_date(day, format="EEE d", locale=self.locale)

    def duration(self, minutes: float) -> str:
        """A duration per day, rounded to the minute: "16 h 48 min", "1 h", "14 min"."""
        total = round(minutes)
        h, m = divmod(total, 60)
        if h and m:
            return f"{h}\u00a0h\u00a0{m}\u00a0min"
        if h:
            return f"{h}\u00a0h"
        return f"{m}\u00a0min"


@cache
def _translations(lang: Lang) -> Translations:
    with open(catalog_path(lang), "rb") as fh:
        catalog = read_po(fh, locale=LOCALES[lang], domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def localizer(lang: str | Lang) -> Localizer:
    """The localizer of ``lang`` (``"fr"`` or ``"en"``); raises naming ``lang`` otherwise."""
    code = parse_enum(Lang, lang, "lang")
    return Localizer(lang=code, locale=Locale.parse(LOCALES[code]), translations=_translations(code))
