"""Which jobs count as "the same step": kind, argv and cwd relative to the workspace."""
from __future__ import annotations

import json

from roard.lineage.store import step_key


def _rel(cwd: str, root: str = "/w/proj") -> str:
    return json.loads(step_key("run", ["python", "a.py"], cwd, root))[2]


def test_cwd_relative_to_the_workspace():
    assert _rel("/w/proj") == ""                 # the root itself, as keys were always stored
    assert _rel("/w/proj/sub/dir") == "sub/dir"
    assert _rel("/w/proj/sub", "/w/proj/") == "sub"


def test_a_sibling_sharing_the_roots_prefix_is_outside():
    assert _rel("/w/project2") == "/w/project2"
    assert _rel("/elsewhere") == "/elsewhere"


def test_kind_and_argv_are_part_of_the_key():
    assert step_key("run", ["a"], "/w", "/w") != step_key("build", ["a"], "/w", "/w")
    assert step_key("run", ["a"], "/w", "/w") != step_key("run", ["a", "b"], "/w", "/w")
