from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),  # 数据看板 (?node=&from=&to=&rank=&wall=1)
    path("export/", views.export, name="dashboard-export"),  # the same node and period as .xlsx
    path("screens/", views.screens, name="dashboard-screens"),  # 大屏授权: the list, and this browser as a screen
    path("screens/<int:screen_id>/revoke/", views.screen_revoke, name="dashboard-screen-revoke"),
]
