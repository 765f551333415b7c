// The dashboard: key figures, daily / hourly / status charts and the pipeline's health. A live
// channel (a WebSocket) says when ClickHouse took new orders, and brings the pipeline's health;
// while it is down the page polls every 2 s and reconnects with backoff. `?updates=poll` polls
// only (for a proxy that passes no WebSocket). Every update changes the same elements and the
// same charts in place.
import {
  ApiError, STATUS_COLORS, el, formatCompact, formatCount, formatMoney, requestJson, setText,
} from "./api.js";

const REFRESH_MS = 2000;
// Reconnecting: 1 s after a drop, doubling up to 30 s, each ±20 % so that the dashboards a
// restarted server dropped do not all come back in the same instant.
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30000;
// The server sends the pipeline's health every 2 s: this long without a message, the channel
// is dead even though the browser has not noticed (a proxy or network that went silent).
const SILENCE_MS = 10000;
const LIVE_PATH = "/api/analytics/live";
const HOUR_MS = 3600 * 1000;
const HOURS = 24;
const STORES = ["worker", "mysql", "kafka", "clickhouse"];
const STORE_NAMES = { worker: "Worker", mysql: "MySQL", kafka: "Kafka", clickhouse: "ClickHouse" };
const STATUS_WORDS = { ok: "OK", down: "Down", starting: "Starting", unknown: "Unknown" };
const ANIMATION_MS = 400;
const REVENUE_COLOR = "#4f46e5";
const ORDERS_COLOR = "#ea580c";

const $ = (id) => document.getElementById(id);

// ---- the date range: a preset that follows today, or two fixed days ----------------------------

const range = { days: 30, start: "", end: "" };

/** YYYY-MM-DD of a local date (the picker's own format). */
function isoDay(date) {
  const pad = (number) => String(number).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function localDate(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date);
}

function addDays(day, days) {
  const date = localDate(day);
  date.setDate(date.getDate() + days);
  return isoDay(date);
}

function currentRange() {
  if (range.days) {
    const end = isoDay(new Date());
    return { start: addDays(end, 1 - range.days), end };
  }
  return { start: range.start, end: range.end };
}

/** Show the range in the pickers, without overwriting one the user is typing in. */
function showRange() {
  const { start, end } = currentRange();
  for (const [input, value] of [[$("start"), start], [$("end"), end]]) {
    if (document.activeElement !== input && input.value !== value) input.value = value;
  }
  for (const button of document.querySelectorAll(".presets button")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.days) === range.days));
  }
}

function rangeQuery() {
  const { start, end } = currentRange();
  const query = new URLSearchParams();
  if (start) query.set("startDate", start);
  if (end) query.set("endDate", end);
  return query.toString();
}

// ---- charts -------------------------------------------------------------------------------

/** Orders (line, right axis) over revenue (bars, left axis): the daily and the hourly chart. */
function salesChart(canvas) {
  return new Chart(canvas, {
    data: {
      labels: [],
      datasets: [
        { type: "line", label: "Orders", data: [], yAxisID: "orders", borderColor: ORDERS_COLOR,
          backgroundColor: ORDERS_COLOR, borderWidth: 2, pointRadius: 2, cubicInterpolationMode: "monotone", order: 1 },
        { type: "bar", label: "Revenue", data: [], yAxisID: "revenue", backgroundColor: REVENUE_COLOR,
          borderRadius: 4, maxBarThickness: 36, order: 2 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        revenue: { position: "left", beginAtZero: true, ticks: { callback: formatCompact },
                   title: { display: true, text: "Revenue" } },
        orders: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                  ticks: { precision: 0 }, title: { display: true, text: "Orders" } },
      },
      plugins: {
        legend: { labels: { usePointStyle: true, boxHeight: 8 } },
        tooltip: { callbacks: { label: (item) => item.dataset.yAxisID === "revenue"
          ? ` Revenue: ${formatMoney(item.parsed.y)}` : ` Orders: ${formatCount(item.parsed.y)}` } },
      },
    },
  });
}

