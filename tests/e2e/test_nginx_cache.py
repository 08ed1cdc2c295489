"""``deploy/nginx/kgpub.conf`` in front of a real ``kgpub serve`` (issue 12, many readers): Debian's nginx, started
here on a free port of 127.0.0.1 with that very file, only its EDIT values replaced (:data:`EDITS`).

What reaches kgpub is read from its access log (one JSON line per request it answered): a request nginx answers
from its cache leaves no line there. To know that every line a request could have caused is written, a
*barrier* request goes through nginx to kgpub after it (a path of its own, a 404, never stored) and its line is
waited for.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers.projects import ROOT
from helpers.requirements import missing
from helpers.server import HOST, Server, built_copy, free_port, serve

EXAMPLE = ROOT / "deploy" / "nginx" / "kgpub.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
if NGINX is None:
    missing("nginx is not installed (Debian: apt-get install nginx-light)", module=True)

EXPIRES = 1  # seconds an answer without Cache-Control stays fresh here (the example says 10)
EDITS = {  # the example's EDIT values -> this test's; each must occur exactly once in the example
    "server 127.0.0.1:8000;": "server {upstream};",
    "listen 80;": "listen {listen};",
    "/var/cache/nginx/kgpub": "{root}/cache",
    "/var/log/nginx/kgpub.access.log": "{root}/access.log",
    "proxy_cache_valid 200 10s;": f"proxy_cache_valid 200 {EXPIRES}s;",
}
MAIN = """\
{user}
pid {root}/nginx.pid;
error_log {root}/error.log warn;
worker_processes 1;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/kgpub.conf;
}}
"""
STARTUP = 15.0
TURTLE = {"Accept": "text/turtle"}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser's
LABELS = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s LIMIT 5"


def configuration(root: Path, *, upstream: int, listen: int) -> str:
    """The example with this test's values in its EDIT places, checked to be there once each."""
    text = EXAMPLE.read_text(encoding="utf-8")
    values = {"upstream": f"{HOST}:{upstream}", "listen": f"{HOST}:{listen}", "root": str(root)}
    for old, new in EDITS.items():
        assert text.count(old) == 1, f"{EXAMPLE}: expected {old!r} once (an EDIT value the test replaces)"
        text = text.replace(old, new.format(**values))
    return text


