"""The backup's pure parts: the client tools it picks, the URL it gives them, the manifest it trusts."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from zhicheng_common.backup import (
    FORMAT,
    BackupError,
    deployment_streams,
    libpq_url,
    pg_tool,
    read_manifest,
    run_client,
)
from zhicheng_common.settings import CommonSettings


def fake_tool(folder: Path, name: str, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    tool.chmod(0o755)
    return tool


def test_the_asyncpg_url_becomes_a_libpq_url_with_its_password() -> None:
    url = "postgresql+asyncpg://zhicheng:s%40cret@db:5432/zhicheng"
    assert libpq_url(url) == "postgresql://zhicheng:s%40cret@db:5432/zhicheng"


def test_a_client_of_the_servers_major_version_is_taken(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path / "bin", "pg_dump", "15.20")
    settings = CommonSettings(pg_bin_dir=tmp_path / "bin")
    assert pg_tool("pg_dump", settings, 15) == str(tool)


def test_a_client_older_than_the_server_is_refused(tmp_path: Path) -> None:
    fake_tool(tmp_path / "bin", "pg_dump", "14.11")
    settings = CommonSettings(pg_bin_dir=tmp_path / "bin")
    with pytest.raises(BackupError, match="no pg_dump of PostgreSQL 15 or newer"):
        pg_tool("pg_dump", settings, 15)


def test_the_streams_are_the_events_the_dead_letters_and_the_kv_buckets() -> None:
    settings = CommonSettings(events_prefix="zc")
    assert deployment_streams(settings) == ("ZC", "ZC_DEADLETTER", "KV_ZC_CALENDAR", "KV_ZC_CLOCK")


def backup_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "backup"
    (folder / "streams").mkdir(parents=True)
    (folder / "streams" / "ZC.jsonl").write_text('{"seq": 1}\n')
    digest = hashlib.sha256(b'{"seq": 1}\n').hexdigest()
    manifest = {"format": FORMAT, "files": {"streams/ZC.jsonl": digest}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_backup_whose_files_match_the_manifest_is_read(tmp_path: Path) -> None:
    assert read_manifest(backup_folder(tmp_path))["format"] == FORMAT


def test_a_file_changed_after_the_backup_is_refused(tmp_path: Path) -> None:
    folder = backup_folder(tmp_path)
    (folder / "streams" / "ZC.jsonl").write_text('{"seq": 2}\n')
    with pytest.raises(BackupError, match=r"streams/ZC.jsonl is missing or does not match its SHA-256"):
        read_manifest(folder)


def test_a_folder_without_a_manifest_is_no_backup(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="not a Zhicheng backup"):
        read_manifest(tmp_path)


def test_a_client_that_fails_refuses_in_its_own_words() -> None:
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('relation does not exist\\n'); sys.exit(1)"]
    with pytest.raises(BackupError, match=r"^pg_restore of intake failed: relation does not exist$"):
        run_client(failing, "pg_restore of intake")
    run_client([sys.executable, "-c", "pass"], "pg_dump of intake")  # a client that succeeds says nothing