/** The doughnut's total, written in its hole. */
const centreTotal = {
  id: "centreTotal",
  afterDatasetsDraw(chart) {
    const total = chart.data.datasets[0].data.reduce((sum, count) => sum + count, 0);
    const meta = chart.getDatasetMeta(0).data[0];
    if (!total || !meta) return;
    const { ctx } = chart;
    ctx.save();
    ctx.textAlign = "center";
    ctx.fillStyle = "#0f172a";
    ctx.font = `600 22px ${Chart.defaults.font.family}`;
    ctx.fillText(formatCount(total), meta.x, meta.y + 2);
    ctx.fillStyle = "#475569";
    ctx.font = `12px ${Chart.defaults.font.family}`;
    ctx.fillText("orders", meta.x, meta.y + 20);
    ctx.restore();
  },
};

function statusChart(canvas) {
  return new Chart(canvas, {
    type: "doughnut",
    data: { labels: [], datasets: [{ data: [], amounts: [], backgroundColor: [], borderColor: "#fff", borderWidth: 2 }] },
    options: {
      maintainAspectRatio: false,
      cutout: "62%",
      // A legend beside a phone-width doughnut leaves it no room: put it underneath there.
      onResize: (chart, size) => {
        chart.options.plugins.legend.position = size.width < 420 ? "bottom" : "right";
      },
      plugins: {
        legend: { position: "right", labels: { usePointStyle: true, boxHeight: 8 } },
        tooltip: { callbacks: { label: (item) =>
          ` ${formatCount(item.parsed)} orders · ${formatMoney(item.dataset.amounts[item.dataIndex])}` } },
      },
    },
    plugins: [centreTotal],
  });
}

function createCharts() {
  if (!window.Chart) return null; // the library is missing (not installed): figures still work
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#475569";
  Chart.defaults.animation.duration = ANIMATION_MS;
  return { daily: salesChart($("daily-chart")), hourly: salesChart($("hourly-chart")), status: statusChart($("status-chart")) };
}

/** Give a chart new data only when it changed; Chart.js then animates the old bars into the
 * new ones instead of drawing the chart afresh. Changes that come faster than an animation
 * (orders streaming in) are drawn at once: an animation cut short shows nothing, and keeping
 * every chart animating all the time costs the machine a core. */
function updateChart(chart, labels, series, extra = () => {}) {
  const signature = JSON.stringify([labels, series]);
  if (chart.$signature === signature) return;
  chart.$signature = signature;
  chart.data.labels = labels;
  series.forEach((data, index) => { chart.data.datasets[index].data = data; });
  extra(chart);
  const now = performance.now();
  const streaming = now - (chart.$updatedAt ?? -Infinity) < ANIMATION_MS;
  chart.$updatedAt = now;
  chart.update(streaming ? "none" : undefined);
}

function describe(canvas, text) {
  if (canvas.getAttribute("aria-label") !== text) canvas.setAttribute("aria-label", text);
}

const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const hourLabel = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** Every day of the range, days without orders as zero, so the axis shows time as it passed. */
function dailySeries(rows) {
  const byDay = new Map(rows.map((row) => [row.date, row]));
  let { start, end } = currentRange();
  start ||= rows.length ? rows[0].date : end;
  end ||= rows.length ? rows[rows.length - 1].date : start;
  const days = [];
  for (let day = start; day && day <= end; day = addDays(day, 1)) days.push(day);
  return {
    labels: days.map((day) => dayLabel.format(localDate(day))),
    orders: days.map((day) => byDay.get(day)?.orderCount ?? 0),
    revenue: days.map((day) => byDay.get(day)?.totalRevenue ?? 0),
  };
}

/** The last 24 hour buckets, oldest first, ending with the current hour. */
function hourlySeries(rows) {
  const current = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const orders = new Array(HOURS).fill(0);
  const revenue = new Array(HOURS).fill(0);
  for (const row of rows) {
    const index = HOURS - 1 - Math.floor((current - Date.parse(row.hour)) / HOUR_MS);
    if (index >= 0 && index < HOURS) {
      orders[index] += row.orderCount;
      revenue[index] += row.totalRevenue;
    }
  }
  const labels = orders.map((_, index) => hourLabel.format(new Date(current - (HOURS - 1 - index) * HOUR_MS)));
  return { labels, orders, revenue };
}

// ---- what each answer updates -----------------------------------------------------------------

