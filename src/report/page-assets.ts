/**
 * The page's inline style sheet and the small script behind the subject table (search, subtype
 * filter, sort, pages, CSV download). Both are embedded in report.html: the page loads nothing.
 * The script is plain ES2017 so any current browser runs it from file://.
 */

export const PAGE_CSS = `
:root { --ink:#1f2933; --muted:#5f6b7a; --line:#e3e7ec; --bg:#f5f7fa; --card:#fff; --accent:#2f5d8a; }
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color:var(--ink); background:var(--bg); line-height:1.45; }
header.top { background: linear-gradient(120deg, #1e3a5f, #2f5d8a); color:#fff; padding: 28px 0 22px; }
header.top h1 { margin:0 0 6px; font-size: 28px; font-weight: 650; letter-spacing: -0.01em; }
header.top p { margin:0; color:#d7e3f0; font-size: 14px; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
nav.toc { position: sticky; top:0; z-index: 5; background: rgba(255,255,255,0.96); border-bottom:1px solid var(--line); backdrop-filter: blur(4px); }
nav.toc .wrap { display:flex; gap: 4px 18px; flex-wrap: wrap; padding-top: 10px; padding-bottom: 10px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; font-weight: 500; }
nav.toc a:hover { text-decoration: underline; }
main section { margin: 30px 0 8px; }
h2 { font-size: 21px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 16px; margin: 20px 0 8px; font-weight: 600; }
p.lead { margin: 0 0 14px; color: var(--muted); max-width: 820px; }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; margin: 16px 0 6px; }
.card { background: var(--card); border:1px solid var(--line); border-radius: 10px; padding: 11px 12px; }
.card .v { font-size: 24px; font-weight: 650; line-height: 1.15; }
.card .k { font-size: 13px; color: var(--muted); }
.card .s { font-size: 12px; color: var(--muted); margin-top: 2px; }
.subtypes { display:flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 0; }
.chip { display:flex; align-items:center; gap: 8px; background: var(--card); border:1px solid var(--line); border-radius: 999px; padding: 6px 14px 6px 8px; font-size: 14px; }
.dot { width: 14px; height: 14px; border-radius: 50%; display:inline-block; flex: none; }
.chip b { font-weight: 600; }
.note.warn { background: #fdecea; border-color: #e8a39b; }
.note { background: #fff8e6; border:1px solid #f0d9a0; border-radius: 8px; padding: 10px 14px; margin: 12px 0; font-size: 14px; }
.grid { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; }
figure.fig { margin: 0; background: var(--card); border:1px solid var(--line); border-radius: 10px; padding: 14px 16px 10px; overflow-x: auto; }
figure.fig .svg svg { max-width: 100%; height: auto; display:block; }
figure.fig figcaption { font-size: 13px; color: var(--muted); margin-top: 8px; border-top: 1px dashed var(--line); padding-top: 8px; }
figure.fig figcaption b { color: var(--ink); font-weight: 600; }
figure.fig figcaption a { color: var(--accent); float: right; margin-left: 12px; }
table.data { border-collapse: collapse; width: 100%; background: var(--card); font-size: 13px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
table.data th { background: #eef2f6; font-weight: 600; position: sticky; top: 0; }
table.data td.num, table.data th.num { text-align: right; }
table.data.wrap1 td:first-child { white-space: normal; min-width: 160px; }
table.data.kv td:last-child, table.data.wraplast td:last-child { white-space: normal; }
table.data.wraplast td:last-child { min-width: 280px; font-size: 12px; color: var(--muted); }
table.data.kv td:first-child { color: var(--muted); }
table.data tr.best td { background: #eaf3ea; font-weight: 600; }
.tablebox { border:1px solid var(--line); border-radius: 10px; overflow: auto; max-height: 640px; background: var(--card); }
.tools { display:flex; flex-wrap: wrap; gap: 10px; align-items:center; margin: 10px 0; }
.tools input[type=search] { font: inherit; padding: 7px 10px; border:1px solid #c9d1db; border-radius: 8px; min-width: 320px; }
.tools select, .tools button { font: inherit; font-size: 14px; padding: 6px 10px; border:1px solid #c9d1db; border-radius: 8px; background: #fff; cursor: pointer; }
.tools button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
.tools .count { color: var(--muted); font-size: 14px; margin-left: auto; }
#subject-table th { cursor: pointer; user-select: none; }
#subject-table th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 10px; }
#subject-table th[aria-sort=descending]::after { content: " \\25BC"; font-size: 10px; }
#subject-table td.dim { color: #98a2ae; }
.pager { display:flex; gap: 8px; align-items:center; margin: 8px 0; font-size: 14px; color: var(--muted); }
.pager button { font: inherit; padding: 4px 10px; border:1px solid #c9d1db; border-radius: 6px; background:#fff; cursor:pointer; }
.pager button:disabled { opacity: .4; cursor: default; }
.muted { color: var(--muted); }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--accent); font-weight: 500; }
footer { margin: 40px 0 30px; padding-top: 14px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
footer code, p code { background: #eef2f6; padding: 1px 4px; border-radius: 4px; }
@media print { nav.toc { display:none; } .tablebox { max-height: none; } }
`;

