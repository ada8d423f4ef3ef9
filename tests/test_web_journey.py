"""The web UI end to end in Debian's Chromium: a new user signs up, uploads documents and works with what pmdi
found in them — and hostile document text and file names stay inert."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.async_api import Page, expect

from tests.jobs_support import fresh_app
from tests.web_support import HOSTILE, Browser, chromium, live_server

DATA = Path(__file__).parent / "data" / "registers"
UPLOADS = ["falcon-minutes-week1.md", "falcon-minutes-week2.md", "falcon-status-2026-10-02.md"]
SETTLED = (
    "() => [...document.querySelectorAll('.upload-row .status')].every(e => e.textContent === 'indexed')"
)
PASSWORD = "correct horse battery staple"


async def sign_up(page: Page, base: str, email: str) -> None:
    await page.goto(f"{base}/projects")
    await page.click("text=Create an account")
    await page.fill("input[name=full_name]", "Priya Shah")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/orgs/new")
    await page.fill("input[name=name]", "Falcon Corp")
    await page.click("main button[type=submit]")
    await page.wait_for_url(f"{base}/projects")


async def new_project(page: Page, name: str) -> None:
    await page.fill("main input[name=name]", name)
    await page.click("text=Create project")
    await page.wait_for_url("**/projects/*")
    await page.click("nav.tabs >> text=Documents")


async def upload_and_settle(browser: Browser, files: list[Path] | list[dict[str, object]]) -> None:
    page = browser.page
    await page.set_input_files("[data-upload-input]", files)  # type: ignore[arg-type]
    await page.wait_for_function(f"() => document.querySelectorAll('.upload-row').length === {len(files)}")
    await page.wait_for_function(SETTLED, timeout=90_000)
    bars = await page.eval_on_selector_all(".upload-row progress", "bars => bars.map(b => b.value)")
    assert bars == [100] * len(files)
    # The documents table below refreshes itself once they are processed.
    await expect(page.locator("table.documents tbody tr")).to_have_count(len(files))


async def open_action_evidence(browser: Browser, filename: str) -> None:
    """Open a document, click its first action item, and see the quote it came from marked and in view."""
    page = browser.page
    await page.click(f".upload-row a:text-is('{filename}')")
    await page.wait_for_url("**/documents/*")
    link = page.locator(".evidence-link").first
    item_text = await link.inner_text()
    await link.click()
    target = page.locator("mark:target")
    await expect(target).to_be_visible()
    quote = await target.inner_text()
    assert quote.strip()
    assert quote.strip() in (await page.locator(".text-pane").inner_text())
    assert "vendor shortlist" in item_text
    assert "vendor shortlist" in quote
    colours = await target.evaluate("m => getComputedStyle(m).backgroundColor")
    plain = await page.locator("mark:not(:target)").first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colours != plain, "the clicked item's evidence must stand out from the other marks"
    await browser.shot("document")


async def edit_first_action(browser: Browser) -> None:
    page = browser.page
    await page.locator(".crumbs a").nth(1).click()
    await page.click("nav.tabs >> text=Registers")
    await page.wait_for_selector("table.register")
    await browser.shot("registers")
    row = page.locator("table.register tbody tr").first
    await row.locator("button:text-is('Edit')").click()
    form = page.locator("form.item-form")
    await form.locator("input[name=owner]").fill("Tom Becker")
    await form.locator("input[name=due_date]").fill("2026-12-24")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("form.item-form")).to_have_count(0)
    edited = page.locator("table.register tbody tr", has_text="2026-12-24")
    await expect(edited).to_contain_text("Tom Becker")


async def search_and_ask(browser: Browser, base: str) -> None:
    page = browser.page
    await page.goto(f"{base}/search")
    await page.fill("input[name=q]", "venue offsite")
    await page.click("main button[type=submit]")
    await expect(page.locator(".hit mark").first).to_be_visible()
    assert "venue" in (await page.locator(".hit mark").first.inner_text()).lower()
    await browser.shot("search")
    await page.click("text=Ask")
    await page.fill("input[name=question]", "When is the beta release?")
    url_before = page.url
    await page.click("main button[type=submit]")
    citation = page.locator("#answer a.citation").first
    await expect(citation).to_be_visible()
    assert page.url == url_before, "the answer arrives in place (htmx), not by a page load"
    await browser.shot("ask")
    await citation.click()
    await page.wait_for_url("**/documents/*")
    await expect(page.locator("mark#focus")).to_be_visible()


async def export_csv(browser: Browser) -> list[dict[str, str]]:
    page = browser.page
    await page.locator(".crumbs a").nth(1).click()
    await page.click("nav.tabs >> text=Registers")
    async with page.expect_download() as waiting:
        await page.click("[data-export]")
    download = await waiting.value
    content = Path(await download.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


async def read_without_javascript(base: str, email: str) -> None:
    """The read-only pages work with scripts off, on a phone-sized screen in dark mode, from the keyboard."""
    async with chromium(390, javascript=False, dark=True) as browser:
        page = browser.page
        await page.goto(f"{base}/login")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", PASSWORD)
        await page.press("input[name=password]", "Enter")
        await page.wait_for_url(f"{base}/projects")
        assert await page.evaluate("typeof window.htmx") == "undefined", "scripts must be off here"
        await page.click("li a.name")
        await page.click("nav.tabs >> text=Documents")
        await page.click("table.documents a:text-is('falcon-minutes-week1.md')")
        await page.click("nav.tabs >> text=Risks")
        await page.focus(".evidence-link")
        await page.keyboard.press("Enter")
        await expect(page.locator("mark:target")).to_contain_text("supplier")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 23, 28)", "the system's dark mode is followed"
        await browser.shot("document-phone")
        await page.goto(f"{base}/search?q=budget")
        await expect(page.locator(".hit mark").first).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page must not scroll sideways on a phone"


async def test_a_new_user_uploads_documents_and_works_with_the_registers(tmp_root: Path) -> None:
    async with (
        fresh_app("sqlite", tmp_root, embedded=True) as (app, _),
        live_server(app) as base,
        chromium() as browser,
    ):
        await sign_up(browser.page, base, "priya@example.org")
        await new_project(browser.page, "Falcon")
        await upload_and_settle(browser, [DATA / name for name in UPLOADS])
        await browser.shot("upload")
        await open_action_evidence(browser, "falcon-minutes-week1.md")
        await edit_first_action(browser)
        await search_and_ask(browser, base)
        rows = await export_csv(browser)
        await browser.page.goto(f"{base}/dashboard")
        await expect(browser.page.locator("#documents-data")).to_contain_text("3")
        await browser.shot("dashboard")
        await read_without_javascript(base, "priya@example.org")
    assert any(r.get("Owner") == "Tom Becker" and "2026-12-24" in str(r.values()) for r in rows), rows
    assert browser.dialogs == []
    assert [e for e in browser.console_errors if "Content Security Policy" in e] == []


HOSTILE_TEXT = (
    f"# Minutes {HOSTILE}\n\nDate: 2026-10-01\n\n## Action items\n"
    f"- Tom Becker to patch {HOSTILE} by 2026-10-09.\n\n"
    f"## Risks\n- RISK: {HOSTILE} may break (high impact).\n"
)


async def test_hostile_document_text_and_file_names_render_inert(tmp_root: Path) -> None:
    name = '<img src=x onerror="alert(5)">.txt'
    hostile_file = {"name": name, "mimeType": "text/plain", "buffer": HOSTILE_TEXT.encode()}
    async with (
        fresh_app("sqlite", tmp_root, embedded=True) as (app, _),
        live_server(app) as base,
        chromium() as browser,
    ):
        page = browser.page
        await sign_up(page, base, "mallory@example.org")
        await new_project(page, HOSTILE)
        await upload_and_settle(browser, [hostile_file])
        response = await page.goto(page.url)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        await page.click("table.documents a")
        await page.wait_for_url("**/documents/*")
        # Chromium sends the name's quotes as %22; the rest arrives as typed and is shown as text.
        assert await page.locator(".original-name").inner_text() == name.replace('"', "%22")
        assert HOSTILE in await page.locator(".text-pane").inner_text()
        assert HOSTILE in await page.locator(".evidence-link").first.inner_text()
        document_page = page.url.split("?")[0]
        for url in (f"{base}/search?q=patch", f"{document_page}?tab=risks", f"{base}/registers"):
            await page.goto(url)
            assert await page.evaluate("document.querySelectorAll('main script, main img').length") == 0
        await browser.shot("hostile")
    assert browser.dialogs == [], "a script from document text or a file name ran"
    assert [e for e in browser.console_errors if "Content Security Policy" in e] == []
