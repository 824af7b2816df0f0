(function(){
const D = JSON.parse(document.getElementById('report-data').textContent);
const T = D.themes.length;
const H = OfstedHeatmap, el = H.el, how = {small: D.small, scale: 'net'};
function cell(key, v, n, tr){ H.cell(tr, key, v, n, how); }
function header(table, first){ H.header(table, first, D.themes); }
// heatmap
const heat = document.getElementById('heatmap');
header(heat, 'authority (documents)');
D.authorities.forEach((a, i) => {
  const tr = el('tr', a.highlight ? {'class': 'hl'} : {});
  const th = el('th', {'class': 'name', 'title': [a.name, a.old, a.new, a.region].filter(Boolean).join(' · ')},
                a.label + ' (' + a.documents + ')');
  tr.appendChild(th);
  for (let j = 0; j < T; j++) cell('a' + i + ':' + D.theme_keys[j], a.net[j], a.n[j], tr);
  heat.appendChild(tr);
});
// grades
const grades = document.getElementById('grades');
const gh = el('tr'); ['authority', 'latest graded document'].concat(D.grade_columns.map(c => c.replace(/_/g, ' ')))
  .forEach(h => gh.appendChild(el('th', {}, h))); grades.appendChild(gh);
D.authorities.forEach((a, i) => {
  const docs = D.documents.filter(d => d.authority === i);
  const graded = docs.filter(d => d.grades && D.grade_columns.some(c => d.grades[c] && d.grades[c] !== 'not applicable'));
  const latest = graded.length ? graded[graded.length - 1] : null;
  const tr = el('tr'); tr.appendChild(el('th', {}, a.label));
  if (!D.grades_read){
    tr.appendChild(el('td', {'class': 'notread'}, 'not read'));
    D.grade_columns.forEach(() => tr.appendChild(el('td', {'class': 'notread'}, 'not read')));
  } else {
    tr.appendChild(el('td', {}, latest ? latest.label : 'no graded document'));
    D.grade_columns.forEach(c => tr.appendChild(el('td', {}, latest ? (latest.grades[c] || '') : '')));
  }
  grades.appendChild(tr);
});
// documents over time
const tl = document.getElementById('timeline');
D.authorities.forEach((a, i) => {
  const docs = D.documents.map((d, k) => [d, k]).filter(p => p[0].authority === i);
  if (!docs.length) return;
  tl.appendChild(el('h3', {}, a.label + ': ' + docs.length + ' document' + (docs.length > 1 ? 's' : '')));
  const t = el('table', {'class': 'heat'}); header(t, 'document');
  docs.forEach(p => {
    const tr = el('tr'); tr.appendChild(el('th', {'class': 'name', 'title': p[0].id}, p[0].label));
    for (let j = 0; j < T; j++) cell('d' + p[1] + ':' + D.theme_keys[j], p[0].net[j], p[0].n[j], tr);
    t.appendChild(tr);
  });
  tl.appendChild(t);
});
// evidence on click
const box = document.getElementById('evidence');
function show(td){
  document.querySelectorAll('td.selected').forEach(x => x.classList.remove('selected'));
  td.classList.add('selected');
  const key = td.getAttribute('data-cell');
  const ids = D.cells[key] || [];
  const [where, theme] = key.split(':');
  const name = where[0] === 'a' ? D.authorities[+where.slice(1)].label : D.documents[+where.slice(1)].label;
  box.textContent = '';
  box.appendChild(el('h3', {'id': 'evidence-title'}, name + ' · ' + theme.replace(/_/g, ' ') + ': ' + ids.length + ' finding' + (ids.length === 1 ? '' : 's')));
  if (!ids.length){ box.appendChild(el('p', {}, 'No positive or negative findings on this theme.')); return; }
  if (ids.length < D.small) box.appendChild(el('p', {'class': 'legend'}, 'Fewer than ' + D.small + ' findings: too few to read as a verdict.'));
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
  box.appendChild(ol);
}
document.addEventListener('click', ev => {
  const td = ev.target.closest('td.cell');
  if (td && !td.classList.contains('none')) show(td);
});
document.body.setAttribute('data-ready', '1');
})();
