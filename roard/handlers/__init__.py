"""gRPC request handling: one small module per service, mapping requests to domain calls.

Handlers hold no logic of their own: they validate the request's shape, call the domain and
convert the result to the proto message. Domain errors become gRPC statuses in ``errors.py``.
"""
