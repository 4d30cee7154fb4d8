"""Console pages of the forms of compensation (finance)."""

from django.urls import path

from campaigns.offers import views

console_urlpatterns = [
    path("incidents/<slug:slug>/offers/", views.incident_offers, name="incident_offers"),
    path(
        "incidents/<slug:slug>/offers/approve/",
        views.incident_offers_decide,
        {"decision": "approve"},
        name="incident_offers_approve",
    ),
    path(
        "incidents/<slug:slug>/offers/reject/",
        views.incident_offers_decide,
        {"decision": "reject"},
        name="incident_offers_reject",
    ),
    path(
        "incidents/<slug:slug>/offers/withdraw/",
        views.incident_offers_decide,
        {"decision": "withdraw"},
        name="incident_offers_withdraw",
    ),
    path("finance/partners/", views.partners, name="partners"),
]
