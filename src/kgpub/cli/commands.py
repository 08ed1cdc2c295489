"""The ``kgpub`` command line: thin adapters that parse input, call one core function, print.

The build pipeline (rdflib, pySHACL) is imported only by the commands that build, so a
server started from here stays small.

Exit codes: 0 success (validation warnings allowed), 1 validation violations or an
unverified link into another knowledge graph (``data/links.csv``),
2 unusable input (missing folder, syntax error, bad query or option); ``kgpub publish``: 3 the store
cannot be reached, 4 it refused the login, 5 it refused the data or an update, 6 a graph's count in the
store is not the release's.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from kgpub import __version__
from kgpub.cli import table
from kgpub.errors import KgpubError, ReleaseNotFound, ValidationFailed
from kgpub.progress import Progress
from kgpub.query.checks import QueryLimits
from kgpub.query.execute import QueryContext, answer
from kgpub.query.protocol import Chosen, FormatChoice, QueryJob
from kgpub.rdf.formats import BY_NAME, DUMP_FORMATS, FORMATS, Kind
from kgpub.release import history, layout, reader
from kgpub.release.reader import Release, open_release
from kgpub.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def project_options(func: F) -> F:
    """``--project`` and ``--releases`` for every command; builds the Settings object."""

    @click.option("--project", "project", type=click.Path(path_type=Path, file_okay=False), default=None,
                  help="Project folder with ontology/, data/, shapes/ (default: current directory).")
    @click.option("--releases", "releases", type=click.Path(path_type=Path, file_okay=False), default=None,
                  help="Folder of releases (default: PROJECT/release).")
    @functools.wraps(func)
    def wrapper(project: Path | None, releases: Path | None, **kwargs: Any) -> Any:
        return func(Settings.load(project=project, releases=releases), **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kgpub")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Build, validate and publish a Linked Data knowledge graph."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@cli.command("validate")
@project_options
def validate_cmd(settings: Settings) -> None:
    """Check the sources' links and validate them with SHACL, as the build does, and print the report."""
    from kgpub.build.pipeline import check  # rdflib and pySHACL: only the commands that build load them

    with Progress() as progress:  # a status line on a terminal, after 5 s; nothing when piped or in CI
        _, report = check(settings, progress=progress)
    click.echo(report.text(), nl=False)
    sys.exit(0 if report.publishable else 1)  # the publication gate: warnings and info do not fail


@cli.command("build")
@project_options
def build_cmd(settings: Settings) -> None:
    """Load, validate and write an immutable release (store, dumps, report, manifest)."""
    from kgpub.build.pipeline import build

    with Progress() as progress:  # a status line on a terminal, after 5 s; nothing when piped or in CI
        result = build(settings, progress=progress)
    warnings = [r for r in result.report.results if r.severity != "Violation"]
    if warnings:
        click.echo(result.report.text(), nl=False)
    else:
        click.echo(result.report.summary)
    state = "unchanged (identical release exists)" if result.reused else "written"
    click.echo(f"Release {result.release.version} {state}: {result.release.path}")


@cli.command("dump")
@project_options
@click.option("--format", "-f", "fmt", type=click.Choice([f.name for f in DUMP_FORMATS]), default="turtle",
              show_default=True, help="Serialization of the dump.")
@click.option("--gzip", "gz", is_flag=True, help="Write the gzip-compressed dump.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: standard output).")
def dump_cmd(settings: Settings, fmt: str, gz: bool, output: Path | None) -> None:
    """Write a whole-dataset dump of the current release."""
    data = _release(settings).dump_path(BY_NAME[fmt], gz=gz).read_bytes()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"Wrote {len(data)} bytes to {output}", err=True)


@cli.command("query")
@project_options
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the query from a file ('-' for standard input).")
@click.option("--format", "-f", "fmt", default="table", show_default=True,
              type=click.Choice(["table", *(f.name for f in FORMATS if f.kind is not Kind.PAGE)]),
              help="Output: a readable table, a SPARQL results format, or an RDF format.")
