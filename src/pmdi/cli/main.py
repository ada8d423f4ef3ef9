"""The `pmdi` command line. Each command is one unit of work with a single commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.cli import commands as client_commands
from pmdi.config import Settings
from pmdi.core import migrations
from pmdi.core.db import commit, create_engine
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState, open_state

app = typer.Typer(help="PM Document Intelligence", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
org_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
registers_app = typer.Typer(help="Project registers.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(demo_app, name="demo")
app.add_typer(registers_app, name="registers")
client_commands.register(app)  # ingest, watch, export, search, ask: clients of the JSON API

T = TypeVar("T")


def _run_unit(work: Callable[[AsyncSession, AppState], Awaitable[T]]) -> T:
    async def main() -> T:
        async with open_state(Settings()) as state, state.sessionmaker() as session:
            result = await work(session, state)
            await commit(session)
            return result

    try:
        return asyncio.run(main())
    except PmdiError as exc:
        typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Number of API processes.")] = 1,
) -> None:
    """Serve the API (refuses to start on an un-migrated database)."""
    import uvicorn

    from pmdi.observability.logs import logging_config

    # Live event streams never end by themselves; without a grace limit they would hold shutdown forever.
    # uvicorn applies the log configuration in each of its processes; pmdi writes the access log itself.
    uvicorn.run(
        "pmdi.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        timeout_graceful_shutdown=5,
        log_config=logging_config(Settings().log),
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Process jobs from the Redis-backed queue (needs PMDI_WORKER__BACKEND=taskiq)."""
    from pmdi.jobs.worker import run_distributed_worker
    from pmdi.observability.logs import configure_logging
    from pmdi.observability.metrics import serve_worker_metrics

    settings = Settings()
    if settings.worker.backend != "taskiq":
        typer.secho(
            "error: set PMDI_WORKER__BACKEND=taskiq (and PMDI_REDIS_URL) to run separate workers", err=True
        )
        raise typer.Exit(2)

    configure_logging(settings.log)
    serve_worker_metrics(settings.metrics)

    async def main() -> None:
        async with open_state(settings) as state:
            await run_distributed_worker(state)

    asyncio.run(main())


@app.command()
def mcp(
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="PMDI_API_KEY", help="The API key (pmdi_...) to act as.")
    ] = None,
) -> None:
    """Serve MCP over stdin/stdout for a local assistant, as the API key's organisation."""
    from pmdi.app import DatabaseNotMigrated
    from pmdi.mcp_server.stdio import serve_stdio
    from pmdi.observability.logs import configure_logging

    if not api_key:
        typer.secho("error: pass --api-key or set PMDI_API_KEY (see Settings → API keys)", err=True)
        raise typer.Exit(2)
    settings = Settings()
    configure_logging(settings.log)  # to stderr: stdout carries the protocol
    try:
        asyncio.run(serve_stdio(settings, api_key))
    except (PmdiError, DatabaseNotMigrated) as exc:
        typer.secho(f"error: {getattr(exc, 'detail', exc)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Files or folders to extract.")],
    output_format: Annotated[str, typer.Option("--format", help="json or text")] = "json",
) -> None:
    """Print the canonical text, pages, blocks and metadata of each file (exit 1 if any failed)."""
    from pmdi.extraction.cli import extract_paths, render

    if output_format not in {"json", "text"}:
        raise typer.BadParameter("use --format json or --format text")
    results = extract_paths(files, Settings())
    typer.echo(render(results, output_format))
    raise typer.Exit(1 if any("error" in r for r in results) else 0)


