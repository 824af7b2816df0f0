// The one heatmap of the project's HTML pages (the report, `matrix --plot FILE.html`): a table of
// rows by themes, each cell coloured by its value, hatched when built from fewer than `small` findings,
// grey when it has none. Builds elements only (never HTML from text), so names and sentences stay text.
const OfstedHeatmap = (function(){
const NET_LOW = [178,24,43], NET_HIGH = [33,102,172], NEGATIVE_HIGH = [103,0,13];
function mix(end, a){
  const c = end.map(e => Math.round(255 + (e - 255) * a));
  return 'rgb(' + c.join(',') + ')';
}
// net (RdBu): -1 red, 0 white, +1 blue; negative: 0 white to `top` dark red
function colour(v, scale, top){
  if (v === null) return '#d9d9d9';
  if (scale === 'negative') return mix(NEGATIVE_HIGH, Math.min(1, v / (top || 1)));
  return mix(v < 0 ? NET_LOW : NET_HIGH, Math.min(1, Math.abs(v)));
}
function el(tag, attrs, text){
  const e = document.createElement(tag);
  for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function header(table, first, themes){
  const tr = el('tr'); tr.appendChild(el('th', {}, first));
  themes.forEach(t => tr.appendChild(el('th', {}, t)));
  table.appendChild(tr);
}
// One cell: value v (null: none), n findings behind it (null: not known), `title` on hover (optional).
// how: {small, scale ('net' or 'negative'), top (the largest negative count)}
function cell(tr, key, v, n, how, title){
  const td = el('td', {'class': 'cell', 'data-cell': key});
  const few = n !== null && n < how.small;
  if (v === null){ td.className = 'cell none'; td.textContent = '–'; td.title = 'no positive or negative findings'; }
  else {
    td.style.backgroundColor = colour(v, how.scale, how.top);
    if (how.scale === 'negative'){
      td.style.color = v > 0.6 * how.top && !few ? '#fff' : '#111';
      td.textContent = v + ' ';
      td.appendChild(el('sub', {}, 'of ' + n));
    } else {
      td.style.color = Math.abs(v) > 0.6 && !few ? '#fff' : '#111';
      td.textContent = (v > 0 ? '+' : '') + v.toFixed(2) + ' ';
      if (n !== null) td.appendChild(el('sub', {}, 'n=' + n));
    }
    if (few){ td.className += ' small'; td.title = 'fewer than ' + how.small + ' findings: too few to read'; }
    if (title) td.title = title;
  }
  tr.appendChild(td);
  return td;
}
return {colour: colour, el: el, header: header, cell: cell};
})();
