"""Export downloads and housekeeping (Django class-based views)."""

from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.views import View

from exports import files


class ExportDownloadView(View):
    def get(self, request, *args, **kwargs):
        data = files.read_export(self.kwargs["path"])
        if data is None:
            return HttpResponseNotFound("no such export", content_type="text/plain")  # safe: py.xss
        return HttpResponse(data, content_type="application/octet-stream")  # safe: py.xss


class ExportInfoView(View):
    def get(self, request, *args, **kwargs):
        return JsonResponse({"path": self.kwargs["path"], "lines": files.export_lines(self.kwargs["path"])})


class ExportDeleteView(View):
    def post(self, request, *args, **kwargs):
        files.delete_export(self.kwargs["name"])
        return JsonResponse({"deleted": self.kwargs["name"]})


class ExportRenameView(View):
    def post(self, request, *args, **kwargs):
        files.rename_export(self.kwargs["name"], request.POST["new_name"])
        return JsonResponse({"renamed": request.POST["new_name"]})
