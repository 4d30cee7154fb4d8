"""Staff roles. Support composes and sends mailings; finance owns policies, approvals and exports;
superusers (admin) may do everything. Roles are Django groups so the admin can assign them."""

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied

SUPPORT = "support"
FINANCE = "finance"


def has_role(user, role: str) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    cache = getattr(user, "_hostnotify_roles", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._hostnotify_roles = cache
    return role in cache


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def is_support(user) -> bool:
    return has_role(user, SUPPORT) or has_role(user, FINANCE)


def is_finance(user) -> bool:
    return has_role(user, FINANCE)


def _require(check):
    def predicate(user):
        if not user.is_authenticated:
            return False  # redirect to the login page
        if not check(user):
            raise PermissionDenied  # 403 for signed-in users without the role
        return True

    return user_passes_test(predicate, login_url="console:login")


staff_required = _require(is_staff_member)
support_required = _require(is_support)
finance_required = _require(is_finance)