@dataclass
class Proxy:
    base: str
    kgpub: Server

    def get(self, path: str, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
        return httpx.get(self.base + path, headers=headers, params=params, timeout=10)

    def reached(self, path: str) -> list[dict[str, object]]:
        """kgpub's access log lines for ``path``, once all requests made so far are in it (the barrier)."""
        barrier = f"/id/barrier-{uuid.uuid4().hex}"
        answer = self.get(barrier)
        assert answer.status_code == 404 and answer.headers["x-cache-status"] != "HIT", answer.headers
        end = time.monotonic() + 5
        while True:
            lines = [json.loads(line) for line in self.kgpub.stderr().splitlines() if line.startswith("{")]
            if any(line["path"] == barrier for line in lines):
                return [line for line in lines if line["path"] == path]
            assert time.monotonic() < end, "the barrier request never reached kgpub's access log"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    project = built_copy(tmp_path_factory.mktemp("nginx") / "kjtrade")
    root = tmp_path_factory.mktemp("nginx-root")
    with serve(project) as kgpub:
        port = free_port()
        (root / "kgpub.conf").write_text(configuration(root, upstream=kgpub.port, listen=port), encoding="utf-8")
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""  # else nginx's 'nobody'
        (root / "nginx.conf").write_text(MAIN.format(user=user, root=root), encoding="utf-8")
        assert NGINX is not None
        log = (root / "nginx.out").open("wb")
        nginx = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://{HOST}:{port}"
            _wait_until_up(nginx, base, root)
            yield Proxy(base, kgpub)
        finally:
            nginx.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way, then exit
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(5)
            log.close()


def _wait_until_up(nginx: subprocess.Popen[bytes], base: str, root: Path) -> None:
    end = time.monotonic() + STARTUP
    while time.monotonic() < end:
        if nginx.poll() is not None:
            pytest.fail(f"nginx exited with {nginx.returncode}:\n{_logs(root)}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"nginx did not answer within {STARTUP} s:\n{_logs(root)}")


def _logs(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in (root / "nginx.out", root / "error.log") if p.exists())


def test_a_second_request_for_a_document_is_served_by_nginx_without_reaching_kgpub(proxy: Proxy) -> None:
    path = "/id/country/KR"
    first, second = proxy.get(path, TURTLE), proxy.get(path, TURTLE)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert second.headers["cache-control"] == first.headers["cache-control"] == "public, max-age=300, must-revalidate"
    # a client's own revalidation is answered by nginx from its copy, too
    unchanged = proxy.get(path, {**TURTLE, "If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["x-cache-status"] == "HIT"
    assert [line["status"] for line in proxy.reached(path)] == [200]  # kgpub answered it once


def test_each_accept_gets_its_own_cached_representation(proxy: Proxy) -> None:
    """A browser gets the page, a Linked Data client the Turtle, each from the cache the second time, and the two
    do not push each other out."""
    path = "/id/country/JP"
    asked = [("turtle", TURTLE), ("html", HTML), ("turtle", TURTLE), ("html", HTML)]
    answers = [(kind, proxy.get(path, headers)) for kind, headers in asked]
    assert [a.headers["x-cache-status"] for _, a in answers] == ["MISS", "MISS", "HIT", "HIT"]
    for kind, answer in answers:
        media_type = answer.headers["content-type"].split(";")[0]
        assert media_type == {"turtle": "text/turtle", "html": "text/html"}[kind], (kind, answer.headers)
    assert answers[0][1].content == answers[2][1].content and answers[1][1].content == answers[3][1].content
    assert "Accept" in answers[0][1].headers["vary"] and "Accept" in answers[1][1].headers["vary"]
    assert len(proxy.reached(path)) == 2


def test_an_expired_answer_is_revalidated_with_our_etag_and_kgpub_answers_304(proxy: Proxy) -> None:
    """A SPARQL answer carries no Cache-Control: fresh for ``proxy_cache_valid`` (here :data:`EXPIRES` s), then
    nginx asks kgpub with If-None-Match, gets a 304 and serves its copy again (REVALIDATED)."""
    accept = {"Accept": "application/sparql-results+json"}
    first, second = proxy.get("/sparql", accept, query=LABELS), proxy.get("/sparql", accept, query=LABELS)
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")
    end = time.monotonic() + EXPIRES + 5
    while (later := proxy.get("/sparql", accept, query=LABELS)).headers["x-cache-status"] == "HIT":
        assert time.monotonic() < end, "the entry never expired"
        time.sleep(0.2)
    assert later.headers["x-cache-status"] == "REVALIDATED", later.headers
    assert later.status_code == 200 and later.content == first.content
    assert later.headers["etag"] == first.headers["etag"]
    assert [line["status"] for line in proxy.reached("/sparql")] == [200, 304]


def test_what_kgpub_says_not_to_store_is_never_cached_and_kgpub_sees_the_client_address(proxy: Proxy) -> None:
    """``/readyz`` (``no-store``) reaches kgpub every time; the client address nginx forwards is the one kgpub logs
    (uvicorn trusts X-Forwarded-For from 127.0.0.1 and takes the nearest address it does not trust)."""
    client = "203.0.113.7"
    answers = [proxy.get("/readyz", {"X-Forwarded-For": client}) for _ in range(2)]
    assert [a.headers["cache-control"] for a in answers] == ["no-store"] * 2
    assert all(a.headers["x-cache-status"] != "HIT" for a in answers), [a.headers for a in answers]
    lines = proxy.reached("/readyz")
    assert [line["client"] for line in lines] == [client, client]
