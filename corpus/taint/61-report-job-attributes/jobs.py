"""Report jobs: pandoc turns the weekly Markdown into the format asked for."""

import os
import subprocess

OUTPUT_ROOT = "/srv/reports/out"


class ReportJob:
    def __init__(self, name):
        self.name = name
        self.output_dir = os.path.join(OUTPUT_ROOT, "pending")
        self.format = "pdf"
        self.title = "Weekly report"

    def configure(self, options):
        self.format = options.get("format", "pdf")
        self.title = options.get("title", "Weekly report")

    def prepare(self):
        os.makedirs(self.output_dir, exist_ok=True)  # safe: py.path-traversal

    def render(self, source):
        target = os.path.join(self.output_dir, "report." + self.format)
        command = f"pandoc {source} --metadata title='{self.title}' -o {target}"
        return subprocess.call(command, shell=True)  # expect: py.shell-injection

    def archive(self):
        return subprocess.call(["tar", "-czf", self.output_dir + ".tgz", "-C", self.output_dir, "."])  # safe: py.shell-injection
