from django.contrib.auth import views as auth_views
from django.urls import path

from campaigns.views import approval, console, finance

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", console.home, name="home"),
    path("incidents/<slug:slug>/", console.incident_detail, name="incident"),
    # --- finance (issue 6): compensation approval, reports, exports, voids, audit log ---
    path("incidents/<slug:slug>/compensation/", approval.compensation, name="compensation"),
    path("incidents/<slug:slug>/compensation/prepare/", approval.prepare, name="compensation_prepare"),
    path("incidents/<slug:slug>/compensation/approve/", approval.approve, name="compensation_approve"),
    path("finance/", finance.report, name="finance"),
    path("finance/incidents/<slug:slug>/", finance.report, name="finance_incident"),
    path("finance/export/", finance.export, name="finance_export"),
    path("finance/vouchers/void/", finance.void, name="voucher_void"),
    path("finance/audit/", finance.audit_log, name="audit"),
]
