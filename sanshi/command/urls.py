from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="command-board"),
    path("board/", views.board_partial, name="command-board-live"),  # both parts (after an action)
    path("board/urgent/", views.board_urgent, name="command-board-urgent"),  # HTMX, every 3 s
    path("board/status/", views.board_status, name="command-board-status"),  # HTMX, every 3 s
    path("dispatch/", views.dispatch, name="command-dispatch"),
    path("duty/", views.duty, name="command-duty"),
    path("compliance/", views.compliance, name="command-compliance"),
]
