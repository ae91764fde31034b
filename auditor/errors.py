"""The errors auditor raises on purpose.  The CLI prints them as "Error: …" with an exit code."""

from __future__ import annotations


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
    """A spreadsheet or CSV cannot be read at all (as opposed to a bad row in it)."""


class RowsRejected(AuditorError):
    """An import finished, but some rows were rejected; the good ones were imported."""


class AgentConflict(AuditorError):
    """Another live agent stands where this one would: the same name, or any agent on SQLite."""
