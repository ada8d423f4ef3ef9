"""Email extraction: headers as blocks, plain body preferred, quoted replies marked, attachments read."""

from __future__ import annotations

import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from pmdi.documents.sniff import DOCX, EML, HTML, MARKDOWN, PDF, PLAIN, XLSX, sniff
from pmdi.extraction.base import best_extractor
from pmdi.extraction.errors import CorruptDocument
from pmdi.extraction.model import BlockKind
from tests.extract_support import extract, kinds, write

DASH = "\u2013"  # en dash: a Windows-1252 character outside Latin-1


def pdf_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def reply_email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Alice Example <alice@example.com>"
    message["To"] = "Bob <bob@example.com>, carol@example.com"
    message["Cc"] = "Dan <dan@example.com>"
    message["Subject"] = f"Re: Budget {DASH} Q3"
    message["Date"] = "Tue, 05 Mar 2024 10:15:00 +0100"
    message["Message-ID"] = "<abc123@example.com>"
    message.set_content(
        "Hi Bob,\n\nAnn will send the budget\nby Friday.\n\n"
        "On Mon, 4 Mar 2024 at 09:00, Bob <bob@example.com> wrote:\n"
        "> Can we get the budget?\n> It is urgent.\n"
    )
    message.add_alternative("<p>HTML ONLY VARIANT</p>", subtype="html")
    message.add_attachment(b"Risk: vendor delay\n", maintype="text", subtype="plain", filename="notes.txt")
    message.add_attachment(
        pdf_bytes("The contract is signed."), maintype="application", subtype="pdf", filename="contract.pdf"
    )
    return message


def test_email_headers_body_quotes_and_attachments(tmp_path: Path) -> None:
    doc = extract(write(tmp_path, "reply.eml", bytes(reply_email())), EML)
    headers = kinds(doc, BlockKind.EMAIL_HEADER)
    assert [b.meta["field"] for b in headers] == ["from", "to", "cc", "date", "subject"]
    assert headers[0].text == "From: Alice Example <alice@example.com>"
    assert headers[-1].text == f"Subject: Re: Budget {DASH} Q3"
    meta = doc.metadata
    assert meta.title == f"Re: Budget {DASH} Q3"
    assert meta.author == "Alice Example <alice@example.com>"
    assert meta.created == "2024-03-05T10:15:00+01:00"
    assert meta.email["to"] == "Bob <bob@example.com>, carol@example.com"
    assert meta.email["message_id"] == "<abc123@example.com>"
    assert "HTML ONLY VARIANT" not in doc.text
    body = [b for b in doc.blocks if b.page == 1 and b.kind is BlockKind.PARAGRAPH]
    assert [(b.text, b.meta.get("quoted", False)) for b in body] == [
        ("Hi Bob,", False),
        ("Ann will send the budget by Friday.", False),
        ("On Mon, 4 Mar 2024 at 09:00, Bob <bob@example.com> wrote:", True),
        ("Can we get the budget? It is urgent.", True),
    ]
    assert [(a.filename, a.media_type, a.extracted, a.text) for a in meta.attachments] == [
        ("notes.txt", PLAIN, True, None),
        ("contract.pdf", "application/pdf", True, None),
    ]
    assert meta.attachments[0].size_bytes == len(b"Risk: vendor delay\n")
    assert [p.label for p in doc.pages] == [None, "Attachment: notes.txt", "Attachment: contract.pdf"]
    notes = [b for b in doc.blocks if b.page == 2]
    assert [(b.text, b.meta) for b in notes] == [("Risk: vendor delay", {"attachment": "notes.txt"})]
    assert any("The contract is signed." in b.text for b in doc.blocks if b.page == 3)
    assert doc.text.count("Risk: vendor delay") == 1


def test_email_with_only_an_html_body(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "ann@example.com", "Status"
    message.set_content(
        "<div>Done, see below.<br><br>Ann</div><div class='gmail_quote'>"
        "<div>On Mon, 4 Mar 2024, Bob wrote:</div><blockquote><p>Is it done?</p></blockquote></div>",
        subtype="html",
    )
    doc = extract(write(tmp_path, "html.eml", bytes(message)), EML)
    body = [(b.text, b.meta) for b in doc.blocks if b.kind is BlockKind.PARAGRAPH]
    assert body == [
        ("Done, see below.", {}),
        ("Ann", {}),
        ("On Mon, 4 Mar 2024, Bob wrote:", {"quoted": True}),
        ("Is it done?", {"quoted": True}),
    ]
    assert doc.metadata.email == {"from": "ann@example.com", "subject": "Status"}


def test_outlook_original_message_is_quoted(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "ann@example.com", "FW: plan"
    message.set_content("Agreed.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nShip it?\n")
    doc = extract(write(tmp_path, "outlook.eml", bytes(message)), EML)
    body = [(b.text, b.meta.get("quoted", False)) for b in doc.blocks if b.kind is BlockKind.PARAGRAPH]
    assert body == [
        ("Agreed.", False),
        ("-----Original Message----- From: Bob Sent: Monday", True),
        ("Ship it?", True),
    ]


def test_unreadable_attachments_are_warnings(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "ann@example.com", "Files"
    message.set_content("See attached.")
    message.add_attachment(
        b"%PDF-1.7\n" + b"\x00garbage" * 200,
        maintype="application",
        subtype="pdf",
        filename="../../broken.pdf",
    )
    message.add_attachment(
        b"PK\x03\x04" + bytes(100), maintype="application", subtype="zip", filename="a.zip"
    )
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "bob@example.com", "Original"
    inner.set_content("Forwarded text")
    message.add_attachment(inner)
    doc = extract(write(tmp_path, "files.eml", bytes(message)), EML)
    assert doc.text.endswith("See attached.")
    listed = [(a.filename, a.media_type, a.extracted) for a in doc.metadata.attachments]
    assert listed == [
        ("../../broken.pdf", "application/pdf", False),
        ("a.zip", "application/zip", False),
        ("attachment-3.eml", "message/rfc822", False),
    ]
    assert len(doc.metadata.warnings) == 2
    assert all(w.startswith("Attachment '") for w in doc.metadata.warnings)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage\xff" * 100, b"just some words\nand more\n"])
def test_garbage_email_is_corrupt(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(CorruptDocument):
        extract(write(tmp_path, "bad.eml", content), EML)


def test_the_registry_picks_the_extractor_for_each_media_type(tmp_path: Path) -> None:
    path = write(tmp_path, "reply.eml", bytes(reply_email()))
    assert best_extractor(path, sniff(path, path.name)).name == "email"
    expected = {PLAIN: "text", MARKDOWN: "markdown", HTML: "html", PDF: "pdf", DOCX: "docx", XLSX: "xlsx"}
    for media_type, name in expected.items():
        assert best_extractor(tmp_path / "any", media_type).name == name
