"""Writes: registering lineage idempotently by content (native batches and roar-cli's calls)."""
