"""Operator tools for the dead-letter stream: list what consumers gave up on, replay it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from zhicheng_common.events.consumer import REPLAY_FOR_HEADER
from zhicheng_common.settings import CommonSettings


@dataclass(frozen=True)
class DeadLetter:
    sequence: int
    consumer: str
    original_subject: str
    attempts: int
    error: str
    event_id: str | None
    data: bytes
    headers: dict[str, str]


async def list_dead_letters(js: JetStreamContext, settings: CommonSettings) -> list[DeadLetter]:
    """Every message now parked in the dead-letter stream, oldest first."""
    try:
        info = await js.stream_info(settings.dead_letter_stream_name)
    except NotFoundError:
        return []  # no consumer ever gave up on anything here
    letters: list[DeadLetter] = []
    seq = info.state.first_seq
    # Replayed messages leave gaps; stop once every stored message has been read.
    while len(letters) < info.state.messages and seq <= info.state.last_seq:
        seq += 1
        try:
            raw = await js.get_msg(settings.dead_letter_stream_name, seq - 1)
        except NotFoundError:
            continue  # replayed and deleted
        headers = {str(k): str(v) for k, v in (raw.headers or {}).items()}
        letters.append(
            DeadLetter(
                sequence=seq - 1,
                consumer=headers.get("Zc-Consumer", ""),
                original_subject=headers.get("Zc-Original-Subject", ""),
                attempts=int(headers.get("Zc-Attempts", "0")),
                error=headers.get("Zc-Error", ""),
                event_id=headers.get("Zc-Event-Id") or headers.get("Nats-Msg-Id", "").split(":")[0] or None,
                data=raw.data or b"",
                headers=headers,
            )
        )
    return letters


async def replay_dead_letter(js: JetStreamContext, settings: CommonSettings, letter: DeadLetter) -> None:
    """Send the message again to the one consumer that gave up on it, then drop it from the stream.

    The replay gets a fresh ``Nats-Msg-Id`` (the original id is still inside the duplicate
    window) and a header naming its consumer; other consumers ack it and move on, and the inbox
    keeps the effect single if the consumer had, after all, applied it.
    """
    headers = {
        k: v
        for k, v in letter.headers.items()
        if not k.startswith("Zc-") and k not in ("Nats-Msg-Id", "Nats-Expected-Stream")
    }
    headers["Nats-Msg-Id"] = f"{letter.event_id}:replay:{letter.sequence}:{time.time_ns()}"
    headers[REPLAY_FOR_HEADER] = letter.consumer
    await js.publish(letter.original_subject, letter.data, headers=headers)
    await js.delete_msg(settings.dead_letter_stream_name, letter.sequence)
