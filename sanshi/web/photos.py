"""The photos of a case — its requests' photos and its response teams' site photos — for who may see
the case (`cases.scope`, the case page's rule): found through the photo's case in one query, out of
sight answered 404 like a missing photo (and audited as a refused access by the audit middleware).
Nothing else serves the media folder (docs/security.md, "Uploaded photos")."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_safe

from sanshi.cases import scope
from sanshi.core.files import private_file
from sanshi.intake.models import Photo
from sanshi.rapid.models import Dispatch


@login_required
@require_safe
def request_photo(request, photo_id: int):
    photo = (Photo.objects.filter(scope.case_q(request.user, "request__case__"), request__case__isnull=False)
             .filter(pk=photo_id).first())
    if photo is None or not photo.image:
        raise Http404
    return private_file(photo.image)


@login_required
@require_safe
def dispatch_photo(request, dispatch_id: int):
    dispatch = Dispatch.objects.filter(scope.case_q(request.user, "case__"), pk=dispatch_id).first()
    if dispatch is None or not dispatch.photo:
        raise Http404
    return private_file(dispatch.photo)
