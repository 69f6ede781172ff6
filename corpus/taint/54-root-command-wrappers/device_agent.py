"""Block-device maintenance API of the storage agent (WebOb controller).

Commands run as root through wrappers of processutils.execute that the agent
receives from elsewhere: os-brick's rootwrap executor, handed in at start-up,
and neutron's `utils.execute`, which takes the whole argv as one list.
"""

import webob.exc
from neutron.agent.linux import utils
from os_brick.privileged import rootwrap as priv_rootwrap

ALLOWED_TOOLS = ("blockdev", "sg_scan", "multipath")
ROOT_HELPER = "sudo agent-rootwrap /etc/agent/rootwrap.conf"


class DeviceController(object):
    def __init__(self, execute=priv_rootwrap.execute):
        self._execute = execute

    def tool_version(self, req):
        tool = req.params.get("tool")
        out, _err = self._execute(tool, "--version", run_as_root=True, root_helper=ROOT_HELPER)  # expect: py.shell-injection
        return {"version": out}

    def run_probe(self, req):
        probe = req.params.get("probe", "blkid")
        cmd = [probe, "-o", "export"]
        out = utils.execute(cmd, run_as_root=True)  # expect: py.shell-injection
        return {"probe": out}

    def checked_tool_version(self, req):
        tool = req.params.get("tool")
        if tool not in ALLOWED_TOOLS:
            raise webob.exc.HTTPBadRequest(explanation="unknown tool")
        out, _err = self._execute(tool, "--version", run_as_root=True, root_helper=ROOT_HELPER)  # safe: py.shell-injection
        return {"version": out}

    def allowed_probe(self, req):
        probe = req.params.get("probe", "blkid")
        if probe in ALLOWED_TOOLS:
            return {"probe": utils.execute([probe, "--help"], run_as_root=True)}  # safe: py.shell-injection
        raise webob.exc.HTTPBadRequest(explanation="unknown probe")

    def fixed_program(self, req):
        out, _err = self._execute("multipath", "-ll", run_as_root=True, root_helper=ROOT_HELPER)  # safe: py.shell-injection
        return {"maps": out.splitlines(), "verbose": req.params.get("verbose") == "1"}
