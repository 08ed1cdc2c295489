"""Stop waiting for an answer whose client has gone.

uvicorn does not cancel a request's handler when its client disconnects; the handler learns of it only by
reading ``http.disconnect`` from ``receive``. A query waiting for a worker would then hold its place in the
queue (and its client's share) until its time limit, for no one. :func:`unless_gone` races the answer with a
listener on ``receive``: when the client goes first, the answer is cancelled (a query still waiting leaves the
queue; one already running finishes on its worker, see ``query.backends.pool``) and :class:`ClientDisconnect` is
raised, which the app answers with nothing (the 499 of the access log). Only for uncached answers: a task per
request is not free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")


async def _gone(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def unless_gone(request: Request, answer: Awaitable[T]) -> T:
    """``answer``'s result, or :class:`ClientDisconnect` as soon as the client has disconnected."""
    work = asyncio.ensure_future(answer)
    listener = asyncio.ensure_future(_gone(request))
    listener.add_done_callback(lambda done: None if done.cancelled() else work.cancel())
    try:
        return await work
    except asyncio.CancelledError:
        if listener.done() and not listener.cancelled():
            raise ClientDisconnect() from None
        raise
    finally:
        listener.cancel()
