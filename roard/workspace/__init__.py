"""Workspaces: a directory with ``.roar/`` (database, config, run spools)."""