function showKpi(id, value, format) {
  const element = $(id);
  setText(element, format(value));
  // The exact figure, for whoever needs more than the formatted text (the browser tests do).
  if (element.dataset.value !== String(value)) element.dataset.value = String(value);
}

function showStats(stats) {
  showKpi("kpi-orders", stats.totalOrders, formatCount);
  showKpi("kpi-revenue", stats.totalRevenue, formatMoney);
  showKpi("kpi-aov", stats.averageOrderValue, formatMoney);
  showKpi("kpi-customers", stats.totalUsers, formatCount);
  setText($("kpi-customers-sub"), `buying ${formatCount(stats.totalProducts)} products`);
}

function showDaily(rows, charts) {
  const { labels, orders, revenue } = dailySeries(rows);
  const totalOrders = orders.reduce((sum, count) => sum + count, 0);
  const totalRevenue = revenue.reduce((sum, amount) => sum + amount, 0);
  const text = `${formatCount(totalOrders)} orders, ${formatMoney(totalRevenue)} revenue in ${labels.length} days`;
  setText($("daily-note"), text);
  $("daily-empty").hidden = totalOrders > 0;
  if (!charts) return;
  updateChart(charts.daily, labels, [orders, revenue]);
  describe($("daily-chart"), `Daily sales: ${text}`);
}

function showHourly(rows, charts) {
  const { labels, orders, revenue } = hourlySeries(rows);
  const totalOrders = orders.reduce((sum, count) => sum + count, 0);
  const totalRevenue = revenue.reduce((sum, amount) => sum + amount, 0);
  setText($("kpi-orders-sub"), `${formatCount(totalOrders)} in the last 24 h`);
  setText($("kpi-revenue-sub"), `${formatMoney(totalRevenue)} in the last 24 h`);
  $("hourly-empty").hidden = totalOrders > 0;
  if (!charts) return;
  updateChart(charts.hourly, labels, [orders, revenue]);
  describe($("hourly-chart"), `Last 24 hours: ${formatCount(totalOrders)} orders, ${formatMoney(totalRevenue)} revenue`);
}

function showStatuses(rows, charts) {
  // The lifecycle order, not the alphabet, so the colours sit in the same place every time.
  const order = Object.keys(STATUS_COLORS);
  const sorted = [...rows].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  const labels = sorted.map((row) => row.status.charAt(0) + row.status.slice(1).toLowerCase());
  const counts = sorted.map((row) => row.orderCount);
  const total = counts.reduce((sum, count) => sum + count, 0);
  setText($("status-note"), `${formatCount(total)} orders in the range`);
  $("status-empty").hidden = total > 0;
  if (!charts) return;
  updateChart(charts.status, labels, [counts], (chart) => {
    chart.data.datasets[0].amounts = sorted.map((row) => row.totalAmount);
    chart.data.datasets[0].backgroundColor = sorted.map((row) => STATUS_COLORS[row.status] || "#94a3b8");
  });
  describe($("status-chart"), `Orders by status: ${sorted.map((row, i) => `${labels[i]} ${row.orderCount}`).join(", ") || "none"}`);
}

function seconds(value, zeroText) {
  if (value === null || value === undefined) return "–";
  if (value === 0) return zeroText;
  return value < 10 ? `${value.toFixed(1)} s` : `${formatCount(Math.round(value))} s`;
}

