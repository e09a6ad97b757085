#!/usr/bin/env python3
"""A TCP proxy that counts the bytes it carries, for bench/run.sh's bytes-per-record figure.

Usage: byte_counter.py LISTEN_PORT TARGET_PORT OUT_FILE
Listens on 127.0.0.1:LISTEN_PORT, forwards every connection to 127.0.0.1:TARGET_PORT, and
rewrites OUT_FILE as `up=N down=N` (client->server, server->client bytes, all connections)
after every chunk, so that the figure is there whenever the benchmark reads it.
"""
import asyncio
import sys

totals = {"up": 0, "down": 0}


def save(path):
    with open(path + ".tmp", "w") as f:
        f.write(f"up={totals['up']} down={totals['down']}\n")
    import os
    os.replace(path + ".tmp", path)


async def pipe(reader, writer, direction, path):
    try:
        while chunk := await reader.read(65536):
            totals[direction] += len(chunk)
            writer.write(chunk)
            await writer.drain()
            save(path)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen, target, path):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, "up", path),
                             pipe(server_reader, client_writer, "down", path))

    save(path)
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
