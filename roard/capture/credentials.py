"""The one rule for secrets inside URLs, used twice: at capture, where they are never recorded,
and as rules of the omission filter (``roard/capture/omission.py``), where they never leave.

It covers a URL's user information (``https://user:token@host``, ``postgres://u:pw@db``; any
scheme) and the values of query parameters that carry credentials: presigned S3 and GCS URLs,
Azure SAS tokens, and the usual token and key parameters. Any text can be passed: an argument
such as ``--source=https://...?sig=...`` is cleaned in place.
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
#: ``scheme://<secret>@host``: the user information of a URL (``user:password`` or a bare token).
URL_USERINFO = re.compile(r"(?<=://)(?P<secret>[^/?#@\s]+)@")
#: ``?<name>=<secret>``: a query parameter that carries a credential.
URL_SECRET_PARAMETER = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(map(re.escape, SECRET_PARAMETERS)) + r")=)(?P<secret>[^&#\s]*)",
    re.IGNORECASE)


def strip_credentials(text: str) -> str:
    """``https://user:pw@host/x?X-Amz-Signature=abc&part=1`` ->
    ``https://host/x?X-Amz-Signature=REDACTED&part=1``: what roar records never holds them."""
    return URL_SECRET_PARAMETER.sub(r"\g<name>" + REDACTED, URL_USERINFO.sub("", text))
