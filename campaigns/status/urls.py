"""The public status pages and feeds, and the console pages where support posts updates."""

from django.urls import path

from campaigns.status import console_views, feeds, views

app_name = "status"

urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.status_feed, name="feed"),
    path("language/<str:code>/", views.language, name="language"),
    path("<slug:slug>/", views.incident_detail, name="incident"),
    path("<slug:slug>/feed/", feeds.incident_feed, name="incident_feed"),
]

console_urlpatterns = [
    path("incidents/<slug:slug>/status/", console_views.status_updates, name="status"),
    path("incidents/<slug:slug>/status/publish/", console_views.status_publish, name="status_publish"),
    path("incidents/<slug:slug>/status/updates/<int:pk>/", console_views.status_update_edit, name="status_update_edit"),
    path(
        "incidents/<slug:slug>/status/windows/<int:pk>/ended/",
        console_views.status_window_ended,
        name="status_window_ended",
    ),
    path(
        "incidents/<slug:slug>/status/windows/<int:pk>/ongoing/",
        console_views.status_window_ongoing,
        name="status_window_ongoing",
    ),
]
