"""Hostile uploads get a clear 4xx and leave nothing behind: no row, no blob, no temporary file."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from pmdi.config import Settings
from tests.helpers import Api, User, text_file
from tests.test_documents import stored_files


@pytest.fixture
async def target(api: Api) -> tuple[User, str]:
    owner = await api.user("owner")
    await api.org(owner)
    return owner, await api.project(owner)


def zip_bytes(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


HOSTILE = [
    pytest.param("empty.pdf", b"", 400, "EmptyFile", "empty", id="zero-bytes"),
    pytest.param(
        "invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, 415, "UnsupportedFileType", "executable", id="exe"
    ),
    pytest.param("../../etc/passwd", b"root:x:0:0", 400, "InvalidFilename", "directories", id="traversal"),
    pytest.param("..\\..\\win.ini", b"[fonts]", 400, "InvalidFilename", "directories", id="backslash"),
    pytest.param("..", b"data", 400, "InvalidFilename", "'..'", id="dotdot"),
    pytest.param("x.bin", bytes(range(256)) * 8, 415, "UnsupportedFileType", "not a recognised", id="random"),
    pytest.param("a.zip", zip_bytes(["evil.sh"]), 415, "UnsupportedFileType", "ZIP", id="zip"),
    pytest.param(
        "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, 415, "UnsupportedFileType", "legacy"
    ),
    pytest.param("broken.docx", b"PK\x03\x04garbage", 415, "UnsupportedFileType", "corrupt", id="broken-zip"),
]


@pytest.mark.parametrize(("name", "content", "status", "error", "mentions"), HOSTILE)
async def test_hostile_file_is_refused_and_nothing_is_kept(
    api: Api,
    client: httpx.AsyncClient,
    settings: Settings,
    target: tuple[User, str],
    name: str,
    content: bytes,
    status: int,
    error: str,
    mentions: str,
) -> None:
    owner, project_id = target
    before = stored_files(settings)
    # A valid file first: the request is all-or-nothing, so it must not be kept either.
    response = await api.upload(owner, project_id, ("fine.txt", text_file()), (name, content))
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert mentions.lower() in response.json()["detail"].lower()
    await assert_nothing_kept(client, settings, owner, project_id, before)


async def assert_nothing_kept(
    client: httpx.AsyncClient, settings: Settings, owner: User, project_id: str, before: set[object]
) -> None:
    listed = await client.get("/api/v1/documents", params={"project_id": project_id}, headers=owner.headers)
    assert listed.json()["total"] == 0
    assert stored_files(settings) == before


async def test_oversized_upload_is_refused_while_streaming(
    api: Api, client: httpx.AsyncClient, settings: Settings, target: tuple[User, str]
) -> None:
    owner, project_id = target
    before = stored_files(settings)
    big = b"a" * (settings.uploads.max_bytes + 1)
    response = await api.upload(owner, project_id, ("big.txt", big))
    assert response.status_code == 413
    assert response.json()["error"] == "FileTooLarge"
    assert "MB upload limit" in response.json()["detail"]
    await assert_nothing_kept(client, settings, owner, project_id, before)


def raw_multipart(filename: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = "pmdiboundary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("filename", [b"report\x00.exe.pdf", b"a\x01b.txt", b"\x00"])
async def test_control_characters_in_name_are_refused(
    client: httpx.AsyncClient, settings: Settings, target: tuple[User, str], filename: bytes
) -> None:
    owner, project_id = target
    before = stored_files(settings)
    body, content_type = raw_multipart(filename, b"%PDF-1.4 hello")
    response = await client.post(
        f"/api/v1/projects/{project_id}/documents",
        content=body,
        headers={**owner.headers, "Content-Type": content_type},
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"InvalidFilename", "MalformedUpload"}
    await assert_nothing_kept(client, settings, owner, project_id, before)


async def test_malformed_requests_get_clear_errors(
    api: Api, client: httpx.AsyncClient, settings: Settings, target: tuple[User, str]
) -> None:
    owner, project_id = target
    url = f"/api/v1/projects/{project_id}/documents"
    as_json = await client.post(url, json={"files": "x"}, headers=owner.headers)
    assert as_json.status_code == 400
    assert "multipart/form-data" in as_json.json()["detail"]
    no_file = await client.post(url, data={"note": "hi"}, files={"other": ("", b"")}, headers=owner.headers)
    assert no_file.status_code == 400
    truncated, content_type = raw_multipart(b"a.txt", b"hello")
    cut = await client.post(
        url, content=truncated[:-20], headers={**owner.headers, "Content-Type": content_type}
    )
    assert cut.status_code == 400
    too_many = [(f"f{i}.txt", text_file(str(i))) for i in range(settings.uploads.max_files_per_request + 1)]
    many = await api.upload(owner, project_id, *too_many)
    assert many.status_code == 400
    assert "At most" in many.json()["detail"]


async def test_names_are_sanitised_for_display(api: Api, target: tuple[User, str]) -> None:
    owner, project_id = target
    document = await api.uploaded(owner, project_id, "q3 plan\u202e<script>|x.md", text_file())
    assert document["filename"] == "q3 plan_script__x.md"
    assert document["original_filename"] == "q3 plan\u202e<script>|x.md"
    assert document["media_type"] == "text/markdown"


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("page.html", b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "text/html"),
        (
            "mail.eml",
            b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nBody",
            "message/rfc822",
        ),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
        ("notes.txt", "Caf\u00e9 notes \u2014 d\u00e9cision".encode("cp1252", "replace"), "text/plain"),
        ("utf16.txt", "\ufeffhello".encode("utf-16"), "text/plain"),
        (
            "deck.pptx",
            zip_bytes(["[Content_Types].xml", "ppt/presentation.xml"]),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ],
)
async def test_type_is_sniffed_from_content(
    api: Api, target: tuple[User, str], name: str, content: bytes, media_type: str
) -> None:
    owner, project_id = target
    document = await api.uploaded(owner, project_id, name, content)
    assert document["media_type"] == media_type
