"""Console pages of mailings: compose, preview, test, launch, follow and resend."""

from django.urls import path

from campaigns.mailings import brand_views, delivery_views, tool_views, views

console_urlpatterns = [
    path("mail-look/", brand_views.brand_settings, name="brand"),
    path("incidents/<slug:slug>/mailings/", views.mailing_list, name="mailings"),
    path("incidents/<slug:slug>/mailings/new/", views.mailing_create, name="mailing_create"),
    path("incidents/<slug:slug>/mailings/correction/", views.mailing_correction, name="mailing_correction"),
    path("incidents/<slug:slug>/mailings/preview/", views.compose_preview, name="compose_preview"),
    path("incidents/<slug:slug>/mailings/count/", views.compose_count, name="compose_count"),
    path("suppressions/", tool_views.suppressions, name="suppressions"),
    path("suppressions/<int:pk>/lift/", tool_views.suppression_lift_view, name="suppression_lift"),
    path("mailings/<int:pk>/", views.mailing_detail, name="mailing"),
    path("mailings/<int:pk>/pace/", tool_views.mailing_pace, name="mailing_pace"),
    path("mailings/<int:pk>/edit/", views.mailing_edit, name="mailing_edit"),
    path("mailings/<int:pk>/preview/", views.mailing_preview, name="mailing_preview"),
    path("mailings/<int:pk>/progress/", views.mailing_progress_partial, name="mailing_progress"),
    path("mailings/<int:pk>/test/", views.mailing_test, name="mailing_test"),
    path("mailings/<int:pk>/log/", delivery_views.mailing_log, name="mailing_log"),
    path("mailings/<int:pk>/in-doubt/", delivery_views.mailing_in_doubt, name="mailing_in_doubt"),
    path("mailings/<int:pk>/log/<int:delivery_pk>/resend/", delivery_views.delivery_resend, name="delivery_resend"),
    path("mailings/<int:pk>/<slug:action>/", views.mailing_action, name="mailing_action"),
]
