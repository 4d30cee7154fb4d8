"""Console pages of compensation: support prepares, a second person with the finance role approves."""

from django.urls import path

from campaigns.compensation import export_views, views

console_urlpatterns = [
    path("incidents/<slug:slug>/compensation/", views.compensation, name="compensation"),
    path("incidents/<slug:slug>/compensation/prepare/", views.prepare, name="compensation_prepare"),
    path("incidents/<slug:slug>/compensation/approve/", views.approve, name="compensation_approve"),
    path("incidents/<slug:slug>/compensation/export.<str:fmt>", export_views.export, name="compensation_export"),
]
