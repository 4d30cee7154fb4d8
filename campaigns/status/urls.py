"""The public status pages and feeds, and the console pages where support posts updates."""

from django.urls import path

from campaigns.status import console_views, feeds, incident_editor, views

app_name = "status"

urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.status_feed, name="feed"),
    path("language/<str:code>/", views.language, name="language"),
    path("<slug:slug>/", views.incident_detail, name="incident"),
    path("<slug:slug>/feed/", feeds.incident_feed, name="incident_feed"),
]

console_urlpatterns = [
    # Before the incidents' own pages (hostnotify/urls.py): "new" is no incident's slug.
    path("incidents/new/", incident_editor.incident_new, name="incident_new"),
    path("incidents/<slug:slug>/edit/", incident_editor.incident_edit, name="incident_edit"),
    path("incidents/<slug:slug>/edit/windows/", incident_editor.incident_window_add, name="incident_window_add"),
    path(
        "incidents/<slug:slug>/edit/windows/<int:pk>/",
        incident_editor.incident_window_change,
        name="incident_window_change",
    ),
    path("incidents/<slug:slug>/edit/reach/", incident_editor.incident_window_reach, name="incident_window_reach"),
    path("incidents/<slug:slug>/edit/publish/", incident_editor.incident_publish_toggle, name="incident_publish"),
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
