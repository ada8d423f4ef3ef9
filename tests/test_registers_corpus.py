"""Register precision on the real corpus: every folder as one project, processed in order.

These series (minutes months or years apart, retros, status notes) were read by hand: no extracted item of
one document is the same task as an extracted item of another. So no item may carry extracted mentions from
two documents, and suggested duplicates stay few (a person reviews each).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from tests.conftest import client_for
from tests.helpers import Api
from tests.jobs_support import fresh_app, wait_settled

MAX_SUGGESTED_DUPLICATES = 8


async def test_no_false_merges_across_the_corpus_series(tmp_root: Path, corpus: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user("corpus-registers")
        await api.org(owner, "Corpus")
        projects, total = [], 0
        for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
            project = await api.project(owner, folder.name)
            projects.append(project)
            for path in sorted(folder.iterdir()):
                await api.uploaded(owner, project, path.name, path.read_bytes())
                total += 1
        settled = await wait_settled(client, owner, total, within=600)
        assert {d["status"] for d in settled} <= {"indexed", "failed"}
        items = []
        for project in projects:
            response = await client.get(
                "/api/v1/register-items", params={"project": project, "limit": 200}, headers=owner.headers
            )
            items += response.json()["items"]
        assert len(items) > 200, "the analyzer found far fewer items than before"
        merged = []
        for item in [i for i in items if i["mention_count"] > 1]:
            detail = (await client.get(f"/api/v1/register-items/{item['id']}", headers=owner.headers)).json()
            sources: dict[str, int] = defaultdict(int)
            for mention in detail["mentions"]:
                if mention["kind"] == "item":
                    sources[mention["document_id"]] += 1
            if len(sources) > 1 or any(n > 1 for n in sources.values()):
                merged.append(f"{item['text']!r}: {[m['quote'][:80] for m in detail['mentions']]}")
        assert not merged, "\n".join(merged)
        suggested = [i for i in items if i["duplicate_of_id"]]
        assert len(suggested) <= MAX_SUGGESTED_DUPLICATES, [i["text"] for i in suggested]
