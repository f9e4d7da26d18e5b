"""roard: the per-user roar daemon."""
