"""NATS credentials of each principal, their NKeys, and the server configuration that grants them.

A client authenticates with whatever its settings name, first found wins:

1. ``ZC_NATS_CREDS_FILE``: a ``.creds`` file (user JWT and seed) of an operator-run server with
   decentralised accounts;
2. ``ZC_NATS_NKEY_SEED`` or ``ZC_NATS_NKEY_SEED_FILE``: the principal's NKey seed (what every
   configuration we ship uses: the server holds only public keys);
3. ``ZC_NATS_USER`` and ``ZC_NATS_PASSWORD``;
4. ``ZC_NATS_KEYS_DIR/<principal>.nk`` (default ``<ZC_DATA_DIR>/nats-keys``): a directory of
   seeds as ``zhicheng nats keys`` and ``zhicheng up`` write it;
5. nothing: a server without authentication (this machine's NATS, for example).

Whatever it authenticates with, a client's replies come to ``_INBOX.<principal>``: the
permissions let only that principal subscribe there.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nkeys
from nats.aio.client import Client as NatsClient

from zhicheng_common.events.permissions import Grant, SubjectSpace, grant_for, inbox_prefix, principals
from zhicheng_common.events.streams import connect
from zhicheng_common.settings import CommonSettings

SEED_SUFFIX = ".nk"


async def connect_as(settings: CommonSettings, principal: str) -> NatsClient:
    """Connect to ``ZC_NATS_URL`` as ``principal`` (a service name or ``operator``)."""
    return await connect(settings.nats_url, name=f"zhicheng-{principal}", auth=connect_options(settings, principal))


def connect_options(settings: CommonSettings, principal: str) -> dict[str, Any]:
    """Keyword arguments of ``nats.connect`` for ``principal`` (a service name or ``operator``)."""
    options: dict[str, Any] = {"inbox_prefix": inbox_prefix(principal)}
    if settings.nats_creds_file is not None:
        options["user_credentials"] = str(settings.nats_creds_file)
    elif settings.nats_nkey_seed is not None:
        options["nkeys_seed_str"] = settings.nats_nkey_seed.get_secret_value().strip()
    elif settings.nats_nkey_seed_file is not None:
        options["nkeys_seed_str"] = settings.nats_nkey_seed_file.read_text().strip()
    elif settings.nats_user is not None:
        options["user"] = settings.nats_user
        if settings.nats_password is not None:
            options["password"] = settings.nats_password.get_secret_value()
    elif seed_path(settings.nats_keys_path, principal).exists():
        options["nkeys_seed_str"] = seed_path(settings.nats_keys_path, principal).read_text().strip()
    return options


def seed_path(directory: Path, principal: str) -> Path:
    return directory / f"{principal}{SEED_SUFFIX}"


def new_seed() -> str:
    """A fresh NKey user seed (``SU…``)."""
    return bytes(nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER)).decode()


def public_key(seed: str) -> str:
    """The public key (``U…``) the server lists for the holder of ``seed``."""
    return bytes(nkeys.from_seed(bytearray(seed.strip().encode())).public_key).decode()


def ensure_keys(directory: Path, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Create a seed file (mode 0600) for each principal lacking one; return principal → public key.

    Existing seeds are kept, so services keep authenticating across restarts.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    keys: dict[str, str] = {}
    for principal in names or principals():
        path = seed_path(directory, principal)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(new_seed() + "\n")
        keys[principal] = public_key(path.read_text())
    return keys


def permissions_block(grant: Grant) -> dict[str, Any]:
    """A NATS ``permissions`` map."""

    def rules(allow: tuple[str, ...], deny: tuple[str, ...]) -> dict[str, list[str]]:
        out = {"allow": list(allow)}
        if deny:
            out["deny"] = list(deny)
        return out

    return {
        "publish": rules(grant.publish, grant.deny_publish),
        "subscribe": rules(grant.subscribe, grant.deny_subscribe),
    }


def authorization(
    public_keys: Mapping[str, str],
    space: SubjectSpace,
    *,
    extra_users: list[dict[str, Any]] | None = None,
    no_auth_user: str | None = None,
) -> dict[str, Any]:
    """The ``authorization`` (and ``no_auth_user``) part of a server configuration.

    Args:
        public_keys: principal → NKey public key, e.g. from :func:`ensure_keys`.
        space: the deployment's subjects and streams.
        extra_users: further users as NATS maps (the test harness has one).
        no_auth_user: the user a client without credentials becomes (tests only).
    """
    users: list[dict[str, Any]] = [
        {"nkey": key, "permissions": permissions_block(grant_for(principal, space))}
        for principal, key in public_keys.items()
    ]
    users += extra_users or []
    config: dict[str, Any] = {"authorization": {"users": users}}
    if no_auth_user is not None:
        config["no_auth_user"] = no_auth_user
    return config


HARNESS = "harness"


def stack_authorization(keys_dir: Path, space: SubjectSpace, *, harness: bool = False) -> dict[str, Any]:
    """Seeds for every principal (created when missing) and the authorization that grants them.

    With ``harness`` (test sessions only), a client that brings no credentials becomes a user
    allowed everything: test code playing a producer, or reading a stream, needs no key, while
    every process started with a service's key is held to that service's permissions.
    """
    keys = ensure_keys(keys_dir)
    if not harness:
        return authorization(keys, space)
    # No permissions map: allowed everything. The password is never used (no_auth_user).
    user = {"user": HARNESS, "password": secrets.token_urlsafe(16)}
    return authorization(keys, space, extra_users=[user], no_auth_user=HARNESS)


def render(config: Mapping[str, Any]) -> str:
    """NATS configuration text, one ``key: <JSON>`` line per top-level key.

    Valid as a file of its own and as an ``include`` of a larger nats.conf; JSON's quoting keeps
    ``$JS…`` subjects literal (unquoted, ``$NAME`` would be a variable).
    """
    lines = ["# Written by `zhicheng nats config`: NKey users and their permissions (docs/nats.md)."]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"
