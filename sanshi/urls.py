"""The URLconf: each app's pages under one prefix each; the shell (home, staff home, the case page)
is sanshi.web's."""

from django.contrib import admin
from django.urls import include, path

from sanshi.api.api import api
from sanshi.core import health
from sanshi.core import views as notification_views
from sanshi.evaluation import views as evaluation_views
from sanshi.intake.urls import public as intake_public
from sanshi.intake.urls import staff as intake_staff
from sanshi.kpis import views as kpis_views
from sanshi.rapid import views as rapid_views
from sanshi.triage import views as triage_views
from sanshi.web import audit_log, photos, views

urlpatterns = [
    path("", views.home, name="home"),
    *intake_public,  # report, track (residents)
    path("rate/", evaluation_views.rate, name="rate"),  # 当事人评价: the other parties' rating codes
    path("rate/<str:code>/", evaluation_views.rate, name="rate-code"),
    path("accounts/", include("sanshi.accounts.urls")),  # login, logout, one-time code, enrolment
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/", include(intake_staff)),  # 登记诉求 (and its slip), 诉求池, search by tracking code
    path("staff/hotspots/", triage_views.hotspots_view, name="hotspots"),  # 未诉先办
    path("staff/triage/model/", triage_views.model_view, name="triage-model"),  # 分拣模型 and its retraining
    path("staff/cases/<int:case_id>/", views.case_view, name="case"),
    # photos only through these (signed in, the case in sight): nothing serves /media/ (docs/security.md)
    path("staff/photos/<int:photo_id>/", photos.request_photo, name="request-photo"),
    path("staff/photos/dispatches/<int:dispatch_id>/", photos.dispatch_photo, name="dispatch-photo"),
    path("staff/cases/<int:case_id>/rating-slips/", evaluation_views.slips, name="rating-slips"),
    path("staff/", include("sanshi.deliberation.urls")),  # each body's cases, meetings
    path("staff/audit/", audit_log.audit_list, name="audit-log"),  # 审计管理员 only
    path("staff/", include("sanshi.supervision.urls")),  # 台账, 回访, 节假日 (docs/deadlines.md)
    path("staff/notifications/", notification_views.notifications_view, name="notifications"),
    path("staff/rapid/", rapid_views.responder, name="responder"),  # 突发快响: a responder's dispatches
    path("staff/rapid/dispatches/<int:dispatch_id>/withdraw/", views.dispatch_withdraw,
         name="dispatch-withdraw"),  # the command centre's, from the case page's urgent panel
    path("staff/rapid/dispatches/<int:dispatch_id>/<str:step>/", rapid_views.dispatch_step, name="dispatch-step"),
    path("staff/rapid/teams/", rapid_views.teams, name="rapid-teams"),
    path("staff/rapid/teams/<int:team_id>/duty/", rapid_views.team_duty, name="rapid-team-duty"),
    path("staff/command/", include("sanshi.command.urls")),  # 指挥中心 board and 1-5-10 compliance
    path("staff/dashboard/", include("sanshi.kpis.urls")),  # 数据看板 (docs/kpis.md) and its wall screens
    path("screen/", kpis_views.wall_screen, name="wall-screen"),  # a wall screen: its own cookie, no staff session
    path("staff/roles/", include("sanshi.registry.urls")),  # 岗位与账号: the security administrator's
    path("staff/imports/", include("sanshi.imports.urls")),  # Excel 导入: households, residents, accounts
    path("", include("sanshi.notices.urls")),  # 张榜公示: notices/… (anyone), staff/notices/ (moderation)
    path("", include("sanshi.votes.urls")),  # 业主共同决定: staff/votes/… (community staff), votes/<id>/ballot/ (owners)
    path("healthz", health.healthz, name="healthz"),  # the process answers (no database): the load balancer's probe
    path("readyz", health.readyz, name="readyz"),  # database, migrations, worker, jobs, audit backlog (docs/operations.md)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
handler500 = health.server_error  # a database that cannot serve: 503, also when a middleware met it
