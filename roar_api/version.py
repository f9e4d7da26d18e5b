"""Package and protocol versions.

The protocol major changes when an old client cannot talk to a new daemon (or the reverse);
the minor changes when something was added that old peers simply do not use.
"""
VERSION = "0.1.0"
PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
