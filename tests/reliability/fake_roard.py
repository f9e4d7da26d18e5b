"""A fake roard for the hostile-socket tests: a grpcio server on a Unix socket that answers Hello
as a current roard would and BeginRun with whatever launch plan it is given, counting the calls
it received. Run as a script (``python fake_roard.py SOCK PREFIX_JSON ENV_JSON COUNT_FILE``) so
that it can run as another user."""
from __future__ import annotations

import json
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc

from roar_api.v1 import daemon_pb2, runs_pb2
from roar_api.version import PROTOCOL_MAJOR, PROTOCOL_MINOR, VERSION


def serve(sock: str, argv_prefix: list[str], environment: dict[str, str], count_file: Path) -> grpc.Server:
    lock = threading.Lock()
    calls: list[str] = []

    def counted(name, answer):
        def handler(request, context):
            with lock:
                calls.append(name)
                count_file.write_text("\n".join(calls))
            return answer(request)
        return handler

    hello = counted("Hello", lambda r: daemon_pb2.HelloResponse(
        daemon_version=VERSION, protocol_major=PROTOCOL_MAJOR, protocol_minor=PROTOCOL_MINOR))
    begin = counted("BeginRun", lambda r: runs_pb2.BeginRunResponse(
        run_id="fake", launch=runs_pb2.LaunchSpec(argv_prefix=argv_prefix, environment=environment)))
    end = counted("EndRun", lambda r: runs_pb2.EndRunResponse())
    server = grpc.server(futures.ThreadPoolExecutor(4))
    server.add_generic_rpc_handlers([
        grpc.method_handlers_generic_handler("roar.v1.DaemonService", {
            "Hello": grpc.unary_unary_rpc_method_handler(hello, daemon_pb2.HelloRequest.FromString,
                                                         daemon_pb2.HelloResponse.SerializeToString)}),
        grpc.method_handlers_generic_handler("roar.v1.RunService", {
            "BeginRun": grpc.unary_unary_rpc_method_handler(begin, runs_pb2.BeginRunRequest.FromString,
                                                            runs_pb2.BeginRunResponse.SerializeToString),
            "EndRun": grpc.unary_unary_rpc_method_handler(end, runs_pb2.EndRunRequest.FromString,
                                                          runs_pb2.EndRunResponse.SerializeToString)}),
    ])
    server.add_insecure_port(f"unix:{sock}")
    server.start()
    return server


if __name__ == "__main__":
    path, prefix, env, counts = sys.argv[1:5]
    Path(counts).write_text("")
    srv = serve(path, json.loads(prefix), json.loads(env), Path(counts))
    print("ready", flush=True)
    srv.wait_for_termination()
