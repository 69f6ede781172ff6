"""Print jobs of the office print portal."""

import os
import subprocess

from printing.shellwords import print_command, quoted

SPOOL = "/srv/print-portal/spool"


def submit(printer, filename, copies, options):
    command = print_command(printer, os.path.join(SPOOL, os.path.basename(filename)), copies, options)
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout  # safe: py.shell-injection


def cancel(job_id):
    return subprocess.call("cancel " + quoted(job_id), shell=True)  # safe: py.shell-injection
