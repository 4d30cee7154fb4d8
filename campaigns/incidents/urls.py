"""Console pages of incidents: the home page and one incident's exposure and timeline."""

from django.contrib.auth import views as auth_views
from django.urls import path

from campaigns.incidents import views

console_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("incidents/<slug:slug>/", views.incident_detail, name="incident"),
]