export const TABLE_SCRIPT = `
(function () {
  'use strict';
  var el = document.getElementById('subject-data');
  if (!el) return;
  var data = JSON.parse(el.textContent);
  var cols = data.columns, rows = data.rows, labels = data.subtypeLabels, colours = data.subtypeColours;
  var subtypeCol = cols.findIndex(function (c) { return c.type === 'subtype'; });
  var stageCol = cols.findIndex(function (c) { return c.key === 'ml_stage'; });
  var hay = rows.map(function (r) {
    return r.map(function (v, j) { return cols[j].type === 'subtype' ? labels[v] : String(v); }).join(' ').toLowerCase();
  });
  var state = { q: '', subtype: 'all', sort: -1, dir: 1, page: 0 };
  var size = data.pageSize;
  var table = document.getElementById('subject-table');
  var tbody = table.querySelector('tbody');
  var search = document.getElementById('subject-search');
  var filter = document.getElementById('subject-filter');
  var count = document.getElementById('subject-count');
  var pageInfo = document.getElementById('page-info');
  var prev = document.getElementById('page-prev');
  var next = document.getElementById('page-next');
  var current = [];
  // One collator for all comparisons: natural order (sub-2 before sub-10), far quicker than localeCompare per pair.
  var collator = new Intl.Collator(undefined, { numeric: true });

  function compute() {
    var q = state.q.trim().toLowerCase();
    var terms = q === '' ? [] : q.split(/\\s+/);
    var idx = [];
    for (var i = 0; i < rows.length; i++) {
      if (state.subtype === 'stage0' && rows[i][stageCol] !== 0) continue;
      if (state.subtype !== 'all' && state.subtype !== 'stage0' && (rows[i][subtypeCol] !== Number(state.subtype) || rows[i][stageCol] === 0)) continue;
      var ok = true;
      for (var t = 0; t < terms.length; t++) if (hay[i].indexOf(terms[t]) < 0) { ok = false; break; }
      if (ok) idx.push(i);
    }
    if (state.sort >= 0) {
      var c = state.sort, d = state.dir, numeric = cols[c].type !== 'text';
      idx.sort(function (a, b) {
        var x = rows[a][c], y = rows[b][c];
        var r = numeric ? ((x === null ? -Infinity : x) - (y === null ? -Infinity : y)) : collator.compare(String(x), String(y));
        return r !== 0 ? d * r : a - b;
      });
    }
    current = idx;
  }

  function cell(v, c) {
    var td = document.createElement('td');
    if (c.type === 'subtype') {
      var dot = document.createElement('span');
      dot.className = 'dot';
      dot.style.background = colours[v % colours.length];
      dot.style.marginRight = '6px';
      dot.style.verticalAlign = '-2px';
      td.appendChild(dot);
      td.appendChild(document.createTextNode(labels[v]));
    } else if (c.type === 'prob') {
      td.className = 'num';
      if (v !== null) {
        var w = Math.round(v * 100);
        td.style.backgroundImage = 'linear-gradient(#8fb0d3, #8fb0d3)';
        td.style.backgroundRepeat = 'no-repeat';
        td.style.backgroundSize = w + '% 3px';
        td.style.backgroundPosition = 'left bottom 3px';
      }
      td.textContent = v === null ? '' : v.toFixed(3);
    } else if (c.type === 'int' || c.type === 'num') {
      td.className = 'num';
      td.textContent = v === null ? '' : String(v);
    } else {
      td.textContent = v;
    }
    return td;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(current.length / size));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * size, end = Math.min(current.length, start + size);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var r = rows[current[k]];
      var tr = document.createElement('tr');
      for (var j = 0; j < cols.length; j++) tr.appendChild(cell(r[j], cols[j]));
      if (stageCol >= 0 && r[stageCol] === 0 && subtypeCol >= 0) tr.children[subtypeCol].className = 'dim';
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    count.textContent = current.length === rows.length ? rows.length + ' subjects' : current.length + ' of ' + rows.length + ' subjects match';
    pageInfo.textContent = current.length === 0 ? 'no rows' : 'rows ' + (start + 1) + '\\u2013' + end;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }

  function update() { compute(); render(); }

  search.addEventListener('input', function () { state.q = search.value; state.page = 0; update(); });
  filter.addEventListener('change', function () { state.subtype = filter.value; state.page = 0; update(); });
  prev.addEventListener('click', function () { state.page--; render(); });
  next.addEventListener('click', function () { state.page++; render(); });
  Array.prototype.forEach.call(table.querySelectorAll('thead th'), function (th, j) {
    th.setAttribute('tabindex', '0');
    function sortBy() {
      if (state.sort === j) state.dir = -state.dir; else { state.sort = j; state.dir = cols[j].type === 'text' || cols[j].type === 'subtype' ? 1 : -1; }
      Array.prototype.forEach.call(table.querySelectorAll('thead th'), function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', state.dir === 1 ? 'ascending' : 'descending');
      state.page = 0;
      update();
    }
    th.addEventListener('click', sortBy);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(); } });
  });

  function download(lines, name) {
    var blob = new Blob([lines.join('')], { type: 'text/csv;charset=utf-8' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }
  document.getElementById('download-all').addEventListener('click', function () {
    download([data.csvHeader].concat(data.csvLines), 'subjects.csv');
  });
  document.getElementById('download-shown').addEventListener('click', function () {
    download([data.csvHeader].concat(current.map(function (i) { return data.csvLines[i]; })), 'subjects-filtered.csv');
  });
  update();
})();
`;
