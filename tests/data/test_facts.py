"""One test per numbered fact of the source article: each fact is in the graph, exactly.

Every test runs a SPARQL query over the union of all graphs and compares the answer with
the exact expected RDF terms (IRIs, literal values, datatypes and language tags).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from helpers.published import PublishedGraph

ROOT = Path(__file__).resolve().parents[2]

XSD = "http://www.w3.org/2001/XMLSchema#"
KJD = "https://w3id.org/kjtrade/id/"
ARTICLE = KJD + "article/asiae-korea-japan-trade-352-fold"
REPORT = KJD + "report/kita-iitc-2025-korea-japan-60th-anniversary"
KITA = KJD + "organization/kita"
IITC = KJD + "organization/kita-iitc"
KR = KJD + "country/KR"
JP = KJD + "country/JP"

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX unit: <http://qudt.org/vocab/unit/>
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX kjt: <https://w3id.org/kjtrade/ontology#>
PREFIX country: <https://w3id.org/kjtrade/id/country/>
PREFIX event: <https://w3id.org/kjtrade/id/event/>
PREFIX organization: <https://w3id.org/kjtrade/id/organization/>
PREFIX person: <https://w3id.org/kjtrade/id/person/>
PREFIX quotation: <https://w3id.org/kjtrade/id/quotation/>
PREFIX report: <https://w3id.org/kjtrade/id/report/>
PREFIX article: <https://w3id.org/kjtrade/id/article/>
PREFIX image: <https://w3id.org/kjtrade/id/image/>
PREFIX dataset: <https://w3id.org/kjtrade/id/dataset/>
PREFIX observation: <https://w3id.org/kjtrade/id/observation/>
PREFIX ratio: <https://w3id.org/kjtrade/id/ratio/>
PREFIX survey: <https://w3id.org/kjtrade/id/survey/>
PREFIX cohort: <https://w3id.org/kjtrade/id/cohort/>
PREFIX finding: <https://w3id.org/kjtrade/id/finding/>
PREFIX recommendation: <https://w3id.org/kjtrade/id/recommendation/>
PREFIX scheme: <https://w3id.org/kjtrade/id/scheme/>
PREFIX indicator: <https://w3id.org/kjtrade/id/concept/indicator/>
PREFIX sector: <https://w3id.org/kjtrade/id/concept/sector/>
PREFIX industry: <https://w3id.org/kjtrade/id/concept/industry/>
PREFIX policy-option: <https://w3id.org/kjtrade/id/concept/policy-option/>
PREFIX trade-pattern: <https://w3id.org/kjtrade/id/concept/trade-pattern/>
PREFIX goods-type: <https://w3id.org/kjtrade/id/concept/goods-type/>
"""


@pytest.fixture(scope="module")
def store(published: PublishedGraph) -> PublishedGraph:
    """The real project's release, queried as users query it."""
    return published


def select(store: PublishedGraph, query: str) -> set[tuple]:
    result = store.query(PREFIXES + query)
    return {tuple(solution[v] for v in result.variables) for solution in result}


def ask(store: PublishedGraph, query: str) -> bool:
    return bool(store.query(PREFIXES + query))


def iri(value: str) -> NamedNode:
    return NamedNode(value)


def typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=NamedNode(XSD + datatype))


def en(value: str) -> Literal:
    return Literal(value, language="en")


