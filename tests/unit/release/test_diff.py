"""The changes between two releases: a streaming merge of their canonical dumps, written as RDF Patch.

The merge must give exactly the set differences of the two dumps' lines, on data with blank
nodes, literals with escapes, language tags, datatypes and several graphs; it must merge by
the writer's order (graph name first), which is not the order of the lines, and refuse a dump
in any other order; and applying the patch to the old dump must give the new one.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from kgpub.errors import ReleaseNotFound
from kgpub.release import diff, writer
from kgpub.release.reader import Release

EX = "http://example.org/"
GRAPHS = [NamedNode(EX + "graph/a"), NamedNode(EX + "graph/b"), NamedNode(EX + "g")]
TEXTS = ['plain', 'say "hi"', "back\\slash", "two\nlines", "tab\there", "cr\r", "bell\u0007", "é ü 한국 日本",
         "emoji \U0001f600", "", " leading space", "<not an IRI>", "a\u2028b"]
DATATYPES = [NamedNode("http://www.w3.org/2001/XMLSchema#" + d) for d in ("integer", "decimal", "gYear", "date")]


def _terms(rng: random.Random) -> tuple[list[NamedNode], list[object]]:
    iris = [NamedNode(EX + p) for p in ("a", "a/b", "a#c", "b", "B", "z", "é", "s%20t", "x?y=1")]
    objects: list[object] = [*iris]
    objects += [Literal(t) for t in TEXTS]
    objects += [Literal(t, language=lang) for t in TEXTS[:5] for lang in ("en", "en-GB", "ko", "ja")]
    objects += [Literal(str(rng.randint(-50, 50)), datatype=d) for d in DATATYPES for _ in range(2)]
    return iris, objects


def _quads(rng: random.Random, count: int, *, blank: int) -> list[Quad]:
    """``count`` random quads over a small vocabulary (so two draws overlap), ``blank`` of them with blank nodes."""
    iris, objects = _terms(rng)
    found = []
    for _ in range(count):
        subject = rng.choice(iris)
        found.append(Quad(subject, rng.choice(iris[:4]), rng.choice(objects), rng.choice(GRAPHS)))  # type: ignore[arg-type]
    for i in range(blank):  # a few small blank-node structures, some shared between the draws
        node = BlankNode(f"n{rng.randint(0, 5)}")
        found.append(Quad(rng.choice(iris), NamedNode(EX + "has"), node, GRAPHS[i % 2]))
        found.append(Quad(node, NamedNode(EX + "value"), rng.choice(objects), GRAPHS[i % 2]))  # type: ignore[arg-type]
    return found


def _release(root: Path, quads: list[Quad]) -> Release:
    return writer.write(writer.Draft(quads=quads, default_graphs=[GRAPHS[0].value]), root)


def _split(text: str) -> list[str]:
    """Lines split at newlines only (``str.splitlines`` also splits at U+2028, which N-Quads leaves as is)."""
    return text.split("\n")[:-1] if text else []


def _lines(release: Release) -> set[str]:
    return set(_split(release.file(diff.DUMP).read_text(encoding="utf-8")))


def _rows(changes: list[diff.Change], op: str) -> set[str]:
    return {c.row()[2:] for c in changes if c.op == op}


@pytest.mark.parametrize("seed", range(8))
def test_the_merge_is_the_set_difference_of_the_dumps(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    pool = _quads(rng, 300, blank=6)
    old = _release(tmp_path / "old", rng.sample(pool, 200))
    new = _release(tmp_path / "new", rng.sample(pool, 200) + _quads(rng, 20, blank=2))
    found = list(diff.between(old, new))
    before, after = _lines(old), _lines(new)
    assert before - after and after - before and before & after  # the draws really differ and overlap
    text = "\n".join(before | after)
    assert "_:c14n" in text and '\\"' in text and "\\n" in text and "@en-gb" in text and "^^<" in text
    assert _rows(found, diff.REMOVED) == before - after
    assert _rows(found, diff.ADDED) == after - before
    assert len(found) == len(before ^ after)  # each change once
    assert [diff.order(c.quad) for c in found] == sorted(diff.order(c.quad) for c in found)  # rows in release order
    summary = diff.Summary.of(found)
    assert (summary.added, summary.removed) == (len(after - before), len(before - after))
    assert sum(a + r for a, r in summary.graphs.values()) == len(found)


def test_the_release_order_is_not_the_order_of_the_lines(tmp_path: Path) -> None:
    """Graph name first: the later subject in the first graph comes before the earlier one in the second."""
    quads = [Quad(NamedNode(EX + "z"), NamedNode(EX + "p"), Literal("1"), GRAPHS[0]),
             Quad(NamedNode(EX + "a"), NamedNode(EX + "p"), Literal("2"), GRAPHS[1])]
    release = _release(tmp_path / "r", quads)
    lines = _split(release.file(diff.DUMP).read_text(encoding="utf-8"))
    assert lines != sorted(lines)  # a merge of the lines as text would be wrong
    smaller = _release(tmp_path / "s", quads[1:])
    assert [c.row() for c in diff.between(release, smaller)] == [f"D {quads[0]} ."]
    assert [c.row() for c in diff.between(smaller, release)] == [f"A {quads[0]} ."]


def test_a_dump_in_another_order_is_refused_not_diffed_wrong(tmp_path: Path) -> None:
    quads = [Quad(NamedNode(EX + "z"), NamedNode(EX + "p"), Literal("1"), GRAPHS[0]),
             Quad(NamedNode(EX + "a"), NamedNode(EX + "p"), Literal("2"), GRAPHS[1])]
    release = _release(tmp_path / "r", quads)
    dump = release.file(diff.DUMP)
    dump.write_text("".join(f"{line}\n" for line in sorted(_split(dump.read_text(encoding="utf-8")))), encoding="utf-8")
    with pytest.raises(ReleaseNotFound, match=r"dataset\.nq: quad 2 comes before the one before it"):
        list(diff.between(release, release))
    dump.write_text(f"{quads[0]} .\n{quads[0]} .\n", encoding="utf-8")
    with pytest.raises(ReleaseNotFound, match="quad 2 repeats the one before it"):
        list(diff.between(release, release))
    dump.write_text("<a:b> <a:c> .\n", encoding="utf-8")
    with pytest.raises(ReleaseNotFound, match=r"dataset\.nq: not a readable N-Quads dump"):
        list(diff.between(release, release))
    dump.unlink()
    with pytest.raises(ReleaseNotFound, match=r"dataset\.nq: not readable"):
        list(diff.between(release, release))


def test_identical_and_empty_releases_have_no_changes(tmp_path: Path) -> None:
    rng = random.Random(1)
    quads = _quads(rng, 50, blank=3)
    one, same = _release(tmp_path / "1", quads), _release(tmp_path / "2", list(reversed(quads)))
    assert list(diff.between(one, same)) == []
    empty = _release(tmp_path / "e", [])
    assert list(diff.between(empty, empty)) == []
    assert len(list(diff.between(empty, one))) == len(_lines(one))
    assert {c.op for c in diff.between(one, empty)} == {diff.REMOVED}
    assert list(diff.changes([], [])) == []


def test_the_default_graph_and_named_graphs_merge_by_the_same_key() -> None:
    s, p = NamedNode(EX + "s"), NamedNode(EX + "p")
    old = sorted([Quad(s, p, Literal("x"), DefaultGraph()), Quad(s, p, Literal("y"), GRAPHS[0])], key=diff.order)
    new = sorted([Quad(s, p, Literal("x"), DefaultGraph()), Quad(s, p, Literal("z"), GRAPHS[0])], key=diff.order)
    rows = [c.row() for c in diff.changes(old, new)]
    assert rows == [f'D <{EX}s> <{EX}p> "y" <{GRAPHS[0].value}> .', f'A <{EX}s> <{EX}p> "z" <{GRAPHS[0].value}> .']
    assert str(Quad(s, p, Literal("x"), DefaultGraph())) == f'<{EX}s> <{EX}p> "x"'  # a triple row in the default graph


def _apply(patch: bytes, dataset: set[str]) -> set[str]:
    """Apply an RDF Patch's rows to a dataset given as N-Quads lines, checking each row applies."""
    result = set(dataset)
    for line in _split(patch.decode("utf-8")):
        if line[:2] in ("A ", "D "):
            quad = next(iter(parse(line[2:], format=RdfFormat.N_QUADS)))  # every row is one N-Quads statement
            text = f"{quad} ."
            assert text == line[2:]
            if line[0] == "A":
                assert text not in result
                result.add(text)
            else:
                assert text in result
                result.remove(text)
    return result


