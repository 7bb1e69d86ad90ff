"""Recount a published tally from its ballot rows, check its signature, find one's own votes.

    python -m zhicheng_committees.result.recount tally.json [--ring ring.json] [--receipt CODE]

``tally.json`` is the body of ``GET /api/v1/committees/meetings/{id}/rounds/{n}/tally``
(``content``, ``signature``, ``key_id``); ``--ring`` a published ``committees-tallies`` ring
(``zhicheng keys export``); ``--receipt`` the code the vote answered with (it is read from the
command line or, with ``-``, from standard input, and never printed). The exit status is 0 when the
recount agrees (and the signature verifies, when a ring is given), 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from zhicheng_committees.result.domain import receipt_votes, recount
from zhicheng_common.canonical import canonical_json
from zhicheng_common.keys import read_public_ring


def signature_ok(document: dict[str, Any], ring_path: Path) -> bool:
    """Whether the tally's signature verifies against the published ring, by a key in force at closing."""
    ring = read_public_ring(ring_path)
    signature = str(document["signature"])
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    content = document["content"]
    signed_at = datetime.fromisoformat(str(content["closed_at"]))
    return ring.verify(str(document["key_id"]), raw, canonical_json(content), signed_at=signed_at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recount a signed tally (zc-tally-v1).")
    parser.add_argument("tally", type=Path)
    parser.add_argument("--ring", type=Path, default=None)
    parser.add_argument("--receipt", default=None, help="your receipt, or - to read it from standard input")
    args = parser.parse_args(argv)
    document = json.loads(args.tally.read_text(encoding="utf-8"))
    content = document["content"]
    ok = True
    problems = recount(content)
    for problem in problems:
        print(f"不一致 [{problem.rule}] {problem.message}")
    print("计票复核：一致" if not problems else f"计票复核：{len(problems)}处不一致")
    ok = ok and not problems
    if args.ring is not None:
        verified = signature_ok(document, args.ring)
        print("签名：有效" if verified else "签名：无效")
        ok = ok and verified
    if args.receipt is not None:
        receipt = sys.stdin.readline().strip() if args.receipt == "-" else args.receipt
        for applicant, choice in sorted(receipt_votes(content, receipt).items()):
            print(f"{applicant}\t{choice}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
