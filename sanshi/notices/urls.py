"""The board's pages: public under notices/ (the board, one notice with its comments and the form,
its printable PDF, the RSS feed), the moderation and the notices in sight (and their Excel
export) under staff/notices/."""

from django.urls import path

from . import views
from .feeds import NoticeFeed

urlpatterns = [
    path("notices/", views.board_page, name="notices"),
    path("notices/feed/", NoticeFeed(), name="notices-feed"),
    path("notices/<int:notice_id>/", views.notice_page, name="notice"),
    path("notices/<int:notice_id>.pdf", views.notice_pdf_view, name="notice-pdf"),
    path("staff/notices/", views.moderation, name="notices-moderation"),
    path("staff/notices/export/", views.notices_export, name="notices-export"),
    path("staff/notices/comments/<int:comment_id>/", views.moderate, name="notice-comment-moderate"),
]
