"""Telling drawn experts they were drawn (抽取通知): one interface, a log sender and an SMTP sender.

Offices today telephone each drawn expert; the notifier replaces the call with a message the
expert receives alone. A notification row is written in the same transaction as the signed draw
or the replacement, and a scheduler job sends the pending rows, so a message is never sent for a
change that did not commit, and an unreachable mail server only delays it.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Literal, Protocol

import structlog

log = structlog.get_logger()

NotificationKind = Literal["member", "replacement"]


@dataclass(frozen=True)
class Notification:
    """One message to one expert: which meeting, which specialty, why (ids only; the address aside)."""

    id: str
    expert_id: str
    meeting_id: str
    meeting_date: date
    specialty: str
    kind: NotificationKind


class NotifierError(Exception):
    """The message could not be handed over; the job keeps the row pending and retries."""


class Notifier(Protocol):
    async def send(self, notification: Notification, address: str | None) -> None:
        """Deliver the message, or raise :class:`NotifierError` to retry later."""
        ...


def subject_of(notification: Notification) -> str:
    return "评审专家抽取通知"


def body_of(notification: Notification) -> str:
    """The text the expert reads: the meeting, the date and the specialty; nobody else's name or id."""
    how = "经随机抽取" if notification.kind == "member" else "因原抽取专家回避或不能参加，按备选顺序递补"
    return (
        f"您好：\n\n{how}，您被选为评审会议 {notification.meeting_id}"
        f"（{notification.meeting_date.isoformat()}）{notification.specialty} 专业的评审专家。\n"
        "请登录系统确认能否参加；如与申报人存在应当回避的关系，请及时告知评委会办公室。\n"
        "抽取结果在评审会议结束前须保密。\n"
    )


class LogNotifier:
    """Writes one log line per message (development, and offices that still telephone).

    The line carries the notification and meeting ids only: logs never name a meeting's experts.
    """

    async def send(self, notification: Notification, address: str | None) -> None:
        log.info(
            "experts.draw.notified",
            notification_id=notification.id,
            meeting_id=notification.meeting_id,
            kind=notification.kind,
            channel="log",
        )


class SmtpNotifier:
    """Sends an e-mail through an SMTP server (plain or STARTTLS, optional login)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.starttls, self.username = host, port, sender, starttls, username
        self.password, self.timeout = password, timeout

    def message(self, notification: Notification, address: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = subject_of(notification)
        message["Message-ID"] = f"<{notification.id}@zhicheng.experts>"
        message.set_content(body_of(notification))
        return message

    async def send(self, notification: Notification, address: str | None) -> None:
        if not address:
            raise NotifierError("the expert has no e-mail address")
        message = self.message(notification, address)
        # smtplib blocks: run it off the event loop.
        await asyncio.to_thread(self._send, message)
        log.info("experts.draw.notified", notification_id=notification.id, kind=notification.kind, channel="smtp")

    def _send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                if self.starttls:
                    client.starttls()
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"{type(exc).__name__}: {exc}") from exc
