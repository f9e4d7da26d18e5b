"""Registration: publishing a target's lineage to a GLaaS server (``roarctl register``, the
background queue, ``login``). Everything sent goes through the omission filter first."""
