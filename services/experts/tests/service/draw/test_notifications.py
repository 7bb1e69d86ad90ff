"""Drawn experts are told through the notifier: rows written with the change, sent by the job;
the SMTP sender against a small SMTP server run by the test on a local socket."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from email.message import Message

import pytest
from sqlalchemy import text

from zhicheng_experts.draw import service
from zhicheng_experts.draw.notifier import LogNotifier, Notification, NotifierError, SmtpNotifier

from .conftest import PREFIX, Service, civil_pool, expert_id, signed

pytestmark = pytest.mark.service


@dataclass
class SmtpInbox:
    """A minimal SMTP server (RFC 5321 commands smtplib sends) keeping the messages it accepts."""

    port: int = 0
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        sender, recipients = "", []
        await reply("220 test.local ESMTP")
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                await reply("250 test.local")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip(" <>"), []
                await reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip(" <>"))
                await reply("250 OK")
            elif verb == "DATA":
                await reply("354 end with .")
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                self.messages.append((sender, recipients, email.message_from_bytes(data, policy=email.policy.default)))
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("250 OK")
        writer.close()


@pytest.fixture
async def inbox() -> AsyncIterator[SmtpInbox]:
    box = SmtpInbox()
    server = await asyncio.start_server(box.handle, "127.0.0.1", 0)
    box.port = server.sockets[0].getsockname()[1]
    async with server:
        yield box


def a_notification(**changes: object) -> Notification:
    values: dict[str, object] = {
        "id": "0190b5a2-0000-7000-8000-0000000000aa",
        "expert_id": expert_id(7),
        "meeting_id": "0190b5a2-0000-7000-8000-0000000000bb",
        "meeting_date": date(2024, 11, 15),
        "specialty": "civil",
        "kind": "member",
    }
    values.update(changes)
    return Notification(**values)  # type: ignore[arg-type]


async def test_EX_1_the_smtp_sender_mails_the_expert_alone(inbox: SmtpInbox) -> None:
    sender = SmtpNotifier(host="127.0.0.1", port=inbox.port, sender="office@zhicheng.test")
    await sender.send(a_notification(), "expert7@example.cn")
    ((mail_from, recipients, message),) = inbox.messages
    assert (mail_from, recipients) == ("office@zhicheng.test", ["expert7@example.cn"])
    assert message["Subject"] == "评审专家抽取通知"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text_ = body.decode("utf-8")
    assert "0190b5a2-0000-7000-8000-0000000000bb（2024-11-15）civil 专业" in text_
    assert expert_id(7) not in text_


async def test_the_smtp_sender_refuses_an_expert_without_address_and_an_unreachable_server() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = SmtpNotifier(host="127.0.0.1", port=port, sender="office@zhicheng.test", timeout=2)
    with pytest.raises(NotifierError, match="no e-mail address"):
        await sender.send(a_notification(), None)
    with pytest.raises(NotifierError, match="ConnectionRefusedError"):
        await sender.send(a_notification(), "expert7@example.cn")


async def _pending_of(svc: Service, meeting_id: str) -> list[tuple[str, str, int, bool]]:
    async with svc.database.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT expert_id, kind, attempts, sent_at IS NOT NULL AS sent FROM experts.draw_notifications"
                " WHERE meeting_id = :m ORDER BY expert_id"
            ),
            {"m": meeting_id},
        )
        return [(r.expert_id, r.kind, r.attempts, r.sent) for r in rows]


async def test_EX_1_the_job_mails_each_drawn_member_once_and_the_replacement_later(
    svc: Service, inbox: SmtpInbox
) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    for number in range(15):
        svc.pool.emails[expert_id(number)] = f"{expert_id(number)}@example.cn"
    draw, _ = await signed(svc, meeting)
    members = [m for lot in draw["lots"] for m in lot["members"]]
    rows = await _pending_of(svc, str(meeting.meeting_id))
    assert [(e, k, sent) for e, k, _, sent in rows] == [(m, "member", False) for m in sorted(members)]

    sender = SmtpNotifier(host="127.0.0.1", port=inbox.port, sender="office@zhicheng.test")
    async with svc.database.unit_of_work() as session:
        await service.send_notifications(session, svc.clock.now(), notifier=sender, source=svc.pool, batch=10_000)
    mine = [m for m in inbox.messages if str(meeting.meeting_id) in str(m[2].get_payload(decode=True), "utf-8")]
    assert sorted(r[0] for _, r, _ in mine) == sorted(f"{m}@example.cn" for m in members)
    assert all(sent for *_, sent in await _pending_of(svc, str(meeting.meeting_id)))

    # A replacement tells the alternate who takes the seat; nobody is told twice.
    alternate = draw["lots"][0]["alternates"][0]
    response = await svc.client.post(
        f"{PREFIX}/draws/{draw['draw_id']}/replacements",
        json={"expert_id": members[0], "reason": "declined"},
        headers=svc.office(meeting),
    )
    assert response.status_code == 201, response.text
    before = len(inbox.messages)
    async with svc.database.unit_of_work() as session:
        await service.send_notifications(session, svc.clock.now(), notifier=sender, source=svc.pool, batch=10_000)
    new = [m for m in inbox.messages[before:] if str(meeting.meeting_id) in str(m[2].get_payload(decode=True), "utf-8")]
    assert [r for _, r, _ in new] == [[f"{alternate}@example.cn"]]


async def test_a_message_that_cannot_be_sent_stays_pending_with_its_error(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    await signed(svc, meeting)  # no e-mail addresses in this pool
    sender = SmtpNotifier(host="127.0.0.1", port=9, sender="office@zhicheng.test", timeout=2)
    async with svc.database.unit_of_work() as session:
        await service.send_notifications(session, svc.clock.now(), notifier=sender, source=svc.pool, batch=10_000)
    rows = await _pending_of(svc, str(meeting.meeting_id))
    assert len(rows) == 11
    assert {(attempts, sent) for *_, attempts, sent in rows} == {(1, False)}


async def test_NA_2_the_log_sender_writes_ids_of_the_notification_not_of_the_expert(
    svc_logging: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await LogNotifier().send(a_notification(), "expert7@example.cn")
    logs = "".join(capsys.readouterr())
    assert "experts.draw.notified" in logs
    assert "0190b5a2-0000-7000-8000-0000000000aa" in logs
    assert expert_id(7) not in logs
    assert "expert7@example.cn" not in logs
