"""``kgpub publish`` into real stores: Oxigraph server and OpenLink Virtuoso, started on local ports by the tests.

Publish, verify, republish; a failed upload that leaves the published graph as it was; refused logins; an
unreachable store; a dry run; both bulk paths run for real. Each store quirk the publisher works around is shown
here on the store itself (chunked bodies, N-Quads/TriG bodies, a failing PUT's partial graph, relative graph
names, a client that sends the body before the digest challenge), beside the proof that the publisher is not
caught by it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers.server import built_copy, clean_env, free_port
from helpers.stores import ISQL, RunningStore, oxigraph_binary, oxigraph_server, virtuoso_server
from kgpub.errors import PublishRejected
from kgpub.publish.gsp import Credentials, Target, publish
from kgpub.release.reader import Release, open_release

pytestmark = pytest.mark.e2e

PREFIX = "https://w3id.org/kjtrade/"
SHAPES = "https://w3id.org/kjtrade/graph/shapes"
PADDING = "urn:kgpub-test:padding"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_copy(tmp_path_factory.mktemp("publish") / "kjtrade")


@pytest.fixture(scope="module")
def release(project: Path) -> Release:
    return open_release(project / "release")


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStore]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as store:
        yield store


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStore]:
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as store:
        yield store


@pytest.fixture(params=["oxigraph", "virtuoso"])
def store(request: pytest.FixtureRequest) -> RunningStore:
    found: RunningStore = request.getfixturevalue(request.param)
    return found


def credentials(store: RunningStore) -> Credentials | None:
    return None if store.user is None or store.password is None else Credentials(store.user, store.password)


def kgpub_publish(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kgpub", "publish", "--project", str(project), *args],
                          capture_output=True, text=True, env=clean_env(env), timeout=300, check=False)


def login_args(store: RunningStore, folder: Path, password: str | None = None) -> list[str]:
    """--user and --password-file for the store's publishing user (none for Oxigraph)."""
    if store.user is None:
        return []
    file = folder / f"password-{store.kind}"
    file.write_text((password or store.password or "") + "\n", encoding="utf-8")
    return ["--user", store.user, "--password-file", str(file)]


def lines(n: int, tag: str) -> bytes:
    """N-Triples lines, each with its own predicate (Virtuoso's plan for a graph's COUNT is slow on a fresh store
    when thousands of triples share one predicate: it scans the predicate's rows once per subject)."""
    return "".join(f'<urn:kgpub-test:s{i}> <urn:kgpub-test:p{i}> "{tag}{i}" .\n' for i in range(n)).encode()


# ---- publish, verify, republish --------------------------------------------------------------------------------


def test_publish_then_republish_gives_the_release_s_graphs_exactly(store: RunningStore, project: Path,
                                                                   release: Release) -> None:
    """Graph names exactly the release's (absolute IRIs: no host-dependent names, no temporary graph left), counts
    exactly the manifest's; a second run replaces (PUT, then MOVE), so blank nodes are not duplicated."""
    expected = release.manifest.graphs
    for _run in range(2):
        done = kgpub_publish(project, "--to", store.gsp_url, *login_args(store, project.parent))
        assert done.returncode == 0, done.stdout + done.stderr
        assert store.graphs(PREFIX) == expected
        assert not [g for g in store.graphs("") if "kgpub-publish=" in g]
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.split("|")] for line in
                                              done.stdout.splitlines()) if cells[0] in expected}
    assert {g: (row[0], row[1], row[4]) for g, row in rows.items()} == {
        g: (str(n), str(n), "published") for g, n in expected.items()}  # graph | triples | found | … | status
    assert "every graph's count matches the release" in done.stdout


