"""The figures as tables: every Data Cube data set's observations as tidy CSV with CSV on the Web metadata.

This module owns which data sets become tables (:func:`published`: every ``qb:DataSet`` of the
knowledge graph whose IRI is ``<base>id/dataset/<name>``), their file names
(``<name>.csv`` and ``<name>.csv-metadata.json``, flat, in the release folder), their media
types, their columns, and the bytes of both files, rendered from the release's canonical
triples (:class:`kgpub.release.writer.Canonical`) so the same release gives the same bytes.

The CSV (RFC 4180: UTF-8 without a byte order mark, CRLF line ends, a header row, fields
quoted only when they must be) has one row per observation and one column per kind of value
its triples have: the observation's IRI first, then the data structure's dimensions (in
``qb:order``), measures and attributes, the source's own wording (``kjt:statedAs``) and the
observation's other triples. A column holds one predicate's values of one kind: IRIs, or
literals of one datatype written exactly as in the data, or text in one language (the
language is in the column name, ``stated_as_en``, and in the metadata). A second value of
the same kind goes in a second column (``source_2``). Beside each IRI column whose values
have English labels is a ``<name>_label`` column for people to read.

The metadata (W3C "Metadata Vocabulary for Tabular Data", ``application/csvm+json``) lets a
CSV on the Web processor turn each row back into the observation's triples ("Generating RDF
from Tabular Data on the Web", minimal mode): ``aboutUrl`` is the observation column, every
value column has its ``propertyUrl`` (full IRIs, no prefixes to look up), IRI columns a
``valueUrl``, literal columns the datatype of the data and text columns their ``lang``;
virtual columns add ``rdf:type qb:Observation`` and ``qb:dataSet``; the observation and label
columns are not output (a label belongs to the resource it names, not to the observation).
Cells are not trimmed (``dialect.trim`` false), so text keeps its exact form; IRI cells have the
datatype ``string`` (with ``anyURI`` the csvw processor expands a URI template with the URI's
parsed parts instead of the URI). The metadata's
``url`` is relative (``<name>.csv``), so the pair works from a release folder, from
``/datasets/`` and from ``/releases/<version>/`` alike.

What a table cannot say stops the build with an :class:`~kgpub.errors.InputError` naming the
observation: a blank node value, a literal of a datatype CSV on the Web has no name for, an
empty literal (it would read back as an empty cell), an IRI that URI template expansion would
change (characters outside RFC 3986, which ``{+column}`` percent-encodes).

Labels of the units come from the graph when it has them, else from QUDT, which publishes the
unit vocabulary (:data:`UNIT_LABELS`: its English ``rdfs:label`` as published; CC BY 4.0, QUDT.org).
The build lists the tables with :func:`published` and adds both files of each, rendered by one
:class:`Tables` that indexes the knowledge graph once for all of them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal as Kind

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store, Triple

from kgpub.errors import InputError
from kgpub.rdf.terms import Prefixes
from kgpub.release import layout

if TYPE_CHECKING:
    from kgpub.release.writer import Canonical, Render

CSV_SUFFIX = ".csv"
METADATA_SUFFIX = ".csv-metadata.json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"  # RFC 4180 with its header parameter
METADATA_MEDIA_TYPE = "application/csvm+json"  # the CSVW metadata media type
DATASET_PATH = "id/dataset/"  # a table is published for <base>id/dataset/<name>
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
QB = "http://purl.org/linked-data/cube#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"
KJT = "https://w3id.org/kjtrade/ontology#"
CSVW = "http://www.w3.org/ns/csvw#"

RDF_TYPE = RDF + "type"
LANG_STRING = RDF + "langString"
OBSERVATION = QB + "Observation"
DATA_SET = QB + "dataSet"
STATED_AS = KJT + "statedAs"
OBSERVATION_COLUMN = "observation"

# CSVW's built-in datatypes ("Generating RDF from Tabular Data on the Web", "Interpreting datatypes"):
# the XSD ones by their local names, and three that are not XSD's.
_XSD_BUILT_INS = (
    "anyAtomicType", "anyURI", "base64Binary", "boolean", "date", "dateTime", "dateTimeStamp", "decimal", "integer",
    "long", "int", "short", "byte", "nonNegativeInteger", "positiveInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "nonPositiveInteger", "negativeInteger", "double", "duration",
    "dayTimeDuration", "yearMonthDuration", "float", "gDay", "gMonth", "gMonthDay", "gYear", "gYearMonth",
    "hexBinary", "QName", "string", "normalizedString", "token", "language", "Name", "NCName", "time",
)
CSVW_DATATYPES = {XSD + name: name for name in _XSD_BUILT_INS} | {
    RDF + "XMLLiteral": "xml", RDF + "HTML": "html", CSVW + "JSON": "json"}

# Column names people read: the predicate's local name in snake_case, except these.
COLUMN_NAMES = {
    SDMX_MEASURE + "obsValue": "value",
    SDMX_ATTRIBUTE + "unitMeasure": "unit",
    PROV + "wasDerivedFrom": "source",
    DATA_SET: "data_set",
    RDF_TYPE: "type",
}
# What a column of a reused term holds (a term of the knowledge graph's own ontology says it with rdfs:comment).
DESCRIPTIONS = {
    SDMX_MEASURE + "obsValue": "The figure, a full number exactly as stated (no scaling, no thousands separators).",
    SDMX_ATTRIBUTE + "unitMeasure": "The unit of the figure (a QUDT unit).",
    SDMX_ATTRIBUTE + "currency": "The currency of a monetary figure (EU Publications Office currency authority "
                                 "table); empty where the figure is not an amount of money.",
    RDFS + "label": "The observation's name.",
    PROV + "wasDerivedFrom": "Where the figure comes from: the source it was taken from.",
    RDF_TYPE: "A class of the observation.",
    DATA_SET: "The data set the observation belongs to.",
}
# English labels of units, as QUDT publishes them (qudt-public-repo, vocab/unit; CC BY 4.0, QUDT.org);
# a label in the graph wins.
UNIT_LABELS = {
    "http://qudt.org/vocab/unit/CCY_USD": "Us Dollar",
    "http://qudt.org/vocab/unit/PERCENT": "Percent",
    "http://qudt.org/vocab/unit/UNITLESS": "Unitless",
    "http://qudt.org/vocab/unit/NUM": "Number",
}
LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", SCHEMA + "name")  # the first English one names a value
_COMPONENT_ROLES = (QB + "dimension", QB + "measure", QB + "attribute")
# what {+var} (RFC 6570 reserved expansion) would percent-encode: anything but unreserved, reserved and %XX
_TEMPLATE_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def csv_name(name: str) -> str:
    """``bilateral-trade`` -> ``bilateral-trade.csv``: the table's file in the release (and its URL's last segment)."""
    return name + CSV_SUFFIX


def metadata_name(name: str) -> str:
    """``bilateral-trade`` -> ``bilateral-trade.csv-metadata.json``: the CSVW default location of its metadata."""
    return name + METADATA_SUFFIX


def media_type(file_name: str) -> str | None:
    """The media type a table file is served as, by its name; None for a file that is not a table's."""
    if file_name.endswith(METADATA_SUFFIX):
        return METADATA_MEDIA_TYPE
    if file_name.endswith(CSV_SUFFIX):
        return CSV_MEDIA_TYPE
    return None


