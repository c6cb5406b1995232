// Keyboard shortcuts of the desk, listed on "?". Alt (and Ctrl/Cmd) combinations work everywhere, also while typing a
// reply; single keys (J, K, /, ?) only when the focus is not in a field, so typing is never taken. Each shortcut drives the
// desk's own buttons, so it does what a click does; one whose control is not on the page does nothing and is not listed.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const mac = /Mac|iPhone|iPad/.test(navigator.platform || '');
  const alt = mac ? '⌥' : 'Alt';
  const ctrl = mac ? '⌘' : 'Ctrl';

  const shown = (node) => !!(node && !node.hidden && !node.disabled && node.offsetParent !== null);
  const typing = (t) => !!(t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)));
  const inbox = () => !$('layout') || !$('layout').hidden;

  function conversations() { return Array.from(document.querySelectorAll('#conv-list [data-testid="desk-conversation"]')); }

  function move(step) {
    if (!inbox()) return false;
    const list = conversations();
    if (!list.length) return false;
    const at = list.findIndex((b) => b.getAttribute('aria-current') === 'true');
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    if (next === at) return true;
    list[next].click();
    list[next].scrollIntoView({ block: 'nearest' });
    return true;
  }

  function press(id) {
    const b = $(id);
    if (!shown(b)) return false;
    b.click();
    return true;
  }

  // Note mode belongs to the composer's note feature: used when that feature is on the page.
  function noteControl() { return document.querySelector('[data-testid="desk-mode-note"]'); }
  function searchBox() { return document.querySelector('[data-testid="desk-search"]'); }

  function slash() {
    const reply = $('reply');
    if (!shown(reply) || reply.value) return false;
    reply.focus();
    reply.value = '/';
    reply.setSelectionRange(1, 1);
    reply.dispatchEvent(new Event('input', { bubbles: true }));
    return true;
  }

  const shortcuts = [
    { keys: [`${alt}+↓`, 'J'], zh: '下一个会话', en: 'Next conversation' },
    { keys: [`${alt}+↑`, 'K'], zh: '上一个会话', en: 'Previous conversation' },
    { keys: [`${alt}+C`], zh: '关闭会话', en: 'Close the conversation' },
    { keys: [`${alt}+T`], zh: '转接会话', en: 'Transfer the conversation' },
    { keys: [`${alt}+N`], zh: '切换为内部备注', en: 'Switch the reply to a note', when: noteControl },
    { keys: ['/'], zh: '快捷回复（在空白回复框中）', en: 'Canned replies (in an empty reply box)' },
    { keys: [`${ctrl}+K`], zh: '搜索', en: 'Search', when: searchBox },
    { keys: ['Esc'], zh: '关闭弹出框', en: 'Close a pop-up' },
    { keys: ['?'], zh: '显示快捷键', en: 'Show the shortcuts' },
  ];

  let help = null;
  function showHelp() {
    if (!help) {
      help = document.createElement('dialog');
      help.className = 'shortcuts-help';
      help.setAttribute('data-testid', 'desk-shortcuts-help');
      help.setAttribute('aria-labelledby', 'shortcuts-title');
      help.addEventListener('click', (e) => { if (e.target === help) help.close(); });
      document.body.appendChild(help);
    }
    while (help.firstChild) help.removeChild(help.firstChild);
    const head = document.createElement('div');
    head.className = 'shortcuts-head';
    const title = document.createElement('h3');
    title.id = 'shortcuts-title';
    title.textContent = L('键盘快捷键', 'Keyboard shortcuts');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn btn-secondary btn-sm';
    close.setAttribute('data-testid', 'desk-shortcuts-close');
    close.textContent = L('关闭', 'Close');
    close.addEventListener('click', () => help.close());
    head.appendChild(title);
    head.appendChild(close);
    help.appendChild(head);
    const table = document.createElement('table');
    table.className = 'shortcuts-table';
    for (const s of shortcuts) {
      if (s.when && !s.when()) continue;
      const tr = document.createElement('tr');
      tr.setAttribute('data-testid', 'desk-shortcut');
      const keys = document.createElement('td');
      s.keys.forEach((k, i) => {
        if (i) keys.appendChild(document.createTextNode(' / '));
        const kbd = document.createElement('kbd');
        kbd.textContent = k;
        keys.appendChild(kbd);
      });
      const what = document.createElement('td');
      what.textContent = L(s.zh, s.en);
      tr.appendChild(keys);
      tr.appendChild(what);
      table.appendChild(tr);
    }
    help.appendChild(table);
    help.showModal();
    close.focus();
  }

  // Esc closes what is open over the desk (the dialogs with a Cancel of their own close through it, so they tidy up).
  function closePopovers() {
    for (const id of ['transfer-cancel', 'password-cancel']) {
      const b = $(id);
      if (b && b.closest('[hidden]') === null && shown(b)) { b.click(); return true; }
    }
    return false;
  }

  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.isComposing || e.keyCode === 229) return; // an input method is composing Chinese
    if (!$('app-view') || $('app-view').hidden) return;
    let done = false;
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      // e.code: on a Mac, Option+C types "ç".
      if (e.key === 'ArrowDown') done = move(1);
      else if (e.key === 'ArrowUp') done = move(-1);
      else if (e.code === 'KeyC') done = press('close-conv');
      else if (e.code === 'KeyT') done = press('transfer-open');
      else if (e.code === 'KeyN') { const n = noteControl(); if (n && shown(n)) { n.click(); done = true; } }
    } else if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.code === 'KeyK') {
      const box = searchBox();
      if (box && shown(box)) { box.focus(); if (box.select) box.select(); done = true; }
    } else if (e.key === 'Escape') {
      done = closePopovers();
    } else if (!e.altKey && !e.ctrlKey && !e.metaKey && !typing(e.target) && !(help && help.open)) {
      if (e.key === '?') { showHelp(); done = true; }
      else if (e.key === 'j' || e.key === 'J') done = move(1);
      else if (e.key === 'k' || e.key === 'K') done = move(-1);
      else if (e.key === '/') done = slash();
    }
    if (done) e.preventDefault();
  });
})();