def test_a_failed_upload_leaves_the_published_graph_as_it_was(store: RunningStore, release: Release) -> None:
    """The shapes graph's upload breaks late in its body: Virtuoso has by then filled the graph it was writing
    with every line before the error (see the next test), but that graph is the temporary one, which is dropped;
    the published graph keeps the previous release's triples and the graphs after it are not touched."""
    target = Target.of(store.gsp_url)
    publish(release, target, credentials=credentials(store))

    def break_shapes(graph: str, body: Path) -> None:
        if graph == SHAPES:
            with body.open("ab") as out:
                out.write(lines(6000, "padding").replace(b"<urn:kgpub-test:p", f"<{PADDING}".encode()))
                out.write(b'<urn:kgpub-test:bad> <urn:kgpub-test:p> "no closing quote .\n')

    with pytest.raises(PublishRejected) as failed:
        publish(release, target, credentials=credentials(store), body_hook=break_shapes)
    message = failed.value.message
    assert f"the store refused the upload of <{SHAPES}?kgpub-publish=" in message
    assert f"<{SHAPES}> was left as it was" in message
    assert "Published before this: <https://w3id.org/kjtrade/graph/data>, <https://w3id.org/kjtrade/graph/" \
           "ontology>; not published: <https://w3id.org/kjtrade/graph/shapes>" in message
    assert store.graphs(PREFIX) == release.manifest.graphs  # the previous release's, every graph
    assert not [g for g in store.graphs("") if "kgpub-publish=" in g]  # the temporary graph was dropped
    padded = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(STRSTARTS(STR(?p), "
                          f'"{PADDING}")) }} }}')
    assert padded == [{"n": "0"}]


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_a_put_that_fails_at_line_n(kind: str, request: pytest.FixtureRequest) -> None:
    """The quirk behind the temporary graph: a Virtuoso PUT that fails at line 4001 has already replaced the graph
    with its first 4000 lines (its vectorized Turtle loader, used for bodies of a few thousand lines and more;
    a body of 1000 lines is refused whole). Oxigraph keeps the graph as it was."""
    store: RunningStore = request.getfixturevalue(kind)
    graph = f"http://example.org/kgpub-test/failing-put-{kind}"
    broken = lines(6000, "new").splitlines(keepends=True)
    broken[4000] = b'<urn:kgpub-test:bad> <urn:kgpub-test:p> "no closing quote .\n'
    with httpx.Client(auth=store.auth, timeout=120) as client:
        put = client.put(store.gsp_url, params={"graph": graph}, content=lines(100, "old"),
                         headers={"Content-Type": "application/n-triples"})
        assert put.status_code in (200, 201, 204)
        failed = client.put(store.gsp_url, params={"graph": graph}, content=b"".join(broken),
                            headers={"Content-Type": "application/n-triples"})
    assert failed.status_code >= 400
    assert store.count(graph) == {"virtuoso": 4000, "oxigraph": 100}[kind]
    store.update(f"DROP SILENT GRAPH <{graph}>")


# ---- store quirks ----------------------------------------------------------------------------------------------


def test_virtuoso_answers_201_to_a_chunked_upload_and_stores_nothing(virtuoso: RunningStore,
                                                                     release: Release) -> None:
    graph = "http://example.org/kgpub-test/chunked"
    body = lines(500, "v")

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 4096):
            yield body[i: i + 4096]

    with httpx.Client(auth=virtuoso.auth, timeout=60) as client:
        client.get(virtuoso.gsp_url, params={"graph": graph})  # the digest login first: a generator is sent once
        r = client.put(virtuoso.gsp_url, params={"graph": graph}, content=chunks(),
                       headers={"Content-Type": "application/n-triples"})
    assert r.request.headers["transfer-encoding"] == "chunked" and "content-length" not in r.request.headers
    assert r.status_code == 201
    assert virtuoso.count(graph) == 0  # "created", and empty
    publish(release, Target.of(virtuoso.gsp_url), credentials=credentials(virtuoso))  # Content-Length: all there
    assert virtuoso.graphs(PREFIX) == release.manifest.graphs


def test_virtuoso_refuses_nquads_and_trig_bodies(virtuoso: RunningStore) -> None:
    named = "http://example.org/kgpub-test/inside"
    bodies = {"application/n-quads": f'<urn:kgpub-test:s> <urn:kgpub-test:p> "o" <{named}> .\n',
              "application/trig": f'<{named}> {{ <urn:kgpub-test:s> <urn:kgpub-test:p> "o" . }}\n'}
    with httpx.Client(auth=virtuoso.auth, timeout=60) as client:
        for media, body in bodies.items():
            graph = f"http://example.org/kgpub-test/{media.split('/')[1]}"
            r = client.put(virtuoso.gsp_url, params={"graph": graph}, content=body.encode(),
                           headers={"Content-Type": media})
            assert r.status_code >= 400, (media, r.status_code)
            assert (virtuoso.count(graph), virtuoso.count(named)) == (0, 0), media


