"""REST controllers of the media service."""

import pecan
from pecan import expose, rest

from mediasvc import transcode

PRESETS = {"web": "libx264", "archive": "ffv1"}


class TranscodeController(rest.RestController):
    """/v1/transcode"""

    @expose("json")
    def post(self, source, preset="web", bitrate="800"):
        """Start a transcode job for a file already in the media library."""
        codec = PRESETS.get(preset, "libx264")
        job = transcode.start(source, codec, int(bitrate))
        pecan.response.status = 202
        return {"job": job}

    @expose("json")
    def get_one(self, job_id):
        return {"job": job_id, "state": transcode.state(job_id)}


class ProbeController(rest.RestController):
    """/v1/probe"""

    @expose("json")
    def get_all(self, source):
        return {"source": source, "seconds": transcode.duration(source)}
