// Sound and desktop notifications for what needs the agent: a new conversation, a customer's message in a conversation
// that is not the one in front of them (or while the tab is hidden), a response-time alert. desk.js tells of these with
// 'desk:attention' events; this file decides whether to chime and notify. The agent's choice is kept in this browser; the
// browser's permission for desktop notifications is asked only when the agent turns them on, never on load.
(function () {
  'use strict';
  const key = 'chatgateway.desk.notify';
  const $ = (id) => document.getElementById(id);
  const ui = { open: $('notify-open'), panel: $('notify-panel'), sound: $('notify-sound'), desktop: $('notify-desktop'), note: $('notify-note') };
  if (!ui.open) return;

  const supported = typeof window.Notification === 'function';
  let settings = { sound: true, desktop: false };
  try {
    const saved = JSON.parse(localStorage.getItem(key) || 'null');
    if (saved && typeof saved === 'object') settings = { sound: saved.sound !== false, desktop: saved.desktop === true };
  } catch { /* storage off or spoilt: the defaults */ }

  function save() {
    try { localStorage.setItem(key, JSON.stringify(settings)); } catch { /* storage off: this page only */ }
  }

  function showNote(text) {
    ui.note.textContent = text || '';
    ui.note.hidden = !text;
  }

  function render() {
    ui.sound.checked = settings.sound;
    ui.desktop.checked = settings.desktop && supported && Notification.permission === 'granted';
    ui.desktop.disabled = !supported;
    const on = settings.sound || ui.desktop.checked;
    ui.open.dataset.state = on ? 'on' : 'off';
    if (!supported) showNote(L('此浏览器不支持桌面通知。', 'This browser has no desktop notifications.'));
    else if (settings.desktop && Notification.permission === 'denied') {
      showNote(L('浏览器已拒绝通知：请在网站设置中允许。', 'The browser blocks notifications for this site: allow them in its site settings.'));
    }
  }

  function openPanel(open) {
    ui.panel.hidden = !open;
    ui.open.setAttribute('aria-expanded', String(open));
    if (open) ui.sound.focus();
  }

  ui.open.addEventListener('click', () => openPanel(ui.panel.hidden));
  ui.panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); openPanel(false); ui.open.focus(); } });
  document.addEventListener('mousedown', (e) => {
    if (!ui.panel.hidden && !ui.panel.contains(e.target) && !ui.open.contains(e.target)) openPanel(false);
  });

  ui.sound.addEventListener('change', () => {
    settings.sound = ui.sound.checked;
    save();
    render();
    if (settings.sound) chime(true);
  });

  ui.desktop.addEventListener('change', async () => {
    showNote('');
    if (!ui.desktop.checked) {
      settings.desktop = false;
      save();
      render();
      return;
    }
    let permission = Notification.permission;
    if (permission === 'default') {
      try { permission = await Notification.requestPermission(); } catch { permission = Notification.permission; }
    }
    settings.desktop = permission === 'granted';
    save();
    render();
    if (permission !== 'granted') {
      showNote(L('浏览器未允许通知：请在网站设置中允许。', 'The browser did not allow notifications: allow them in its site settings.'));
    }
  });

  // One chime for a burst (ten messages in a second ring once).
  let audio = null;
  let lastChime = 0;
  function chime(force) {
    if (!settings.sound) return;
    const now = Date.now();
    if (!force && now - lastChime < 1500) return;
    lastChime = now;
    try {
      if (!audio) audio = new Audio('sounds/chime.wav');
      audio.currentTime = 0;
      const played = audio.play();
      if (played && typeof played.catch === 'function') played.catch(() => { /* the browser wants a click first */ });
    } catch { /* no audio here */ }
  }

  function open(conversationId) {
    const item = document.querySelector(`[data-testid="desk-conversation"][data-conversation-id="${CSS.escape(conversationId)}"]`);
    const inbox = $('tab-inbox');
    if (inbox && inbox.getAttribute('aria-selected') !== 'true') inbox.click();
    if (item) item.click();
  }

  function notify(d) {
    if (!supported || !settings.desktop || Notification.permission !== 'granted') return;
    const title = d.name || L('顾客', 'Customer');
    const body = d.kind === 'overdue'
      ? L('等待回复时间过长', 'Has been waiting for an answer for a while')
      : d.kind === 'assigned'
        ? `${L('新会话', 'New conversation')}${d.preview ? ` · ${d.preview}` : ''}`
        : (d.preview || L('新消息', 'New message'));
    try {
      // The tag replaces this conversation's earlier notification instead of piling up.
      const n = new Notification(title, { body, tag: `chatgateway-${d.conversationId}`, data: { conversationId: d.conversationId, kind: d.kind } });
      n.onclick = () => {
        window.focus();
        open(d.conversationId);
        if (typeof n.close === 'function') n.close();
      };
    } catch { /* a browser that allows notifications only from a service worker */ }
  }

  window.addEventListener('desk:attention', (e) => {
    const d = e.detail || {};
    if (!d.conversationId) return;
    // A new conversation is always worth a sound; a message or an alert not when the agent is looking at that conversation.
    if (d.kind !== 'assigned' && d.visible) return;
    chime(false);
    notify(d);
  });

  render();
})();
