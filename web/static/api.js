// What the shop and the dashboard share: JSON requests and the API's error shape, number and
// money formats, safe element building, and the colour of each order status.

const REQUEST_TIMEOUT_MS = 15000;

/** A request that got no success answer: the API's error body, or a stand-in for none. */
export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Send a JSON request and return the parsed answer. `accept` lists non-2xx statuses whose body
 * is still an answer (e.g. /api/health's 503 while a store is down); any other status throws
 * an ApiError carrying the API's {"error": {code, message, details}}.
 */
export async function requestJson(path, { method = "GET", body, headers = {}, accept = [] } = {}) {
  // Bounded, so that a poll loop waiting on a hung request carries on.
  const init = { method, headers: { Accept: "application/json", ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "TimeoutError") throw new ApiError(0, "timeout", "The server did not answer in time.");
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
  }
  const payload = await response.json().catch(() => null);
  if (response.ok || accept.includes(response.status)) return payload;
  throw apiError(response.status, payload);
}

export function postJson(path, body, headers = {}) {
  return requestJson(path, { method: "POST", body, headers });
}

function apiError(status, payload) {
  const error = payload && payload.error;
  if (error && typeof error.message === "string") {
    return new ApiError(status, error.code, error.message, Array.isArray(error.details) ? error.details : []);
  }
  return new ApiError(status, `http_${status}`, `The server answered with status ${status}.`);
}

/** A fresh Idempotency-Key. crypto.randomUUID exists only on secure pages (https, localhost);
 * getRandomValues everywhere, and the shop may well be opened by its LAN address. */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const wholeNumber = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const withCents = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

/** Money as the API sends it (a number with at most 2 decimals): whole amounts without
 * decimals (the demo's won-like prices), anything with cents with exactly two. */
export function formatMoney(amount) {
  const value = Number(amount);
  if (amount === null || amount === undefined || !Number.isFinite(value)) return "–";
  return Number.isInteger(value) ? wholeNumber.format(value) : withCents.format(value);
}

export function formatCount(count) {
  return count === null || count === undefined ? "–" : wholeNumber.format(count);
}

/** Short axis labels: 1.3M rather than 1,300,000. */
export function formatCompact(value) {
  return compact.format(value);
}

/** Money in whole cents, so that adding up a cart is exact (0.1 + 0.2 is not 0.3 in floats). */
export function toCents(amount) {
  return Math.round(Number(amount) * 100);
}

/**
 * A new element. Children that are strings become text nodes and attribute values are set as
 * plain strings: data from the API is never parsed as HTML.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children);
  return element;
}

/** Write only what changed: a steady page is not re-rendered (no flicker, no screen-reader
 * chatter from aria-live regions on every poll). */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** The statuses in the order an order lives through them, each with its colour. */
export const STATUS_COLORS = {
  PENDING: "#d97706",
  CONFIRMED: "#2563eb",
  PROCESSING: "#7c3aed",
  SHIPPED: "#0891b2",
  DELIVERED: "#0d9488",
  COMPLETED: "#16a34a",
  REFUNDED: "#db2777",
  CANCELLED: "#64748b",
  FAILED: "#dc2626",
};

/** A status as a readable badge: its colour is a dot beside the word, never the only cue. */
export function statusBadge(status) {
  const badge = el("span", { class: "badge" }, status.charAt(0) + status.slice(1).toLowerCase());
  badge.style.setProperty("--dot", STATUS_COLORS[status] || "#64748b");
  return badge;
}