def test_fact_01_diplomatic_normalization_1965(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?country ?date ?source WHERE {
          event:diplomatic-normalization-1965 a kjt:DiplomaticNormalization ;
            kjt:involvesCountry ?country ; dcterms:date ?date ; prov:wasDerivedFrom ?source .
        }""",
    )
    date = typed("1965", "gYear")
    assert rows == {(iri(KR), date, iri(ARTICLE)), (iri(JP), date, iri(ARTICLE))}


def _trade_value(store: PublishedGraph, year: str) -> set[tuple]:
    return select(
        store,
        f"""
        SELECT ?value ?unit ?area ?counterpart ?dataset ?source ?stated WHERE {{
          observation:trade-value-KR-JP-{year} a qb:Observation ;
            qb:dataSet ?dataset ; kjt:indicator indicator:trade-value ;
            kjt:refYear "{year}"^^xsd:gYear ; kjt:refArea ?area ; kjt:counterpartArea ?counterpart ;
            sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ;
            prov:wasDerivedFrom ?source ; kjt:statedAs ?stated .
        }}""",
    )


def test_fact_02_trade_value_1965(store: PublishedGraph) -> None:
    assert _trade_value(store, "1965") == {
        (
            typed("200000000", "decimal"),
            iri("http://qudt.org/vocab/unit/CCY_USD"),
            iri(KR),
            iri(JP),
            iri(KJD + "dataset/bilateral-trade"),
            iri(ARTICLE),
            en("$200 million in 1965"),
        )
    }


def test_fact_03_trade_value_2024(store: PublishedGraph) -> None:
    assert _trade_value(store, "2024") == {
        (
            typed("77200000000", "decimal"),
            iri("http://qudt.org/vocab/unit/CCY_USD"),
            iri(KR),
            iri(JP),
            iri(KJD + "dataset/bilateral-trade"),
            iri(ARTICLE),
            en("$77.2 billion in 2024"),
        )
    }


def test_fact_04_stated_ratio_352(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?num ?den ?stated ?computed ?source WHERE {
          ratio:trade-value-growth-1965-2024 a kjt:StatedRatio ;
            kjt:numerator ?num ; kjt:denominator ?den ; kjt:statedValue ?stated ;
            prov:wasDerivedFrom ?source .
          ?num sdmx-measure:obsValue ?n . ?den sdmx-measure:obsValue ?d .
          BIND (?n / ?d AS ?computed)
        }""",
    )
    assert rows == {
        (
            iri(KJD + "observation/trade-value-KR-JP-2024"),
            iri(KJD + "observation/trade-value-KR-JP-1965"),
            typed("352", "decimal"),
            typed("386", "decimal"),
            iri(ARTICLE),
        )
    }


def _finding(store: PublishedGraph, slug: str) -> set[tuple]:
    return select(
        store,
        f"""
        SELECT ?subject ?stated WHERE {{
          finding:{slug} a ?type ; dcterms:subject ?subject ; kjt:statedAs ?stated ;
            prov:wasAttributedTo organization:kita-iitc ;
            prov:wasDerivedFrom article:asiae-korea-japan-trade-352-fold ;
            prov:hadPrimarySource report:kita-iitc-2025-korea-japan-60th-anniversary .
          FILTER (?type IN (kjt:Finding, kjt:TradeStructureShift))
        }}""",
    )


