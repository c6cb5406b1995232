// The desk's language: Chinese (zh-CN) or English, from the agent's choice (kept in this browser) or else the
// browser's language. Loaded before the desk's other scripts.
//
//   L('中文', 'English')      in scripts: the text in the desk's language.
//   <b data-zh="中文">English</b>   in pages: the element's text is swapped when the desk is in Chinese; likewise
//   data-zh-title, data-zh-placeholder and data-zh-aria-label for those attributes.
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
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => apply(document));
  else apply(document);
})();
