"""One module per group of commands. Shared option decorators live here."""
from __future__ import annotations

from typing import Any, Callable

import click

json_option: Callable[[Any], Any] = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
yes_option: Callable[[Any], Any] = click.option(
    "-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
