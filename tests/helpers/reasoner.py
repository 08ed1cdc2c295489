"""HermiT, the OWL 2 DL reasoner that owlready2 ships, run on our files and the reused vocabularies.

HermiT is called through its own command line (``java -cp HermiT.jar``) rather than through
owlready2's Python object model: owlready2 turns every class of the loaded vocabularies into a
Python class and fails on schema.org's class graph, while HermiT itself loads it fine. The
files are merged with rdflib and written as RDF/XML with every ``owl:imports`` removed, so
the reasoner never goes to the network for an import.

Missing Java or owlready2 skips the tests, except under ``CI=true``, where it is a failure.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, Graph, Literal

from helpers.projects import ROOT
from helpers.requirements import missing

VOCAB = ROOT.parent / "shared" / "vocab"

# The vocabularies whose terms the ontology and the data use, as their publishers release them.
# Not loaded: DCAT 3 (the graph uses no dcat: term; the dataset description is checked with
# SHACL, and dcat3.ttl itself uses xsd:duration, outside the OWL 2 datatype map), QUDT units
# (individuals only: the units are the values of an rdf:Property with no OWL axioms), SHACL.
REUSED = ("prov-o.ttl", "cube.ttl", "sdmx-dimension.ttl", "sdmx-measure.ttl", "sdmx-attribute.ttl",
          "sdmx-concept.ttl", "org.ttl", "schemaorg-30.0-all-http.ttl")

# The datatypes of the OWL 2 datatype map (OWL 2 Structural Specification, section 4).
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL2_DATATYPES = {XSD + name for name in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
    "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString", "token",
    "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI",
    "dateTime", "dateTimeStamp")} | {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#PlainLiteral",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",  # language-tagged literals
    "http://www.w3.org/2000/01/rdf-schema#Literal",
    "http://www.w3.org/2002/07/owl#real", "http://www.w3.org/2002/07/owl#rational"}


def hermit_jar() -> Path:
    try:
        import owlready2
    except ImportError:
        missing("owlready2 (PyPI), which ships HermiT, is not installed (.ci/run installs it)")
    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    if not jar.is_file():
        missing(f"HermiT.jar is not in owlready2 ({jar})")
    return jar


def java() -> str:
    path = shutil.which("java")
    if path is None:
        missing("Java (a JRE, e.g. Debian default-jre-headless) is not available (.ci/run installs it)")
    return path


def vocabulary_files() -> list[Path]:
    files = [VOCAB / name for name in REUSED]
    absent = [f.name for f in files if not f.is_file()]
    if absent:
        missing(f"the official vocabulary files {absent} are not in {VOCAB}")
    return files


@functools.cache
def _vocabulary(path: Path) -> Graph:
    """An official vocabulary file, parsed once per session (schema.org alone takes seconds)."""
    return Graph().parse(path)


def merged(files: Iterable[Path], extra: str = "") -> Graph:
    graph = Graph()
    for path in files:
        if path.is_relative_to(VOCAB):
            graph += _vocabulary(path)  # a copy of the triples: the cached graph is never changed
        else:
            graph.parse(path)  # the project's own files: read as they are now
    if extra:
        graph.parse(data=extra, format="turtle")
    graph.remove((None, OWL.imports, None))
    return graph


def literal_datatypes(graph: Graph) -> set[str]:
    return {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype is not None}


@dataclass(frozen=True)
class Verdict:
    loaded: bool  # HermiT accepted the input (every datatype supported, parsed)
    consistent: bool
    unsatisfiable: list[str]  # named classes equivalent to owl:Nothing (owl:Nothing itself left out)
    output: str  # what HermiT printed, for failure messages


def hermit(graph: Graph, workdir: Path, *, ignore_unsupported_datatypes: bool = False) -> Verdict:
    """Check consistency (-k) and list unsatisfiable classes (-U) of ``graph`` with HermiT."""
    path = workdir / "merged.owl"
    graph.serialize(path, format="xml")
    command = [java(), "-Xmx2g", "-cp", str(hermit_jar()), "org.semanticweb.HermiT.cli.CommandLine",
               "-k", "-U"]
    if ignore_unsupported_datatypes:
        command.append("--ignoreUnsupportedDatatypes")
    done = subprocess.run([*command, path.as_uri()], capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    if "InconsistentOntologyException" in output:
        return Verdict(loaded=True, consistent=False, unsatisfiable=[], output=output)
    if done.returncode != 0:
        return Verdict(loaded=False, consistent=False, unsatisfiable=[], output=output)
    consistent = re.search(r"owl#Thing is satisfiable", done.stdout) is not None
    nothing = done.stdout.split("Classes equivalent to 'owl:Nothing':", 1)[-1]
    unsatisfiable = [line.strip() for line in nothing.splitlines()
                     if line.strip() and line.strip() not in ("owl:Nothing", "<http://www.w3.org/2002/07/owl#Nothing>")]
    return Verdict(loaded=True, consistent=consistent, unsatisfiable=unsatisfiable, output=output)
