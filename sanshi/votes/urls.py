"""Owners' votes' pages: the community's staff under staff/votes/, the owners' ballot under votes/."""

from django.urls import path

from . import views

urlpatterns = [
    path("staff/votes/", views.vote_list, name="votes"),
    path("staff/votes/export/", views.votes_export, name="votes-export"),
    path("staff/votes/new/", views.vote_new, name="vote-new"),
    path("staff/votes/<int:vote_id>/", views.vote_page, name="vote"),
    # a ballot's scan or authorisation: for who sees the vote's roll, never served from /media/
    path("staff/votes/ballots/<int:ballot_id>/<str:document>/", views.ballot_document, name="ballot-document"),
    path("staff/votes/electorates/", views.electorates, name="electorates"),
    path("staff/votes/electorates/template.xlsx", views.template, name="electorate-template"),
    path("staff/votes/electorates/<int:electorate_id>/", views.electorate_page, name="electorate"),
    path("staff/votes/electorates/<int:electorate_id>/import/", views.electorate_import, name="electorate-import"),
    path("staff/votes/units/<int:unit_id>/", views.unit_page, name="unit"),
    path("votes/<int:vote_id>/ballot/", views.ballot, name="ballot"),  # owners: a code by SMS, then the choice
]
