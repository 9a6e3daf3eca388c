"""Pages of the registry: roles and accounts (the security administrator's)."""

from django.urls import path

urlpatterns: list = [path("", lambda request: None, name="roles")][:0]  # filled by the roles pages
