"""The pages' three languages: which one a reader gets, the interface text in it, labels and figures in it.

- **Choice** (:func:`choose`): ``?lang=`` first, then the cookie the language switch sets, then
  ``Accept-Language`` (q-values, RFC 4647 Lookup), then English.
- **Interface text**: one gettext message catalogue per language (``locales/<lang>.po``, read
  with Babel); English is the source language, so its catalogue is the msgids themselves.
- **Labels** (:func:`pick`): the chosen language, then English, then the literal without a
  language tag, then the other tags in alphabetical order: never random, and marked as a
  fallback when the text is not in the chosen language.
- **Figures**: numbers, amounts of money, percentages and dates in the reader's locale (Babel's CLDR
  data): ``USD 77.2 billion``, ``772억 미국 달러``, ``772億 米ドル``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from babel.dates import format_date, format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal, format_percent, get_currency_name

from kgpub.errors import BadRequest
from kgpub.rdf.negotiate import lookup_language

LANGUAGES = ("en", "ko", "ja")
DEFAULT = "en"
NAMES = {"en": "English", "ko": "한국어", "ja": "日本語"}
"""Each language's name in itself (what the switch shows)."""
COOKIE = "kgpub_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
QUDT_UNIT = "http://qudt.org/vocab/unit/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Choice:
    lang: str
    source: str  # param | cookie | accept | default


def choose(*, param: str | None, cookie: str | None, accept_language: str | None) -> Choice:
    """The reader's language; a ``lang=`` the pages do not offer is an error (a cookie is only ignored)."""
    if param is not None:
        tag = param.strip().lower()
        if tag not in LANGUAGES:
            raise BadRequest(f"lang={param!r} is not a language of these pages; offered: {', '.join(LANGUAGES)}")
        return Choice(tag, "param")
    if cookie is not None and cookie.strip().lower() in LANGUAGES:
        return Choice(cookie.strip().lower(), "cookie")
    found = lookup_language(accept_language, LANGUAGES)
    return Choice(found, "accept") if found else Choice(DEFAULT, "default")


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """msgid -> translation for ``lang`` (empty for English, the source language)."""
    if lang == DEFAULT:
        return {}
    with resources.files("kgpub.resources").joinpath("locales", f"{lang}.po").open("rb") as f:
        po = read_po(f, locale=lang)
    table: dict[str, str] = {}
    for m in po:
        if not m.id or not m.string or m.fuzzy:
            continue
        if isinstance(m.id, tuple | list):  # a plural: both forms are one form in Korean and Japanese
            translated = m.string[0] if isinstance(m.string, tuple | list) else m.string
            for form in m.id:
                table[str(form)] = str(translated)
        else:
            table[str(m.id)] = str(m.string)
    return table


def N_(message: str) -> str:
    """Marks ``message`` for the catalogues where it is defined; it is translated where it is shown."""
    return message


def gettext(lang: str) -> Callable[[str], str]:
    table = catalogue(lang)
    return lambda message: table.get(message, message)


@dataclass(frozen=True)
class Label:
    text: str
    lang: str  # the literal's language tag ("" when it has none)
    fallback: bool  # not in the language asked for


def pick(labels: Mapping[str, str], lang: str) -> Label | None:
    """The label to show in ``lang`` from ``labels`` (language tag -> text), by the fixed fallback order."""
    if not labels:
        return None
    for tag in (lang, DEFAULT, ""):
        if tag in labels:
            return Label(labels[tag], tag, tag != lang)
    tag = sorted(labels)[0]
    return Label(labels[tag], tag, tag != lang)


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def number(value: str, lang: str) -> str:
    """A plain number with the locale's separators (``77,200,000,000``); the lexical form when not one."""
    found = _decimal(value)
    return format_decimal(found, locale=lang, decimal_quantization=False) if found is not None else value


def tick(value: float, lang: str) -> str:
    """An axis tick: short for big numbers (``100M``, ``1억``, ``1億``), else the number."""
    if abs(value) >= 1000:
        return str(format_compact_decimal(value, locale=lang, fraction_digits=1))
    return str(format_decimal(value, locale=lang, decimal_quantization=False))


def amount(value: str, unit: str, lang: str) -> str:
    """A figure in its unit for people: ``USD 77.2 billion``, ``47.4%``, ``0.25``."""
    found = _decimal(value)
    if found is None:
        return value
    name = unit.removeprefix(QUDT_UNIT)
    if name.startswith("CCY_"):
        code = name.removeprefix("CCY_")
        big = abs(found) >= 1_000_000
        figure = (format_compact_decimal(found, locale=lang, format_type="long", fraction_digits=1) if big
                  else format_decimal(found, locale=lang))
        return f"{code} {figure}" if lang == "en" else f"{figure} {get_currency_name(code, locale=lang)}"
    if name == "PERCENT":
        return format_percent(found / 100, locale=lang, format="#,##0.##%", decimal_quantization=False)
    return number(value, lang)


def date(value: str, datatype: str, lang: str) -> str:
    """An XSD date, year-month or year for people (``19 June 2025``, ``2025년 5월``); else the lexical form."""
    try:
        if datatype == XSD + "date":
            from datetime import date as day
            return format_date(day.fromisoformat(value), format="long", locale=lang)
        if datatype == XSD + "gYearMonth":
            from datetime import date as day
            return format_skeleton("yMMMM", day.fromisoformat(value + "-01"), locale=lang)
    except ValueError:
        return value
    return value
