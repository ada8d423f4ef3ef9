"""The webhooks settings page over HTTP: create (the secret shown once), disable and enable, test, the
delivery log with redelivery, delete, refusals, and who may see it."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.conftest import client_for
from tests.helpers import Api, User
from tests.web_support import open_page, sign_in
from tests.webhooks_support import PUBLIC_URL

PAGE = "/settings/webhooks"


async def hooks(api: Api, user: User) -> list[dict[str, object]]:
    response = await api.client.get("/api/v1/webhooks", headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_an_admin_manages_webhooks_on_the_settings_page(app: FastAPI, api: Api) -> None:
    owner = await api.user("web-hooks")
    await api.org(owner, "Web hooks")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        page, token = await open_page(browser, PAGE)
        assert '<a href="/settings/webhooks" aria-current="page">Webhooks</a>' in page
        assert "No webhooks yet." in page
        form = {"url": PUBLIC_URL, "events": ["document.processed", "risk.created"], "csrf": token}
        made = await browser.post(PAGE, data={**form, "min_severity": "high", "description": "<b>ops</b>"})
        assert (made.status_code, made.headers["cache-control"]) == (200, "no-store")
        secret = re.search(r'class="wide secret" readonly value="(whsec_[^"]+)"', made.text)
        assert secret, "the signing secret is not shown"
        assert "&lt;b&gt;ops&lt;/b&gt;" in made.text
        [hook] = await hooks(api, owner)
        assert (hook["events"], hook["filters"]) == (
            ["document.processed", "risk.created"],
            {"min_severity": "high"},
        )
        again, _ = await open_page(browser, PAGE)
        assert secret[1] not in again, "the secret is shown once only"
        assert "risks: high severity or above" in again

        base = f"{PAGE}/{hook['id']}"
        assert (await browser.post(f"{base}/disable", data={"csrf": token})).status_code == 303
        disabled, _ = await open_page(browser, PAGE)
        assert f"Disabled by {owner.email}." in disabled
        assert f'action="{base}/test"' not in disabled
        assert (await browser.post(f"{base}/enable", data={"csrf": token})).status_code == 303
        sent = await browser.post(f"{base}/test", data={"csrf": token})
        assert (sent.status_code, sent.headers["location"]) == (303, base)

        log, _ = await open_page(browser, base)
        redeliver = re.search(rf'action="({base}/deliveries/[0-9a-f-]+/redeliver)"', log)
        assert redeliver, "no redeliver button"
        assert "<code>ping</code>" in log
        assert (await browser.post(redeliver[1], data={"csrf": token})).status_code == 303
        log, _ = await open_page(browser, base)
        assert log.count("<code>ping</code>") == 2
        assert "redelivery" in log

        refused = await browser.post(PAGE, data={**form, "url": "http://10.0.0.1/hook"})
        assert refused.status_code == 400
        assert "non-public address" in refused.text
        no_events = await browser.post(PAGE, data={"url": PUBLIC_URL, "csrf": token})
        assert no_events.status_code == 400
        forged = await browser.post(f"{base}/delete", data={"csrf": "forged"})
        assert forged.status_code == 403
        assert (await browser.post(f"{base}/delete", data={"csrf": token})).status_code == 303
        assert await hooks(api, owner) == []


async def test_members_see_no_webhooks_tab_and_cannot_open_it(app: FastAPI, api: Api) -> None:
    owner = await api.user("web-hooks-owner")
    org = await api.org(owner, "Members")
    member = await api.add_member(owner, org, "member", "web-hooks-member")
    async with client_for(app) as browser:
        await sign_in(browser, member)
        page, token = await open_page(browser, "/settings")
        assert "/settings/webhooks" not in page
        assert (await browser.get(PAGE)).status_code == 403
        refused = await browser.post(PAGE, data={"url": PUBLIC_URL, "events": "risk.created", "csrf": token})
        assert refused.status_code == 403
    assert await hooks(api, owner) == []
