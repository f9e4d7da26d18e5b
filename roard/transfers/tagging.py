"""The git tag a transfer leaves on the commit it recorded (``roar/<commit>``). Blocking."""
from __future__ import annotations

import git


def tag_commit(repo_root: str, commit: str) -> tuple[str, str]:
    """Tag ``commit`` as ``roar/<first 12 hex>``; returns (tag, warning). An existing tag on the
    same commit is fine; one on another commit is left alone."""
    if not repo_root or not commit:
        return "", "no git commit to tag (not in a git repository, or before its first commit)"
    name = f"roar/{commit[:12]}"
    g = git.Git(repo_root)
    try:
        existing = g.execute(["git", "rev-parse", "-q", "--verify", f"refs/tags/{name}^{{commit}}"])
    except git.GitCommandError:
        existing = ""
    if existing.strip() == commit:
        return name, ""
    if existing.strip():
        return "", f"git tag {name} already points at another commit; left as it is"
    try:
        g.execute(["git", "tag", name, commit])
    except git.GitCommandError as exc:
        return "", f"could not create git tag {name}: {' '.join(str(exc.stderr).split())[:200]}"
    return name, ""
