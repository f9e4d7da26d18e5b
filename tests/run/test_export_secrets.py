"""Secrets never leave the machine: a real `roarctl run` whose command line carries planted
secrets, exported in every format through the real daemon; the local database keeps them."""
from __future__ import annotations

import json
from pathlib import Path

from roard.lineage.export import FORMATS
from tests.conftest import git
from tests.run.helpers import run_json

OPENAI = "sk-" + "T3BlbkFJ8hQ2xW9vR4mK7nP1sL6dY0cZ3gA5bE2fH8jU4iO"
GITHUB = "ghp_" + "R8xq2LmT0vYb4Kc7Nw1Zp9Hd3Fs6Ju5Ea2Gi"
HUGGINGFACE = "hf_" + "QmZpRtLkXvBnWcJdHgFsYaUeIoPqTyMz"
DB_PASSWORD = "pg-Pa55word-9931"
ENTITY_SECRET = "entity-secret-4471"      # no built-in rule knows it: redacted as a configured variable
LITERAL = "plain-words-7702"              # nor this: redacted as a configured literal value
FLAG_VALUE = "opensesame-2210"            # nor this, but it follows --password
ENV_TOKEN = "hunter2-hunter2"             # set through `roarctl env set`, never exported
GIT_PASSWORD = "gitpw-5531"

ARGV = ["python3", "-c", "open('o.txt', 'w').write('x')", "--api-key", OPENAI, f"--token={GITHUB}",
        f"postgres://app:{DB_PASSWORD}@db.internal/prod", "--password", FLAG_VALUE,
        f"HF_TOKEN={HUGGINGFACE}", "--entity", ENTITY_SECRET, f"--note={LITERAL}"]
PLANTED = [OPENAI, GITHUB, HUGGINGFACE, DB_PASSWORD, ENTITY_SECRET, LITERAL, FLAG_VALUE, ENV_TOKEN, GIT_PASSWORD]


def leaks(text: str) -> list[str]:
    """Planted secrets found in ``text``, whole or their first 10 characters (a writer that cuts
    a command line short must not leave a secret's beginning either)."""
    return [s for s in PLANTED if s in text or s[:10] in text]


def test_no_planted_secret_in_any_export_format(roard, workspace: Path) -> None:
    ws = workspace
    git(ws, "remote", "add", "origin", f"https://bob:{GIT_PASSWORD}@example.invalid/team/repo.git")
    roard.roarctl("env", "set", "API_TOKEN", ENV_TOKEN, cwd=ws, check=True)
    roard.roarctl("env", "set", "ENTITY_PASS", ENTITY_SECRET, cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.omit.env_vars.names", "ENTITY_PASS,HF_TOKEN", cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.omit.secrets.values", LITERAL, cwd=ws, check=True)
    job = run_json(roard, ws, *ARGV)
    assert job["argv"] == ARGV and [f["path"] for f in job["outputs"]] == ["o.txt"]
    short = run_json(roard, ws, "python3", "-c", "pass", "--token", GITHUB)  # dot shows 60 characters

    outputs = {}
    for fmt in FORMATS:
        for ref in ("o.txt", "current"):
            outputs[fmt, ref] = roard.roarctl("export", ref, "--format", fmt, cwd=ws, check=True).stdout
    for (fmt, ref), text in outputs.items():
        assert job["uid"] in text, (fmt, ref)        # the job is there ...
        assert leaks(text) == [], (fmt, ref)         # ... without its secrets
        assert "[REDACTED:" in text or (fmt, ref) == ("dot", "o.txt"), (fmt, ref)
    assert f'{short["ref"]}\\npython3 -c pass --token [REDACTED:github-token]' in outputs["dot", "current"]

    prov = json.loads(outputs["prov-json", "o.txt"])
    (activity,) = prov["activity"].values()
    assert json.loads(activity["roar:argv"]) == [
        "python3", "-c", "open('o.txt', 'w').write('x')", "--api-key", "[REDACTED:openai-key]",
        "--token=[REDACTED:github-token]", "postgres://[REDACTED:url-userinfo]@db.internal/prod",
        "--password", "[REDACTED:secret-flag]", "HF_TOKEN=[REDACTED:huggingface-token]",
        "--entity", "[REDACTED:env:ENTITY_PASS]", "--note=[REDACTED:secret-value]"]
    (start, done) = [json.loads(line) for line in outputs["openlineage", "o.txt"].splitlines()]
    for event in (start, done):
        assert event["job"]["facets"]["roar_command"]["argv"] == json.loads(activity["roar:argv"])
    assert done["run"]["facets"]["roar_run"]["envNames"] == ["API_TOKEN", "ENTITY_PASS"]

    # The local database keeps what ran, raw.
    shown = json.loads(roard.roarctl("show", job["uid"], "--json", cwd=ws, check=True).stdout)
    assert shown["argv"] == ARGV
    assert "[REDACTED:" not in json.dumps(shown)


def test_export_with_omission_disabled_and_with_a_broken_pattern(roard, workspace: Path) -> None:
    ws = workspace
    run_json(roard, ws, "python3", "-c", "open('o.txt', 'w').write('x')", "--api-key", OPENAI)
    roard.roarctl("config", "set", "registration.omit.enabled", "false", cwd=ws, check=True)
    assert OPENAI in roard.roarctl("export", "o.txt", cwd=ws, check=True).stdout   # the user's choice
    roard.roarctl("config", "set", "registration.omit.enabled", "true", cwd=ws, check=True)

    proc = roard.roarctl("config", "set", "registration.omit.allowlist.patterns", "(unclosed", cwd=ws)
    assert proc.returncode == 2 and "registration.omit.allowlist.patterns" in proc.stderr
    assert "not a valid regular expression" in proc.stderr and proc.stderr.count("\n") == 1
    # Edited by hand: export refuses rather than sending unfiltered lineage.
    config = ws / ".roar" / "config.toml"
    config.write_text(config.read_text() + '\n[registration.omit.allowlist]\npatterns = ["(unclosed"]\n')
    proc = roard.roarctl("export", "o.txt", cwd=ws)
    assert proc.returncode != 0 and proc.stdout == "" and "registration.omit.allowlist.patterns" in proc.stderr
