(function(){
const D = JSON.parse(document.getElementById('report-data').textContent);
const T = D.themes.length;
const H = OfstedHeatmap, el = H.el, how = {small: D.small, scale: 'net', interactive: true};
function header(table, first){ H.header(table, first, D.themes); }
// what a search for an authority matches: its label, name, codes and region
function words(a){ return [a.label, a.name, a.old, a.new, a.region].filter(Boolean).join(' ').toLowerCase(); }

// heatmap: one row per authority; a theme's heading sorts the rows by it
const heat = document.getElementById('heatmap');
header(heat, 'authority (documents)');
const heads = Array.from(heat.querySelectorAll('tr th'));
D.authorities.forEach((a, i) => {
  const tr = el('tr', {'data-authority': i});
  if (a.highlight) tr.className = 'hl';
  if (a.median) tr.className = 'median';  // the neighbours' median (--neighbours): not an authority
  const th = el('th', {'class': 'name', 'title': [a.name, a.old, a.new, a.region].filter(Boolean).join(' · ')},
                a.label + ' (' + a.documents + ')');
  tr.appendChild(th);
  for (let j = 0; j < T; j++) H.cell(tr, 'a' + i + ':' + D.theme_keys[j], a.net[j], a.n[j], how, undefined, a.label + ', ' + D.themes[j]);
  heat.appendChild(tr);
});
heads.forEach((th, col) => {
  const button = el('button', {'type': 'button', 'class': 'sort'}, th.textContent);
  th.textContent = ''; th.appendChild(button); th.setAttribute('aria-sort', 'none');
  button.addEventListener('click', () => sortBy(col));
});
function sortBy(col){
  const th = heads[col];
  const order = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
  heads.forEach(h => h.setAttribute('aria-sort', 'none'));
  th.setAttribute('aria-sort', order);
  const rows = Array.from(heat.querySelectorAll('tr[data-authority]'));
  const sign = order === 'descending' ? -1 : 1;
  rows.sort((x, y) => {
    const a = D.authorities[+x.getAttribute('data-authority')], b = D.authorities[+y.getAttribute('data-authority')];
    if (col === 0) return sign * a.label.localeCompare(b.label);
    const u = a.net[col - 1], v = b.net[col - 1];
    if (u === null || v === null) return (u === null) - (v === null);  // empty cells last, either way
    return sign * (u - v) || a.label.localeCompare(b.label);
  });
  rows.forEach(r => heat.appendChild(r));
}

// grades
const grades = document.getElementById('grades');
const gh = el('tr'); ['authority', 'latest graded document'].concat(D.grade_columns.map(c => c.replace(/_/g, ' ')))
  .forEach(h => gh.appendChild(el('th', {}, h))); grades.appendChild(gh);
D.authorities.forEach((a, i) => {
  if (a.median) return;
  const docs = D.documents.filter(d => d.authority === i);
  const graded = docs.filter(d => d.grades && D.grade_columns.some(c => d.grades[c] && d.grades[c] !== 'not applicable'));
  const latest = graded.length ? graded[graded.length - 1] : null;
  const tr = el('tr', {'data-authority': i}); tr.appendChild(el('th', {}, a.label));
  if (!D.grades_read){
    tr.appendChild(el('td', {'class': 'notread'}, 'not read'));
    D.grade_columns.forEach(() => tr.appendChild(el('td', {'class': 'notread'}, 'not read')));
  } else {
    tr.appendChild(el('td', {}, latest ? latest.label : 'no graded document'));
    D.grade_columns.forEach(c => tr.appendChild(el('td', {}, latest ? (latest.grades[c] || '') : '')));
  }
  grades.appendChild(tr);
});

// documents over time: one folding block per authority; a row is named by its date and kind (the
// authority is the block's heading), the whole label and the document id on hover
const tl = document.getElementById('timeline');
D.authorities.forEach((a, i) => {
  const docs = D.documents.map((d, k) => [d, k]).filter(p => p[0].authority === i);
  if (!docs.length) return;
  const block = el('details', {'open': '', 'data-authority': i});
  const summary = el('summary');
  summary.appendChild(el('h3', {}, a.label + ': ' + docs.length + ' document' + (docs.length > 1 ? 's' : '')));
  block.appendChild(summary);
  const t = el('table', {'class': 'heat'}); header(t, 'document');
  docs.forEach(p => {
    const d = p[0], prefix = a.label + ' · ';
    const short = d.label.startsWith(prefix) ? d.label.slice(prefix.length) : d.label;
    const tr = el('tr'); tr.appendChild(el('th', {'class': 'name', 'title': d.label + ' · ' + d.id}, short));
    for (let j = 0; j < T; j++) H.cell(tr, 'd' + p[1] + ':' + D.theme_keys[j], d.net[j], d.n[j], how, undefined, d.label + ', ' + D.themes[j]);
    t.appendChild(tr);
  });
  block.appendChild(t);
  tl.appendChild(block);
});

// find an authority: rows of the heatmap and grades and blocks of the timeline that do not match are hidden
const find = document.getElementById('find'), found = document.getElementById('found');
find.addEventListener('input', () => {
  const q = find.value.trim().toLowerCase();
  let shown = 0;
  D.authorities.forEach((a, i) => {
    const hit = !q || words(a).includes(q);
    shown += hit;
    document.querySelectorAll('[data-authority="' + i + '"]').forEach(e => { e.hidden = !hit; });
  });
  found.textContent = q ? shown + ' of ' + D.authorities.length + ' authorities' : '';
});

// the sentences behind a cell: a panel fixed in view wherever the cell is (the heatmap or the timeline)
const box = document.getElementById('evidence'), body = document.getElementById('evidence-body');
let opener = null;
function show(td){
  document.querySelectorAll('td.selected').forEach(x => x.classList.remove('selected'));
  td.classList.add('selected');
  opener = td;
  const key = td.getAttribute('data-cell');
  const ids = D.cells[key] || [];
  const [where, theme] = key.split(':');
  const name = where[0] === 'a' ? D.authorities[+where.slice(1)].label : D.documents[+where.slice(1)].label;
  body.textContent = '';
  body.appendChild(el('h3', {'id': 'evidence-title'}, name + ' · ' + theme.replace(/_/g, ' ') + ': ' + ids.length + ' finding' + (ids.length === 1 ? '' : 's')));
  box.classList.add('open');
  box.focus({preventScroll: true});
  if (!ids.length){
    body.appendChild(el('p', {'id': 'evidence-none'}, 'No positive or negative findings on ' + theme.replace(/_/g, ' ') + ' for ' + name +
                        ': the documents read say nothing judged on it (neutral findings are not counted).'));
    return;
  }
  if (ids.length < D.small) body.appendChild(el('p', {'class': 'legend'}, 'Fewer than ' + D.small + ' findings: too few to read as a verdict.'));
  const ol = el('ol', {'id': 'evidence-list'});
  ids.forEach(s => {
    const [d, section, pol, text] = D.sentences[s];
    const doc = D.documents[d];
    const li = el('li');
    li.appendChild(el('span', {'class': pol === 'positive' ? 'pos' : 'neg'}, pol + ' '));
    li.appendChild(el('span', {'class': 'sentence'}, text));
    li.appendChild(el('div', {'class': 'meta'}, [doc.label, doc.id, section].filter(Boolean).join(' · ')));
    ol.appendChild(li);
  });
  body.appendChild(ol);
}
function hide(){
  box.classList.remove('open');
  document.querySelectorAll('td.selected').forEach(x => x.classList.remove('selected'));
  if (opener) opener.focus();
}
document.getElementById('evidence-close').addEventListener('click', hide);
document.addEventListener('click', ev => {
  const td = ev.target.closest('td.cell');
  if (td) show(td);
});
document.addEventListener('keydown', ev => {
  if (ev.key === 'Escape' && box.classList.contains('open')){ hide(); return; }
  const td = ev.target.closest && ev.target.closest('td.cell');
  if (td && (ev.key === 'Enter' || ev.key === ' ')){ ev.preventDefault(); show(td); }
});
document.body.setAttribute('data-ready', '1');
})();
