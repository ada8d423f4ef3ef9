"""Terminal rendering of search hits, answers and watch events; server text is plain Text, never markup."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pmdi.cli.watch import WatchEvent

_EVENT_STYLE = {
    "ingested": "green",
    "reingested": "green",
    "unchanged": "dim",
    "refused": "red",
    "error": "yellow",
    "skipped": "yellow",
}


def _marked(snippet: str, highlights: list[dict[str, int]]) -> Text:
    # One line per hit; a space for a newline keeps the highlight offsets valid.
    text = Text(snippet.replace("\n", " "))
    for mark in highlights:
        text.stylize("bold yellow", mark["start"], mark["end"])
    return text


def search_table(result: dict[str, Any]) -> Table:
    table = Table(title=Text(f"{len(result['hits'])} hits for “{result['query']}” ({result['mode']})"))
    for column in ("#", "Score", "Document", "Page", "Snippet"):
        table.add_column(column, overflow="fold")
    for rank, hit in enumerate(result["hits"], start=1):
        table.add_row(
            str(rank), f"{hit['score']:.3f}", Text(hit["filename"]), str(hit["page"]),
            _marked(hit["snippet"], hit["highlights"]),
        )  # fmt: skip
    return table


def _source(citation: dict[str, Any]) -> str:
    page = citation.get("page")
    return f"{citation['filename']}, p. {page}" if page else str(citation["filename"])


def _items_table(items: list[dict[str, Any]]) -> Table:
    table = Table()
    for column in ("Kind", "Item", "Owner", "Due / date", "Status", "Source"):
        table.add_column(column, overflow="fold")
    for item in items:
        status = item.get("severity") or item.get("status") or ""
        when = item.get("due_date") or item.get("date") or ""
        table.add_row(
            Text(item["kind"]), Text(item["text"]), Text(item.get("owner") or ""),
            Text(when), Text(status), Text(_source(item["citation"])),
        )  # fmt: skip
    return table


def print_answer(console: Console, answer: dict[str, Any]) -> None:
    console.print(Text(answer["answer"], style="bold" if answer["found"] else "yellow"))
    if answer.get("items"):
        console.print(_items_table(answer["items"]))
    for number, citation in enumerate(answer.get("citations", []), start=1):
        console.print(Text(f"[{number}] {_source(citation)}: “{citation['quote']}”"))
    if answer.get("note"):
        console.print(Text(answer["note"], style="dim"))


def event_line(event: WatchEvent) -> Text:
    line = Text(f"{event.action:<10} ", style=_EVENT_STYLE.get(event.action, ""))
    line.append(event.relative)
    if event.project:
        line.append(f" → {event.project}")
    if event.document_id:
        line.append(f" ({event.document_id})", style="dim")
    if event.detail:
        line.append(f": {event.detail}")
    return line
