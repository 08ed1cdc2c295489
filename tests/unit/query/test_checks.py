"""Query checks: the lexer's outline, SERVICE refusal, depth and size limits."""

import pytest

from kgpub.errors import QueryRejected
from kgpub.query.checks import QueryLimits, check, outline
from kgpub.settings import Settings


@pytest.mark.parametrize(("query", "services"), [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", ("http://x/",)),
    ("select * { service silent <http://x/> { ?s ?p ?o } }", ("http://x/",)),
    ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", ("?endpoint",)),
    ("SELECT * { SERVICE # a comment\n <http://y/> { } }", ("http://y/",)),
    ('SELECT * { ?s <http://e/SERVICE> "SERVICE <http://x/>" } # SERVICE <http://z/>', ()),
    ("SELECT * { ?s ex:SERVICE ?SERVICE }", ()),
])
def test_outline_finds_service_calls_only_outside_strings_iris_and_comments(query: str, services: tuple) -> None:
    assert outline(query).services == services


def test_service_is_refused_unless_allowed() -> None:
    query = "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }"
    with pytest.raises(QueryRejected, match=r"SERVICE calls are not allowed.*http://x/"):
        check(query, QueryLimits())
    check(query, QueryLimits(allowed_services=("http://x/",)))


def test_depth_and_size_limits() -> None:
    deep = "SELECT * WHERE " + "{" * 100 + "}" * 100
    with pytest.raises(QueryRejected, match="nests groups 100 deep; the limit is 64"):
        check(deep, QueryLimits())
    with pytest.raises(QueryRejected, match="the limit is 10"):
        check("SELECT * { ?s ?p ?o }", QueryLimits(max_length=10))



def test_limits_come_from_the_settings() -> None:
    settings = Settings.load(env={"KGPUB_MAX_DEPTH": "200", "KGPUB_MAX_QUERY_LENGTH": "500",
                                  "KGPUB_ALLOWED_SERVICES": "http://x/, http://y/"})
    assert QueryLimits.from_settings(settings) == QueryLimits(max_length=500, max_depth=200,
                                                              allowed_services=("http://x/", "http://y/"))
