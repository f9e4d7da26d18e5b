"""The contract between roard and its clients: generated gRPC modules (``roar_api.v1``), the
protocol version, and where the daemon's socket and state live. Both ends import this package,
so each of these facts is defined once."""
