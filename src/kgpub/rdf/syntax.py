"""Where a parse failed and why, from pyoxigraph's ``SyntaxError`` (RDF files and SPARQL queries alike).

pyoxigraph reports RDF syntax errors with ``lineno``/``offset`` and a message starting
``Parser error at line L between columns C and D:``; SPARQL errors only in the message,
``error at L:C: …``. Its token lists can run to pages, so messages are cut to one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WHERE = re.compile(r"(?:error at |line )(\d+)(?::| between columns | column |, column )?(\d+)?")
_PREFIX = re.compile(r"^(?:Parser error at line \d+(?: between columns \d+ and \d+| column \d+)?|error at \d+:\d+):\s*")


@dataclass(frozen=True)
class SyntaxProblem:
    line: int | None
    column: int | None
    detail: str  # the parser's reason, without its location prefix, one line

    @property
    def where(self) -> str:
        """``line L, column C`` (or less), for messages; empty when unknown."""
        if self.line is None:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column is not None else "")


def problem(error: SyntaxError, *, limit: int = 200) -> SyntaxProblem:
    """Line, column and reason of a pyoxigraph parse error."""
    text = str(error.msg if error.msg else error).splitlines()[0] if str(error.msg or error) else ""
    line, column = error.lineno, error.offset
    if line is None:
        m = _WHERE.search(text)
        if m:
            line, column = int(m.group(1)), int(m.group(2)) if m.group(2) else None
    detail = _PREFIX.sub("", text)
    if len(detail) > limit:
        detail = detail[: limit - 1] + "…"
    return SyntaxProblem(line=line, column=column, detail=detail)
