"""Finalize: turn a run's spool into a job's inputs and outputs (classify, filter, hash)."""
