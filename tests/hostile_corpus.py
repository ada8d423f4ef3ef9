"""A deterministic corpus of hostile files: bombs, corrupt and lying formats, pathological text.

`python -m tests.hostile_corpus DIR` writes it to DIR; tests/test_hostile_corpus.py uploads it.
"""

from __future__ import annotations

import base64
import datetime
import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import openpyxl
import pptx
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from tests.test_extract_hostile import BILLION_LAUGHS, giant_png

MB = 1024 * 1024
SEED = 11
FIXED_TIME = datetime.datetime(2026, 1, 1)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
UPLOAD_LIMIT = 50 * MB  # pmdi.config.UploadSettings.max_bytes
Corpus = dict[str, bytes]
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
W_NS = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def pdf(pages: int = 3, encrypt: str | StandardEncryption | None = None) -> bytes:
    buffer = io.BytesIO()
    page_canvas = canvas.Canvas(buffer, encrypt=encrypt, invariant=True)
    for page in range(pages):
        page_canvas.drawString(72, 720, f"Page {page + 1}: Action: Ann to sign the vendor contract.")
        page_canvas.showPage()
    page_canvas.save()
    return buffer.getvalue()


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "docx":
        document = docx.Document()
        document.core_properties.created = document.core_properties.modified = FIXED_TIME
        document.add_paragraph("Quarterly plan")
        document.save(buffer)
    elif kind == "xlsx":
        book = openpyxl.Workbook()
        book.properties.created = book.properties.modified = FIXED_TIME
        book.active.append(["Risk", "Owner"])
        book.save(buffer)
    else:
        deck = pptx.Presentation()
        deck.core_properties.created = deck.core_properties.modified = FIXED_TIME
        deck.slides.add_slide(deck.slide_layouts[1]).shapes.title.text = "Plan"
        deck.save(buffer)
    return buffer.getvalue()


MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/worksheets/sheet1.xml", "pptx": "ppt/slides/slide1.xml"}


