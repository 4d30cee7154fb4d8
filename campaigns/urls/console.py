from django.contrib.auth import views as auth_views
from django.urls import path

from campaigns.views import approval, compensation, console, finance

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", console.home, name="home"),
    path("incidents/<slug:slug>/", console.incident_detail, name="incident"),
    # --- finance: compensation approval, reports, exports, voids, audit log ---
    path("incidents/<slug:slug>/compensation/", approval.compensation, name="compensation"),
    path("incidents/<slug:slug>/compensation/prepare/", approval.prepare, name="compensation_prepare"),
    path("incidents/<slug:slug>/compensation/approve/", approval.approve, name="compensation_approve"),
    path("finance/", finance.report, name="finance"),
    path("finance/incidents/<slug:slug>/", finance.report, name="finance_incident"),
    path("finance/export/", finance.export, name="finance_export"),
    path("finance/vouchers/void/", finance.void, name="voucher_void"),
    path("finance/audit/", finance.audit_log, name="audit"),
    # --- compensation: the per-customer export; dry run, prepare and approve are the
    # approval views above (support prepares, a second person with the finance role approves).
    path("incidents/<slug:slug>/compensation/export.<str:fmt>", compensation.export, name="compensation_export"),
]

# --- Status updates and windows -----------------------------------------------------
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

# --- Mailings ------------------------------------------------------------------------
from campaigns.views import mailings  # noqa: E402

urlpatterns += [
    path("incidents/<slug:slug>/mailings/", mailings.mailing_list, name="mailings"),
    path("incidents/<slug:slug>/mailings/new/", mailings.mailing_create, name="mailing_create"),
    path("incidents/<slug:slug>/mailings/preview/", mailings.compose_preview, name="compose_preview"),
    path("incidents/<slug:slug>/mailings/count/", mailings.compose_count, name="compose_count"),
    path("mailings/<int:pk>/", mailings.mailing_detail, name="mailing"),
    path("mailings/<int:pk>/edit/", mailings.mailing_edit, name="mailing_edit"),
    path("mailings/<int:pk>/preview/", mailings.mailing_preview, name="mailing_preview"),
    path("mailings/<int:pk>/progress/", mailings.mailing_progress_partial, name="mailing_progress"),
    path("mailings/<int:pk>/test/", mailings.mailing_test, name="mailing_test"),
    path("mailings/<int:pk>/log/", mailings.mailing_log, name="mailing_log"),
    path("mailings/<int:pk>/log/<int:delivery_pk>/resend/", mailings.delivery_resend, name="delivery_resend"),
    path("mailings/<int:pk>/<slug:action>/", mailings.mailing_action, name="mailing_action"),
]
