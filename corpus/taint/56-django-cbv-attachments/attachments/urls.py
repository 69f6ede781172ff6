from django.urls import path

from attachments.views import AttachmentView, ThumbnailView

urlpatterns = [
    path("tickets/<int:ticket>/attachments/<path:name>", AttachmentView.as_view(), name="attachment"),
    path("thumbnails/<str:name>", ThumbnailView.as_view(), name="thumbnail"),
]
