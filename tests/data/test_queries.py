"""The competency questions in data/queries/*.rq: each is documented and gives its expected answer.

Every query file must have `# Title:` and `# Description:` comment lines and an entry in
EXPECTED below (a test fails for a query file without one, and for an entry without a file).
Queries run over the union of all graphs. Answers are compared as plain Python values:
IRIs and non-numeric literals as strings (language tags dropped), numbers as Decimal,
booleans as bool, unbound as None. SELECT rows are compared in order (every SELECT has a
deterministic ORDER BY or a single row).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pyoxigraph import Literal

from helpers.published import PublishedGraph

ROOT = Path(__file__).resolve().parents[2]
QUERY_DIR = ROOT / "data" / "queries"
QUERY_FILES = sorted(QUERY_DIR.glob("*.rq"))

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "int", "long")}
KJD = "https://w3id.org/kjtrade/id/"
UNIT = "http://qudt.org/vocab/unit/"
WD = "http://www.wikidata.org/entity/"
D = Decimal


@pytest.fixture(scope="module")
def store(published: PublishedGraph) -> PublishedGraph:
    """The real project's release, queried as users query it."""
    return published


def to_python(term: object) -> object:
    if term is None:
        return None
    if isinstance(term, Literal):
        if term.datatype.value in NUMERIC:
            return Decimal(term.value)
        if term.datatype.value == XSD + "boolean":
            return term.value == "true"
    return term.value  # type: ignore[attr-defined]


