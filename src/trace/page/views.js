// gilvm trace page, part two (runs before page.js): what the run contains besides lost
// updates — lock-held spans per thread, blocked intervals labelled with what they wait for,
// crashed threads, the deadlock and its wait-for cycle — and the help text, which adapts to
// what the run contains. Draws through G.drawHooks and explains through G.hitHooks, which
// page.js calls.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const end = G.end || {t_ns: 0};
  const nameOf = new Map(G.threads.map((t) => [t.tid, t.name]));
  const tname = (tid) => nameOf.get(tid) || ('T' + tid);
  const fmtTime = (t) => t < 1000 ? t.toFixed(0) + ' ns' : t < 1e6 ? (t / 1e3).toFixed(3) + ' µs'
    : t < 1e9 ? (t / 1e6).toFixed(3) + ' ms' : (t / 1e9).toFixed(3) + ' s';
  // Lock spans: ['k', tid, name, from, to, line, still held at the end].
  const lockNames = [...new Set(G.locks.map((k) => k[2]))];
  const lockHue = (name) => (lockNames.indexOf(name) * 97 + 20) % 360;
  const d = G.deadlock;
  const cycle = d ? d.cycle : [];
  // A deadlock lasts forever: the timeline goes on 60% past the end, and the deadlocked
  // threads' last blocked intervals with it, so that what they wait for can be read.
  if (d && end.t_ns > 0) {
    G.extendTo = Math.round(end.t_ns * 1.6);
    const stuck = new Set(d.blocked.map((b) => b.tid));
    for (const b of G.blocks) {
      if (stuck.has(b[1]) && b[3] >= end.t_ns) b[3] = G.extendTo;
    }
    for (const k of G.locks) {
      if (k[6]) k[4] = G.extendTo;
    }
  }

  // The story: what this run contains, in plain words, and how to read the page.
  const kinds = [];
  const parts = [];
  if (G.lost.length || G.marks.length) {
    kinds.push('lost-update');
    parts.push('This run <b>loses updates</b>: a thread stored a value computed from a stale read, erasing another thread\'s update. The red marks show where; the pale red band on that thread\'s lane is its window from the read to the stale store, and the orange diamond on the other lane is the update it erases. Click a mark to see who read, who wrote in between, and the lines in the source; step through it below.');
  }
  if (d) {
    kinds.push('deadlock');
    parts.push('This run <b>deadlocks</b>: ' + esc(d.summary) + '. Each thread\'s coloured bar under its lane is a lock it holds (named as the program keeps it); the hatched interval at the end is what it waits for, and the red arrows are the wait-for cycle: each thread waits for a lock the next one holds.');
  }
  if (G.crashes.length) {
    kinds.push('crash');
    parts.push('In this run <b>' + (G.crashes.length === 1 ? 'a thread crashes' : G.crashes.length + ' threads crash') + '</b>: ' +
      esc(G.crashes[0].explanation) + '. An exception that escapes a thread ends that thread only (Python prints the traceback and goes on); the black ✕ marks when it died.');
  }
  if (G.cta && G.cta.length) {
    kinds.push('check-then-act');
    parts.push('This run has <b>' + (G.cta.length === 1 ? 'a check-then-act race' : G.cta.length + ' check-then-act races') + '</b>: ' +
      esc(G.cta[0].explanation) + '. The purple band on the acting thread\'s lane runs from its check to its act; the purple diamond on the other lane is the write that made the check stale.');
  }
  if (G.mainException) {
    kinds.push('exception');
    parts.push('The <b>main thread raised an exception</b> that nothing caught: ' + esc(G.mainException.explanation) + '. The program ends there with exit status 1.');
  }
  if (!kinds.length) {
    kinds.push('none');
    parts.push('Nothing went wrong in this run: no lost update, deadlock or crashed thread. Other seeds may differ: <code>gilvm sweep</code> runs many.');
  }
  if (G.locks.length) parts.push('Coloured bars under a lane: the locks that thread holds (hover for their names).');
  const story = $('story');
  story.dataset.kinds = kinds.join(' ');
  story.innerHTML = parts.map((p) => '<p>' + p + '</p>').join('');

  // The deadlock section: the report's own words and the locks still held.
  if (d) {
    $('deadlock').hidden = false;
    $('deadlock-report').textContent = d.report.join('\n');
    const held = $('deadlock-held');
    for (const k of G.locks.filter((k) => k[6])) {
      const li = document.createElement('li');
      li.textContent = tname(k[1]) + ' holds ' + k[2] + ' since ' + fmtTime(k[3]) + ' (line ' + k[5] + ')';
      held.appendChild(li);
    }
    for (const b of d.blocked) {
      const li = document.createElement('li');
      li.textContent = tname(b.tid) + ' waits for ' + b.waits_for + ' (' + b.at + ')';
      held.appendChild(li);
    }
  }
  if (G.crashes.length) {
    $('crashes').hidden = false;
    const list = $('crash-list');
    for (const c of G.crashes) {
      const li = document.createElement('li');
      li.textContent = fmtTime(c.t_ns) + ' · ' + c.explanation;
      li.dataset.line = String(c.line);
      list.appendChild(li);
    }
  }

  // Source lines: where a thread died, where the deadlocked threads wait (page.js builds the
  // source list after this script ran, so this waits for the first drawing).
  let marked = false;
  function markSource() {
    if (marked) return;
    marked = true;
    for (const c of G.crashes) {
      const li = document.querySelector('#source li[data-line="' + c.line + '"]');
      if (li) li.classList.add('crash');
    }
    if (d) {
      for (const b of d.blocked) {
        const m = /^line (\d+) /.exec(b.at);
        const li = m && document.querySelector('#source li[data-line="' + m[1] + '"]');
        if (li) li.classList.add('blocked');
      }
    }
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  }

  // Drawing: lock spans along the bottom of each lane, labels on blocked intervals, crash
  // marks, the wait-for cycle.
  G.drawHooks.push(function (v) {
    markSource();
    const ctx = v.ctx;
    for (const k of G.locks) {
      if (k[4] < v.t0 || k[3] > v.t1) continue;
      const lane = v.laneOf.get(k[1]);
      if (lane === undefined) continue;
      const x1 = Math.max(0, v.xOf(k[3]));
      const x2 = Math.min(v.width, v.xOf(k[4]));
      const y = lane * v.LANE + v.LANE - 5;
      ctx.fillStyle = 'hsl(' + lockHue(k[2]) + ', 70%, 38%)';
      ctx.fillRect(x1, y, Math.max(1, x2 - x1), 4);
      if (x2 - x1 > 70) {
        ctx.font = '9px system-ui, sans-serif';
        ctx.fillText(k[2], x1 + 2, y - 1);
      }
    }
    ctx.font = '10px system-ui, sans-serif';
    for (const b of G.blocks) {
      if (b[3] < v.t0 || b[2] > v.t1) continue;
      const lane = v.laneOf.get(b[1]);
      if (lane === undefined) continue;
      const x1 = Math.max(0, v.xOf(b[2]));
      const x2 = Math.min(v.width, v.xOf(b[3]));
      if (x2 - x1 < 80) continue;
      ctx.fillStyle = '#3a4150';
      const text = (b[3] === G.extendTo ? 'blocked forever, waiting ' : 'waits ') + b[4];
      ctx.save();
      ctx.beginPath(); ctx.rect(x1, lane * v.LANE, x2 - x1, v.LANE); ctx.clip();
      ctx.fillText(text, x1 + 4, lane * v.LANE + 16);
      ctx.restore();
    }
    for (const c of G.crashes) {
      const lane = v.laneOf.get(c.tid);
      if (lane === undefined || c.t_ns < v.t0 || c.t_ns > v.t1) continue;
      const x = v.xOf(c.t_ns), y = lane * v.LANE + v.LANE / 2;
      ctx.strokeStyle = '#111'; ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(x - 6, y - 6); ctx.lineTo(x + 6, y + 6);
      ctx.moveTo(x + 6, y - 6); ctx.lineTo(x - 6, y + 6); ctx.stroke();
      ctx.lineWidth = 1;
    }
    if (cycle.length) {
      const x = Math.min(v.width - 12, v.xOf(G.extendTo || end.t_ns) - 12);
      ctx.strokeStyle = '#c62828'; ctx.fillStyle = '#c62828'; ctx.lineWidth = 2;
      cycle.forEach((from, i) => {
        const to = cycle[(i + 1) % cycle.length];
        const ya = v.laneOf.get(from) * v.LANE + v.LANE / 2;
        const yb = v.laneOf.get(to) * v.LANE + v.LANE / 2;
        const bend = 18 + 10 * i;
        ctx.beginPath(); ctx.moveTo(x, ya);
        ctx.bezierCurveTo(x - bend, ya, x - bend, yb, x - 2, yb);
        ctx.stroke();
        ctx.beginPath(); ctx.moveTo(x, yb); ctx.lineTo(x - 7, yb - 4); ctx.lineTo(x - 7, yb + 4); ctx.closePath(); ctx.fill();
      });
      ctx.lineWidth = 1;
    }
  });

  G.hitHooks.push(function (x, y, v) {
    const lane = Math.floor(y / v.LANE);
    const t = v.tOf(x);
    const slack = (v.t1 - v.t0) / v.width * 6;
    for (const c of G.crashes) {
      if (v.laneOf.get(c.tid) === lane && Math.abs(c.t_ns - t) <= slack) return c.explanation;
    }
    if (y % v.LANE >= v.LANE - 7) {
      const held = G.locks.filter((k) => v.laneOf.get(k[1]) === lane && k[3] <= t && t <= k[4]);
      if (held.length) {
        return held.map((k) => tname(k[1]) + ' holds ' + k[2] + ' from ' + fmtTime(k[3]) + ' (line ' + k[5] + ')' +
          (k[6] ? ' until the end of the run' : ' to ' + fmtTime(k[4]))).join('\n');
      }
    }
    return null;
  });
})();
