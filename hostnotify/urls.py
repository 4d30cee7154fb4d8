from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.brand_views import brand_logo
from campaigns.api.urls import console_urlpatterns as api_console
from campaigns.claims.urls import console_urlpatterns as claims_console
from campaigns.compensation.urls import console_urlpatterns as compensation_console
from campaigns.finance.urls import console_urlpatterns as finance_console
from campaigns.incidents.urls import console_urlpatterns as incidents_console
from campaigns.mailings.urls import console_urlpatterns as mailings_console
from campaigns.mailings.webhook_urls import anymail_urlpatterns
from campaigns.offers.urls import console_urlpatterns as offers_console
from campaigns.status.urls import console_urlpatterns as status_console

# The staff console is one namespace made of each pipeline step's pages.
console_urlpatterns = (
    status_console
    + incidents_console
    + compensation_console
    + offers_console
    + finance_console
    + mailings_console
    + api_console
    + claims_console
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="status:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("brand/logo", brand_logo, name="brand_logo"),  # the logo in mails: public
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", include((console_urlpatterns, "console"))),
    path("portal/", include("campaigns.portal.urls")),
    path("status/", include("campaigns.status.urls")),
    path("anymail/", include((anymail_urlpatterns(), "anymail"))),  # the configured ESP's webhook only
    path("api/v1/", include("campaigns.api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
