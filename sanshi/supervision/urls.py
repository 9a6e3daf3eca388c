from django.urls import path

from . import views

urlpatterns = [
    path("ledger/", views.ledger_list, name="ledger"),
    path("ledger/export/", views.ledger_export, name="ledger-export"),
    path("ledger/<int:entry_id>/", views.ledger_entry, name="ledger-entry"),
    path("visits/", views.visits, name="visits"),
    path("visits/export/", views.visits_export, name="visits-export"),
    path("visits/<int:visit_id>/", views.visit_view, name="visit"),
    path("calendar/", views.calendar_view, name="calendar"),
]
