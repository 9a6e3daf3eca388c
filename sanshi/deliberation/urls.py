from django.urls import path

from . import views

urlpatterns = [
    path("bodies/<str:body>/", views.body_cases, name="body-cases"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<int:meeting_id>/", views.meeting_view, name="meeting"),
]
