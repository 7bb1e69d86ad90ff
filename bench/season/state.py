"""What a season has done so far, saved as JSON after every stage so that it can resume.

Only what the system handed back (ids, usernames, certificate numbers) and what the simulator
measured is kept; the province itself is made again from the parameters (generator.generate).
Tokens are not kept: a resumed run signs in again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.season.generator import SeasonParams


@dataclass
class StageTiming:
    stage: str
    started: float  # seconds since the season's start (time.monotonic based, across resumes)
    seconds: float
    items: int
    requests: int
    wall: float = 0.0  # time.time() at the stage's start: where the databases' timestamps fall
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, items done)


@dataclass
class SeasonState:
    params: SeasonParams
    done: list[str] = field(default_factory=list)
    elapsed: float = 0.0  # seconds spent in stages, added up over resumes
    accounts: dict[str, str] = field(default_factory=dict)  # role key → username (hr_admin, supervisor, …)
    committees: dict[str, dict[str, Any]] = field(default_factory=dict)
    experts: dict[str, dict[str, Any]] = field(default_factory=dict)
    declarations: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: list[StageTiming] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SeasonState:
        raw = json.loads(text)
        params = SeasonParams(**raw.pop("params"))
        timings = [
            StageTiming(**{**t, "samples": [tuple(s) for s in t.get("samples", [])]}) for t in raw.pop("timings", [])
        ]
        return cls(params=params, timings=timings, **raw)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SeasonState:
        return cls.from_json(path.read_text())
