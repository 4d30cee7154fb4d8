"""Console pages of finance: reports, exports, voids and the audit log."""

from django.urls import path

from campaigns.finance import views

console_urlpatterns = [
    path("finance/", views.report, name="finance"),
    path("finance/incidents/<slug:slug>/", views.report, name="finance_incident"),
    path("finance/export/", views.export, name="finance_export"),
    path("finance/vouchers/void/", views.void, name="voucher_void"),
    path("finance/audit/", views.audit_log, name="audit"),
]
