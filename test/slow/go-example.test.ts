/**
 * Go end to end: examples/go, with stubs generated from proto/ by Debian's
 * protoc, protoc-gen-go and protoc-gen-go-grpc into a temp GOPATH, built
 * offline in GOPATH mode against Debian's Go packages (grpc-go 1.33 with
 * golang/protobuf 1.5), and run against a live server: the click and the
 * typed text must really reach the desktop.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import sharp from "sharp";
import { useTestServer } from "../helpers/server.js";
import { type RecordedEvent, TestWindows } from "../helpers/xwindow.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/go/", import.meta.url));

describe("Go example (generated gRPC stubs, Debian's Go packages)", { timeout: 180_000 }, () => {
  const t = useTestServer();
  let dir: string;
  let binary: string;
  let w: TestWindows;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "desktopd-go-"));
    const gopath = join(dir, "gopath");
    await execa("sh", [join(EXAMPLE, "generate.sh"), gopath]);
    binary = join(dir, "desktop_example");
    // As docs/clients.md says: GOPATH mode, Debian's packages second on GOPATH, nothing fetched.
    await execa("go", ["build", "-o", binary, "desktopd/examples/desktop_example"], {
      env: { GOPATH: `${gopath}:/usr/share/gocode`, GO111MODULE: "off", GOPROXY: "off", GOFLAGS: "", GOCACHE: join(dir, "cache") },
    });
    const ep = t().x11();
    w = await TestWindows.open(ep.display, ep.cookie);
    await w.window(0, 0, 1920, 1080, 0x202020, { record: true, focus: true, grabKeyboard: true });
  });
  after(async () => {
    w.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("does GetDisplay, a declared-pixel left_click, a type action and a PNG screenshot to a file", async () => {
    const out = join(dir, "shot.png");
    const r = await execa(binary, ["-target", t().url.replace("http://", ""), "-out", out], { env: { DESKTOPD_TOKEN: t().token } });
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "native 1920x1080, declared 1280x720, backend builtin");
    assert.equal(lines[1], "left_click: left_click action performed, cursor 640,360");
    assert.equal(lines[2], "type: type action performed");
    assert.match(lines[3] ?? "", /^screenshot: 1920x1080 PNG, \d+ bytes -> /);
    const evs = await w.waitFor((e) => e.filter((ev: RecordedEvent) => ev.type === "KeyRelease").length >= "hello from Go".length);
    const press = evs.find((ev) => ev.type === "ButtonPress");
    assert.deepEqual([press?.detail, press?.rootX, press?.rootY], [1, 960, 540], "button 1 at the native centre");
    const typed = await Promise.all(evs.filter((ev) => ev.type === "KeyPress").map((ev) => w.keysym(ev)));
    const text = String.fromCharCode(...typed.filter((k) => k >= 0x20 && k < 0x7f));
    assert.equal(text, "hello from Go");
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["png", 1920, 1080]);
  });

  it("a wrong token fails with the gRPC code Unauthenticated, exit status 1", async () => {
    const r = await execa(binary, ["-target", t().url.replace("http://", ""), "-out", join(dir, "no.png")], {
      env: { DESKTOPD_TOKEN: "wrong-token-wrong-token" },
      reject: false,
    });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /GetDisplay: rpc error: code = Unauthenticated/);
  });
});
