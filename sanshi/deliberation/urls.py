from django.urls import path

from . import views

urlpatterns = [
    path("bodies/<str:body>/", views.body_cases, name="body-cases"),
    path("bodies/<str:body>/export/", views.body_cases_export, name="body-cases-export"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/export/", views.meetings_export, name="meetings-export"),
    path("meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<int:meeting_id>/", views.meeting_view, name="meeting"),
]
