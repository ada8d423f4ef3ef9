"""A real HTTP server for an app under test, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright

from tests.helpers import PASSWORD, User

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@asynccontextmanager
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """The app on a free port in this event loop (its lifespan is already running)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the test server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        # Event streams stay open until the server's graceful timeout; force them closed.
        server.force_exit = True
        await task


@dataclass
class Browser:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@asynccontextmanager
async def chromium(
    width: int = 1280, *, javascript: bool = True, dark: bool = False
) -> AsyncIterator[Browser]:
    """A fresh browser; any dialog (alert) a page opens is recorded, as are CSP violations and JS errors."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": 900},
                accept_downloads=True,
                java_script_enabled=javascript,
                color_scheme="dark" if dark else "light",
            )
            page = await context.new_page()
            found = Browser(page)
            page.on("dialog", lambda dialog: found.dialogs.append(dialog.message))
            page.on("pageerror", lambda error: found.console_errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    found.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            yield found
        finally:
            await browser.close()


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def sign_in(browser: httpx.AsyncClient, user: User) -> None:
    """Like a browser: refusals then come back as pages, not JSON."""
    browser.headers["accept"] = "text/html"
    response = await browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.text


async def open_page(browser: httpx.AsyncClient, path: str) -> tuple[str, str]:
    """The page's HTML and the form token it carries."""
    response = await browser.get(path)
    assert response.status_code == 200, response.text
    token = CSRF.search(response.text)
    assert token, f"{path} has no form token"
    return response.text, token[1]
