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
