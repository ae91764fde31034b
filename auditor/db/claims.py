"""Several agents, one database: claims on devices and links, heartbeats, and the agents' register.

The LibreNMS poller-group model on a database.  A device (or link) is *due* when its `due_at` has
passed; an agent *claims* a batch of due items by writing its name and a lease expiry on them
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so two agents never claim the same row).  When
it has polled them it stores the results and moves `due_at` to the next cycle in one transaction,
for the items it still holds: a result for an item whose lease was lost is dropped, so no item is
stored twice in a cycle.  A live agent renews its leases with its heartbeat; a dead agent's leases
expire and the items are claimed by whoever comes next.

SQLite serves one agent at a time (it has one writer and no row locks): a second live agent is
refused with a clear error.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from auditor.db.common import DEFAULT_GROUP, chunked, unit_is
from auditor.db.models import Agent, Device, Link, Unit
from auditor.domain import DeviceStatus
from auditor.errors import AgentConflict, AuditorError
from auditor.facts import AgentIdentity, AgentView

Kind = Literal["device", "link"]  # what an agent claims
MODELS: dict[str, type[Device] | type[Link]] = {"device": Device, "link": Link}


def _live(row: Agent, now: dt.datetime) -> bool:
    return row.stopped_at is None and (now - row.heartbeat_at).total_seconds() < row.lease_s


def _describe(row: Agent, now: dt.datetime) -> str:
    age = (now - row.heartbeat_at).total_seconds()
    return f"agent {row.name!r} on {row.host} (pid {row.pid}, last heartbeat {age:.0f} s ago)"


def register_agent(session: Session, me: AgentIdentity, now: dt.datetime, alive: Callable[[int], bool]) -> None:
    """Record this agent as running; refuse if its name is taken by a live agent, or, on SQLite, if
    any other agent is live.  Leases left under its name by a dead predecessor are released.
    `alive(pid)` tells whether a process of this agent's host still runs (a predecessor on the same
    host whose process is gone is taken over at once, without waiting for its lease)."""
    row = session.scalar(select(Agent).where(Agent.name == me.name))
    taken = row is not None and _live(row, now) and (row.host, row.pid) != (me.host, me.pid)
    if row is not None and taken and (row.host != me.host or alive(row.pid)):
        raise AgentConflict(
            f"{_describe(row, now)} is already running under this name; "
            "give this one another name (--name or agent.name)"
        )
    if row is None:
        row = Agent(name=me.name)
        session.add(row)
    row.poller_group, row.host, row.pid, row.lease_s = me.group, me.host, me.pid, me.lease_s
    row.started_at = row.heartbeat_at = now
    row.stopped_at = None
    row.devices_done = row.links_done = 0
    release(session, me.name)
    session.flush()  # on SQLite this write takes the database's write lock: a rival waits here
    if session.get_bind().dialect.name == "sqlite":
        others = [a for a in session.scalars(select(Agent).where(Agent.name != me.name)) if _live(a, now)]
        if others:
            raise AgentConflict(
                f"SQLite serves one agent at a time, and {_describe(others[0], now)} is running. "
                "Stop it, or move the inventory to PostgreSQL (database.url = postgresql+psycopg://…) "
                "so several agents can share the work"
            )


def heartbeat(session: Session, name: str, now: dt.datetime, lease_s: float) -> int:
    """Say this agent is alive, and renew the leases it holds; how many leases were renewed."""
    session.execute(update(Agent).where(Agent.name == name).values(heartbeat_at=now))
    until = now + dt.timedelta(seconds=lease_s)
    renewed = 0
    for model in MODELS.values():
        result: Any = session.execute(update(model).where(model.lease_owner == name).values(lease_expires=until))
        renewed += result.rowcount
    return renewed


def release(session: Session, name: str, kind: Kind | None = None, ids: Sequence[int] | None = None) -> None:
    """Give back the leases held under `name`: all of them, or those on `ids` of `kind`.  The items
    stay due: the next claim takes them."""
    for key, model in MODELS.items():
        if kind is not None and key != kind:
            continue
        mine = update(model).where(model.lease_owner == name).values(lease_owner=None, lease_expires=None)
        if ids is None:
            session.execute(mine)
        for chunk in chunked(list(ids or ())):
            session.execute(mine.where(model.id.in_(chunk)))


def stop_agent(session: Session, name: str, now: dt.datetime) -> None:
    release(session, name)
    session.execute(update(Agent).where(Agent.name == name).values(stopped_at=now, heartbeat_at=now))


def _in_group(statement: Any, model: Any, group: str | None, unit_code: str | None) -> Any:
    if group is None and unit_code is None:
        return statement
    if model is Device:  # a device with no unit is in the default group
        statement = statement.outerjoin(Unit, Device.unit_id == Unit.id)
    else:
        statement = statement.join(Unit, Link.unit_id == Unit.id)
    if unit_code is not None:
        statement = statement.where(unit_is(unit_code))
    if group is not None:
        statement = statement.where(func.coalesce(Unit.poller_group, DEFAULT_GROUP) == group)
    return statement


def claim(
    session: Session,
    kind: Kind,
    name: str,
    *,
    group: str | None,
    unit_code: str | None = None,
    due_by: dt.datetime,
    now: dt.datetime,
    lease_s: float,
    limit: int,
) -> list[int]:
    """Claim up to `limit` items due by `due_by` that nobody holds (or whose holder's lease expired
    before `now`); their ids.  `due_by` is the cycle's start, so items done during the cycle and
    due again soon are left for the next one."""
    model = MODELS[kind]
    statement: Any = select(model.id).where(
        (model.due_at.is_(None)) | (model.due_at <= due_by),
        (model.lease_owner.is_(None)) | (model.lease_expires < now),
    )
    if model is Device:
        statement = statement.where(Device.ip.is_not(None), Device.status == DeviceStatus.ACTIVE)
    statement = _in_group(statement, model, group, unit_code)
    # SKIP LOCKED: rows another agent is claiming this instant are left to it, not waited for.
    # OF the claimed table only: locking the joined unit rows would make agents skip each other's units.
    statement = statement.order_by(model.id).limit(limit).with_for_update(skip_locked=True, of=model)
    ids = list(session.scalars(statement))
    until = now + dt.timedelta(seconds=lease_s)
    for chunk in chunked(ids):
        session.execute(update(model).where(model.id.in_(chunk)).values(lease_owner=name, lease_expires=until))
    return ids


def still_held(session: Session, kind: Kind, name: str, ids: Sequence[int]) -> set[int]:
    """Which of `ids` this agent still holds, locked until the transaction ends (so nobody takes them
    while the results are being stored)."""
    model = MODELS[kind]
    held: set[int] = set()
    for chunk in chunked(ids):
        held.update(
            session.scalars(
                select(model.id).where(model.id.in_(chunk), model.lease_owner == name).with_for_update(of=model)
            )
        )
    return held


def settle(session: Session, kind: Kind, name: str, ids: Sequence[int], due_at: dt.datetime) -> set[int]:
    """Which of `ids` this agent still holds, done for the cycle in the caller's transaction (the
    one that stores their results): the others were taken over, and their results are not stored."""
    held = still_held(session, kind, name, ids)
    complete(session, kind, name, sorted(held), due_at)
    return held


def complete(session: Session, kind: Kind, name: str, ids: Sequence[int], due_at: dt.datetime) -> None:
    """Done for this cycle: due again at `due_at`, lease given back."""
    model = MODELS[kind]
    for chunk in chunked(ids):
        session.execute(
            update(model)
            .where(model.id.in_(chunk), model.lease_owner == name)
            .values(due_at=due_at, lease_owner=None, lease_expires=None)
        )


def record_cycle(
    session: Session, name: str, tick: dt.datetime, done_at: dt.datetime, devices: int, links: int
) -> None:
    session.execute(
        update(Agent)
        .where(Agent.name == name)
        .values(cycle_tick=tick, cycle_done_at=done_at, devices_done=devices, links_done=links, heartbeat_at=done_at)
    )


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def list_agents(session: Session, now: dt.datetime) -> list[AgentView]:
    found = []
    for row in session.scalars(select(Agent).order_by(Agent.poller_group, Agent.name)):
        state = "stopped" if row.stopped_at is not None else "running" if _live(row, now) else "stale"
        lag = (
            (row.cycle_done_at - row.cycle_tick).total_seconds()
            if row.cycle_tick is not None and row.cycle_done_at is not None
            else None
        )
        found.append(
            AgentView(
                name=row.name,
                poller_group=row.poller_group or "(all)",
                host=row.host,
                pid=row.pid,
                state=state,
                started_at=_iso(row.started_at),
                heartbeat_at=_iso(row.heartbeat_at),
                heartbeat_age_s=round((now - row.heartbeat_at).total_seconds(), 1),
                cycle_tick=_iso(row.cycle_tick) if row.cycle_tick else None,
                lag_s=round(lag, 1) if lag is not None else None,
                devices_done=row.devices_done,
                links_done=row.links_done,
            )
        )
    return found


# ---------------------------------------------------------------- one job at a time


@contextmanager
def held_alone(engine: Engine, key: int, wait_s: float, what: str) -> Iterator[None]:
    """Hold PostgreSQL's session-level advisory lock `key` for the block, waiting up to `wait_s`
    for another holder (on any machine) to finish.  The lock goes with the connection, so a killed
    holder never leaves it stuck; `files.exclusive` is the same for a SQLite file."""
    deadline = time.monotonic() + wait_s
    with engine.connect() as connection:
        while not connection.scalar(select(func.pg_try_advisory_lock(key))):
            connection.rollback()
            if time.monotonic() >= deadline:
                holder = connection.execute(
                    select(text("a.client_addr, a.backend_start"))
                    .select_from(text("pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"))
                    .where(text("l.locktype = 'advisory' AND l.granted AND l.objid = :key"))
                    .params(key=key & 0xFFFFFFFF)
                ).first()
                since = f" since {holder[1]:%Y-%m-%d %H:%M:%S}" if holder and holder[1] else ""
                where = f" from {holder[0]}" if holder and holder[0] else ""
                raise AuditorError(
                    f"{what} is already running on this database{where}{since}; this one waited "
                    f"{wait_s:g} s and gave up. Nothing was changed."
                )
            time.sleep(0.2)
        connection.commit()
        try:
            yield
        finally:
            connection.scalar(select(func.pg_advisory_unlock(key)))
            connection.commit()
