"""The account screens every staff member has: the start page of their role and the password change.

Served under the `core` URL namespace (`core:home`, `core:password_change`…, composed in
`motcua/config/urls.py`) beside core's login; they live in org because they know its roles.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy

from motcua.core import clock

from .models import Role, User
from .services import password_changed

_START_PAGE: dict[str, str] = {
    Role.COUNTER_OFFICER: "dossiers:counter",
    Role.SPECIALIST: "dossiers:inbox",
    Role.DEPARTMENT_HEAD: "dossiers:inbox",
    Role.COMMUNE_LEADER: "dossiers:approvals",
    Role.DATA_OFFICER: "registers:jobs",
    Role.PROVINCE_OFFICER: "dossiers:overview",
    Role.ADMIN: "org:admin_home",
}
# Where a role lands when its own start page is not there (the province's leader view is
# being built): a page with the staff navigation, never a page linking back to itself.
_FALLBACK_PAGE = "dossiers:inbox"


def start_page_for_role(role: str) -> str:
    """The URL of the screen a role works in."""
    for name in (_START_PAGE.get(role, _FALLBACK_PAGE), _FALLBACK_PAGE):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


def start_page(user: User) -> str:
    """The URL of the screen a user works in (by their primary role); an installation
    administrator (superuser) manages the shared procedure catalogue first."""
    if user.is_superuser:
        return reverse("catalog:list")
    return start_page_for_role(user.role)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the screen it works in; a one-time password is changed first."""
    user = request.user
    assert isinstance(user, User)
    if user.must_change_password:
        messages.info(
            request, "Mật khẩu của bạn là mật khẩu dùng một lần: hãy đặt mật khẩu mới trước khi làm việc."
        )
        return redirect("core:password_change")
    return redirect(start_page(user))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every user changes their own password (Django's view, the project's template)."""

    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:password_change_done")
    form_class = PasswordChangeForm

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        assert isinstance(user, User)
        password_changed(user=user, now=clock.now())
        return response


@login_required
def password_change_done(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(request, "core/password_change_done.html", {"start": start_page(user)})
