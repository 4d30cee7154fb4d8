from django.contrib.auth import views as auth_views
from django.urls import path

from campaigns.views import compensation, console

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", console.home, name="home"),
    path("incidents/<slug:slug>/", console.incident_detail, name="incident"),
    # --- compensation (issue 3) ---
    path("incidents/<slug:slug>/compensation/", compensation.overview, name="compensation"),
    path("incidents/<slug:slug>/compensation/prepare/", compensation.prepare, name="compensation_prepare"),
    path("incidents/<slug:slug>/compensation/approve/", compensation.approve, name="compensation_approve"),
    path("incidents/<slug:slug>/compensation/export.<str:fmt>", compensation.export, name="compensation_export"),
]

# --- Status updates and windows (issue 7) -----------------------------------------------------
from campaigns.views import console_status  # noqa: E402

urlpatterns += [
    path("incidents/<slug:slug>/status/", console_status.status_updates, name="status"),
    path(
        "incidents/<slug:slug>/status/updates/<int:pk>/", console_status.status_update_edit, name="status_update_edit"
    ),
    path(
        "incidents/<slug:slug>/status/windows/<int:pk>/ended/",
        console_status.status_window_ended,
        name="status_window_ended",
    ),
    path(
        "incidents/<slug:slug>/status/windows/<int:pk>/ongoing/",
        console_status.status_window_ongoing,
        name="status_window_ongoing",
    ),
]
