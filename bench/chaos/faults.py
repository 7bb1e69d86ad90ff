"""The faults, each a function of the stack and a random source; each returns what it did.

Each one ends with the system healthy again (or raises): the next fault lands on a working
system, so that every fault is one fault and not the tail of the previous one.
"""

from __future__ import annotations

import errno
import functools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from zhicheng_common.settings import CommonSettings

from .stack import SERVICES, ChaosStack

# A pause is past the gateway's upstream timeout (10 s) and, in about half the draws, past the
# consumers' ack wait (30 s): JetStream then redelivers what the paused service had fetched.
PAUSE_SECONDS = (11.0, 40.0)
DOWN_SECONDS = (0.0, 3.0)  # how long a killed server stays down before it is started again
DISK_FULL_SECONDS = (3.0, 12.0)
ZHICHENG = Path(sys.executable).with_name("zhicheng")


def kill_service(stack: ChaosStack, rng: random.Random) -> str:
    name = rng.choice(sorted(SERVICES))
    stack.kill_service(name)  # `zhicheng up --restart-exited` starts it again
    time.sleep(1.0)
    return f"kill -9 {name}; back in {stack.wait_healthy():.1f}s"


def _kill_and_restart(
    stack: ChaosStack, rng: random.Random, what: str, kill: Callable[[], None], start: Callable[[], None]
) -> str:
    kill()
    down = rng.uniform(*DOWN_SECONDS)
    time.sleep(down)
    start()
    return f"kill -9 {what}, down {down:.1f}s; healthy in {stack.wait_healthy():.1f}s"


def kill_nats(stack: ChaosStack, rng: random.Random) -> str:
    return _kill_and_restart(stack, rng, "NATS", stack.kill_nats, stack.start_nats)


def kill_postgres(stack: ChaosStack, rng: random.Random) -> str:
    return _kill_and_restart(stack, rng, "PostgreSQL", stack.kill_postgres, stack.start_postgres)


def pause_service(stack: ChaosStack, rng: random.Random) -> str:
    name = rng.choice(sorted(SERVICES))
    pid = stack.service_pid(name)
    seconds = rng.uniform(*PAUSE_SECONDS)
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)
    return f"SIGSTOP {name} for {seconds:.1f}s; healthy in {stack.wait_healthy():.1f}s"


def fill_store_disk(stack: ChaosStack, rng: random.Random) -> str:
    """Fill the file system of NATS's store, hold it full, free it. NATS answers publishes with an
    error meanwhile (the relays keep the rows and retry); if it disabled JetStream, the operator's
    step is a restart of NATS (docs/chaos.md), which is what happens here."""
    if not stack.store_mounted:
        raise RuntimeError("the NATS store is not on a file system of its own (tmpfs needs root)")
    ballast = stack.store / "ballast"
    written = 0
    chunk = b"\0" * (1 << 20)
    with ballast.open("wb") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
                written += 1
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    seconds = rng.uniform(*DISK_FULL_SECONDS)
    time.sleep(seconds)
    ballast.unlink()
    restarted = ""
    if not jetstream_answers(stack):
        stack.kill_nats()
        stack.start_nats()
        restarted = "; JetStream had stopped: NATS restarted"
    healthy = stack.wait_healthy()
    return f"NATS store full ({written} MiB of ballast) for {seconds:.1f}s{restarted}; healthy in {healthy:.1f}s"


def truncate_store(stack: ChaosStack, rng: random.Random, *, since: datetime) -> str:
    """kill -9 NATS and empty the event stream's newest message block: the acknowledged writes a
    power cut loses when they were not yet on disk. Then the operator's recovery: `zhicheng events
    reconcile` re-publishes from the outboxes what was published since the season began."""
    stack.kill_nats()
    stream = CommonSettings().stream_name
    # <store_dir>/jetstream/<account>/streams/<stream>/msgs/<n>.blk, n counting up
    store = stack.nats.data_dir / "jetstream"
    blocks = sorted(store.glob(f"*/streams/{stream}/msgs/*.blk"), key=lambda block: int(block.stem))
    if not blocks:
        raise RuntimeError(f"no message block of {stream} under {store}")
    lost = blocks[-1].stat().st_size
    blocks[-1].write_bytes(b"")
    stack.start_nats()
    stack.wait_healthy()
    reconcile = subprocess.run(
        [str(ZHICHENG), "events", "reconcile", "--since", since.isoformat()],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    summary = reconcile.stdout.strip().splitlines()[-1] if reconcile.stdout.strip() else ""
    return f"kill -9 NATS, emptied the newest of {len(blocks)} blocks ({lost} bytes); reconcile: {summary}"


def jetstream_answers(stack: ChaosStack) -> bool:
    """Whether JetStream takes a request (``zhicheng events check`` reaches the stream's consumers)."""
    check = subprocess.run(
        [str(ZHICHENG), "deadletters", "list", "--json"], env=stack.env, capture_output=True, text=True, timeout=60
    )
    return check.returncode == 0


Fault = Callable[[ChaosStack, random.Random], str]
FAULTS: dict[str, Fault] = {
    "kill_service": kill_service,
    "kill_nats": kill_nats,
    "kill_postgres": kill_postgres,
    "pause_service": pause_service,
    "fill_store_disk": fill_store_disk,
}


def schedule(rng: random.Random, kinds: tuple[str, ...], per_kind: int) -> list[str]:
    planned = [kind for kind in kinds for _ in range(per_kind)]
    rng.shuffle(planned)
    return planned


def inject(
    stack: ChaosStack,
    rng: random.Random,
    planned: list[str],
    started: datetime,
    log: list[str],
    *,
    stop: threading.Event | None = None,
    where: Callable[[], str] | None = None,
) -> Counter[str]:
    """Each planned fault in turn; ``stop`` (the work is over) ends the schedule early, ``where`` says
    what the work was doing when a fault landed (the season's stage)."""
    injected: Counter[str] = Counter()
    for kind in planned:
        gap = rng.uniform(1.0, 5.0)  # a random point of the work, not right after the last recovery
        if stop is None:
            time.sleep(gap)
        elif stop.wait(gap):
            log.append(f"the work ended before the last {len(planned) - sum(injected.values())} faults")
            break
        at = f"[{where()}] " if where else ""
        fault: Fault = functools.partial(truncate_store, since=started) if kind == "truncate_store" else FAULTS[kind]
        began = time.monotonic()
        what = fault(stack, rng)
        injected[kind] += 1
        log.append(f"{at}{kind}: {what} ({time.monotonic() - began:.1f}s)")
        print(f"  [{sum(injected.values())}/{len(planned)}] {log[-1]}", file=sys.stderr, flush=True)
    return injected
