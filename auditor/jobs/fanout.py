"""Work spread over worker processes: a large poll's addresses, and a country's link judgement.

Processes are spawned, never forked: the parent holds a database engine and sockets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
import queue as queue_module
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from auditor.discovery.icmp import Pinger
from auditor.errors import AuditorError
from auditor.facts import HostObservation, PollTarget
from auditor.jobs.clock import RunClock
from auditor.jobs.observe import Progress, observe
from auditor.settings import PollOptions
from auditor.snmp.catalog import Catalog

PARALLEL_FROM = 2000  # below this, starting worker processes costs more than it saves
_progress_queue: Any = None


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def _worker_start(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _observe_share(
    addresses: list[str],
    options: PollOptions,
    clock: RunClock,
    catalog: Catalog,
    known: dict[str, PollTarget],
    identity: bool,
    snmp_addresses: frozenset[str] | None,
) -> tuple[list[HostObservation], str]:
    """One worker's share of a large run, in its own process, its own event loop and sockets."""
    pending = 0

    def report(done: int) -> None:
        nonlocal pending
        pending += done
        if pending >= 50:
            _progress_queue.put(pending)
            pending = 0

    found = asyncio.run(
        observe(
            addresses,
            options,
            clock=clock,
            catalog=catalog,
            known=known,
            identity=identity,
            progress=report,
            snmp_addresses=snmp_addresses,
        )
    )
    if pending:
        _progress_queue.put(pending)
    return found


def observe_all(
    addresses: Sequence[str],
    options: PollOptions,
    *,
    clock: RunClock,
    catalog: Catalog,
    known: dict[str, PollTarget],
    identity: bool,
    pinger: Pinger | None = None,
    progress: Progress | None = None,
    snmp_addresses: frozenset[str] | None = None,
) -> tuple[list[HostObservation], str]:
    """`observe`, split over one process per core when the run is large enough to gain from it.

    An identity read goes through pysnmp, ~2 ms of CPU a request (most of it decoding BER), and
    even the hand-coded routine GET leaves ICMP, rules and bookkeeping to one core per process.
    Addresses go to workers by a stable hash: the same device, the same worker.
    """
    count = options.workers if options.workers is not None else default_workers()
    if count <= 1 or len(addresses) < PARALLEL_FROM or pinger is not None:
        return asyncio.run(
            observe(
                addresses,
                options,
                clock=clock,
                catalog=catalog,
                known=known,
                identity=identity,
                pinger=pinger,
                progress=progress,
                snmp_addresses=snmp_addresses,
            )
        )
    shares: list[list[str]] = [[] for _ in range(count)]
    for address in addresses:
        shares[zlib.crc32(address.encode()) % count].append(address)
    work = [
        (share, options, clock, catalog, {a: known[a] for a in share if a in known}, identity, snmp_addresses)
        for share in shares
        if share
    ]
    results = _in_processes(count, work, progress)
    order = {address: i for i, address in enumerate(addresses)}
    observations = sorted((o for found, _ in results for o in found), key=lambda o: order[o.address])
    icmp = next((state for _, state in results if state != "ok"), "ok")
    return observations, icmp


def _in_processes(
    count: int, work: Sequence[tuple[Any, ...]], progress: Progress | None
) -> list[tuple[list[HostObservation], str]]:
    """`_observe_share` of each share of `work` in a pool of `count` processes, progress relayed."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    with concurrent.futures.ProcessPoolExecutor(
        count, mp_context=context, initializer=_worker_start, initargs=(queue,)
    ) as pool:
        futures = [pool.submit(_observe_share, *args) for args in work]
        while not all(f.done() for f in futures):
            with contextlib.suppress(queue_module.Empty):
                done = queue.get(timeout=0.2)
                if progress:
                    progress(done)
        return [f.result() for f in futures]


class Workers:
    """Worker processes that each compute one answer and send it down a pipe: `target(send, *args)`
    is called in each, with its own `args`; it sends `(answer, None)` or `(None, error)`."""

    def __init__(self, target: Callable[..., None], shares: Sequence[tuple[Any, ...]], name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.started: list[tuple[Any, Any]] = []
        for args in shares:
            receive, send = context.Pipe(duplex=False)
            worker = context.Process(target=target, args=(send, *args), name=name, daemon=True)
            worker.start()
            send.close()
            self.started.append((worker, receive))
        self.answered = False

    def answers(
        self, what: str, then: str = "the audit stopped before writing its findings: run it again"
    ) -> list[Any]:
        """Every worker's answer, in order; a worker's error is raised here, and so is its death
        (saying what `then` happened)."""
        found = []
        for worker, receive in self.started:
            try:
                answer, error = receive.recv()
            except EOFError:
                worker.join()
                raise AuditorError(
                    f"a {what} worker process ended without an answer (exit code {worker.exitcode}); {then}"
                ) from None
            if error is not None:
                raise error
            found.append(answer)
        self.answered = True
        return found

    def close(self) -> None:
        """Wait for the workers; those still at work when nobody wants their answer are stopped."""
        for worker, receive in self.started:
            if not self.answered and worker.is_alive():
                worker.terminate()
            worker.join()
            receive.close()


def send_answer(send: Any, compute: Callable[[], Any], what: str) -> None:  # pragma: no cover - in a worker
    """A worker's end of `Workers`: the answer of `compute`, or its error, down the pipe."""
    try:
        send.send((compute(), None))
    except Exception as error:  # handed to the parent, which raises it
        try:
            send.send((None, error))
        except Exception:  # an error that cannot be pickled goes as its message
            send.send((None, AuditorError(f"{what}: {type(error).__name__}: {error}")))
    finally:
        send.close()
