from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    commune = getattr(user, "commune", None) if user is not None and user.is_authenticated else None
    return {"site_name": "Một cửa", "current_commune": commune}
