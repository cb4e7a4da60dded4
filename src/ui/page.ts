/**
 * The dashboard page: one HTML document with its CSS and script inline; charts by uPlot,
 * served by flowgate itself from the installed package (no CDN). It renders what
 * /ui/events streams: a card per endpoint with its variants, shadows and rollout, and
 * charts of req/s and p99 per variant over the last 15 minutes.
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flowgate</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/ui/assets/uplot.css">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; }
#status { font-size: 12px; opacity: .8; }
main { padding: 16px 20px; display: grid; gap: 16px; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.card h2 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th:first-child, td:first-child, td.uri { text-align: left; }
th { font-weight: 600; color: #5b6475; font-size: 12px; }
.rollout { margin: 10px 0; padding: 8px 12px; border-radius: 6px; background: #eef3fb; }
.rollout.failed, .rollout.aborted { background: #fdecec; }
.rollout.succeeded { background: #eaf7ee; }
.bar { height: 8px; background: #d9dee7; border-radius: 4px; overflow: hidden; margin: 6px 0; }
.bar > div { height: 100%; background: #3b73d9; }
.gates { font-size: 12px; color: #5b6475; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
</style>
</head>
<body>
<header><h1>flowgate</h1><span id="status">connecting…</span></header>
<main id="endpoints"></main>
<script src="/ui/assets/uplot.js"></script>
<script>
"use strict";
const main = document.getElementById("endpoints");
const status = document.getElementById("status");
const history = [];
const charts = new Map();
const fmt = (x, d = 1) => x === null || x === undefined ? "–" : Number(x).toFixed(d);
const pct = (x) => x === null || x === undefined ? "–" : (100 * x).toFixed(1) + " %";
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function rolloutHtml(r) {
  if (!r) return "";
  const steps = r.steps.length;
  const at = r.step === null ? (r.phase === "succeeded" ? steps : 0) : r.step + 1;
  const f = r.figures || {};
  const g = r.gates;
  const gate = (label, value, limit) => limit === null || limit === undefined ? "" : label + " " + value + " (limit " + limit + ") · ";
  return '<div class="rollout ' + esc(r.phase) + '" data-testid="rollout">' +
    "<b>rollout " + esc(r.from) + " → " + esc(r.to) + "</b>: <span data-testid=\\"rollout-phase\\">" + esc(r.phase) + "</span>" +
    (r.step === null ? "" : ', <span data-testid="rollout-step">step ' + (r.step + 1) + " of " + steps + "</span> (" + r.percent + " % to " + esc(r.to) + ")") +
    " · versions " + esc(r.fromVersion) + " → " + esc(r.toVersion) +
    '<div class="bar"><div style="width:' + (100 * at / steps) + '%"></div></div>' +
    '<div class="gates">requests ' + (f.requests ?? 0) + " / " + g.minRequests + " · " +
    gate("error rate", pct(f.errorRate), g.maxErrorRate === null ? null : pct(g.maxErrorRate)) +
    gate("p99 ratio", fmt(f.p99Ratio, 2), g.maxP99Ratio) +
    gate("shadow agreement", pct(f.shadowAgreement), g.minShadowAgreement === null ? null : pct(g.minShadowAgreement)) +
    gate("reward Δ", fmt(f.rewardDelta, 3), g.minRewardDelta) +
    (r.reason ? "<br>" + esc(r.reason) : "") + "</div></div>";
}

function render(point) {
  for (const e of point.endpoints) {
    let card = document.getElementById("endpoint-" + e.name);
    if (!card) {
      card = document.createElement("section");
      card.className = "card";
      card.id = "endpoint-" + e.name;
      card.dataset.testid = "endpoint";
      card.innerHTML = "<h2>" + esc(e.name) + '</h2><div class="body"></div><div class="charts"></div>';
      main.appendChild(card);
    }
    const rows = e.variants.map((v) => '<tr data-testid="variant" data-variant="' + esc(v.name) + '"><td>' + esc(v.name) + '</td><td class="uri">' + esc(v.model_uri) +
      "</td><td>" + esc(v.version ?? "–") + "</td><td>" + pct(v.share) + '</td><td data-testid="rps">' + fmt(v.rps) + '</td><td data-testid="requests">' + v.requests +
      "</td><td>" + fmt(v.p50_ms, 2) + "</td><td>" + fmt(v.p99_ms, 2) + "</td><td>" + pct(v.error_rate) + "</td><td>" + pct(v.shadow_agreement) +
      "</td><td>" + pct(v.accuracy) + "</td><td>" + fmt(v.mae, 3) + "</td><td>" + fmt(v.mean_reward, 3) + "</td></tr>").join("");
    const shadows = e.shadows.map((s) => "<tr><td>shadow " + esc(s.name) + '</td><td class="uri">' + esc(s.model_uri) + "</td><td>" + esc(s.version ?? "–") +
      '</td><td colspan="6"></td><td>' + pct(s.agreement) + ' (' + s.copies + ')</td><td colspan="3"></td></tr>').join("");
    card.querySelector(".body").innerHTML = rolloutHtml(e.rollout) +
      "<table><tr><th>variant</th><th>model</th><th>version</th><th>share</th><th>req/s</th><th>requests</th><th>p50 ms</th><th>p99 ms</th><th>errors</th>" +
      "<th>shadow agree</th><th>accuracy</th><th>MAE</th><th>reward</th></tr>" + rows + shadows + "</table>";
    drawCharts(card, e.name, e.variants.map((v) => v.name));
  }
}

function series(endpoint, variant, field) {
  return history.map((p) => {
    const e = p.endpoints.find((x) => x.name === endpoint);
    const v = e && e.variants.find((x) => x.name === variant);
    return v ? v[field] : null;
  });
}

function drawCharts(card, endpoint, variants) {
  if (typeof uPlot === "undefined") return;
  const times = history.map((p) => p.time / 1000);
  for (const [field, title] of [["rps", "req/s"], ["p99_ms", "p99 ms"]]) {
    const key = endpoint + "/" + field + "/" + variants.join(",");
    const data = [times, ...variants.map((v) => series(endpoint, v, field))];
    let chart = charts.get(key);
    if (!chart) {
      const colors = ["#3b73d9", "#e0702b", "#2ba36a", "#9b59b6", "#c0392b"];
      chart = new uPlot({ title, width: 420, height: 180, series: [{}, ...variants.map((v, i) => ({ label: v, stroke: colors[i % colors.length] }))] }, data, card.querySelector(".charts"));
      charts.set(key, chart);
    } else {
      chart.setData(data);
    }
  }
}

const events = new EventSource("/ui/events");
events.addEventListener("history", (m) => { history.splice(0, history.length, ...JSON.parse(m.data)); if (history.length) render(history[history.length - 1]); });
events.addEventListener("point", (m) => {
  const p = JSON.parse(m.data);
  history.push(p);
  while (history.length > 450) history.shift();
  render(p);
  status.textContent = "live · " + new Date(p.time).toLocaleTimeString();
});
events.onerror = () => { status.textContent = "disconnected, retrying…"; };
</script>
</body>
</html>
`;
