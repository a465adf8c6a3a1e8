// gilvm trace page, part three (runs after views.js, before page.js): the race itself —
// the read-to-stale-store window of each lost update drawn on both threads' lanes, the
// check-then-act findings (check, the other thread's write, the act), a track per watched
// variable with its values over time, and the scrubber, which moves one instruction at a time
// through the recorded run showing each thread's current line, its locals and the shared
// values at that moment. Data (src/trace/scrub.rs): G.steps rows ['S', first step, tids,
// lines, gaps] (gaps between the steps; none when they are consecutive); G.localsRows ['L', step, tid, function, [name, repr…]] (the running frame's locals
// from that step on); G.values ['v', step, t_ns, var, repr]; G.watched names.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const h = (G.meta && G.meta.header) || {};
  const nsPer = h.ns_per_instr || 4;
  const end = G.end || {t_ns: 0, steps: 0};
  const dr = G.dropped || {};
  const nameOf = new Map(G.threads.map((t) => [t.tid, t.name]));
  const tname = (tid) => nameOf.get(tid) || ('T' + tid);
  const color = (tid) => tid === 0 ? 'hsl(215, 15%, 55%)' : 'hsl(' + ((tid * 137.5 + 200) % 360) + ', 62%, 52%)';
  const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fmtTime = (t) => t < 1000 ? t.toFixed(0) + ' ns' : t < 1e6 ? (t / 1e3).toFixed(3) + ' µs'
    : t < 1e9 ? (t / 1e6).toFixed(3) + ' ms' : (t / 1e9).toFixed(3) + ' s';
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  const src = (G.meta && G.meta.source) || [];

  // A link to a step (`page.html#step=263`), read before choosing a lost update rewrites it.
  const linked = /step=(\d+)/.exec(location.hash || '');
  // ---- The recorded steps, flattened.
  let n = 0;
  for (const r of G.steps) n += r[2].length;
  const S = new Float64Array(n), T = new Int32Array(n), L = new Int32Array(n);
  {
    let i = 0;
    for (const r of G.steps) {
      let s = r[1];
      for (let k = 0; k < r[2].length; k++, i++) {
        if (k) s += r[4] ? r[4][k - 1] : 1;
        S[i] = s; T[i] = r[2][k]; L[i] = r[3][k];
      }
    }
  }
  // Per thread: the indexes of its steps.
  const byThread = new Map();
  for (let i = 0; i < n; i++) {
    if (!byThread.has(T[i])) byThread.set(T[i], []);
    byThread.get(T[i]).push(i);
  }
  // Last element of a sorted array whose key is <= x (-1 when none).
  function lastAtOrBefore(arr, x, key) {
    let lo = 0, hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(arr[mid]) <= x) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }
  const localsBy = new Map();
  // Rows are compact: the function is null when it is the thread's previous row's, and the
  // locals are flat [name, repr, name, repr…].
  for (const row of G.localsRows) {
    if (!localsBy.has(row[2])) localsBy.set(row[2], []);
    const mine = localsBy.get(row[2]);
    const fn = row[3] === null && mine.length ? mine[mine.length - 1][3] : row[3];
    const pairs = [];
    for (let k = 0; k + 1 < row[4].length; k += 2) pairs.push([row[4][k], row[4][k + 1]]);
    mine.push(['L', row[1], row[2], fn, pairs]);
  }
  const watched = G.watched || [];
  const valuesBy = watched.map(() => []);
  for (const r of G.values) if (valuesBy[r[3]]) valuesBy[r[3]].push(r);
  // The virtual time of a step: from the turn that ran it.
  const turns = G.turns;
  function timeOf(step) {
    const j = lastAtOrBefore(turns, step, (r) => r[4]);
    if (j >= 0 && step < turns[j][4] + Math.max(1, turns[j][5])) return turns[j][2] + (step - turns[j][4]) * nsPer;
    return step * nsPer;
  }
  const stepIndex = (step) => Math.max(0, lastAtOrBefore(S, step, (x) => x));

  // ---- The race windows and check-then-act findings on the lanes.
  const cta = G.cta || [];
  G.drawHooks.push(function (v) {
    const ctx = v.ctx;
    // What was drawn, for tests and for reading the page's DOM: `tid:from-to` per window.
    const drawn = {windows: [], cta: [], writes: []};
    const band = (tid, a, b, fill, stroke) => {
      const lane = v.laneOf.get(tid);
      if (lane === undefined || b < v.t0 || a > v.t1) return;
      (fill.indexOf('198') >= 0 ? drawn.windows : drawn.cta).push(tid + ':' + a + '-' + b);
      const x1 = Math.max(0, v.xOf(a)), x2 = Math.min(v.width, v.xOf(b));
      const y = lane * v.LANE + 2;
      ctx.fillStyle = fill;
      ctx.fillRect(x1, y, Math.max(2, x2 - x1), v.LANE - 4);
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x1, y); ctx.lineTo(x1, y + v.LANE - 4);
      ctx.moveTo(Math.max(x1 + 2, x2), y); ctx.lineTo(Math.max(x1 + 2, x2), y + v.LANE - 4);
      ctx.stroke();
      ctx.lineWidth = 1;
    };
    const diamond = (tid, t, fill) => {
      const lane = v.laneOf.get(tid);
      if (lane === undefined || t < v.t0 || t > v.t1) return null;
      drawn.writes.push(tid + '@' + t);
      const x = v.xOf(t), y = lane * v.LANE + v.LANE / 2;
      ctx.fillStyle = fill;
      ctx.beginPath(); ctx.moveTo(x, y - 6); ctx.lineTo(x + 6, y); ctx.lineTo(x, y + 6); ctx.lineTo(x - 6, y); ctx.closePath(); ctx.fill();
      return {x, y};
    };
    const link = (fromTid, t, toTid, stroke) => {
      const a = v.laneOf.get(fromTid), b = v.laneOf.get(toTid);
      if (a === undefined || b === undefined || t < v.t0 || t > v.t1) return;
      const x = v.xOf(t);
      ctx.strokeStyle = stroke; ctx.setLineDash([3, 3]);
      ctx.beginPath(); ctx.moveTo(x, a * v.LANE + v.LANE / 2); ctx.lineTo(x, b * v.LANE + v.LANE / 2); ctx.stroke();
      ctx.setLineDash([]);
    };
    for (const l of G.lost) {
      if (l.read_t_ns == null) continue;
      band(l.tid, l.read_t_ns, l.t_ns, 'rgba(198, 40, 40, 0.16)', 'rgba(198, 40, 40, 0.8)');
      if (l.other_t_ns != null) {
        link(l.other_tid, l.other_t_ns, l.tid, 'rgba(230, 120, 0, 0.9)');
        diamond(l.other_tid, l.other_t_ns, '#e67800');
      }
    }
    for (const c of cta) {
      if (c.check_t_ns != null) band(c.tid, c.check_t_ns, c.t_ns, 'rgba(123, 31, 162, 0.15)', 'rgba(123, 31, 162, 0.85)');
      if (c.other_t_ns != null) {
        link(c.other_tid, c.other_t_ns, c.tid, 'rgba(123, 31, 162, 0.9)');
        diamond(c.other_tid, c.other_t_ns, '#7b1fa2');
      }
      const lane = v.laneOf.get(c.tid);
      if (lane !== undefined && c.t_ns >= v.t0 && c.t_ns <= v.t1) {
        const x = Math.round(v.xOf(c.t_ns)), y = lane * v.LANE;
        ctx.fillStyle = '#7b1fa2';
        ctx.beginPath(); ctx.moveTo(x, y + 1); ctx.lineTo(x - 5, y + 10); ctx.lineTo(x + 5, y + 10); ctx.closePath(); ctx.fill();
        ctx.fillRect(x - 0.5, y + 8, 1, v.LANE - 10);
      }
    }
    // The scrubber's position.
    if (n) {
      const t = timeOf(S[pos]);
      if (t >= v.t0 && t <= v.t1) {
        const x = v.xOf(t);
        ctx.strokeStyle = '#1565c0'; ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, v.lanes * v.LANE); ctx.stroke();
        ctx.lineWidth = 1;
      }
    }
    drawTracks(v);
    const cv = $('timeline');
    cv.dataset.raceWindows = drawn.windows.slice(0, 50).join(' ');
    cv.dataset.ctaWindows = drawn.cta.slice(0, 50).join(' ');
    cv.dataset.otherWrites = drawn.writes.slice(0, 50).join(' ');
  });

  G.hitHooks.push(function (x, y, v) {
    const lane = Math.floor(y / v.LANE);
    const t = v.tOf(x);
    const slack = (v.t1 - v.t0) / v.width * 6;
    for (const c of cta) {
      if (v.laneOf.get(c.tid) === lane && Math.abs(c.t_ns - t) <= slack) return 'Check-then-act at ' + fmtTime(c.t_ns) + '\n' + c.explanation;
      if (c.other_t_ns != null && v.laneOf.get(c.other_tid) === lane && Math.abs(c.other_t_ns - t) <= slack) {
        return tname(c.other_tid) + '\'s write at line ' + c.other_line + ' makes ' + tname(c.tid) + '\'s check stale\n' + c.explanation;
      }
    }
    for (const l of G.lost) {
      if (l.other_t_ns != null && v.laneOf.get(l.other_tid) === lane && Math.abs(l.other_t_ns - t) <= slack) {
        return tname(l.other_tid) + ' stores ' + l.var + ' = ' + (l.other_value || '?') + ' at line ' + l.other_line +
          ', inside ' + tname(l.tid) + '\'s read-to-store window: this update will be lost';
      }
      if (l.read_t_ns != null && v.laneOf.get(l.tid) === lane && l.read_t_ns <= t && t <= l.t_ns) {
        return 'Race window of ' + tname(l.tid) + ' on ' + l.var + ': read ' + (l.read_value || '?') + ' at line ' + l.read_line +
          ' (' + fmtTime(l.read_t_ns) + '), stored ' + (l.stored_value || '?') + ' at line ' + l.store_line + ' (' + fmtTime(l.t_ns) + ')';
      }
    }
    return null;
  });

  // ---- Check-then-act list and choosing one.
  function tagSource(marks) {
    for (const li of document.querySelectorAll('#source li')) {
      li.classList.remove('read', 'other', 'store');
      const tag = li.querySelector('.tag');
      if (tag) tag.remove();
    }
    const tags = new Map();
    for (const [line, cls, text] of marks) {
      if (!tags.has(line)) tags.set(line, {cls, texts: []});
      tags.get(line).texts.push(text);
    }
    for (const [line, tg] of tags) {
      const li = document.querySelector('#source li[data-line="' + line + '"]');
      if (!li) continue;
      li.classList.add(tg.texts.length > 1 ? 'store' : tg.cls);
      const s = document.createElement('span');
      s.className = 'tag';
      s.textContent = tg.texts.join(' → ');
      li.appendChild(s);
    }
  }
  function chooseCta(i) {
    const c = cta[i];
    if (!c) return;
    const d = $('detail');
    d.innerHTML = '<p><b>Check-then-act #' + (i + 1) + '</b> at ' + fmtTime(c.t_ns) + ' (step ' + group(c.step) + '): ' + esc(c.explanation) + '</p>';
    tagSource([
      [c.check_line, 'read', tname(c.tid) + ' checked ' + (c.check || '') + ' → ' + c.result],
      [c.other_line, 'other', tname(c.other_tid) + ' wrote'],
      [c.act_line, 'store', tname(c.tid) + ' acted on its stale check'],
    ]);
    for (const li of document.querySelectorAll('#cta-list li')) li.classList.toggle('chosen', li.dataset.i === String(i));
    const a = Math.min(c.check_t_ns == null ? c.t_ns : c.check_t_ns, c.other_t_ns == null ? c.t_ns : c.other_t_ns);
    const span = Math.max(c.t_ns - a, nsPer * 20);
    if (G.zoomTo) G.zoomTo(a - span * 0.3, c.t_ns + span * 0.3);
    moveToStep(c.step);
  }
  if (cta.length) {
    $('cta').hidden = false;
    const list = $('cta-list');
    cta.forEach((c, i) => {
      const li = document.createElement('li');
      li.dataset.i = String(i);
      li.textContent = fmtTime(c.t_ns) + ' · ' + c.explanation;
      li.addEventListener('click', () => chooseCta(i));
      list.appendChild(li);
    });
  }
  G.chooseCta = chooseCta;
  // Choosing a lost update moves the scrubber to its stale store.
  G.chooseHooks.push((l) => moveToStep(l.step));

  // ---- Value tracks: one per watched variable, on the timeline's time axis.
  const TRACK = 34;
  const tracksCanvas = $('tracks');
  if (watched.length) {
    $('tracks-pane').hidden = false;
    const labels = $('track-labels');
    watched.forEach((name, k) => {
      const d = document.createElement('div');
      d.className = 'lane track';
      d.dataset.var = name;
      const last = valuesBy[k][valuesBy[k].length - 1];
      d.title = name + (last ? ' (last: ' + last[4] + ')' : '');
      d.textContent = name;
      labels.appendChild(d);
    });
  }
  function drawTracks(v) {
    if (!watched.length) return;
    const dpr = window.devicePixelRatio || 1;
    const w = tracksCanvas.parentElement.clientWidth || v.width;
    const hgt = watched.length * TRACK;
    if (tracksCanvas.width !== Math.round(w * dpr) || tracksCanvas.height !== Math.round(hgt * dpr)) {
      tracksCanvas.width = Math.round(w * dpr);
      tracksCanvas.height = Math.round(hgt * dpr);
      tracksCanvas.style.height = hgt + 'px';
    }
    const ctx = tracksCanvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const xOf = (t) => (t - v.t0) / (v.t1 - v.t0) * w;
    const tEnd = Math.max(end.t_ns, G.extendTo || 0);
    ctx.font = '10px ui-monospace, monospace';
    tracksCanvas.dataset.tracks = watched.map((name, k) => name + ':' + valuesBy[k].length).join(' ');
    watched.forEach((name, k) => {
      const y0 = k * TRACK;
      ctx.fillStyle = k % 2 ? '#fafbfc' : '#ffffff';
      ctx.fillRect(0, y0, w, TRACK);
      const pts = valuesBy[k];
      if (!pts.length) return;
      const nums = pts.map((p) => Number(p[4]));
      const numeric = nums.every((x) => Number.isFinite(x)) && pts.every((p) => p[4] !== '' && p[4] !== 'True' && p[4] !== 'False');
      if (numeric) {
        // Scaled to the values shown: those in view and the one in force when the view starts.
        let lo = Infinity, hi = -Infinity;
        pts.forEach((p, i) => {
          const until = i + 1 < pts.length ? pts[i + 1][2] : tEnd;
          if (until >= v.t0 && p[2] <= v.t1) { lo = Math.min(lo, nums[i]); hi = Math.max(hi, nums[i]); }
        });
        if (!Number.isFinite(lo)) { lo = Math.min(...nums); hi = Math.max(...nums); }
        if (hi === lo) { hi += 1; lo -= 1; }
        const yOf = (x) => y0 + TRACK - 4 - (x - lo) / (hi - lo) * (TRACK - 10);
        ctx.strokeStyle = '#1565c0'; ctx.lineWidth = 1.5;
        ctx.beginPath();
        pts.forEach((p, i) => {
          const x1 = xOf(p[2]);
          const x2 = xOf(i + 1 < pts.length ? pts[i + 1][2] : tEnd);
          if (x2 < 0 || x1 > w) { return; }
          ctx.moveTo(Math.max(0, x1), yOf(nums[i]));
          ctx.lineTo(Math.min(w, x2), yOf(nums[i]));
        });
        ctx.stroke();
        ctx.lineWidth = 1;
        ctx.fillStyle = '#4a5263';
        ctx.fillText(String(hi), 2, y0 + 10);
        ctx.fillText(String(lo), 2, y0 + TRACK - 2);
      } else {
        pts.forEach((p, i) => {
          const x1 = Math.max(0, xOf(p[2]));
          const x2 = Math.min(w, xOf(i + 1 < pts.length ? pts[i + 1][2] : tEnd));
          if (x2 < 0 || x1 > w || x2 <= x1) return;
          ctx.fillStyle = i % 2 ? '#e3ecf8' : '#d3e0f3';
          ctx.fillRect(x1, y0 + 5, x2 - x1, TRACK - 10);
          if (x2 - x1 > 30) {
            ctx.save();
            ctx.beginPath(); ctx.rect(x1, y0, x2 - x1, TRACK); ctx.clip();
            ctx.fillStyle = '#1d2330';
            ctx.fillText(p[4], x1 + 3, y0 + TRACK / 2 + 3);
            ctx.restore();
          }
        });
      }
      if (n) {
        const x = xOf(timeOf(S[pos]));
        ctx.strokeStyle = '#1565c0'; ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y0 + TRACK); ctx.stroke();
        ctx.lineWidth = 1;
      }
    });
  }

  // ---- The scrubber.
  let pos = 0;
  const slider = $('scrub');
  slider.max = String(Math.max(0, n - 1));
  function valueAt(k, step) {
    const j = lastAtOrBefore(valuesBy[k], step, (r) => r[1]);
    return j >= 0 ? valuesBy[k][j][4] : null;
  }
  // Per thread, computed once: its blocked intervals by start, and when it finished.
  const blocksOf = new Map(), finishedAt = new Map();
  for (const b of G.blocks) {
    if (!blocksOf.has(b[1])) blocksOf.set(b[1], []);
    blocksOf.get(b[1]).push(b);
  }
  for (const a of blocksOf.values()) a.sort((x, y) => x[2] - y[2]);
  for (const r of turns) if (r[6] === 'finished') finishedAt.set(r[1], r[3]);
  function threadState(tid, i, t) {
    if (T[i] === tid) return 'running (holds the GIL)';
    const idx = byThread.get(tid) || [];
    if (!idx.length || idx[0] > i) return 'has not run yet';
    const bs = blocksOf.get(tid) || [];
    const j = lastAtOrBefore(bs, t, (b) => b[2]);
    if (j >= 0 && t < bs[j][3]) return 'blocked, waiting ' + bs[j][4];
    for (const c of G.crashes) if (c.tid === tid && c.t_ns <= t) return 'died: ' + c.exception;
    if (finishedAt.has(tid) && finishedAt.get(tid) <= t) return 'finished';
    return 'ready, waiting for the GIL';
  }
  function render() {
    if (!n) return;
    const i = pos, step = S[i], t = timeOf(step);
    slider.value = String(i);
    $('scrub-pos').innerHTML = 'Step <b>' + group(step) + '</b> (' + group(i + 1) + ' of ' + group(n) + ' recorded) at ' + fmtTime(t) +
      ': <b>' + esc(tname(T[i])) + '</b> ran line ' + L[i] + (src[L[i] - 1] ? ': <code>' + esc(src[L[i] - 1].trim()) + '</code>' : '');
    $('scrub-pos').dataset.step = String(step);
    $('scrub-pos').dataset.tid = String(T[i]);
    $('scrub-pos').dataset.line = String(L[i]);
    // Past the exact first part, neighbouring positions may be far apart: say so.
    const gapBefore = i > 0 ? step - S[i - 1] : 1, gapAfter = i + 1 < n ? S[i + 1] - step : 1;
    const coarse = $('scrub-coarse');
    if (gapBefore > 1 || gapAfter > 1) {
      coarse.hidden = false;
      coarse.textContent = 'Coarse here: the scrubber keeps thread switches and race windows only. ' +
        (gapBefore > 1 ? 'The previous position is step ' + group(S[i - 1]) + ' (' + group(gapBefore - 1) + ' instructions between are not recorded). ' : '') +
        (gapAfter > 1 ? 'The next is step ' + group(S[i + 1]) + '.' : '');
      $('scrub-pos').dataset.coarse = 'yes';
    } else {
      coarse.hidden = true;
      coarse.textContent = '';
      delete $('scrub-pos').dataset.coarse;
    }
    // Threads: line, state, locals.
    const box = $('scrub-threads');
    box.innerHTML = '';
    for (const th of G.threads.slice().sort((a, b) => a.tid - b.tid)) {
      const idx = byThread.get(th.tid) || [];
      const j = lastAtOrBefore(idx, i, (x) => x);
      const line = j >= 0 ? L[idx[j]] : 0;
      const card = document.createElement('div');
      card.className = 'scrub-thread' + (T[i] === th.tid ? ' running' : '');
      card.dataset.tid = String(th.tid);
      card.dataset.line = String(line);
      card.style.borderLeftColor = color(th.tid);
      const state = threadState(th.tid, i, t);
      let html = '<div><b>' + esc(th.label + ' · ' + th.name) + '</b> <span class="state">' + esc(state) + '</span></div>';
      if (line) html += '<div class="at">line ' + line + (src[line - 1] ? ': <code>' + esc(src[line - 1].trim()) + '</code>' : '') + '</div>';
      const lr = localsBy.get(th.tid) || [];
      const k = lastAtOrBefore(lr, step, (r) => r[1]);
      // At module level the variables are the shared ones: no locals table.
      if (k >= 0 && lr[k][3] && lr[k][3] !== '<module>') {
        const rows = lr[k][4].filter((p) => !p[0].startsWith('.')).map((p) => '<tr><td>' + esc(p[0]) + '</td><td>' + esc(p[1]) + '</td></tr>').join('');
        html += '<table class="locals" data-function="' + esc(lr[k][3]) + '"><caption>locals of ' + esc(lr[k][3]) + '</caption>' +
          (rows || '<tr><td colspan="2">(none yet)</td></tr>') + '</table>';
      }
      card.innerHTML = html;
      box.appendChild(card);
    }
    // Shared values.
    const body = $('scrub-shared').querySelector('tbody');
    body.innerHTML = watched.map((name, k) => {
      const val = valueAt(k, step);
      return '<tr data-var="' + esc(name) + '"><td>' + esc(name) + '</td><td>' + esc(val === null ? '(not set yet)' : val) + '</td></tr>';
    }).join('') || '<tr><td>(no shared variables watched: use --var NAME)</td></tr>';
    // Source: each thread's current line.
    for (const li of document.querySelectorAll('#source li.here')) {
      li.classList.remove('here', 'running');
      li.style.borderLeftColor = '';
      for (const m of li.querySelectorAll('.who')) m.remove();
    }
    for (const card of box.children) {
      const li = document.querySelector('#source li[data-line="' + card.dataset.line + '"]');
      if (!li) continue;
      li.classList.add('here');
      if (card.classList.contains('running')) li.classList.add('running');
      li.style.borderLeftColor = color(Number(card.dataset.tid));
      const m = document.createElement('span');
      m.className = 'who';
      m.style.background = color(Number(card.dataset.tid));
      m.textContent = 'T' + card.dataset.tid;
      li.insertBefore(m, li.firstChild);
    }
    if (G.redraw) G.redraw();
  }
  function moveTo(i) {
    if (!n) return;
    pos = Math.max(0, Math.min(n - 1, i));
    render();
    if (history.replaceState) history.replaceState(null, '', '#step=' + S[pos]);
  }
  function moveToStep(step) { if (n) moveTo(stepIndex(step)); }
  function nextSwitch(dir) {
    let i = pos;
    const tid = T[i];
    while (i + dir >= 0 && i + dir < n && T[i + dir] === tid) i += dir;
    moveTo(i + dir);
  }
  G.scrubTo = moveToStep;
  slider.addEventListener('input', () => moveTo(Number(slider.value)));
  $('scrub-back').addEventListener('click', () => moveTo(pos - 1));
  $('scrub-fwd').addEventListener('click', () => moveTo(pos + 1));
  $('scrub-prev-switch').addEventListener('click', () => nextSwitch(-1));
  $('scrub-next-switch').addEventListener('click', () => nextSwitch(1));
  document.addEventListener('keydown', (e) => {
    if (e.target && e.target.tagName === 'INPUT' && e.target !== slider) return;
    const k = e.key;
    if (k === 'ArrowRight' || k === 'ArrowLeft') moveTo(pos + (k === 'ArrowRight' ? 1 : -1) * (e.shiftKey ? 100 : 1));
    else if (k === 'PageDown' || k === 'PageUp') nextSwitch(k === 'PageDown' ? 1 : -1);
    else if (k === 'Home') moveTo(0);
    else if (k === 'End') moveTo(n - 1);
    else return;
    e.preventDefault();
  });

  // The note: what the scrubber and tracks cover.
  const notes = [];
  if (!n) notes.push('No instruction was recorded.');
  else notes.push('Keys: ← → one instruction (Shift: 100), PageUp/PageDown the previous/next switch of threads, Home/End. The state shown is right after the highlighted instruction ran.');
  if (dr.scrub_coarse != null) {
    notes.push('The scrubber steps through every one of the first ' + group(dr.scrub_max) + ' instructions of the run (of ' + group(end.steps) +
      '); after that it is coarse: it stops at the last instruction of a turn and the first of the next at each thread switch' +
      ' (the first ' + group(dr.all_switches) + ' switches, then one when at least step/' + group(dr.switch_resolution) + ' instructions passed since the last one kept)' +
      ', and at every instruction of the race windows of the first ' + group(dr.exact_windows) +
      ' lost updates and check-then-act findings after the first part; each thread\'s line and locals and the shared values shown are exact at every position.' +
      ' The value tracks are sampled there (a change is drawn when at least step/5,000 instructions passed since the last one drawn, and at every position).');
  }
  if (dr.values) notes.push(group(dr.values) + ' later values of the watched variables are not drawn.');
  if (dr.cta) notes.push(group(dr.cta) + ' later check-then-act findings are not listed.');
  $('scrub-note').textContent = notes.join(' ');

  G.readyHooks.push(function () {
    if (linked) moveToStep(Number(linked[1]));
    else if (G.lost.length) moveToStep(G.lost[0].step);
    else if (cta.length) chooseCta(0);
    else render();
  });
})();
