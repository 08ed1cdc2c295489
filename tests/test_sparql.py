import pytest
from pyoxigraph import NamedNode, Quad, Store

from kgpub.errors import QueryRejected, QuerySyntaxError
from kgpub.rdf.formats import BY_NAME
from kgpub.query.execute import QueryLimits, check_query, execute, inspect, serialize_result

EX = "http://example.org/"


@pytest.fixture
def store() -> Store:
    s = Store()
    s.add(Quad(NamedNode(EX + "a"), NamedNode(EX + "p"), NamedNode(EX + "b"), NamedNode(EX + "g1")))
    s.add(Quad(NamedNode(EX + "c"), NamedNode(EX + "p"), NamedNode(EX + "d"), NamedNode(EX + "g2")))
    return s


@pytest.mark.parametrize(("query", "services"), [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", ("http://x/",)),
    ("select * { service silent <http://x/> { ?s ?p ?o } }", ("http://x/",)),
    ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", ("?endpoint",)),
    ("SELECT * { SERVICE # a comment\n <http://y/> { } }", ("http://y/",)),
    ('SELECT * { ?s <http://e/SERVICE> "SERVICE <http://x/>" } # SERVICE <http://z/>', ()),
    ("SELECT * { ?s ex:SERVICE ?SERVICE }", ()),
])
def test_inspect_finds_service_calls_only_outside_strings_iris_and_comments(query: str, services: tuple) -> None:
    assert inspect(query).services == services


def test_service_is_refused_unless_allowed() -> None:
    query = "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }"
    with pytest.raises(QueryRejected, match=r"SERVICE calls are not allowed.*http://x/"):
        check_query(query, QueryLimits())
    check_query(query, QueryLimits(allowed_services=("http://x/",)))


def test_depth_and_size_limits() -> None:
    deep = "SELECT * WHERE " + "{" * 100 + "}" * 100
    with pytest.raises(QueryRejected, match="nests groups 100 deep; the limit is 64"):
        check_query(deep, QueryLimits())
    with pytest.raises(QueryRejected, match="the limit is 10"):
        check_query("SELECT * { ?s ?p ?o }", QueryLimits(max_length=10))


def subjects(store: Store, query: str, **kwargs: object) -> list[str]:
    return sorted(r[0].value for r in execute(store, query, **kwargs))  # type: ignore[arg-type,union-attr]


def test_service_default_is_the_union_unless_given(store: Store) -> None:
    assert subjects(store, "SELECT ?s { ?s ?p ?o }") == [EX + "a", EX + "c"]
    assert subjects(store, "SELECT ?s { ?s ?p ?o }", service_default=[EX + "g1"]) == [EX + "a"]
    graphs = subjects(store, "SELECT ?g { GRAPH ?g { } }", service_default=[EX + "g1"])
    assert graphs == [EX + "g1", EX + "g2"]  # every graph stays a named graph


def test_query_dataset_applies_when_the_protocol_gives_none(store: Store) -> None:
    query = f"SELECT ?s FROM <{EX}g2> {{ ?s ?p ?o }}"
    assert subjects(store, query, service_default=[EX + "g1"]) == [EX + "c"]
    query = f"SELECT ?g FROM NAMED <{EX}g1> {{ GRAPH ?g {{ }} }}"
    assert subjects(store, query) == [EX + "g1"]


def test_protocol_dataset_overrides_and_is_complete(store: Store) -> None:
    query = f"SELECT ?s FROM <{EX}g2> {{ ?s ?p ?o }}"
    assert subjects(store, query, default_graphs=[EX + "g1"]) == [EX + "a"]
    # only default graphs given: no named graphs at all
    assert subjects(store, "SELECT ?g { GRAPH ?g { } }", default_graphs=[EX + "g1"]) == []
    # only named graphs given: an empty default graph
    assert subjects(store, "SELECT ?s { ?s ?p ?o }", named_graphs=[EX + "g2"]) == []
    assert subjects(store, "SELECT ?g { GRAPH ?g { } }", named_graphs=[EX + "g2"]) == [EX + "g2"]


def test_malformed_query_reports_line_and_column(store: Store) -> None:
    with pytest.raises(QuerySyntaxError, match=r"malformed query at line 2, column \d+"):
        execute(store, "SELECT *\nWHERE { ?s ?p }")


@pytest.mark.parametrize("update", ["INSERT DATA { <a:b> <a:c> <a:d> }", "CLEAR ALL", "DROP GRAPH <a:g>",
                                    "LOAD <http://example.org/x>"])
def test_updates_are_refused(store: Store, update: str) -> None:
    with pytest.raises(QueryRejected, match="read-only"):
        execute(store, update)
    assert len(store) == 2


def test_serialize_select_and_construct(store: Store) -> None:
    out = serialize_result(execute(store, "SELECT ?s { ?s ?p ?o } ORDER BY ?s"), BY_NAME["csv"])
    assert out.decode().splitlines() == ["s", EX + "a", EX + "c"]
    ttl = serialize_result(execute(store, "CONSTRUCT WHERE { ?s ?p ?o }"), BY_NAME["turtle"], prefixes={"ex": EX})
    assert b"ex:a ex:p ex:b" in ttl
