#!/usr/bin/python3
"""desktopd from Python, with stubs generated from the same proto (generate.sh).

GetDisplay, a left_click in declared (scaled) coordinates, one screenshot saved
to a file, and the first bytes of a Vnc stream (the RFB version greeting).

Usage: DESKTOPD_TOKEN=... python3 desktop_example.py [--target 127.0.0.1:7000] [--out shot.png] [--stubs DIR]
(--stubs: where generate.sh wrote the stubs; gen/ beside this file by default)
"""
import argparse
import os
import sys
import threading

import grpc


def load_stubs(directory):
    """The generated modules, from `directory` (generate.sh's output)."""
    sys.path.insert(0, directory)
    from desktop.v1 import desktop_pb2, desktop_pb2_grpc

    return desktop_pb2, desktop_pb2_grpc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="127.0.0.1:7000", help="host:port of desktopd (cleartext h2c)")
    ap.add_argument("--out", default="screenshot.png")
    ap.add_argument("--stubs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
    args = ap.parse_args()
    pb, rpc = load_stubs(args.stubs)
    token = os.environ.get("DESKTOPD_TOKEN")
    if not token:
        sys.exit("set DESKTOPD_TOKEN")
    auth = [("authorization", "Bearer " + token)]
    # Screenshots can be several MiB; the service keeps messages under 16 MiB.
    channel = grpc.insecure_channel(args.target, options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)])
    desktop = rpc.DesktopServiceStub(channel)

    display = desktop.GetDisplay(pb.GetDisplayRequest(), metadata=auth, timeout=30)
    native, declared = display.native_size, display.default_declared_size
    print("display %dx%d (declared %dx%d) backend %s" % (native.width, native.height, declared.width, declared.height, display.backend))

    centre = pb.Point(x=declared.width // 2, y=declared.height // 2)
    res = desktop.Action(pb.ActionRequest(scaled_size=declared, left_click=pb.ClickAction(coordinate=centre)), metadata=auth, timeout=30)
    print("left_click: %s; cursor %d,%d (declared)" % (res.output, res.cursor.x, res.cursor.y))

    for frame in desktop.Screenshot(pb.ScreenshotRequest(scaled_size=declared, format=pb.IMAGE_FORMAT_PNG), metadata=auth, timeout=30):
        with open(args.out, "wb") as f:
            f.write(frame.image.data)
        print("screenshot %dx%d, %d bytes -> %s" % (frame.image.width, frame.image.height, len(frame.image.data), args.out))

    # Vnc is bidirectional: the server speaks first (RFB greeting); send nothing until done.
    done = threading.Event()

    def to_server():
        done.wait(30)
        return
        yield  # a generator that ends when `done` is set

    stream = desktop.Vnc(to_server(), metadata=auth, timeout=30)
    first = next(stream)
    print("vnc: %r" % first.data[:12])
    done.set()
    stream.cancel()
    channel.close()


if __name__ == "__main__":
    main()