/** /api/health's body, which it also sends with its 503 while something is down. */
function showHealth(health) {
  const notOk = [];
  for (const store of STORES) {
    const status = health?.[store]?.status ?? "unknown";
    if (status !== "ok") notOk.push(STORE_NAMES[store]);
    const item = document.querySelector(`[data-store="${store}"]`);
    if (item.dataset.status !== status) item.dataset.status = status;
    setText(item.querySelector(".pill"), STATUS_WORDS[status] ?? status);
    const detail = health?.[store]?.detail;
    item.title = detail ? `${STORE_NAMES[store]}: ${detail}` : "";
  }
  const overall = $("pipeline-overall");
  // Alarms: the stores answer, but something upstream went wrong (e.g. the outbox audit had
  // to relay a lost event again).
  const alarms = health?.alarms ?? [];
  const state = health === null ? "unknown" : notOk.length || alarms.length ? "degraded" : "ok";
  if (overall.dataset.status !== state) overall.dataset.status = state;
  setText(overall, health === null ? "Health unknown: the server cannot be reached"
    : notOk.length ? `Degraded: ${notOk.join(", ")} not OK`
    : alarms.length ? `Degraded: ${alarms.join("; ")}` : "All systems normal");

  const pipeline = health?.pipeline ?? {};
  setText($("fig-backlog"), formatCount(pipeline.outboxBacklog));
  setText($("fig-lag"), formatCount(pipeline.consumerLag));
  setText($("fig-committed-lag"), formatCount(pipeline.committedLag));
  $("fig-committed-lag").classList.toggle("warn", pipeline.committedLagRising === true);
  setText($("fig-freshness"), seconds(pipeline.freshnessSeconds, "up to date"));
  setText($("fig-dlq"), formatCount(pipeline.deadLetters));
  $("fig-dlq").classList.toggle("warn", (pipeline.deadLetters ?? 0) > 0);
  setText($("fig-relayed-again"), formatCount(pipeline.eventsRelayedAgain));
  $("fig-relayed-again").classList.toggle("warn", (pipeline.eventsRelayedAgain ?? 0) > 0);
  setText($("fig-newest"), pipeline.newestAnalyticsRowAgeSeconds === null ? "none yet"
    : `${seconds(pipeline.newestAnalyticsRowAgeSeconds, "0 s")} ago`);
  setText($("fig-loop-lag"),
    `${milliseconds(health?.worker?.eventLoopLagSeconds)} · ${milliseconds(pipeline.eventLoopLagSeconds)}`);
}

/** An event loop's worst lag of the last 30 s, in whole milliseconds. */
function milliseconds(value) {
  if (value === null || value === undefined) return "–";
  return `${formatCount(Math.round(value * 1000))} ms`;
}

// ---- the polls ------------------------------------------------------------------------------

// Sales and health are polled separately: the health check asks Kafka and can take seconds,
// which must not hold back the sales figures.
const problems = new Map(); // what could not be loaded → why, from either poll
let latestSales = 0;

async function refreshSales(charts) {
  const ticket = ++latestSales;
  const query = rangeQuery();
  showRange();
  // The key figures first and shown the moment they arrive: the server answers queries one
  // at a time, and the charts' three would otherwise go ahead of them.
  const [stats] = await Promise.allSettled([requestJson("/api/analytics/stats")]);
  if (ticket !== latestSales) return;
  if (stats.status === "fulfilled") showStats(stats.value);
  const [daily, hourly, statuses] = await Promise.allSettled([
    requestJson(`/api/analytics/daily-sales?${query}`),
    requestJson("/api/analytics/hourly-sales"),
    requestJson(`/api/analytics/order-status?${query}`),
  ]);
  if (ticket !== latestSales) return; // the range changed meanwhile: a newer poll is under way

  const use = (result, show, what) => {
    problems.delete(what);
    if (result.status === "fulfilled") show(result.value, charts);
    else problems.set(what, result.reason);
  };
  use(stats, showStats, "Key figures");
  use(hourly, showHourly, "Hourly sales");
  // A range the API refuses (e.g. From after To) is the picker's problem, said next to it.
  const refusal = [daily, statuses].find((result) => result.status === "rejected"
    && result.reason instanceof ApiError && result.reason.status === 400);
  setText($("range-error"), refusal ? refusal.reason.message : "");
  if (refusal) {
    problems.delete("Daily sales");
    problems.delete("Orders by status");
  } else {
    use(daily, showDaily, "Daily sales");
    use(statuses, showStatuses, "Orders by status");
  }
  showProblems();
  if (stats.status === "fulfilled") setText($("updated"), clock.format(new Date()));
}

async function refreshHealth() {
  try {
    showHealth(await requestJson("/api/health", { accept: [503] }));
    problems.delete("Pipeline health");
  } catch (error) {
    showHealth(null);
    problems.set("Pipeline health", error);
  }
  showProblems();
}

