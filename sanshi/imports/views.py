"""The imports' pages: what the user may import, each sheet's template, and the upload with its dry
run (预检) and its import. Thin: the services decide who may import and what is written; a page of
someone who may not import answers 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sanshi.core.errors import ApplicationError, NotPermitted
from sanshi.core.xlsx import xlsx_response
from sanshi.registry.services import activation_link_parts

from .forms import UploadForm
from .permissions import REFUSED, importer_role, kinds_for
from .services import IMPORTERS
from .sheets import SHEETS, Sheet


def _sheet(request, kind: str) -> Sheet:
    sheet = SHEETS.get(kind)
    if sheet is None:
        raise Http404
    if importer_role(request.user, kind) is None:
        raise PermissionDenied(REFUSED[kind])
    return sheet


@login_required
def index(request):
    return render(request, "imports/index.html", {"sheets": [SHEETS[k] for k in kinds_for(request.user)]})


@login_required
def template(request, kind: str):
    sheet = _sheet(request, kind)
    return xlsx_response(sheet.template(), f"{sheet.title}导入模板.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, kind: str):
    sheet = _sheet(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    report, links = None, []
    if request.method == "POST" and form.is_valid():
        try:
            report = IMPORTERS[kind](actor=request.user, upload=form.cleaned_data["file"],
                                     dry_run=request.POST.get("op") != "import")
        except NotPermitted as exc:
            raise PermissionDenied(exc.detail()) from None
        except ApplicationError as exc:  # e.g. a username taken between the check and the write
            form.add_error(None, exc.detail() + "".join(_("：") + str(m) for m in exc.errors.values()))
        else:
            if report.written and kind != "accounts":
                messages.success(request, _("导入完成：新增 %(created)s 条，更新 %(updated)s 条，%(unchanged)s 条已登记未改动。") % {
                    "created": report.created, "updated": report.updated, "unchanged": report.unchanged})
                return redirect(reverse("import", args=[kind]))
            links = [(user, request.build_absolute_uri(reverse("account-activate", args=activation_link_parts(user))))
                     for user in report.accounts]
    return render(request, "imports/upload.html", {"sheet": sheet, "form": form, "report": report, "links": links},
                  status=400 if form.errors or (report is not None and not report.ok) else 200)
