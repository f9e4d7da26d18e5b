"""Step references, shared by both ends: ``@N`` names run step N of the active session, ``@BN``
build step N. The grammar and the format live here only."""
from __future__ import annotations

import re

#: ``@N`` or ``@BN`` (the B in either case); group 1 is "B" or "", group 2 the number.
STEP_REF = re.compile(r"^@(B?)(\d+)$", re.I)


def is_step_ref(text: str) -> bool:
    return STEP_REF.match(text.strip()) is not None


def step_ref(kind: str, step: int) -> str:
    """The reference of step ``step`` of a job of ``kind`` (build steps are numbered apart)."""
    return f"@B{step}" if kind == "build" else f"@{step}"