def test_fact_05_trade_structure_shift(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?from ?to WHERE {
          finding:trade-structure-shift a kjt:TradeStructureShift ;
            kjt:fromPattern ?from ; kjt:toPattern ?to .
        }""",
    )
    assert rows == {
        (
            iri(KJD + "concept/trade-pattern/vertical-division-of-labour"),
            iri(KJD + "concept/trade-pattern/horizontal-cooperation"),
        )
    }
    assert {r[1] for r in _finding(store, "trade-structure-shift")} == {
        en(
            "the trade structure between the two countries has shifted from a vertical division of "
            "labor to a horizontal cooperation model"
        )
    }


def test_fact_06_intermediate_goods_partners_since_2000s(store: PublishedGraph) -> None:
    subjects = {r[0] for r in _finding(store, "intermediate-goods-partners-since-2000s")}
    assert subjects == {
        iri(KJD + "concept/industry/information-technology"),
        iri(KJD + "concept/industry/heavy-chemical"),
        iri(KJD + "concept/goods-type/intermediate-goods"),
    }
    rows = select(
        store,
        """
        SELECT ?period ?date WHERE {
          finding:intermediate-goods-partners-since-2000s kjt:periodStatement ?period .
          OPTIONAL { finding:intermediate-goods-partners-since-2000s dcterms:date|dcterms:temporal ?date }
        }""",
    )
    assert rows == {(en("since the 2000s"), None)}  # kept vague: no invented year


def test_fact_07_earlier_vertical_division(store: PublishedGraph) -> None:
    subjects = {r[0] for r in _finding(store, "earlier-vertical-division")}
    assert subjects == {
        iri(KJD + "concept/industry/textiles"),
        iri(KJD + "concept/industry/chemical-machinery"),
        iri(KJD + "concept/goods-type/finished-products"),
        iri(KJD + "concept/trade-pattern/vertical-division-of-labour"),
    }
    rows = select(
        store,
        """
        SELECT ?importer ?partner ?direction ?goods WHERE {
          finding:earlier-vertical-division kjt:refArea ?importer .
          { finding:earlier-vertical-division kjt:importedGoods ?goods ; kjt:importedFrom ?partner
            BIND ("import" AS ?direction) }
          UNION
          { finding:earlier-vertical-division kjt:exportedGoods ?goods BIND ("export" AS ?direction) }
        }""",
    )
    assert rows == {
        (iri(KR), iri(JP), Literal("import"), iri(KJD + "concept/industry/textiles")),
        (iri(KR), iri(JP), Literal("import"), iri(KJD + "concept/industry/chemical-machinery")),
        (iri(KR), None, Literal("export"), iri(KJD + "concept/goods-type/finished-products")),
    }
    # the article says Korea "exported finished products", not to whom: no destination
    assert not select(store, "SELECT * { finding:earlier-vertical-division kjt:counterpartArea ?c }")


def test_fact_08_rising_intermediate_goods_share(store: PublishedGraph) -> None:
    subjects = {r[0] for r in _finding(store, "rising-intermediate-goods-share")}
    assert {
        iri(KJD + "concept/industry/semiconductors"),
        iri(KJD + "concept/industry/petroleum-products"),
        iri(KJD + "concept/industry/steel"),
        iri(KJD + "concept/goods-type/intermediate-goods"),
    } <= subjects


def _iit(store: PublishedGraph, year: str) -> set[tuple]:
    return select(
        store,
        f"""
        SELECT ?value ?unit ?source WHERE {{
          observation:iit-index-KR-JP-{year} qb:dataSet dataset:bilateral-trade ;
            kjt:indicator indicator:intra-industry-trade-index ;
            kjt:refArea country:KR ; kjt:counterpartArea country:JP ; kjt:refYear "{year}"^^xsd:gYear ;
            sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ; prov:wasDerivedFrom ?source .
        }}""",
    )


def test_fact_09_iit_index_1988(store: PublishedGraph) -> None:
    assert _iit(store, "1988") == {(typed("0.25", "decimal"), iri("http://qudt.org/vocab/unit/UNITLESS"), iri(ARTICLE))}


def test_fact_10_iit_index_2024_and_meaning(store: PublishedGraph) -> None:
    assert _iit(store, "2024") == {(typed("0.42", "decimal"), iri("http://qudt.org/vocab/unit/UNITLESS"), iri(ARTICLE))}
    rows = select(
        store,
        """
        SELECT ?def WHERE { indicator:intra-industry-trade-index skos:definition ?def ;
                              skos:inScheme scheme:indicator }""",
    )
    assert len(rows) == 1
    (definition,) = next(iter(rows))
    assert definition.language == "en"
    assert "approaches 1 as intra-industry trade becomes more active" in definition.value


def test_fact_11_sobujang_key_field(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?alt WHERE {
          report:kita-iitc-2025-korea-japan-60th-anniversary kjt:keyCooperationField ?f .
          ?f skos:altLabel ?alt ; skos:inScheme scheme:sector .
          FILTER (sameTerm(?f, sector:materials-components-equipment))
        }""",
    )
    assert {(en("Sobujang"),), (en("Sobu-jang"),), (Literal("소부장", language="ko"),)} <= rows
    assert {r[0] for r in _finding(store, "sobujang-key-field")} == {
        iri(KJD + "concept/sector/materials-components-equipment")
    }


def test_fact_12_kita_and_institute(store: PublishedGraph) -> None:
    assert ask(
        store,
        """ASK {
        organization:kita a org:FormalOrganization , schema:Organization .
        organization:kita-iitc a org:OrganizationalUnit ;
            org:unitOf organization:kita ; org:subOrganizationOf organization:kita .
    }""",
    )
    rows = select(store, "SELECT ?l WHERE { organization:kita skos:prefLabel ?l FILTER(lang(?l)='en') }")
    assert rows == {(en("Korea International Trade Association"),)}


