/**
 * The command line's configuration, in process: flags win over the
 * environment, which wins over defaults; a bad value names where it came
 * from; settings that do not go together are refused; every command answers
 * --help with text generated from its own settings table.
 */
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { COMMANDS, runCli } from "../../src/cli/cli.js";
import { UsageError } from "../../src/cli/command.js";
import { loadServeConfig, loggableConfig, SERVE_SETTINGS } from "../../src/cli/serve-config.js";

/** Runs the CLI in process; returns the exit code and what it wrote. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  // The CLI writes strings; the test runner's own messages (Buffers, written
  // while a command's module loads) pass through.
  const capture = (key: "stdout" | "stderr") =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== "string") return writes[key].call(process[key], chunk, ...rest);
      out[key] += chunk;
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture("stdout");
  process.stderr.write = capture("stderr");
  try {
    return { code: await runCli(argv, env), ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

describe("serve configuration", () => {
  it("defaults, when neither flags nor environment say", () => {
    const c = loadServeConfig([], { XDG_RUNTIME_DIR: "/run/user/7", XDG_CONFIG_HOME: "/home/u/.config" });
    assert.deepEqual(c, {
      listen: { host: "127.0.0.1", port: 7000 },
      tls: undefined,
      insecure: false,
      metricsListen: undefined,
      otlpEndpoint: undefined,
      maxConnections: 1000,
      allowOrigins: [],
      backend: "auto",
      portabledesktop: undefined,
      release: { version: undefined, url: undefined, sha256: undefined },
      geometry: { width: 1920, height: 1080 },
      open: [],
      limits: { requestTimeoutMs: 5000, replaceAfterMs: 30_000 },
      idleSpeedup: 20,
      runtimeDir: "/run/user/7/desktopd",
      fileRoot: homedir(),
      resetFiles: false,
      fileRootTemplate: undefined,
      bootstrap: undefined,
      token: undefined,
      tokenFile: "/home/u/.config/desktopd/token",
      logLevel: "info",
    });
  });

  it("stall limits: milliseconds in range, and a replacement limit longer than the request limit", () => {
    const c = loadServeConfig(["--desktop-timeout", "800", "--replace-after", "9000"], {});
    assert.deepEqual(c.limits, { requestTimeoutMs: 800, replaceAfterMs: 9000 });
    assert.throws(
      () => loadServeConfig(["--desktop-timeout", "5s"], {}),
      /--desktop-timeout: expected milliseconds from 100 to 600000, got "5s"/,
    );
    assert.throws(() => loadServeConfig([], { DESKTOPD_REPLACE_AFTER_MS: "10" }), /DESKTOPD_REPLACE_AFTER_MS: expected milliseconds/);
    assert.throws(() => loadServeConfig(["--desktop-timeout", "9000", "--replace-after", "9000"], {}), /--replace-after must be longer/);
  });

  it("the environment over defaults, flags over the environment", () => {
    const env = {
      DESKTOPD_LISTEN: "127.0.0.2:7100",
      DESKTOPD_BACKEND: "builtin",
      DESKTOPD_RUNTIME_DIR: "/srv/rt",
      DESKTOPD_LOG_LEVEL: "debug",
    };
    const fromEnv = loadServeConfig([], env);
    assert.deepEqual(
      [fromEnv.listen, fromEnv.backend, fromEnv.runtimeDir, fromEnv.logLevel],
      [{ host: "127.0.0.2", port: 7100 }, "builtin", "/srv/rt", "debug"],
    );
    const fromFlags = loadServeConfig(["--listen", "[::1]:7200", "--backend", "portabledesktop", "--runtime-dir", "/tmp/rt"], env);
    assert.deepEqual(
      [fromFlags.listen, fromFlags.backend, fromFlags.runtimeDir],
      [{ host: "::1", port: 7200 }, "portabledesktop", "/tmp/rt"],
    );
  });

  it("repeatable --open is split into argv arrays; sizes and factors are parsed", () => {
    const c = loadServeConfig(
      ["--open", "xterm -geometry 80x24", "--open", "firefox-esr", "--geometry", "1280x800", "--idle-speedup", "0"],
      {},
    );
    assert.deepEqual(c.open, [["xterm", "-geometry", "80x24"], ["firefox-esr"]]);
    assert.deepEqual([c.geometry, c.idleSpeedup], [{ width: 1280, height: 800 }, 0]);
  });

  it("a bad value is a usage error naming where it came from", () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["--listen", "nope"], {}, /^--listen: expected HOST:PORT/],
      [[], { DESKTOPD_LISTEN: "nope" }, /^DESKTOPD_LISTEN: expected HOST:PORT/],
      [["--backend", "vnc"], {}, /^--backend: expected auto, builtin, portabledesktop, got "vnc"/],
      [["--geometry", "0x5"], {}, /^--geometry: expected WxH/],
      [["--idle-speedup", "1"], {}, /^--idle-speedup: expected 0 \(off\) or a factor above 1/],
      [["--open", " "], {}, /^--open: empty command/],
      [[], { DESKTOPD_LOG_LEVEL: "loud" }, /^DESKTOPD_LOG_LEVEL: expected fatal, error/],
      [[], { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, /^OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" must start with http/],
      [["--reset-files"], {}, /^--reset-files needs --file-root/],
      [["--file-root-template", "/srv/template"], {}, /^--file-root-template needs --file-root/],
      [
        [],
        { DESKTOPD_TOKEN: "t".repeat(20), DESKTOPD_BOOTSTRAP_SECRET: "b".repeat(20) },
        /^DESKTOPD_TOKEN and a bootstrap secret do not go together/,
      ],
      [["--bogus"], {}, /Unknown option '--bogus'/],
    ];
    for (const [argv, env, message] of cases) {
      assert.throws(
        () => loadServeConfig(argv, env),
        (e) => e instanceof UsageError && message.test(e.message),
        argv.join(" "),
      );
    }
  });

  it("TLS files go together, and a non-loopback address needs TLS or --insecure", () => {
    assert.throws(() => loadServeConfig(["--tls-cert", "c.pem"], {}), /--tls-cert and --tls-key go together/);
    assert.throws(() => loadServeConfig(["--listen", "0.0.0.0:7000"], {}), /refusing a non-loopback address without TLS/);
    assert.equal(loadServeConfig(["--listen", "0.0.0.0:7000", "--insecure"], {}).insecure, true);
    const tls = loadServeConfig(["--listen", "0.0.0.0:7000", "--tls-cert", "c.pem", "--tls-key", "k.pem"], {});
    assert.deepEqual(tls.tls, { certFile: "c.pem", keyFile: "k.pem" });
    // A container takes its certificate from mounted files named in the environment.
    const fromEnv = loadServeConfig(["--listen", "0.0.0.0:7000"], { DESKTOPD_TLS_CERT: "/run/tls/crt", DESKTOPD_TLS_KEY: "/run/tls/key" });
    assert.deepEqual(fromEnv.tls, { certFile: "/run/tls/crt", keyFile: "/run/tls/key" });
  });

  it("--metrics-listen: its own address, under the same TLS rule, never the service's port", () => {
    assert.deepEqual(loadServeConfig(["--metrics-listen", "127.0.0.1:9100"], {}).metricsListen, { host: "127.0.0.1", port: 9100 });
    assert.deepEqual(loadServeConfig([], { DESKTOPD_METRICS_LISTEN: "[::1]:9100" }).metricsListen, { host: "::1", port: 9100 });
    assert.throws(() => loadServeConfig(["--metrics-listen", "0.0.0.0:9100"], {}), /--metrics-listen 0.0.0.0: refusing a non-loopback/);
    assert.equal(loadServeConfig(["--metrics-listen", "0.0.0.0:9100", "--insecure"], {}).metricsListen?.port, 9100);
    assert.throws(() => loadServeConfig(["--metrics-listen", "127.0.0.1:7000"], {}), /port 7000 is the service's own/);
    assert.throws(() => loadServeConfig(["--metrics-listen", "9100"], {}), /--metrics-listen: expected HOST:PORT/);
  });

  it("the configuration logged at start shows that a token is set, never the token", () => {
    const c = loadServeConfig([], { DESKTOPD_TOKEN: "s3cret-s3cret-s3cret", DESKTOPD_TOKEN_FILE: join("/x", "token") });
    assert.equal(c.token, "s3cret-s3cret-s3cret");
    const logged = JSON.stringify(loggableConfig(c));
    assert.ok(!logged.includes("s3cret"));
    assert.match(logged, /"token":"\(set\)"/);
    const warm = JSON.stringify(loggableConfig(loadServeConfig([], { DESKTOPD_BOOTSTRAP_SECRET: "b00tstrap-b00tstrap" })));
    assert.ok(!warm.includes("b00tstrap") && warm.includes('"bootstrap":"(set)"'), warm);
  });
});

describe("desktopd commands", () => {
  for (const entry of COMMANDS) {
    it(`desktopd ${entry.name} --help lists its settings and exits 0; the list names it as it names itself`, async () => {
      const command = await entry.load();
      assert.deepEqual([command.name, command.summary], [entry.name, entry.summary]);
      const r = await cli([...entry.name.split(" "), "--help"]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, command.help());
      assert.match(r.stdout, new RegExp(`^usage: desktopd ${entry.name}`));
    });
  }

  it("serve --help names every flag and environment variable of the settings table", async () => {
    const { stdout } = await cli(["serve", "--help"]);
    for (const s of Object.values(SERVE_SETTINGS)) {
      if (s.flag) assert.ok(stdout.includes(`--${s.flag}`), s.flag);
      if (s.env) assert.ok(stdout.includes(s.env), s.env);
    }
  });

  it("help, --help and no command list the commands; help <command> is that command's help", async () => {
    for (const argv of [["help"], ["--help"], ["-h"]]) {
      const r = await cli(argv);
      assert.equal(r.code, 0);
      for (const c of COMMANDS) assert.ok(r.stdout.includes(c.name), c.name);
    }
    assert.equal((await cli([])).code, 2, "no command is a usage mistake");
    assert.equal((await cli(["help", "record", "stop"])).stdout, (await COMMANDS.find((c) => c.name === "record stop")?.load())?.help());
    const group = await cli(["record", "--help"]);
    assert.deepEqual([group.code, /record start/.test(group.stdout), /record stop/.test(group.stdout)], [0, true, true]);
  });

  it("usage mistakes exit 2 with a pointer to --help; an unknown command lists the commands", async () => {
    const bad = await cli(["serve", "--listen"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /see desktopd serve --help/);
    const unknown = await cli(["serv"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "serv"[\s\S]*commands:/);
    const noSub = await cli(["record"]);
    assert.equal(noSub.code, 2);
    assert.match(noSub.stderr, /record: expected one of start, stop/);
  });

  it("a client command without a token says how to give one (exit 1)", async () => {
    const r = await cli(["screenshot", "-o", "x.png"], { DESKTOPD_TOKEN_FILE: "/nonexistent/token" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no token: pass --token, set DESKTOPD_TOKEN/);
  });
});
