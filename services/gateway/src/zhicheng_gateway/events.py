"""Events the gateway publishes (through its outbox)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from zhicheng_common.events.envelope import event_type


@event_type("gateway.user.created")
class UserCreated(BaseModel):
    """A user account was created, by an administrator or by the start-up bootstrap. No credentials."""

    user_id: uuid.UUID
    username: str
    roles: list[str]
    region: str
