"""The one omission filter: what leaves the machine (export, registration, the registration
queue) goes through ``OmissionFilter.redact`` first. The local database keeps the raw values.

    omit = OmissionFilter.from_config(config, os.environ, job.env)
    result = omit.redact(anything)      # str, list (argv), dict, tuple, dataclass, nested
    result.value                        # a copy with each secret replaced by [REDACTED:<rule>]
    result.redactions                   # [Redaction(rule, path)]: which rule, where; never the secret

Rules, in order of precedence (where two matches overlap, their union is redacted once, named
by the earlier rule, so no part of either secret survives):

1. ``secret-value``: the literal strings of ``registration.omit.secrets.values``;
2. ``env:<NAME>``: the value of each variable named in ``registration.omit.env_vars.names``,
   looked up in the environments given to ``from_config``, wherever it appears;
3. the user's ``registration.omit.patterns`` (id, regex, optional replacement);
4. the built-in rules (``BUILTIN_RULES``): AWS keys, GitHub, OpenAI, Anthropic, Hugging Face
   and Slack tokens, bearer tokens, private key blocks, URL user information and credential query
   parameters (the one URL rule, ``credentials.py``), secret command line flags
   (``--token=x``; ``--token x`` as one string or as two argv items) and ``NAME=value``
   where NAME names a secret (``is_secret_name``).

Walking: in a list, an item that follows a secret flag (``["--api-key", "sk-..."]``) is redacted
whole; in a mapping, a string value whose key names a secret (``{"HF_TOKEN": ...}``) is redacted
whole; mapping keys are redacted as text. ``registration.omit.allowlist.patterns`` are never
redacted: a match is kept when an allowlist regex is found in the matched secret, or when an
allowlist match in the text covers it (gitleaks' allowlist semantics).

A regex of the user's that has a group named ``secret`` replaces only that group.

``registration.omit.enabled = false`` turns it off: ``redact`` returns the value as it is.

Pure: no I/O, no globals read; the caller passes the config and the environment.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from roard.capture.credentials import URL_SECRET_PARAMETER, URL_USERINFO
from roard.errors import InvalidArgument

T = TypeVar("T")

ENABLED_KEY = "registration.omit.enabled"
SECRETS_KEY = "registration.omit.secrets.values"
ENV_NAMES_KEY = "registration.omit.env_vars.names"
PATTERNS_KEY = "registration.omit.patterns"
ALLOWLIST_KEY = "registration.omit.allowlist.patterns"

#: Variables whose values are hunted for by default (``registration.omit.env_vars.names``).
DEFAULT_ENV_NAMES = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "HF_TOKEN",
                     "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "WANDB_API_KEY"]
#: Shorter literal secrets would redact ordinary text; they are refused (values) or skipped (env).
MIN_SECRET_LENGTH = 4
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def replacement_for(rule_id: str) -> str:
    return f"[REDACTED:{rule_id}]"


@dataclass(frozen=True)
class Redaction:
    """One secret removed: by which rule and where (``argv[3]``, ``git.remote``, ``env.HF_TOKEN``;
    "" for a bare string). Never the secret itself."""

    rule: str
    path: str


@dataclass(frozen=True)
class RedactionResult(Generic[T]):
    value: T
    redactions: list[Redaction] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    """A regex whose matches are secrets: the group named ``secret`` if it has one, else the
    whole match. ``accept`` can refuse a match (the ``NAME=value`` rule checks the name)."""

    id: str
    regex: re.Pattern[str]
    replacement: str = ""
    accept: Callable[[re.Match[str]], bool] | None = None
    builtin: bool = False   # tried only on text that ``_BUILTIN_TRIGGER`` finds something in

    @property
    def text(self) -> str:
        return self.replacement or replacement_for(self.id)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        group = "secret" if "secret" in self.regex.groupindex else 0
        for match in self.regex.finditer(text):
            start, end = match.span(group)
            if end > start and (self.accept is None or self.accept(match)):
                yield start, end


# --- which names and flags carry secrets --------------------------------------------------

_SEGMENT = re.compile(r"_+|(?<=[a-z0-9])(?=[A-Z])")
#: A secret word anywhere in the name: DB_PASSWORD_FILE, SECRET_KEY_BASE, PGPASSWORD.
_STRONG_WORD = re.compile(r"[A-Z0-9]*(?:SECRET|PASSWORD|PASSWD|CREDENTIALS?)")
#: A word that is a secret only as the name's last part: HF_TOKEN, API_KEY, MYSQL_PWD (not
#: PAD_TOKEN_ID, TOKENIZERS_PARALLELISM, MONKEY, AUTHOR).
_WEAK_WORD = re.compile(r"[A-Z0-9]*(?:TOKEN|PWD)|(?:API|ACCESS|PRIVATE|SECRET|MASTER|SIGNING|ENCRYPTION)?KEY|O?AUTH")
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD"})  # the shell's working directories


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Does a variable, key or setting named ``name`` hold a secret? Its last dotted part is
    split into words (``_`` and camelCase); KEY, TOKEN, AUTH and PWD count as the last word,
    SECRET, PASSWORD, PASSWD and CREDENTIAL anywhere."""
    last = name.rsplit(".", 1)[-1]
    if last.upper() in _NOT_SECRET_NAMES:
        return False
    words = [w.upper() for w in _SEGMENT.split(last) if w]
    return bool(words) and (bool(_WEAK_WORD.fullmatch(words[-1])) or any(_STRONG_WORD.fullmatch(w) for w in words))


