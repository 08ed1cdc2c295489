"""The one run path: the protocol's dataset rules, errors, the big stack, and the answer it serializes."""

import threading

import pytest
from pyoxigraph import NamedNode, Quad, Store

from kgpub.errors import QueryRejected, QuerySyntaxError, UnsupportedFormat
from kgpub.query.checks import QueryLimits
from kgpub.query.execute import DefaultDataset, QueryContext, answer, on_big_stack, run
from kgpub.query.protocol import Chosen, FormatChoice, QueryJob

EX = "http://example.org/"


@pytest.fixture
def store() -> Store:
    s = Store()
    s.add(Quad(NamedNode(EX + "a"), NamedNode(EX + "p"), NamedNode(EX + "b"), NamedNode(EX + "g1")))
    s.add(Quad(NamedNode(EX + "c"), NamedNode(EX + "p"), NamedNode(EX + "d"), NamedNode(EX + "g2")))
    return s


def subjects(store: Store, query: str, default: DefaultDataset | None = None, **kwargs: object) -> list[str]:
    result = run(store, query, limits=QueryLimits(), default=default or DefaultDataset.all_graphs(),
                 **kwargs)  # type: ignore[arg-type]
    return sorted(r[0].value for r in result)  # type: ignore[union-attr]


def test_default_dataset_is_the_union_unless_given(store: Store) -> None:
    assert subjects(store, "SELECT ?s { ?s ?p ?o }") == [EX + "a", EX + "c"]
    g1 = DefaultDataset.union_of([EX + "g1"])
    assert subjects(store, "SELECT ?s { ?s ?p ?o }", g1) == [EX + "a"]
    assert subjects(store, "SELECT ?g { GRAPH ?g { } }", g1) == [EX + "g1", EX + "g2"]  # every graph stays named
    assert subjects(store, "SELECT ?s { ?s ?p ?o }", DefaultDataset.store_default()) == []  # nothing stored there
    store.add(Quad(NamedNode(EX + "e"), NamedNode(EX + "p"), NamedNode(EX + "f")))
    assert subjects(store, "SELECT ?s { ?s ?p ?o }", DefaultDataset.store_default()) == [EX + "e"]


def test_query_dataset_applies_when_the_protocol_gives_none(store: Store) -> None:
    query = f"SELECT ?s FROM <{EX}g2> {{ ?s ?p ?o }}"
    assert subjects(store, query, DefaultDataset.union_of([EX + "g1"])) == [EX + "c"]
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
        subjects(store, "SELECT *\nWHERE { ?s ?p }")


@pytest.mark.parametrize("update", ["INSERT DATA { <a:b> <a:c> <a:d> }", "CLEAR ALL", "DROP GRAPH <a:g>",
                                    "LOAD <http://example.org/x>"])
def test_updates_are_refused(store: Store, update: str) -> None:
    with pytest.raises(QueryRejected, match="read-only"):
        subjects(store, update)
    assert len(store) == 2


def context(store: Store, *, max_rows: int | None = None, limits: QueryLimits | None = None) -> QueryContext:
    return QueryContext(store=store, default=DefaultDataset.all_graphs(), limits=limits or QueryLimits(),
                        max_rows=max_rows, prefixes={"ex": EX})


CSV_OR_TURTLE = FormatChoice(results=Chosen("csv", "text/csv"), rdf=Chosen("turtle", "text/turtle"))


def test_answer_serializes_select_and_construct(store: Store) -> None:
    out = answer(context(store), QueryJob(query="SELECT ?s { ?s ?p ?o } ORDER BY ?s", formats=CSV_OR_TURTLE))
    assert out.body.decode().splitlines() == ["s", EX + "a", EX + "c"]
    assert (out.media_type, out.count, out.truncated) == ("text/csv", 2, False)
    ttl = answer(context(store), QueryJob(query="CONSTRUCT WHERE { ?s ?p ?o }", formats=CSV_OR_TURTLE))
    assert b"ex:a ex:p ex:b" in ttl.body and ttl.media_type == "text/turtle"


def test_answer_applies_the_row_cap_and_the_limits(store: Store) -> None:
    out = answer(context(store, max_rows=1), QueryJob(query="SELECT ?s { ?s ?p ?o }", formats=CSV_OR_TURTLE))
    assert (out.count, out.truncated) == (1, True)
    deep = "SELECT * { " + "{ " * 70 + "}" * 70 + " }"
    with pytest.raises(QueryRejected, match="the limit is 64"):
        answer(context(store), QueryJob(query=deep, formats=CSV_OR_TURTLE))
    assert answer(context(store, limits=QueryLimits(max_depth=200)), QueryJob(query=deep, formats=CSV_OR_TURTLE))


def test_a_kind_without_an_acceptable_format_is_406(store: Store) -> None:
    only_rdf = FormatChoice(results="offered: json", rdf=Chosen("turtle", "text/turtle"))
    with pytest.raises(UnsupportedFormat, match="offered: json"):
        answer(context(store), QueryJob(query="ASK {}", formats=only_rdf))


def test_long_chains_run_on_a_big_stack(store: Store) -> None:
    chain = "ASK { FILTER(" + "!" * 10_000 + "true) }"  # overflows an 8 MiB stack (a segfault, not an error)
    json_results = FormatChoice(results=Chosen("json", "application/json"), rdf=Chosen("turtle", "text/turtle"))
    out = answer(context(store), QueryJob(query=chain, formats=json_results))
    assert out.body == b'{"head":{},"boolean":true}'
    assert threading.current_thread() is threading.main_thread()  # it ran on another thread, not this one


def test_on_big_stack_reraises_and_nests() -> None:
    with pytest.raises(ZeroDivisionError):
        on_big_stack(lambda: 1 / 0)
    names = on_big_stack(lambda: on_big_stack(lambda: threading.current_thread().name))
    assert names == "kgpub-query"  # nested calls run directly on the big-stack thread
