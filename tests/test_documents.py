from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from pmdi.config import Settings
from tests.helpers import Api, User, text_file


def stored_files(settings: Settings) -> set[Path]:
    roots = [settings.storage.local_root, settings.data_dir / "tmp"]
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
async def owner_project(api: Api) -> tuple[User, str]:
    owner = await api.user("owner")
    await api.org(owner)
    return owner, await api.project(owner)


async def test_upload_list_get_and_download_identical_bytes(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str], corpus: Path
) -> None:
    owner, project_id = owner_project
    pdf = next(corpus.rglob("*.pdf")).read_bytes()
    response = await api.upload(owner, project_id, ("Status report.pdf", pdf))
    assert response.status_code == 201
    item = response.json()["items"][0]
    assert item["duplicate"] is False
    document = item["document"]
    assert document["status"] == "queued"
    assert document["media_type"] == "application/pdf"
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert document["size_bytes"] == len(pdf)

    listed = await client.get("/api/v1/documents", params={"project_id": project_id}, headers=owner.headers)
    assert [(d["id"], d["status"]) for d in listed.json()["items"]] == [(document["id"], "queued")]
    got = await client.get(f"/api/v1/documents/{document['id']}", headers=owner.headers)
    assert got.json()["filename"] == "Status report.pdf"

    download = await client.get(f"/api/v1/documents/{document['id']}/content", headers=owner.headers)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]


async def test_every_corpus_format_is_accepted_with_its_sniffed_type(
    api: Api, owner_project: tuple[User, str], corpus: Path
) -> None:
    owner, project_id = owner_project
    expected = {
        ".pdf": "application/pdf",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".csv": "text/csv",
        ".md": "text/markdown",
    }
    for suffix, media_type in expected.items():
        sample = next(corpus.rglob(f"*{suffix}"))
        document = await api.uploaded(owner, project_id, sample.name, sample.read_bytes())
        assert document["media_type"] == media_type, sample


async def test_multi_file_upload_and_duplicates(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str]
) -> None:
    owner, project_id = owner_project
    a, b = text_file("alpha"), text_file("beta")
    response = await api.upload(owner, project_id, ("a.txt", a), ("b.md", b), ("a-again.txt", a))
    assert response.status_code == 201
    items = response.json()["items"]
    assert [i["duplicate"] for i in items] == [False, False, True]
    assert items[2]["document"]["id"] == items[0]["document"]["id"]
    assert items[1]["document"]["media_type"] == "text/markdown"

    again = await api.upload(owner, project_id, ("renamed.txt", a))
    assert again.status_code == 200
    assert again.json()["items"][0] == {**items[0], "duplicate": True}
    total = await client.get("/api/v1/documents", params={"project_id": project_id}, headers=owner.headers)
    assert total.json()["total"] == 2

    other_project = await api.project(owner)
    elsewhere = await api.upload(owner, other_project, ("a.txt", a))
    assert elsewhere.status_code == 201


async def test_list_filters_and_pagination(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str]
) -> None:
    owner, project_id = owner_project
    names = ["Weekly status 1.txt", "Weekly status 2.txt", "Risk_register.csv", "100% done.txt"]
    for name in names:
        await api.uploaded(
            owner, project_id, name, text_file(name) + (b",a,b\n" if name.endswith(".csv") else b"")
        )

    async def ids(**params: str | int) -> list[str]:
        response = await client.get("/api/v1/documents", params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        return [d["filename"] for d in response.json()["items"]]

    assert sorted(await ids(q="weekly")) == ["Weekly status 1.txt", "Weekly status 2.txt"]
    assert await ids(q="100%") == ["100% done.txt"]
    assert await ids(q="_") == ["Risk_register.csv"]
    assert await ids(media_type="text/csv") == ["Risk_register.csv"]
    assert len(await ids(status="queued", project_id=project_id)) == 4
    assert await ids(status="failed") == []
    assert await ids(type="meeting_notes") == []
    page = await client.get("/api/v1/documents", params={"limit": 3, "offset": 3}, headers=owner.headers)
    assert page.json()["total"] == 4
    assert len(page.json()["items"]) == 1
    bad = await client.get("/api/v1/documents", params={"status": "bogus", "limit": 0}, headers=owner.headers)
    assert bad.status_code == 422


async def test_delete_removes_row_and_unshared_blob(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str], settings: Settings
) -> None:
    owner, project_id = owner_project
    content = text_file()
    first = await api.uploaded(owner, project_id, "a.txt", content)
    second = await api.uploaded(owner, await api.project(owner), "a.txt", content)
    blobs = [p for p in stored_files(settings) if p.name == first["sha256"]]
    assert len(blobs) == 1
    blob = blobs[0]

    assert (await client.delete(f"/api/v1/documents/{first['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/documents/{first['id']}", headers=owner.headers)).status_code == 404
    assert blob.exists(), "the blob is still used by the second project's document"
    assert (
        await client.delete(f"/api/v1/documents/{second['id']}", headers=owner.headers)
    ).status_code == 204
    assert not blob.exists()


async def test_reprocess_requeues_and_records_a_job(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str]
) -> None:
    owner, project_id = owner_project
    document = await api.uploaded(owner, project_id, "a.txt", text_file())
    response = await client.post(f"/api/v1/documents/{document['id']}/reprocess", headers=owner.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    audit = await client.get("/api/v1/audit-events", headers=owner.headers)
    assert "document.uploaded" in [e["action"] for e in audit.json()["items"]]


async def test_project_crud_and_cascade(
    api: Api, client: httpx.AsyncClient, owner_project: tuple[User, str], settings: Settings
) -> None:
    owner, project_id = owner_project
    duplicate = await client.post("/api/v1/projects", json={"name": "Apollo"}, headers=owner.headers)
    assert duplicate.status_code == 201
    clash = await client.post("/api/v1/projects", json={"name": "Apollo"}, headers=owner.headers)
    assert clash.status_code == 409
    renamed = await client.patch(
        f"/api/v1/projects/{project_id}", json={"name": "Gemini", "description": "d"}, headers=owner.headers
    )
    assert renamed.json()["name"] == "Gemini"
    assert renamed.json()["description"] == "d"
    rename_clash = await client.patch(
        f"/api/v1/projects/{project_id}", json={"name": "Apollo"}, headers=owner.headers
    )
    assert rename_clash.status_code == 409

    document = await api.uploaded(owner, project_id, "a.txt", text_file())
    assert (await client.delete(f"/api/v1/projects/{project_id}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/documents/{document['id']}", headers=owner.headers)).status_code == 404
    assert not [p for p in stored_files(settings) if p.name == document["sha256"]]
    listing = await client.get("/api/v1/projects", headers=owner.headers)
    assert [p["name"] for p in listing.json()["items"]] == ["Apollo"]


async def test_member_uploads_but_cannot_delete_projects(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner)
    member = await api.add_member(owner, org_id, "member")
    project_id = await api.project(member)
    await api.uploaded(member, project_id, "m.txt", text_file())
    assert (await client.delete(f"/api/v1/projects/{project_id}", headers=member.headers)).status_code == 403


async def test_nul_in_a_filter_is_a_clear_422(
    client: httpx.AsyncClient, owner_project: tuple[User, str]
) -> None:
    # PostgreSQL refuses U+0000 even as a query parameter, so the search used to crash with a 500.
    owner, _ = owner_project
    response = await client.get("/api/v1/documents", params={"q": "weekly\x00"}, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ValidationError"
