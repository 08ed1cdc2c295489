"""The pages' languages: the choice (lang=, cookie, Accept-Language), label fallback, figures, catalogues."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kgpub.errors import BadRequest
from kgpub.rdf.negotiate import lookup_language, parse_accept_language
from kgpub.resources import i18n

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("ko", "ko"), ("ko-KR", "ko"), ("KO-kr", "ko"), ("fr, ja;q=0.5", "ja"),
    ("ja;q=0.4, ko;q=0.8", "ko"), ("ko;q=0, ja", "ja"), ("ko;q=0", None), ("*", None), ("fr, *;q=0.5", None),
    ("zh-Hant-TW, en;q=0.1", "en"), ("en-US;q=0.9, ja;q=0.9", "en"),  # ties: the header's order
    ("ja-x-private", "ja"), ("ko;q=bogus, ja;q=0.1", "ja"),  # an unreadable weight is no preference
])
def test_lookup_follows_rfc_4647(header: str | None, expected: str | None) -> None:
    assert lookup_language(header, i18n.LANGUAGES) == expected


def test_accept_language_ranges_are_ordered_by_weight_then_position() -> None:
    assert parse_accept_language("a;q=0.5, b, c;q=0.5, d;q=0") == [("b", 1.0), ("a", 0.5), ("c", 0.5)]


@pytest.mark.parametrize(("param", "cookie", "accept", "expected"), [
    ("ja", "ko", "ko", ("ja", "param")),
    (None, "ko", "ja", ("ko", "cookie")),
    (None, "fr", "ja", ("ja", "accept")),  # a cookie we did not set is ignored
    (None, None, "fr", ("en", "default")),
    (" KO ", None, None, ("ko", "param")),
])
def test_choice_order(param: str | None, cookie: str | None, accept: str | None, expected: tuple[str, str]) -> None:
    choice = i18n.choose(param=param, cookie=cookie, accept_language=accept)
    assert (choice.lang, choice.source) == expected


def test_an_unknown_lang_parameter_is_an_error_naming_the_offers() -> None:
    with pytest.raises(BadRequest, match=r"lang='de'.*en, ko, ja"):
        i18n.choose(param="de", cookie=None, accept_language=None)


@pytest.mark.parametrize(("labels", "lang", "expected"), [
    ({"en": "Korea", "ko": "한국"}, "ko", ("한국", "ko", False)),
    ({"en": "Korea", "ja": "韓国"}, "ko", ("Korea", "en", True)),  # English before any other
    ({"": "KR", "ja": "韓国"}, "ko", ("KR", "", True)),  # then the untagged literal
    ({"ja": "韓国", "de": "Korea"}, "ko", ("Korea", "de", True)),  # then the tags in order: never random
])
def test_label_fallback_order(labels: dict[str, str], lang: str, expected: tuple[str, str, bool]) -> None:
    label = i18n.pick(labels, lang)
    assert label is not None and (label.text, label.lang, label.fallback) == expected


def test_no_label_is_none() -> None:
    assert i18n.pick({}, "en") is None


@pytest.mark.parametrize(("value", "unit", "lang", "shown"), [
    ("77200000000", "CCY_USD", "en", "USD 77.2 billion"),
    ("77200000000", "CCY_USD", "ko", "772억 미국 달러"),
    ("77200000000", "CCY_USD", "ja", "772億 米ドル"),
    ("200000000", "CCY_USD", "en", "USD 200 million"),
    ("950", "CCY_USD", "en", "USD 950"),
    ("47.4", "PERCENT", "en", "47.4%"),
    ("0.25", "UNITLESS", "en", "0.25"),
    ("1234567", "NUM", "en", "1,234,567"),
    ("not a number", "CCY_USD", "en", "not a number"),
])
def test_amounts_for_people(value: str, unit: str, lang: str, shown: str) -> None:
    assert i18n.amount(value, i18n.QUDT_UNIT + unit, lang) == shown


@pytest.mark.parametrize(("value", "datatype", "lang", "shown"), [
    ("2025-06-19", "date", "en", "June 19, 2025"), ("2025-06-19", "date", "ko", "2025년 6월 19일"),
    ("2025-06-19", "date", "ja", "2025年6月19日"), ("2025-05", "gYearMonth", "ko", "2025년 5월"),
    ("1965", "gYear", "en", "1965"), ("2025-13-01", "date", "en", "2025-13-01"),  # not a date: as written
])
def test_dates_for_people(value: str, datatype: str, lang: str, shown: str) -> None:
    assert i18n.date(value, i18n.XSD + datatype, lang) == shown


def test_the_catalogues_translate_every_message_of_the_pages() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "messages.py"), "--check"], capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("lang", ["ko", "ja"])
def test_translations_keep_their_placeholders(lang: str) -> None:
    import re

    table = i18n.catalogue(lang)
    assert len(table) > 50
    for message, translation in table.items():
        assert sorted(re.findall(r"%\(\w+\)s", message)) == sorted(re.findall(r"%\(\w+\)s", translation)), message
