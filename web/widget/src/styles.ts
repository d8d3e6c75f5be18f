// All of the widget's CSS. It lives inside the shadow root, so the host page's rules cannot reach
// the widget's elements and these rules cannot reach the page. The host element itself is the one
// thing page rules can match (`* {...}`), so it is reset here; important declarations inside a
// shadow tree win over the page's. Sizes are in px, never rem: the page's root font size is not ours.

export const CSS = `
:host{all:initial!important;display:block!important;position:static!important}
[hidden]{display:none!important}
.root{--p:#007bff;--on-p:#fff;--bg:#fff;--fg:#1b1f24;--mut:#5b6470;--soft:#f1f3f6;--line:#dde1e6;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
text-align:left;letter-spacing:normal;text-transform:none;font-style:normal;font-weight:400;direction:ltr}
.root.dark{--bg:#1d2127;--fg:#eef1f4;--mut:#a3acb8;--soft:#2a3038;--line:#39414b}
@media (prefers-color-scheme:dark){.root.auto{--bg:#1d2127;--fg:#eef1f4;--mut:#a3acb8;--soft:#2a3038;--line:#39414b}}
.root *,.root *::before,.root *::after{box-sizing:border-box}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer;background:none;border:0;padding:0}
:focus-visible{outline:2px solid var(--p);outline-offset:2px}
svg{width:22px;height:22px;fill:currentColor;display:block}
.launcher{position:fixed;z-index:2147483000;width:56px;height:56px;border-radius:50%;background:var(--p);
color:var(--on-p);display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.launcher svg{width:28px;height:28px}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#d93025;
color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}
.panel{position:fixed;z-index:2147483001;width:370px;height:580px;max-height:calc(100vh - 110px);
background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:14px;display:flex;
flex-direction:column;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.25)}
.br .launcher{right:20px;bottom:20px}.br .panel{right:20px;bottom:88px}
.bl .launcher{left:20px;bottom:20px}.bl .panel{left:20px;bottom:88px}
.tr .launcher{right:20px;top:20px}.tr .panel{right:20px;top:88px}
.tl .launcher{left:20px;top:20px}.tl .panel{left:20px;top:88px}
.head{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--p);color:var(--on-p)}
.head img{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff}
.titles{flex:1;min-width:0}
.title{font-weight:600;font-size:15px;margin:0}
.sub{font-size:12px;opacity:.85;margin:0}
.title,.sub{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.head button{padding:6px;border-radius:6px}
.head button:hover{background:rgba(255,255,255,.18)}
.end{font-size:12px;border:1px solid currentColor!important;padding:3px 8px!important}
.body{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px}
.log{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}
.msg{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}
.msg.user{align-self:flex-end;align-items:flex-end}
.row{display:flex;gap:6px;align-items:flex-end}
.row img{width:24px;height:24px;border-radius:50%;object-fit:cover;flex:none}
.who{font-size:11px;color:var(--mut);margin:0 0 2px 4px}
.bubble{background:var(--soft);border-radius:14px;padding:8px 12px;overflow-wrap:anywhere}
.user .bubble{background:var(--p);color:var(--on-p);white-space:pre-wrap}
.human .bubble{border:1px solid var(--p)}
.pending .bubble{opacity:.6}
.failed .bubble{opacity:.6;border:1px dashed #d93025}
.bubble p{margin:0 0 6px}.bubble p:last-child{margin:0}
.bubble ul,.bubble ol{margin:4px 0;padding-left:20px}
.bubble code{font:12px ui-monospace,Menlo,Consolas,monospace;background:rgba(127,127,127,.18);border-radius:4px;padding:1px 4px}
.bubble pre{margin:6px 0;padding:8px;overflow-x:auto;background:rgba(127,127,127,.14);border-radius:6px}
.bubble pre code{background:none;padding:0}
.bubble a{color:inherit;text-decoration:underline}
.cite{font-size:11px;text-decoration:none!important;color:var(--p)!important;font-weight:600}
.sources{margin:4px 0 0;padding:0 0 0 20px;font-size:12px;color:var(--mut)}
.sources li:focus{outline:2px solid var(--p);border-radius:3px}
.files{list-style:none;margin:4px 0 0;padding:0;font-size:12px;color:var(--mut)}
.error{color:#d93025;font-size:12px;margin:2px 4px 0}
.typing{display:flex;gap:4px;padding:12px;background:var(--soft);border-radius:14px;align-self:flex-start}
.typing span{width:7px;height:7px;border-radius:50%;background:var(--mut);animation:bz 1.2s infinite}
.typing span:nth-child(2){animation-delay:.2s}.typing span:nth-child(3){animation-delay:.4s}
@keyframes bz{0%,60%,100%{opacity:.3;transform:translateY(0)}30%{opacity:1;transform:translateY(-3px)}}
@media (prefers-reduced-motion:reduce){.typing span{animation:none}}
.notice{margin:0 14px 8px;padding:8px 10px;border-radius:8px;background:var(--soft);border-left:3px solid var(--p);font-size:13px}
.alert{margin:14px;padding:12px;border-radius:8px;border:1px solid #d93025;background:rgba(217,48,37,.08)}
.alert strong{display:block;margin-bottom:4px}
.alert p{margin:0 0 8px}
.link{color:var(--p);text-decoration:underline;font-size:13px}
.actions{display:flex;gap:8px;padding:0 14px 6px;flex-wrap:wrap}
.chip{font-size:12px;border:1px solid var(--line);border-radius:12px;padding:2px 8px;display:inline-flex;gap:6px;align-items:center}
.compose{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid var(--line)}
.compose textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:10px;padding:8px 10px;
background:var(--bg);max-height:120px;min-height:38px;outline-offset:0}
.compose button{padding:8px;border-radius:8px;color:var(--mut)}
.compose button:hover{background:var(--soft)}
.compose .send{color:var(--p)}
.compose button:disabled{opacity:.4;cursor:default}
.emojis{display:grid;grid-template-columns:repeat(8,1fr);gap:2px;padding:6px;margin:0 8px 4px;border:1px solid var(--line);border-radius:10px}
.emojis button{font-size:20px;padding:4px;border-radius:6px}
.emojis button:hover{background:var(--soft)}
.rate{display:flex;gap:4px;align-items:center;flex-wrap:wrap}
.rate button{font-size:22px;color:#f5a623;padding:2px}
.brand{text-align:center;font-size:11px;color:var(--mut);padding:0 0 6px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.root .panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;border:0}}
`;
