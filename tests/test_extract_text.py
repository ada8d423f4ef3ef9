"""Plain text, Markdown, HTML and email extraction: encodings, structure, quotes, attachments, offsets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pmdi.documents.sniff import HTML, MARKDOWN, PLAIN, sniff
from pmdi.extraction.errors import CorruptDocument
from pmdi.extraction.model import BlockKind
from pmdi.extraction.text import inline
from tests.extract_support import extract, kinds, write

DASH = "\u2013"  # en dash: a Windows-1252 character outside Latin-1
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
# --- plain text ---------------------------------------------------------------------------------------


def test_text_in_windows_1252_is_decoded(tmp_path: Path) -> None:
    body = f"Müller {DASH} café\n\nDas Büro ist geschlossen.\n"
    doc = extract(write(tmp_path, "a.txt", body.encode("cp1252")), PLAIN)
    assert doc.text == f"Müller {DASH} café\n\nDas Büro ist geschlossen."
    assert doc.metadata.warnings == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32"])
def test_text_with_a_byte_order_mark_is_decoded(tmp_path: Path, encoding: str) -> None:
    doc = extract(write(tmp_path, "a.txt", f"Müller {DASH} café\r\nzweite Zeile\r\n".encode(encoding)), PLAIN)
    assert doc.text == f"Müller {DASH} café zweite Zeile"


def test_text_pages_paragraphs_lists_and_headings(tmp_path: Path) -> None:
    text = (
        "MEETING NOTES\n\nBudget\n======\n\nAnn will send\nthe revised budget.\n\n"
        "- first item\n  wrapped on\n  - nested item\n* second item\n1. numbered item\n"
        "\fRisks\n-----\nThe vendor may be late.\n\f"
    )
    doc = extract(write(tmp_path, "notes.txt", text), PLAIN)
    assert len(doc.pages) == 2
    assert [(b.text, b.level) for b in kinds(doc, BlockKind.HEADING)] == [
        ("MEETING NOTES", 1),
        ("Budget", 1),
        ("Risks", 2),
    ]
    assert doc.metadata.title == "MEETING NOTES"
    assert kinds(doc, BlockKind.PARAGRAPH)[0].text == "Ann will send the revised budget."
    items = [(b.text, b.level) for b in kinds(doc, BlockKind.LIST_ITEM)]
    assert items == [
        ("first item wrapped on", 1),
        ("nested item", 2),
        ("second item", 1),
        ("1. numbered item", 1),
    ]
    assert {b.page for b in doc.blocks if "vendor" in b.text or b.text == "Risks"} == {2}


def test_text_is_cut_at_max_chars(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "long.txt", "word " * 10_000), PLAIN, max_chars=1000)
    assert len(doc.text) <= 1000
    assert doc.metadata.truncated
    assert doc.metadata.warnings


def test_binary_data_is_not_text(tmp_path: Path) -> None:
    with pytest.raises(CorruptDocument):
        extract(write(tmp_path, "blob.txt", bytes(range(256)) * 20), PLAIN)


def test_an_empty_text_file_gives_an_empty_document(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "blank.txt", "\n  \n"), PLAIN)
    assert doc.text == ""
    assert doc.metadata.page_count == 1
    assert doc.metadata.warnings == ["The file contains no text."]


# --- Markdown ----------------------------------------------------------------------------------------

MARKDOWN_DOC = """---
title: "Sprint 12 review"
author: Ann Lee
date: 2024-03-05
tags:
  - sprint
---
# Sprint **12**

