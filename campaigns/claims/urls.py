"""Console pages of claims and of a customer's whole story."""

from django.urls import path

from campaigns.claims import views

console_urlpatterns = [
    path("claims/", views.queue, name="claims"),
    path("claims/<int:pk>/", views.detail, name="claim"),
    path("claims/<int:pk>/assign/", views.assign, name="claim_assign"),
    path("claims/<int:pk>/answer/", views.answer, name="claim_answer"),
    path("claims/<int:pk>/attachments/<int:attachment>/", views.attachment, name="claim_attachment"),
    path("customers/", views.customers, name="customers"),
    path("customers/<str:number>/", views.customer, name="customer"),
    path("customers/<str:number>/letters/<int:delivery>/resend/", views.customer_resend, name="customer_resend"),
    path(
        "customers/<str:number>/contacts/<int:contact>/sign-in-link/",
        views.customer_sign_in_link,
        name="customer_sign_in_link",
    ),  # fmt: skip
]
