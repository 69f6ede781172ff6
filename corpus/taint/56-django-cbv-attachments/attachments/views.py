"""Ticket attachments of the help desk."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.views import View

from attachments import storage


class AttachmentView(LoginRequiredMixin, View):
    """Download one file attached to a ticket."""

    def get(self, request, *args, **kwargs):
        handle = storage.open_attachment(self.kwargs["ticket"], self.kwargs["name"])
        if handle is None:
            raise Http404("no such attachment")
        return FileResponse(handle, as_attachment=True)


class ThumbnailView(LoginRequiredMixin, View):
    """Preview image of an attachment, generated at upload time."""

    def get(self, request, *args, **kwargs):
        return FileResponse(storage.open_thumbnail(self.kwargs["name"]), content_type="image/png")
