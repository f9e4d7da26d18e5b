"""The one rule for secrets in URLs (roard/capture/credentials.py)."""
from __future__ import annotations

import pytest

from roard.capture.credentials import strip_credentials


@pytest.mark.parametrize("given, recorded", [
    ("https://alice:t0k3n@github.com/team/repo.git", "https://github.com/team/repo.git"),
    ("https://b.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2Fx"
     "&X-Amz-Signature=abc123&x-id=GetObject",
     "https://b.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED"
     "&X-Amz-Signature=REDACTED&x-id=GetObject"),
    ("https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=Zm9v%3D",
     "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=REDACTED"),
    ("https://storage.googleapis.com/b/o?X-Goog-Signature=dead&X-Goog-Credential=svc",
     "https://storage.googleapis.com/b/o?X-Goog-Signature=REDACTED&X-Goog-Credential=REDACTED"),
    ("--source=https://api.example.org/v1/data?TOKEN=xyz&page=2#top",
     "--source=https://api.example.org/v1/data?TOKEN=REDACTED&page=2#top"),
    ("https://example.org/search?monkey=1&keyword=roar", "https://example.org/search?monkey=1&keyword=roar"),
    ("data/train.csv", "data/train.csv"),
    ("user@example.org", "user@example.org"),          # an e-mail address is not a URL's user part
])
def test_credentials_are_stripped_and_nothing_else(given, recorded):
    assert strip_credentials(given) == recorded