#: ``--token``, ``--api-key``, ``--hf-token``, ``--db-password``, ``--client-secret``; not
#: ``--tokenizer``, ``--max-tokens`` or ``--secret-file``.
_SECRET_FLAG = (r"--(?:[A-Za-z0-9]+[-_])*(?:password|passwd|token|secret|api[-_]?key|access[-_]?key|"
                r"secret[-_]?key)")
SECRET_FLAG = re.compile(_SECRET_FLAG, re.IGNORECASE)
_VALUE = r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s\"'&;]+)"


def _is_secret_assignment(match: re.Match[str]) -> bool:
    return is_secret_name(match["name"])


# --- built-in rules -----------------------------------------------------------------------

def _rule(rule_id: str, pattern: str | re.Pattern[str], flags: int = 0, **kw: Any) -> Rule:
    regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    return Rule(rule_id, regex, builtin=True, **kw)


BUILTIN_RULES: tuple[Rule, ...] = (
    _rule("private-key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                         r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    _rule("aws-access-key-id", r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)"
                               r"[A-Z0-9]{16}(?![A-Za-z0-9])"),
    # A secret access key is 40 base64 characters: only with "aws ... secret" before it, since a
    # bare 40-character string is as likely a git commit.
    _rule("aws-secret-access-key", r"aws[\w.-]{0,32}?secret[\w.-]{0,32}?[\"']?\s*[:=]\s*[\"']?"
                                   r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", re.IGNORECASE),
    _rule("github-token", r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])"),
    _rule("github-pat", r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{50,240}(?![A-Za-z0-9_])"),
    _rule("anthropic-key", r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}"),
    _rule("openai-key", r"(?<![A-Za-z0-9_-])sk-(?!ant-)(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}"),
    _rule("huggingface-token", r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9_])"),
    _rule("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]+)"),
    _rule("slack-token", r"(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}"),
    _rule("bearer-token", r"\bauthorization\s*[:=]\s*[\"']?bearer\s+(?P<secret>[^\s\"',;]+)", re.IGNORECASE),
    # Bare "Bearer x": at least 8 characters with a digit or punctuation ("bearer bonds" is prose).
    _rule("bearer-token", r"\bbearer\s+(?P<secret>(?=[A-Za-z0-9._~+/-]*[0-9._~+/-])[A-Za-z0-9._~+/-]{8,}=*)",
          re.IGNORECASE),
    _rule("url-userinfo", URL_USERINFO),
    _rule("url-secret-parameter", URL_SECRET_PARAMETER),
    _rule("secret-flag", rf"(?<![\w-]){_SECRET_FLAG}(?:=|\s+(?!--)){_VALUE}", re.IGNORECASE),
    _rule("secret-assignment", rf"(?<![\w.-])(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)={_VALUE}",
          accept=_is_secret_assignment),
)
BUILTIN_IDS = frozenset(r.id for r in BUILTIN_RULES)
#: Something every built-in rule's match contains. Most of what is walked (paths, hashes,
#: package names) has none of it, and is then spared the rules one by one.
_BUILTIN_TRIGGER = re.compile(r"AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|gh[pousr]_|github_pat_|"
                              r"sk-|hf_|xox|PRIVATE KEY|://|=|--|(?i:aws|bearer)")


# --- config values: parsing and validation (ValueError; config.py names the key) ----------

