"""Bad requests to the editor-facing calls: one sentence, the right status, nothing recorded."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from roar_api.v1 import files_pb2, runs_pb2


def _error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        result = call()
        if hasattr(result, "__iter__") and not isinstance(result, (list, tuple)):
            list(result)
    return err.value


@pytest.mark.parametrize("request_, code, words", [
    (runs_pb2.StartRunRequest(cwd="/tmp"), grpc.StatusCode.INVALID_ARGUMENT, "needs a command"),
    (runs_pb2.StartRunRequest(argv=["true"], cwd="relative/dir"), grpc.StatusCode.INVALID_ARGUMENT, "absolute"),
    (runs_pb2.StartRunRequest(argv=["true"], cwd="/"), grpc.StatusCode.FAILED_PRECONDITION, ""),
    (runs_pb2.StartRunRequest(argv=["true"], cwd="{ws}", kind="deploy"), grpc.StatusCode.INVALID_ARGUMENT, "kind"),
    (runs_pb2.StartRunRequest(argv=["true"], cwd="{ws}", pty=True, size=runs_pb2.TerminalSize(rows=5, cols=0)),
     grpc.StatusCode.INVALID_ARGUMENT, "terminal size"),
])
def test_start_run_refuses_what_it_cannot_run(roar, ws: Path, request_, code, words) -> None:
    if request_.cwd == "{ws}":
        request_.cwd = str(ws)
    err = _error(lambda: roar.runs.StartRun(request_))
    assert err.code() == code and words in err.details() and err.details().count(". ") == 0
    assert roar.list_runs() == []


def test_cancel_and_attach_of_unknown_runs(roar) -> None:
    assert _error(lambda: roar.cancel_run("nope")).code() == grpc.StatusCode.NOT_FOUND
    err = _error(lambda: roar.runs.CancelRun(runs_pb2.CancelRunRequest(run_id="nope", grace_seconds=-1)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "negative" in err.details()


def test_file_status_needs_paths_and_an_absolute_cwd_for_relative_ones(roar) -> None:
    err = _error(lambda: roar.files.GetFileStatus(files_pb2.GetFileStatusRequest(cwd="/")))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "at least one file" in err.details()
    err = _error(lambda: roar.files.GetFileStatus(files_pb2.GetFileStatusRequest(paths=["a.txt"], cwd="rel")))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "absolute cwd" in err.details()
    err = _error(lambda: roar.files.WatchFileStatus(files_pb2.GetFileStatusRequest()))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_environment_that_cannot_be_set_is_refused_before_anything_runs(roar, ws: Path) -> None:
    err = _error(lambda: roar.start_run(["true"], cwd=ws, environment={"A=B": "x"}))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "'A=B'" in err.details()
    assert roar.list_runs() == []