@app.command()
def analyze(
    files: Annotated[list[Path], typer.Argument(help="Files or folders to analyse.")],
    output_format: Annotated[str, typer.Option("--format", help="Only json is supported.")] = "json",
    provider: Annotated[
        str | None, typer.Option(help="Analyse with this LLM provider (e.g. openai), falling back to rules.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The provider's model name.")] = None,
    base_url: Annotated[str | None, typer.Option(help="An OpenAI-compatible server, e.g. Ollama.")] = None,
) -> None:
    """Extract and analyse files locally; print the analysis contract as a JSON array."""
    from pmdi.analysis.cli import analyze_paths, render

    if output_format != "json":
        raise typer.BadParameter("Only --format json is supported.", param_hint="--format")
    settings = Settings()
    llm = settings.analysis.llm
    if provider or model or base_url:
        settings.analysis.analyzer = "llm"
        llm.provider, llm.model, llm.base_url = (
            provider or llm.provider,
            model or llm.model,
            base_url or llm.base_url,
        )
    results = analyze_paths(files, settings)
    typer.echo(render(results))
    raise typer.Exit(1 if any("error" in item for item in results) else 0)


@app.command("eval")
def evaluate(
    gold_dir: Annotated[Path, typer.Argument(help="Folder searched recursively for NAME.gold.json labels.")],
    verbose: Annotated[bool, typer.Option("--verbose", help="Also list each document's misses.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Score the analyzer against labelled documents: precision / recall / F1 and field accuracies."""
    from pmdi.evaluation.cli import eval_command

    raise typer.Exit(eval_command(gold_dir, verbose, as_json))


@app.command()
def migrate(revision: str = "head") -> None:
    """Upgrade the database schema (to the latest revision by default)."""

    async def main() -> None:
        engine = create_engine(Settings().database)
        try:
            await migrations.upgrade(engine, revision)
            typer.echo(f"database at revision {await migrations.current_revision(engine)}")
        finally:
            await engine.dispose()

    asyncio.run(main())


@app.command()
def downgrade(revision: str) -> None:
    """Downgrade the database schema to REVISION ('base' empties it)."""

    async def main() -> None:
        engine = create_engine(Settings().database)
        try:
            await migrations.downgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(main())


@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="A new OUT.tar.gz, or a new directory.")],
) -> None:
    """Copy the database and the stored files consistently (safe while the server runs)."""
    from pmdi.backup.cli import run_backup

    raise typer.Exit(run_backup(target))


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A backup .tar.gz or directory.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database holding data.")] = False,
) -> None:
    """Restore a backup into an empty database, verify its files and migrate it to this version."""
    from pmdi.backup.cli import run_restore

    raise typer.Exit(run_restore(source, force))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    full_name: Annotated[str, typer.Option("--name")] = "",
) -> None:
    """Create a user account."""
    from pmdi.auth.schemas import RegisterIn
    from pmdi.auth.service import register

    data = RegisterIn(email=email, password=password, full_name=full_name)
    user = _run_unit(lambda session, state: register(session, state, data, "cli"))
    typer.echo(f"created user {user.email} ({user.id})")


@org_app.command("create")
def org_create(name: str, owner: Annotated[str, typer.Option(help="Email of the owning user.")]) -> None:
    """Create an organisation owned by an existing user."""
    from pmdi.demo import create_org_for

    org = _run_unit(lambda session, state: create_org_for(session, owner, name))
    typer.echo(f"created organisation {org.name} ({org.id}) owned by {owner}")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create (once) a demo user, organisation and project, and print how to log in."""
    from pmdi.demo import DEMO_EMAIL, DEMO_PASSWORD, seed

    created = _run_unit(seed)
    typer.echo(("created" if created else "found") + " demo data:")
    typer.echo(f"  login:    {DEMO_EMAIL}")
    typer.echo(f"  password: {DEMO_PASSWORD}")


@registers_app.command("rebuild")
def registers_rebuild(
    project: Annotated[str | None, typer.Option(help="Only this project's documents (id).")] = None,
) -> None:
    """Recompute the registers from stored analyses (after an upgrade); edits and reviews are kept."""
    from pmdi.registers.tasks import rebuild

    async def main() -> dict[str, int]:
        async with open_state(Settings()) as state:
            return await rebuild(state, uuid.UUID(project) if project else None)

    totals = asyncio.run(main())
    typer.echo(", ".join(f"{key}: {value}" for key, value in totals.items()))
