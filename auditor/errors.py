"""Every error type auditor raises on purpose.  The CLI prints an AuditorError as "Error: …" with its
exit code; the others are caught inside the package and become data (a failed device, a bad cell)."""

from __future__ import annotations

from typing import Any


class AuditorError(Exception):
    """Something the user can act on; the message says what went wrong, where, and what to do."""

    exit_code = 1


class ConfigError(AuditorError):
    """The configuration file or an AUDITOR_* variable is malformed."""


class DatabaseError(AuditorError):
    """The database cannot be opened, or its schema is not the one this code knows."""


class SchemaMissing(DatabaseError):
    """The database has no schema yet (or an older one): `auditor init` is the cure."""


class SchemaTooNew(DatabaseError):
    """The database was migrated by a newer auditor than this one."""


class InputFileError(AuditorError):
    """A spreadsheet or CSV cannot be read at all (as opposed to a bad row in it).  `said` is the
    message as data (facts.Said), for the reader's language; str() is English."""

    def __init__(self, said: Any) -> None:
        super().__init__(str(said))
        self.said = said


class RowsRejected(AuditorError):
    """An import finished, but some rows were rejected; the good ones were imported."""


class AgentConflict(AuditorError):
    """Another live agent stands where this one would: the same name, or any agent on SQLite."""


class TargetError(AuditorError):
    """A scan target that is not an address or a network, or a range too large without --yes."""

    exit_code = 2


class RenderUnavailable(AuditorError):
    """A document asked for as PDF or PNG, and the program that draws it is not installed."""


class IcmpUnavailable(AuditorError):
    """Neither a raw socket nor a ping socket can be opened here."""


class SnmpFailure(Exception):
    """A request that did not give an answer; str() says what, for the device's record."""


class SnmpTimeout(SnmpFailure):
    pass


class SnmpError(SnmpFailure):
    """The agent answered with an error, or with something that is not a valid answer."""


class SnmpPduError(SnmpError):
    """The agent refused the request itself (tooBig, noSuchName…): a smaller request may pass."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


class BadValue(Exception):
    """One cell's value is not what its column expects; `expected` says what it should be (a
    message as data, facts.Said, for the reader's language)."""

    def __init__(self, expected: Any) -> None:
        super().__init__(str(expected))
        self.expected = expected


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message."""


class PostgresUnavailable(Exception):
    """The lab's PostgreSQL: the server binaries (or a user to run them as) are missing; the message says which."""


class SnmpSimError(RuntimeError):
    pass
