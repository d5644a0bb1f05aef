"""A fake Slack Web API on loopback: real HTTP, every call recorded.

Bolt's Web API client (aiohttp) and `respond()` (response_url) talk to it exactly as they
would to Slack; tests then assert on the recorded calls.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    threads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """thread_ts (or DM channel id, for conversations.history) -> messages."""
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            args = dict(request.query)
        elif request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(await request.post())
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        self.calls.append(Call(method, args))
        reply: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            reply |= {"user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "paperbot"}
        elif method == "chat.postMessage":
            reply |= {"ts": f"{time.time():.6f}", "channel": args.get("channel")}
        elif method == "conversations.replies":
            reply |= {"messages": self.threads.get(str(args.get("ts")), [])}
        elif method == "conversations.history":
            reply |= {"messages": self.threads.get(str(args.get("channel")), [])}
        return web.json_response(reply)

    async def _respond(self, request: web.Request) -> web.Response:
        self.calls.append(Call("respond", await request.json()))
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{id}", self._respond)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """The calls of `method` once at least `count` arrived (background work)."""
        async with asyncio.timeout(timeout):
            while len(self.of(method)) < count:
                await asyncio.sleep(0.02)
        return self.of(method)
