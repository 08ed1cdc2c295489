"""Logging in to a triple store over HTTP: the password's one source, and the digest-or-basic login.

``kgpub publish`` and ``kgpub serve --store`` both talk to stores that may ask for a login: Virtuoso's
authenticated endpoints offer digest only, others basic. A password never comes from a flag (process lists show
flags): from the first line of a file, or from an environment variable, and it never appears in a message.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from contextlib import suppress
from pathlib import Path

import httpx

from kgpub.errors import InputError


def read_password(*, file: Path | None, variable: str | None, env: Mapping[str, str], flags: tuple[str, str]
                  ) -> str | None:
    """The password from the first line of ``file``, else from the environment variable ``variable`` (None when
    neither is given); ``flags`` name the two options in errors (``--password-file``, ``--password-env``)."""
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise InputError(f"{flags[0]} {file}: cannot be read ({e.strerror or e})") from None
        except UnicodeDecodeError:
            raise InputError(f"{flags[0]} {file}: not UTF-8 text") from None
        if not lines or not lines[0]:
            raise InputError(f"{flags[0]} {file}: its first line (the password) is empty")
        return lines[0]
    if variable is not None:
        value = env.get(variable)
        if not value:
            raise InputError(f"{flags[1]} {variable}: the variable is not set or empty")
        return value
    return None


def schemes(response: httpx.Response) -> list[str]:
    """The authentication schemes a 401 offers (``digest``, ``basic``), lower case."""
    return [h.split(None, 1)[0].lower() for h in response.headers.get_list("www-authenticate") if h.strip()]


class Login(httpx.Auth):
    """The store's login, digest or basic, whichever its challenge names (digest when both are offered: the
    password never travels), remembered after the first challenge.

    After a first challenge, digest requests carry the authorization at once (httpx's :class:`~httpx.DigestAuth`
    reuses the challenge) and basic ones too, so a body goes once, with credentials; a request that is
    challenged again (a stale nonce) is sent again, so bodies must be readable again.
    """

    def __init__(self, user: str, password: str) -> None:
        self._digest, self._basic = httpx.DigestAuth(user, password), httpx.BasicAuth(user, password)
        self.scheme: str | None = None  # set by the first challenge

    def __repr__(self) -> str:
        return f"Login(scheme={self.scheme!r})"  # never the password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        flow = self._digest.auth_flow(request)
        response = yield next(flow)
        if response.status_code != 401:
            return
        offered = schemes(response)
        if "digest" in offered:
            self.scheme = "digest"
            with suppress(StopIteration):
                yield flow.send(response)
        elif "basic" in offered:
            self.scheme = "basic"
            yield from self._basic.auth_flow(request)
