"""What follows ``@N`` in ``roarctl run @N ...``: roarctl's own options, parameter overrides of
the step, and (after ``--``) arguments for the script. The rule (README, "Re-running a step"):

1. An option of ``roarctl run``/``build`` (``-q``, ``--json``, ``--upstream``, ``--tracer NAME``,
   ...) is roarctl's, before ``@N`` or after it.
2. ``--name=value`` is a parameter override: it replaces ``--name``'s value in the recorded
   command (in whichever form it was recorded), or is appended when the command has no ``--name``.
3. ``--name value`` is a parameter override only when the recorded command has the option
   ``--name``.
4. Anything else before ``--`` (another option, a bare argument) is an error: one sentence, exit 2.
5. After ``--`` everything is the script's: an option the command was recorded with is replaced
   by it, anything else is appended.

Rules 1 and 4 are decided before asking roard for the plan; rule 3 needs the recorded command
(``check_overrides``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from roarctl.errors import EXIT_USAGE, ClientError


@dataclass
class OptionSpec:
    """One of roarctl's own options: its names, and whether it takes a value."""

    dest: str
    names: tuple[str, ...]
    is_flag: bool
    choices: tuple[str, ...] = ()


@dataclass
class RerunArgs:
    options: dict[str, Any] = field(default_factory=dict)   # dest -> value (True for a flag)
    #: ("--name", value, given as two tokens: "--name VALUE", which rule 3 checks)
    overrides: list[tuple[str, str, bool]] = field(default_factory=list)
    script: list[str] = field(default_factory=list)         # after "--"


def usage_error(message: str) -> ClientError:
    return ClientError(message, EXIT_USAGE)


def split_rerun_args(ref: str, tokens: Sequence[str], specs: Sequence[OptionSpec]) -> RerunArgs:
    """Sort the tokens after ``ref`` (``@N``) by the rule above; raises a one-sentence usage error."""
    by_name = {name: spec for spec in specs for name in spec.names}
    out = RerunArgs()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            out.script = list(tokens[i:])
            break
        name, eq, value = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        spec = by_name.get(name)
        if spec is not None:
            if spec.is_flag:
                if eq:
                    raise usage_error(f"{name} takes no value")
                out.options[spec.dest] = True
                continue
            if not eq:
                if i >= len(tokens) or tokens[i] == "--":
                    raise usage_error(f"{name} needs a value")
                value = tokens[i]
                i += 1
            if spec.choices and value not in spec.choices:
                raise usage_error(f"{name} is one of {', '.join(spec.choices)}, not {value!r}")
            out.options[spec.dest] = value
            continue
        if tok.startswith("--") and len(name) > 2 and eq:
            out.overrides.append((name, value, False))
            continue
        if tok.startswith("--") and len(name) > 2 and i < len(tokens) and not tokens[i].startswith("-"):
            out.overrides.append((name, tokens[i], True))
            i += 1
            continue
        if tok.startswith("-"):
            raise usage_error(f"unknown option {tok} after {ref}: it is no option of roarctl, and a parameter "
                              f"override is --name=value; put arguments for the script after `--`")
        raise usage_error(f"unexpected argument {tok!r} after {ref}: put arguments for the script after `--`")
    return out


def _recorded_options(argv: Sequence[str]) -> set[str]:
    return {arg.partition("=")[0] for arg in argv if arg.startswith("--") and len(arg) > 2}


def check_overrides(ref: str, recorded: Sequence[str], args: RerunArgs) -> list[str]:
    """The override tokens for ``override_params``, once every ``--name VALUE`` is known to name
    an option of the recorded command (rule 3)."""
    known = _recorded_options(recorded)
    tokens: list[str] = []
    for name, value, spaced in args.overrides:
        if spaced and name not in known:
            raise usage_error(f"unknown option {name} after {ref}: it is no option of roarctl, and {ref} was "
                              f"not recorded with it; to give it to the script, write {name}={value} "
                              "or put it after `--`")
        tokens.append(f"{name}={value}")
    return tokens


def option_specs(params: Sequence[Any]) -> list[OptionSpec]:
    """roarctl's options from a click command's parameters: the one table of them."""
    specs = []
    for p in params:
        names = tuple(getattr(p, "opts", ())) + tuple(getattr(p, "secondary_opts", ()))
        if getattr(p, "param_type_name", "") != "option" or not names:
            continue
        choices = tuple(getattr(p.type, "choices", ()) or ())
        specs.append(OptionSpec(p.name, names, bool(p.is_flag), choices))
    return specs
