"""The staffing hub `/nhan-su/`: one entry in the staff navigation, the capabilities behind it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from motcua.core.errors import NotAllowed
from motcua.org.models import Role, User


@login_required
@require_GET
def hub(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if user.has_role(Role.RESIDENT) or not (user.commune_id or user.has_role(Role.PROVINCE_OFFICER)):
        raise NotAllowed("Trang này dành cho cán bộ.")
    return render(request, "staffing/hub.html", {"roles": user.roles})
