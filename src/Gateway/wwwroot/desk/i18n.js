// The desk's language: Chinese (zh-CN) or English, from the agent's choice (kept in this browser) or else the
// browser's language. Loaded before the desk's other scripts.
//
//   L('中文', 'English')      in scripts: the text in the desk's language.
//   <b data-zh="中文">English</b>   in pages: the element's text is swapped when the desk is in Chinese; likewise
//   data-zh-title, data-zh-placeholder and data-zh-aria-label for those attributes.
//   <button data-lang-switch>      the 中文 / EN switch: shows the language in use, a click changes to the other one.
//   shopDate(iso, options)         a time as the shop's clock shows it (GET /api/desk/settings: the shop's time zone), in the
//                                  reader's language; deskSettings is the promise of those settings.
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
