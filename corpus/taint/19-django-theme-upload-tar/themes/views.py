"""Upload of storefront themes packaged as .tar.gz archives."""

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
        archive.extractall(dest)  # expect: py.archive-extraction
    return HttpResponse(status=204)
