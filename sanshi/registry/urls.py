"""Pages of the registry: roles and accounts (the security administrator's), and the activation
link a new account's owner opens (no sign-in: the link is the credential)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.role_list, name="roles"),
    path("grant/", views.role_grant, name="role-grant"),
    path("<int:role_id>/revoke/", views.role_revoke, name="role-revoke"),
    path("accounts/new/", views.account_new, name="account-new"),
    path("accounts/<int:user_id>/activation/", views.account_activation, name="account-activation"),
    path("accounts/<int:user_id>/otp-activation/", views.account_otp_activation, name="account-otp-activation"),
    path("activate/<uidb64>/<token>/", views.ActivateView.as_view(), name="account-activate"),
]