def published(quads: Iterable[Quad], *, graphs: Collection[str], base_iri: str) -> Tables:
    """The tables a release publishes, by name (sorted).

    One per ``qb:DataSet`` of the knowledge graph (the union of ``graphs``) whose IRI is
    ``<base_iri>id/dataset/<name>``; a data set elsewhere is someone else's and gets no table.
    A name that is not a plain file name, or that would take a reserved release file name, is
    an InputError.
    """
    prefix, defaults = base_iri + DATASET_PATH, {NamedNode(g) for g in graphs}
    a, data_set = NamedNode(RDF_TYPE), NamedNode(QB + "DataSet")
    found: dict[str, str] = {}
    for q in quads:
        if (q.predicate == a and q.object == data_set and q.graph_name in defaults
                and isinstance(q.subject, NamedNode) and q.subject.value.startswith(prefix)):
            name = q.subject.value[len(prefix):]
            if not _NAME.fullmatch(name) or name.startswith(layout.DUMP_STEM + ".") or name == layout.DUMP_STEM:
                raise InputError(f"data set <{q.subject.value}>: {name!r} cannot name its table files "
                                 f"(a plain name of letters, digits, '.', '_' and '-', not {layout.DUMP_STEM!r})")
            found[name] = q.subject.value
    return Tables(dict(sorted(found.items())))


