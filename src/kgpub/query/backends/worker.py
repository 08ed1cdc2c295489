"""A query worker process: ``python -m kgpub.query.backends.worker RELEASE``.

It reads a :class:`~kgpub.query.protocol.WorkerConfig` from stdin, opens the release's store
read-only, answers :class:`~kgpub.query.protocol.Ready`, then answers each
:class:`~kgpub.query.protocol.QueryJob` with an ``Answer`` or a ``Failure``, all framed by
:mod:`kgpub.query.protocol`. Queries run through :func:`kgpub.query.execute.answer`, the run
path the CLI uses too, with the whole loop on one big-stack thread. It imports only
pyoxigraph and the small kgpub modules that check, run and serialize a query, so it starts
fast and stays small. A query that overruns is stopped by killing the whole process
(pyoxigraph cannot cancel a running query), which is why this is a process.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from kgpub.errors import KgpubError
from kgpub.query import protocol
from kgpub.query.execute import QueryContext, answer, on_big_stack
from kgpub.query.protocol import Failure, QueryJob, Ready, WorkerConfig
from kgpub.release.reader import Release


def reply(ctx: QueryContext, message: Any) -> Any:
    """The reply to one message; expected errors become a Failure with their code, bugs an ``internal`` one."""
    try:
        if not isinstance(message, QueryJob):
            return Failure(code="internal", message=f"a query worker takes query jobs, not {type(message).__name__}")
        return answer(ctx, message)
    except KgpubError as e:
        return Failure.of(e)
    except Exception as e:  # a bug: report it as one (500) and keep serving
        traceback.print_exc(file=sys.stderr)
        return Failure(code="internal", message=f"internal error in the query worker: {type(e).__name__}: {e}")


def serve(release_dir: str, stdin: BinaryIO, stdout: BinaryIO) -> int:
    config = protocol.read(stdin)
    if not isinstance(config, WorkerConfig):
        protocol.write(stdout, Failure(code="internal", message="a query worker must be sent its config first"))
        return 1
    try:
        release = Release(Path(release_dir))
        ctx = QueryContext.open(release, limits=config.limits, max_rows=config.max_rows)
    except (OSError, KgpubError) as e:
        protocol.write(stdout, Failure(code="no_release", message=f"cannot open the release: {e}"))
        return 1
    protocol.write(stdout, Ready(version=release.version))
    while (message := protocol.read(stdin)) is not None:
        protocol.write(stdout, reply(ctx, message))
    return 0


def main(argv: list[str]) -> int:
    return on_big_stack(serve, argv[1], sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
