from django.urls import path

from accounts import views as signin
from campaigns.portal import claim_views, credit_views, views

app_name = "portal"

urlpatterns = [
    # Sign-in (accounts.views)
    path("login/", signin.login, name="login"),
    path("login/<str:token>/", signin.magic_link, name="magic_link"),
    path("logout/", signin.logout, name="logout"),
    path("password/", signin.password_change, name="password_change"),
    path("password/reset/", signin.password_reset_request, name="password_reset"),
    path("password/reset/<str:token>/", signin.password_reset_confirm, name="password_reset_confirm"),
    # What happened
    path("", views.home, name="home"),
    path("incidents/<slug:slug>/", views.incident_detail, name="incident"),
    # Claims
    path("incidents/<slug:slug>/claim/", claim_views.claim_new, name="claim_new"),
    path("claims/", claim_views.claim_list, name="claims"),
    path("claims/<int:pk>/", claim_views.claim_detail, name="claim"),
    path("claims/<int:pk>/attachments/<int:attachment>/", claim_views.claim_attachment, name="claim_attachment"),
    # Credit
    path("credit/", credit_views.credit, name="credit"),
    path("credit/code/", credit_views.redeem_code, name="redeem_code"),
    path("vouchers/<int:pk>/pdf/", credit_views.voucher_pdf, name="voucher_pdf"),
    path("vouchers/<int:pk>/redeem/", credit_views.redeem, name="redeem"),
]