class Tables:
    """The tables of one release, name -> data set IRI, and the renderers of their files.

    ``draft.add_file(csv_name(name), tables.csv(name))`` and the same with :meth:`metadata`;
    every table is made from one pass over the canonical content, once, whichever file is
    rendered first."""

    def __init__(self, datasets: dict[str, str]) -> None:
        self.datasets = datasets
        self._made: tuple[Canonical, dict[str, Table]] | None = None

    @property
    def names(self) -> list[str]:
        return list(self.datasets)

    def table(self, content: Canonical, name: str) -> Table:
        if self._made is None or self._made[0] is not content:
            index = _Index(content)
            self._made = (content, {n: _Builder(index, iri).table() for n, iri in self.datasets.items()})
        return self._made[1][name]

    def csv(self, name: str) -> Render:
        """The renderer of the table's CSV file."""
        return lambda content: self.table(content, name).csv()

    def metadata(self, name: str) -> Render:
        """The renderer of the table's CSVW metadata file, which describes ``<name>.csv`` beside it."""
        return lambda content: self.table(content, name).metadata()


@dataclass(frozen=True)
class Column:
    """One column of a table: what its cells hold and how a CSVW processor turns them into RDF."""

    name: str
    kind: Kind["observation", "iri", "literal", "text", "label", "virtual"]
    description: str
    predicate: str | None = None  # the observation's predicate (None: the observation and label columns)
    datatype: str | None = None  # literal columns: the datatype IRI of every value
    lang: str | None = None  # text columns: the language tag of every value
    value: str | None = None  # virtual columns: the one IRI every observation has
    required: bool = False  # every row has a value

    def describe(self) -> dict[str, object]:
        """The CSVW column description."""
        found: dict[str, object] = {"name": self.name}
        if self.kind != "virtual":
            found["titles"] = self.name
        found["dc:description"] = {"@value": self.description, "@language": "en"}
        if self.kind == "virtual":
            found |= {"virtual": True, "propertyUrl": self.predicate, "valueUrl": self.value}
            return found
        found["datatype"] = CSVW_DATATYPES[self.datatype] if self.kind == "literal" and self.datatype else "string"
        if self.kind == "text":
            found["lang"] = self.lang
        if self.required:
            found["required"] = True
        if self.kind in ("observation", "label"):
            found["suppressOutput"] = True
        else:
            found["propertyUrl"] = self.predicate
        if self.kind == "iri":
            found["valueUrl"] = "{+" + self.name + "}"
        return found


@dataclass(frozen=True)
class Table:
    """A data set's observations as rows of cells, with its columns and what the data set says of itself."""

    name: str
    dataset: str
    columns: list[Column]
    rows: list[list[str]]  # one cell per non-virtual column, "" for no value
    about: dict[str, object]  # common properties of the table (dc:title, dc:license, ...)

    def csv(self) -> bytes:
        """RFC 4180: UTF-8, CRLF, a header row of the column names, minimal quoting."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([c.name for c in self.columns if c.kind != "virtual"])
        writer.writerows(self.rows)
        return out.getvalue().encode("utf-8")

    def metadata(self) -> bytes:
        """The CSVW metadata document (``application/csvm+json``) of :meth:`csv`, with a relative ``url``."""
        document: dict[str, object] = {
            "@context": CSVW_CONTEXT,
            "url": csv_name(self.name),
            **self.about,
            "dialect": {"header": True, "encoding": "utf-8", "trim": False},
            "tableSchema": {
                "columns": [c.describe() for c in self.columns],
                "primaryKey": OBSERVATION_COLUMN,
                "aboutUrl": "{+" + OBSERVATION_COLUMN + "}",
            },
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def table(content: Canonical, dataset: str) -> Table:
    """The table of ``dataset`` (an IRI under ``<base>id/dataset/``) from the release's knowledge graph."""
    return _Builder(_Index(content), dataset).table()


_Group = tuple[str, str, str]  # (predicate, kind: iri | literal | text, datatype IRI or language tag)
_Term = NamedNode | BlankNode | Literal | Triple
_Values = dict[_Group, list[NamedNode | Literal]]  # one observation's values by group, sorted


