from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from sanshi.api.api import api
from sanshi.audit import views as audit_views
from sanshi.rapid import views as rapid_views
from sanshi.triage import views as triage_views
from sanshi.web import notifications as notification_views
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
    path("staff/triage/model/", triage_views.model_view, name="triage-model"),  # 分拣模型 and its retraining
    path("staff/bodies/<str:body>/", views.body_cases, name="body-cases"),
    path("staff/cases/<int:case_id>/", views.case_view, name="case"),
    path("staff/meetings/", views.meetings, name="meetings"),
    path("staff/meetings/new/", views.meeting_new, name="meeting-new"),
    path("staff/meetings/<int:meeting_id>/", views.meeting_view, name="meeting"),
    path("staff/audit/", audit_views.audit_list, name="audit-log"),  # 审计管理员 only
    path("staff/", include("sanshi.supervision.urls")),  # 台账, 回访, 节假日 (docs/deadlines.md)
    path("staff/notifications/", notification_views.notifications_view, name="notifications"),
    path("staff/rapid/", rapid_views.responder, name="responder"),  # 突发快响: a responder's dispatches
    path("staff/rapid/dispatches/<int:dispatch_id>/withdraw/", rapid_views.dispatch_withdraw,
         name="dispatch-withdraw"),  # the command centre's, from the case page (before the team's steps)
    path("staff/rapid/dispatches/<int:dispatch_id>/<str:step>/", rapid_views.dispatch_step, name="dispatch-step"),
    path("staff/rapid/teams/", rapid_views.teams, name="rapid-teams"),
    path("staff/rapid/teams/<int:team_id>/duty/", rapid_views.team_duty, name="rapid-team-duty"),
    path("staff/command/", include("sanshi.command.urls")),  # 指挥中心 board and 1-5-10 compliance
    path("staff/roles/", include("sanshi.registry.urls")),  # 岗位与账号: the security administrator's
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