def rewrite(base: bytes, replace: dict[str, bytes], streams: dict[str, int] | None = None) -> bytes:
    """Copy an OOXML archive, replacing or adding parts; `streams` adds parts of that many zero bytes."""
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, replace.pop(item.filename, b"") or source.read(item.filename))
        for name, content in replace.items():
            target.writestr(zipfile.ZipInfo(name, ZIP_TIME), content, zipfile.ZIP_DEFLATED)
        for name, size in (streams or {}).items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as part:
                for _ in range(size // MB):
                    part.write(bytes(MB))
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def pdf_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = pdf()
    for i in range(30):
        yield f"pdf-truncated-{i:02}.pdf", good[: rng.randrange(8, len(good))]
    for i in range(15):
        flipped = bytearray(good)
        for _ in range(rng.randrange(1, 40)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        yield f"pdf-flipped-{i:02}.pdf", bytes(flipped)
    yield "pdf-bad-startxref.pdf", good.replace(b"startxref", b"startxref\n999999999\n%")
    yield "pdf-no-xref.pdf", good[: good.rfind(b"xref")] + b"%%EOF\n"
    yield "pdf-header-only.pdf", b"%PDF-1.7\n%%EOF\n"
    yield "pdf-garbage.pdf", b"%PDF-1.4\n" + rng.randbytes(40_000)
    yield "pdf-encrypted-user.pdf", pdf(encrypt="secret")
    yield "pdf-encrypted-owner-only.pdf", pdf(encrypt=StandardEncryption("", ownerPassword="owner"))
    yield (
        "pdf-encrypt-dict-bogus.pdf",
        good.replace(b"trailer\n<<", b"trailer\n<< /Encrypt << /V 99 /R 99 >>"),
    )
    yield "pdf-deep-array.pdf", _pdf_with(b"[" * 20_000 + b"]" * 20_000)
    yield "pdf-stream-bomb.pdf", _pdf_content_bomb(200 * MB)
    yield "pdf-page-count-lie.pdf", good.replace(b"/Count 3", b"/Count 999999999")
    yield "pdf-cyclic-pages.pdf", good.replace(b"/Parent", b"/Kids [3 0 R] /Parent")
    yield "pdf-named.docx", good
    yield "pdf-in-text.txt", b"hello " + good


def _pdf_with(obj: bytes, stream: bytes = b"", filters: bytes = b"") -> bytes:
    """A hand-made one-page PDF whose object 5 is `obj` and whose content stream is `stream`."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Extra 5 0 R >>",
        b"<< /Length %d %s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
        obj,
    ]
    body, offsets = b"%PDF-1.7\n", []
    for number, content in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + xref + b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body)


def _pdf_content_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf (A) Tj ET\n" * (MB // 23)
    data = b"".join(compressor.compress(chunk) for _ in range(size // len(chunk))) + compressor.flush()
    return _pdf_with(b"null", data, b"/Filter /FlateDecode")


def office_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for kind in ("docx", "xlsx", "pptx"):
        base, part = office(kind), MAIN_PART[kind]
        yield f"{kind}-zero-bomb.{kind}", rewrite(base, {}, {"media/padding.bin": 300 * MB})
        yield f"{kind}-xml-bomb.{kind}", rewrite(base, {part: _xml_bomb(kind, 300 * MB)})
        yield f"{kind}-laughs.{kind}", rewrite(base, {part: BILLION_LAUGHS})
        yield f"{kind}-xxe.{kind}", rewrite(base, {part: XXE + _xml_root(kind, b"&xxe;")})
        yield f"{kind}-nested-zip.{kind}", rewrite(base, {"inner.zip": rewrite(base, {}, {"z.bin": 50 * MB})})
        yield f"{kind}-main-garbage.{kind}", rewrite(base, {part: rng.randbytes(5_000)})
        yield f"{kind}-main-empty.{kind}", rewrite(base, {part: b" "})
        yield (
            f"{kind}-deep-xml.{kind}",
            rewrite(base, {part: _xml_root(kind, b"<a>" * 50_000 + b"</a>" * 50_000)}),
        )
        yield f"{kind}-many-parts.{kind}", rewrite(base, {f"junk/{i}.xml": b"<a/>" for i in range(20_000)})
        yield f"{kind}-truncated.{kind}", base[: len(base) // 2]
        yield f"{kind}-named.pdf", base
        yield f"{kind}-bad-content-types.{kind}", rewrite(base, {"[Content_Types].xml": b"<Types"})
    yield "xlsx-huge-dimension.xlsx", rewrite(office("xlsx"), {MAIN_PART["xlsx"]: _huge_sheet()})
    yield "xlsx-shared-strings-bomb.xlsx", rewrite(office("xlsx"), {"xl/sharedStrings.xml": BILLION_LAUGHS})
    yield (
        "docx-utf16-main.docx",
        rewrite(office("docx"), {MAIN_PART["docx"]: "<w:document/>".encode("utf-16")}),
    )


def _xml_root(kind: str, inner: bytes) -> bytes:
    if kind == "docx":
        return (
            b"<w:document "
            + W_NS
            + b"><w:body><w:p><w:r><w:t>"
            + inner
            + b"</w:t></w:r></w:p></w:body></w:document>"
        )
    if kind == "xlsx":
        ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        return (
            b"<worksheet "
            + ns
            + b"><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>"
            + inner
            + (b"</t></is></c></row></sheetData></worksheet>")
        )
    ns = b'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
    ns += b'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    return b"<p:sld " + ns + b"><p:cSld><p:spTree><a:t>" + inner + b"</a:t></p:spTree></p:cSld></p:sld>"


def _xml_bomb(kind: str, size: int) -> bytes:
    """Text that deflates ~1000:1: the archive is small, the part is `size` bytes."""
    return _xml_root(kind, b"A" * size)


def _huge_sheet() -> bytes:
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rows = b"".join(b"<row r='%d'><c r='XFD%d'><v>1</v></c></row>" % (r, r) for r in range(1, 1_048_577, 997))
    return (
        b"<worksheet "
        + ns
        + b"><dimension ref='A1:XFD1048576'/><sheetData>"
        + rows
        + b"</sheetData></worksheet>"
    )


def image_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "png-bomb.png", giant_png()
    for i, (w, h) in enumerate(
        [(100_000, 100_000), (2**31 - 1, 1), (1, 2**31 - 1), (0, 0), (65_535, 65_535)]
    ):
        yield f"png-declared-{i}.png", png_header(w, h, zlib.compress(bytes(100)))
    good = png_header(16, 16, zlib.compress(b"".join(b"\x00" + bytes(48) for _ in range(16))))
    yield "png-bad-crc.png", good[:-5] + b"\x00" + good[-4:]
    for i in range(5):
        yield f"png-truncated-{i}.png", good[: rng.randrange(8, len(good))]
    yield "png-named.csv", good
    yield "png-garbage-idat.png", png_header(64, 64, rng.randbytes(4_000))
    yield "jpeg-header-only.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(200)
    yield "jpeg-huge-sof.jpg", b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03" + bytes(9) + b"\xff\xd9"
    tiff_huge = b"II*\x00\x08\x00\x00\x00\x02\x00" + struct.pack("<HHII", 256, 4, 1, 10**9)
    yield "tiff-huge.tiff", tiff_huge + struct.pack("<HHII", 257, 4, 1, 10**9) + bytes(4)
    yield "tiff-garbage.tif", b"MM\x00*" + rng.randbytes(3_000)


def text_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for ext in ("txt", "csv", "md"):
        yield f"nul-heavy.{ext}", b"a,b\n" + b"\x00" * 10_000 + b"\nAction: Ann to reply.\n"
        yield f"nul-sprinkled.{ext}", b"\x00".join(b"word%d" % i for i in range(5_000))
        yield f"bom-utf16-odd.{ext}", b"\xff\xfe" + "Risk: late".encode("utf-16-le") + b"\x00"
        yield f"bom-utf16be-then-utf8.{ext}", b"\xfe\xff" + "\u00e9 Plan \u2013 done \u2713".encode()
        yield f"bom-utf8-latin1.{ext}", b"\xef\xbb\xbf" + "Caf\xe9 d\xe9cision".encode("latin-1")
        yield f"bom-mixed.{ext}", b"\xef\xbb\xbf\xff\xfe\xfe\xff" + rng.randbytes(50) + b"text"
        yield f"invalid-utf8.{ext}", b"Decision: " + b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc" * 500
        yield f"surrogates.{ext}", b"\xed\xa0\x80\xed\xbf\xbf Action item " * 300
        yield f"one-huge-line.{ext}", b"x" * (8 * MB)
        yield f"only-newlines.{ext}", b"\n" * 2_000_000
        yield f"control-chars.{ext}", bytes(range(1, 32)) * 2_000
    yield "csv-wide.csv", b",".join(b"c%d" % i for i in range(100_000)) + b"\n" + b"1," * 100_000
    yield "csv-unbalanced-quotes.csv", b'a,"b\n' * 50_000
    yield "csv-huge-field.csv", b'a,"' + b"y" * (4 * MB) + b'"\n'
    yield "md-deep-list.md", b"".join(b"  " * i + b"- item\n" for i in range(10_000))
    yield "md-deep-quote.md", b">" * 100_000 + b" quote\n"
    yield "md-deep-emphasis.md", b"*" * 50_000 + b"a" + b"*" * 50_000
    yield "md-link-storm.md", b"[" * 50_000 + b"](" * 50_000
    yield "md-table-wide.md", b"|" + b"a|" * 50_000 + b"\n|" + b"-|" * 50_000 + b"\n"
    yield "json-deep.txt", b"[" * 100_000 + b"]" * 100_000
    yield "txt-only-spaces.txt", b" " * 100_000
    yield "txt-rtl-overrides.txt", "\u202e\u2066 Action: exfiltrate \u2069".encode() * 2_000


def html_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    head = b"<!DOCTYPE html><html><body>"
    yield "html-deep-div.html", head + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000
    yield "html-unclosed.html", head + b"<table><tr><td><ul><li>" * 20_000
    yield (
        "html-laughs.html",
        BILLION_LAUGHS.replace(b"<w:document", b"<html><body><p", 1) + b"</p></body></html>",
    )
    yield "html-xxe.html", XXE + b"<html><body><p>&xxe;</p></body></html>"
    yield "html-entity-storm.html", head + b"&amp;&#x10FFFF;&#0;&#xD800;&bogus;" * 100_000
    yield "html-huge-attribute.html", head + b'<p title="' + b"a" * (8 * MB) + b'">x</p>'
    yield "html-script-only.html", head + b"<script>" + b"var a=1;" * 100_000 + b"</script>"
    yield "html-nul.html", head + b"<p>\x00\x00nul</p>" * 10_000
    yield "html-invalid-charset.html", b'<html><head><meta charset="x-no-such-charset"></head><body>hi</body>'
    yield "html-comment-bomb.html", b"<!--" * 100_000 + b"<html><body>x"
    yield "svg-laughs.svg", BILLION_LAUGHS.replace(b"<w:document", b"<svg", 1)
    yield "svg-xxe.html", XXE + b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'
    yield "html-garbage.html", b"<html>" + rng.randbytes(20_000)


def mail_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    top = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: plan\r\nMIME-Version: 1.0\r\n"
    multipart = b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
    yield "eml-no-boundary.eml", top + b"Content-Type: multipart/mixed\r\n\r\n--XX\r\nbody\r\n"
    yield "eml-unterminated.eml", top + multipart + b"--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    yield "eml-huge-header.eml", top + b"X-Junk: " + b"a" * (4 * MB) + b"\r\n\r\nbody\r\n"
    yield "eml-many-headers.eml", top + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)) + b"\r\nbody"
    yield "eml-folded-forever.eml", top + b"X-Fold: a\r\n" + b" b\r\n" * 200_000 + b"\r\nbody"
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="B%d"\r\n\r\n--B%d\r\n' % (i, i) for i in range(5_000)
    )
    yield "eml-deep-multipart.eml", top + nested + b"Content-Type: text/plain\r\n\r\nleaf\r\n"
    yield "eml-bad-base64.eml", top + b"Content-Transfer-Encoding: base64\r\n\r\n" + b"!!@@##" * 10_000
    yield (
        "eml-bad-qp.eml",
        top + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + b"=ZZ=\r\n=" * 10_000,
    )
    yield "eml-unknown-charset.eml", top + b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe text"
    yield "eml-encoded-word-junk.eml", top.replace(b"plan", b"=?x-bad?Q?=ZZ=?= =?utf-8?B?!!!?=") + b"\r\nbody"
    bomb = rewrite(office("docx"), {}, {"padding.bin": 300 * MB})
    attachment = b'--XX\r\nContent-Type: application/octet-stream; name="b.docx"\r\n'
    attachment += b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(bomb) + b"--XX--\r\n"
    yield (
        "eml-bomb-attachment.eml",
        top + multipart + b"--XX\r\nContent-Type: text/plain\r\n\r\nsee\r\n" + attachment,
    )
    yield "eml-nul-body.eml", top + b"\r\n" + b"\x00" * 100_000
    yield "eml-header-no-colon.eml", b"From: a@example.org\r\nthis is not a header\r\nSubject: x\r\n\r\nbody"
    yield "eml-garbage-after-headers.eml", top + b"\r\n" + rng.randbytes(30_000)


def misc_cases(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    for ext in ("pdf", "docx", "txt", "csv", "md", "png", "eml", "html"):
        yield f"empty.{ext}", b""
    for i, ext in enumerate(("pdf", "docx", "txt", "csv", "md", "png", "bin", "xlsx", "html", "eml") * 2):
        yield f"garbage-{i:02}.{ext}", rng.randbytes(rng.randrange(1, 200_000))
    yield "exe-named.pdf", b"MZ\x90\x00" + rng.randbytes(4_000)
    yield "elf-named.txt", b"\x7fELF" + rng.randbytes(4_000)
    yield "gzip-named.md", b"\x1f\x8b\x08\x00" + rng.randbytes(1_000)
    yield "ole-named.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(4_000)
    yield "plain-zip.docx", _plain_zip()
    yield "zip-named.txt", _plain_zip()
    yield "script.txt", b"#!/bin/sh\nrm -rf /\n"
    yield "over-upload-limit.pdf", b"%PDF-1.7\n" + bytes(UPLOAD_LIMIT)


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("readme.txt", ZIP_TIME), "not an office file")
    return out.getvalue()


GROUPS: list[Callable[[random.Random], Iterator[tuple[str, bytes]]]] = [
    pdf_cases,
    office_cases,
    image_cases,
    text_cases,
    html_cases,
    mail_cases,
    misc_cases,
]


def generate() -> Corpus:
    """The same bytes on every run: each group draws from its own seeded generator."""
    corpus: Corpus = {}
    for index, group in enumerate(GROUPS):
        for name, content in group(random.Random(SEED * 100 + index)):
            assert name not in corpus, name
            corpus[name] = content
    return corpus


def write(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    corpus = generate()
    for name, content in corpus.items():
        (directory / name).write_bytes(content)
    return len(corpus)


if __name__ == "__main__":
    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")), "files")
