"""Events the experts service publishes (each feature folder declares its own; imported here so the
event catalog and the outbox know every type)."""

from __future__ import annotations

from zhicheng_experts.draw.events import PanelAlternate, PanelDrawn, PanelMemberReplaced, PanelSeat

__all__ = ["PanelAlternate", "PanelDrawn", "PanelMemberReplaced", "PanelSeat"]
