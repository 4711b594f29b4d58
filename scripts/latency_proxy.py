#!/usr/bin/env python3
"""A loopback TCP proxy that adds a fixed delay to every request, to measure pipewatch under real-world latency.

Usage: latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS

Every chunk the client sends is held for DELAY_MS before it is forwarded (order kept per connection), so each HTTP
request/response round trip costs about DELAY_MS more, as a link with that round-trip time would. The answer flows
back at once. It counts requests (chunks that start with an HTTP method) and prints the count on SIGTERM/SIGINT.
Only 127.0.0.1 is used on both sides.
"""
import asyncio
import signal
import sys

METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ")
requests = 0


async def pipe_delayed(reader, writer, delay):
    global requests
    queue = asyncio.Queue()

    async def feeder():
        while True:
            data = await reader.read(65536)
            await queue.put((asyncio.get_running_loop().time() + delay, data))
            if not data:
                return

    feed = asyncio.create_task(feeder())
    try:
        while True:
            due, data = await queue.get()
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            if data.startswith(METHODS):
                requests += 1
            writer.write(data)
            await writer.drain()
    finally:
        feed.cancel()
        writer.close()


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def handle(client_r, client_w, upstream_port, delay):
    try:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", upstream_port)
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pipe_delayed(client_r, up_w, delay), pipe(up_r, client_w), return_exceptions=True)


async def main():
    listen, upstream, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream, delay_ms / 1000.0), "127.0.0.1", listen
    )
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, stop.set)
    print(f"latency proxy 127.0.0.1:{listen} -> 127.0.0.1:{upstream}, +{delay_ms:g} ms per request", flush=True)
    async with server:
        await stop.wait()
    print(f"requests: {requests}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
