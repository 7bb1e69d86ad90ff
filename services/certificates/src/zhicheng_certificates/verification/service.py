"""Offline verification from files: what ``zhicheng certificate verify`` runs (reads files, then the pure checks)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zhicheng_certificates.signing.domain import PublishedKey, parse_published_keys
from zhicheng_certificates.verification.domain import VerificationResult, verify
from zhicheng_common.refusals import Refusal


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({error})") from error


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a token is longer than a file name may be
        return False


def verify_files(
    source: str, *, keys_files: Sequence[Path], status_list_files: Sequence[Path]
) -> tuple[VerificationResult, list[Refusal]]:
    """Verify ``source`` (a signed certificate JSON file, a QR token or the scanned URL) against files.

    Returns:
        The result, and the published-key entries that could not be read (they are left out).

    Raises:
        ValueError: A file is missing or is not JSON.
    """
    keys: list[PublishedKey] = []
    problems: list[Refusal] = []
    for path in keys_files:
        document = _json(path)
        if not isinstance(document, Mapping):
            raise ValueError(f"{path}: a key document is a JSON object")
        found, unreadable = parse_published_keys(document)
        keys += found
        problems += unreadable
    lists: list[Mapping[str, Any]] = []
    for path in status_list_files:
        document = _json(path)
        lists += document if isinstance(document, list) else [document]
    candidate = Path(source)
    subject: str | Mapping[str, Any] = source
    if _is_file(candidate):
        document = _json(candidate)
        if not isinstance(document, Mapping):
            raise ValueError(f"{candidate}: a signed certificate is a JSON object")
        subject = document
    return verify(subject, keys=keys, status_lists=lists), problems