def test_the_patch_applied_to_the_old_dump_gives_the_new_dump(tmp_path: Path) -> None:
    rng = random.Random(7)
    pool = _quads(rng, 200, blank=5)
    old = _release(tmp_path / "old", rng.sample(pool, 120))
    new = _release(tmp_path / "new", rng.sample(pool, 120))
    text = b"".join(diff.patch(diff.between(old, new), new=new.version, old=old.version, base_iri=EX))
    lines = _split(text.decode("utf-8"))
    assert lines[:3] == [f"H id <{EX}releases/{new.version}/> .", f"H prev <{EX}releases/{old.version}/> .", "TX ."]
    assert lines[-1] == "TC ."
    assert {line[0] for line in lines[3:-1]} == {"A", "D"}
    assert _apply(text, _lines(old)) == _lines(new)


def test_a_patch_from_the_empty_dataset_has_no_prev(tmp_path: Path) -> None:
    one = _release(tmp_path / "1", [Quad(NamedNode(EX + "s"), NamedNode(EX + "p"), Literal('a "b"'), GRAPHS[0])])
    text = b"".join(diff.patch(diff.between(None, one), new=one.version, old=None, base_iri=None))
    assert text.decode() == (f"H id <https://w3id.org/kjtrade/releases/{one.version}/> .\nTX .\n"
                             f'A <{EX}s> <{EX}p> "a \\"b\\"" <{GRAPHS[0].value}> .\nTC .\n')
    assert _apply(text, set()) == _lines(one)


def test_the_summary_counts_per_graph() -> None:
    s, p = NamedNode(EX + "s"), NamedNode(EX + "p")
    rows = [diff.Change(diff.ADDED, Quad(s, p, Literal("1"), GRAPHS[0])),
            diff.Change(diff.ADDED, Quad(s, p, Literal("2"), GRAPHS[0])),
            diff.Change(diff.REMOVED, Quad(s, p, Literal("3"), GRAPHS[1])),
            diff.Change(diff.REMOVED, Quad(s, p, Literal("4"), DefaultGraph()))]
    summary = diff.Summary.of(rows)
    assert (summary.added, summary.removed) == (2, 2)
    assert summary.graphs == {"": (0, 1), GRAPHS[0].value: (2, 0), GRAPHS[1].value: (0, 1)}
    assert summary.text(old="aa", new="bb").splitlines() == [
        "From release aa to release bb: 2 quads added, 2 removed",
        "  +0 -1  (default graph)", f"  +2 -0  {GRAPHS[0].value}", f"  +0 -1  {GRAPHS[1].value}"]
