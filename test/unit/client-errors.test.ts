/** The client commands' errors name what to fix, keeping the gRPC code; --url is checked before any call. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { explainClientError } from "../../src/cli/client-errors.js";
import { parseServiceUrl } from "../../src/cli/settings.js";

const URL_ = "http://127.0.0.1:7000";

describe("explainClientError", () => {
  const cases: [ConnectError, Code, RegExp][] = [
    [new ConnectError("missing or invalid bearer token", Code.Unauthenticated), Code.Unauthenticated, /refused the token.*--token/],
    [new ConnectError("connect ECONNREFUSED 127.0.0.1:7000", Code.Unavailable), Code.Unavailable, /nothing answers as desktopd.*--url/],
    [new ConnectError("Protocol error", Code.Internal), Code.Internal, /does not answer as desktopd.*--url/],
    [new ConnectError("HTTP 404", Code.Unimplemented), Code.Unimplemented, /does not serve desktop\.v1\.DesktopService/],
  ];
  for (const [err, code, why] of cases)
    it(`${Code[err.code]} "${err.rawMessage}" says what to check and keeps its code`, () => {
      const e = explainClientError(err, URL_);
      assert.equal(e.code, code);
      assert.match(e.rawMessage, why);
      assert.ok(e.rawMessage.includes(URL_) && e.rawMessage.includes(err.rawMessage), e.rawMessage);
    });
  it("leaves the service's own errors as they are", () => {
    const e = new ConnectError("left_click.coordinate: (1280, 10) is off the 1280x720 screen", Code.InvalidArgument);
    assert.equal(explainClientError(e, URL_), e);
  });
});

describe("parseServiceUrl", () => {
  it("keeps an http(s) origin", () => {
    assert.equal(parseServiceUrl("http://127.0.0.1:7000", "--url"), "http://127.0.0.1:7000");
    assert.equal(parseServiceUrl("https://desk.example:8443/", "--url"), "https://desk.example:8443");
  });
  it("names the flag for a URL without a scheme, another scheme, or a path", () => {
    assert.throws(() => parseServiceUrl("127.0.0.1:7000", "--url"), /^Error: --url: "127.0.0.1:7000" is not a URL; give the scheme/);
    assert.throws(() => parseServiceUrl("localhost:7000", "DESKTOPD_URL"), /DESKTOPD_URL: .* must start with http:\/\/ or https:\/\//);
    assert.throws(() => parseServiceUrl("http://h:1/desktop.v1.DesktopService", "--url"), /--url: .* no path/);
  });
});
