"""One error root for kgpub.

Every error a user can cause is a :class:`KgpubError` subclass. The class carries the HTTP
status, a stable machine-readable ``code`` and the CLI exit code, so the web layer and the
CLI map errors by kind and never by message. Anything else that escapes is a bug (HTTP 500,
a traceback on the CLI) and is fixed, not caught.
"""

from __future__ import annotations

from pathlib import Path


class KgpubError(Exception):
    """Root of every expected kgpub error."""

    status: int = 500
    code: str = "error"
    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer to this error carries (``Retry-After``, ...); none by default."""
        return {}


class _Retryable(KgpubError):
    """A 503 that a client may retry: the answer says when (``Retry-After``) and which time limit applied."""

    status = 503

    def __init__(self, message: str, *, retry_after: int = 1, timeout: float | None = None) -> None:
        super().__init__(message)
        self.retry_after, self.timeout = retry_after, timeout

    def headers(self) -> dict[str, str]:
        found = {"Retry-After": str(getattr(self, "retry_after", 1))}
        if getattr(self, "timeout", None) is not None:
            found["X-Query-Timeout"] = f"{self.timeout:g}"
        return found


class InputError(KgpubError):
    """The input is unusable (missing folder, unreadable file, bad option)."""

    status = 400
    code = "bad_input"


class SourceSyntaxError(InputError):
    """A source file does not parse; names the file, line and column."""

    code = "source_syntax"

    def __init__(self, *, file: Path, line: int | None, column: int | None, detail: str) -> None:
        where = str(file)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: syntax error: {detail}")
        self.file, self.line, self.column, self.detail = file, line, column, detail


class ShapesError(InputError):
    """The shapes graph is not valid SHACL (pySHACL cannot load it, or a query in it does not parse)."""

    code = "invalid_shapes"


class ValidationFailed(KgpubError):
    """SHACL validation found violations; nothing was published."""

    status = 422
    code = "validation_failed"
    exit_code = 1

    def __init__(self, message: str, *, report_text: str) -> None:
        super().__init__(message)
        self.report_text = report_text


class UnverifiedLinks(KgpubError):
    """Links into other knowledge graphs without a verified row in the checked mapping; nothing was published."""

    status = 422
    code = "unverified_links"
    exit_code = 1

    def __init__(self, problems: list[str], *, mapping: str) -> None:
        listed = "".join(f"\n  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) with links into other knowledge graphs: every published "
                         f"link needs a verified row in {mapping}; nothing was published:{listed}")
        self.problems, self.mapping = problems, mapping


class QuerySyntaxError(InputError):
    """A SPARQL query does not parse."""

    code = "query_syntax"


class QueryRejected(InputError):
    """A SPARQL query parses but is refused (update, SERVICE, too large, too deep)."""

    code = "query_rejected"


class ServiceCallFailed(KgpubError):
    """An allowed SERVICE endpoint failed or could not be reached."""

    status = 502
    code = "service_failed"


class UnsupportedFormat(KgpubError):
    """No offered format fits what the client asked for."""

    status = 406
    code = "not_acceptable"


class ReleaseNotFound(KgpubError):
    """There is no usable release where one was expected."""

    status = 503
    code = "no_release"


class ReadOnly(KgpubError):
    """An update (or update= parameter) on the read-only endpoint."""

    status = 403
    code = "read_only"


class TooLarge(KgpubError):
    """A request body over the configured limit."""

    status = 413
    code = "too_large"


class HeadersTooLarge(KgpubError):
    """A request whose header fields are over the configured limit (answered before any route runs)."""

    status = 431
    code = "headers_too_large"


class UriTooLong(KgpubError):
    """A request line (method, target, version) over the configured limit."""

    status = 414
    code = "uri_too_long"


class RequestTimeout(KgpubError):
    """The client did not send its request's headers or body within the time limit."""

    status = 408
    code = "request_timeout"


