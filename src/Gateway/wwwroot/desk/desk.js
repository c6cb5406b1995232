// ChatGateway agent desk. Plain JS, no build step. Every text from customers, agents or the server
// goes into the page as text (textContent / createTextNode), never as HTML.
(function () {
  'use strict';

  // ------------------------------------------------------------------ DOM
  const $ = (id) => document.getElementById(id);
  const ui = {
    boot: $('boot'),
    loginView: $('login-view'), loginForm: $('login-form'), username: $('login-username'), password: $('login-password'),
    loginError: $('login-error'), loginButton: $('login-button'),
    app: $('app-view'), connection: $('connection'), connectionText: $('connection-text'),
    presence: $('presence'), presenceWrap: $('presence-wrap'),
    meAvatar: $('me-avatar'), meName: $('me-name'), meSkills: $('me-skills'), logout: $('logout'),
    offlineBanner: $('offline-banner'), offlineState: $('offline-state'), goOnline: $('go-online'),
    layout: $('layout'), convCount: $('conv-count'), load: $('load'), convList: $('conv-list'), listEmpty: $('list-empty'),
    threadEmpty: $('thread-empty'), thread: $('thread'), back: $('back'), threadAvatar: $('thread-avatar'),
    threadName: $('thread-name'), threadSub: $('thread-sub'), threadBadges: $('thread-badges'), closeConv: $('close-conv'),
    messages: $('messages'), closedNote: $('closed-note'),
    composer: $('composer'), reply: $('reply'), replyVia: $('reply-via'), replyCount: $('reply-count'), send: $('send'), replyError: $('reply-error'),
    details: $('details'), detailsContact: $('details-contact'), detailsConversation: $('details-conversation'),
    toast: $('toast'),
  };

  // ------------------------------------------------------------------ state
  const state = {
    me: null,
    conversations: new Map(), // id -> conversation (without messages)
    messages: new Map(),      // id -> array of messages, for conversations opened or pushed with messages
    selectedId: null,
    selectedClosed: false,    // the selected conversation was closed while open
    closedSnapshot: null,     // its last known summary, to keep showing it
    unread: new Set(),
    drafts: new Map(),
    connection: null,
    sending: false,
    closing: false,
    listReloadTimer: null,
    detailSeq: 0,
  };

  const REPLY_LIMIT = 4000;
  const wide = () => window.matchMedia('(min-width: 801px)').matches;

  // ------------------------------------------------------------------ helpers
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(method, url, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (!res.ok) {
      const reason = data && typeof data.error === 'string' && data.error ? data.error : `The server answered ${res.status}.`;
      if (res.status === 401 && state.me && url !== '/api/auth/login') signedOut('Your session has ended. Please sign in again.');
      throw new ApiError(res.status, reason);
    }
    return data;
  }

  function contactName(c) {
    const k = c && c.contact;
    if (!k) return 'Unknown customer';
    return k.displayName || k.phone || k.email || 'Website visitor';
  }
  function initials(text) {
    const t = String(text || '').trim();
    if (!t) return '?';
    if (/^[+\d\s()-]+$/.test(t)) return '#';
    const parts = t.split(/\s+/).filter(Boolean);
    const first = Array.from(parts[0])[0] || '?';
    const second = parts.length > 1 ? (Array.from(parts[parts.length - 1])[0] || '') : '';
    return (first + second).toUpperCase();
  }
  function hue(text) {
    let h = 0;
    for (const ch of String(text || '')) h = (h * 31 + ch.codePointAt(0)) % 360;
    return h;
  }
  function setAvatar(node, label, seed) {
    node.textContent = initials(label);
    node.style.setProperty('--hue', String(hue(seed || label)));
  }
  function time(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function dateTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  function dayLabel(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const today = new Date(); today.setHours(0, 0, 0, 0);
    const day = new Date(d); day.setHours(0, 0, 0, 0);
    const diff = Math.round((today - day) / 86400000);
    if (diff === 0) return 'Today';
    if (diff === 1) return 'Yesterday';
    return d.toLocaleDateString([], { weekday: 'short', month: 'short', day: 'numeric', year: today.getFullYear() === d.getFullYear() ? undefined : 'numeric' });
  }
  function ago(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
    if (s < 60) return 'now';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) return Math.floor(s / 3600) + 'h';
    if (s < 7 * 86400) return Math.floor(s / 86400) + 'd';
    return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
  }
  function channelLabel(type, instanceId) { return type || instanceId || 'channel'; }
  function channelBadge(type, instanceId) {
    const label = channelLabel(type, instanceId);
    return el('span', 'badge badge-channel', label, {
      'data-channel': type || '', 'data-testid': 'desk-channel-badge',
      title: instanceId && instanceId !== label ? `Channel ${label} (${instanceId})` : `Channel ${label}`,
    });
  }

  let toastTimer = null;
  function toast(text, kind) {
    ui.toast.textContent = text;
    ui.toast.dataset.kind = kind || 'info';
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, kind === 'error' ? 6000 : 3000);
  }

  // Status never goes back to pending once the gateway said more (a late 202 or event).
  function mergeMessage(list, msg) {
    const i = list.findIndex((m) => m.id === msg.id);
    if (i < 0) {
      list.push(msg);
      list.sort((a, b) => new Date(a.createdAt) - new Date(b.createdAt));
      return true;
    }
    const old = list[i];
    if (msg.status === 'pending' && old.status && old.status !== 'pending') return false;
    list[i] = Object.assign({}, old, msg);
    return true;
  }

  // ------------------------------------------------------------------ views
  function show(view) {
    ui.boot.hidden = true;
    ui.loginView.hidden = view !== 'login';
    ui.app.hidden = view !== 'app';
  }

  function showLogin(message) {
    show('login');
    ui.loginError.hidden = !message;
    ui.loginError.textContent = message || '';
    ui.loginButton.disabled = false;
    setTimeout(() => (ui.username.value ? ui.password : ui.username).focus(), 0);
  }

  // ------------------------------------------------------------------ sign-in / out
  ui.loginForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const userName = ui.username.value.trim();
    const password = ui.password.value;
    if (!userName || !password) {
      ui.loginError.textContent = 'Enter your user name and password.';
      ui.loginError.hidden = false;
      return;
    }
    ui.loginError.hidden = true;
    ui.loginButton.disabled = true;
    ui.loginButton.textContent = 'Signing in…';
    try {
      const me = await api('POST', '/api/auth/login', { userName, password });
      ui.password.value = '';
      startApp(me);
    } catch (err) {
      ui.loginError.textContent = err.status === 401 || err.status === 400 ? err.message : `Sign-in failed: ${err.message}`;
      ui.loginError.hidden = false;
      ui.password.select();
    } finally {
      ui.loginButton.disabled = false;
      ui.loginButton.textContent = 'Sign in';
    }
  });

  ui.logout.addEventListener('click', async () => {
    ui.logout.disabled = true;
    // Going offline first, so that no conversation is assigned to a desk nobody is looking at.
    if (state.me && state.me.presence === 'online') {
      try { await api('PUT', '/api/agents/me/presence', { presence: 'offline' }); } catch (e) { /* signing out anyway */ }
    }
    try { await api('POST', '/api/auth/logout'); } catch (e) { /* the cookie may already be gone */ }
    ui.logout.disabled = false;
    signedOut(null);
  });

  function signedOut(message) {
    const conn = state.connection;
    state.connection = null;
    if (conn) conn.stop().catch(() => {});
    state.me = null;
    state.conversations.clear();
    state.messages.clear();
    state.unread.clear();
    state.drafts.clear();
    state.selectedId = null;
    state.selectedClosed = false;
    state.closedSnapshot = null;
    ui.reply.value = '';
    clear(ui.convList);
    listNodes.clear();
    clear(ui.messages);
    document.title = 'Agent desk · ChatGateway';
    showLogin(message);
  }

  // ------------------------------------------------------------------ the agent
  function startApp(me) {
    state.me = me;
    show('app');
    renderMe();
    renderList();
    renderThread();
    loadConversations();
    startHub();
  }

  function renderMe() {
    const me = state.me;
    if (!me) return;
    ui.meName.textContent = me.displayName || me.userName;
    ui.meName.title = me.userName ? `Signed in as ${me.userName}` : '';
    ui.meSkills.textContent = Array.isArray(me.skills) && me.skills.length ? me.skills.join(' · ') : 'No skills';
    setAvatar(ui.meAvatar, me.displayName || me.userName, me.userName);
    const presence = typeof me.presence === 'string' && me.presence ? me.presence : 'offline';
    // A presence this page does not offer (set elsewhere) is shown as it is.
    if (!Array.from(ui.presence.options).some((o) => o.value === presence)) {
      ui.presence.appendChild(el('option', null, presence.charAt(0).toUpperCase() + presence.slice(1), { value: presence }));
    }
    ui.presence.value = presence;
    ui.presenceWrap.dataset.presence = presence;
    ui.offlineState.textContent = presence;
    ui.offlineBanner.hidden = presence === 'online';
    renderLoad();
  }

  function renderLoad() {
    const me = state.me;
    if (!me) return;
    const open = state.conversations.size;
    ui.load.textContent = me.maxConcurrent ? `${open} / ${me.maxConcurrent} chats` : `${open} chats`;
  }

  async function setPresence(presence) {
    const before = state.me.presence;
    ui.presence.disabled = true;
    ui.goOnline.disabled = true;
    try {
      state.me = await api('PUT', '/api/agents/me/presence', { presence });
      toast(presence === 'online' ? 'You are online: new conversations will come to you.' : 'You are offline.');
    } catch (err) {
      state.me.presence = before;
      if (err.status !== 401) toast(`Could not change presence: ${err.message}`, 'error');
    } finally {
      ui.presence.disabled = false;
      ui.goOnline.disabled = false;
      renderMe();
    }
  }
  ui.presence.addEventListener('change', () => setPresence(ui.presence.value));
  ui.goOnline.addEventListener('click', () => setPresence('online'));

  // ------------------------------------------------------------------ conversations
  async function loadConversations() {
    let list;
    try {
      list = await api('GET', '/api/conversations');
    } catch (err) {
      if (err.status !== 401) toast(`Could not load conversations: ${err.message}`, 'error');
      return;
    }
    if (!state.me || !Array.isArray(list)) return;
    const ids = new Set(list.map((c) => c.id));
    for (const id of state.conversations.keys()) {
      if (!ids.has(id)) {
        if (id === state.selectedId) markSelectedClosed();
        state.unread.delete(id);
        if (id !== state.selectedId) state.messages.delete(id);
      }
    }
    const previous = state.conversations;
    state.conversations = new Map(list.map((c) => [c.id, Object.assign({}, previous.get(c.id) || {}, withoutMessages(c))]));
    renderList();
    if (state.selectedId && state.conversations.has(state.selectedId)) {
      loadDetail(state.selectedId);
    } else if (!state.selectedId && list.length && wide()) {
      select(sortedConversations()[0].id);
    } else {
      renderThread();
    }
  }

  function scheduleListReload() {
    clearTimeout(state.listReloadTimer);
    state.listReloadTimer = setTimeout(loadConversations, 300);
  }

  function withoutMessages(c) {
    const copy = Object.assign({}, c);
    delete copy.messages;
    return copy;
  }

  function sortedConversations() {
    return Array.from(state.conversations.values()).sort((a, b) =>
      (new Date(b.lastMessageAt || b.createdAt) - new Date(a.lastMessageAt || a.createdAt)));
  }

  function lastPreview(id) {
    const list = state.messages.get(id);
    if (!list || !list.length) return null;
    const m = list[list.length - 1];
    return (m.direction === 'out' ? 'You: ' : '') + String(m.text || '').replace(/\s+/g, ' ');
  }

  const listNodes = new Map(); // conversation id -> <li>, reused so clicks and focus survive updates

  function renderList() {
    const items = sortedConversations();
    ui.convCount.textContent = String(items.length);
    ui.listEmpty.hidden = items.length > 0;
    renderLoad();
    const keep = new Set();
    items.forEach((c, index) => {
      keep.add(c.id);
      let li = listNodes.get(c.id);
      if (!li) {
        li = el('li');
        const b = el('button', 'conv', null, { type: 'button', 'data-testid': 'desk-conversation', 'data-conversation-id': c.id });
        b.addEventListener('click', () => select(c.id));
        li.appendChild(b);
        listNodes.set(c.id, li);
      }
      fillListItem(li.firstChild, c);
      if (ui.convList.children[index] !== li) ui.convList.insertBefore(li, ui.convList.children[index] || null);
    });
    for (const [id, li] of listNodes) {
      if (!keep.has(id)) { li.remove(); listNodes.delete(id); }
    }
    const n = state.unread.size;
    document.title = (n ? `(${n}) ` : '') + 'Agent desk · ChatGateway';
  }

  function fillListItem(b, c) {
    const name = contactName(c);
    const unread = state.unread.has(c.id);
    b.setAttribute('data-unread', unread ? 'true' : 'false');
    b.setAttribute('data-status', c.status || '');
    b.setAttribute('aria-current', c.id === state.selectedId ? 'true' : 'false');
    clear(b);
    const avatar = el('span', 'avatar');
    setAvatar(avatar, name, c.contact && c.contact.id);
    b.appendChild(avatar);

    const main = el('span', 'conv-main');
    const top = el('span', 'conv-top');
    top.appendChild(el('span', 'conv-name', name, { 'data-testid': 'desk-conversation-name' }));
    top.appendChild(el('span', 'conv-time', ago(c.lastMessageAt || c.createdAt), { title: dateTime(c.lastMessageAt || c.createdAt) }));
    main.appendChild(top);

    const k = c.contact || {};
    const sub = [k.displayName ? k.phone : null, k.displayName || k.phone ? k.email : null].filter(Boolean).join(' · ');
    if (sub) main.appendChild(el('span', 'conv-sub', sub));
    const preview = lastPreview(c.id);
    if (preview) main.appendChild(el('span', 'conv-preview', preview));

    const badges = el('span', 'badges');
    badges.appendChild(channelBadge(c.channelType, c.channelInstanceId));
    if (c.skill) badges.appendChild(el('span', 'badge badge-skill', c.skill, { 'data-testid': 'desk-skill-badge' }));
    if (k.isVip) badges.appendChild(el('span', 'badge badge-vip', 'VIP', { 'data-testid': 'desk-vip-badge' }));
    main.appendChild(badges);
    b.appendChild(main);

    if (unread) b.appendChild(el('span', 'unread-dot', null, { 'data-testid': 'desk-unread', 'aria-label': 'Unread' }));
  }

  function saveDraft() {
    if (state.selectedId) {
      if (ui.reply.value) state.drafts.set(state.selectedId, ui.reply.value); else state.drafts.delete(state.selectedId);
    }
  }

  function select(id) {
    if (id !== state.selectedId) {
      saveDraft();
      ui.reply.value = state.drafts.get(id) || '';
      ui.replyError.hidden = true;
    }
    state.selectedId = id;
    state.selectedClosed = false;
    state.closedSnapshot = null;
    state.unread.delete(id);
    ui.layout.classList.add('show-thread');
    renderList();
    renderThread(true);
    loadDetail(id);
  }

  async function loadDetail(id) {
    const seq = ++state.detailSeq;
    let detail;
    try {
      detail = await api('GET', `/api/conversations/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err.status === 404 && id === state.selectedId) {
        state.conversations.delete(id);
        markSelectedClosed();
        renderList();
        renderThread();
      } else if (err.status !== 401 && id === state.selectedId) {
        toast(`Could not load the conversation: ${err.message}`, 'error');
      }
      return;
    }
    if (seq !== state.detailSeq && id !== state.selectedId) return;
    const list = (state.messages.get(id) || []).slice();
    const fresh = Array.isArray(detail.messages) ? detail.messages.slice() : [];
    // Keep what arrived live after the server read the history.
    const known = new Set(fresh.map((m) => m.id));
    for (const m of list) if (!known.has(m.id)) fresh.push(m);
    fresh.sort((a, b) => new Date(a.createdAt) - new Date(b.createdAt));
    for (const m of list) {
      const i = fresh.findIndex((x) => x.id === m.id);
      if (i >= 0 && fresh[i].status === 'pending' && m.status && m.status !== 'pending') fresh[i] = m;
    }
    state.messages.set(id, fresh);
    if (state.conversations.has(id)) state.conversations.set(id, Object.assign({}, state.conversations.get(id), withoutMessages(detail)));
    renderList();
    if (id === state.selectedId) renderThread(true);
  }

  function markSelectedClosed() {
    if (!state.selectedId || state.selectedClosed) return;
    state.closedSnapshot = Object.assign({}, state.conversations.get(state.selectedId) || state.closedSnapshot || {}, { status: 'closed' });
    state.selectedClosed = true;
  }

  function removeConversation(id) {
    if (id === state.selectedId) markSelectedClosed();
    state.conversations.delete(id);
    state.unread.delete(id);
    if (id !== state.selectedId) state.messages.delete(id);
    renderList();
    if (id === state.selectedId) renderThread();
  }

  ui.back.addEventListener('click', () => {
    ui.layout.classList.remove('show-thread');
    if (state.selectedClosed) {
      saveDraft();
      state.selectedId = null;
      state.selectedClosed = false;
      renderThread();
      renderList();
    }
  });

  // ------------------------------------------------------------------ the selected conversation
  function currentConversation() {
    if (!state.selectedId) return null;
    return state.conversations.get(state.selectedId) || (state.selectedClosed ? state.closedSnapshot : null);
  }

  function renderThread(scrollToEnd) {
    const c = currentConversation();
    ui.threadEmpty.hidden = !!c;
    ui.thread.hidden = !c;
    ui.details.hidden = !c;
    ui.layout.classList.toggle('no-details', !c);
    if (!c) {
      ui.layout.classList.remove('show-thread');
      return;
    }
    const name = contactName(c);
    const k = c.contact || {};
    setAvatar(ui.threadAvatar, name, k.id);
    ui.threadName.textContent = name;
    ui.threadSub.textContent = [k.displayName ? k.phone : null, k.email && (k.displayName || k.phone) ? k.email : null, `since ${dateTime(c.createdAt)}`]
      .filter(Boolean).join(' · ');
    clear(ui.threadBadges);
    ui.threadBadges.appendChild(channelBadge(c.channelType, c.channelInstanceId));
    if (c.skill) ui.threadBadges.appendChild(el('span', 'badge badge-skill', c.skill));
    if (k.isVip) ui.threadBadges.appendChild(el('span', 'badge badge-vip', 'VIP'));
    if (state.selectedClosed) ui.threadBadges.appendChild(el('span', 'badge badge-status', 'Closed'));

    const closed = state.selectedClosed || c.status === 'closed';
    ui.thread.dataset.conversationId = state.selectedId;
    ui.thread.dataset.status = closed ? 'closed' : c.status;
    ui.closeConv.hidden = closed;
    ui.closeConv.disabled = state.closing;
    ui.closedNote.hidden = !closed;
    ui.reply.disabled = closed;
    ui.send.disabled = closed || state.sending;
    const via = el('span');
    via.appendChild(document.createTextNode('Reply goes out via '));
    via.appendChild(el('strong', null, channelLabel(c.channelType, c.channelInstanceId)));
    clear(ui.replyVia);
    ui.replyVia.appendChild(via);
    renderCount();
    renderMessages(c, scrollToEnd);
    renderDetails(c);
  }

  function renderMessages(c, scrollToEnd) {
    const box = ui.messages;
    const stick = scrollToEnd || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    clear(box);
    const list = state.messages.get(state.selectedId);
    if (!list) {
      box.appendChild(el('div', 'divider', 'Loading…'));
      return;
    }
    if (!list.length) box.appendChild(el('div', 'divider', 'No messages yet'));
    const name = contactName(c);
    let lastDay = null;
    let lastConversation = null;
    for (const m of list) {
      const day = dayLabel(m.createdAt);
      if (day !== lastDay) {
        box.appendChild(el('div', 'divider', day));
        lastDay = day;
      } else if (m.conversationId && lastConversation && m.conversationId !== lastConversation) {
        box.appendChild(el('div', 'divider', 'New conversation'));
      }
      if (m.conversationId) lastConversation = m.conversationId;
      box.appendChild(renderMessage(m, name));
    }
    if (stick) box.scrollTop = box.scrollHeight;
  }

  function statusText(m) {
    switch (m.status) {
      case 'pending': return 'Sending…';
      case 'sent': return 'Sent';
      case 'delivered': return 'Delivered';
      case 'failed': return 'Failed' + (m.error ? `: ${m.error}` : '');
      default: return m.status || '';
    }
  }

  function renderMessage(m, customerName) {
    const out = m.direction === 'out';
    const node = el('div', 'msg', null, {
      'data-testid': 'desk-message',
      'data-message-id': m.id,
      'data-direction': out ? 'out' : 'in',
      'data-status': m.status || '',
      'data-channel': m.channelType || m.channelInstanceId || '',
    });
    const head = el('div', 'msg-head');
    head.appendChild(el('span', 'msg-author', out ? (m.agentName || 'Agent') : customerName));
    head.appendChild(channelBadge(m.channelType, m.channelInstanceId));
    head.appendChild(el('span', 'msg-time', time(m.createdAt), { title: dateTime(m.createdAt) }));
    node.appendChild(head);
    node.appendChild(el('div', 'msg-bubble', m.text, { 'data-testid': 'desk-message-text' }));
    if (out) {
      const status = el('div', 'msg-status', null, { 'data-status': m.status || '' });
      if (m.status === 'failed') {
        status.appendChild(el('span', null, statusText(m), { 'data-testid': 'desk-message-error', role: 'alert' }));
      } else {
        status.appendChild(el('span', null, statusText(m), { 'data-testid': 'desk-message-status' }));
      }
      node.appendChild(status);
    }
    return node;
  }

  function renderDetails(c) {
    const k = c.contact || {};
    const fill = (dl, rows) => {
      clear(dl);
      for (const [label, value] of rows) {
        if (value === null || value === undefined || value === '') continue;
        dl.appendChild(el('dt', null, label));
        const dd = el('dd');
        if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
        dl.appendChild(dd);
      }
    };
    fill(ui.detailsContact, [
      ['Name', k.displayName || '—'],
      ['Phone', k.phone || '—'],
      ['Email', k.email || '—'],
      ['VIP', k.isVip ? el('span', 'badge badge-vip', 'VIP customer') : 'No'],
    ]);
    fill(ui.detailsConversation, [
      ['Status', state.selectedClosed ? 'closed' : c.status],
      ['Channel', channelLabel(c.channelType, c.channelInstanceId) + (c.channelInstanceId && c.channelType && c.channelInstanceId !== c.channelType ? ` (${c.channelInstanceId})` : '')],
      ['Skill', c.skill],
      ['Priority', c.priority],
      ['Routing', c.routingReason],
      ['Started', dateTime(c.createdAt)],
      ['Last message', dateTime(c.lastMessageAt)],
    ]);
  }

  // ------------------------------------------------------------------ replying
  function smsSegments(text) {
    // GSM-7 basic set (roughly) fits 160 per SMS (153 when split); anything else is UCS-2: 70 (67).
    const gsm = /^[A-Za-z0-9 \r\n@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/.test(text);
    const len = Array.from(text).length;
    if (gsm) return len <= 160 ? 1 : Math.ceil(len / 153);
    return len <= 70 ? 1 : Math.ceil(len / 67);
  }

  function renderCount() {
    const text = ui.reply.value;
    const c = currentConversation();
    if (!text) { ui.replyCount.textContent = ''; ui.replyCount.dataset.over = 'false'; return; }
    let label = `${text.length} / ${REPLY_LIMIT}`;
    if (c && c.channelType === 'sms') {
      const n = smsSegments(text);
      label += ` · ${n} SMS${n > 1 ? ' segments' : ''}`;
    }
    ui.replyCount.textContent = label;
    ui.replyCount.dataset.over = text.length > REPLY_LIMIT ? 'true' : 'false';
  }

  ui.reply.addEventListener('input', () => {
    renderCount();
    if (!ui.replyError.hidden && ui.reply.value.length <= REPLY_LIMIT) ui.replyError.hidden = true;
  });
  ui.reply.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendReply();
    }
  });
  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });

  async function sendReply() {
    const id = state.selectedId;
    const text = ui.reply.value;
    if (!id || state.sending || state.selectedClosed || !text.trim()) return;
    if (text.length > REPLY_LIMIT) {
      ui.replyError.textContent = `The reply is ${text.length} characters; the limit is ${REPLY_LIMIT}.`;
      ui.replyError.hidden = false;
      return;
    }
    state.sending = true;
    ui.send.disabled = true;
    ui.replyError.hidden = true;
    try {
      const msg = await api('POST', `/api/conversations/${encodeURIComponent(id)}/messages`, { text });
      if (state.selectedId === id && ui.reply.value === text) ui.reply.value = '';
      state.drafts.delete(id);
      if (msg && msg.id) {
        const list = state.messages.get(id) || [];
        mergeMessage(list, msg);
        state.messages.set(id, list);
        touch(id, msg);
      }
      renderCount();
      renderList();
      if (state.selectedId === id) renderMessages(currentConversation(), true);
    } catch (err) {
      if (state.selectedId === id) {
        ui.replyError.textContent = `Not sent: ${err.message}`;
        ui.replyError.hidden = false;
      }
      if (err.status === 409 || err.status === 404) removeConversation(id);
    } finally {
      state.sending = false;
      if (state.selectedId === id) {
        ui.send.disabled = state.selectedClosed;
        if (!state.selectedClosed) ui.reply.focus();
      }
    }
  }

  function touch(id, msg) {
    const c = state.conversations.get(id);
    if (!c || !msg) return;
    if (msg.createdAt && (!c.lastMessageAt || new Date(msg.createdAt) > new Date(c.lastMessageAt))) c.lastMessageAt = msg.createdAt;
    // A customer who writes on another channel is answered there.
    if (msg.direction === 'in' && msg.channelInstanceId) {
      c.channelInstanceId = msg.channelInstanceId;
      if (msg.channelType) c.channelType = msg.channelType;
    }
  }

  ui.closeConv.addEventListener('click', async () => {
    const id = state.selectedId;
    if (!id || state.closing) return;
    state.closing = true;
    ui.closeConv.disabled = true;
    try {
      await api('POST', `/api/conversations/${encodeURIComponent(id)}/close`);
      toast('Conversation closed.');
      afterClosedByMe(id);
    } catch (err) {
      if (err.status === 409 || err.status === 404) afterClosedByMe(id);
      else if (err.status !== 401) toast(`Could not close the conversation: ${err.message}`, 'error');
    } finally {
      state.closing = false;
      ui.closeConv.disabled = false;
    }
  });

  function afterClosedByMe(id) {
    state.conversations.delete(id);
    state.messages.delete(id);
    state.unread.delete(id);
    state.drafts.delete(id);
    if (state.selectedId === id) {
      state.selectedId = null;
      state.selectedClosed = false;
      state.closedSnapshot = null;
      ui.reply.value = '';
      const next = sortedConversations()[0];
      if (next && wide()) { select(next.id); return; }
      ui.layout.classList.remove('show-thread');
    }
    renderList();
    renderThread();
  }

  // ------------------------------------------------------------------ live updates
  function setConnection(kind, text) {
    ui.connection.dataset.state = kind;
    ui.connectionText.textContent = text;
  }

  function startHub() {
    if (typeof window.signalR === 'undefined') {
      setConnection('offline', 'Live updates unavailable');
      return;
    }
    const conn = new signalR.HubConnectionBuilder()
      .withUrl('/hubs/agent')
      .withAutomaticReconnect()
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    state.connection = conn;

    conn.on('conversationAssigned', (conversation) => {
      if (!conversation || !conversation.id) return;
      const id = conversation.id;
      state.conversations.set(id, Object.assign({}, state.conversations.get(id) || {}, withoutMessages(conversation)));
      if (Array.isArray(conversation.messages)) {
        const list = state.messages.get(id) || [];
        for (const m of conversation.messages) mergeMessage(list, m);
        state.messages.set(id, list);
      }
      if (!state.selectedId || state.selectedClosed) {
        select(id);
      } else {
        if (id !== state.selectedId) state.unread.add(id);
        renderList();
        if (id === state.selectedId) renderThread();
      }
      const name = contactName(conversation);
      if (id !== state.selectedId || document.hidden) toast(`New conversation: ${name}`);
    });

    conn.on('messageAdded', (conversationId, message) => onMessage(conversationId, message, true));
    conn.on('messageStatusChanged', (conversationId, message) => onMessage(conversationId, message, false));

    conn.on('conversationClosed', (conversationId) => {
      if (!state.conversations.has(conversationId)) return;
      removeConversation(conversationId);
    });

    conn.onreconnecting(() => setConnection('reconnecting', 'Reconnecting…'));
    conn.onreconnected(() => {
      setConnection('live', 'Live');
      refresh();
    });
    conn.onclose(() => {
      if (state.connection !== conn) return;
      setConnection('offline', 'Disconnected, retrying…');
      keepTrying(conn, 2000);
    });

    keepTrying(conn, 0);
  }

  async function keepTrying(conn, firstDelay) {
    let delay = firstDelay;
    while (state.connection === conn) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (state.connection !== conn) return;
      setConnection(delay ? 'reconnecting' : 'connecting', delay ? 'Reconnecting…' : 'Connecting…');
      try {
        await conn.start();
        if (state.connection !== conn) { conn.stop().catch(() => {}); return; }
        setConnection('live', 'Live');
        refresh();
        return;
      } catch (err) {
        if (state.connection !== conn) return;
        if (err && err.statusCode === 401) {
          signedOut('Your session has ended. Please sign in again.');
          return;
        }
        setConnection('offline', 'Disconnected, retrying…');
        delay = Math.min(Math.max(delay * 2, 2000), 30000);
      }
    }
  }

  function onMessage(conversationId, message, added) {
    if (!message || !message.id) return;
    const c = state.conversations.get(conversationId);
    if (!c && !(conversationId === state.selectedId && state.selectedClosed)) {
      // A conversation we do not know about yet: the list is behind.
      if (added) scheduleListReload();
      return;
    }
    const list = state.messages.get(conversationId);
    if (list) mergeMessage(list, message);
    else if (added) state.messages.set(conversationId, [message]);
    if (added) {
      touch(conversationId, message);
      if (message.direction === 'in' && conversationId !== state.selectedId) state.unread.add(conversationId);
    }
    renderList();
    if (conversationId === state.selectedId) {
      if (!list && added) loadDetail(conversationId);
      renderThread(added && message.direction === 'out');
    }
  }

  function refresh() {
    if (!state.me) return;
    api('GET', '/api/agents/me').then((me) => { if (state.me && me) { state.me = me; renderMe(); } }).catch(() => {});
    loadConversations();
  }

  // Relative times in the list stay fresh.
  setInterval(() => { if (state.me) renderList(); }, 60000);

  // ------------------------------------------------------------------ boot
  (async function boot() {
    try {
      const me = await api('GET', '/api/agents/me');
      if (me) { startApp(me); return; }
      showLogin(null);
    } catch (err) {
      showLogin(err.status === 0 ? null : (err.status === 401 ? null : err.message));
    }
  })();
})();
