"""Who is calling: a user with token scopes, or nobody (anonymous)."""
from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS_OWNER_KEY = 0  # owner_key of anonymous grants and labels


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    user_name: str | None = None
    is_admin: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: int | None = None
    token_name: str | None = None
    expires_at: float | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def owner_key(self) -> int:
        return self.user_id if self.user_id is not None else ANONYMOUS_OWNER_KEY

    def can(self, scope: str) -> bool:
        return scope in self.scopes


ANONYMOUS = Principal()
