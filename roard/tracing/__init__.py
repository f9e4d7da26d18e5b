"""Tracer backends seen from the daemon: launch specs and the spool reader."""
