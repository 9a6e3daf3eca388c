"""The public notice board and a notice's page in English (the django_language cookie, as
/i18n/setlang/ sets it): the pages' own text is English; only what people wrote (titles,
resolutions, names of places) stays as written."""

import re

from django.conf import settings

from sanshi.cases.models import CaseEvent
from sanshi.registry.models import OrgNode

from ..notices.conftest import publicise

CJK = re.compile(r"[\u3001-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _written_by_people(notice) -> str:
    texts = [notice.title, notice.resolution, notice.result, notice.text]
    texts += [e.note for e in CaseEvent.objects.filter(case_id=notice.case_id)]
    texts += list(OrgNode.objects.values_list("name", flat=True))
    return "\n".join(texts + ["中文"])  # the language switcher names Chinese in Chinese


def test_the_notice_board_and_a_notice_read_in_english(world, client, token_for):
    posted = publicise(world, client, token_for)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    board = client.get("/notices/")
    page = client.get(f"/notices/{posted.notice.pk}/")
    assert board.status_code == page.status_code == 200
    assert board["Content-Language"] == page["Content-Language"] == "en"
    board_text, page_text = board.content.decode(), page.content.decode()
    assert "are posted here for everyone to judge" in board_text
    assert "<h1>Notice board</h1>" in board_text and "← Notice board" in page_text  # not the case action's words
    assert "In objection period" in board_text and "1 public notice in all" in board_text
    assert "The notice period (objection period) runs until <strong>" in page_text
    assert "Make a comment or objection" in page_text and "Print the notice (A4 PDF)" in page_text
    written = _written_by_people(posted.notice)
    for name, text in (("board", board_text), ("page", page_text)):
        untranslated = {run for run in CJK.findall(text) if run not in written}
        assert not untranslated, (name, sorted(untranslated))
