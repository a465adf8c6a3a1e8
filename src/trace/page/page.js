// gilvm trace page: draws the data in G (filled by the chunks above) on a canvas.
// Lanes: the GIL first, then one per thread. Time is virtual (ns).
(function () {
  'use strict';
  const errors = [];
  window.addEventListener('error', (e) => {
    errors.push(String(e.message));
    document.body.dataset.errors = errors.join(' | ');
  });
  const $ = (id) => document.getElementById(id);
  const LANE = 30;
  const meta = G.meta || {header: {}, source: []};
  const h = meta.header;
  const end = G.end || {t_ns: 0, steps: 0, exit_code: 0, switches: 0, lost_events: 0, lost_updates: 0};
  const ns = h.ns_per_instr || 4;

  const fmtTime = (t) => t < 1000 ? t.toFixed(0) + ' ns' : t < 1e6 ? (t / 1e3).toFixed(3) + ' µs'
    : t < 1e9 ? (t / 1e6).toFixed(3) + ' ms' : (t / 1e9).toFixed(3) + ' s';
  const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

  // Threads, lanes and colours.
  const threads = G.threads.slice().sort((a, b) => a.tid - b.tid);
  const laneOf = new Map();
  threads.forEach((t, i) => laneOf.set(t.tid, i + 1));
  const nameOf = new Map(threads.map((t) => [t.tid, t.name]));
  const color = (tid) => tid === 0 ? 'hsl(215, 15%, 55%)' : 'hsl(' + ((tid * 137.5 + 200) % 360) + ', 62%, 52%)';

  $('meta').textContent = h.program + ' · seed ' + h.seed + ' · model ' + h.model + ' (' + h.interval + ') · ' + group(end.steps) + ' instructions · ' + group(end.switches) + ' switches · ' +
    fmtTime(end.t_ns) + ' of virtual time · ' + group(end.lost_updates) + ' updates lost in ' +
    group(end.lost_events) + ' stores · exit status ' + end.exit_code;
  $('legend').innerHTML = '<span class="key" style="background:#888"></span>running' +
    '<span class="key" style="background:repeating-linear-gradient(45deg,#bbb 0 3px,#fff 3px 6px)"></span>blocked' +
    '<span class="key" style="background:#c62828"></span>lost update';

  const labels = $('lane-labels');
  const gilLane = document.createElement('div');
  gilLane.className = 'lane gil';
  gilLane.dataset.lane = 'gil';
  gilLane.textContent = 'GIL (who holds it)';
  labels.appendChild(gilLane);
  for (const t of threads) {
    const d = document.createElement('div');
    d.className = 'lane';
    d.dataset.tid = String(t.tid);
    d.title = t.name;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color(t.tid);
    d.appendChild(sw);
    d.appendChild(document.createTextNode(t.label + ' · ' + t.name));
    labels.appendChild(d);
  }

  // Per-lane arrays sorted by start time, for binary search while drawing.
  const turnsBy = new Map();
  for (const r of G.turns) {
    if (!turnsBy.has(r[1])) turnsBy.set(r[1], []);
    turnsBy.get(r[1]).push(r);
  }
  const allTurns = G.turns;
  const blocksBy = new Map();
  for (const r of G.blocks) {
    if (!blocksBy.has(r[1])) blocksBy.set(r[1], []);
    blocksBy.get(r[1]).push(r);
  }
  for (const a of blocksBy.values()) a.sort((x, y) => x[2] - y[2]);
  const lostMarks = G.lost.map((l, i) => ({t: l.t_ns, tid: l.tid, i})).concat(
    G.marks.map((m) => ({t: m[1], tid: m[2], i: -1})));

  const canvas = $('timeline');
  const ctx = canvas.getContext('2d');
  const lanes = threads.length + 1;
  let t0 = 0;
  let t1 = Math.max(end.t_ns, G.extendTo || 0, 1);
  let width = 0;

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    width = canvas.parentElement.clientWidth || 600;
    canvas.style.height = (lanes * LANE) + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(lanes * LANE * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  const xOf = (t) => (t - t0) / (t1 - t0) * width;
  const tOf = (x) => t0 + x / width * (t1 - t0);

  // First index whose end (field e) is >= t, in an array sorted by start.
  function firstEnding(arr, t, e) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid][e] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // Draws intervals [start=s, end=e] of arr on a lane, merging sub-pixel ones.
  function bars(arr, s, e, y, fill) {
    let lastPx = -1;
    for (let i = firstEnding(arr, t0, e); i < arr.length; i++) {
      const r = arr[i];
      if (r[s] > t1) break;
      const x1 = Math.max(0, xOf(r[s]));
      const x2 = Math.min(width, xOf(r[e]));
      if (x2 - x1 < 1) {
        const px = Math.floor(x1);
        if (px === lastPx) continue;
        lastPx = px;
        ctx.fillStyle = typeof fill === 'function' ? fill(r) : fill;
        ctx.fillRect(px, y + 4, 1, LANE - 9);
      } else {
        ctx.fillStyle = typeof fill === 'function' ? fill(r) : fill;
        ctx.fillRect(x1, y + 4, Math.max(1, x2 - x1), LANE - 9);
        lastPx = Math.floor(x2);
      }
    }
  }

  let hatch = null;
  function hatchPattern() {
    if (hatch) return hatch;
    const c = document.createElement('canvas');
    c.width = 6; c.height = 6;
    const g = c.getContext('2d');
    g.strokeStyle = '#b0b6c0';
    g.beginPath(); g.moveTo(0, 6); g.lineTo(6, 0); g.stroke();
    hatch = ctx.createPattern(c, 'repeat');
    return hatch;
  }

  function draw() {
    ctx.clearRect(0, 0, width, lanes * LANE);
    for (let l = 0; l < lanes; l++) {
      ctx.fillStyle = l === 0 ? '#f0f2f6' : (l % 2 ? '#ffffff' : '#fafbfc');
      ctx.fillRect(0, l * LANE, width, LANE);
    }
    bars(allTurns, 2, 3, 0, (r) => color(r[1]));
    for (const t of threads) {
      const y = laneOf.get(t.tid) * LANE;
      bars(blocksBy.get(t.tid) || [], 2, 3, y, hatchPattern());
      bars(turnsBy.get(t.tid) || [], 2, 3, y, color(t.tid));
    }
    // Drawings of other parts of the page (views.js: lock-held spans, crashes, deadlocks).
    const view = {ctx, xOf, laneOf, LANE, width, t0, t1, color, lanes};
    for (const f of (G.drawHooks || [])) f(view);
    ctx.fillStyle = '#c62828';
    let lastPx = new Map();
    for (const m of lostMarks) {
      if (m.t < t0 || m.t > t1) continue;
      const x = Math.round(xOf(m.t));
      if (lastPx.get(m.tid) === x) continue;
      lastPx.set(m.tid, x);
      const y = (laneOf.get(m.tid) || 0) * LANE;
      ctx.beginPath();
      ctx.moveTo(x, y + 1); ctx.lineTo(x - 5, y + 10); ctx.lineTo(x + 5, y + 10); ctx.closePath();
      ctx.fill();
      ctx.fillRect(x - 0.5, y + 8, 1, LANE - 10);
    }
    if (chosen) {
      const x = xOf(chosen.t_ns);
      ctx.strokeStyle = '#c62828';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, lanes * LANE); ctx.stroke();
      ctx.setLineDash([]);
    }
    $('range').textContent = fmtTime(t0) + ' – ' + fmtTime(t1);
  }

  function zoom(factor, centerX) {
    const c = tOf(centerX === undefined ? width / 2 : centerX);
    const span = Math.max((t1 - t0) * factor, ns * 4);
    t0 = c - (c - t0) * span / (t1 - t0);
    t1 = t0 + span;
    clamp();
    draw();
  }
  function clamp() {
    const span = t1 - t0;
    const max = Math.max(end.t_ns, G.extendTo || 0, 1);
    if (span >= max) { t0 = 0; t1 = max; return; }
    if (t0 < 0) { t0 = 0; t1 = span; }
    if (t1 > max) { t1 = max; t0 = max - span; }
  }

  // What is under the pointer: a lost mark, a blocked interval or a turn.
  function hit(x, y) {
    const lane = Math.floor(y / LANE);
    const t = tOf(x);
    const slack = (t1 - t0) / width * 6;
    for (const m of lostMarks) {
      if (Math.abs(m.t - t) <= slack && (laneOf.get(m.tid) || 0) === lane) return {lost: m};
    }
    const tid = lane === 0 ? null : threads[lane - 1] && threads[lane - 1].tid;
    const arr = lane === 0 ? allTurns : (turnsBy.get(tid) || []);
    const i = firstEnding(arr, t, 3);
    if (i < arr.length && arr[i][2] <= t) return {turn: arr[i]};
    const barr = blocksBy.get(tid) || [];
    const j = firstEnding(barr, t, 3);
    if (j < barr.length && barr[j][2] <= t) return {block: barr[j], tid};
    return null;
  }

  function describe(hitv) {
    if (!hitv) return null;
    if (hitv.lost) {
      const l = hitv.lost.i >= 0 ? G.lost[hitv.lost.i] : null;
      return l ? 'Lost update on ' + l.var + ' at ' + fmtTime(l.t_ns) + '\n' + l.explanation
        : 'Lost update at ' + fmtTime(hitv.lost.t) + ' by ' + nameOf.get(hitv.lost.tid) +
          ' (only the first ' + G.lost.length + ' are explained)';
    }
    if (hitv.turn) {
      const r = hitv.turn;
      return nameOf.get(r[1]) + ' holds the GIL from ' + fmtTime(r[2]) + ' to ' + fmtTime(r[3]) + '\n' +
        group(r[5]) + ' instructions from step ' + group(r[4]) + '; then: ' + r[6];
    }
    const b = hitv.block;
    return nameOf.get(hitv.tid) + ' is blocked at line ' + b[5] + ' from ' + fmtTime(b[2]) + ' to ' +
      fmtTime(b[3]) + '\nwaiting ' + b[4];
  }

  let chosen = null;
  function choose(i) {
    const l = G.lost[i];
    if (!l) return;
    chosen = l;
    const d = $('detail');
    d.innerHTML = '';
    const p = document.createElement('p');
    p.innerHTML = '<b>Lost update #' + (i + 1) + ' on ' + esc(l.var) + '</b> at ' + fmtTime(l.t_ns) +
      ' (step ' + group(l.step) + '): ' + esc(l.explanation);
    d.appendChild(p);
    for (const li of document.querySelectorAll('#source li')) {
      li.classList.remove('read', 'other', 'store');
      const tag = li.querySelector('.tag');
      if (tag) tag.remove();
    }
    // One tag per line, naming every step of the story that happened on it.
    const tags = new Map();
    const mark = (line, cls, text) => {
      if (!tags.has(line)) tags.set(line, {cls, texts: []});
      tags.get(line).texts.push(text);
    };
    const vn = nameOf.get(l.tid), on = nameOf.get(l.other_tid);
    mark(l.read_line, 'read', vn + ' read ' + (l.read_value || ''));
    mark(l.other_line, 'other', on + ' wrote ' + (l.other_value || ''));
    mark(l.store_line, 'store', vn + ' stored ' + (l.stored_value || ''));
    for (const [line, tg] of tags) {
      const li = document.querySelector('#source li[data-line="' + line + '"]');
      if (!li) continue;
      li.classList.add(tg.texts.length > 1 ? 'store' : tg.cls);
      const s = document.createElement('span');
      s.className = 'tag';
      s.textContent = tg.texts.join(' → ');
      li.appendChild(s);
    }
    for (const li of document.querySelectorAll('#lost-list li')) li.classList.toggle('chosen', li.dataset.i === String(i));
    for (const f of (G.chooseHooks || [])) f(l);
    const span = Math.max(end.t_ns / Math.max(1, G.turns.length) * 8, 200);
    t0 = l.t_ns - span * 0.7; t1 = t0 + span;
    clamp();
    draw();
  }

  // For the other scripts: zoom to an interval, redraw.
  G.zoomTo = function (a, b) { t0 = a; t1 = Math.max(b, a + ns * 4); clamp(); draw(); };
  G.redraw = function () { draw(); };

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  }

  // Source, lost-update list, output, notes.
  const src = $('source');
  meta.source.forEach((text, i) => {
    const li = document.createElement('li');
    li.dataset.line = String(i + 1);
    li.textContent = text;
    src.appendChild(li);
  });
  const list = $('lost-list');
  G.lost.forEach((l, i) => {
    const li = document.createElement('li');
    li.dataset.i = String(i);
    li.textContent = fmtTime(l.t_ns) + ' · ' + l.var + ': ' + l.explanation;
    li.addEventListener('click', () => choose(i));
    list.appendChild(li);
  });
  if (!G.lost.length) {
    const li = document.createElement('li');
    li.textContent = 'No lost updates in this run.';
    list.appendChild(li);
  }
  $('output').textContent = G.prints.map((p) => p[3]).join('\n') || '(the program printed nothing)';
  const notes = [];
  const dr = G.dropped || {};
  if (G.marks.length) notes.push('Lost updates after the first ' + G.lost.length + ' are marked but not explained.');
  if (dr.turns) notes.push(group(dr.turns) + ' later turns are not drawn (the page keeps the first ' + group(G.turns.length) + ').');
  if (dr.blocks) notes.push(group(dr.blocks) + ' later blocked intervals are not drawn.');
  if (dr.lost) notes.push(group(dr.lost) + ' later lost updates are not marked.');
  if (dr.prints) notes.push(group(dr.prints) + ' later output lines are not shown.');
  $('notes').textContent = notes.join(' ');

  // Interaction: wheel zooms around the pointer, drag pans, hover explains, click chooses.
  const tip = $('tooltip');
  let drag = null;
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, e.offsetX);
  }, {passive: false});
  canvas.addEventListener('mousedown', (e) => { drag = {x: e.clientX, t0, t1, moved: false}; });
  window.addEventListener('mouseup', () => { setTimeout(() => { drag = null; }, 0); });
  canvas.addEventListener('mousemove', (e) => {
    if (drag && e.buttons) {
      const dt = (e.clientX - drag.x) / width * (drag.t1 - drag.t0);
      if (Math.abs(e.clientX - drag.x) > 2) drag.moved = true;
      t0 = drag.t0 - dt; t1 = drag.t1 - dt;
      clamp(); draw();
      tip.hidden = true;
      return;
    }
    let text = null;
    for (const f of (G.hitHooks || [])) {
      text = text || f(e.offsetX, e.offsetY, {xOf, tOf, laneOf, LANE, width, t0, t1, threads});
    }
    text = text || describe(hit(e.offsetX, e.offsetY));
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 470) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  });
  canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
  canvas.addEventListener('click', (e) => {
    if (drag && drag.moved) return;
    const hv = hit(e.offsetX, e.offsetY);
    if (hv && hv.lost && hv.lost.i >= 0) choose(hv.lost.i);
  });
  $('fit').addEventListener('click', () => { t0 = 0; t1 = Math.max(end.t_ns, G.extendTo || 0, 1); draw(); });
  $('zoom-in').addEventListener('click', () => zoom(0.5));
  $('zoom-out').addEventListener('click', () => zoom(2));
  window.addEventListener('resize', resize);
  resize();
  if (G.lost.length) choose(0);
  for (const f of (G.readyHooks || [])) f();
  document.body.dataset.status = errors.length ? 'error' : 'ready';
})();
