"""Transfers: bringing data in (``get``) and sending it out (``put``) through fsspec.

Domain code: knows nothing about gRPC or click. ``fetch.download`` and ``send.upload`` do the
blocking I/O (callers run them in worker threads); ``manager.TransferManager`` records the jobs.
"""
