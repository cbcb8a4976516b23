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


class TemplateError(EmergencyError):
    """A document template that cannot be rendered: names the template and the variable (or why)."""

    def __init__(self, template: str, variable: str | None, *, why: str | None = None,
                 also: tuple[str, ...] = ()) -> None:
        self.template = template
        self.variable = variable
        self.also = also
        if variable is not None:
            message = f"template {template}: variable {variable} is missing from the context"
            if also:
                message += f" (also missing: {', '.join(also)})"
        else:
            message = f"template {template}: {why or 'cannot be rendered'}"
        self.why = why
        super().__init__(message)
