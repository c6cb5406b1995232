// The desk's language: Chinese (zh-CN) or English, from the agent's choice (kept in this browser) or else the
// browser's language. Loaded before the desk's other scripts.
//
//   L('中文', 'English')      in scripts: the text in the desk's language.
//   <b data-zh="中文">English</b>   in pages: the element's text is swapped when the desk is in Chinese; likewise
//   data-zh-title, data-zh-placeholder and data-zh-aria-label for those attributes.
//   <button data-lang-switch>      the 中文 / EN switch: shows the language in use, a click changes to the other one.
//   shopDate(iso, options)         a time as the shop's clock shows it (GET /api/desk/settings: the shop's time zone), in the
//                                  reader's language; deskSettings is the promise of those settings.
//   shopLocalToIso(local), shopInputValue(iso)   datetime-local pickers on the shop's clock; shopZone() its IANA name.
(function () {
  'use strict';
  const key = 'chatgateway.desk.lang';
  function chosen() {
    try {
      const saved = localStorage.getItem(key);
      if (saved === 'zh' || saved === 'en') return saved;
    } catch { /* storage off: follow the browser */ }
    const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
    for (const l of langs) {
      const p = String(l).toLowerCase();
      if (p.startsWith('zh')) return 'zh';
      if (p.startsWith('en')) return 'en';
    }
    return 'en';
  }

  const lang = chosen();
  window.deskLang = lang;
  window.L = (zh, en) => (lang === 'zh' ? zh : en);
  window.setDeskLang = (l) => {
    try { localStorage.setItem(key, l); } catch { /* storage off: this page only */ }
    location.reload();
  };

  function apply(root) {
    if (lang !== 'zh') return;
    for (const e of root.querySelectorAll('[data-zh]')) e.textContent = e.getAttribute('data-zh');
    for (const attr of ['title', 'placeholder', 'aria-label']) {
      for (const e of root.querySelectorAll(`[data-zh-${attr}]`)) e.setAttribute(attr, e.getAttribute(`data-zh-${attr}`));
    }
  }
  window.applyDeskLang = apply;

  // The shop's time zone: until the settings are in (or when they cannot be read), the browser's own.
  let zone;
  const locale = lang === 'zh' ? 'zh-CN' : 'en';
  window.deskSettings = fetch('/api/desk/settings', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}))
    .then((s) => {
      try { if (s && s.timeZone) { new Intl.DateTimeFormat('en', { timeZone: s.timeZone }); zone = s.timeZone; } } catch { /* unknown to this browser */ }
      return s || {};
    });
  const formats = new Map();
  window.shopDate = (iso, options) => {
    const d = iso instanceof Date ? iso : new Date(iso);
    if (isNaN(d)) return '';
    const key = JSON.stringify(options) + (zone || '');
    let f = formats.get(key);
    if (!f) formats.set(key, f = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, options)));
    return f.format(d);
  };

  // A day of the shop's calendar as yyyy-MM-dd (the reports' from and to).
  window.shopDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

  // Pickers (datetime-local) read and write the shop's wall clock, not the browser's: an agent on a New York laptop who picks
  // 09:00 for a Shanghai shop means 09:00 in Shanghai.
  window.shopZone = () => zone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const wallParts = new Map();
  // The wall clock of a zone at an instant, as milliseconds read as if it were UTC.
  function wallOf(ms, z) {
    let f = wallParts.get(z);
    if (!f) {
      wallParts.set(z, f = new Intl.DateTimeFormat('en-US', {
        timeZone: z, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      }));
    }
    const p = {};
    for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
  }
  // The zone's offset from UTC at an instant, in minutes (Shanghai +480, New York -300 or -240).
  function offsetAt(ms, z) { return Math.round((wallOf(ms, z) - Math.floor(ms / 1000) * 1000) / 60000); }
  const pad = (n) => String(n).padStart(2, '0');
  // yyyy-MM-ddTHH:mm in the shop's zone (or z) as a time with that zone's offset, as the API takes it; '' when unreadable.
  // A time the clocks skip (a DST spring-forward gap) moves on by the gap; a time they pass twice is the first one.
  window.shopLocalToIso = (local, z) => {
    z = z || window.shopZone();
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(String(local || ''));
    if (!m) return '';
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    // Two offsets around the wall time (a day apart) cover both sides of any change; take the one that reads back.
    const candidates = [offsetAt(wall - 86400000, z), offsetAt(wall + 86400000, z)].sort((a, b) => b - a);
    let at = null;
    for (const off of candidates) {
      const t = wall - off * 60000;
      if (offsetAt(t, z) === off) { at = t; break; }
    }
    if (at === null) at = wall - candidates[1] * 60000; // in a gap: read with the offset before the jump, it lands after it
    const off = offsetAt(at, z);
    const w = new Date(at + off * 60000);
    const a = Math.abs(off);
    return `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`
      + `${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  };
  // An instant as a picker's value (yyyy-MM-ddTHH:mm) on the shop's clock (or z's).
  window.shopInputValue = (iso, z) => {
    const d = iso instanceof Date ? iso : new Date(iso);
    if (isNaN(d)) return '';
    const w = new Date(wallOf(d.getTime(), z || window.shopZone()));
    return `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;
  };

  function wireSwitches(root) {
    for (const b of root.querySelectorAll('[data-lang-switch]')) {
      b.replaceChildren();
      for (const [l, name] of [['zh', '中文'], ['en', 'EN']]) {
        const part = document.createElement('span');
        part.textContent = name;
        part.className = l === lang ? 'lang-on' : 'lang-off';
        b.appendChild(part);
        if (l === 'zh') b.appendChild(document.createTextNode(' / '));
      }
      b.dataset.lang = lang;
      b.title = lang === 'zh' ? 'Switch to English' : '切换到中文';
      b.setAttribute('aria-label', b.title);
      b.addEventListener('click', () => window.setDeskLang(lang === 'zh' ? 'en' : 'zh'));
    }
  }
  function start() { apply(document); wireSwitches(document); }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
