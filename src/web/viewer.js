/**
 * desktopd's browser live view: noVNC (served by desktopd from
 * node_modules/@novnc/novnc) over the service's `/vnc` WebSocket.
 *
 * Query parameters: `token=` the bearer token (kept in sessionStorage for this
 * tab and removed from the address bar; without one a login form asks for
 * it), `view_only=1` (no input is sent; the service enforces it too).
 * The desktop is scaled to the window. A dropped connection is retried with
 * exponential backoff (0.5 s doubling to 15 s, ±20%); a refused token brings
 * the login form back. `document.body.dataset.state` is one of login,
 * connecting, connected, reconnecting.
 */
import RFB from "/novnc/core/rfb.js";

const TOKEN_KEY = "desktopd.token";
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15000;
/** A connection that lasted this long starts the backoff afresh when it drops, ms. */
const STABLE_MS = 10000;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const screen = $("screen");
const status = $("status");
const login = /** @type {HTMLFormElement} */ ($("login"));
const tokenInput = /** @type {HTMLInputElement} */ ($("token"));
const loginError = $("login-error");

const params = new URLSearchParams(location.search);
const viewOnly = params.get("view_only") === "1";
$("mode").hidden = !viewOnly;

const fromUrl = params.get("token");
if (fromUrl !== null) {
  sessionStorage.setItem(TOKEN_KEY, fromUrl);
  params.delete("token");
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : "") + location.hash);
}

let attempt = 0;
let connectedAt = 0;

/** @param {string} state @param {string} text */
function show(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
}

/** @param {string} error */
function askForToken(error) {
  sessionStorage.removeItem(TOKEN_KEY);
  show("login", "Sign in with the service's bearer token");
  loginError.textContent = error;
  login.hidden = false;
  tokenInput.focus();
}

login.addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  tokenInput.value = "";
  login.hidden = true;
  void connect();
});

/**
 * Asks the service whether the token is good (a Connect unary call, so a
 * refusal is a clear 401, which a WebSocket handshake cannot report).
 * @param {string} token
 * @returns {Promise<string>} "ok", "refused", or why the service could not answer
 */
async function checkToken(token) {
  try {
    const res = await fetch("/desktop.v1.DesktopService/GetDisplay", {
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1", authorization: `Bearer ${token}` },
      body: "{}",
    });
    if (res.status === 401) return "refused";
    return res.ok ? "ok" : `service answered HTTP ${res.status}`;
  } catch {
    return "service unreachable";
  }
}

async function connect() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return askForToken("");
  show(attempt ? "reconnecting" : "connecting", "Connecting…");
  const check = await checkToken(token);
  if (check === "refused") return askForToken("The service refused that token.");
  if (check !== "ok") return retry(check);

  const url = new URL("/vnc", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  if (viewOnly) url.searchParams.set("view_only", "1");
  const rfb = new RFB(screen, url.href, { shared: true });
  rfb.scaleViewport = true;
  rfb.resizeSession = false;
  rfb.viewOnly = viewOnly;
  rfb.background = "#1e1e1e";
  rfb.addEventListener("connect", () => {
    connectedAt = Date.now();
    show("connected", viewOnly ? "Connected (view only)" : "Connected");
    if (!viewOnly) rfb.focus();
  });
  rfb.addEventListener("desktopname", (/** @type {any} */ e) => {
    document.title = `${e.detail.name} · desktopd`;
  });
  rfb.addEventListener("disconnect", () => {
    if (connectedAt && Date.now() - connectedAt > STABLE_MS) attempt = 0;
    connectedAt = 0;
    retry("connection lost");
  });
}

/** @param {string} why */
function retry(why) {
  const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt++) * (0.8 + Math.random() * 0.4);
  const until = Date.now() + delay;
  const tick = () => {
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    show("reconnecting", `Disconnected (${why}); reconnecting in ${left} s…`);
  };
  tick();
  const countdown = setInterval(tick, 1000);
  setTimeout(() => {
    clearInterval(countdown);
    void connect();
  }, delay);
}

void connect();