EXPECTED: dict[str, bool | dict] = {
    "01-trade-value-by-year.rq": {
        "vars": ["year", "value", "unit", "statedAs"],
        "rows": [
            (
                "1965",
                D("200000000"),
                UNIT + "CCY_USD",
                "$200 million in 1965",
            ),
            (
                "2024",
                D("77200000000"),
                UNIT + "CCY_USD",
                "$77.2 billion in 2024",
            ),
        ],
    },
    "02-trade-growth-1965-2024.rq": {
        "vars": ["value1965", "value2024", "increase", "computedRatio"],
        "rows": [
            (
                D("200000000"),
                D("77200000000"),
                D("77000000000"),
                D("386"),
            ),
        ],
    },
    "03-stated-ratio-basis.rq": {
        "vars": [
            "ratio",
            "statedAs",
            "statedValue",
            "numeratorYear",
            "numeratorValue",
            "denominatorYear",
            "denominatorValue",
            "computedRatio",
            "agrees",
        ],
        "rows": [
            (
                KJD + "ratio/trade-value-growth-1965-2024",
                "increased 352-fold over the past 60 years",
                D("352"),
                "2024",
                D("77200000000"),
                "1965",
                D("200000000"),
                D("386"),
                False,
            ),
        ],
    },
    "04-ask-stated-ratio-disagrees.rq": True,
    "05-promising-sectors-and-recommendations.rq": {
        "vars": ["sectorLabel", "recommendationLabel"],
        "rows": [
            (
                "Bio",
                None,
            ),
            (
                "Critical minerals and energy",
                None,
            ),
            (
                "Mobility",
                "Form joint consortia for technologies combining transportation data and payment systems",
            ),
            (
                "Next-generation semiconductors",
                "Establish a Korea–Japan joint R&D platform",
            ),
            (
                "Next-generation semiconductors",
                "Strengthen connections among design, manufacturing and design-solution partners",
            ),
        ],
    },
    "06-survey-top-priority-by-cohort.rq": {
        "vars": ["cohortLabel", "cohortSize", "share", "unit", "policyOptionLabel", "month"],
        "rows": [
            (
                "KITA member companies with export records to Japan",
                D("234"),
                D("47.4"),
                UNIT + "PERCENT",
                "Support for supply chain cooperation in materials, components and equipment",
                "2025-05",
            ),
            (
                "Japanese companies operating in Korea",
                D("49"),
                D("59.2"),
                UNIT + "PERCENT",
                "Support for supply chain cooperation in materials, components and equipment",
                "2025-05",
            ),
        ],
    },
    "07-survey-cohorts.rq": {
        "vars": ["cohortLabel", "cohortCountry", "operatesIn", "cohortSize", "respondentCount", "month", "conductedBy"],
        "rows": [
            (
                "KITA member companies with export records to Japan",
                "KR",
                None,
                D("234"),
                D("234"),
                "2025-05",
                "Korea International Trade Association",
            ),
            (
                "Japanese companies operating in Korea",
                "JP",
                "KR",
                D("49"),
                D("49"),
                "2025-05",
                "Korea International Trade Association",
            ),
        ],
    },
    "08-survey-share-gap.rq": {
        "vars": ["koreanShare", "japaneseShare", "gapPercentagePoints"],
        "rows": [
            (
                D("47.4"),
                D("59.2"),
                D("11.8"),
            ),
        ],
    },
    "09-intra-industry-trade-index.rq": {
        "vars": ["year", "value", "unit", "definition"],
        "rows": [
            (
                "1988",
                D("0.25"),
                UNIT + "UNITLESS",
                "An index of trade within the same industries between two countries; it approaches 1 as intra-industry trade becomes more active.",
            ),
            (
                "2024",
                D("0.42"),
                UNIT + "UNITLESS",
                "An index of trade within the same industries between two countries; it approaches 1 as intra-industry trade becomes more active.",
            ),
        ],
    },
    "10-who-said-what.rq": {
        "vars": ["text", "speaker", "jobTitle", "employer", "headline"],
        "rows": [
            (
                "For the two countries to grow together as partners in future industries, it is important to ease regulations, strengthen corporate investment incentives, and simultaneously expand cooperation channels in various ways, including technology and human resource exchanges.",
                "Kim Nayul",
                "researcher",
                "Korea International Trade Association",
                "Korea-Japan Trade Grows 352-Fold in 60 Years... Sobujang Emerges as Key to Future Cooperation",
            ),
        ],
    },
    "11-report-metadata.rq": {
        "vars": ["title", "datePublished", "author", "publisher"],
        "rows": [
            (
                "The 60th Anniversary of Korea-Japan Diplomatic Normalization: The Current Status and Development Strategies for Korea-Japan Corporate Cooperation",
                "2025-06-19",
                "KITA Institute for International Trade and Commerce",
                "Korea International Trade Association",
            ),
        ],
    },
    "12-article-metadata.rq": {
        "vars": ["headline", "language", "publisher", "reportTitle", "photoCredit", "photoProvider"],
        "rows": [
            (
                "Korea-Japan Trade Grows 352-Fold in 60 Years... Sobujang Emerges as Key to Future Cooperation",
                "en",
                "The Asia Business Daily",
                "The 60th Anniversary of Korea-Japan Diplomatic Normalization: The Current Status and Development Strategies for Korea-Japan Corporate Cooperation",
                "Yonhap News",
                "Yonhap News",
            ),
        ],
    },
    "13-countries.rq": {
        "vars": ["code", "labelEn", "labelKo", "labelJa", "wikidata"],
        "rows": [
            (
                "JP",
                "Japan",
                "일본",
                "日本",
                WD + "Q17",
            ),
            (
                "KR",
                "South Korea",
                "대한민국",
                "大韓民国",
                WD + "Q884",
            ),
        ],
    },
    "14-trade-structure-shift.rq": {
        "vars": ["fromPattern", "toPattern", "statedAs", "attributedTo"],
        "rows": [
            (
                "Vertical division of labour",
                "Horizontal cooperation",
                "the trade structure between the two countries has shifted from a vertical division of labor to a horizontal cooperation model",
                "KITA Institute for International Trade and Commerce",
            ),
        ],
    },
    "15-industries-in-findings.rq": {
        "vars": ["finding", "industry", "period"],
        "rows": [
            (
                "Earlier, Korea imported textiles and chemical machinery from Japan and exported finished products",
                "Chemical machinery",
                "previously",
            ),
            (
                "Earlier, Korea imported textiles and chemical machinery from Japan and exported finished products",
                "Textiles",
                "previously",
            ),
            (
                "Since the 2000s, Korea and Japan are intermediate-goods trading partners in IT and heavy chemical industries",
                "Heavy chemical industry",
                "since the 2000s",
            ),
            (
                "Since the 2000s, Korea and Japan are intermediate-goods trading partners in IT and heavy chemical industries",
                "Information technology",
                "since the 2000s",
            ),
            (
                "The share of intermediate goods in semiconductors, petroleum products and steel trade increased significantly",
                "Petroleum products",
                None,
            ),
            (
                "The share of intermediate goods in semiconductors, petroleum products and steel trade increased significantly",
                "Semiconductors",
                None,
            ),
            (
                "The share of intermediate goods in semiconductors, petroleum products and steel trade increased significantly",
                "Steel",
                None,
            ),
        ],
    },
    "16-observation-provenance.rq": {
        "vars": ["observation", "dataset", "derivedFrom", "primarySource"],
        "rows": [
            (
                KJD + "observation/iit-index-KR-JP-1988",
                KJD + "dataset/bilateral-trade",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/iit-index-KR-JP-2024",
                KJD + "dataset/bilateral-trade",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/survey-2025-05-jp-companies-mce-supply-chain",
                KJD + "dataset/survey-2025",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/survey-2025-05-jp-companies-respondents",
                KJD + "dataset/survey-2025",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/survey-2025-05-kr-companies-mce-supply-chain",
                KJD + "dataset/survey-2025",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/survey-2025-05-kr-companies-respondents",
                KJD + "dataset/survey-2025",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/trade-value-KR-JP-1965",
                KJD + "dataset/bilateral-trade",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
            (
                KJD + "observation/trade-value-KR-JP-2024",
                KJD + "dataset/bilateral-trade",
                KJD + "article/asiae-korea-japan-trade-352-fold",
                KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary",
            ),
        ],
    },
    "17-ask-all-observations-sourced.rq": True,
    "18-normalization-event.rq": {
        "vars": ["event", "date", "country"],
        "rows": [
            (
                "Normalization of diplomatic relations between South Korea and Japan",
                "1965",
                "JP",
            ),
            (
                "Normalization of diplomatic relations between South Korea and Japan",
                "1965",
                "KR",
            ),
        ],
    },
    "19-key-cooperation-field.rq": {
        "vars": ["field", "altLabel"],
        "rows": [
            (
                "Materials, components and equipment",
                "Sobu-jang",
            ),
            (
                "Materials, components and equipment",
                "Sobujang",
            ),
            (
                "Materials, components and equipment",
                "소부장",
            ),
        ],
    },
    "20-vague-periods.rq": {
        "vars": ["resource", "period"],
        "rows": [
            (
                KJD + "finding/earlier-vertical-division",
                "previously",
            ),
            (
                KJD + "finding/intermediate-goods-partners-since-2000s",
                "since the 2000s",
            ),
            (
                KJD + "ratio/trade-value-growth-1965-2024",
                "over the past 60 years",
            ),
        ],
    },
    "21-organization-roles.rq": {
        "vars": ["organization", "role"],
        "rows": [
            (
                "Institute for International Trade and Commerce",
                "report author",
            ),
            (
                "Korea International Trade Association",
                "employer of a quoted person",
            ),
            (
                "Korea International Trade Association",
                "parent organization of a unit",
            ),
            (
                "Korea International Trade Association",
                "report publisher",
            ),
            (
                "Korea International Trade Association",
                "survey conductor",
            ),
            (
                "The Asia Business Daily",
                "article publisher",
            ),
            (
                "Yonhap News",
                "photo provider",
            ),
        ],
    },
    "22-semiconductor-recommendations.rq": {
        "vars": ["recommendation", "facilitates"],
        "rows": [
            (
                "Establish a Korea–Japan joint R&D platform",
                "Strengthen connections among design, manufacturing and design-solution partners",
            ),
            (
                "Strengthen connections among design, manufacturing and design-solution partners",
                None,
            ),
        ],
    },
    "24-earlier-trade-direction.rq": {
        "vars": ["country", "partner", "direction", "goods", "period"],
        "rows": [
            ("KR", None, "export", "Finished products", "previously"),  # the article names no destination
            ("KR", "JP", "import", "Chemical machinery", "previously"),
            ("KR", "JP", "import", "Textiles", "previously"),
        ],
    },
    "23-indicators-and-units.rq": {
        "vars": ["indicator", "unit", "observations"],
        "rows": [
            (
                "Bilateral trade value",
                UNIT + "CCY_USD",
                D("2"),
            ),
            (
                "Intra-industry trade index",
                UNIT + "UNITLESS",
                D("2"),
            ),
            (
                "Number of surveyed companies",
                UNIT + "NUM",
                D("2"),
            ),
            (
                "Share of respondents choosing a policy option as top priority",
                UNIT + "PERCENT",
                D("2"),
            ),
        ],
    },
}


def test_there_are_enough_competency_questions() -> None:
    assert len(QUERY_FILES) >= 16


def test_every_expected_answer_has_a_query_file() -> None:
    assert sorted(EXPECTED) == [p.name for p in QUERY_FILES]


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_is_documented(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Title: ") and lines[0][len("# Title: ") :].strip()
    assert lines[1].startswith("# Description: ") and lines[1][len("# Description: ") :].strip()
    body = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert not re.search(r"\bGRAPH\s*[?$<]", body, re.IGNORECASE), "queries run over the union graph"


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_answer(store: PublishedGraph, path: Path) -> None:
    assert path.name in EXPECTED, f"no expected answer for {path.name}: add one to EXPECTED"
    expected = EXPECTED[path.name]
    result = store.query(path.read_text(encoding="utf-8"))
    if isinstance(expected, bool):
        assert bool(result) is expected
        return
    assert [v.value for v in result.variables] == expected["vars"]
    rows = [tuple(to_python(solution[v]) for v in result.variables) for solution in result]
    assert rows == expected["rows"]