Ann will send the [budget](https://example.com/budget_v2) by *Friday*.
The `deploy_prod` job is _blocked_.

Decisions
---------

- Ship the **beta**
  - with the new login
    - and SSO
- [ ] Write release notes
- [x] Book the room
1. First step

| Owner | Task \\| note |
|:------|------:|
| Ann   | Budget |
| Bob   | ![chart](c.png) Chart |

```python
def f():
    return 1
```

> Quoted **decision**
> continues here

<!-- hidden comment -->
See <https://example.com/x> and \\*literal stars\\*.
"""


def test_markdown_structure_and_metadata(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "review.md", MARKDOWN_DOC), MARKDOWN)
    meta = doc.metadata
    assert (meta.title, meta.author, meta.created) == ("Sprint 12 review", "Ann Lee", "2024-03-05")
    assert "title:" not in doc.text
    assert "sprint\n" not in doc.text
    headings = [(b.text, b.level) for b in kinds(doc, BlockKind.HEADING)]
    assert headings == [("Sprint 12", 1), ("Decisions", 2)]
    items = {b.text: (b.level, b.meta) for b in kinds(doc, BlockKind.LIST_ITEM)}
    assert items == {
        "Ship the beta": (1, {}),
        "with the new login": (2, {}),
        "and SSO": (3, {}),
        "Write release notes": (1, {"checked": False}),
        "Book the room": (1, {"checked": True}),
        "1. First step": (1, {}),
    }
    (table,) = kinds(doc, BlockKind.TABLE)
    assert table.header
    assert table.rows == [["Owner", "Task | note"], ["Ann", "Budget"], ["Bob", "chart Chart"]]
    code = next(b for b in doc.blocks if b.meta.get("code"))
    assert code.text == "def f():\n    return 1"
    assert code.meta["language"] == "python"
    quote = next(b for b in doc.blocks if b.meta.get("quote"))
    assert quote.text == "Quoted decision continues here"


def test_markdown_inline_markup_is_stripped(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "review.md", MARKDOWN_DOC), MARKDOWN)
    for markup in ("**", "](", "hidden comment"):
        assert markup not in doc.text
    assert "Ann will send the budget by Friday. The deploy_prod job is blocked." in doc.text
    assert "example.com/budget" not in doc.text
    assert "See https://example.com/x and *literal stars*." in doc.text


def test_markdown_field_lines_and_hard_breaks_stay_lines(tmp_path: Path) -> None:
    fields = "**Project manager:** Sofia Romero\n**Overall status:** Amber\n\nfirst  \nsecond\nwrapped\n"
    doc = extract(write(tmp_path, "status.md", fields), MARKDOWN)
    assert [block.text for block in doc.blocks] == [
        "Project manager: Sofia Romero\nOverall status: Amber",
        "first\nsecond wrapped",
    ]


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("**bold** and __strong__ and *em* and _em_", "bold and strong and em and em"),
        ("snake_case_name stays, 2 * 3 * 4 too", "snake_case_name stays, 2 * 3 * 4 too"),
        ("`a **b** [c](d)`", "a **b** [c](d)"),
        (
            "[[SPIKE] Relay](https://x.y/1) and [ref][r] and [undefined]",
            "[SPIKE] Relay and ref and [undefined]",
        ),
        ("line<br>break <span class='x'>span</span> &amp; ~~gone~~", "line break span & gone"),
        ("<a@b.org> http://x.org/a_b_c_ **Decision: **done", "a@b.org http://x.org/a_b_c_ Decision: done"),
        ("\\[not a link\\](x) {: .no_toc}", "[not a link](x)"),
    ],
)
def test_markdown_inline(markup: str, expected: str) -> None:
    assert inline(markup, {"r"}) == expected


def test_markdown_html_blocks_become_blocks(tmp_path: Path) -> None:
    text = (
        "Intro\n\n<table>\n  <tr>\n   <th>Date</th>\n\n   <th>Topic</th>\n  </tr>\n"
        "  <tr><td><p>July 12</p>\n\n</td><td>Budget</td></tr>\n</table>\n\nAfter\n"
    )
    doc = extract(write(tmp_path, "t.md", text), MARKDOWN)
    (table,) = kinds(doc, BlockKind.TABLE)
    assert table.rows == [["Date", "Topic"], ["July 12", "Budget"]]
    assert table.header
    assert [b.text for b in kinds(doc, BlockKind.PARAGRAPH)] == ["Intro", "After"]


def test_markdown_rule_is_not_front_matter(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "r.md", "---\nWe met on Monday.\n---\n\nText\n"), MARKDOWN)
    assert doc.text.startswith("We met on Monday.")


# --- HTML --------------------------------------------------------------------------------------------

HTML_DOC = """<!doctype html><html><head><title>Steering  notes</title>
<meta name="author" content="Ann Lee"><meta name="date" content="2024-03-05T10:00:00+01:00">
<style>p { color: red }</style><script>var secret = 1;</script></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<div>Intro <b>bold</b>text<p>First paragraph.</p>tail</div>
<h1>Decisions</h1><h3>Sub <em>heading</em></h3>
<ul><li>Top<ul><li>Nested</li><li>Nested two<ol><li>Deep</li></ol></li></ul></li><li>Second</li></ul>
<table><thead><tr><th>Owner</th><th>Task</th></tr></thead>
<tr><td>Ann</td><td>Send <i>budget</i><br>today</td></tr></table>
<pre>line 1
  line 2</pre>
<blockquote><p>Quoted text</p></blockquote>
<p>Hi Bob,<br><br>Please review.<br>Thanks</p>
<noscript>Enable JS</noscript><aside>Related links</aside><footer>Footer text</footer>
</body></html>"""


def test_html_structure_and_metadata(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "notes.html", HTML_DOC), HTML)
    meta = doc.metadata
    assert (meta.title, meta.author, meta.created) == (
        "Steering notes",
        "Ann Lee",
        "2024-03-05T10:00:00+01:00",
    )
    for dropped in ("secret", "color", "Home", "Enable JS", "Related links"):
        assert dropped not in doc.text
    paragraphs = [b.text for b in kinds(doc, BlockKind.PARAGRAPH) if not b.meta]
    assert paragraphs == [
        "Intro boldtext",
        "First paragraph.",
        "tail",
        "Hi Bob,",
        "Please review. Thanks",
        "Footer text",
    ]
    assert [(b.text, b.level) for b in kinds(doc, BlockKind.HEADING)] == [
        ("Decisions", 1),
        ("Sub heading", 3),
    ]
    items = [(b.text, b.level) for b in kinds(doc, BlockKind.LIST_ITEM)]
    assert items == [("Top", 1), ("Nested", 2), ("Nested two", 2), ("Deep", 3), ("Second", 1)]
    (table,) = kinds(doc, BlockKind.TABLE)
    assert table.header
    assert table.rows == [["Owner", "Task"], ["Ann", "Send budget today"]]
    assert next(b for b in doc.blocks if b.meta.get("code")).text == "line 1\n  line 2"
    assert next(b for b in doc.blocks if b.meta.get("quote")).text == "Quoted text"
    assert doc.text.count("First paragraph.") == 1


def test_html_layout_tables_are_read_as_blocks_and_charset_is_honoured(tmp_path: Path) -> None:
    markup = (
        '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body>'
        "<table><tr><td><table><tr><td>Inner</td><td>cell</td></tr></table></td></tr>"
        "<tr><td><p>Layout paragraph \x96 one</p></td></tr></table></body></html>"
    )
    doc = extract(write(tmp_path, "x.html", markup.encode("latin-1")), HTML)
    assert doc.metadata.title == "Café"
    assert f"Layout paragraph {DASH} one" in doc.text
    assert [b.rows for b in kinds(doc, BlockKind.TABLE)] == [[["Inner", "cell"]]]


def test_deeply_nested_html_is_read_quickly(tmp_path: Path) -> None:
    deep = "<html><body>" + "<div>" * 50_000 + "bottom text" + "</div>" * 50_000 + "</body></html>"
    spans = "<p>" + "<span>" * 50_000 + "span text" + "</span>" * 50_000 + "</p>"
    started = time.monotonic()
    deep_doc = extract(write(tmp_path, "deep.html", deep), HTML)
    span_doc = extract(write(tmp_path, "spans.html", spans), HTML)
    assert time.monotonic() - started < 5
    assert deep_doc.text == "bottom text"
    assert deep_doc.metadata.warnings
    assert span_doc.text == "span text"


# --- the real corpus ---------------------------------------------------------------------------------


def test_real_text_documents_extract() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".md", ".txt", ".html", ".htm"})
    assert files, f"no text documents under {CORPUS}"
    for path in files:
        media_type = sniff(path, path.name)
        doc = extract(path, media_type)
        assert doc.text.strip(), path
        assert kinds(doc, BlockKind.HEADING) or kinds(doc, BlockKind.LIST_ITEM), path
        # Raw HTML tables keep their text as is; Markdown markup is stripped everywhere else.
        assert not [b.text for b in doc.blocks if b.kind is not BlockKind.TABLE and "**" in b.text], path
        assert "](http" not in doc.text, path
        assert doc.metadata.warnings == [], (path, doc.metadata.warnings)
