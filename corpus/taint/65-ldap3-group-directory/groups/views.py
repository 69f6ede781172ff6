"""Group lookups for the access-review screens."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse

from groups.directory import GroupDirectory

DIRECTORY = GroupDirectory(settings.LDAP_URI, settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)


@staff_member_required
def user_groups(request):
    return JsonResponse({"groups": DIRECTORY.groups_of(request.GET["uid"])})


@staff_member_required
def group_members(request, group):
    return JsonResponse({"members": DIRECTORY.members_of(group)})