def query_cmd(settings: Settings, query: str | None, query_file: Any, fmt: str) -> None:
    """Run a read-only SPARQL query over the current release (the server's limits and serializer)."""
    if (query is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file")
    text = query if query is not None else query_file.read()
    rel = _release(settings)
    ctx = QueryContext.open(rel, limits=QueryLimits.from_settings(settings), max_rows=settings.max_rows)
    found = answer(ctx, QueryJob(query=text, formats=_formats(fmt)))
    if found.truncated:
        click.echo(f"warning: result cut to the first {settings.max_rows} rows (KGPUB_MAX_ROWS)", err=True)
    if fmt == "table":
        click.echo(table.render(found, prefixes=rel.prefixes), nl=False)
    else:
        sys.stdout.buffer.write(found.body)


def _formats(name: str) -> FormatChoice:
    """The answer formats of ``--format``: the table reads SPARQL JSON or N-Triples; a format fits one kind."""
    if name == "table":
        return FormatChoice(results=Chosen("json", BY_NAME["json"].media_type),
                            rdf=Chosen("ntriples", BY_NAME["ntriples"].media_type))
    chosen = BY_NAME[name]
    wanted = {Kind.RDF: "an RDF format", Kind.RESULTS: "a results format"}
    refusal = {kind: f"--format {name} does not fit this query's result; use {wanted[kind]} or 'table'"
               for kind in wanted}
    fits: dict[Kind, Chosen | str] = {kind: Chosen(chosen.name, chosen.media_type) if kind is chosen.kind
                                      else refusal[kind] for kind in wanted}
    return FormatChoice(results=fits[Kind.RESULTS], rdf=fits[Kind.RDF])


@cli.command("diff")
@project_options
@click.argument("old")
@click.argument("new")
@click.option("--summary", is_flag=True, help="Print how many quads were added and removed (per graph) instead.")
def diff_cmd(settings: Settings, old: str, new: str, summary: bool) -> None:
    """What changed from release OLD to release NEW, as RDF Patch on standard output.

    OLD and NEW are release folders, or versions (or 'current') in the releases folder. The
    patch is the one a release keeps as changes.rdfp.gz against the release before it.
    """
    from kgpub.release import diff

    before, after = _named_release(settings, old), _named_release(settings, new)
    rows = diff.between(before, after)
    if summary:
        click.echo(diff.Summary.of(rows).text(old=before.version, new=after.version), nl=False)
        return
    try:
        for chunk in diff.patch(rows, new=after.version, old=before.version, base_iri=after.manifest.base_iri):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _named_release(settings: Settings, name: str) -> Release:
    """A release by its folder, or by its version (or ``current``) in the releases folder."""
    if (Path(name) / layout.MANIFEST).is_file():
        return open_release(Path(name))
    folder = settings.releases_dir / name
    if Path(name).name == name and (folder / layout.MANIFEST).is_file():
        return open_release(folder)
    kept = ", ".join(r.version for r in history.kept(settings.releases_dir)) or "none"
    raise ReleaseNotFound(f"{name}: no release folder there, and no release of that version in "
                          f"{settings.releases_dir} (kept there: {kept})")


@cli.command("publish")
@project_options
@click.option("--to", "to", default=None, metavar="URL",
              help="The store's Graph Store Protocol endpoint: Oxigraph server http://HOST:7878/store, Virtuoso "
                   "http://HOST:8890/sparql-graph-crud-auth (their query and update endpoints follow from it).")
@click.option("--sparql", default=None, metavar="URL",
              help="The store's SPARQL query endpoint, for the counts (default: beside --to for Oxigraph, Virtuoso).")
@click.option("--update", default=None, metavar="URL",
              help="The store's SPARQL Update endpoint, for the swap (default: beside --to for Oxigraph, Virtuoso).")
@click.option("--user", default=None, help="User for the store's login (digest or basic, as the store asks).")
@click.option("--password-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File whose first line is the user's password.")
@click.option("--password-env", default=None, metavar="VARIABLE",
              help="Environment variable holding the user's password.")
@click.option("--release", "release", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="Publish this release folder (default: the project's current release).")
@click.option("--dry-run", is_flag=True, help="Say what would be uploaded, and where; send nothing.")
@click.option("--bulk", "bulk_dir", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="DIR",
              help="Upload nothing: write into DIR (new or empty) the files and commands for the store's own bulk "
                   "loader (oxigraph load; Virtuoso ld_dir + rdf_loader_run), for releases too large for --to.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True,
              help="Seconds to wait for each answer of the store.")
def publish_cmd(settings: Settings, to: str | None, sparql: str | None, update: str | None, user: str | None,
                password_file: Path | None, password_env: str | None, release: Path | None, dry_run: bool,
                bulk_dir: Path | None, timeout: float) -> None:
    """Upload the release into a triple store, one named graph per source graph, each checked by a COUNT.

    Over the SPARQL 1.1 Graph Store Protocol: each graph is PUT (N-Triples, Content-Length) to a
    temporary graph, counted, then moved onto its graph, so a failed upload leaves the published graph
    as it was; re-running replaces, never duplicates. Exit codes: 3 store unreachable, 4 login refused,
    5 data or update refused, 6 count mismatch.
    """
    from kgpub.publish import bulk, gsp

    if bulk_dir is not None and (dry_run or to is not None):
        raise click.UsageError("--bulk writes files for the store's own loader: give it without --to or --dry-run")
    if bulk_dir is None and to is None:
        raise click.UsageError("give --to URL (the store's Graph Store Protocol endpoint), or --bulk DIR")
    rel = open_release(release) if release else _release(settings)
    if bulk_dir is not None:
        plan = bulk.write(rel, bulk_dir)
        click.echo(table.grid(["graph", "triples", "bytes", "file"], [
            [f.graph, str(f.triples), str(f.bytes), str(f.path.relative_to(plan.folder))] for f in plan.files]),
            nl=False)
        click.echo(f"Wrote the bulk-load files of release {rel.version} ({plan.triples} triples) to {plan.folder}")
        for store, script in (("Virtuoso", plan.virtuoso_script), ("Oxigraph", plan.oxigraph_script)):
            click.echo(f"\n{store}: {plan.commands()[store.lower()]}")
            for line in script.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith(("--", "#")):
                    click.echo(f"  {line}")
        return
    assert to is not None
    target = gsp.Target.of(to, sparql=sparql, update=update)
    credentials = gsp.Credentials.read(user, password_file=password_file, password_env=password_env)
    report = gsp.publish(rel, target, credentials=credentials, dry_run=dry_run, timeout=timeout)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    login = "without a login" if credentials is None else f"as {credentials.user}"
    if report.dry_run:
        click.echo(table.grid(["graph", "triples", "bytes"], [
            [g.graph, str(g.expected), str(g.bytes)] for g in report.graphs]), nl=False)
        click.echo(f"Dry run, nothing sent: release {rel.version} ({report.triples} triples) would go to "
                   f"{target.gsp_url} {login} (counts: {target.query_url}; swaps: {target.update_url})")
        return
    click.echo(table.grid(["graph", "triples", "found", "bytes", "seconds", "status"], [
        [g.graph, str(g.expected), str(g.found), str(g.bytes), f"{g.seconds:.2f}", g.status]
        for g in report.graphs]), nl=False)
    if credentials is not None:
        login = f"as {credentials.user} ({report.login})" if report.login != "none" else \
            "without a login (the store asked for none)"
    click.echo(f"Published release {rel.version} ({report.triples} triples) to {target.gsp_url} {login}; "
               "every graph's count matches the release")


@cli.command("serve")
@project_options
@click.option("--host", default=None, help="Interface to bind (default: 127.0.0.1, this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: 8000).")
@click.option("--release", "release", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="Serve this release folder (default: the project's current release).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Query worker processes (default: 2).")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Server processes sharing the port (default: 1; Linux). Each has its own --workers: "
                   "PROCESSES x WORKERS query workers in all. Memory: ~75 MB per process and ~30 MB per worker "
                   "(more with a large store).")
