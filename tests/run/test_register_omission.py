"""Secrets never leave the machine: one secret planted for each omission rule (in command
lines, the recorded environment, labels), the lineage registered through a recording proxy
to a real GLaaS server, and then every byte the server received and everything it stored is
searched for each secret. The local database keeps the raw values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PYTHON, RoarEnv
from tests.run.glaas_server import RecordingProxy, cleanup, new_server, stored_bytes

pytestmark = pytest.mark.timeout(300)

# (rule, what is planted in argv, the secret part that must not leave)
ARGV_SECRETS = [
    ("aws-access-key-id", "AKIAQ3EGU7XYZW5T2RMN", "AKIAQ3EGU7XYZW5T2RMN"),
    ("aws-secret-access-key", "aws_secret_access_key=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",
     "wJalrXUtnFEMIK7MDENGbPxRfiCYzq8W3kLpTt9a"),
    ("github-token", "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngOnlyAbCdEf", "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngOnlyAbCdEf"),
    ("github-pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678",
     "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"),
    ("openai-key", "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg", "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg"),
    ("anthropic-key", "sk-ant-api03-QwErTyUiOpAsDfGhJkLz-xcvbnm12345", "sk-ant-api03-QwErTyUiOpAsDfGhJkLz-xcvbnm12345"),
    ("huggingface-token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("slack-webhook", "https://hooks.slack.com/services/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",
     "T0SECRET1/B0SECRET2/Xy7Zk9Wq3Rt5Uv1Pm8Ns4Lc2"),
    ("slack-token", "xoxb-2048-slacksecretvalue-zz", "xoxb-2048-slacksecretvalue-zz"),
    ("bearer-token", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0cGF5bG9hZA.sig42",
     "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0cGF5bG9hZA.sig42"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuniquePrivateKeyBody42\n-----END RSA PRIVATE KEY-----",
     "MIIEowIBAAKCAQEAuniquePrivateKeyBody42"),
    ("secret-flag", "--password=hunter2-flag-eq", "hunter2-flag-eq"),
    ("url-userinfo", "postgres://dbuser:pgPa55word-db@db.internal:5432/prod", "pgPa55word-db"),
    ("url-userinfo", "https://deploy:httpPa55-url@example.com/repo.git", "httpPa55-url"),
    ("url-userinfo", "mysql://root:mysqlPa55-x@mysql.internal/app", "mysqlPa55-x"),
    ("url-userinfo", "mongodb://app:mongoPa55-x@mongo.internal/db", "mongoPa55-x"),
    ("url-userinfo", "redis://:redisPa55-x@cache.internal:6379/0", "redisPa55-x"),
    ("url-secret-parameter", "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=presignedsig0123abc&x=1",
     "presignedsig0123abc"),
    ("secret-assignment", "DB_PASSWORD=assignPa55-pw", "assignPa55-pw"),
    ("secret-assignment", "SERVICE_API_KEY=assignKey-9931", "assignKey-9931"),
    ("secret-assignment", "UPLOAD_TOKEN=assignTok-5521", "assignTok-5521"),
    ("secret-assignment", "MYSQL_PWD=assignPwd-7781", "assignPwd-7781"),
    ("secret-assignment", "GCP_CREDENTIALS=assignCred-6612", "assignCred-6612"),
    ("secret-assignment", "PROXY_AUTH=assignAuth-4471", "assignAuth-4471"),
    ("secret-assignment", "CLIENT_SECRET_VALUE=assignSec-3381", "assignSec-3381"),
    ("secret-value", "contains my-literal-secret-42 inline", "my-literal-secret-42"),
    ("corp-id", "ticket CORP-774411 closed", "CORP-774411"),
    ("env:HF_TOKEN", "value-from-the-environment-9bq", "value-from-the-environment-9bq"),
]
# --flag value, as two argv items, for each secret flag
FLAG_PAIRS = [("--password", "pairPa55-a"), ("--passwd", "pairPa55-b"), ("--token", "pairTok-c"),
              ("--api-key", "pairKey-d"), ("--secret", "pairSec-e")]
FLAG_EQUALS = ["--passwd=eqPa55-f", "--token=eqTok-g", "--api-key=eqKey-h", "--secret=eqSec-i"]


@pytest.fixture
def proxied(tmp_path: Path):
    server = new_server(tmp_path / "glaas").start()
    proxy = RecordingProxy(server.port)
    yield server, proxy
    proxy.close()
    cleanup(server)


def test_no_planted_secret_reaches_the_server(roard: RoarEnv, workspace: Path, proxied):
    server, proxy = proxied
    ws = workspace
    roard.roarctl("config", "set", "glaas.url", proxy.url, cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.omit.secrets.values", '["my-literal-secret-42"]', cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.omit.patterns",
                  '[{"id": "corp-id", "pattern": "CORP-[0-9]{6}"}]', cwd=ws, check=True)
    roard.roarctl("config", "set", "registration.omit.allowlist.patterns", '["AKIAALLOWEDEXAMPLE1"]', cwd=ws, check=True)
    roard.roarctl("env", "set", "API_TOKEN", "injected-env-secret-55", cwd=ws, check=True)
    client_env = {"HF_TOKEN": "value-from-the-environment-9bq"}

    argv = [a for _, a, _ in ARGV_SECRETS] + [x for pair in FLAG_PAIRS for x in pair] + FLAG_EQUALS
    argv.append("AKIAALLOWEDEXAMPLE1")   # allowlisted: sent as it is
    roard.roarctl("run", PYTHON, "-c", "open('out.txt', 'w').write('done')", *argv, cwd=ws, check=True,
                  env=client_env)
    roard.roarctl("label", "set", "job", "@1", "note=--token label-secret-77", "db_password=label-secret-88",
                  cwd=ws, check=True)
    roard.roarctl("label", "set", "artifact", "out.txt", "source=https://u:label-url-pw-99@host/x", cwd=ws, check=True)

    dry = roard.roarctl("register", "--dry-run", "out.txt", cwd=ws, check=True, env=client_env).stdout
    reg = json.loads(roard.roarctl("register", "-y", "--json", "out.txt", cwd=ws, check=True, env=client_env).stdout)
    assert reg["new"]["jobs"] == 1 and reg["new"]["labels"] >= 2

    received = bytes(proxy.received)
    stored = stored_bytes(server)
    assert b"POST /api/v1/lineage" in received
    secrets = [s for _, _, s in ARGV_SECRETS] + [v for _, v in FLAG_PAIRS] + [a.split("=", 1)[1] for a in FLAG_EQUALS]
    secrets += ["injected-env-secret-55", "label-secret-77", "label-secret-88", "label-url-pw-99"]
    leaked = [s for s in secrets if s.encode() in received or s.encode() in stored or s in dry]
    assert leaked == [], f"sent or stored: {leaked}"
    # every rule said what it redacted
    for rule in {r for r, _, _ in ARGV_SECRETS}:
        assert f"by {rule}" in dry or f"[REDACTED:{rule}]" in dry, rule
    # the allowlisted value and the rest of the command are sent unchanged
    assert b"AKIAALLOWEDEXAMPLE1" in received and b"open('out.txt', 'w')" in received
    # the local database keeps the raw values
    local = (ws / ".roar" / "roar.db").read_bytes() + b"".join(
        p.read_bytes() for p in (ws / ".roar").glob("roar.db-wal"))
    assert b"hunter2-flag-eq" in local and b"injected-env-secret-55" in local