@dataclass(frozen=True)
class _Spec:
    group: _Group
    name: str
    width: int  # the most values one observation has in the group: that many columns
    rank: tuple[int, float, bool]  # (0 dimension, 1 measure, 2 attribute, 3 kjt:statedAs, 4 other; qb:order; optional)


class _BySubject:
    """``by_subject.get(subject, default)``: the subject's triples in the knowledge graph (the default graph)."""

    def __init__(self, store: Store, written: dict[_Term, list[Triple]]) -> None:
        self.store, self.written = store, written

    def get(self, subject: _Term, default: Iterable[Triple] = ()) -> list[Triple]:
        if subject in self.written:
            return self.written[subject]
        if isinstance(subject, Literal):
            return list(default)
        found = [q.triple for q in self.store.quads_for_pattern(subject, None, None, DefaultGraph())]
        return found or list(default)


def _observations(store: Store, triples: Iterable[Triple]) -> dict[_Term, list[Triple]]:
    """Every data set member's triples as written. A store keeps a number by its value (``"1.50"^^xsd:decimal``
    reads back as ``"1.5"``), and a table shows each value as the graph writes it: so the members' triples come
    from the canonical triples, in one pass, and only theirs are kept; labels and structure are looked up."""
    members = {q.subject for q in store.quads_for_pattern(None, NamedNode(DATA_SET), None, DefaultGraph())}
    written: dict[_Term, list[Triple]] = {}
    for t in triples:
        if t.subject in members:
            written.setdefault(t.subject, []).append(t)
    return written


class _Members:
    """``members.get(data_set, default)``: the subjects that are ``qb:dataSet`` of it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, data_set: _Term, default: set[_Term]) -> set[_Term]:
        if isinstance(data_set, Literal):
            return default
        found: set[_Term] = {q.subject for q in self.store.quads_for_pattern(None, NamedNode(DATA_SET), data_set,
                                                                                DefaultGraph())}
        return found or default


class _Index:
    """The knowledge graph's triples by subject, the members of each data set, and the labels looked up."""

    def __init__(self, content: Canonical) -> None:
        store = content.knowledge_graph_store  # looked up per subject: no index of the whole graph in Python
        self.by_subject = _BySubject(store, _observations(store, content.knowledge_graph))
        self.members = _Members(store)  # data set -> its observations
        self.prefixes = Prefixes(content.prefixes)
        self._labels: dict[NamedNode, str | None] = {}

    def objects(self, subject: _Term, predicate: str) -> list[_Term]:
        return sorted((t.object for t in self.by_subject.get(subject, ()) if t.predicate.value == predicate), key=str)

    def english(self, subject: _Term, predicates: Iterable[str]) -> str | None:
        """The first English literal of the first of ``predicates`` that has one."""
        for predicate in predicates:
            for o in self.objects(subject, predicate):
                if isinstance(o, Literal) and o.language == "en":
                    return o.value
        return None

    def label(self, value: NamedNode) -> str | None:
        """A value's English label for people: the graph's, else QUDT's for a unit."""
        if value not in self._labels:
            self._labels[value] = self.english(value, LABEL_PROPERTIES) or UNIT_LABELS.get(value.value)
        return self._labels[value]


