from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from sanshi.api.api import api
from sanshi.audit import views as audit_views
from sanshi.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/done/<str:code>/", views.report_done, name="report-done"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track, name="track-code"),
    path("accounts/", include("sanshi.accounts.urls")),  # login, logout, one-time code, enrolment
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/submit/", views.staff_submit, name="staff-submit"),
    path("staff/pool/", views.pool_view, name="pool"),
    path("staff/hotspots/", views.hotspots_view, name="hotspots"),
    path("staff/bodies/<str:body>/", views.body_cases, name="body-cases"),
    path("staff/cases/<int:case_id>/", views.case_view, name="case"),
    path("staff/meetings/", views.meetings, name="meetings"),
    path("staff/meetings/new/", views.meeting_new, name="meeting-new"),
    path("staff/meetings/<int:meeting_id>/", views.meeting_view, name="meeting"),
    path("staff/audit/", audit_views.audit_list, name="audit-log"),  # 审计管理员 only
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
