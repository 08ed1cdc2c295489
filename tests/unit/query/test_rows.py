"""An answer read back as rows: the CLI's table and the HTML result page read the same terms."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from kgpub.query.protocol import Answer
from kgpub.query.rows import read

SELECT = (b'{"head":{"vars":["s","o"]},"results":{"bindings":['
          b'{"s":{"type":"uri","value":"http://ex/a"},"o":{"type":"literal","value":"A","xml:lang":"en"}},'
          b'{"s":{"type":"uri","value":"http://ex/b"}}]}}')


def test_select_rows_keep_the_variables_order_and_unbound_cells() -> None:
    rows = read(Answer(media_type="application/sparql-results+json", count=2, truncated=False, body=SELECT))
    assert (rows.kind, rows.header) == ("select", ("s", "o"))
    assert list(rows.rows) == [(NamedNode("http://ex/a"), Literal("A", language="en")),
                               (NamedNode("http://ex/b"), None)]


def test_ask_is_a_boolean_without_rows() -> None:
    rows = read(Answer(media_type="application/sparql-results+json", count=1, truncated=False,
                       body=b'{"head":{},"boolean":false}'))
    assert (rows.kind, rows.boolean, list(rows.rows)) == ("ask", False, [])


def test_graph_answers_are_triples_read_lazily() -> None:
    body = b"".join(b'<http://ex/s> <http://ex/p> "%d" .\n' % i for i in range(3))
    rows = read(Answer(media_type="application/n-triples", count=3, truncated=False, body=body))
    assert rows.header == ("subject", "predicate", "object")
    assert next(rows.rows) == (NamedNode("http://ex/s"), NamedNode("http://ex/p"), Literal("0"))
    assert len(list(rows.rows)) == 2  # the rest, from where the reader stopped
