/**
 * The visualizer page: one self-contained HTML document (no CDN, no fonts, no build step) embedded in
 * the binary. It reads `/events` (server-sent events: the whole ClusterView on every change, coalesced)
 * and draws nodes as columns and tasks as cards colored per service; a down node is greyed with the
 * tasks it last ran. Text is set with textContent only (names come from users).
 *
 * DOM contract (the browser test relies on it): `.node[data-hostname][data-status][data-role]`,
 * `.task[data-service][data-slot][data-state]` inside its node's `.tasks`, `#status` with the last
 * update, `#unassigned .task` for tasks not placed yet.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swarm visualizer</title>
<style>
  :root { --bg: #f4f5f7; --fg: #1d2129; --muted: #6b7280; --card: #fff; --line: #d8dbe0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
  header { display: flex; gap: 16px; align-items: baseline; padding: 10px 16px; background: #1d2129; color: #fff; }
  header h1 { font-size: 16px; margin: 0; font-weight: 600; }
  header .meta { color: #c3c8d1; font-size: 12px; }
  #status.stale { color: #ffb4a8; }
  #message { margin: 16px; padding: 12px; background: #fff3cd; border: 1px solid #f0d58c; border-radius: 6px; display: none; }
  #board { display: flex; gap: 12px; padding: 12px 16px; overflow-x: auto; align-items: flex-start; }
  .node { flex: 0 0 220px; background: #e9ebef; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
  .node h2 { margin: 0 0 4px; font-size: 14px; display: flex; justify-content: space-between; gap: 6px; }
  .node .facts { font-size: 11px; color: var(--muted); margin-bottom: 6px; }
  .node .facts span { display: inline-block; margin-right: 6px; }
  .badge { font-size: 10px; font-weight: 600; padding: 1px 5px; border-radius: 9px; background: #c9ced6; color: #1d2129; text-transform: uppercase; }
  .badge.ready { background: #b9e4c4; } .badge.down { background: #f3b4ad; } .badge.leader { background: #ffd98a; }
  .node.down { opacity: .45; filter: grayscale(1); border-style: dashed; }
  .node.drain .tasks, .node.pause .tasks { outline: 2px dashed #d19a00; outline-offset: 2px; }
  .tasks { display: flex; flex-direction: column; gap: 6px; min-height: 24px; }
  .task { border-radius: 6px; padding: 6px 8px; color: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.15); }
  .task .name { font-weight: 600; }
  .task .state, .task .image { font-size: 11px; opacity: .9; word-break: break-all; }
  .task.last { border: 2px dashed #555; }
  .task.pending, .task.assigned, .task.accepted, .task.preparing, .task.starting, .task.new { opacity: .75; }
  .task.stopping { opacity: .55; }
  .task .err { font-size: 11px; background: rgba(0,0,0,.25); margin-top: 3px; padding: 2px 4px; border-radius: 3px; }
  #legend { display: flex; flex-wrap: wrap; gap: 8px; padding: 0 16px 12px; font-size: 12px; }
  #legend .svc { display: flex; gap: 5px; align-items: center; }
  #legend .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; }
</style>
</head>
<body>
<header><h1>swarm</h1><span class="meta" id="summary">connecting…</span><span class="meta" id="status"></span></header>
<div id="message"></div>
<div id="legend"></div>
<div id="board"></div>
<script>
(function () {
  "use strict";
  // Twelve colors far apart (white text stays readable on each); a service keeps its color everywhere.
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e6550d", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939"];
  function color(name) {
    var h = 2166136261;
    for (var i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 16777619); }
    return PALETTE[(h >>> 0) % PALETTE.length];
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function taskCard(t) {
    var stopping = t.desired !== "running" && !t.last;
    var c = el("div", "task " + t.state + (t.last ? " last" : "") + (stopping ? " stopping" : ""));
    c.dataset.service = t.service;
    c.dataset.slot = t.slot === null ? "" : String(t.slot);
    c.dataset.state = t.state;
    c.dataset.id = t.id;
    c.style.background = color(t.service);
    c.title = t.id + (t.error ? "\\n" + t.error : "");
    c.appendChild(el("div", "name", t.name));
    c.appendChild(el("div", "state", t.state + (stopping ? " → " + t.desired : "") + (t.last ? " (last seen)" : "")));
    c.appendChild(el("div", "image", t.image));
    if (t.error) c.appendChild(el("div", "err", t.error));
    return c;
  }
  function column(n, tasks) {
    var col = el("section", "node " + n.status + " " + n.availability);
    col.dataset.hostname = n.hostname;
    col.dataset.status = n.status;
    col.dataset.role = n.role;
    col.dataset.id = n.id;
    var h = el("h2");
    h.appendChild(el("span", "host", n.hostname + (n.self ? " *" : "")));
    var badges = el("span");
    if (n.leader) badges.appendChild(el("span", "badge leader", "leader"));
    badges.appendChild(el("span", "badge " + n.status, n.status));
    h.appendChild(badges);
    col.appendChild(h);
    var f = el("div", "facts");
    f.appendChild(el("span", "role", n.role));
    f.appendChild(el("span", "availability", n.availability));
    f.appendChild(el("span", "engine", "engine " + (n.engine || "?")));
    if (n.addr) f.appendChild(el("span", "addr", n.addr));
    col.appendChild(f);
    var list = el("div", "tasks");
    tasks.forEach(function (t) { list.appendChild(taskCard(t)); });
    col.appendChild(list);
    return col;
  }
  var lastAt = 0;
  function render(v) {
    lastAt = Date.now();
    var msg = document.getElementById("message");
    var board = document.getElementById("board");
    var legend = document.getElementById("legend");
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString() + " (index " + v.index + ")";
    document.getElementById("status").className = "meta";
    if (!v.manager) {
      msg.style.display = "block";
      msg.textContent = v.error || "this node is not a manager";
      board.replaceChildren();
      legend.replaceChildren();
      document.getElementById("summary").textContent = "not a manager";
      return;
    }
    msg.style.display = "none";
    var byNode = {};
    var unassigned = [];
    v.tasks.forEach(function (t) {
      if (t.nodeId) (byNode[t.nodeId] = byNode[t.nodeId] || []).push(t);
      else unassigned.push(t);
    });
    var cols = v.nodes.map(function (n) { return column(n, byNode[n.id] || []); });
    if (unassigned.length) {
      var u = column({ id: "", hostname: "unassigned", role: "", status: "pending", availability: "", engine: "", addr: "", leader: false, self: false }, unassigned);
      u.id = "unassigned";
      cols.push(u);
    }
    board.replaceChildren.apply(board, cols);
    legend.replaceChildren.apply(legend, v.services.map(function (s) {
      var e = el("span", "svc");
      var dot = el("span", "dot");
      dot.style.background = color(s.name);
      e.appendChild(dot);
      e.appendChild(el("span", "", s.name + " " + s.running + "/" + (s.replicas === null ? "global" : s.replicas) + " · " + s.image));
      return e;
    }));
    var down = v.nodes.filter(function (n) { return n.status === "down"; }).length;
    document.getElementById("summary").textContent =
      v.nodes.length + " nodes" + (down ? " (" + down + " down)" : "") + " · " + v.services.length + " services · " +
      v.tasks.filter(function (t) { return !t.last; }).length + " tasks";
  }
  var es = new EventSource("events");
  es.addEventListener("cluster", function (e) { render(JSON.parse(e.data)); });
  es.onerror = function () {
    var s = document.getElementById("status");
    s.textContent = "disconnected, retrying…";
    s.className = "meta stale";
  };
})();
</script>
</body>
</html>
`;
