"""The Slack bot: mentions, DMs, thread follow-ups, slash commands and buttons.

Bolt verifies signatures (401 on a bad or stale one), answers `url_verification`, acks
events at once and runs listeners in the background. Slack redelivers an event when it
thinks it was not acknowledged (`X-Slack-Retry-Num`), so events are de-duplicated by
`event_id` before any listener runs: a retry or duplicate never answers twice.

Channel messages are answered only through `app_mention` (a mention also arrives as a
plain `message` event; handling both is the classic double answer). Plain `message`
events are handled only in DMs. Bolt already drops the bot's own events; other bots,
edits and deletions (any message subtype) are ignored here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from api.service import Service
from api.slack.messages import (
    answer_message,
    cite_message,
    escape,
    from_slack,
    paper_card,
)
from rag import Message, NotFoundError, RagError, explain

log = logging.getLogger("api.slack")
WORKING_REACTION = "hourglass_flowing_sand"
HISTORY_MESSAGES = 12


class RecentEvents:
    """Event ids seen in the last `ttl` seconds (per process)."""

    def __init__(self, ttl: float = 3600.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        now = time.monotonic()
        while self._seen and (
            len(self._seen) > self.size or next(iter(self._seen.values())) < now - self.ttl
        ):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


def trouble(exc: Exception) -> str:
    """What went wrong, for a person in Slack (details of unexpected errors stay in the log)."""
    return f"Sorry, I could not do that: {escape(explain(exc))}."


class SlackBot:
    """The bot's listeners, one method per Slack event, command or action; every one
    goes through the service's `PaperRAG`, so limits and errors match the HTTP API."""

    def __init__(self, service: Service, recent: RecentEvents) -> None:
        self.service = service
        self.settings = service.settings
        self.recent = recent

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.drop_redeliveries)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.command("/ask")(self.ask)
        app.command("/paper")(self.paper)
        app.command("/cite")(self.cite)
        app.action(re.compile(r"^show_abstract:"))(self.show_abstract)
        app.action(re.compile(r"^feedback:(up|down)$"))(self.feedback)

    async def drop_redeliveries(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self.recent.first_time(event_id):
            log.info("duplicate delivery of %s ignored", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    def allowed(self, team: str | None, channel: str) -> bool:
        channels = self.settings.slack_workspace(team).channels
        return channel.startswith("D") or not channels or channel in channels

    async def history(
        self,
        web: AsyncWebClient,
        channel: str,
        ts: str,
        thread_ts: str | None,
        bot_user: str | None,
    ) -> list[Message]:
        """Earlier messages of the thread (or of the DM) as chat history."""
        if thread_ts:
            page = await web.conversations_replies(channel=channel, ts=thread_ts, limit=100)
        else:
            page = await web.conversations_history(
                channel=channel, latest=ts, inclusive=False, limit=HISTORY_MESSAGES
            )
        messages = sorted(page.get("messages", []), key=lambda m: float(m.get("ts", 0)))
        turns = []
        for m in messages:
            if m.get("ts") == ts or m.get("subtype"):
                continue
            mine = bool(m.get("bot_id")) or m.get("user") == bot_user
            text = from_slack(m.get("text", ""))[: self.settings.max_message_chars]
            if text and (mine or m.get("user")):
                turns.append(Message(role="assistant" if mine else "user", content=text))
        return turns[-min(HISTORY_MESSAGES, self.settings.max_messages - 1) :]

    async def answer_in_slack(
        self, web: AsyncWebClient, event: dict[str, Any], bot_user: str | None, in_thread: bool
    ) -> None:
        channel, ts = event["channel"], event["ts"]
        thread_ts = event.get("thread_ts")
        reply_ts = thread_ts or (ts if in_thread else None)
        question = from_slack(event.get("text", ""))
        if not question:
            await web.chat_postMessage(
                channel=channel, thread_ts=reply_ts, text="Ask me a question about the papers."
            )
            return
        await _react(web, "reactions_add", channel, ts)
        try:
            rag = self.service.ready()
            turns: list[Message] = []
            if thread_ts or not in_thread:
                try:
                    turns = await self.history(web, channel, ts, thread_ts, bot_user)
                except SlackApiError as exc:  # e.g. a missing history scope: answer anyway
                    log.warning("no history for %s: %s", channel, exc)
            text, blocks = answer_message(await rag.answer(question, turns))
            await web.chat_postMessage(
                channel=channel,
                thread_ts=reply_ts,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            log.warning("slack answer failed: %s", exc, exc_info=not isinstance(exc, RagError))
            await web.chat_postMessage(channel=channel, thread_ts=reply_ts, text=trouble(exc))
        finally:
            await _react(web, "reactions_remove", channel, ts)

    async def on_mention(self, event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        if event["channel"].startswith("D") or event.get("subtype") or event.get("bot_id"):
            return  # DMs are answered by on_message
        if not self.allowed(context.get("team_id"), event["channel"]):
            log.info("mention in channel %s ignored (not enabled)", event["channel"])
            return
        await self.answer_in_slack(client, event, context.get("bot_user_id"), in_thread=True)

    async def on_message(self, event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # channels: mentions only; edits, deletions, bots: never
        await self.answer_in_slack(client, event, context.get("bot_user_id"), in_thread=False)

    async def ask(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        question = from_slack(command.get("text", ""))
        if not question:
            await ack("Usage: `/ask QUESTION`, e.g. `/ask which papers study NER?`")
            return
        if not self.allowed(command.get("team_id"), command["channel_id"]):
            await ack("I am not enabled in this channel.")
            return
        await ack(f"Searching the papers for: {escape(question)}")
        visibility = self.settings.slack_workspace(command.get("team_id")).ask_visibility
        try:
            answer = await self.service.ready().answer(question)
        except Exception as exc:
            log.warning("/ask failed: %s", exc, exc_info=not isinstance(exc, RagError))
            await respond(text=trouble(exc), response_type="ephemeral", replace_original=False)
            return
        text, blocks = answer_message(answer, asked_by=command.get("user_id"))
        await respond(text=text, blocks=blocks, response_type=visibility, replace_original=False)

    async def paper(self, ack: Any, command: dict[str, Any]) -> None:
        query = from_slack(command.get("text", ""))
        if not query:
            await ack("Usage: `/paper PAPER_ID_OR_TITLE`")
            return
        try:
            record = await asyncio.to_thread(self.service.ready().paper, query)
        except NotFoundError as exc:
            closest = "".join(f"\n• {escape(t)}" for t in exc.suggestions)
            await ack(f"{escape(str(exc))}." + (f" Closest titles:{closest}" if closest else ""))
            return
        except Exception as exc:
            await ack(trouble(exc))
            return
        text, blocks = paper_card(record)
        await ack(text=text, blocks=blocks)

    async def cite(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        text = from_slack(command.get("text", ""))
        if not text:
            await ack("Usage: `/cite A CLAIM OR SENTENCE`")
            return
        await ack(f"Looking for papers that support: {escape(text)}")
        try:
            result = await asyncio.to_thread(self.service.ready().cite, text)
            summary, blocks = cite_message(result)
        except Exception as exc:
            await respond(text=trouble(exc), response_type="ephemeral", replace_original=False)
            return
        await respond(
            text=summary, blocks=blocks, response_type="ephemeral", replace_original=False
        )

    async def show_abstract(self, ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        try:
            chosen = json.loads(action.get("value") or "{}")
            record = await asyncio.to_thread(
                self.service.ready().paper, str(chosen.get("paper_id") or "")
            )
            text, blocks = paper_card(record, str(chosen.get("quote") or ""))
        except Exception as exc:
            text, blocks = trouble(exc), []
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    async def feedback(
        self, ack: Any, action: dict[str, Any], body: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        vote = action["action_id"].split(":", 1)[1]
        try:
            question = json.loads(action.get("value") or "{}").get("question", "")
        except json.JSONDecodeError:
            question = ""
        self.service.metrics.feedback.labels("slack", vote).inc()
        log.info(
            "feedback %s",
            vote,
            extra={
                "vote": vote,
                "question": question,
                "slack_user": body.get("user", {}).get("id"),
                "slack_channel": body.get("channel", {}).get("id"),
                "message_ts": body.get("container", {}).get("message_ts"),
            },
        )
        await respond(
            text="Thanks, feedback recorded.", response_type="ephemeral", replace_original=False
        )


def create_slack_app(service: Service) -> AsyncApp:
    settings = service.settings
    client = AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url or AsyncWebClient.BASE_URL,
    )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    SlackBot(service, RecentEvents()).register(app)
    return app


async def _react(web: AsyncWebClient, method: str, channel: str, ts: str) -> None:
    """The working indicator is cosmetic: a failure to add/remove it is only logged."""
    try:
        await getattr(web, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
    except SlackApiError as exc:
        log.info("%s failed: %s", method, exc)
