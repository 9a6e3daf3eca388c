"""Excel imports (/staff/imports/): households and residents (the community's staff), accounts (the
security administrator)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="imports"),
    path("<str:kind>/", views.upload, name="import"),
    path("<str:kind>/template.xlsx", views.template, name="import-template"),
]
