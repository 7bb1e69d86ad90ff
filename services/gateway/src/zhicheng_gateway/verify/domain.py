"""Pure pieces of verification: the answer cache, the anonymous day counts, what the page says of an answer."""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The certificates service's checks, in its order, with the page's words for them.
CHECK_LABELS: dict[str, str] = {
    "form": "证书结构",
    "signature_sm2": "SM2 签名（国密 SM2/SM3）",
    "signature_ed25519": "Ed25519 签名（W3C 可验证凭证）",
    "issuer_key_valid_at_issue": "签发机构密钥（签发时有效）",
    "status": "证书状态（撤销、暂停）",
}
OUTCOME_LABELS: dict[str, str] = {
    "passed": "通过",
    "failed": "未通过",
    "not_applicable": "不适用",
    "unknown": "无法确定",
}
LEVEL_LABELS: dict[str, str] = {
    "junior": "初级",
    "intermediate": "中级",
    "associate_senior": "副高级",
    "senior": "正高级",
}
#: What a failed status check means, by its code (docs/certificates.md §11).
STATUS_VERDICTS: dict[str, str] = {
    "certificate_revocation": "证书已撤销",
    "certificate_suspension": "证书已暂停",
    "certificate_superseded": "证书已被新证书取代",
}
NO_MATCH = "未找到与所填信息相符的证书"

#: The status events that change a verification's answer.
STATUS_EVENTS: tuple[str, ...] = (
    "certificates.certificate.revoked",
    "certificates.certificate.suspended",
    "certificates.certificate.reinstated",
    "certificates.certificate.superseded",
)


@dataclass(frozen=True)
class Verdict:
    """The page's headline for an answer: its tone (``valid``, ``invalid``, ``none``) and its words."""

    tone: str
    text: str


def verdict(answer: Mapping[str, Any]) -> Verdict:
    """Valid, the failed status (revoked, suspended, superseded), invalid, or no match."""
    if not answer.get("matched"):
        return Verdict("none", NO_MATCH)
    if answer.get("valid"):
        return Verdict("valid", "证书有效")
    checks = {c.get("name"): c for c in answer.get("checks", [])}
    status = checks.get("status", {})
    others_failed = any(c.get("outcome") == "failed" for name, c in checks.items() if name != "status")
    if not others_failed and status.get("outcome") == "failed":
        return Verdict("invalid", STATUS_VERDICTS.get(str(status.get("code")), "证书状态无效"))
    return Verdict("invalid", "证书无效：签名或密钥核验未通过")


class AnswerCache:
    """Answers of the certificates service by lookup, least recently used out, each for ``ttl`` seconds at most.

    Every entry names its certificate number, so a status change evicts all of that number's
    answers at once (:meth:`evict`). An answer fetched while its number was evicted is not stored:
    :meth:`put` takes the instant the fetch started and refuses an entry for a number evicted since.
    Times are monotonic seconds passed in by the caller.
    """

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._entries: OrderedDict[tuple[str, ...], tuple[str, float, Any]] = OrderedDict()
        self._by_number: dict[str, set[tuple[str, ...]]] = {}
        self._evicted: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, ...], now: float) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        number, stored_at, value = entry
        if now - stored_at > self.ttl:
            self._drop(key, number)
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[str, ...], number: str, value: Any, *, started: float, now: float) -> bool:
        """Store ``value`` unless ``number`` was evicted at or after ``started``; whether it was stored."""
        evicted_at = self._evicted.get(number)
        if evicted_at is not None and evicted_at >= started:
            return False
        if key in self._entries:
            self._drop(key, self._entries[key][0])
        self._entries[key] = (number, now, value)
        self._by_number.setdefault(number, set()).add(key)
        while len(self._entries) > self.capacity:
            old_key, (old_number, _, _) = next(iter(self._entries.items()))
            self._drop(old_key, old_number)
        return True

    def evict(self, numbers: Iterable[str], now: float, *, remember: float = 60.0) -> int:
        """Drop every answer about ``numbers``; fetches started before ``now`` will not store theirs."""
        dropped = 0
        for number in numbers:
            self._evicted[number] = now
            for key in self._by_number.pop(number, set()):
                if self._entries.pop(key, None) is not None:
                    dropped += 1
        # Fetches take at most the upstream timeout: older evictions can be forgotten.
        if len(self._evicted) > 1024:
            self._evicted = {n: t for n, t in self._evicted.items() if now - t <= remember}
        return dropped

    def clear(self) -> None:
        self._entries.clear()
        self._by_number.clear()

    def _drop(self, key: tuple[str, ...], number: str) -> None:
        self._entries.pop(key, None)
        keys = self._by_number.get(number)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_number[number]


class DayCounts:
    """Anonymous checks answered by this process and not yet written: (China day, number, method) → count."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[date, str, str]] = Counter()

    def add(self, day: date, number: str, method: str) -> None:
        self._counts[(day, number, method)] += 1

    def take(self) -> dict[tuple[date, str, str], int]:
        """Everything counted so far, and start again from nothing."""
        counts, self._counts = dict(self._counts), Counter()
        return counts

    def give_back(self, counts: Mapping[tuple[date, str, str], int]) -> None:
        """Counts whose write failed, to be written with the next ones."""
        self._counts.update(counts)
