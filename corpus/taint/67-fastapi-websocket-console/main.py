"""Network console for the NOC dashboard: a WebSocket that pings hosts."""

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

import probes

app = FastAPI()


@app.websocket("/ws/ping")
async def ping_console(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            host = await websocket.receive_text()
            await websocket.send_text(await probes.ping(host))
    except WebSocketDisconnect:
        pass


@app.websocket("/ws/trace")
async def trace_console(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_json()
            await websocket.send_text(await probes.trace(message["host"]))
    except WebSocketDisconnect:
        pass
