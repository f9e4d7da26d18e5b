"""What of an export may leave the machine: the scope after the omission filter
(``roard/capture/omission.py``), configured by the workspace's ``registration.omit.*`` keys.
``render`` hands writers nothing else. Blocking (reads the config); call it in a worker thread."""
from __future__ import annotations

import os
from pathlib import Path

from roard.capture.omission import OmissionFilter
from roard.config import Config
from roard.lineage.export.scope import ExportScope
from roard.workspace.layout import WorkspacePaths


def public_scope(scope: ExportScope) -> ExportScope:
    """A copy of ``scope`` with every secret in its jobs (argv, git, environment, runtime,
    paths) replaced by ``[REDACTED:<rule>]``. Variables named in ``registration.omit.env_vars.names``
    are looked up in the daemon's environment and in each job's recorded one."""
    config = Config.load(WorkspacePaths(Path(scope.root)).config)
    omit = OmissionFilter.from_config(config, os.environ, *(job.env for job in scope.jobs))
    return omit.redact(scope).value