def test_fact_13_report(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?title ?date ?author ?publisher WHERE {
          report:kita-iitc-2025-korea-japan-60th-anniversary a schema:Report ;
            schema:name ?title ; schema:datePublished ?date ;
            schema:author ?author ; schema:publisher ?publisher .
        }""",
    )
    assert rows == {
        (
            en(
                "The 60th Anniversary of Korea-Japan Diplomatic Normalization: The Current Status and "
                "Development Strategies for Korea-Japan Corporate Cooperation"
            ),
            typed("2025-06-19", "date"),
            iri(IITC),
            iri(KITA),
        )
    }


def test_fact_14_survey_and_cohorts(store: PublishedGraph) -> None:
    assert select(store, "SELECT ?m WHERE { survey:kita-korea-japan-2025 a kjt:Survey ; kjt:refMonth ?m }") == {
        (typed("2025-05", "gYearMonth"),)
    }
    rows = select(
        store,
        """
        SELECT ?cohort ?size ?country ?count ?unit WHERE {
          ?cohort a kjt:SurveyCohort ; kjt:cohortSize ?size ; kjt:cohortCountry ?country ;
                  kjt:surveyedIn survey:kita-korea-japan-2025 .
          ?obs qb:dataSet dataset:survey-2025 ; kjt:indicator indicator:respondent-count ;
               kjt:respondentCohort ?cohort ; kjt:refMonth "2025-05"^^xsd:gYearMonth ;
               sdmx-measure:obsValue ?count ; sdmx-attribute:unitMeasure ?unit ;
               prov:wasDerivedFrom article:asiae-korea-japan-trade-352-fold .
        }""",
    )
    num = iri("http://qudt.org/vocab/unit/NUM")
    assert rows == {
        (
            iri(KJD + "cohort/kita-members-exporting-to-japan"),
            typed("234", "integer"),
            iri(KR),
            typed("234", "decimal"),
            num,
        ),
        (iri(KJD + "cohort/japanese-companies-in-korea"), typed("49", "integer"), iri(JP), typed("49", "decimal"), num),
    }
    assert ask(store, "ASK { cohort:japanese-companies-in-korea kjt:operatesIn country:KR }")


def test_fact_15_top_policy_priority_shares(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?cohort ?value ?unit ?stated WHERE {
          ?obs qb:dataSet dataset:survey-2025 ; kjt:indicator indicator:respondent-share ;
               kjt:respondentCohort ?cohort ;
               kjt:policyOption policy-option:mce-supply-chain-cooperation-support ;
               kjt:refMonth "2025-05"^^xsd:gYearMonth ;
               sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ; kjt:statedAs ?stated ;
               prov:wasDerivedFrom article:asiae-korea-japan-trade-352-fold .
        }""",
    )
    pct = iri("http://qudt.org/vocab/unit/PERCENT")
    assert rows == {
        (
            iri(KJD + "cohort/kita-members-exporting-to-japan"),
            typed("47.4", "decimal"),
            pct,
            en("47.4% of Korean companies"),
        ),
        (
            iri(KJD + "cohort/japanese-companies-in-korea"),
            typed("59.2", "decimal"),
            pct,
            en("59.2% of Japanese companies"),
        ),
    }
    stated = select(
        store,
        """SELECT ?s WHERE {
        policy-option:mce-supply-chain-cooperation-support kjt:statedAs ?s }""",
    )
    assert stated == {(en("support for supply chain cooperation in materials, components, and equipment"),)}


def test_fact_16_four_promising_sectors(store: PublishedGraph) -> None:
    rows = select(
        store,
        """SELECT ?s WHERE {
        report:kita-iitc-2025-korea-japan-60th-anniversary kjt:promisingSector ?s }""",
    )
    assert rows == {
        (iri(KJD + f"concept/sector/{s}"),)
        for s in ("mobility", "next-generation-semiconductors", "bio", "critical-minerals-and-energy")
    }


def _recommendations(store: PublishedGraph, sector: str) -> set[tuple]:
    return select(
        store,
        f"""
        SELECT ?rec ?stated WHERE {{
          ?rec a kjt:Recommendation ; dcterms:subject sector:{sector} ; kjt:statedAs ?stated ;
               kjt:recommendedIn report:kita-iitc-2025-korea-japan-60th-anniversary ;
               prov:wasAttributedTo organization:kita-iitc ;
               prov:wasDerivedFrom article:asiae-korea-japan-trade-352-fold .
        }}""",
    )


