from django.urls import path

from campaigns.views import status, status_feeds

app_name = "status"

urlpatterns = [
    path("", status.index, name="index"),
    path("feed/", status_feeds.status_feed, name="feed"),
    path("language/<str:code>/", status.language, name="language"),
    path("<slug:slug>/", status.incident_detail, name="incident"),
    path("<slug:slug>/feed/", status_feeds.incident_feed, name="incident_feed"),
]
