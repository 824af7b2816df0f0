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
// WCAG 2 relative luminance and contrast ratio, to choose the text colour a cell can be read in (AA: 4.5)
function luminance(rgb){
  const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}
function contrast(a, b){
  const la = luminance(a), lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
const DARK = [17,17,17], WHITE = [255,255,255];
function ink(background){
  const rgb = background.match(/\d+/g).slice(0, 3).map(Number);
  return contrast(rgb, WHITE) > contrast(rgb, DARK) ? '#fff' : '#111';
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
// how: {small, scale ('net' or 'negative'), top (the largest negative count), interactive}. Each cell is read
// out by its aria-label; on a page whose cells open (interactive) it is reached with Tab and opened with Enter.
function cell(tr, key, v, n, how, title, label){
  const td = el('td', how.interactive ? {'class': 'cell', 'data-cell': key, 'tabindex': '0', 'role': 'button'}
                                      : {'class': 'cell', 'data-cell': key});
  const few = n !== null && n < how.small;
  let said;
  if (v === null){
    td.className = 'cell none'; td.textContent = '–'; td.title = 'no positive or negative findings';
    said = 'no positive or negative findings';
  } else {
    const background = colour(v, how.scale, how.top);
    td.style.backgroundColor = background;
    td.style.color = few ? '#111' : ink(background);  // hatched cells: dark text on a light halo (CSS)
    if (how.scale === 'negative'){
      td.textContent = v + ' ';
      td.appendChild(el('sub', {}, 'of ' + n));
      said = v + ' negative of ' + n + ' findings';
    } else {
      td.textContent = (v > 0 ? '+' : '') + v.toFixed(2) + ' ';
      if (n !== null) td.appendChild(el('sub', {}, 'n=' + n));
      said = 'net ' + (v > 0 ? '+' : '') + v.toFixed(2) + (n !== null ? ' of ' + n + ' findings' : '');
    }
    if (few){ td.className += ' small'; td.title = 'fewer than ' + how.small + ' findings: too few to read'; said += ', too few to read'; }
    if (title) td.title = title;
  }
  td.setAttribute('aria-label', (label ? label + ': ' : '') + said);
  tr.appendChild(td);
  return td;
}
return {colour: colour, el: el, header: header, cell: cell, contrast: contrast, ink: ink};
})();