def test_fact_17_mobility_joint_consortia(store: PublishedGraph) -> None:
    assert _recommendations(store, "mobility") == {
        (
            iri(KJD + "recommendation/mobility-joint-consortia"),
            en(
                "form joint consortia for technologies that combine transportation data and payment "
                "systems in the mobility sector"
            ),
        )
    }


def test_fact_18_semiconductor_recommendations(store: PublishedGraph) -> None:
    recs = {r[0] for r in _recommendations(store, "next-generation-semiconductors")}
    links = iri(KJD + "recommendation/semiconductor-design-manufacturing-links")
    platform = iri(KJD + "recommendation/semiconductor-joint-rd-platform")
    assert recs == {links, platform}
    assert ask(
        store,
        """ASK { recommendation:semiconductor-joint-rd-platform
        kjt:supportsRecommendation recommendation:semiconductor-design-manufacturing-links }""",
    )


def test_fact_19_kim_nayul_and_quote(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?name ?job ?employer ?article WHERE {
          ?q a schema:Quotation ; schema:creator person:kim-nayul ; schema:isPartOf ?article ;
             schema:text ?text .
          person:kim-nayul a schema:Person ; schema:name ?name ; schema:jobTitle ?job ;
             schema:worksFor ?employer .
          FILTER (CONTAINS(STR(?text), "ease regulations, strengthen corporate investment incentives"))
        }""",
    )
    assert rows == {(Literal("Kim Nayul"), en("researcher"), iri(KITA), iri(ARTICLE))}
    labels = select(store, "SELECT ?l WHERE { person:kim-nayul rdfs:label ?l }")
    assert labels == {(en("Kim Nayul"),)}


def test_fact_20_article(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?headline ?publisher ?basedOn ?lang ?credit ?provider WHERE {
          article:asiae-korea-japan-trade-352-fold a schema:NewsArticle ;
            schema:headline ?headline ; schema:publisher ?publisher ; schema:isBasedOn ?basedOn ;
            schema:inLanguage ?lang ; schema:image ?img .
          ?publisher a schema:NewsMediaOrganization .
          ?img a schema:ImageObject ; schema:creditText ?credit ; schema:provider ?provider .
        }""",
    )
    assert rows == {
        (
            en("Korea-Japan Trade Grows 352-Fold in 60 Years... Sobujang Emerges as Key to Future Cooperation"),
            iri(KJD + "organization/asia-business-daily"),
            iri(REPORT),
            Literal("en"),
            Literal("Yonhap News"),
            iri(KJD + "organization/yonhap-news"),
        )
    }
    # not in the source, so not in the graph
    assert not ask(
        store,
        """ASK { article:asiae-korea-japan-trade-352-fold
        schema:url|schema:datePublished|dcterms:date|schema:dateCreated ?x }""",
    )


def test_fact_21_countries(store: PublishedGraph) -> None:
    rows = select(
        store,
        """
        SELECT ?c ?code ?same WHERE { ?c a schema:Country ; skos:notation ?code ; owl:sameAs ?same }""",
    )
    assert rows == {
        (iri(KR), Literal("KR"), iri("http://www.wikidata.org/entity/Q884")),
        (iri(JP), Literal("JP"), iri("http://www.wikidata.org/entity/Q17")),
    }
    labels = select(
        store,
        """
        SELECT ?c ?p ?lang (COUNT(?l) AS ?n) WHERE {
          ?c a schema:Country ; ?p ?l . VALUES ?p { rdfs:label skos:prefLabel } BIND (lang(?l) AS ?lang)
        } GROUP BY ?c ?p ?lang""",
    )
    assert len(labels) == 12  # 2 countries x 2 properties x 3 languages
    assert {(r[2].value, r[3].value) for r in labels} == {("en", "1"), ("ko", "1"), ("ja", "1")}
    assert select(store, "SELECT ?l WHERE { country:KR skos:prefLabel ?l FILTER(lang(?l)='en') }") == {
        (en("South Korea"),)
    }