class _Builder:
    """One table from the indexed knowledge graph: groups the observations' values into columns."""

    def __init__(self, index: _Index, dataset: str) -> None:
        self.index, self.dataset = index, NamedNode(dataset)
        self.by_subject, self.objects, self.english = index.by_subject, index.objects, index.english
        self.prefixes = index.prefixes
        self.name = dataset.rsplit("/", 1)[-1]
        self.components = self._components()

    def table(self) -> Table:
        members = self.index.members.get(self.dataset, set())
        observations: list[NamedNode] = []
        for obs in sorted(members, key=str):
            if not isinstance(obs, NamedNode):
                raise InputError(f"data set <{self.dataset.value}>: an observation is a blank node; "
                                 "a table row needs its IRI")
            observations.append(obs)
        values = [self._values(obs) for obs in observations]
        virtual = self._virtual(values)
        for obs_values in values:
            for predicate, iri in virtual:
                obs_values[(predicate, "iri", "")].remove(NamedNode(iri))
        specs = self._specs(values)
        columns, rows, keys = self._columns(specs, observations, values)
        columns += [Column(name="virtual_" + COLUMN_NAMES[p], kind="virtual", predicate=p, value=iri,
                           description=self._describe(p, "iri", "") + " The same for every row, so it is not in "
                                       "the CSV: the metadata adds it.")
                    for p, iri in virtual]
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise InputError(f"data set <{self.dataset.value}>: two columns would have the same name: {names}")
        rows.sort(key=lambda row: ([row[i] for i in keys], row[0]))  # by the dimensions, in qb:order
        return Table(name=self.name, dataset=self.dataset.value, columns=columns, rows=rows, about=self._about())

    def _values(self, obs: NamedNode) -> _Values:
        found: _Values = {}
        for t in self.by_subject.get(obs, ()):
            o, predicate = t.object, t.predicate.value
            if isinstance(o, NamedNode):
                if _TEMPLATE_UNSAFE.search(o.value):
                    raise InputError(f"observation <{obs.value}>: <{o.value}> ({predicate}) has characters that a "
                                     "CSVW URI template percent-encodes; a table cannot give it back")
                group: _Group = (predicate, "iri", "")
            elif isinstance(o, Literal):
                if o.value == "":
                    raise InputError(f"observation <{obs.value}>: an empty literal ({predicate}) would read back "
                                     "from a table as no value")
                if o.language:
                    group = (predicate, "text", o.language)
                elif o.datatype.value in CSVW_DATATYPES:
                    group = (predicate, "literal", o.datatype.value)
                else:
                    raise InputError(f"observation <{obs.value}>: {o} ({predicate}) has a datatype that CSV on "
                                     "the Web has no name for")
            else:
                raise InputError(f"observation <{obs.value}>: a blank node value ({predicate}) cannot be a "
                                 "table cell")
            found.setdefault(group, []).append(o)
        for vs in found.values():
            vs.sort(key=str)
        return found

    def _virtual(self, values: list[_Values]) -> list[tuple[str, str]]:
        """``rdf:type qb:Observation`` and ``qb:dataSet`` <the data set>, when every observation has it."""
        wanted = [(RDF_TYPE, OBSERVATION), (DATA_SET, self.dataset.value)]
        return [(p, iri) for p, iri in wanted
                if values and all(NamedNode(iri) in v.get((p, "iri", ""), ()) for v in values)]

    def _components(self) -> dict[str, tuple[int, float, bool]]:
        """Each component property of the data set's structure: its place among the columns.

        Dimensions, then measures, then attributes; within each, by ``qb:order``, then required
        (``qb:componentRequired true``) before optional ones."""
        found: dict[str, tuple[int, float, bool]] = {}
        for dsd in self.objects(self.dataset, QB + "structure"):
            for component in self.objects(dsd, QB + "component"):
                orders = [float(o.value) for o in self.objects(component, QB + "order") if isinstance(o, Literal)]
                required = any(isinstance(o, Literal) and o.value in ("true", "1")
                               for o in self.objects(component, QB + "componentRequired"))
                for rank, role in enumerate(_COMPONENT_ROLES):
                    for p in self.objects(component, role):
                        if isinstance(p, NamedNode):
                            found.setdefault(p.value, (rank, min(orders, default=float("inf")), not required))
        return found

    def _specs(self, values: list[_Values]) -> list[_Spec]:
        """Every group any observation has values in, named, in column order."""
        widths: dict[_Group, int] = {}
        for obs_values in values:
            for group, vs in obs_values.items():
                if vs:
                    widths[group] = max(widths.get(group, 0), len(vs))
        names = self._names(sorted(widths))
        specs = [_Spec(group=g, name=names[g], width=w,
                       rank=self.components.get(g[0], (3 if g[0] == STATED_AS else 4, 0.0, False)))
                 for g, w in widths.items()]
        return sorted(specs, key=lambda s: (s.rank, s.name))

    def _names(self, groups: list[_Group]) -> dict[_Group, str]:
        """A column name per group: readable, and a URI template variable (letters, digits, '_')."""
        plain_kinds: dict[str, int] = {}
        for predicate, kind, _ in groups:
            plain_kinds[predicate] = plain_kinds.get(predicate, 0) + (kind != "text")
        names: dict[_Group, str] = {}
        for group in groups:
            predicate, kind, detail = group
            name = COLUMN_NAMES.get(predicate) or _snake(_local(predicate))
            if kind == "text":
                name += "_" + _snake(detail)  # stated_as_en
            elif kind == "literal" and plain_kinds[predicate] > 1:
                name += "_" + _snake(_local(detail))  # value_decimal beside value_double
            names[group] = name
        clashes = [g for g in groups if [names[h] for h in groups].count(names[g]) > 1
                   or names[g] == OBSERVATION_COLUMN]
        for group in clashes:  # the same local name in two namespaces: the prefix says which
            names[group] = _snake(self.prefixes.compact(group[0]).split(":", 1)[0]) + "_" + names[group]
        return names

    def _columns(self, specs: list[_Spec], observations: list[NamedNode], values: list[_Values]
                 ) -> tuple[list[Column], list[list[str]], list[int]]:
        """The columns, the rows' cells, and which cells hold the dimensions (what rows are sorted by)."""
        columns = [Column(name=OBSERVATION_COLUMN, kind="observation", required=True,
                          description="The observation's IRI: the row describes this resource (its page in the "
                                      "knowledge graph).")]
        rows = [[obs.value] for obs in observations]
        keys: list[int] = []
        for spec in specs:
            predicate, kind, detail = spec.group
            cells_by_row = [v.get(spec.group, []) for v in values]
            labelled = kind == "iri" and any(self._label(o) for cells in cells_by_row for o in cells)
            if spec.rank[0] == 0:
                keys.append(len(columns))
            for i in range(spec.width):
                name = spec.name + (f"_{i + 1}" if i else "")
                cells = [cells[i] if i < len(cells) else None for cells in cells_by_row]
                columns.append(Column(
                    name=name, kind="iri" if kind == "iri" else "text" if kind == "text" else "literal",
                    predicate=predicate, datatype=detail if kind == "literal" else None,
                    lang=detail if kind == "text" else None, required=all(c is not None for c in cells),
                    description=self._describe(predicate, kind, detail)))
                for row, cell in zip(rows, cells, strict=True):
                    row.append("" if cell is None else cell.value)
                if labelled:
                    labels = [self._label(c) for c in cells]
                    columns.append(Column(name=name + "_label", kind="label", required=all(labels),
                                          description=f"The English label of {name}, for reading (it belongs to "
                                                      f"that resource, not to the observation)."))
                    for row, label in zip(rows, labels, strict=True):
                        row.append(label or "")
        return columns, rows, keys

    def _label(self, value: NamedNode | Literal | None) -> str | None:
        return self.index.label(value) if isinstance(value, NamedNode) else None

    def _describe(self, predicate: str, kind: str, detail: str) -> str:
        """What a column holds: the term's own comment (or ours for reused terms), its IRI, the kind of value."""
        term = NamedNode(predicate)
        label = self.english(term, (RDFS + "label",))
        head = DESCRIPTIONS.get(predicate) or self.english(term, (RDFS + "comment",)) or (
            f"The observation's {label}." if label else "A value of the observation.")
        kinds = {"iri": "an IRI",
                 "literal": f"a {self.prefixes.compact(detail)} value, written exactly as in the data",
                 "text": f"text in the language '{detail}'"}
        return f"{head} Property {self.prefixes.compact(predicate)}; {kinds[kind]}."

    def _about(self) -> dict[str, object]:
        """What the data set says of itself, as the table's common properties, and the data set it comes from."""
        found: dict[str, object] = {}
        for key, predicate in (("dc:title", DCTERMS + "title"), ("dc:description", DCTERMS + "description")):
            texts = [o for o in self.objects(self.dataset, predicate) if isinstance(o, Literal)]
            if texts:
                found[key] = _one_or_list([{"@value": t.value, "@language": t.language} if t.language
                                           else t.value for t in texts])
        licences = [o.value for o in self.objects(self.dataset, DCTERMS + "license") if isinstance(o, NamedNode)]
        if licences:
            found["dc:license"] = _one_or_list([{"@id": iri} for iri in licences])
        found["dc:source"] = {"@id": self.dataset.value}
        return found


def _one_or_list(items: list[object]) -> object:
    return items[0] if len(items) == 1 else items


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("#/"))[-1]


def _snake(text: str) -> str:
    """``counterpartArea`` -> ``counterpart_area``; anything but letters and digits becomes ``_``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower() or "value"
