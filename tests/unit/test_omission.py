"""The omission filter (roard/capture/omission.py): every built-in rule with a realistic secret
and a near miss, both flag forms, URL user information per scheme, the NAME=value rule, the
configurable values, variables, patterns and allowlist, recursive walking, the report, bad config."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from roard.capture.omission import OmissionFilter, Redaction, is_secret_name
from roard.config import KEYS, Config, set_value
from roard.errors import InvalidArgument

# Realistic shapes (AWS's documented example keys; the others made up to the providers' formats).
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_" + "R8xq2LmT0vYb4Kc7Nw1Zp9Hd3Fs6Ju5Ea2Gi"
GITHUB_PAT = "github_pat_11ABCDEFG0abcdefghijkl_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6a7B8c9D0e"
OPENAI = "sk-" + "T3BlbkFJ8hQ2xW9vR4mK7nP1sL6dY0cZ3gA5bE2fH8jU4iO"
OPENAI_PROJECT = "sk-proj-" + "Xy7_Qp3-Lm9Rt2Vb6Nc1Zs8Kd4Wf0Gh5Jj2Ee7Aa"
ANTHROPIC = "sk-ant-api03-" + "Zq8Wm2Lp5Rt9Xv3Bn7Kc1Hd6Fg4Js0Ya8Ue2Io5Pw1Qe"
HUGGINGFACE = "hf_" + "QmZpRtLkXvBnWcJdHgFsYaUeIoPqTyMz"
SLACK_HOOK = "https://hooks.slack.com/services/T024BE7LD/B01234567/abcdEFGH1234ijklMNOP5678"
PRIVATE_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
               "AAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ\n-----END OPENSSH PRIVATE KEY-----")


def config(**over: Any) -> Config:
    """Defaults, with ``registration.omit.<key>`` overridden (dots as double underscores)."""
    values = {k.name: k.default for k in KEYS.values()}
    values.update({"registration.omit." + k.replace("__", "."): v for k, v in over.items()})
    return Config(values)


DEFAULT = OmissionFilter.from_config(config())


def redact(value: Any, omit: OmissionFilter = DEFAULT) -> Any:
    return omit.redact(value).value


def rules(value: Any, omit: OmissionFilter = DEFAULT) -> list[str]:
    return [r.rule for r in omit.redact(value).redactions]


@pytest.mark.parametrize("rule, text, secret", [
    ("aws-access-key-id", f"aws configure set aws_access_key_id {AWS_KEY_ID}", AWS_KEY_ID),
    ("aws-access-key-id", f"ASIA{AWS_KEY_ID[4:]}", AWS_KEY_ID[4:]),
    ("aws-secret-access-key", f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("aws-secret-access-key", f'{{"AwsSecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
    ("github-token", f"git clone https://x-access-token:{GITHUB}@github.com/org/repo.git", GITHUB),
    ("github-token", "gho_" + GITHUB[4:], GITHUB[4:]),
    ("github-token", "ghs_" + GITHUB[4:], GITHUB[4:]),
    ("github-token", "ghu_" + GITHUB[4:], GITHUB[4:]),
    ("github-token", "ghr_" + GITHUB[4:], GITHUB[4:]),
    ("github-pat", f"token {GITHUB_PAT}", GITHUB_PAT),
    ("openai-key", f"openai.api_key={OPENAI!r}", OPENAI),
    ("openai-key", f"client = OpenAI(key='{OPENAI_PROJECT}')", OPENAI_PROJECT),
    ("anthropic-key", f"x-api-key: {ANTHROPIC}", ANTHROPIC),
    ("huggingface-token", f"huggingface-cli login --add-to-git-credential {HUGGINGFACE}", HUGGINGFACE),
    ("slack-webhook", f"curl -X POST -d @msg.json {SLACK_HOOK}", "T024BE7LD/B01234567"),
    ("slack-token", "xoxb-2401234567-5012345678901-AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
    ("bearer-token", "curl -H 'Authorization: Bearer abc123'", "abc123"),
    ("bearer-token", "Authorization: bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJhbGciOiJIUzI1NiJ9"),
    ("bearer-token", "headers = {'auth': 'Bearer 9f8e7d6c5b4a3210'}", "9f8e7d6c5b4a3210"),
    ("private-key", f"key = '''{PRIVATE_KEY}'''", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7 (cut short)", "MIIEowIBAAKCAQEA7"),
    ("secret-flag", "train.py --api-key=abc123xyz", "abc123xyz"),
    ("secret-flag", "deploy --db-password 'hunter2 with spaces'", "hunter2 with spaces"),
    ("secret-flag", "login --passwd=s3cr3t --user alice", "s3cr3t"),
    ("secret-flag", "cli --secret=opensesame", "opensesame"),
    ("secret-flag", "cli --client_secret opensesame", "opensesame"),
    ("secret-flag", "aws --aws-secret-access-key AbCdEf123", "AbCdEf123"),
    ("secret-assignment", "HF_TOKEN=my-token-value python train.py", "my-token-value"),
    ("secret-assignment", "export OPENAI_API_KEY=abc123", "abc123"),
    ("secret-assignment", "DB_PASSWORD=hunter2", "hunter2"),
    ("secret-assignment", "PGPASSWORD=hunter2 psql", "hunter2"),
    ("secret-assignment", "MYSQL_PWD=hunter2 mysql", "hunter2"),
    ("secret-assignment", "CLIENT_SECRET=\"quoted value\"", "quoted value"),
    ("secret-assignment", "GOOGLE_APPLICATION_CREDENTIALS=/home/a/sa.json", "/home/a/sa.json"),
    ("secret-assignment", "GH_AUTH=abcdef", "abcdef"),
    ("secret-assignment", "db.password=hunter2 trainer.epochs=3", "hunter2"),
    ("secret-assignment", "host=db user=app password=hunter2 sslmode=require", "hunter2"),
    ("url-secret-parameter", "https://b.s3.amazonaws.com/k.csv?X-Amz-Signature=abc123&x-id=Get", "abc123"),
])
def test_each_builtin_rule_redacts_a_realistic_secret(rule: str, text: str, secret: str) -> None:
    result = DEFAULT.redact(text)
    assert secret not in result.value
    assert f"[REDACTED:{rule}]" in result.value
    assert result.redactions == [Redaction(rule, "")]


@pytest.mark.parametrize("text", [
    "AKIAIOSFODNN7EXAMPL",                                   # access key id one short
    "akiaiosfodnn7example",                                  # lower case is not a key id
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",        # 40 characters, but a git commit
    "aws_region=us-east-1 aws_profile=dev",
    "ghp_short", "ghx_" + GITHUB[4:],                        # too short; no such prefix
    "github_pat_too_short",
    "pip install scikit-learn sk-learn", "risk-assessment-model-v2-final-checkpoint-2024",
    "sk-learn-pipeline-configuration-defaults",              # no digit: a name, not a key
    "from huggingface_hub import hf_hub_download; hf_transfer",
    "https://hooks.slack.com/", "https://api.slack.com/services/x",
    "the bearer of bad news", "Bearer information",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQY\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----",
    "train.py --tokenizer gpt2 --max-tokens 512 --secret-file ~/.secret --token-budget 3",
    "train.py --no-token --epochs 3",
    "TOKENIZERS_PARALLELISM=false", "AUTHOR=alice", "KEYBOARD=us", "MONKEY=banana",
    "PWD=/home/alice OLDPWD=/tmp", "model.pad_token_id=0 max_new_tokens=64",
    "python -c 'x == y'", "keyword=roar",
    "user@example.org", "git@github.com:team/repo.git", "https://example.org/a@b/c",
    "https://example.org/search?monkey=1&keyword=roar",
    "data/train.csv", "",
])
def test_near_misses_are_left_alone(text: str) -> None:
    result = DEFAULT.redact(text)
    assert result.value == text and result.redactions == []


@pytest.mark.parametrize("url, kept", [
    ("http://alice:pw123@proxy.local:3128", "http://[REDACTED:url-userinfo]@proxy.local:3128"),
    ("https://bob:t0k3n@example.org/repo.git", "https://[REDACTED:url-userinfo]@example.org/repo.git"),
    ("postgres://app:hunter2@db:5432/prod", "postgres://[REDACTED:url-userinfo]@db:5432/prod"),
    ("postgresql://app:hunter2@db/prod?sslmode=require", "postgresql://[REDACTED:url-userinfo]@db/prod?sslmode=require"),
    ("mysql://root:hunter2@localhost:3306/app", "mysql://[REDACTED:url-userinfo]@localhost:3306/app"),
    ("mongodb://admin:hunter2@mongo1,mongo2/app", "mongodb://[REDACTED:url-userinfo]@mongo1,mongo2/app"),
    ("mongodb+srv://admin:hunter2@cluster0.abcde.mongodb.net/app",
     "mongodb+srv://[REDACTED:url-userinfo]@cluster0.abcde.mongodb.net/app"),
    ("redis://:hunter2@cache:6379/0", "redis://[REDACTED:url-userinfo]@cache:6379/0"),
    ("--db=postgres://app:hunter2@db/prod", "--db=postgres://[REDACTED:url-userinfo]@db/prod"),
])
def test_url_user_information_for_each_scheme(url: str, kept: str) -> None:
    result = DEFAULT.redact(url)
    assert result.value == kept and "hunter2" not in result.value
    assert result.redactions == [Redaction("url-userinfo", "")]


def test_flags_as_two_argv_items_and_as_one() -> None:
    argv = ["python", "train.py", "--api-key", "abc123xyz", "--token=tok-42", "--password", "hunter2",
            "--tokenizer", "gpt2", "--secret", "--verbose", "--epochs", "3"]
    result = DEFAULT.redact(argv)
    assert result.value == ["python", "train.py", "--api-key", "[REDACTED:secret-flag]",
                            "--token=[REDACTED:secret-flag]", "--password", "[REDACTED:secret-flag]",
                            "--tokenizer", "gpt2", "--secret", "--verbose", "--epochs", "3"]
    assert result.redactions == [Redaction("secret-flag", "[3]"), Redaction("secret-flag", "[4]"),
                                 Redaction("secret-flag", "[6]")]
    # Inside one string (sh -c) the two-word form is found too.
    assert redact(["sh", "-c", "curl --token abc123 https://x"]) == [
        "sh", "-c", "curl --token [REDACTED:secret-flag] https://x"]


def test_a_known_token_is_named_by_its_own_rule_in_both_flag_forms() -> None:
    assert rules(["--token", GITHUB]) == ["github-token"]
    assert rules([f"--token={GITHUB}"]) == ["github-token"]
    assert redact(["--api-key", OPENAI]) == ["--api-key", "[REDACTED:openai-key]"]


def test_secret_names() -> None:
    for name in ("HF_TOKEN", "GITHUB_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD",
                 "PGPASSWORD", "DB_PASSWD", "MYSQL_PWD", "GOOGLE_APPLICATION_CREDENTIALS", "GH_AUTH",
                 "SECRET_KEY_BASE", "apiKey", "accessToken", "db.password", "CREDENTIAL"):
        assert is_secret_name(name), name
    for name in ("TOKENIZERS_PARALLELISM", "AUTHOR", "KEYBOARD", "MONKEY", "PWD", "OLDPWD", "pad_token_id",
                 "MAX_TOKENS", "secretstorage", "XAUTHORITY", "PATH", "HOME"):
        assert not is_secret_name(name), name


def test_overlapping_matches_are_redacted_once_leaving_nothing_of_either() -> None:
    text = f"HF_TOKEN={HUGGINGFACE}"
    result = DEFAULT.redact(text)
    assert result.value == "HF_TOKEN=[REDACTED:huggingface-token]"
    assert [r.rule for r in result.redactions] == ["huggingface-token"]
    omit = OmissionFilter.from_config(config(secrets__values=["QmZpRtLk"]))
    result = omit.redact(text)   # a literal inside a longer token: the union goes
    assert result.value == "HF_TOKEN=[REDACTED:secret-value]" and "Ty" not in result.value


def test_configured_literal_values() -> None:
    omit = OmissionFilter.from_config(config(secrets__values=["correct-horse-battery", "s3cr3t"]))
    result = omit.redact(["run", "--entity", "correct-horse-battery", "x-s3cr3t-y"])
    assert result.value == ["run", "--entity", "[REDACTED:secret-value]", "x-[REDACTED:secret-value]-y"]
    assert result.redactions == [Redaction("secret-value", "[2]"), Redaction("secret-value", "[3]")]


def test_configured_environment_variables_are_redacted_wherever_their_values_appear() -> None:
    omit = OmissionFilter.from_config(config(env_vars__names=["WANDB_ENTITY_PASS", "SHORT"]),
                                      {"WANDB_ENTITY_PASS": "pw-from-client", "SHORT": "1"},
                                      {"WANDB_ENTITY_PASS": "pw-from-job"})
    result = omit.redact({"argv": ["train", "pw-from-client", "pw-from-job", "1"],
                          "env": {"WANDB_ENTITY_PASS": "anything else"}})
    assert result.value == {"argv": ["train", "[REDACTED:env:WANDB_ENTITY_PASS]",
                                     "[REDACTED:env:WANDB_ENTITY_PASS]", "1"],   # "1" is too short to hunt
                            "env": {"WANDB_ENTITY_PASS": "[REDACTED:env:WANDB_ENTITY_PASS]"}}
    assert [r.path for r in result.redactions] == ["argv[1]", "argv[2]", "env.WANDB_ENTITY_PASS"]
    # The default list names the usual suspects.
    omit = OmissionFilter.from_config(config(), {"WANDB_API_KEY": "0123456789abcdef"})
    assert redact("wandb login 0123456789abcdef", omit) == "wandb login [REDACTED:env:WANDB_API_KEY]"


def test_user_patterns_with_id_replacement_and_secret_group() -> None:
    omit = OmissionFilter.from_config(config(patterns=[
        {"id": "internal-ticket", "pattern": r"TCK-\d{6}"},
        {"id": "acme-key", "pattern": r"acme_key:(?P<secret>\w+)", "replacement": "<acme>"},
    ]))
    result = omit.redact("fix TCK-123456 with acme_key:abcDEF123 now")
    assert result.value == "fix [REDACTED:internal-ticket] with acme_key:<acme> now"
    assert [r.rule for r in result.redactions] == ["internal-ticket", "acme-key"]


def test_allowlist_keeps_matches() -> None:
    omit = OmissionFilter.from_config(config(allowlist__patterns=["EXAMPLE", r"--token=public-demo\b"]))
    argv = [f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}", "--token=public-demo", "--token=private-one", GITHUB]
    result = omit.redact(argv)
    assert result.value == [argv[0], "--token=public-demo", "--token=[REDACTED:secret-flag]",
                            "[REDACTED:github-token]"]


def test_walks_nested_structures_and_dataclasses_and_reports_paths() -> None:
    @dataclass(frozen=True)
    class Job:
        argv: list[str]
        git: dict[str, Any]
        env: dict[str, str]
        labels: dict[str, Any] = field(default_factory=dict)
        exit_code: int = 0

    job = Job(argv=["psql", "postgres://u:pw@db/x"],
              git={"remote": f"https://{GITHUB}@github.com/o/r.git", "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8"},
              env={"API_TOKEN": "hunter2", "WANDB_MODE": "offline"},
              labels={"notes": ("see", f"Bearer {OPENAI}"), "meta": {"owner": "alice", "db": {"password": "pw"}},
                      f"key-{HUGGINGFACE}": 1})
    result = DEFAULT.redact(job)
    out = result.value
    assert isinstance(out, Job) and out.exit_code == 0 and job.env["API_TOKEN"] == "hunter2"  # a copy
    assert out.argv == ["psql", "postgres://[REDACTED:url-userinfo]@db/x"]
    assert out.git == {"remote": "https://[REDACTED:github-token]@github.com/o/r.git", "commit": job.git["commit"]}
    assert out.env == {"API_TOKEN": "[REDACTED:secret-assignment]", "WANDB_MODE": "offline"}
    assert out.labels["notes"] == ("see", "Bearer [REDACTED:openai-key]")
    assert out.labels["meta"] == {"owner": "alice", "db": {"password": "[REDACTED:secret-assignment]"}}
    assert out.labels["key-[REDACTED:huggingface-token]"] == 1
    report = result.redactions
    assert report == [
        Redaction("url-userinfo", "argv[1]"), Redaction("github-token", "git.remote"),
        Redaction("secret-assignment", "env.API_TOKEN"), Redaction("openai-key", "labels.notes[1]"),
        Redaction("secret-assignment", "labels.meta.db.password"),
        Redaction("huggingface-token", "labels.<key>")]
    everything = repr(report)
    assert all(s not in everything for s in ("pw@", GITHUB, "hunter2", OPENAI, HUGGINGFACE))


def test_disabled_filter_changes_nothing() -> None:
    omit = OmissionFilter.from_config(config(enabled=False))
    result = omit.redact(["--token", GITHUB])
    assert result.value == ["--token", GITHUB] and result.redactions == []


@pytest.mark.parametrize("key, value, says", [
    ("registration.omit.allowlist.patterns", ["ok", "(unclosed"], "'(unclosed' is not a valid regular expression"),
    ("registration.omit.patterns", [{"id": "x", "pattern": "[a-"}], "'[a-' is not a valid regular expression"),
    ("registration.omit.patterns", [{"id": "bad id!", "pattern": "x"}], "pattern id 'bad id!' must be"),
    ("registration.omit.patterns", [{"id": "github-token", "pattern": "x"}], "taken by a built-in rule"),
    ("registration.omit.patterns", [{"id": "a", "pattern": "x"}, {"id": "a", "pattern": "y"}], "given twice"),
    ("registration.omit.patterns", [{"id": "a", "regex": "x"}], "not regex"),
    ("registration.omit.patterns", ["just a string"], "each pattern is a table"),
    ("registration.omit.patterns", '[{"id": "x", "pattern": "y"', "each pattern is a table"),   # bad JSON
    ("registration.omit.secrets.values", ["abc"], "at least 4 characters"),
    ("registration.omit.env_vars.names", ["NOT-A-NAME"], "'NOT-A-NAME' is not an environment variable name"),
])
def test_bad_config_is_one_sentence_naming_the_key(key: str, value: Any, says: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        KEYS[key].validate(value)
    message = str(err.value)
    assert message.startswith(f"{key}: ") and says in message and "\n" not in message
    with pytest.raises(InvalidArgument, match=key.replace(".", r"\.")):   # unvalidated config too
        OmissionFilter.from_config(Config({k.name: k.default for k in KEYS.values()} | {key: value}))


def test_config_file_round_trip(tmp_path: Path) -> None:
    """What `roarctl config set` stores (JSON for lists and tables) loads back as the filter's input."""
    path = tmp_path / "config.toml"
    set_value(path, "registration.omit.patterns",
              '[{"id": "ticket", "pattern": "TCK-\\\\d+", "replacement": "<t>"}]')
    set_value(path, "registration.omit.allowlist.patterns", r"demo-\d{2,3}")    # one regex, commas kept
    assert KEYS["registration.omit.allowlist.patterns"].validate("[A-Z]{3}-demo") == ["[A-Z]{3}-demo"]
    set_value(path, "registration.omit.secrets.values", "alpha-secret,beta-secret")
    set_value(path, "registration.omit.env_vars.names", '["MY_PASS"]')
    loaded = Config.load(path)
    assert loaded["registration.omit.patterns"] == [{"id": "ticket", "pattern": r"TCK-\d+", "replacement": "<t>"}]
    assert loaded["registration.omit.allowlist.patterns"] == [r"demo-\d{2,3}"]
    assert loaded["registration.omit.secrets.values"] == ["alpha-secret", "beta-secret"]
    omit = OmissionFilter.from_config(loaded, {"MY_PASS": "pass-value"})
    assert redact("TCK-7 demo-42 alpha-secret pass-value --token=demo-123", omit) == (
        "<t> demo-42 [REDACTED:secret-value] [REDACTED:env:MY_PASS] --token=demo-123")
    path.write_text('[registration.omit.allowlist]\npatterns = ["(x"]\n')
    with pytest.raises(InvalidArgument, match="registration.omit.allowlist.patterns: '\\(x' is not a valid"):
        Config.load(path)
