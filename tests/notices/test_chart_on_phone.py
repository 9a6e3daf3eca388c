"""The owners' vote tally on a 375-px phone (Debian's Chromium): on the notice's page and on the staff's
vote page, every word of the chart is inside the drawing — an SVG clips what passes its edge, so a
row of numbers too long for one line ("同意 3226.22 · 反对 582.35 · 弃权 244.35 ㎡ · 同意占 79.60% · 已达到")
must wrap, not be cut off at 同意占 79.60…"""

import pytest

from sanshi.notices.models import Notice
from sanshi.votes.services import vote_close

from ..conftest import PASSWORD
from ..votes.conftest import Compound, shared_resolution

pytestmark = pytest.mark.browser

CLIPPED = """(selector) => {
  const svg = document.querySelector(selector);
  const edge = svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].filter(t => { const b = t.getBBox(); return b.x + b.width > edge + 0.5; })
    .map(t => t.textContent);
}"""


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_tally_chart_fits_a_phone_on_the_notice_and_on_the_vote_page(world, client, token_for, live_server,
                                                                         browser):
    item = shared_resolution(world, title="地面停车收费")
    compound = Compound(world)
    for address, area, owner in (("1栋101", "3226.22", "业主甲"), ("1栋102", "582.35", "业主乙"),
                                 ("1栋103", "244.35", "业主丙")):
        compound.add(address, area, owner)
    vote = compound.open(item, item=8, title="地面停车收费")
    for address, choice in (("1栋101", "yes"), ("1栋102", "no"), ("1栋103", "abstain")):
        compound.paper(vote, address, choice)
    vote_close(actor=world.secretary, vote=vote, note="计票")
    posted = client.post(f"/api/v1/cases/{item.case_id}/transitions", {
        "action": "publicise", "result": "已执行", "notice": "收费标准公示"}, content_type="application/json",
        **token_for(world.secretary))
    assert posted.status_code == 200, posted.content
    notice = Notice.objects.get(case_id=item.case_id)

    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    chart = page.text_content("#vote svg")
    assert "同意 3226.22 · 反对 582.35 · 弃权 244.35 ㎡" in chart and "同意占 79.60% · 已达到" in chart
    assert page.evaluate(CLIPPED, "#vote svg") == [] and _fits(page)

    page.goto(f"{live_server.url}/accounts/login/?next=/staff/votes/{vote.pk}/")
    page.fill("#id_username", world.secretary.username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_selector("#tally svg")
    assert "同意占 79.60% · 已达到" in page.inner_text("#tally")
    assert page.evaluate(CLIPPED, "#tally svg") == [] and _fits(page)