class RangeNotSatisfiable(KgpubError):
    """A Range on a release file that no part of the file can satisfy (the answer names the file's size)."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size

    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{getattr(self, 'size', 0)}"}


class UnsupportedMediaType(KgpubError):
    """A POST whose Content-Type is not one the SPARQL Protocol defines for queries."""

    status = 415
    code = "unsupported_media_type"


class QueryTimeout(_Retryable):
    """The query ran past its time limit and was stopped (or no worker became free in time)."""

    code = "query_timeout"


class Overloaded(_Retryable):
    """Admission control refused the query: the queue is full, or this client already has its share waiting."""

    code = "overloaded"


class WorkerFailed(_Retryable):
    """A query worker died while answering (killed, or a crash in the query engine); it is being replaced."""

    code = "worker_failed"


class InternalError(KgpubError):
    """A bug in kgpub reported across a process boundary (a query worker caught an unexpected exception)."""

    status = 500
    code = "internal"


class BadRequest(KgpubError):
    """An HTTP request the framework could not read (bad parameters, malformed headers)."""

    status = 400
    code = "bad_request"


class NotFound(KgpubError):
    """No resource at this path."""

    status = 404
    code = "not_found"


class Gone(KgpubError):
    """The IRI was published once and is retired (listed in the project's ``data/retired.csv``)."""

    status = 410
    code = "gone"


class MethodNotAllowed(KgpubError):
    """The path exists, the method does not (the answer lists ``Allow``)."""

    status = 405
    code = "method_not_allowed"


def _registry() -> dict[str, type[KgpubError]]:
    found: dict[str, type[KgpubError]] = {}
    todo: list[type[KgpubError]] = [KgpubError]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if "code" in vars(cls) and cls is not KgpubError:
            if cls.code in found:
                raise AssertionError(f"code {cls.code!r} is used twice: {found[cls.code].__name__}, {cls.__name__}")
            found[cls.code] = cls
    return found


def by_code(code: str) -> type[KgpubError]:
    """The error class of a stable code (every code belongs to exactly one class)."""
    return _registry().get(code, InternalError)


def from_code(code: str, message: str) -> KgpubError:
    """Rebuild an error reported by code and message (from a query worker or a remote backend)."""
    cls = by_code(code)
    error = cls.__new__(cls)
    KgpubError.__init__(error, message)
    return error


# ---- a remote SPARQL store behind ``kgpub serve --store`` (kgpub.query.backends.remote) ----------------------------
# Gateway answers: the store, not kgpub and not the client, is what failed. No message ever holds a credential.


class StoreUnavailable(_Retryable):
    """The remote store could not be reached (connection refused, no such host, the connection dropped before an
    answer): 502 with ``Retry-After``."""

    status = 502
    code = "store_unavailable"


class StoreTimeout(QueryTimeout):
    """The remote store did not answer within the query's time limit: 504 (``Retry-After``, ``X-Query-Timeout``).
    Still a :class:`QueryTimeout` (the time limit ran out), as a gateway says it: the store was too slow."""

    status = 504
    code = "store_timeout"


class StoreFailed(KgpubError):
    """The remote store answered with an error of its own (5xx, a refused login, an answer kgpub cannot read): 502
    naming the store's status and the start of its message."""

    status = 502
    code = "store_failed"


# ---- publishing a release into a store (``kgpub publish``, kgpub.publish.gsp) ---------------------------------------
# Each has its own exit code, so a script can tell them apart. No message ever holds a credential.


class PublishUnreachable(KgpubError):
    """The store could not be reached while publishing (connection refused, no such host, a time limit, the
    connection dropped): exit code 3."""

    status = 502
    code = "publish_unreachable"
    exit_code = 3


class PublishLoginRefused(KgpubError):
    """The store refused the login (401/403), or asked for one and none was given: exit code 4."""

    status = 502
    code = "publish_login_refused"
    exit_code = 4


class PublishRejected(KgpubError):
    """The store refused the data or an update (an HTTP error on the upload or the swap; the store's message,
    trimmed): exit code 5."""

    status = 502
    code = "publish_rejected"
    exit_code = 5


class PublishCountMismatch(KgpubError):
    """A graph's triples in the store, counted after the upload, are not the release's: exit code 6."""

    status = 502
    code = "publish_count_mismatch"
    exit_code = 6
