"""Issue 13 item 5: bad input gets one clear sentence and the right status, never INTERNAL.
Real daemon on a temporary socket, real workspace, requests through grpcio."""
from __future__ import annotations

import grpc
import pytest

from tests.conftest import RoarEnv
from tests.reliability.rpcs import all_rpcs, channel, set_string, string_fields

RPCS = all_rpcs()


def test_nul_byte_in_any_string_of_any_rpc_is_invalid_argument(roard: RoarEnv) -> None:
    """Every string field of every request (nested, repeated and map fields included), one at a
    time, holding a NUL byte: refused before any handler runs (Shutdown included: the daemon
    is still there afterwards)."""
    checked = 0
    with channel(roard.socket) as ch:
        for rpc in RPCS:
            for path in string_fields(rpc.request):
                request = rpc.new_request()
                set_string(request, path, "bad\0name")
                with pytest.raises(grpc.RpcError) as caught:
                    rpc.call(ch, request, timeout=30)
                err = caught.value
                assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (rpc, path, err.details())
                assert "contains a NUL byte" in err.details(), (rpc, path, err.details())
                assert err.details().count(".") <= 2 + path.count("."), err.details()  # one sentence
                checked += 1
    assert checked > 100   # every RPC with a string field was tried
    assert roard.roarctl("daemon", "status").returncode == 0


def test_error_quoting_a_huge_input_is_capped(workspace, roard: RoarEnv) -> None:
    """A 100 KB reference echoed in a NOT_FOUND message would overflow gRPC's header limit
    ("Stream removed"); the message is cut and says how much was left out."""
    from roar_api.v1 import artifacts_pb2
    rpc = next(r for r in RPCS if r.name == "GetArtifact")
    huge = "z" * 100_000
    with channel(roard.socket) as ch, pytest.raises(grpc.RpcError) as caught:
        rpc.call(ch, artifacts_pb2.GetArtifactRequest(ref=huge, workspace=str(workspace)), timeout=30)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND, caught.value.details()
    details = caught.value.details()
    assert len(details.encode()) <= 1024 and details.startswith("no recorded job wrote 'zzz")
    assert "more bytes not shown" in details


@pytest.mark.parametrize("body, sentence", [
    ('[output]\nquiet = "yes"\n', "output.quiet must be true or false (a TOML boolean), not the string \"yes\""),
    ("[filters]\nignore_paths = 5\n", "filters.ignore_paths must be a list of strings, not the integer 5"),
    ("[watch]\nidle_minutes = true\n", "watch.idle_minutes must be a number, not the boolean true"),
    (b"[output]\nquiet = true # caf\xe9\n", "is not UTF-8 text (byte 27 is 0xe9)"),
])
def test_bad_config_file_is_one_sentence(workspace, roard: RoarEnv, body, sentence) -> None:
    """A wrongly typed or non-UTF-8 .roar/config.toml: `run` refuses before the command runs,
    naming the key and the type it takes; read commands say the same."""
    config = workspace / ".roar" / "config.toml"
    config.write_bytes(body.encode() if isinstance(body, str) else body)
    proc = roard.roarctl("run", "touch", "ran.txt", cwd=workspace)
    assert proc.returncode == 2, proc.stderr   # roarctl's exit code for INVALID_ARGUMENT
    assert sentence in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (workspace / "ran.txt").exists()
    listed = roard.roarctl("config", "list", cwd=workspace)
    assert listed.returncode != 0 and sentence in listed.stderr and "internal" not in listed.stderr


def test_symlinked_lock_file_is_refused(roar_env: RoarEnv, tmp_path) -> None:
    """roard refuses a lock file that is a symlink (it could point at any file of the user's)
    with one sentence, no traceback, and leaves the target alone."""
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    roar_env.socket.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = roar_env.socket.with_name(roar_env.socket.name + ".lock")
    lock.symlink_to(target)
    proc = roar_env.start_roard()
    _, err = proc.communicate(timeout=30)
    text = err.decode()
    assert proc.returncode != 0
    assert f"refusing to use lock file {lock}: it is a symlink" in text, text
    assert "Traceback" not in text
    assert target.read_text() == "keep me\n"
    assert not roar_env.socket.exists()


def test_short_hash_prefix_names_the_minimum(workspace, roard: RoarEnv) -> None:
    proc = roard.roarctl("show", "a", cwd=workspace)
    assert proc.returncode != 0
    assert "'a' is too short for a hash prefix (at least 6 hex characters)" in proc.stderr, proc.stderr
