"""Runs ffmpeg and ffprobe for the controllers."""

import os
import shlex
import subprocess
import uuid

OUTPUT_DIR = "/srv/media/out"


def _output_path(job):
    return os.path.join(OUTPUT_DIR, job + ".mp4")


def start(source, codec, bitrate):
    job = uuid.uuid4().hex
    command = f"ffmpeg -nostdin -i {source} -c:v {codec} -b:v {bitrate}k {_output_path(job)}"
    subprocess.Popen(command, shell=True)  # expect: py.shell-injection
    return job


def duration(source):
    """Length of a media file in seconds, for the upload page."""
    out = subprocess.check_output(  # safe: py.shell-injection
        "ffprobe -v error -show_entries format=duration -of csv=p=0 " + shlex.quote(source),
        shell=True,
        text=True,
    )
    return float(out)


def state(job):
    return "done" if os.path.exists(_output_path(job)) else "running"
