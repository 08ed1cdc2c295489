"""HTTP content negotiation over the format registry (RFC 9110 §12.5.1), as a pure function.

``choose(accept, offered)`` picks the offered media type the client prefers: the most
specific matching range decides a type's quality (``text/turtle`` beats ``text/*`` beats
``*/*``), ``q=0`` excludes, ties go to the server's order. ``None`` means nothing offered is
acceptable (the caller answers 406 with the list of what it offers). ``pick(kind, accept,
names)`` applies it to the format registry, with the ``format=`` names clients send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from kgpub.errors import UnsupportedFormat
from kgpub.rdf.formats import Format, Kind, by_kind, from_name


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...]

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 ``type/*``, 1 ``*/*``), 0 when it does not match."""
        t, _, s = media_type.partition("/")
        if self.type == "*":
            return 1
        if self.type != t:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == s else 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header; a missing or empty one (no ranges) accepts everything."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0, ())]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        kind, _, sub = fields[0].lower().partition("/")
        q, params = 1.0, []
        for field in fields[1:]:
            name, _, value = field.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                q = _quality(value)
            elif name:
                params.append((name, value))
        ranges.append(MediaRange(kind or "*", sub or "*", q, tuple(params)))
    return ranges or [MediaRange("*", "*", 1.0, ())]


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0  # an unreadable weight cannot count as a preference
    return min(max(q, 0.0), 1.0)


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The quality the client gives ``media_type``: that of the most specific matching range."""
    return _Preferences(ranges).quality(media_type)


class _Preferences:
    """The ranges of one Accept header indexed by what they match, so that each offered type is looked up in
    constant time: the first range of the highest specificity decides (``type/sub`` with parameters, then
    ``type/sub``, ``type/*``, ``*/*``), exactly as a scan of every range would. An Accept of 10,000 ranges
    costs one pass, not one pass per offered type."""

    def __init__(self, ranges: Sequence[MediaRange]) -> None:
        self.with_params: dict[tuple[str, str], float] = {}
        self.exact: dict[tuple[str, str], float] = {}
        self.types: dict[str, float] = {}
        self.any: float | None = None
        for r in ranges:
            if r.type == "*":
                self.any = r.q if self.any is None else self.any
            elif r.subtype == "*":
                self.types.setdefault(r.type, r.q)
            else:
                (self.with_params if r.params else self.exact).setdefault((r.type, r.subtype), r.q)

    def quality(self, media_type: str) -> float:
        t, _, s = media_type.partition("/")
        for q in (self.with_params.get((t, s)), self.exact.get((t, s)), self.types.get(t), self.any):
            if q is not None:
                return q
        return 0.0


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type with the highest quality (> 0); earlier offers win ties."""
    preferences = _Preferences(parse_accept(accept))
    best: tuple[float, int] | None = None
    chosen = None
    for index, media_type in enumerate(offered):
        q = preferences.quality(media_type)
        if q > 0 and (best is None or (q, -index) > best):
            best, chosen = (q, -index), media_type
    return chosen


# Names clients send in format= that mean a different format for graph results (SPARQLWrapper:
# xml for RDF/XML, n3 for Turtle, which N3 readers accept, json for JSON-LD).
_RDF_ALIASES = {"xml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml", "n3": "turtle", "json": "jsonld",
                "json-ld": "jsonld"}


def pick(kind: Kind, accept: str | None, names: Sequence[str] = (), *, offered: Sequence[Format] | None = None,
         what: str = "this query's result") -> tuple[Format, str]:
    """Format and media type for a result kind: by ``format=`` names if given (the first that fits),
    else by Accept, answering with the media type the client named (``application/json`` for SPARQL JSON).
    ``offered`` narrows the kind's formats (in the server's order of preference); ``what`` names the
    answer in the 406 message."""
    offered = by_kind(kind) if offered is None else tuple(offered)
    if names:
        fit = next((f for f in (_by_name(n, kind) for n in dict.fromkeys(names)) if f in offered), None)
        if fit is None:
            raise UnsupportedFormat(f"format={_listed(names)} does not fit {what}; offered: "
                                    + ", ".join(f.name for f in offered))
        return fit, fit.media_type
    # Every format's own media type, then the aliases: an alias wins only when the client named it (or its
    # type) with a higher weight, so ``*/*`` and ``application/*`` get a format's own name.
    chosen = choose(accept, [f.media_type for f in offered] + [a for f in offered for a in f.aliases])
    if chosen is None:
        raise UnsupportedFormat(f"none of the accepted media types fits {what}; offered: "
                                + ", ".join(f.media_type for f in offered))
    return next(f for f in offered if chosen in f.media_types), chosen


NAMES_SHOWN = 8
"""format= values an error message repeats (a request may carry thousands; the message stays short)."""


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(n[:100] for n in names[:NAMES_SHOWN])
    return shown if len(names) <= NAMES_SHOWN else f"{shown}, ... ({len(names)} values)"


def _by_name(name: str, kind: Kind) -> Format | None:
    key = name.strip().lower()
    if kind is Kind.RDF:
        key = _RDF_ALIASES.get(key, key)
    try:
        return from_name(key)
    except KeyError:
        return None


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """Language ranges of an ``Accept-Language`` header (RFC 9110 §12.5.4), most wanted first (stable
    for ties), lower-cased; ``q=0`` ranges are dropped."""
    ranges = []
    for index, part in enumerate((header or "").split(",")):
        tag, *params = (f.strip() for f in part.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = _quality(value.strip())
        if q > 0:
            ranges.append((-q, index, tag.lower()))
    return [(tag, -q) for q, _, tag in sorted(ranges)]


def lookup_language(header: str | None, available: Sequence[str]) -> str | None:
    """RFC 4647 §3.4 Lookup: for each range, most wanted first, the available tag equal to it or to one of
    its truncations (``ko-KR`` -> ``ko``); ``*`` is skipped (the caller's default decides). None: no match."""
    offered = {tag.lower(): tag for tag in available}
    longest = max((len(tag) for tag in offered), default=0)
    for tag, _ in parse_accept_language(header):
        subtags = tag.split("-")
        ends = list(accumulate(len(s) + 1 for s in subtags))  # ends[k - 1] - 1: the length of the first k joined
        k = len(subtags)
        while k and not (k == 1 and subtags[0] == "*"):
            if ends[k - 1] - 1 <= longest:  # a longer range matches nothing offered: not joined (a 64 kB tag of
                found = offered.get("-".join(subtags[:k]))  # 30,000 subtags would cost 30,000 joins)
                if found is not None:
                    return found
            k -= 1
            if k and len(subtags[k - 1]) == 1:  # never end on a singleton (RFC 4647 §3.4, step 3)
                k -= 1
    return None
