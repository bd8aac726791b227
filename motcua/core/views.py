from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from motcua.org.models import Role

_START_PAGE: dict[str, str] = {
    Role.COUNTER_OFFICER: "dossiers:counter",
    Role.SPECIALIST: "dossiers:inbox",
    Role.DEPARTMENT_HEAD: "dossiers:inbox",
    Role.COMMUNE_LEADER: "dossiers:approvals",
    Role.DATA_OFFICER: "registers:jobs",
    Role.PROVINCE_OFFICER: "dossiers:book",
    Role.ADMIN: "dossiers:book",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the screen it works in."""
    role = getattr(request.user, "role", "")
    return redirect(_START_PAGE.get(role, "dossiers:inbox"))
