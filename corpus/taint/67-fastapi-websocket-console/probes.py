"""Network probes run on the dashboard host."""

import asyncio


async def ping(host):
    proc = await asyncio.create_subprocess_shell(  # expect: py.shell-injection
        f"ping -c 3 -W 1 {host}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return out.decode(errors="replace")


async def trace(host):
    proc = await asyncio.create_subprocess_exec(  # safe: py.shell-injection
        "traceroute", "-n", "-w", "1", host,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return out.decode(errors="replace")
