"""The one rule for secrets inside URLs: what roar records and exports never carries them.

Applied to git remotes, to `roarctl get`/`put` URLs, to exported command lines and to error
messages that quote a URL. It removes a URL's user information (``https://user:token@host``) and
blanks the values of query parameters that carry credentials: presigned S3 and GCS URLs, Azure
SAS tokens, and the usual token and key parameters. Any text can be passed: an argument such as
``--source=https://...?sig=...`` is cleaned in place.
"""
from __future__ import annotations

import re

REDACTED = "REDACTED"
#: Query parameters whose value is a credential (compared case-insensitively).
SECRET_PARAMETERS = (
    "x-amz-signature", "x-amz-credential", "x-amz-security-token",   # S3 presigned (SigV4)
    "signature", "awsaccesskeyid",                                  # S3 presigned (SigV2)
    "x-goog-signature", "x-goog-credential",                        # GCS signed URLs
    "sig",                                                          # Azure SAS
    "token", "access_token", "id_token", "refresh_token", "api_key", "apikey", "key",
    "password", "passwd", "secret", "client_secret", "private_token",
)
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_PARAMETER = re.compile(r"([?&;](?:" + "|".join(map(re.escape, SECRET_PARAMETERS)) + r")=)[^&#\s]*",
                        re.IGNORECASE)


def strip_credentials(text: str) -> str:
    """``https://user:pw@host/x?X-Amz-Signature=abc&part=1`` ->
    ``https://host/x?X-Amz-Signature=REDACTED&part=1``: secrets never leave the machine."""
    return _PARAMETER.sub(r"\g<1>" + REDACTED, _USERINFO.sub("", text))
