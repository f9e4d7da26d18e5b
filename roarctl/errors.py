"""Client-side errors: one sentence for the user and the exit code to leave with."""
from __future__ import annotations

import click


class ClientError(click.ClickException):
    """Printed as ``roarctl: <sentence>``; exits with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # noqa: D401 - click API
        click.echo(f"roarctl: {self.format_message()}", err=True)


#: Exit codes, shared by every command.
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 4
EXIT_DAEMON = 3
#: `reproduce --run`: the steps ran, but the target did not come back byte-identical.
EXIT_DIVERGED = 5
#: `run`: the command succeeded but its record is incomplete (the tracer may have lost events);
#: the workspace's run.allow_incomplete = true makes it 0.
EXIT_INCOMPLETE = 6
