from django.http import HttpRequest
from ninja.security import HttpBearer

from motcua.org.models import ApiToken, User


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer mc_…`. Only active staff with an unrevoked token pass."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        row = (
            ApiToken.objects.select_related("user", "user__commune")
            .filter(key_hash=ApiToken.hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        request.user = row.user
        return row.user
