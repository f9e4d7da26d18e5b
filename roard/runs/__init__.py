"""Runs: commands being traced, from BeginRun to a recorded job."""
