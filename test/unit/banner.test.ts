/**
 * The start banner: the token appears only where a person reads it (a
 * terminal), never in a collected log, and a wildcard listen address is
 * shown as an address that reaches the service.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { banner } from "../../src/cli/banner.js";

const TOKEN = "s3cret-banner-token-0123456789";
const facts = { url: "http://0.0.0.0:7000", token: TOKEN, tokenSource: "/run/secrets/desktopd/token", generated: false };

describe("serve's banner", () => {
  it("to a terminal: the live view link holds the token, and a generated token is shown once", () => {
    const text = banner({ ...facts, generated: true, showToken: true });
    assert.match(text, new RegExp(`http://127\\.0\\.0\\.1:7000/\\?token=${TOKEN}`));
    assert.match(text, new RegExp(`generated a bearer token \\(saved to /run/secrets/desktopd/token, mode 0600\\):\\n  ${TOKEN}`));
  });

  it("to a log (not a terminal): no token anywhere, only where to read it", () => {
    const text = banner({ ...facts, generated: true, showToken: false });
    assert.ok(!text.includes(TOKEN), text);
    assert.match(text, /\/\?token=<the token: \$\(cat \/run\/secrets\/desktopd\/token\)>/);
  });

  it("a wildcard listen address is shown as loopback, with what it listens on", () => {
    const text = banner({ ...facts, showToken: false });
    assert.match(text, /serving on http:\/\/127\.0\.0\.1:7000 \(listening on http:\/\/0\.0\.0\.0:7000\)/);
    assert.match(text, /http:\/\/127\.0\.0\.1:7000\/mcp/);
    assert.ok(!text.includes("//0.0.0.0:7000/"), "no link to the wildcard address");
  });
});
