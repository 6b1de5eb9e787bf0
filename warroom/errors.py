"""One error hierarchy: user errors (bad input, fixable by the user) vs internal errors (our bug).

The CLI maps UserError to exit code 2 with the message alone; the API maps it to a 4xx JSON envelope.
Messages say what, where and how to fix.
"""


class WarroomError(Exception):
    """Base of every error Warroom raises on purpose."""


class UserError(WarroomError):
    """Bad input: a file, row, column, option or request the user can fix. The message names it."""

    status_code = 400


class NotFound(UserError):
    status_code = 404


class SchemaError(UserError):
    """Data that does not fit the canonical schema."""