def _as_list(value: Any, split_commas: bool) -> list[Any]:
    """A TOML list as is; from ``roarctl config set``, a JSON list, or else comma-separated text
    (or one item, for regexes, which may hold commas; ``[A-Z]+`` is a regex, not bad JSON)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    if not text:
        return []
    return [v.strip() for v in text.split(",") if v.strip()] if split_commas else [text]


def _compile(pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ValueError(f"{pattern!r} is not a regular expression (give a non-empty string)")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None


def parse_secret_values(value: Any) -> list[str]:
    values = [str(v) for v in _as_list(value, split_commas=True)]
    short = [v for v in values if len(v) < MIN_SECRET_LENGTH]
    if short:
        raise ValueError(f"secret values need at least {MIN_SECRET_LENGTH} characters "
                         f"(shorter ones would redact ordinary text); {len(short)} given are shorter")
    return values


def parse_env_names(value: Any) -> list[str]:
    names = [str(v) for v in _as_list(value, split_commas=True)]
    bad = [n for n in names if not _ENV_NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not an environment variable name (letters, digits and _)")
    return names


def parse_regexes(value: Any) -> list[str]:
    patterns = _as_list(value, split_commas=False)
    for pattern in patterns:
        _compile(pattern)
    return [str(p) for p in patterns]


_PATTERN_FIELDS = ("id", "pattern", "replacement")


def parse_patterns(value: Any) -> list[dict[str, str]]:
    """``[{id, pattern, replacement?}, ...]`` (TOML ``[[registration.omit.patterns]]``, or JSON
    from ``roarctl config set``); ids are unique and not those of built-in rules."""
    if isinstance(value, str) and value.strip().startswith("{"):
        value = f"[{value}]"
    rules: list[dict[str, str]] = []
    for entry in _as_list(value, split_commas=False):
        if not isinstance(entry, dict):
            raise ValueError(f"each pattern is a table with id, pattern and optional replacement, not {entry!r}")
        unknown = set(entry) - set(_PATTERN_FIELDS)
        if unknown:
            raise ValueError(f"a pattern takes only {', '.join(_PATTERN_FIELDS)}, not {', '.join(sorted(unknown))}")
        rule_id = str(entry.get("id", ""))
        if not _RULE_ID.fullmatch(rule_id):
            raise ValueError(f"pattern id {rule_id!r} must be letters, digits and _.:- (it is shown as "
                             f"{replacement_for('<id>')})")
        if rule_id in BUILTIN_IDS or rule_id == "secret-value" or rule_id.startswith("env:"):
            raise ValueError(f"pattern id {rule_id!r} is taken by a built-in rule; choose another")
        if any(r["id"] == rule_id for r in rules):
            raise ValueError(f"pattern id {rule_id!r} is given twice")
        _compile(entry.get("pattern"))
        rules.append({k: str(entry[k]) for k in _PATTERN_FIELDS if k in entry})
    return rules


# --- the filter ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    rank: int        # lower wins when matches overlap
    rule: str
    text: str        # what replaces it


@dataclass
class _Pass:
    """One ``redact`` call: what it found where, and each text's outcome (the same paths, hashes
    and package names recur in every job)."""

    redactions: list[Redaction] = field(default_factory=list)
    seen: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass
class OmissionFilter:
    """Rules in order of precedence and the allowlist. Build it with ``from_config``."""

    rules: list[Rule] = field(default_factory=lambda: list(BUILTIN_RULES))
    allowlist: list[re.Pattern[str]] = field(default_factory=list)
    env_names: frozenset[str] = frozenset()   # keys whose values are secrets, by configuration
    enabled: bool = True

    def __post_init__(self) -> None:
        self._rank: dict[str, tuple[int, str]] = {}
        for rank, rule in enumerate(self.rules):
            self._rank.setdefault(rule.id, (rank, rule.text))
        self._always = [(rank, rule) for rank, rule in enumerate(self.rules) if not rule.builtin]
        self._gated = [(rank, rule) for rank, rule in enumerate(self.rules) if rule.builtin]

    @classmethod
    def from_config(cls, config: Any, *environs: Mapping[str, str]) -> OmissionFilter:
        """From a ``Config`` (or any mapping of the registration.omit.* keys; values not yet
        validated are validated here). ``environs``: the environments (the client's, each job's
        recorded one) in which ``registration.omit.env_vars.names`` are looked up."""
        secrets = _checked(config, SECRETS_KEY, parse_secret_values)
        names = _checked(config, ENV_NAMES_KEY, parse_env_names)
        user = _checked(config, PATTERNS_KEY, parse_patterns)
        allow = _checked(config, ALLOWLIST_KEY, parse_regexes)
        rules: list[Rule] = []
        if secrets:
            alternatives = "|".join(re.escape(s) for s in sorted(set(secrets), key=len, reverse=True))
            rules.append(Rule("secret-value", re.compile(alternatives)))
        for name in names:
            values = {env.get(name, "") for env in environs} - {""}
            values = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)
            if values:
                rules.append(Rule(f"env:{name}", re.compile("|".join(map(re.escape, values)))))
        rules += [Rule(p["id"], re.compile(p["pattern"]), p.get("replacement", "")) for p in user]
        return cls(rules=rules + list(BUILTIN_RULES), allowlist=[re.compile(p) for p in allow],
                   env_names=frozenset(names), enabled=bool(config[ENABLED_KEY]))

    def redact(self, value: T) -> RedactionResult[T]:
        """A copy of ``value`` with every secret replaced, and what was replaced where."""
        if not self.enabled:
            return RedactionResult(value, [])
        run = _Pass()
        return RedactionResult(self._walk(value, "", run), run.redactions)

    # The walk ------------------------------------------------------------------------------

    def _walk(self, value: Any, path: str, run: _Pass) -> Any:
        if isinstance(value, str):
            return self._text(value, path, run)
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                public = self._text(key, _child(path, "<key>"), run) if isinstance(key, str) else key
                out[public] = self._entry(key, item, _child(path, public), run)
            return out
        if isinstance(value, (list, tuple)):
            items = [self._item(value, i, f"{path}[{i}]", run) for i in range(len(value))]
            return items if isinstance(value, list) else type(value)(items)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.replace(value, **{
                f.name: self._walk(getattr(value, f.name), _child(path, f.name), run)
                for f in dataclasses.fields(value) if f.init})
        return value

    def _entry(self, key: Any, value: Any, path: str, run: _Pass) -> Any:
        """A mapping's value: all of it when the key names a secret (``{"HF_TOKEN": ...}``)."""
        if isinstance(value, str) and isinstance(key, str):
            if key in self.env_names:
                return self._text(value, path, run, whole=f"env:{key}")
            if is_secret_name(key):
                return self._text(value, path, run, whole="secret-assignment")
        return self._walk(value, path, run)

    def _item(self, items: list[Any] | tuple[Any, ...], i: int, path: str, run: _Pass) -> Any:
        """A list's item: all of it when it is the value of a secret flag (``--token x``)."""
        item = items[i]
        after_flag = (i > 0 and isinstance(items[i - 1], str) and SECRET_FLAG.fullmatch(items[i - 1])
                      and isinstance(item, str) and not item.startswith("--"))
        return self._text(item, path, run, whole="secret-flag") if after_flag else self._walk(item, path, run)

    def _text(self, text: str, path: str, run: _Pass, whole: str = "") -> str:
        """``text`` redacted (all of it when ``whole`` names a rule), the redactions noted at ``path``."""
        known = run.seen.get((text, whole))
        if known is None:
            known = run.seen[text, whole] = self._redact_text(text, whole)
        run.redactions += [Redaction(rule, path) for rule in known[1]]
        return known[0]

    def _redact_text(self, text: str, whole: str) -> tuple[str, tuple[str, ...]]:
        rules = self._always + self._gated if _BUILTIN_TRIGGER.search(text) else self._always
        matches = [_Match(s, e, rank, rule.id, rule.text) for rank, rule in rules for s, e in rule.spans(text)]
        if whole and text:
            rank, replacement = self._rank.get(whole, (-1, replacement_for(whole)))
            matches.append(_Match(0, len(text), rank, whole, replacement))
        matches = self._not_allowed(text, matches)
        if not matches:
            return text, ()
        out: list[str] = []
        names: list[str] = []
        done = 0
        for group in _overlapping(matches):
            best = min(group, key=lambda m: m.rank)
            start, end = group[0].start, max(m.end for m in group)
            out += [text[done:start], best.text]
            names.append(best.rule)
            done = end
        out.append(text[done:])
        return "".join(out), tuple(names)

    def _not_allowed(self, text: str, matches: list[_Match]) -> list[_Match]:
        if not self.allowlist or not matches:
            return matches
        kept_spans = [m.span() for p in self.allowlist for m in p.finditer(text) if m.end() > m.start()]

        def allowed(m: _Match) -> bool:
            return (any(p.search(text[m.start:m.end]) for p in self.allowlist)
                    or any(s <= m.start and m.end <= e for s, e in kept_spans))
        return [m for m in matches if not allowed(m)]


def _overlapping(matches: list[_Match]) -> Iterator[list[_Match]]:
    """Matches sorted by position, grouped where they overlap."""
    group: list[_Match] = []
    end = -1
    for m in sorted(matches, key=lambda m: (m.start, -m.end)):
        if group and m.start >= end:
            yield group
            group = []
        group.append(m)
        end = max(end, m.end)
    if group:
        yield group


def _child(path: str, name: Any) -> str:
    return f"{path}.{name}" if path else str(name)


def _checked(config: Any, key: str, parse: Callable[[Any], T]) -> T:
    try:
        return parse(config[key])
    except ValueError as exc:
        raise InvalidArgument(f"{key}: {exc}") from None
