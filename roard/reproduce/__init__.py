"""Rebuilding artifacts from their recorded lineage: plan, code, environment, steps, verdict."""
