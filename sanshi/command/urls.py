from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="command-board"),
    path("board/", views.board_partial, name="command-board-live"),  # the HTMX partial, every 3 s
    path("dispatch/", views.dispatch, name="command-dispatch"),
    path("duty/", views.duty, name="command-duty"),
    path("compliance/", views.compliance, name="command-compliance"),
]