def test_relative_graph_names(oxigraph: RunningStore, virtuoso: RunningStore) -> None:
    """Oxigraph resolves a relative graph name against its own URL (a name that changes with the host it is
    reached by); Virtuoso refuses it. The publisher sends absolute IRIs only (the first test: exact names)."""
    with httpx.Client(timeout=60) as client:
        r = client.put(oxigraph.gsp_url, params={"graph": "kgpub-test-relative"}, content=lines(3, "r"),
                       headers={"Content-Type": "application/n-triples"})
    assert r.status_code in (200, 201, 204)
    assert oxigraph.graphs("").get(f"{oxigraph.base}/kgpub-test-relative") == 3
    with httpx.Client(auth=virtuoso.auth, timeout=60) as client:
        r = client.put(virtuoso.gsp_url, params={"graph": "kgpub-test-relative"}, content=lines(3, "r"),
                       headers={"Content-Type": "application/n-triples"})
    assert r.status_code >= 400


def test_a_body_sent_before_the_digest_challenge_is_cut_off(virtuoso: RunningStore, release: Release) -> None:
    """Python's urllib sends the whole body, then answers the challenge; Virtuoso answers 401 and closes, so a large
    body ends in a reset or a broken pipe. The publisher settles the login with a GET first: every PUT it sends
    carries the authorization, and each graph's body goes exactly once."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, virtuoso.gsp_url, virtuoso.user or "", virtuoso.password or "")
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    graph = "http://example.org/kgpub-test/urllib"
    put = urllib.request.Request(f"{virtuoso.gsp_url}?graph={graph}", data=b"#" * 8_000_000 + b"\n", method="PUT",
                                 headers={"Content-Type": "application/n-triples"})
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        opener.open(put, timeout=60)

    sent: list[tuple[str, str]] = []  # (method, authorization) of every request as it went out

    def record(request: httpx.Request) -> None:
        sent.append((request.method, request.headers.get("authorization", "")))

    with httpx.Client(timeout=120, event_hooks={"request": [record]}) as client:
        publish(release, Target.of(virtuoso.gsp_url), credentials=credentials(virtuoso), client=client)
    assert sent[:2] == [("GET", ""), ("GET", sent[1][1])] and sent[1][1].startswith("Digest ")  # the login: no body
    puts = [auth for method, auth in sent if method == "PUT"]
    assert len(puts) == len(release.manifest.graphs)  # one PUT per graph: each body sent once
    assert all(auth.startswith("Digest ") for auth in puts)
    assert virtuoso.graphs(PREFIX) == release.manifest.graphs


def test_credentials_for_oxigraph_are_not_needed_and_it_says_so(oxigraph: RunningStore, project: Path) -> None:
    done = kgpub_publish(project, "--to", oxigraph.gsp_url, "--user", "someone", "--password-env", "KGPUB_TEST_PW",
                         env={"KGPUB_TEST_PW": "not-a-secret-really"})
    assert done.returncode == 0, done.stderr
    assert "never asked for a login, so the credentials were not used (Oxigraph server has no authentication" \
           in done.stderr
    assert "without a login (the store asked for none)" in done.stdout
    assert "not-a-secret-really" not in done.stdout + done.stderr


# ---- errors ----------------------------------------------------------------------------------------------------


def test_a_refused_login_says_so_and_never_shows_a_password(virtuoso: RunningStore, project: Path) -> None:
    wrong = "Wr0ng-" + (virtuoso.password or "")[:6]
    done = kgpub_publish(project, "--to", virtuoso.gsp_url, *login_args(virtuoso, project.parent, wrong))
    assert done.returncode == 4, done.stderr
    assert "the store refused the login of user 'kgpub' (401, digest)" in done.stderr
    by_env = kgpub_publish(project, "--to", virtuoso.gsp_url, "--user", "kgpub", "--password-env", "PUBLISH_PW",
                           env={"PUBLISH_PW": wrong})
    assert by_env.returncode == 4
    anonymous = kgpub_publish(project, "--to", virtuoso.gsp_url)
    assert anonymous.returncode == 4 and "the store asks for a login (digest); give --user" in anonymous.stderr
    virtuoso.isql("DB.DBA.USER_CREATE('reader', 'reader-Pw-1');")  # a user without SPARQL_UPDATE
    reader = kgpub_publish(project, "--to", virtuoso.gsp_url, "--user", "reader", "--password-env", "PUBLISH_PW",
                           env={"PUBLISH_PW": "reader-Pw-1"})
    assert reader.returncode == 4 and "refused user 'reader' this request (403)" in reader.stderr
    for run in (done, by_env, anonymous, reader):
        text = run.stdout + run.stderr
        assert "Traceback" not in text
        for secret in (wrong, virtuoso.password or "", "reader-Pw-1"):
            assert secret not in text
    assert virtuoso.graphs(PREFIX).keys() <= set(open_release(project / "release").manifest.graphs)


def test_a_password_is_never_a_flag(project: Path) -> None:
    done = kgpub_publish(project, "--to", "http://127.0.0.1:1/store", "--user", "u", "--password", "p")
    assert done.returncode == 2 and "No such option '--password'" in done.stderr


def test_an_unreachable_store(project: Path) -> None:
    done = kgpub_publish(project, "--to", f"http://127.0.0.1:{free_port()}/store")
    assert done.returncode == 3, done.stderr
    assert "cannot be reached (ConnectError" in done.stderr and "Traceback" not in done.stderr


def test_a_dry_run_uploads_nothing(store: RunningStore, project: Path, release: Release) -> None:
    for graph in release.manifest.graphs:
        store.update(f"DROP SILENT GRAPH <{graph}>")
    done = kgpub_publish(project, "--to", store.gsp_url, "--dry-run", *login_args(store, project.parent))
    assert done.returncode == 0, done.stderr
    assert store.graphs(PREFIX) == {}
    assert f"would go to {store.gsp_url}" in done.stdout and "Dry run, nothing sent" in done.stdout
    for graph in release.manifest.graphs:
        assert graph in done.stdout
    if store.password:
        assert store.password not in done.stdout + done.stderr


# ---- bulk ------------------------------------------------------------------------------------------------------


def test_bulk_into_virtuoso(virtuoso: RunningStore, project: Path, release: Release) -> None:
    """The folder is in the server's DirsAllowed; load.sql is run exactly as it says (isql, as dba), twice: the
    second run replaces (it clears the graphs and makes the loader forget the files)."""
    assert virtuoso.load_dir is not None and virtuoso.isql_port is not None
    folder = virtuoso.load_dir / "kgpub-bulk"
    done = kgpub_publish(project, "--bulk", str(folder))
    assert done.returncode == 0, done.stderr
    assert "ld_dir(" in done.stdout and "rdf_loader_run();" in done.stdout and '"$OXIGRAPH" load' in done.stdout
    isql = shutil.which(ISQL) or ISQL
    for _run in range(2):
        out = subprocess.run([isql, f"127.0.0.1:{virtuoso.isql_port}", "dba", virtuoso.dba_password or "",
                              str(folder / "load.sql")], capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0 and "*** Error" not in out.stdout + out.stderr, out.stdout + out.stderr
        assert virtuoso.graphs(PREFIX) == release.manifest.graphs


def test_bulk_into_oxigraph(project: Path, release: Release, tmp_path: Path) -> None:
    """load.sh run exactly as it says, twice, into a store folder; then that folder served has the release's graphs."""
    binary = oxigraph_binary()
    assert binary is not None
    folder, location = tmp_path / "bulk", tmp_path / "store"
    done = kgpub_publish(project, "--bulk", str(folder))
    assert done.returncode == 0, done.stderr
    expected = {g: str(n) for g, n in release.manifest.graphs.items()}
    for _run in range(2):
        out = subprocess.run(["sh", str(folder / "load.sh"), str(location)], capture_output=True, text=True,
                             env={**os.environ, "OXIGRAPH": binary}, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        rows = out.stdout.splitlines()
        assert rows[0] == "g,n" and dict(row.split(",") for row in rows[1:]) == expected
    with oxigraph_server(tmp_path / "served", location=location) as served:
        assert served.graphs(PREFIX) == release.manifest.graphs
