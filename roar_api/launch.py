"""The variables of the user's environment that roarctl sends with BeginRun (and StartRun
clients may set): roard derives the launch from them (the tracer must see LD_PRELOAD and PATH
as the command will), classifies with them (PYTHONPATH directories hold packages, not data)
and records what matters for reproducing (CUDA_VISIBLE_DEVICES: which GPUs the job could use).
Everything else of the environment stays on the client."""
from __future__ import annotations

RUN_ENVIRONMENT = ("LD_PRELOAD", "PATH", "PYTHONPATH", "CUDA_VISIBLE_DEVICES")
