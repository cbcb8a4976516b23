"""One base exception for everything the user can get wrong or the system can refuse."""

from __future__ import annotations


class EmergencyError(Exception):
    """Base of every error the CLI turns into a one-line message and exit code 1."""


class InputError(EmergencyError):
    """Bad input: names the record and the field, and why."""

    def __init__(self, record: str, field: str | None, why: str) -> None:
        self.record = record
        self.field = field
        self.why = why
        where = f"{record}, field {field}" if field else record
        super().__init__(f"{where}: {why}")


class RulesError(EmergencyError):
    """A rules or plan file that does not validate: names the file, the field and why."""

    def __init__(self, path: str, field: str | None, why: str) -> None:
        self.path = path
        self.field = field
        self.why = why
        where = f"{path}, field {field}" if field else path
        super().__init__(f"{where}: {why}")


class NotFoundError(EmergencyError):
    """A record the user named does not exist."""


class ConflictError(EmergencyError):
    """The request contradicts what is already stored (e.g. a duplicate id)."""
