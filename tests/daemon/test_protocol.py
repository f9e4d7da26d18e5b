"""The wire contract: version handshake, generated-code staleness, malformed requests, health
and reflection."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import grpc
import pytest
from tests.daemon.daemon_helpers import REPO

from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION


def test_version_with_and_without_a_daemon(roar_env):
    r = roar_env.roarctl("--version", check=True)
    assert r.stdout == f"roarctl {VERSION}\nroard not running\n"
    assert roar_env.daemon_pid() is None, "--version does not autostart"
    roar_env.roarctl("daemon", "start", check=True)
    r = roar_env.roarctl("--version", check=True)
    assert r.stdout == f"roarctl {VERSION}\nroard {VERSION} (protocol {PROTOCOL_MAJOR}.{PROTOCOL_MINOR})\n"


def _daemon_speaking(roar_env, major: int, minor: int):
    proc = roar_env.start_roard(env={"ROARD_TEST_PROTOCOL_MAJOR": str(major),
                                     "ROARD_TEST_PROTOCOL_MINOR": str(minor)})
    roar_env.wait_ready()
    return proc


def test_protocol_major_mismatch_is_an_error(roar_env):
    major = PROTOCOL_MAJOR + 1
    proc = _daemon_speaking(roar_env, major, 0)
    try:
        expected = (f"roarctl: roard {VERSION} speaks protocol {major}.0 but roarctl {VERSION} "
                    f"speaks {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; run `roarctl daemon restart`\n")
        for args in (["daemon", "status"], ["daemon", "status", "--json"]):
            r = roar_env.roarctl(*args)
            assert (r.returncode, r.stdout, r.stderr) == (3, "", expected)
        # The advice works: restart replaces it with a daemon of our protocol.
        roar_env.roarctl("daemon", "restart", check=True)
        assert proc.wait(timeout=20) == 0
        r = roar_env.roarctl("daemon", "status", "--json", check=True)
        assert json.loads(r.stdout)["protocol_major"] == PROTOCOL_MAJOR
        assert r.stderr == ""
    finally:
        if proc.poll() is None:
            proc.kill()


def test_protocol_minor_mismatch_is_a_warning_not_under_json(roar_env):
    minor = PROTOCOL_MINOR + 7
    proc = _daemon_speaking(roar_env, PROTOCOL_MAJOR, minor)
    try:
        r = roar_env.roarctl("daemon", "status", check=True)
        assert r.stderr == (f"roarctl: warning: roard {VERSION} speaks protocol {PROTOCOL_MAJOR}.{minor}, "
                            f"roarctl {PROTOCOL_MAJOR}.{PROTOCOL_MINOR}; `roarctl daemon restart` "
                            "picks up the installed version\n")
        assert f"  protocol:   {PROTOCOL_MAJOR}.{minor}" in r.stdout.splitlines()
        r = roar_env.roarctl("daemon", "status", "--json", check=True)
        assert r.stderr == ""
        assert json.loads(r.stdout)["protocol_minor"] == minor
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_daemon_started_from_older_code_is_named(roar_env):
    roar_env.roarctl("daemon", "start", check=True)
    assert roar_env.roarctl("daemon", "status", check=True).stderr == ""
    stamp = REPO / "roard" / "_native" / "zz-test-build-stamp"
    stamp.write_text("new build\n")  # what an upgrade or an edit does: the installed code changes
    try:
        r = roar_env.roarctl("daemon", "status", check=True)
        assert "roard is running code from before roar was last installed" in r.stderr
        assert "roarctl daemon restart" in r.stderr
        roar_env.roarctl("daemon", "restart", check=True)
        assert roar_env.roarctl("daemon", "status", check=True).stderr == ""
    finally:
        stamp.unlink()


def test_roarctl_from_another_installation_is_named(roar_env, tmp_path):
    roar_env.roarctl("daemon", "start", check=True)
    other = tmp_path / "other-install"
    for package in ("roar_api", "roarctl"):
        shutil.copytree(REPO / package, other / package, ignore=shutil.ignore_patterns("__pycache__"))
    r = roar_env.roarctl("daemon", "status", check=True, env={"PYTHONPATH": str(other)})
    assert f"roarctl from {other} is talking to roard from {REPO}" in r.stderr
    assert "roarctl daemon restart" in r.stderr
    assert roar_env.roarctl("daemon", "status", check=True).stderr == ""


def _generate_check(root) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(root / "proto" / "generate.py"), "--check"],
                          capture_output=True, text=True, timeout=120)


def test_generated_code_is_current():
    r = _generate_check(REPO)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("perturb", ["proto", "generated", "stray"])
def test_generated_code_check_catches_drift(tmp_path, perturb):
    for part in ("proto", "roar_api"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    assert _generate_check(tmp_path).returncode == 0, "the copy starts out current"
    gen = tmp_path / "roar_api" / "v1"
    if perturb == "proto":
        proto = tmp_path / "proto" / "roar" / "v1" / "daemon.proto"
        proto.write_text(proto.read_text().replace("message StatusRequest {}",
                                                   "message StatusRequest { bool verbose = 1; }"))
        stale = "daemon_pb2.py, daemon_pb2.pyi"
    elif perturb == "generated":
        (gen / "events_pb2_grpc.py").write_text((gen / "events_pb2_grpc.py").read_text() + "# edited\n")
        stale = "events_pb2_grpc.py"
    else:
        (gen / "old_pb2.py").write_text("")
        stale = "old_pb2.py"
    r = _generate_check(tmp_path)
    assert r.returncode == 1
    assert r.stdout == f"stale generated modules: {stale} (run python proto/generate.py)\n"


MALFORMED = b"\xff\xff\xff"


@pytest.mark.parametrize("method", ["/roar.v1.DaemonService/Status", "/roar.v1.RunService/BeginRun",
                                    "/grpc.health.v1.Health/Check"])
def test_malformed_unary_request_is_invalid_argument(roard, channel_to, method):
    ch = channel_to(roard.socket)
    call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as err:
        call(MALFORMED, timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith(f"malformed request: the bytes sent to {method} are not a valid ")
    _assert_still_serving(roard, ch)


@pytest.mark.parametrize("method, request_type, streaming_in", [
    ("/roar.v1.EventService/WatchEvents", "roar.v1.WatchEventsRequest", False),
    ("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     "grpc.reflection.v1alpha.ServerReflectionRequest", True)])
def test_malformed_stream_request_is_invalid_argument(roard, channel_to, method, request_type, streaming_in):
    ch = channel_to(roard.socket)
    if streaming_in:
        responses = ch.stream_stream(method, request_serializer=None, response_deserializer=None)(
            iter([MALFORMED]), timeout=5)
    else:
        responses = ch.unary_stream(method, request_serializer=None, response_deserializer=None)(
            MALFORMED, timeout=5)
    with pytest.raises(grpc.RpcError) as err:
        list(responses)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == f"malformed request: the bytes sent to {method} are not a valid {request_type}"
    _assert_still_serving(roard, ch)


def test_begin_run_without_argv_is_invalid_argument(roard, channel_to):
    from roar_api.v1 import runs_pb2, runs_pb2_grpc

    ch = channel_to(roard.socket)
    with pytest.raises(grpc.RpcError) as err:
        runs_pb2_grpc.RunServiceStub(ch).BeginRun(runs_pb2.BeginRunRequest(cwd=str(roard.base)), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == "no command given: usage is `roarctl run COMMAND [ARGS...]`"
    _assert_still_serving(roard, ch)


def _assert_still_serving(roard, ch) -> None:
    from roar_api.v1 import daemon_pb2, daemon_pb2_grpc

    st = daemon_pb2_grpc.DaemonServiceStub(ch).Status(daemon_pb2.StatusRequest(), timeout=5)
    assert st.pid == roard.daemon_pid()


#: Every service the contract defines; roard must serve (and report health for) all of them.
ROAR_SERVICES = {f"roar.v1.{name}" for proto in (REPO / "proto" / "roar" / "v1").glob("*.proto")
                 for name in re.findall(r"^service (\w+)", proto.read_text(), re.M)}


def test_health_reports_every_service(roard, channel_to):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    assert "roar.v1.DaemonService" in ROAR_SERVICES and len(ROAR_SERVICES) >= 7
    stub = health_pb2_grpc.HealthStub(channel_to(roard.socket))
    for name in ["", *sorted(ROAR_SERVICES)]:
        resp = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
        assert resp.status == health_pb2.HealthCheckResponse.SERVING, name
    with pytest.raises(grpc.RpcError) as err:
        stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_and_describes_services(roard, channel_to):
    """What `grpcurl -plaintext -unix <socket> list` does, with grpcio-reflection's client."""
    from google.protobuf.descriptor_pool import DescriptorPool
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    db = ProtoReflectionDescriptorDatabase(channel_to(roard.socket))
    services = set(db.get_services())
    assert services == ROAR_SERVICES | {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
    daemon_service = DescriptorPool(db).FindServiceByName("roar.v1.DaemonService")
    assert [m.name for m in daemon_service.methods] == ["Hello", "Status", "Shutdown"]
