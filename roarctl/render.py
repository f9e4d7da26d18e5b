"""Rendering: --json output with a stable shape, and small human-readable tables."""
from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any, Iterable

import click


def message_dict(msg: Any) -> dict[str, Any]:
    """A proto message as a plain dict: proto field names, every field present, integers as JSON
    numbers (protobuf's own JSON mapping turns int64 into strings), timestamps as RFC 3339."""
    out: dict[str, Any] = {}
    for field in msg.DESCRIPTOR.fields:
        value = getattr(msg, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            out[field.name] = {k: _value(field.message_type.fields_by_name["value"], v)
                               for k, v in value.items()}
        elif field.is_repeated:
            out[field.name] = [_value(field, v) for v in value]
        else:
            out[field.name] = _value(field, value)
    return out


def _value(field: Any, value: Any) -> Any:
    if field.message_type is None:
        if field.enum_type is not None:
            return field.enum_type.values_by_number[value].name
        return value
    if field.message_type.full_name == "google.protobuf.Timestamp":
        return value.ToJsonString() if (value.seconds or value.nanos) else None
    return message_dict(value)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")


def table(rows: Iterable[Iterable[Any]], headers: list[str] | None = None) -> str:
    rows = [[str(c) for c in r] for r in rows]
    if headers:
        rows = [headers, *rows]
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in rows if i < len(r)) for i in range(max(len(r) for r in rows))]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    if headers:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def command_line(argv: Iterable[str]) -> str:
    """A recorded argv as a shell would need it typed (quoted where needed): the one way a
    command is shown anywhere in roarctl's human output."""
    return shlex.join(argv)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters at a word boundary, ending in "…" when cut."""
    if len(text) <= width:
        return text
    cut = text[:max(1, width - 1)]
    space = cut.rfind(" ")
    return (cut[:space] if space > width // 2 else cut).rstrip() + "…"


def short_hash(h: str, n: int = 12) -> str:
    return h[:n] if h else "-"


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def warn(text: str) -> None:
    click.echo(click.style("warning: ", fg="yellow") + text, err=True)


def checklist(items) -> None:
    """The reproducibility checklist, as the original roar prints it."""
    if not items:
        return
    ok = sum(1 for i in items if i.ok)
    click.echo(f"Reproducibility — {ok}/{len(items)}")
    for item in items:
        mark = "✅" if item.ok else "❌"
        detail = f": {item.detail}" if item.detail and not item.ok else ""
        click.echo(f"  [{mark}] {item.name}{detail}")


class StatusLine:
    """One line on stderr, rewritten in place (progress, elapsed time); only on a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.width = 0

    def show(self, text: str) -> None:
        if not self.enabled:
            return
        text = text[:max(20, _columns() - 1)]
        sys.stderr.write("\r" + text.ljust(self.width))
        sys.stderr.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.enabled and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def _columns(stream=None) -> int:
    try:
        return os.get_terminal_size((stream or sys.stderr).fileno()).columns
    except OSError:
        return 80


def stdout_columns() -> int | None:
    """The terminal's width when stdout is one; None when output goes to a pipe or file (then
    nothing is cut)."""
    return _columns(sys.stdout) if sys.stdout.isatty() else None


#: How roard marks a job whose exit code it could not learn (roarctl died before the command
#: ended); the job keeps -1 in its exit_code field.
EXIT_UNKNOWN_PREFIX = "the command's exit code is unknown"


def exit_text(job) -> str:
    """A job's exit code as shown: "unknown" where roard could not learn it."""
    if job.exit_code == -1 and any(w.startswith(EXIT_UNKNOWN_PREFIX) for w in job.warnings):
        return "unknown"
    return str(job.exit_code)
