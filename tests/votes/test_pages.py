"""The pages: the community secretary builds an electorate (a form, the import with its dry run) and
runs a vote (open, paper ballots with their scans, the chart, close); others in the area read; an
owner votes on the phone with a code sent to the phone on file. Lists keep a fixed number of
queries however many rows."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from sanshi.cases.models import CaseEvent
from sanshi.core.jobs import run_due_jobs
from sanshi.registry.models import Role
from sanshi.votes.models import Ballot, Unit, Vote
from sanshi.votes.services import SEND_CODE_JOB
from sanshi.votes.spreadsheet import HEADERS

from .conftest import png
from .test_web_ballot import Gateway


def _xlsx(*rows) -> SimpleUploadedFile:
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


def test_the_secretary_builds_an_electorate_on_the_pages(world, client):
    client.force_login(world.secretary)
    page = client.get("/staff/votes/electorates/")
    assert page.status_code == 200 and "建立名册" in page.content.decode()
    response = client.post("/staff/votes/electorates/", {"name": "鼎城花园全体业主", "node": world.grid.pk})
    assert response.status_code == 302
    url = response["Location"]
    assert "下载模板" in client.get(url).content.decode()
    # the import: a dry run lists each wrong row and writes nothing
    checked = client.post(url + "import/", {"op": "check", "file": _xlsx(["1栋101室", "九十", "", "张三", "", ""])})
    assert checked.status_code == 400 and not Unit.objects.exists()
    text = checked.content.decode()
    assert "未导入任何数据" in text and re.search(r"<td>2</td><td>建筑面积（㎡）</td><td>面积不是数字</td>", text)
    good = _xlsx(["鼎城花园1栋101室", 90, "", "张三", "13800000001", ""], ["鼎城花园1栋102室", 95.5, "是", "", "", ""])
    assert "预检通过" in client.post(url + "import/", {"op": "check", "file": good}).content.decode()
    good.seek(0)
    assert client.post(url + "import/", {"op": "import", "file": good}).status_code == 302
    page = client.get(url).content.decode()
    assert "鼎城花园1栋101室" in page and "138****0001" in page and "13800000001" not in page
    assert re.search(r'id="stat-owners">2<', page)  # 张三 and the developer
    # one more unit and owner by hand
    assert client.post(url, {"address": "鼎城花园1栋103室", "area": "88.00"}).status_code == 302
    unit = Unit.objects.get(address="鼎城花园1栋103室")
    assert client.post(f"/staff/votes/units/{unit.pk}/", {"op": "owner", "name": "李四"}).status_code == 302
    assert [p.name for p in unit.owners.all()] == ["李四"]
    template = client.get("/staff/votes/electorates/template.xlsx")
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_secretary_runs_a_vote_and_the_chart_reads_without_colour(world, compound, resolution, client):
    for n, owner in enumerate(("甲", "乙", "丙"), start=1):
        compound.add(f"1栋10{n}室", "100.00", owner)
    client.force_login(world.secretary)
    form = client.get(f"/staff/votes/new/?item={resolution.pk}").content.decode()
    assert "停车收费标准" in form
    response = client.post("/staff/votes/new/", {"agenda_item": resolution.pk, "electorate": compound.electorate.pk,
                                                 "item": 4, "title": "地面车位收费标准"})
    assert response.status_code == 302
    vote = Vote.objects.get()
    page = client.get(f"/staff/votes/{vote.pk}/").content.decode()
    assert "还有 3 套房屋没有投票" in page and "短信未开通" in page  # SMS is off by default
    for unit, choice in (("1栋101室", "yes"), ("1栋102室", "yes")):
        assert client.post(f"/staff/votes/{vote.pk}/", {
            "op": "ballot", "unit": compound.units[unit].pk, "choice": choice, "channel": "paper", "signer": "本人",
            "scan": png()}).status_code == 302
    page = client.get(f"/staff/votes/{vote.pk}/").content.decode()
    chart = page[page.index("<svg"):page.index("</svg>")]
    # the numbers and whether each bound is reached are written out, the bounds drawn and labelled
    assert "2 / 3 人 · 66.67% · 目前已达到" in chart and "200.00 / 300.00 ㎡" in chart and "2/3" in chart
    assert "同意 2 · 反对 0 · 弃权 0 人" in chart and "1/2" in chart
    assert page.count("表决票</a>") == 2  # each paper ballot's scan
    assert client.post(f"/staff/votes/{vote.pk}/", {"op": "close"}).status_code == 302
    page = client.get(f"/staff/votes/{vote.pk}/").content.decode()
    assert 'id="vote-result">通过' in page and "· 已达到" in page
    assert CaseEvent.objects.filter(case=resolution.case, action="vote_closed").exists()


def test_who_sees_and_who_writes(world, compound, resolution, client):
    compound.add("1栋101室", "100.00", "甲")
    vote = compound.open(resolution)
    other = world.staff("other-secretary", Role.COMMUNITY_SECRETARY, world.sibling_community)
    pages = [f"/staff/votes/{vote.pk}/", f"/staff/votes/electorates/{compound.electorate.pk}/",
             f"/staff/votes/units/{compound.units['1栋101室'].pk}/"]
    # in the area: reads, but writing is the community secretary's
    for reader in (world.grid_worker, world.street_officer, world.district_officer):
        client.force_login(reader)
        assert [client.get(url).status_code for url in pages] == [200, 200, 200], reader
        assert client.post(pages[0], {"op": "close"}).status_code == 403
        assert client.post(pages[2], {"op": "owner", "name": "乙"}).status_code == 403
        assert client.get(pages[1] + "import/").status_code == 403
    # out of the area: nothing there
    for outsider in (other, world.other_operator):
        client.force_login(outsider)
        assert [client.get(url).status_code for url in pages] == [404, 404, 404], outsider
        assert f"/staff/votes/{vote.pk}/" not in client.get("/staff/votes/").content.decode()
    # the supervision committee follows the resolution it oversees: the vote's counts, never the roll
    client.force_login(world.committee)
    assert [client.get(url).status_code for url in pages] == [200, 404, 404]
    page = client.get(pages[0]).content.decode()
    assert "0 / 1 人" in page and "甲" not in page and "1栋101室" not in page
    assert client.post(pages[0], {"op": "close"}).status_code == 403
    assert Vote.objects.get().status == "open" and not Ballot.objects.exists()


def test_an_owner_votes_on_the_phone(world, compound, resolution, client, settings):
    settings.SANSHI_SMS_BACKEND = "tests.votes.test_web_ballot.Gateway"
    Gateway.sent, Gateway.down = [], False
    for address in ("2栋201室", "2栋202室"):
        compound.add(address, "90.00", "王建国", phone="13800000001")
    compound.add("2栋203室", "90.00", "李秀英", phone="13900000002")
    vote = compound.open(resolution)
    url = f"/votes/{vote.pk}/ballot/"
    assert "填写您在社区登记的手机号" in client.get(url).content.decode()
    # a number not on the roll reads the same as one that is: nobody learns who owns a unit here
    stranger = client.post(url, {"op": "send", "phone": "13600000009"}).content.decode()
    owner = client.post(url, {"op": "send", "phone": "138 0000 0001"}).content.decode()
    assert "验证码已经发出" in stranger and "验证码已经发出" in owner
    run_due_jobs(kinds=[SEND_CODE_JOB])
    [(phone, text)] = Gateway.sent
    code = re.search(r"验证码 (\d{6})", text).group(1)
    assert phone == "13800000001"
    wrong = client.post(url, {"op": "verify", "phone": "13800000001", "code": "12345"})
    assert wrong.status_code == 400 and "验证码不正确或已过期" in wrong.content.decode()
    assert client.post(url, {"op": "verify", "phone": "13800000001", "code": code}).status_code == 302
    choose = client.get(url).content.decode()
    assert "鼎城花园2栋201室" in choose and "鼎城花园2栋202室" in choose and "王**" in choose
    assert "鼎城花园2栋203室" not in choose
    done = client.post(url, {"op": "cast", "choice": "no"}).content.decode()
    assert "投票成功" in done and "反对" in done
    assert sorted(Ballot.objects.values_list("entry__address", "choice", "channel")) == [
        ("鼎城花园2栋201室", "no", "web"), ("鼎城花园2栋202室", "no", "web")]
    # the verification is spent: back to the first step
    assert "填写您在社区登记的手机号" in client.get(url).content.decode()


def test_the_ballot_page_without_sms_says_to_use_paper_and_after_closing_shows_the_result(world, compound,
                                                                                          resolution, client):
    compound.add("1栋101室", "100.00", "甲")
    vote = compound.open(resolution)
    assert "纸质表决票" in client.get(f"/votes/{vote.pk}/ballot/").content.decode()  # SMS is off by default
    compound.paper(vote, "1栋101室", "yes")
    from sanshi.votes.services import vote_close

    vote_close(actor=world.secretary, vote=vote)
    page = client.get(f"/votes/{vote.pk}/ballot/").content.decode()
    assert "表决已经结束" in page and "1 / 1 人 · 100.00% · 已达到" in page and "甲" not in page
    assert client.get("/votes/999999/ballot/").status_code == 404


def test_asking_for_codes_is_limited_per_address(world, compound, resolution, client, settings):
    settings.SANSHI_SMS_BACKEND = "log"
    settings.SANSHI_RATE_REPORT = "2/min"
    compound.add("1栋101室", "100.00", "甲", phone="13800000001")
    vote = compound.open(resolution)
    codes = [client.post(f"/votes/{vote.pk}/ballot/", {"op": "send", "phone": "13600000009"}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("rows", [2, 12])
def test_lists_keep_a_fixed_number_of_queries(world, compound, resolution, client, django_assert_max_num_queries,
                                              rows):
    for n in range(rows):
        unit = compound.add(f"9栋{n:03d}室", "80.00", f"业主{n}", phone=f"138{n:08d}")
        if n % 2:
            from sanshi.votes.services import unit_owner_add

            unit_owner_add(actor=world.secretary, unit=unit, name=f"共有人{n}")
    vote = compound.open(resolution)
    for n in range(0, rows, 3):
        compound.paper(vote, f"9栋{n:03d}室", "yes")
    client.force_login(world.secretary)
    # the votes list: its filter's areas and the page's count add one query, whatever the rows
    for url, most in (("/staff/votes/", 15), ("/staff/votes/electorates/", 13),
                      (f"/staff/votes/electorates/{compound.electorate.pk}/", 17), (f"/staff/votes/{vote.pk}/", 20)):
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200, url


def test_odd_input_on_the_ballot_and_import_pages_is_never_a_5xx(world, compound, resolution, client, settings):
    from hypothesis import HealthCheck, given
    from hypothesis import settings as fuzz_settings
    from hypothesis import strategies as st

    settings.SANSHI_SMS_BACKEND = "log"
    compound.add("1栋101室", "100.00", "甲", phone="13800000001")
    vote = compound.open(resolution)
    odd = st.one_of(st.sampled_from(["", "13800000001", "０１２３４５", "123456", "yes", "<b>", "长" * 300, "-1"]),
                    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))

    @given(op=st.sampled_from(["send", "verify", "cast", "", "other"]), phone=odd, code=odd, choice=odd)
    @fuzz_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def ballot(op, phone, code, choice):
        response = client.post(f"/votes/{vote.pk}/ballot/", {"op": op, "phone": phone, "code": code, "choice": choice})
        assert response.status_code < 500, (op, phone, code, choice)

    ballot()
    client.force_login(world.secretary)

    @given(data=st.one_of(st.binary(max_size=300), st.just(b"PK\x03\x04" + b"\x00" * 40)))
    @fuzz_settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def upload(data):
        response = client.post(f"/staff/votes/electorates/{compound.electorate.pk}/import/",
                               {"op": "import", "file": SimpleUploadedFile("x.xlsx", data)})
        assert response.status_code == 400

    upload()
    assert not Ballot.objects.exists()


def test_the_public_ballot_page_masks_numbers_typed_into_the_matter(world, compound, resolution, client):
    from sanshi.deliberation.models import AgendaItem

    AgendaItem.objects.filter(pk=resolution.pk).update(resolution="由业委会联系人13812345678组织表决")
    resolution.refresh_from_db()
    compound.add("1栋101室", "100.00", "甲")
    vote = compound.open(resolution, title="车位收费（咨询13812345678）")
    page = client.get(f"/votes/{vote.pk}/ballot/").content.decode()
    assert "13812345678" not in page and "138****5678" in page
