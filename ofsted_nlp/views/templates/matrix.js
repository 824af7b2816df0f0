(function(){
const D = JSON.parse(document.getElementById('matrix-data').textContent);
const H = OfstedHeatmap, how = {small: D.small, scale: D.scale, top: D.top};
const table = document.getElementById('heatmap');
H.header(table, D.first, D.themes);
D.rows.forEach((r, i) => {
  const cls = [r.highlight ? 'hl' : '', r.median ? 'median' : ''].filter(Boolean).join(' ');
  const tr = H.el('tr', cls ? {'class': cls} : {});
  tr.appendChild(H.el('th', {'class': 'name', 'title': r.label}, r.label));
  r.values.forEach((v, j) => H.cell(tr, 'r' + i + ':' + D.theme_keys[j], v, r.n === null ? null : r.n[j], how, r.titles[j]));
  table.appendChild(tr);
});
document.body.setAttribute('data-ready', '1');
})();
