/**
 * The diff report's inline stylesheet and script. Inline because the page must work as a single
 * file (`fieldlab diffs --html`) opened offline, and from an admin port that serves nothing else.
 * Noise rows are shown by CSS alone (`:has(:checked)`); the script only filters endpoints and
 * copies ids.
 */

/** The page's CSS. */
export const DIFFS_CSS = `
:root{--fg:#1b1f24;--muted:#667085;--line:#e3e6ea;--bg:#f5f6f8;--card:#fff;--real:#c4321c;--real-bg:#fde9e5;
--unm:#9a5b00;--unm-bg:#fff3d6;--noise:#6b7280;--noise-bg:#eef0f3;--p:#3b6fd4;--c:#e07b1a;--ok:#18794e}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1320px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:22px;margin:0 0 2px}h2{font-size:17px;margin:0}h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:18px 0 8px}
h2 code{font-size:16px}h4{margin:0 0 4px;font-size:13px}h4 small{font-weight:400;color:var(--muted)}
code,pre,.num{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:var(--muted)}.ok{color:var(--ok)}small{color:var(--muted)}
.window{color:var(--muted);margin-bottom:14px}
.totals{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0 18px}
.total{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.total b{display:block;font-size:20px}.total span{color:var(--muted);font-size:12px}
.total.t-real b{color:var(--real)}.total.t-unmeasured b{color:var(--unm)}
.total.t-overflow b{color:var(--unm)}.pager{margin:6px 0 10px;color:var(--muted)}.pager a{margin-left:12px}
.toolbar{display:flex;gap:16px;align-items:center;margin:8px 0 10px}
.toolbar input[type=search]{padding:6px 10px;border:1px solid var(--line);border-radius:6px;width:320px;font:inherit}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 18px}
table{border-collapse:collapse}th{text-align:left;font-weight:600;color:var(--muted);font-size:12px}
td,th{padding:5px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
.num{text-align:right;white-space:nowrap}
.ranking{width:100%}.ranking td a{color:inherit;text-decoration:none}.ranking tr:hover td{background:#f0f4ff}
.ranking .ep a{font-weight:600;color:#1849a9}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:11.5px;font-weight:600;white-space:nowrap}
.v-real{background:var(--real-bg);color:var(--real)}.v-unmeasured{background:var(--unm-bg);color:var(--unm)}
.v-noise{background:var(--noise-bg);color:var(--noise)}.v-unknown{background:var(--noise-bg);color:var(--muted)}
.ep-head{display:flex;align-items:baseline;gap:12px;flex-wrap:wrap}
.ep-head .rank{color:var(--muted);font-weight:600}
.ep-head .where{color:var(--muted)}
.ep-head .badges{margin-left:auto;display:flex;gap:6px}
.fields{position:relative}.noise-toggle{display:inline-block;margin:0 0 6px;color:var(--muted);font-size:12.5px;cursor:pointer}
.ftable{width:100%}.ftable td.fp code{white-space:nowrap}.fp-dim{color:var(--muted)}
.kind{font-size:12px;color:var(--muted)}
.ftable tr.f-noise{display:none}.ftable tr.f-noise td{color:#9aa1ab}.ftable tr.f-noise .fp-dim{color:#b9bfc7}
.fields:has(.show-noise:checked) tr.f-noise,body:has(#show-all-noise:checked) tr.f-noise{display:table-row}
.ftable tr.f-real td{background:#fffafa}
.rb{position:relative;display:inline-block;width:130px;height:10px;background:#eceff3;border-radius:5px;vertical-align:middle}
.rb-ci{position:absolute;top:0;bottom:0;background:#f3b5a9;border-radius:5px}
.f-unmeasured .rb-ci{background:#f5d48c}.f-noise .rb-ci{background:#cfd4db}
.rb-rate{position:absolute;top:-2px;width:3px;height:14px;margin-left:-1.5px;border-radius:1px;background:var(--real)}
.rb-rate.v-unmeasured{background:var(--unm)}.rb-rate.v-noise{background:var(--noise)}
.rb-noise{position:absolute;top:-3px;width:2px;height:16px;margin-left:-1px;background:#111;opacity:.55}
.panels{display:grid;grid-template-columns:minmax(260px,auto) 1fr;gap:28px;align-items:start}
.smatrix td,.smatrix th{text-align:center;padding:4px 12px}.smatrix tbody th{text-align:right}
.st-changed{background:var(--real-bg);color:var(--real);font-weight:700}.st-zero{color:#c3c8cf}
.lat{display:block;max-width:100%;height:auto;margin:4px 0 10px;overflow:visible}
.lat .lq{font:600 11px system-ui,sans-serif;fill:var(--muted)}.lat .lv{font:11px ui-monospace,Menlo,monospace;fill:var(--fg)}
.bar-p{fill:var(--p);background:var(--p)}.bar-c{fill:var(--c);background:var(--c)}
.bar-dslow{fill:#d64545;background:#d64545}.bar-dfast{fill:#2f9e6b;background:#2f9e6b}.bar-d0{fill:#999}
.lat .zero{stroke:#98a2b3;stroke-dasharray:2 2}
.legend{font-size:12px;color:var(--muted)}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:-1px;margin-left:6px}
.example{border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:10px 0;background:#fcfcfd}
.example summary{display:flex;gap:14px;align-items:baseline;flex-wrap:wrap;cursor:pointer;list-style:none}
.example summary::before{content:"▸";color:var(--muted);width:10px}.example details[open]>summary::before{content:"▾"}
.example summary::-webkit-details-marker{display:none}
.example .req{font-weight:700;font-size:13px}.example .meta{color:var(--muted);font-size:12.5px}
.changed{color:var(--real)}
.ids{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:8px 0}
.ids dt{color:var(--muted);font-size:12px}.ids dd{margin:0}
.id{background:#eef2ff;padding:1px 5px;border-radius:4px;user-select:all}
.copy{font-size:11px;padding:0 6px;border:1px solid var(--line);border-radius:4px;background:#fff;cursor:pointer}
.paths{font-size:12.5px;margin:4px 0 8px;line-height:1.9}.chip{padding:1px 6px;border-radius:4px}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:12px}.side{min-width:0}
pre.body{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px;max-height:420px;overflow:auto;white-space:pre;line-height:1.5}
.j-k{color:#7a3e9d}.j-s{color:#0b6e4f}.j-n{color:#1849a9}.j-l{color:#b54708}
mark{color:inherit;border-radius:3px;padding:0 2px}
mark.hl{background:#ffd3cc;box-shadow:inset 0 0 0 1px #f09a8a}
mark.hl-soft{background:#fff0cc}
mark.hl-noise{background:#eceff3;color:#6b7280}
.skips td{font-size:13px}
@media (max-width:900px){.panels,.sides{grid-template-columns:1fr}.toolbar{flex-wrap:wrap}}
`;

/** The page's script: endpoint filter and copy buttons. */
export const DIFFS_JS = `
document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('button.copy');if(!b)return;
var done=function(){b.textContent='copied';setTimeout(function(){b.textContent='copy'},1200)};
if(navigator.clipboard){navigator.clipboard.writeText(b.dataset.copy).then(done,function(){})}});
var q=document.getElementById('ep-filter');if(q)q.addEventListener('input',function(){var t=q.value.trim().toLowerCase();
document.querySelectorAll('[data-endpoint-key]').forEach(function(el){el.hidden=t!==''&&el.getAttribute('data-endpoint-key').indexOf(t)<0})});
`;
