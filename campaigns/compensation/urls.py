"""Console pages of compensation: support prepares, a second person with the finance role approves."""

from django.urls import path

from campaigns.compensation import export_views, policy_views, views

console_urlpatterns = [
    path("incidents/<slug:slug>/compensation/", views.compensation, name="compensation"),
    path("incidents/<slug:slug>/compensation/prepare/", views.prepare, name="compensation_prepare"),
    path("incidents/<slug:slug>/compensation/approve/", views.approve, name="compensation_approve"),
    path("incidents/<slug:slug>/compensation/export.<str:fmt>", export_views.export, name="compensation_export"),
    path("policies/", policy_views.policies, name="policies"),
    path("policies/propose/", policy_views.policy_propose_view, name="policy_propose"),
    path("policies/<int:pk>/propose/", policy_views.policy_propose_view, name="policy_propose_version"),
    path("policies/proposals/<int:pk>/<str:decision>/", policy_views.policy_decide, name="policy_decide"),
]
