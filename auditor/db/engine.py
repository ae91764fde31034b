"""Opening the database: engine, sessions, and the schema's version check."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from auditor.db import history  # noqa: F401  (every session records changes to devices)
from auditor.errors import DatabaseError, SchemaMissing, SchemaTooNew
from auditor.settings import mask_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000  # an agent and a nightly audit share the file; wait, don't fail


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _create_private(path: Path) -> None:
    """Create the SQLite file mode 0600 before SQLite does (it would honour the umask)."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create the database file {path}: {exc.strerror}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL: readers never block the agent's writes.  Asked only of auditor's own files: the mode is
    # written into the file, and another program's database is never changed by opening it.
    ours = cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if ours and cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_migrating(dbapi_connection: Any, _record: Any) -> None:
    """A connection that runs migrations: foreign keys off (a table SQLite copies to alter it must
    not cascade into the rows that point at it), and no implicit transactions of the driver, so
    that every migration, DDL included, is in the one transaction that `_begin` opens."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()  # (WAL, which changes the file, is set by the first connection that works in it)


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, create: bool = False, migrating: bool = False) -> Engine:
    """An engine for `url`.  A missing SQLite file is an error unless `create` (used by init).  A
    `migrating` engine runs all its work in one transaction, DDL included: all or nothing."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"{mask_url(url)!r} is not a database URL; expected e.g. sqlite:///inventory.db") from exc
    path = sqlite_path(url)
    if path is not None:
        if create:
            _create_private(path)
        elif not path.exists():
            raise SchemaMissing(f"no database at {path}; run `auditor init` first (or pass --db)")
    try:
        engine = create_engine(parsed)
    except NoSuchModuleError as exc:
        raise DatabaseError(
            f"no driver for {parsed.drivername}; for PostgreSQL install auditor[postgres] "
            "and use postgresql+psycopg://…"
        ) from exc
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"the driver for {parsed.drivername} is not installed ({exc.name}); install auditor[postgres]"
        ) from exc
    if parsed.get_backend_name() == "sqlite" and migrating:
        event.listen(engine, "connect", _sqlite_migrating)
        event.listen(engine, "begin", _begin)
    elif parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def schema_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:  # not a database at all, a locked or unreadable file, a server away
        raise DatabaseError(mask_url(f"cannot open the database {engine.url}: {exc.orig}")) from exc


def _foreign_tables(engine: Engine) -> list[str]:
    """The tables of a database that has no auditor schema: another program's, never touched."""
    try:
        return sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
    except DBAPIError as exc:
        raise DatabaseError(mask_url(f"cannot open the database {engine.url}: {exc.orig}")) from exc


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database this code does not know the schema of."""
    revision = schema_revision(engine)
    heads = _heads()
    if revision in heads:
        return
    where = mask_url(str(engine.url))
    if revision is None:
        if foreign := _foreign_tables(engine):
            raise SchemaMissing(
                f"the database {where} holds another program's tables ({', '.join(foreign[:5])}), not auditor's; "
                "give auditor's database with --db (or a new file, and run `auditor init` on it)"
            )
        raise SchemaMissing(f"the database {where} has no auditor schema; run `auditor init`")
    if not _known(ScriptDirectory.from_config(alembic_config()), revision):
        raise SchemaTooNew(
            f"the database {where} is at schema revision {revision}, which this auditor "
            f"({', '.join(sorted(heads))}) does not know: it was migrated by a newer auditor. "
            "Upgrade auditor; do not downgrade the database."
        )
    raise SchemaMissing(f"the database {where} is at an older schema ({revision}); run `auditor init` to upgrade it")


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        script.get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown id
        return False
    return True


class Database:
    """An open, initialised database: what the rest of auditor holds instead of an engine.  A
    context manager: `with open_database(url) as database:` closes it however the block ends."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def in_memory(self) -> bool:
        """A SQLite database in this process's memory: no other process can open it."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")

    @property
    def url(self) -> str:
        return mask_url(self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def session(self, *, commit: bool = True) -> Iterator[Session]:
        """One unit of work: committed when the block finishes (unless not `commit`), rolled back if it raises."""
        session = self._sessions()
        try:
            yield session
            if commit:
                session.commit()
            else:
                session.rollback()
        except IntegrityError as exc:  # a guard of the schema held: someone else wrote the same thing
            session.rollback()
            raise DatabaseError(
                f"the database {self.url} refused a write that would break the register "
                f"({str(exc.orig).splitlines()[0]}); another run changed it at the same time. "
                "Nothing of this step was stored: run it again"
            ) from exc
        except (OperationalError, DBAPIError) as exc:  # the server went away, the disk is full, a lock held too long
            session.rollback()
            raise DatabaseError(f"the database {self.url} failed: {exc.orig}; nothing of this step was stored") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def init_database(url: str) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; (revision before, revision after)."""
    engine = make_engine(url, create=True, migrating=True)
    try:
        before = schema_revision(engine)
        if before is None and (foreign := _foreign_tables(engine)):
            shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
            raise DatabaseError(
                f"the database {mask_url(str(engine.url))} holds another program's tables ({shown}) and no "
                "auditor schema; auditor leaves it untouched. Give a new file or an empty database with --db"
            )
        if (
            before is not None
            and before not in _heads()
            and not _known(ScriptDirectory.from_config(alembic_config()), before)
        ):
            check_schema(engine)  # raises SchemaTooNew with the full explanation
        if before not in _heads():
            try:
                command.upgrade(alembic_config(engine), "head")
            except DBAPIError as exc:  # the whole upgrade was one transaction: nothing of it stayed
                raise DatabaseError(
                    f"upgrading the database {mask_url(str(engine.url))} failed: {str(exc.orig).splitlines()[0]}. "
                    f"It is still at revision {before or 'none'}, unchanged; mend the cause (free disk space?) "
                    "and run `auditor init` again"
                ) from exc
        after = schema_revision(engine)
        assert after is not None
        if engine.dialect.name == "sqlite":
            _write_ahead(engine)
        return before, after
    finally:
        engine.dispose()


def _write_ahead(engine: Engine) -> None:
    """An auditor database is in WAL mode from its first day: readers never wait for a writer,
    even one that is not auditor (the file's mode persists; every connection asks for it again)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    except Exception as exc:  # the driver's own error: this connection is not SQLAlchemy's to wrap
        raise DatabaseError(mask_url(f"cannot open the database {engine.url}: {exc}")) from exc
    finally:
        connection.close()


def create_postgres_database(admin_url: str, name: str) -> str:
    """Create the database `name` on the PostgreSQL server `admin_url` points at; the new one's URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def open_database(url: str) -> Database:
    """An initialised database at the schema this code expects."""
    engine = make_engine(url)
    try:
        check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)
