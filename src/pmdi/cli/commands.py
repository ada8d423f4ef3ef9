"""API client commands: ingest, watch, export, search, ask.

With `--server` (or PMDI_SERVER) they talk to that server; without it they start the app in this process on
the local settings (PMDI_DATABASE__URL, PMDI_DATA_DIR...) with its embedded worker. Either way they
authenticate with an API key (--api-key or PMDI_API_KEY) and use the same JSON API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from pmdi.cli.client import Connection, PmdiClient, ProjectMissing, ProjectRef, connect
from pmdi.cli.ingest import FileOutcome, Ingest, expand_paths, new_progress, summary_table
from pmdi.cli.render import event_line, print_answer, search_table
from pmdi.cli.watch import WatchOptions, run_watch
from pmdi.core.errors import PmdiError
from pmdi.registers.models import Kind
from pmdi.registers.schemas import ExportFormat

T = TypeVar("T")

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="PMDI_SERVER",
        help="Base URL of a pmdi server. Without it the app runs inside this command on the local settings.",
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="PMDI_API_KEY", help="An API key (pmdi_...), remote or local."),
]
ProjectFilter = Annotated[str | None, typer.Option("--project", help="Project name or id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of tables.")]


def _run(server: str | None, api_key: str | None, work: Callable[[PmdiClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with connect(Connection(server, api_key)) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except PmdiError as exc:
        Console(stderr=True).print(Text(f"error: {exc.detail}", style="red"))
        raise typer.Exit(1) from exc


async def _project_id(client: PmdiClient, project: str | None) -> str | None:
    return (await client.project(project)).id if project else None


def _print_json(body: Any) -> None:
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to upload.")],
    project: Annotated[str, typer.Option("--project", help="Project name or id.")],
    create: Annotated[
        bool, typer.Option("--create", help="Create the project if it does not exist.")
    ] = False,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Include subfolders.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for processing.")] = 600.0,
    poll_seconds: Annotated[float, typer.Option("--poll", help="Seconds between status checks.")] = 1.0,
    server: ServerOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Upload files into a project, follow their processing, print one row per file (exit 1 if any failed)."""
    files, missing = expand_paths(paths, recursive)
    if not files and not missing:
        raise typer.BadParameter("no files found", param_hint="PATHS")

    async def work(client: PmdiClient) -> tuple[ProjectRef, list[FileOutcome]]:
        try:
            target = await client.project(project, create=create)
        except ProjectMissing as exc:
            raise ProjectMissing(f"{exc.detail} Pass --create to create it.") from exc
        with new_progress(Console(stderr=True)) as progress:
            return target, await Ingest(client, target, progress).run(files, timeout, poll_seconds)

    target, uploaded = _run(server, api_key, work)
    outcomes = missing + uploaded
    if as_json:
        _print_json([outcome.as_json() for outcome in outcomes])
    else:
        Console().print(summary_table(outcomes, target))
    raise typer.Exit(0 if all(outcome.ok for outcome in outcomes) else 1)


def watch(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="The consumption folder.")],
    default_project: Annotated[
        str | None, typer.Option(help="Project (name or id) of files directly in the folder.")
    ] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave ingested files in place.")] = False,
    move_to: Annotated[
        Path | None, typer.Option(help="Move ingested files here (default: FOLDER/.processed/PROJECT/).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between scans.")] = 2.0,
    passes: Annotated[
        int | None, typer.Option(help="Stop after this many scans (default: until ^C).")
    ] = None,
    server: ServerOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Ingest files dropped into FOLDER/<project>/ once they stop changing; re-ingest them when modified."""
    if keep and move_to is not None:
        raise typer.BadParameter("use either --keep or --move-to", param_hint="--keep")
    options = WatchOptions(folder, default_project, keep, move_to)
    console = Console()

    async def work(client: PmdiClient) -> None:
        await run_watch(client, options, interval, passes, lambda event: console.print(event_line(event)))

    try:
        _run(server, api_key, work)
    except KeyboardInterrupt:
        console.print("stopped")


def export(
    project: Annotated[str, typer.Option("--project", help="Project name or id.")],
    register: Annotated[Kind, typer.Option(help="The register to export.")] = Kind.ACTION,
    export_format: Annotated[ExportFormat, typer.Option("--format", help="csv or xlsx.")] = ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
    server: ServerOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Export a project's action, risk, decision or milestone register as CSV or Excel."""

    async def work(client: PmdiClient) -> bytes:
        target = await client.project(project)
        return await client.export(target.id, register.value, export_format.value)

    content = _run(server, api_key, work)
    target_file = output or Path(f"{register.value}s.{export_format.value}")
    target_file.write_bytes(content)
    typer.echo(f"wrote {target_file} ({len(content)} bytes)")


def search(
    query: Annotated[str, typer.Argument(help="Words, a phrase or an identifier.")],
    project: ProjectFilter = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    server: ServerOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hybrid search over the organisation's documents: page, snippet and score per hit."""

    async def work(client: PmdiClient) -> dict[str, Any]:
        return await client.search(query, await _project_id(client, project), limit)

    result = _run(server, api_key, work)
    if as_json:
        _print_json(result)
    else:
        Console().print(search_table(result))


def ask(
    question: Annotated[str, typer.Argument(help="A question about the documents.")],
    project: ProjectFilter = None,
    server: ServerOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the documents, with citations (document, page, quote)."""

    async def work(client: PmdiClient) -> dict[str, Any]:
        return await client.ask(question, await _project_id(client, project))

    answer = _run(server, api_key, work)
    if as_json:
        _print_json(answer)
    else:
        print_answer(Console(), answer)


def register(app: typer.Typer) -> None:
    for command in (ingest, watch, export, search, ask):
        app.command()(command)