function showProblems() {
  const box = $("problem");
  const text = [...problems].map(([what, error]) => `${what}: ${error.message}`).join(" · ");
  box.hidden = problems.size === 0;
  if (box.dataset.text === text) return;
  box.dataset.text = text;
  box.replaceChildren(el("strong", {}, "Some figures are out of date. "), text);
}

/** Run `task` now and then again `ms` after each run ended (so a slow server is never asked
 * twice at once), skipping runs while the page is hidden or `skip()` says so. */
function every(ms, task, skip = () => false) {
  const run = async () => {
    if (!document.hidden && !skip()) await task();
    setTimeout(run, ms);
  };
  run();
}

/** `task`, never running twice at once: a call while it runs makes one more run after it. */
function oneAtATime(task) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
}

/** Shows how the page is kept up to date: "push" (live), "connecting" or "polling". */
function showChannel(state, text) {
  const status = $("channel");
  if (status.dataset.state !== state) status.dataset.state = state;
  setText(status, text);
}

/**
 * The live channel. While it is open the page polls nothing: it refreshes the sales figures
 * when told they changed and shows the health it is sent. Dropped or refused, it leaves the
 * page to its polls and tries again after a growing, jittered delay.
 */
class LiveChannel {
  constructor({ onOpen, onChanged, onHealth }) {
    Object.assign(this, { onOpen, onChanged, onHealth });
    this.socket = null;
    this.open = false;
    this.failures = 0;
    this.silence = null;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${LIVE_PATH}`);
    this.socket = socket;
    showChannel("connecting", this.failures ? "Reconnecting… polling every 2 s meanwhile" : "Connecting…");
    socket.addEventListener("open", () => {
      this.open = true;
      this.failures = 0;
      this.heard();
      showChannel("push", "Live");
      this.onOpen();
    });
    socket.addEventListener("message", (event) => {
      this.heard();
      const message = JSON.parse(event.data);
      if (message.type === "changed") this.onChanged(message.data);
      else if (message.type === "health") this.onHealth(message.data);
    });
    socket.addEventListener("close", () => this.dropped(socket));
  }

  /** Any message proves the channel alive; silence for too long proves it dead. */
  heard() {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => this.socket?.close(), SILENCE_MS);
  }

  dropped(socket) {
    if (socket !== this.socket) return;
    clearTimeout(this.silence);
    this.open = false;
    this.socket = null;
    this.failures += 1;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** (this.failures - 1));
    const jittered = Math.round(delay * (0.8 + 0.4 * Math.random()));
    showChannel("polling", `Live updates lost: polling every 2 s, reconnecting in ${Math.round(jittered / 1000)} s`);
    setTimeout(() => this.connect(), jittered);
  }
}

function start() {
  const charts = createCharts();
  if (!charts) {
    // Only the canvases go: the "no orders" notes beside them are still kept up to date.
    for (const canvas of document.querySelectorAll(".chart-box canvas")) {
      canvas.replaceWith(el("p", { class: "chart-empty" }, "Charts are unavailable: the Chart.js library is not installed (run make install)."));
    }
  }
  const refreshNow = oneAtATime(() => refreshSales(charts));
  for (const button of document.querySelectorAll(".presets button")) {
    button.addEventListener("click", () => {
      range.days = Number(button.dataset.days);
      refreshNow();
    });
  }
  for (const input of [$("start"), $("end")]) {
    input.addEventListener("change", () => {
      Object.assign(range, { days: null, start: $("start").value, end: $("end").value });
      refreshNow();
    });
  }
  $("range").addEventListener("submit", (event) => event.preventDefault());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { refreshNow(); refreshHealth(); }
  });
  const pushOnly = new URLSearchParams(location.search).get("updates") !== "poll";
  const live = pushOnly ? new LiveChannel({
    // What changed while the channel was down is fetched once; then only on notice.
    onOpen: () => { refreshNow(); refreshHealth(); },
    onChanged: () => { if (!document.hidden) refreshNow(); },
    onHealth: (health) => {
      showHealth(health);
      problems.delete("Pipeline health");
      showProblems();
    },
  }) : null;
  if (live) live.connect();
  else showChannel("polling", "Polling every 2 s");
  const pushing = () => live !== null && live.open;
  every(REFRESH_MS, refreshNow, pushing);
  every(REFRESH_MS, refreshHealth, pushing);
}

start();
