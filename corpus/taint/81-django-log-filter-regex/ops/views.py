"""Log viewer of the operations console."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse

from ops.matching import build_filter, literal_filter, matching_lines

LOG_FILE = "/var/log/shop/app.log"


def _tail(count=5000):
    with open(LOG_FILE, encoding="utf-8", errors="replace") as fh:
        return fh.readlines()[-count:]


@staff_member_required
def search(request):
    pattern = build_filter(request.GET.get("re", ""), request.GET.get("words") == "1")
    return JsonResponse({"lines": matching_lines(_tail(), pattern)})


@staff_member_required
def find(request):
    pattern = literal_filter(request.GET.get("text", ""))
    return JsonResponse({"lines": matching_lines(_tail(), pattern)})
