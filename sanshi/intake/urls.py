from django.urls import path

from . import views

public = [
    path("report/", views.report, name="report"),
    path("report/done/<str:code>/", views.report_done, name="report-done"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track, name="track-code"),
]
staff = [
    path("submit/", views.staff_submit, name="staff-submit"),
    path("submit/<int:request_id>/slip/", views.slip, name="intake-slip"),
    path("pool/", views.pool_view, name="pool"),
    path("pool/export/", views.pool_export, name="pool-export"),
    path("find/", views.find_by_code, name="find-by-code"),
]