@click.option("--timeout", "query_timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Time limit per query in seconds (default: 10).")
@click.option("--store", default=None, metavar="URL",
              help="Answer from this SPARQL endpoint holding the release's graphs (Oxigraph server, Virtuoso) "
                   "instead of the release's own store; --workers queries run on it at once. Dumps stay the "
                   "release's files.")
@click.option("--store-user", default=None, help="User for the store's login (digest or basic).")
@click.option("--store-password-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File whose first line is the store user's password.")
@click.option("--store-password-env", default=None, metavar="VARIABLE",
              help="Environment variable holding the store user's password.")
def serve_cmd(settings: Settings, **overrides: Any) -> None:
    """Serve the release: SPARQL endpoint, dumps and pages (builds a release first if there is none)."""
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    settings.check()  # flags get the same checks as variables (a port out of range, ...)
    if settings.processes > 1:  # whole servers on one port, kept by a supervisor (kgpub.web.processes)
        from kgpub.web import processes

        if settings.release is None and not reader.exists(settings.releases_dir):
            _release(settings)  # built once here, not by every process
        processes.serve(settings)  # this process becomes their small supervisor
    from kgpub.site import Site
    from kgpub.web import server
    from kgpub.web.app import create_app

    rel = open_release(settings.release) if settings.release else _release(settings)
    app = create_app(Site(settings, rel))
    click.echo(f"Serving release {rel.version} at http://{settings.host}:{settings.port}/sparql", err=True)
    server.run(app, settings)  # uvicorn, with the HTTP limits of the settings (kgpub.web.server)


def _release(settings: Settings) -> Release:
    """The current release; builds one first when none exists (a damaged one is refused, not built over)."""
    if reader.exists(settings.releases_dir):
        return open_release(settings.releases_dir)
    from kgpub.build.pipeline import build  # rdflib and pySHACL: loaded only when a build is needed

    click.echo("No release yet: building one first.", err=True)
    return build(settings).release


def main() -> None:
    """Entry point: expected errors become a message and an exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(2 if isinstance(e, click.UsageError) else e.exit_code)
    except ValidationFailed as e:
        click.echo(e.report_text, nl=False)
        click.echo(f"error: {e.message}; nothing was published", err=True)
        sys.exit(e.exit_code)
    except KgpubError as e:
        click.echo(f"error: {e.message}", err=True)
        sys.exit(e.exit_code)
