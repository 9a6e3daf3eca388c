"""Owners' votes' pages. Staff (the community's): the electorates (list, a new one, its units and
owners, the Excel import with its dry run and the template), the votes (list, a new one on a
resolution, a vote's page: the tally chart, paper and proxy ballots, closing). Owners:
`/votes/<id>/ballot/` — a code by SMS to the phone on file, the choice, done. Thin: parse the form,
call the same services as the API; out of sight is 404, in sight but not allowed 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from sanshi.accounts.throttling import limit_per_address
from sanshi.cases.exports import audited_export, export_or_back
from sanshi.cases.filters import ListFilter, page_of
from sanshi.core.errors import ApplicationError, NotFound, NotPermitted, TransitionNotAllowed
from sanshi.core.files import private_file
from sanshi.core.forms import apply_errors
from sanshi.core.personal import mask_name, mask_personal_text, mask_phone
from sanshi.registry.selectors import subtree

from . import selectors, services
from .charts import tally_chart
from .forms import (
    BallotForm,
    ChoiceForm,
    CodeForm,
    ElectorateForm,
    ImportForm,
    OwnerForm,
    PhoneForm,
    UnitEditForm,
    UnitForm,
    VoteForm,
)
from .models import Ballot, Choice, Item, Unit, VoteStatus
from .rules import rule_for
from .spreadsheet import template_workbook

UNITS_SHOWN = 500
VOTES_SHOWN = 300
BALLOT_SESSION_MINUTES = 10  # a verified owner has this long to choose


def _or_404(func, *args):
    try:
        return func(*args)
    except NotFound:
        raise Http404 from None


def _refusal(exc: ApplicationError) -> str:
    return exc.detail() + "".join(_("：") + str(m) for m in exc.errors.values())


# ---- electorates --------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def electorates(request):
    nodes = list(selectors.keepable_nodes(request.user))
    form = ElectorateForm(request.POST or None, nodes=nodes)
    if request.method == "POST":
        if not nodes:
            raise PermissionDenied(_("只有社区书记可以建立业主名册"))
        if form.is_valid():
            node = next(n for n in nodes if str(n.pk) == form.cleaned_data["node"])
            try:
                electorate = services.electorate_create(actor=request.user, node=node, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("名册已建立。下一步：下载模板填好后导入，或逐套添加房屋。"))
                return redirect(reverse("electorate", args=[electorate.pk]))
    return render(request, "votes/electorates.html", {
        "electorates": selectors.electorate_list(request.user)[:VOTES_SHOWN], "form": form if nodes else None},
        status=400 if form.errors else 200)


@login_required
def template(request):
    response = HttpResponse(template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="electorate-template.xlsx"'
    return response


def _owner_rows(units):
    """Units with their owners as staff read them: names in full (the community's own residents),
    phones masked."""
    return [{"unit": u, "owners": [{"name": p.name, "phone": mask_phone(p.phone)} for p in u.owners.all()]}
            for u in units]


@login_required
@require_http_methods(["GET", "POST"])
def electorate_page(request, electorate_id: int):
    electorate = _or_404(selectors.electorate_for, request.user, electorate_id)
    keeps = selectors.keeps(request.user, electorate)
    form = UnitForm(request.POST or None)
    if request.method == "POST":
        if not keeps:
            raise PermissionDenied(_("只有本社区的社区书记可以修改业主名册"))
        if form.is_valid():
            try:
                services.unit_add(actor=request.user, electorate=electorate, address=form.cleaned_data["address"],
                                  area=form.cleaned_data["area"], developer_held=form.cleaned_data["developer_held"])
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("房屋已添加。下一步：点房屋地址添加业主。"))
                return redirect(reverse("electorate", args=[electorate.pk]))
    search = request.GET.get("q", "")[:100]
    units = selectors.units_of(electorate, search)
    stats = selectors.electorate_stats(electorate)
    return render(request, "votes/electorate.html", {
        "electorate": electorate, "keeps": keeps, "form": form, "search": search, "stats": stats,
        "rows": _owner_rows(units[:UNITS_SHOWN]), "shown": UNITS_SHOWN,
        "votes": electorate.votes.exclude(status="").order_by("-opened_at")[:20]},
        status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def electorate_import(request, electorate_id: int):
    electorate = _or_404(selectors.electorate_for, request.user, electorate_id)
    if not selectors.keeps(request.user, electorate):
        raise PermissionDenied(_("只有本社区的社区书记可以导入业主名册"))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = services.electorate_import(actor=request.user, electorate=electorate, upload=form.cleaned_data["file"],
                                            dry_run=request.POST.get("op") != "import")
        if report.written:
            messages.success(request, _("导入完成：新增 %(new)s 套、更新 %(updated)s 套房屋。") % {
                "new": report.units_new, "updated": report.units_updated})
            return redirect(reverse("electorate", args=[electorate.pk]))
    return render(request, "votes/import.html", {"electorate": electorate, "form": form, "report": report},
                  status=400 if form.errors or (report is not None and not report.ok) else 200)


@login_required
@require_http_methods(["GET", "POST"])
def unit_page(request, unit_id: int):
    unit = Unit.objects.select_related("electorate__node").filter(pk=unit_id).first()
    if unit is None or not selectors.electorates_for(request.user).filter(pk=unit.electorate_id).exists():
        raise Http404
    keeps = selectors.keeps(request.user, unit.electorate)
    edit = UnitEditForm(request.POST if request.POST.get("op") == "edit" else None,
                        initial={"area": unit.area, "developer_held": unit.developer_held})
    owner = OwnerForm(request.POST if request.POST.get("op") == "owner" else None)
    if request.method == "POST":
        if not keeps:
            raise PermissionDenied(_("只有本社区的社区书记可以修改业主名册"))
        op = request.POST.get("op")
        try:
            if op == "edit" and edit.is_valid():
                services.unit_update(actor=request.user, unit=unit, area=edit.cleaned_data["area"],
                                     developer_held=edit.cleaned_data["developer_held"])
                messages.success(request, _("已保存"))
                return redirect(reverse("unit", args=[unit.pk]))
            if op == "owner" and owner.is_valid():
                services.unit_owner_add(actor=request.user, unit=unit, **owner.cleaned_data)
                messages.success(request, _("业主已添加"))
                return redirect(reverse("unit", args=[unit.pk]))
            if op == "remove":
                services.unit_owner_remove(actor=request.user, unit=unit,
                                           person_id=int(request.POST.get("person") or 0))
                messages.success(request, _("已移除该业主"))
                return redirect(reverse("unit", args=[unit.pk]))
        except (ValueError, NotFound):
            raise Http404 from None
        except ApplicationError as exc:
            apply_errors(edit if op == "edit" else owner, exc)
    owners = [{"pk": p.pk, "name": p.name, "phone": mask_phone(p.phone)} for p in unit.owners.all()]
    return render(request, "votes/unit.html", {"unit": unit, "keeps": keeps, "edit": edit, "owner": owner,
                                                "owners": owners},
                  status=400 if edit.errors or owner.errors else 200)


# ---- votes --------------------------------------------------------------------------------------

VOTE_STATUSES = [("", gettext_lazy("全部")), (VoteStatus.OPEN, VoteStatus.OPEN.label),
                 (VoteStatus.CLOSED, VoteStatus.CLOSED.label), ("passed", gettext_lazy("已通过")),
                 ("failed", gettext_lazy("未通过"))]


def _votes(request):
    """The votes in sight as the query string filters them: the title or the matter's number, the
    date opened, open or closed (passed or not), the community."""
    form = ListFilter(request.GET, user=request.user, statuses=VOTE_STATUSES, kinds=False,
                      period_label=gettext_lazy("发起日期"))
    qs = selectors.vote_list(request.user).filter(form.period_q("opened_at"))
    q, status, node = form.value("q"), form.value("status"), form.node_picked()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(agenda_item__case__number__icontains=q))
    if status in (VoteStatus.OPEN, VoteStatus.CLOSED):
        qs = qs.filter(status=status)
    elif status in ("passed", "failed"):
        qs = qs.filter(status=VoteStatus.CLOSED, passed=status == "passed")
    if node is not None:
        qs = qs.filter(electorate__node__in=subtree(node))
    return form, qs


@login_required
def vote_list(request):
    form, qs = _votes(request)
    return render(request, "votes/votes.html", {
        "page": page_of(request, qs), "form": form, "export_url": reverse("votes-export"),
        "can_open": selectors.keepable_nodes(request.user).exists()}, status=400 if form.errors else 200)


VOTE_HEADERS = ["表决事项", "事项编号", "共同决定事项类别", "业主名册", "无记名", "状态", "发起时间", "计划截止日期",
                "结束时间", "结果", "业主总数", "参与表决", "同意", "反对", "弃权"]
VOTE_WIDTHS = [36, 18, 24, 20, 8, 8, 17, 12, 17, 8, 10, 10, 8, 8, 8]


def _vote_row(vote) -> list:
    """One vote; the counts are those kept when it closed (an open vote's, secret or not, stay on its page)."""
    tally = vote.result if vote.status == VoteStatus.CLOSED else {}
    outcome = "" if vote.passed is None or vote.status != VoteStatus.CLOSED else ("通过" if vote.passed else "未通过")
    return [mask_personal_text(vote.title), vote.agenda_item.case.number, str(Item(vote.item).label),
            vote.electorate.name, "是" if vote.secret else "", vote.get_status_display(), vote.opened_at, vote.ends_on,
            vote.closed_at, outcome, *(tally.get(key, "") for key in (
                "owners_total", "participating_owners", "yes_owners", "no_owners", "abstain_owners"))]


@login_required
def votes_export(request):
    form, qs = _votes(request)
    back = f"{reverse('votes')}?{form.query()}"
    if form.errors:
        return redirect(back)
    return export_or_back(request, back, lambda: audited_export(
        actor=request.user, what="votes", title="业主表决", filters=form.description(), reason=form.reason(),
        count=qs.count(), filename="业主表决", headers=VOTE_HEADERS,
        rows=(_vote_row(v) for v in qs.iterator(chunk_size=2000)), widths=VOTE_WIDTHS))


@login_required
@require_http_methods(["GET", "POST"])
def vote_new(request):
    items = list(selectors.resolutions_to_put(request.user))
    electorates = list(selectors.electorates_for(request.user).filter(
        pk__in=selectors.kept_electorates(request.user).values("pk")).select_related("node"))
    picked = next((i for i in items if str(i.pk) == request.GET.get("item")), None)
    form = VoteForm(request.POST or None, items=items, electorates=electorates,
                    initial={"agenda_item": picked.pk if picked else None,
                             "title": picked.case.title if picked else ""})
    if request.method == "POST":
        if not items or not electorates:
            raise PermissionDenied(_("没有可以提请业主表决的议定事项或业主名册"))
        if form.is_valid():
            item = next(i for i in items if str(i.pk) == form.cleaned_data["agenda_item"])
            electorate = next(e for e in electorates if str(e.pk) == form.cleaned_data["electorate"])
            try:
                vote = services.vote_open(actor=request.user, agenda_item=item, electorate=electorate,
                                          item=form.cleaned_data["item"], title=form.cleaned_data["title"],
                                          secret=form.cleaned_data["secret"], ends_on=form.cleaned_data["ends_on"])
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("表决已开始。下一步：把网上投票地址告诉业主，收回纸质票后在本页录入。"))
                return redirect(reverse("vote", args=[vote.pk]))
    return render(request, "votes/vote_new.html", {"form": form, "items": items, "electorates": electorates},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def vote_page(request, vote_id: int):
    vote = _or_404(selectors.vote_for, request.user, vote_id)
    keeps = selectors.keeps(request.user, vote.electorate)
    sees_roll = selectors.electorates_for(request.user).filter(pk=vote.electorate_id).exists()
    waiting = [e for e in selectors.roll_of(vote) if not hasattr(e, "ballot")] if keeps else []
    form = BallotForm(request.POST or None, request.FILES or None, entries=waiting)
    if request.method == "POST":
        if not keeps:
            raise PermissionDenied(_("只有本社区的社区书记可以录入表决票或结束表决"))
        try:
            if request.POST.get("op") == "close":
                services.vote_close(actor=request.user, vote=vote, note=request.POST.get("note", "")[:500])
                messages.success(request, _("表决已结束，计票结果已写入事项的办理记录。"))
                return redirect(reverse("vote", args=[vote.pk]))
            if form.is_valid():
                data = form.cleaned_data
                ballots = services.ballot_record(
                    actor=request.user, vote=vote, unit_id=int(data["unit"]), choice=data["choice"],
                    channel=data["channel"], signer=data["signer"], proxy_name=data["proxy_name"],
                    proxy_note=data["proxy_note"], scan=data["scan"], proxy_document=data["proxy_document"])
                messages.success(request, _("已录入 %(n)s 套房屋的表决票。") % {"n": len(ballots)})
                return redirect(reverse("vote", args=[vote.pk]))
        except TransitionNotAllowed as exc:
            messages.error(request, _refusal(exc))
            return redirect(reverse("vote", args=[vote.pk]))
        except ApplicationError as exc:
            apply_errors(form, exc)
    summary = selectors.vote_summary(vote)
    ballots = list(selectors.ballots_of(vote)) if sees_roll else []
    return render(request, "votes/vote.html", {
        "vote": vote, "summary": summary, "chart": tally_chart(summary), "keeps": keeps, "form": form,
        "waiting": len(waiting), "ballots": ballots, "sees_roll": sees_roll, "events": vote.events.all(),
        "ballot_url": request.build_absolute_uri(reverse("ballot", args=[vote.pk])),
        "web": services.web_ballot_available(vote), "rule": rule_for(vote.item)},
        status=400 if form.errors else 200)


BALLOT_DOCUMENTS = {"scan": "scan", "proxy": "proxy_document"}  # in the URL → the ballot's field


@login_required
@require_safe
def ballot_document(request, ballot_id: int, document: str):
    """A paper ballot's scan or a proxy's authorisation: for who sees the vote's roll (the area roles
    of its electorate's community, as on the vote's page), 404 for anyone else or none kept."""
    field = BALLOT_DOCUMENTS.get(document)
    ballot = (Ballot.objects.filter(vote__electorate__in=selectors.electorates_for(request.user))
              .filter(pk=ballot_id).first()) if field else None
    stored = getattr(ballot, field, None) if ballot is not None and field else None
    if not stored:
        raise Http404
    return private_file(stored)


# ---- the owners' web ballot ---------------------------------------------------------------------

def _session_key(vote_id: int) -> str:
    return f"vote-ballot-{vote_id}"


def _verified(request, vote_id: int) -> list[int]:
    """The persons a code verified in this browser for this vote, while the few minutes last."""
    held = request.session.get(_session_key(vote_id)) or {}
    until = held.get("until", 0)
    if not held.get("persons") or until < timezone.now().timestamp():
        return []
    return [int(p) for p in held["persons"]]


@require_http_methods(["GET", "POST"])
@limit_per_address("vote-ballot", "SANSHI_RATE_REPORT", method="POST")
def ballot(request, vote_id: int):
    vote = _or_404(selectors.public_vote, vote_id)
    context = {"vote": vote, "title": mask_personal_text(vote.title), "item_label": Item(vote.item).label,
               "resolution": mask_personal_text(vote.agenda_item.resolution),
               "rule": rule_for(vote.item), "closed": vote.status == VoteStatus.CLOSED}
    if vote.status == VoteStatus.CLOSED:
        summary = selectors.vote_summary(vote)
        return render(request, "votes/ballot.html", {**context, "step": "closed", "summary": summary,
                                                     "chart": tally_chart(summary)})
    if not services.web_ballot_available(vote):
        return render(request, "votes/ballot.html", {**context, "step": "paper"})
    op = request.POST.get("op", "")
    persons = _verified(request, vote.pk)
    try:
        if op == "send":
            form = PhoneForm(request.POST)
            if form.is_valid():
                services.ballot_code_request(vote=vote, phone=form.cleaned_data["phone"])
                code_form = CodeForm(initial={"phone": form.cleaned_data["phone"]})
                return render(request, "votes/ballot.html", {**context, "step": "code", "form": code_form,
                                                             "masked": mask_phone(form.cleaned_data["phone"])})
            return render(request, "votes/ballot.html", {**context, "step": "phone", "form": form}, status=400)
        if op == "verify":
            form = CodeForm(request.POST)
            if form.is_valid():
                try:
                    found = services.ballot_code_verify(vote=vote, phone=form.cleaned_data["phone"],
                                                        code=form.cleaned_data["code"])
                except ApplicationError as exc:
                    apply_errors(form, exc)
                else:
                    request.session.cycle_key()
                    request.session[_session_key(vote.pk)] = {
                        "persons": found, "until": timezone.now().timestamp() + BALLOT_SESSION_MINUTES * 60}
                    return redirect(reverse("ballot", args=[vote.pk]))
            return render(request, "votes/ballot.html", {**context, "step": "code", "form": form,
                                                         "masked": mask_phone(request.POST.get("phone", ""))},
                          status=400)
        if op == "cast" and persons:
            form = ChoiceForm(request.POST)
            if form.is_valid():
                ballots = services.ballot_cast_web(vote=vote, person_ids=persons, choice=form.cleaned_data["choice"])
                request.session.pop(_session_key(vote.pk), None)
                return render(request, "votes/ballot.html", {
                    **context, "step": "done", "choice": Choice(form.cleaned_data["choice"]).label,
                    "addresses": [b.entry.address for b in ballots]})
            return _choose(request, context, vote, persons, form, status=400)
    except (TransitionNotAllowed, NotPermitted) as exc:
        messages.error(request, _refusal(exc))
        request.session.pop(_session_key(vote.pk), None)
        return redirect(reverse("ballot", args=[vote.pk]))
    except ApplicationError as exc:  # a phone number that is not one
        form = PhoneForm(request.POST)
        apply_errors(form, exc)
        return render(request, "votes/ballot.html", {**context, "step": "phone", "form": form}, status=400)
    if persons:
        return _choose(request, context, vote, persons, ChoiceForm())
    return render(request, "votes/ballot.html", {**context, "step": "phone", "form": PhoneForm()})


def _choose(request, context, vote, persons, form, status: int = 200):
    entries, voted = services.web_ballot_heads(vote, persons)
    owners = selectors.owner_names(persons)
    return render(request, "votes/ballot.html", {
        **context, "step": "choose" if entries else "voted", "form": form, "entries": entries, "voted": voted,
        "owners": [mask_name(n) for n in owners]}, status=status)
