from django.contrib.auth import views as auth_views
from django.urls import path

from campaigns.views import console

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", console.home, name="home"),
    path("incidents/<slug:slug>/", console.incident_detail, name="incident"),
]
