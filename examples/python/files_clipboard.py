#!/usr/bin/python3
"""desktopd's clipboard and files from Python, with stubs from generate.sh.

Puts text on the CLIPBOARD selection and reads it back, uploads a local file in
1 MiB chunks (client stream), lists its directory, and downloads it again
(server stream) to a second local file.

Usage: DESKTOPD_TOKEN=... python3 files_clipboard.py --upload FILE --as REMOTE_PATH
           --download-to FILE [--target 127.0.0.1:7000] [--text TEXT] [--stubs DIR]
(REMOTE_PATH is relative to the server's --file-root, '/'-separated)
"""
import argparse
import hashlib
import os
import posixpath
import sys

import grpc

CHUNK = 1024 * 1024  # the service takes at most 1 MiB per UploadFileRequest


def load_stubs(directory):
    """The generated modules, from `directory` (generate.sh's output)."""
    sys.path.insert(0, directory)
    from desktop.v1 import desktop_pb2, desktop_pb2_grpc

    return desktop_pb2, desktop_pb2_grpc


def upload_requests(pb, local, remote):
    """UploadFileRequests: the path in the first, then the bytes in chunks."""
    with open(local, "rb") as f:
        first = True
        while True:
            data = f.read(CHUNK)
            if first:
                yield pb.UploadFileRequest(path=remote, data=data, mode=0o644)
                first = False
            elif data:
                yield pb.UploadFileRequest(data=data)
            if not data:
                return


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="127.0.0.1:7000", help="host:port of desktopd (cleartext h2c)")
    ap.add_argument("--text", default="Grüße, 世界 — from Python")
    ap.add_argument("--upload", required=True, help="local file to upload")
    ap.add_argument("--as", dest="remote", required=True, help="path under the server's file root")
    ap.add_argument("--download-to", required=True, help="local file to write the download to")
    ap.add_argument("--stubs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))
    args = ap.parse_args()
    pb, rpc = load_stubs(args.stubs)
    token = os.environ.get("DESKTOPD_TOKEN")
    if not token:
        sys.exit("set DESKTOPD_TOKEN")
    auth = [("authorization", "Bearer " + token)]
    channel = grpc.insecure_channel(args.target)
    desktop = rpc.DesktopServiceStub(channel)

    desktop.SetClipboard(pb.SetClipboardRequest(text=args.text), metadata=auth, timeout=30)
    got = desktop.GetClipboard(pb.GetClipboardRequest(), metadata=auth, timeout=30).text
    print("clipboard: %s (%s)" % (got, "same" if got == args.text else "DIFFERENT"))

    up = desktop.UploadFile(upload_requests(pb, args.upload, args.remote), metadata=auth, timeout=300)
    print("uploaded %s: %d bytes, mode %o" % (up.file.path, up.file.size, up.file.mode))

    directory = posixpath.dirname(args.remote)
    listing = desktop.ListFiles(pb.ListFilesRequest(path=directory), metadata=auth, timeout=30)
    print("listed %s: %s" % (directory or ".", " ".join(posixpath.basename(f.path) for f in listing.files)))

    size = 0
    with open(args.download_to, "wb") as out:
        for msg in desktop.DownloadFile(pb.DownloadFileRequest(path=args.remote), metadata=auth, timeout=300):
            if msg.WhichOneof("part") == "info":
                size = msg.info.size
            else:
                out.write(msg.chunk)
    same = sha256(args.upload) == sha256(args.download_to)
    print("downloaded %d bytes: sha256 %s" % (size, "same" if same else "DIFFERENT"))
    channel.close()
    if got != args.text or not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
