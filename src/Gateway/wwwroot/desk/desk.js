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
    offlineBanner: $('offline-banner'), offlineState: $('offline-state'), offlineExplain: $('offline-explain'), goOnline: $('go-online'),
    tabInbox: $('tab-inbox'), tabQueues: $('tab-queues'), tabQueuesCount: $('tab-queues-count'),
    layout: $('layout'), convCount: $('conv-count'), load: $('load'), convList: $('conv-list'), listEmpty: $('list-empty'),
    threadEmpty: $('thread-empty'), thread: $('thread'), back: $('back'), threadAvatar: $('thread-avatar'),
    threadName: $('thread-name'), threadSub: $('thread-sub'), threadBadges: $('thread-badges'), closeConv: $('close-conv'),
    transferOpen: $('transfer-open'), transferDialog: $('transfer-dialog'), transferTarget: $('transfer-target'), transferNote: $('transfer-note'),
    transferCount: $('transfer-count'), transferError: $('transfer-error'), transferCancel: $('transfer-cancel'), transferConfirm: $('transfer-confirm'),
    messages: $('messages'), closedNote: $('closed-note'),
    composer: $('composer'), reply: $('reply'), replyVia: $('reply-via'), replyCount: $('reply-count'), send: $('send'), replyError: $('reply-error'),
    details: $('details'), detailsContact: $('details-contact'), detailsConversation: $('details-conversation'), exclusiveError: $('exclusive-error'),
    merge: $('merge'), mergeForm: $('merge-form'), mergeSearch: $('merge-search'), mergeResults: $('merge-results'), mergeDone: $('merge-done'), mergeError: $('merge-error'),
    queuesView: $('queues-view'), queuesUpdated: $('queues-updated'), queuesError: $('queues-error'),
    alertsCard: $('alerts-card'), alertsCount: $('alerts-count'), alertsSub: $('alerts-sub'), alertRows: $('alert-rows'),
    queuesTitle: $('queues-title'), queuesAgentsHead: $('queues-agents-head'), agentsCard: $('agents-card'), flaggedCard: $('flagged-card'),
    promisesCard: $('promises-card'), promisesCount: $('promises-count'), promiseRows: $('promise-rows'), promisesEmpty: $('promises-empty'),
    satisfactionCard: $('satisfaction-card'), satisfactionCount: $('satisfaction-count'), satisfactionRows: $('satisfaction-rows'),
    satisfactionEmpty: $('satisfaction-empty'),
    queueRows: $('queue-rows'), agentRows: $('agent-rows'), flaggedRows: $('flagged-rows'), flaggedCount: $('flagged-count'), flaggedEmpty: $('flagged-empty'),
    promiseShown: $('promise-shown'), promiseOpen: $('promise-open'), promiseForm: $('promise-form'), promiseDue: $('promise-due'), promiseNote: $('promise-note'),
    promiseError: $('promise-error'), promiseCancel: $('promise-cancel'), promiseSave: $('promise-save'),
    ordersList: $('orders-list'), ordersEmpty: $('orders-empty'), followupsError: $('followups-error'),
    followupsUpcoming: $('followups-upcoming'), followupsNone: $('followups-none'), followupsPast: $('followups-past'),
    toast: $('toast'),
    tabAgents: $('tab-agents'), agentsView: $('agents-view'), agentsError: $('agents-error'), adminAgentRows: $('admin-agent-rows'),
    agentCreate: $('agent-create'), agentCreateUser: $('agent-create-user'), agentCreateName: $('agent-create-name'),
    agentCreatePassword: $('agent-create-password'), agentCreateSkills: $('agent-create-skills'), agentCreateRole: $('agent-create-role'),
    agentCreateError: $('agent-create-error'),
    passwordOpen: $('password-open'), passwordDialog: $('password-dialog'), passwordCurrent: $('password-current'), passwordNew: $('password-new'),
    passwordError: $('password-error'), passwordCancel: $('password-cancel'),
    threadSubject: $('thread-subject'), replyFiles: $('reply-files'), attach: $('attach'), attachInput: $('attach-input'),
    lightbox: $('lightbox'), lightboxName: $('lightbox-name'), lightboxImage: $('lightbox-image'), lightboxDownload: $('lightbox-download'),
    lightboxClose: $('lightbox-close'),
  };

  // ------------------------------------------------------------------ state
  const state = {
    me: null,
    conversations: new Map(), // id -> conversation (without messages)
    messages: new Map(),      // id -> array of messages, for conversations opened or pushed with messages
    selectedId: null,
    selectedClosed: false,    // the selected conversation was closed while open
    closedSnapshot: null,     // its last known summary, to keep showing it
    unread: unreadCounts(),  // conversation id -> customer messages not seen yet (see live: unread counts)
    drafts: new Map(),
    via: new Map(),           // conversation id -> reply channel (identity id) the agent picked; otherwise the default
    resending: new Set(),     // failed replies being retried or resent
    connection: null,
    sending: false,
    closing: false,
    listReloadTimer: null,
    detailSeq: 0,
    overdue: new Set(),       // conversations whose customer waits too long for an answer
    view: 'inbox',            // inbox | queues | agents (supervisors)
    overview: null,           // the last GET /api/supervisor/overview (an agent's GET /api/queues, in the same shape)
    queuesOnly: false,        // not a supervisor: the overview answered 403, the desk shows the agent's own queues
    agentsById: new Map(),    // agent id -> { userName, displayName, ... } from the overview
    overviewSeq: 0,
    overviewTimer: null,
    overviewLoading: null,    // the request in flight, shared
    transferFor: null,        // the conversation the transfer dialog was opened for
    transferringId: null,     // a transfer of ours in flight (its conversationRemoved is expected)
    exclusiveBusy: false,
    quietRemovalsUntil: 0,    // going offline hands on every conversation: one toast, not one per conversation
    listReads: 0,             // GET /api/conversations in flight
    liveChanges: [],          // ids of conversations added or removed while a list read was on its way
    uploads: new Map(),       // conversation id -> files the agent attached to their reply draft (see the composer)
    plainText: new Set(),     // messages whose HTML the agent switched to plain text
    expanded: new Set(),      // messages whose HTML frame the agent expanded
  };

  const PRESENCE = {
    online: { label: L('在线', 'Online'), hint: L('接待所有新会话。', 'You take any new conversation.'), banner: '', toast: L('你已在线：新会话会分配给你。', 'You are online: new conversations will come to you.') },
    busy: {
      label: L('忙碌', 'Busy'), hint: L('只接待回头客和转接给你的会话。', 'Only returning customers and conversations transferred to you.'),
      banner: L('：只会收到回头客和转接给你的会话。', ': only returning customers and conversations transferred to you come in.'),
      toast: L('你已设为忙碌：只接待回头客和转接的会话。', 'You are busy: only returning customers and transfers will come to you.'),
    },
    away: {
      label: L('离开', 'Away'), hint: L('不接新会话，保留进行中的会话。', 'No new conversations; you keep your open ones.'),
      banner: L('：不会收到新会话，进行中的会话仍由你接待。', ': no new conversations come in; you keep your open ones.'),
      toast: L('你已设为离开：不接新会话，保留进行中的会话。', 'You are away: no new conversations; you keep your open ones.'),
    },
    offline: {
      label: L('离线', 'Offline'), hint: L('不接新会话，进行中的会话转给其他客服。', 'No new conversations; your open ones are handed to other agents.'),
      banner: L('：不会再给你分配新会话。', ': no new conversations will be assigned to you.'),
      toast: L('你已离线。', 'You are offline.'),
    },
  };
  const presenceLabel = (p) => (PRESENCE[p] ? PRESENCE[p].label : (p ? p.charAt(0).toUpperCase() + p.slice(1) : L('离线', 'Offline')));
  const LONG_WAIT_SECONDS = 300;
  const NOTE_LIMIT = 1000;

  const REPLY_LIMIT = 4000;
  const wide = () => window.matchMedia('(min-width: 801px)').matches;

  // ------------------------------------------------------------------ helpers
  const ORDER_STAGES = { unpaid: L('未付款', 'Unpaid order'), bought: L('已购', 'Bought'), refund: L('退款中', 'Refund') };
  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  class ApiError extends Error {
    constructor(status, message, data) { super(message); this.status = status; this.data = data; }
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
      throw new ApiError(0, L('无法连接服务器，请检查网络后重试。', 'Cannot reach the server. Check your connection and try again.'));
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (!res.ok) {
      const reason = data && typeof data.error === 'string' && data.error ? data.error : L(`服务器返回 ${res.status}。`, `The server answered ${res.status}.`);
      if (res.status === 401 && state.me && url !== '/api/auth/login') signedOut(L('登录已过期，请重新登录。', 'Your session has ended. Please sign in again.'));
      throw new ApiError(res.status, reason, data);
    }
    return data;
  }

  function contactName(c) {
    const k = c && c.contact;
    if (!k) return L('未知客户', 'Unknown customer');
    return k.displayName || k.phone || k.email || k.declaredName || L('网站访客', 'Website visitor');
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
    return isNaN(d) ? '' : shopDate(d, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  function dateTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : shopDate(d, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  function dayLabel(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    // Days as the shop's calendar has them.
    const dayOf = (x) => shopDate(x, { year: 'numeric', month: '2-digit', day: '2-digit' });
    const now = new Date();
    if (dayOf(d) === dayOf(now)) return L('今天', 'Today');
    if (dayOf(d) === dayOf(new Date(now.getTime() - 86400000))) return L('昨天', 'Yesterday');
    const sameYear = shopDate(d, { year: 'numeric' }) === shopDate(now, { year: 'numeric' });
    return shopDate(d, { weekday: 'short', month: 'short', day: 'numeric', year: sameYear ? undefined : 'numeric' });
  }
  function ago(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
    if (s < 60) return L('刚刚', 'now');
    if (s < 3600) return Math.floor(s / 60) + L('分钟', 'm');
    if (s < 86400) return Math.floor(s / 3600) + L('小时', 'h');
    if (s < 7 * 86400) return Math.floor(s / 86400) + L('天', 'd');
    return shopDate(d, { month: 'short', day: 'numeric' });
  }
  function channelLabel(type, instanceId) { return type || instanceId || L('渠道', 'channel'); }
  function channelBadge(type, instanceId) {
    const label = channelLabel(type, instanceId);
    return el('span', 'badge badge-channel', label, {
      'data-channel': type || '', 'data-testid': 'desk-channel-badge',
      title: instanceId && instanceId !== label ? L(`渠道 ${label}（${instanceId}）`, `Channel ${label} (${instanceId})`) : L(`渠道 ${label}`, `Channel ${label}`),
    });
  }

  // 125 -> "2m 05s"; 42 -> "42s"; 3725 -> "1h 02m".
  function formatWait(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
    const s = Math.max(0, Math.round(seconds));
    const pad = (n) => String(n).padStart(2, '0');
    if (s < 60) return L(`${s}秒`, `${s}s`);
    if (s < 3600) return L(`${Math.floor(s / 60)}分${pad(s % 60)}秒`, `${Math.floor(s / 60)}m ${pad(s % 60)}s`);
    return L(`${Math.floor(s / 3600)}小时${pad(Math.floor((s % 3600) / 60))}分`, `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`);
  }
  function agentName(id) {
    if (!id) return null;
    if (state.me && id === state.me.id) return state.me.displayName || state.me.userName;
    const a = state.agentsById.get(id);
    return a ? (a.displayName || a.userName) : null;
  }
  function conversationBadges(container, c) {
    for (const tag of Array.isArray(c.tags) ? c.tags : []) {
      container.appendChild(el('span', 'badge badge-tag', tag, { 'data-testid': 'desk-tag', title: L('由店铺的标签规则打上', 'Tagged by the shop\'s tag rules') }));
    }
    const n = Number(c.transferCount) || 0;
    if (n > 0) {
      container.appendChild(el('span', 'badge badge-transfers', L(`已转接 ${n} 次`, `passed on ${n}×`), {
        'data-testid': 'desk-transfer-count', 'data-count': n,
        title: L(`在客服之间转接了 ${n} 次`, `Passed from agent to agent ${n} time${n === 1 ? '' : 's'}`),
      }));
    }
    if (c.needsSupervisor) {
      container.appendChild(el('span', 'badge badge-supervisor', L('需主管处理', 'needs supervisor'), {
        'data-testid': 'desk-supervisor-badge', title: L('转接次数过多：需要主管查看', 'Passed on too often: a supervisor should look at it'),
      }));
    }
    if (state.overdue.has(c.id)) {
      container.appendChild(el('span', 'badge badge-overdue', L('回复超时', 'reply overdue'), {
        'data-testid': 'desk-overdue-badge', title: L('客户等待已超过响应目标时间', 'The customer has waited longer than the response target'),
      }));
    }
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
    const merged = Object.assign({}, old, msg);
    // A status change carries the message without what it holds beyond its text: keep that.
    for (const key of ['subject', 'html']) if (merged[key] == null && old[key] != null) merged[key] = old[key];
    if (!hasFiles(merged) && hasFiles(old)) merged.attachments = old.attachments;
    if (!merged.autoSubmitted && old.autoSubmitted) merged.autoSubmitted = true;
    for (const key of ['speaker', 'unsupported', 'origin']) if (merged[key] == null && old[key] != null) merged[key] = old[key];
    list[i] = merged;
    return true;
  }
  function hasFiles(m) { return !!(m && Array.isArray(m.attachments) && m.attachments.length); }

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
      ui.loginError.textContent = L('请输入用户名和密码。', 'Enter your user name and password.');
      ui.loginError.hidden = false;
      return;
    }
    ui.loginError.hidden = true;
    ui.loginButton.disabled = true;
    ui.loginButton.textContent = L('登录中…', 'Signing in…');
    try {
      const me = await api('POST', '/api/auth/login', { userName, password });
      ui.password.value = '';
      startApp(me);
    } catch (err) {
      ui.loginError.textContent = err.status === 401 || err.status === 400 ? err.message : L(`登录失败：${err.message}`, `Sign-in failed: ${err.message}`);
      ui.loginError.hidden = false;
      ui.password.select();
    } finally {
      ui.loginButton.disabled = false;
      ui.loginButton.textContent = L('登录', 'Sign in');
    }
  });

  ui.logout.addEventListener('click', async () => {
    ui.logout.disabled = true;
    // Going offline first, so that no conversation is assigned to a desk nobody is looking at.
    // An agent who is away keeps their conversations on purpose, and keeps them signed out too.
    if (state.me && (state.me.presence === 'online' || state.me.presence === 'busy')) {
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
    for (const id of Array.from(state.uploads.keys())) dropUploads(id);
    state.plainText.clear();
    state.expanded.clear();
    if (ui.lightbox.open) ui.lightbox.close();
    state.selectedId = null;
    state.selectedClosed = false;
    state.closedSnapshot = null;
    state.overdue.clear();
    state.overview = null;
    state.queuesOnly = false;
    state.agentsById.clear();
    state.overviewSeq++;
    state.overviewLoading = null;
    clearTimeout(state.overviewTimer);
    closeTransfer();
    closePassword();
    clear(ui.adminAgentRows);
    showView('inbox');
    ui.reply.value = '';
    clear(ui.convList);
    listNodes.clear();
    clear(ui.messages);
    threadNodes.clear();
    contentNodes.clear();
    document.title = L('客服工作台 · ChatGateway', 'Agent desk · ChatGateway');
    showLogin(message);
  }

  // ------------------------------------------------------------------ the agent
  function startApp(me) {
    state.me = me;
    show('app');
    applyRole();
    renderMe();
    renderList();
    renderThread();
    loadConversations();
    startHub();
    showView('inbox');
  }

  function renderMe() {
    const me = state.me;
    if (!me) return;
    applyRole();
    ui.meName.textContent = me.displayName || me.userName;
    ui.meName.title = me.userName ? L(`登录账号：${me.userName}`, `Signed in as ${me.userName}`) : '';
    ui.meSkills.textContent = Array.isArray(me.skills) && me.skills.length ? me.skills.join(' · ') : L('无技能组', 'No skills');
    setAvatar(ui.meAvatar, me.displayName || me.userName, me.userName);
    const presence = typeof me.presence === 'string' && me.presence ? me.presence : 'offline';
    // A presence this page does not offer (set elsewhere) is shown as it is.
    if (!Array.from(ui.presence.options).some((o) => o.value === presence)) {
      ui.presence.appendChild(el('option', null, presenceLabel(presence), { value: presence }));
    }
    ui.presence.value = presence;
    ui.presenceWrap.dataset.presence = presence;
    const info = PRESENCE[presence] || PRESENCE.offline;
    ui.presenceWrap.title = `${presenceLabel(presence)}: ${info.hint}`;
    ui.offlineState.textContent = L(presenceLabel(presence), presence);
    ui.offlineExplain.textContent = info.banner || PRESENCE.offline.banner;
    ui.offlineBanner.dataset.presence = presence;
    ui.offlineBanner.hidden = presence === 'online';
    renderLoad();
  }

  function renderLoad() {
    const me = state.me;
    if (!me) return;
    const open = state.conversations.size;
    ui.load.textContent = me.maxConcurrent ? L(`${open} / ${me.maxConcurrent} 个会话`, `${open} / ${me.maxConcurrent} chats`) : L(`${open} 个会话`, `${open} chats`);
  }

  async function setPresence(presence) {
    state.presenceChanges = (state.presenceChanges || 0) + 1;
    state.presencePending = true;
    const before = state.me.presence;
    const open = state.conversations.size;
    ui.presence.disabled = true;
    ui.goOnline.disabled = true;
    // Going offline hands every open conversation to others: their conversationRemoved events come in a burst.
    if (presence === 'offline') state.quietRemovalsUntil = Date.now() + 10000;
    try {
      state.me = await api('PUT', '/api/agents/me/presence', { presence });
      const info = PRESENCE[presence];
      if (presence === 'offline' && open > 0) {
        toast(L(`你已离线。进行中的 ${open} 个会话已转给其他客服。`, `You are offline. Your ${open === 1 ? 'open conversation was' : `${open} open conversations were`} handed to other agents.`));
        loadConversations();
      } else {
        toast(info ? info.toast : L(`你的状态：${presence}。`, `You are ${presence}.`));
      }
    } catch (err) {
      state.quietRemovalsUntil = 0;
      if (state.me) state.me.presence = before; // a 401 has signed the desk out already
      if (err.status !== 401) toast(L(`无法切换状态：${err.message}`, `Could not change presence: ${err.message}`), 'error');
    } finally {
      state.presencePending = false;
      state.presenceChanges += 1; // reads sent while the change was on its way are stale
      ui.presence.disabled = false;
      ui.goOnline.disabled = false;
      renderMe();
    }
  }
  ui.presence.addEventListener('change', () => setPresence(ui.presence.value));
  ui.goOnline.addEventListener('click', () => setPresence('online'));

  // ------------------------------------------------------------------ conversations
  async function loadConversations() {
    // What changes while the read is on its way (an assignment pushed, a removal, this agent's own close
    // or transfer) is newer than its answer and is replayed on it: an answer read just before an
    // assignment must not take away the conversation the assignment brought.
    state.listReads += 1;
    const from = state.liveChanges.length;
    let list;
    let changes = [];
    try {
      list = await api('GET', '/api/conversations');
    } catch (err) {
      if (err.status !== 401) toast(L(`无法加载会话：${err.message}`, `Could not load conversations: ${err.message}`), 'error');
      return;
    } finally {
      changes = state.liveChanges.slice(from);
      state.listReads -= 1;
      if (state.listReads === 0) state.liveChanges.length = 0;
    }
    if (!state.me || !Array.isArray(list)) return;
    const previous = state.conversations;
    const fresh = new Map(list.map((c) => [c.id, keepSubject(previous.get(c.id), Object.assign({}, previous.get(c.id) || {}, withoutMessages(c)))]));
    // A conversation changed meanwhile stays as the change left it.
    for (const id of changes) {
      if (previous.has(id)) fresh.set(id, previous.get(id));
      else fresh.delete(id);
    }
    for (const id of previous.keys()) {
      if (!fresh.has(id)) {
        if (id === state.selectedId) markSelectedClosed();
        state.unread.delete(id);
        if (id !== state.selectedId) state.messages.delete(id);
      }
    }
    state.conversations = fresh;
    adoptUnreadCounts(list, changes);
    renderList();
    if (state.selectedId && state.conversations.has(state.selectedId)) {
      loadDetail(state.selectedId);
    } else if (!state.selectedId && fresh.size && wide()) {
      select(sortedConversations()[0].id);
    } else {
      renderThread();
    }
  }

  /** Remembers a change to the agent's conversations for the list reads in flight (see loadConversations). */
  function noteLiveChange(id) {
    if (state.listReads > 0) state.liveChanges.push(id);
  }

  function scheduleListReload() {
    clearTimeout(state.listReloadTimer);
    state.listReloadTimer = setTimeout(loadConversations, 300);
  }

  // A conversation's subject is its first email's: an answer without it (an older gateway's list) takes nothing away.
  function keepSubject(before, after) {
    if (before && before.subject && !after.subject) after.subject = before.subject;
    return after;
  }

  function withoutMessages(c) {
    const copy = Object.assign({}, c);
    delete copy.messages;
    return copy;
  }

  function sortedConversations() {
    // Snoozed ones (挂起) below the active ones, in their own section.
    return Array.from(state.conversations.values()).sort((a, b) => (!!a.snoozed - !!b.snoozed)
      || (new Date(b.lastMessageAt || b.createdAt) - new Date(a.lastMessageAt || a.createdAt)));
  }

  function lastPreview(id) {
    const list = state.messages.get(id);
    if (!list || !list.length) return (state.conversations.get(id) || {}).lastCustomerMessage || null;
    const m = list[list.length - 1];
    const prefix = m.direction === 'out' ? L('我：', 'You: ') : m.direction === 'note' ? L('备注：', 'Note: ') : '';
    const text = String(m.text || '').replace(/\s+/g, ' ').trim();
    const files = hasFiles(m) ? `📎 ${m.attachments.map((a) => a.fileName).join(', ')}` : '';
    return prefix + (text || files);
  }

  const listNodes = new Map(); // conversation id -> <li>, reused so clicks and focus survive updates
  // The heading of the snoozed conversations (挂起), below the active ones.
  const snoozedHead = el('li', 'list-section', L('已挂起', 'Snoozed'), { 'data-testid': 'desk-snoozed-section', role: 'presentation' });

  function renderList() {
    if (snoozedHead.parentNode) snoozedHead.remove();
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
    const firstSnoozed = items.find((c) => c.snoozed);
    if (firstSnoozed) ui.convList.insertBefore(snoozedHead, listNodes.get(firstSnoozed.id));
    const n = titleCount();
    document.title = (n ? `(${n}) ` : '') + L('客服工作台 · ChatGateway', 'Agent desk · ChatGateway');
  }

  function fillListItem(b, c) {
    const name = contactName(c);
    const unread = state.unread.has(c.id);
    b.setAttribute('data-unread', unread ? 'true' : 'false');
    b.setAttribute('data-status', c.status || '');
    b.setAttribute('data-needs-supervisor', c.needsSupervisor ? 'true' : 'false');
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
    if (c.subject) main.appendChild(el('span', 'conv-subject', c.subject, { 'data-testid': 'desk-conversation-subject', title: c.subject }));
    const preview = lastPreview(c.id);
    const typingHint = listTypingHint(c);
    if (typingHint) main.appendChild(typingHint);
    else if (preview) main.appendChild(el('span', 'conv-preview', preview, { 'data-testid': 'desk-conversation-preview' }));

    const badges = el('span', 'badges');
    badges.appendChild(channelBadge(c.channelType, c.channelInstanceId));
    if (c.skill) badges.appendChild(el('span', 'badge badge-skill', c.skill, { 'data-testid': 'desk-skill-badge' }));
    if (k.isVip) badges.appendChild(el('span', 'badge badge-vip', 'VIP', { 'data-testid': 'desk-vip-badge' }));
    conversationBadges(badges, c);
    snoozeBadge(badges, c);
    main.appendChild(badges);
    b.appendChild(main);
    b.setAttribute('data-snoozed', c.snoozed ? 'true' : 'false');

    if (unread) b.appendChild(unreadBadge(c));
  }

  function saveDraft() {
    if (state.selectedId) {
      if (ui.reply.value) state.drafts.set(state.selectedId, ui.reply.value); else state.drafts.delete(state.selectedId);
    }
  }

  function select(id) {
    if (id !== state.selectedId) {
      closeTransfer();
      closePromise();
      clear(ui.ordersList);
      clear(ui.followupsUpcoming);
      clear(ui.followupsPast);
      ui.promiseShown.hidden = true;
      ui.exclusiveError.hidden = true;
      saveDraft();
      ui.reply.value = state.drafts.get(id) || '';
      ui.replyError.hidden = true;
      closeCanned();
      hideGuard();
    }
    state.selectedId = id;
    state.selectedClosed = false;
    state.closedSnapshot = null;
    state.unread.delete(id);
    ui.layout.classList.add('show-thread');
    if (live.agentTypingFor && live.agentTypingFor !== id) stopAgentTyping();
    actionsOnSelect(id);
    renderList();
    renderThread(true);
    const listed = state.conversations.get(id);
    showContactPanel(listed && listed.contact && listed.contact.id, true);
    loadDetail(id);
    markRead(id);
  }

  // replace: the history itself changed (contacts merged or a merge undone): show the server's, keep nothing.
  async function loadDetail(id, replace) {
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
        toast(L(`无法加载会话：${err.message}`, `Could not load the conversation: ${err.message}`), 'error');
      }
      return;
    }
    if (seq !== state.detailSeq && id !== state.selectedId) return;
    const list = replace ? [] : (state.messages.get(id) || []).slice();
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
    if (id === state.selectedId) loadOrdersAndFollowUps(id, detail.contact && detail.contact.id);
    if (id === state.selectedId) showContactPanel(detail.contact && detail.contact.id, false);
  }

  function markSelectedClosed() {
    if (!state.selectedId || state.selectedClosed) return;
    state.closedSnapshot = Object.assign({}, state.conversations.get(state.selectedId) || state.closedSnapshot || {}, { status: 'closed' });
    state.selectedClosed = true;
  }

  function removeConversation(id) {
    noteLiveChange(id);
    if (id === state.selectedId) { markSelectedClosed(); closeTransfer(); }
    state.overdue.delete(id);
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

  // ------------------------------------------------------------------ live: unread counts, typing, read marks
  // state.unread counts the customer's messages the agent has not seen, per conversation (the list answers them after
  // a reload); the tab title shows their total. Typing is shown ~6 s after its last signal; read marks move on the server.
  function unreadCounts() {
    const counts = new Map();
    return {
      add(id) { counts.set(id, Math.min((counts.get(id) || 0) + 1, 99)); },
      set(id, n) { if (Number(n) > 0) counts.set(id, Math.min(Number(n), 99)); else counts.delete(id); },
      delete(id) { return counts.delete(id); },
      has(id) { return counts.has(id); },
      clear() { counts.clear(); },
      count(id) { return counts.get(id) || 0; },
      get size() { return counts.size; },
      total() { let t = 0; for (const n of counts.values()) t += n; return t; },
    };
  }

  const TYPING_REPEAT_MS = 2000;  // the agent's "typing" again at most this often
  const TYPING_IDLE_MS = 5000;    // "stopped" after this long without a key
  const TYPING_SHOWN_MS = 6000;   // the customer's typing shows this long without a new signal
  const live = { typingIn: new Map(), agentTypingFor: null, agentTypingAt: 0, idleTimer: null, readTimer: null };

  /** The list's answer: each conversation's unread count as the server counts it (after the agent's read mark). */
  function adoptUnreadCounts(list, changes) {
    for (const c of list) {
      if (changes.includes(c.id)) continue;
      if (c.id === state.selectedId && !document.hidden) state.unread.delete(c.id);
      else state.unread.set(c.id, c.unreadCount);
    }
  }

  function unreadOnArrival(id, readAt) {
    const after = readAt ? new Date(readAt).getTime() : -Infinity;
    const mine = (state.messages.get(id) || []).filter((m) => m.direction === 'in' && (!m.conversationId || m.conversationId === id)
      && new Date(m.createdAt).getTime() > after);
    return Math.max(mine.length, state.unread.count(id));
  }

  function unreadBadge(c) {
    const n = state.unread.count(c.id);
    return el('span', 'unread-dot unread-count', n > 0 ? (n >= 99 ? '99+' : String(n)) : null, {
      'data-testid': 'desk-unread', 'data-count': String(n), 'aria-label': L(`${n} 条未读`, `${n} unread`),
    });
  }

  function titleCount() { return state.unread.total(); }

  /** The agent has the conversation open and the page in view: its read mark moves (at most every second). */
  function markRead(id) {
    const c = state.conversations.get(id);
    if (!c || !state.me || id !== state.selectedId || document.hidden || c.status !== 'assigned' || c.assignedAgentId !== state.me.id) return;
    clearTimeout(live.readTimer);
    live.readTimer = setTimeout(() => {
      if (id !== state.selectedId || document.hidden) return;
      api('POST', `/api/conversations/${encodeURIComponent(id)}/read`).then((mark) => {
        const known = state.conversations.get(id);
        if (known && mark && mark.readAt) known.agentReadAt = mark.readAt;
      }).catch(() => { /* told again when the next message comes or the page is seen again */ });
    }, 400);
  }
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !state.selectedId) return;
    if (state.unread.delete(state.selectedId)) renderList();
    markRead(state.selectedId);
  });

  /** The customer typing in a conversation: shown in the thread and the list until a message or ~6 s of silence. */
  function showCustomerTyping(id, typing) {
    clearTimeout(live.typingIn.get(id));
    if (typing) live.typingIn.set(id, setTimeout(() => showCustomerTyping(id, false), TYPING_SHOWN_MS));
    else live.typingIn.delete(id);
    renderTyping();
    if (listNodes.has(id) && state.conversations.has(id)) fillListItem(listNodes.get(id).firstChild, state.conversations.get(id));
  }

  let typingNode = null;
  function renderTyping() {
    if (!typingNode) {
      typingNode = el('div', 'typing-indicator', null, { 'data-testid': 'desk-customer-typing', role: 'status', 'aria-live': 'polite' });
      ui.messages.parentNode.insertBefore(typingNode, ui.messages.nextSibling);
    }
    const on = !!state.selectedId && live.typingIn.has(state.selectedId);
    typingNode.hidden = !on;
    typingNode.textContent = on ? L('顾客正在输入…', 'Customer is typing…') : '';
  }

  function listTypingHint(c) {
    return live.typingIn.has(c.id) ? el('span', 'conv-preview conv-typing', L('正在输入…', 'typing…'), { 'data-testid': 'desk-list-typing' }) : null;
  }

  /** Whether the customer has seen this reply of the agent's (their chat was open after it came). */
  function readByCustomer(m, c) {
    if (!m || m.direction !== 'out' || !c || !c.customerReadAt || m.status === 'failed' || m.status === 'pending') return false;
    if (m.conversationId && m.conversationId !== c.id) return false;
    return new Date(m.createdAt) <= new Date(c.customerReadAt);
  }

  /** The agent types in the composer: the customer's chat shows it (every 2 s at most, "stopped" after 5 s idle or on send). */
  function noteAgentTyping() {
    const id = state.selectedId;
    const c = id && state.conversations.get(id);
    if (!c || !state.me || c.status !== 'assigned' || c.assignedAgentId !== state.me.id || state.selectedClosed) return;
    if (!ui.reply.value.trim()) { stopAgentTyping(); return; }
    const now = Date.now();
    if (live.agentTypingFor !== id || now - live.agentTypingAt >= TYPING_REPEAT_MS) {
      if (live.agentTypingFor && live.agentTypingFor !== id) stopAgentTyping();
      live.agentTypingFor = id;
      live.agentTypingAt = now;
      api('POST', `/api/conversations/${encodeURIComponent(id)}/typing`, { typing: true }).catch(() => {});
    }
    clearTimeout(live.idleTimer);
    live.idleTimer = setTimeout(stopAgentTyping, TYPING_IDLE_MS);
  }

  function stopAgentTyping() {
    clearTimeout(live.idleTimer);
    const id = live.agentTypingFor;
    if (!id) return;
    live.agentTypingFor = null;
    live.agentTypingAt = 0;
    if (state.conversations.has(id)) api('POST', `/api/conversations/${encodeURIComponent(id)}/typing`, { typing: false }).catch(() => {});
  }
  ui.reply.addEventListener('input', noteAgentTyping);
  ui.composer.addEventListener('submit', stopAgentTyping);
  ui.reply.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) stopAgentTyping(); });

  /** The hub's live activity: the customer typing or reading, and this agent's read mark moved on another desk. */
  function onLiveActivity(conn) {
    conn.on('customerTyping', (conversationId, typing) => {
      if (state.conversations.has(conversationId)) showCustomerTyping(conversationId, typing === true);
    });
    conn.on('customerRead', (conversationId, readAt) => {
      const c = state.conversations.get(conversationId);
      if (!c || !readAt || (c.customerReadAt && new Date(c.customerReadAt) >= new Date(readAt))) return;
      c.customerReadAt = readAt;
      if (conversationId === state.selectedId) renderThread();
    });
    conn.on('conversationRead', (conversationId, readAt) => {
      const c = state.conversations.get(conversationId);
      if (!c) return;
      c.agentReadAt = readAt;
      if (state.unread.delete(conversationId)) renderList();
    });
  }

  // ---------------------------------------------------------------- lifecycle: conversations opened from search or the Closed list
  // lifecycle.js (search, the Closed list, reopen, take from a queue) opens conversations that are not in the agent's
  // list: shown read-only in the thread, like one closed while it was open. It reaches the desk through window.deskLifecycle.
  async function openOther(id) {
    if (state.conversations.has(id)) { showView('inbox'); select(id); return; }
    const detail = await api('GET', `/api/conversations/${encodeURIComponent(id)}`);
    if (!state.me) return;
    if (state.conversations.has(id)) { showView('inbox'); select(id); return; }
    showView('inbox');
    if (id !== state.selectedId) {
      closeTransfer();
      closePromise();
      saveDraft();
      ui.reply.value = '';
      ui.replyError.hidden = true;
      closeCanned();
      hideGuard();
    }
    state.selectedId = id;
    state.selectedClosed = true;
    state.closedSnapshot = withoutMessages(detail);
    state.messages.set(id, Array.isArray(detail.messages) ? detail.messages.slice() : []);
    ui.layout.classList.add('show-thread');
    renderList();
    renderThread(true);
    loadOrdersAndFollowUps(id, detail.contact && detail.contact.id);
  }
  window.deskLifecycle = {
    api, el, clear, toast, ago, dateTime, contactName, channelBadge, formatWait, openOther,
    reload: () => loadConversations(),
    open: (id) => { showView('inbox'); select(id); },
    selected: () => (state.selectedId ? { id: state.selectedId, readOnly: state.selectedClosed, conversation: currentConversation() } : null),
    threadShown: null, // set by lifecycle.js: called with (conversation, closed) whenever the thread is drawn
    overviewPolled: null, // set by lifecycle.js: called on each poll of the Queues view (every 3 s while it is shown)
  };

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
    ui.threadSub.textContent = [k.displayName ? k.phone : null, k.email && (k.displayName || k.phone) ? k.email : null, L(`${dateTime(c.createdAt)} 开始`, `since ${dateTime(c.createdAt)}`)]
      .filter(Boolean).join(' · ');
    clear(ui.threadBadges);
    ui.threadBadges.appendChild(channelBadge(c.channelType, c.channelInstanceId));
    if (c.skill) ui.threadBadges.appendChild(el('span', 'badge badge-skill', c.skill));
    if (k.isVip) ui.threadBadges.appendChild(el('span', 'badge badge-vip', 'VIP'));
    // Where the buyer stands with their orders (routing uses it): unpaid, bought, refund in progress.
    if (ORDER_STAGES[c.orderStage]) {
      ui.threadBadges.appendChild(el('span', 'badge chip-state', ORDER_STAGES[c.orderStage], {
        'data-testid': 'desk-order-stage', 'data-state': c.orderStage, title: L('买家最新一笔进行中的订单', 'The buyer\'s newest order still going'),
      }));
    }
    conversationBadges(ui.threadBadges, c);
    const origin = conversationOrigin(c);
    if (origin) ui.threadBadges.appendChild(originBadge(origin, 'desk-thread-origin'));
    if (state.selectedClosed) ui.threadBadges.appendChild(el('span', 'badge badge-status', L('已结束', 'Closed')));
    ui.threadSubject.hidden = !c.subject;
    ui.threadSubject.textContent = c.subject || '';
    ui.threadSubject.title = c.subject ? L(`主题：${c.subject}`, `Subject: ${c.subject}`) : '';

    const closed = state.selectedClosed || c.status === 'closed';
    ui.thread.dataset.conversationId = state.selectedId;
    ui.thread.dataset.status = closed ? 'closed' : c.status;
    ui.closeConv.hidden = closed;
    ui.closeConv.disabled = state.closing;
    ui.transferOpen.hidden = closed;
    ui.transferOpen.disabled = !!state.transferringId;
    if (closed) closeTransfer();
    ui.closedNote.hidden = !closed;
    ui.reply.disabled = closed;
    ui.send.disabled = closed || state.sending;
    renderVia(c, closed);
    renderUploads();
    renderCount();
    renderMessages(c, scrollToEnd);
    renderTyping();
    renderDetails(c);
    if (window.deskLifecycle.threadShown) window.deskLifecycle.threadShown(c, closed);
    actionsOnThread(c, closed);
  }

  // The thread keeps each message's node while it is shown, so that a status change or a new message does not
  // reload the HTML frames above it (nor close a quote the agent opened): nodes are reused by key and only
  // the ones that changed are rebuilt; the frame and files of a message are built once.
  const threadNodes = new Map(); // key -> { sig, node }

  function renderMessages(c, scrollToEnd) {
    const box = ui.messages;
    const stick = scrollToEnd || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const wanted = [];
    const divider = (key, text) => {
      const cached = threadNodes.get(key);
      if (cached && cached.sig === text) return cached.node;
      const node = el('div', 'divider', text);
      threadNodes.set(key, { sig: text, node });
      return node;
    };
    const list = state.messages.get(state.selectedId);
    pruneContent(list);
    if (!list) {
      wanted.push(divider('loading', L('加载中…', 'Loading…')));
    } else {
      if (!list.length) wanted.push(divider('empty', L('暂无消息', 'No messages yet')));
      const name = contactName(c);
      let lastDay = null;
      let lastConversation = null;
      for (const m of list) {
        const day = dayLabel(m.createdAt);
        if (day !== lastDay) {
          wanted.push(divider(`day:${m.id}`, day));
          lastDay = day;
        } else if (m.conversationId && lastConversation && m.conversationId !== lastConversation) {
          wanted.push(divider(`new:${m.id}`, L('新会话', 'New conversation')));
        }
        if (m.conversationId) lastConversation = m.conversationId;
        wanted.push(messageNode(m, name));
      }
    }
    // Nodes no longer wanted go first; the rest keep their order, so nothing kept is moved (a moved frame reloads).
    const keep = new Set(wanted);
    for (const child of Array.from(box.childNodes)) if (!keep.has(child)) child.remove();
    for (const [key, entry] of threadNodes) if (!keep.has(entry.node)) threadNodes.delete(key);
    let at = box.firstChild;
    for (const node of wanted) {
      if (node === at) { at = at.nextSibling; continue; }
      box.insertBefore(node, at);
    }
    if (stick) box.scrollTop = box.scrollHeight;
  }

  const ORIGIN_KINDS = { 'deep-link': L('链接', 'Deep link'), ad: L('广告', 'Ad'), post: L('帖子', 'Post'), 'qr-code': L('二维码', 'QR code'), page: L('页面', 'Page'), product: L('商品', 'Product'), cart: L('购物车', 'Cart') };

  /** Where the customer came from, as their latest message that said so tells (the conversation's own, or its messages'). */
  function conversationOrigin(c) {
    if (c.origin) return c.origin;
    const list = (c.messages || []).filter((m) => m.direction === 'in' && m.origin);
    return list.length ? list[list.length - 1].origin : null;
  }

  /** A chip naming where the customer came from: a deep link's payload, an ad's headline (a link to it), a QR code's scene. */
  function originBadge(o, testId) {
    const label = ORIGIN_KINDS[o.kind] || o.kind;
    const what = o.title || o.reference || '';
    const text = what ? `${label}: ${what}` : label;
    const title = [L('客户来源', 'Where the customer came from'), o.reference ? L(`参数 ${o.reference}`, `reference ${o.reference}`) : null, o.title, o.url].filter(Boolean).join(' · ');
    const attrs = { 'data-testid': testId, 'data-kind': o.kind, 'data-reference': o.reference || null, title };
    // Only http(s) addresses reach here (the gateway drops others); opened apart from the desk, without a referrer.
    if (o.url && /^https?:\/\//i.test(o.url)) {
      return el('a', 'badge badge-origin', text, Object.assign(attrs, { href: o.url, target: '_blank', rel: 'noopener noreferrer' }));
    }
    return el('span', 'badge badge-origin', text, attrs);
  }

  /** The message's node, rebuilt around its content (text, frame, files) when what it shows changed. */
  function messageNode(m, customerName) {
    const key = `msg:${m.id}`;
    const content = messageContent(m);
    const c = currentConversation();
    const sig = [m.direction, m.status, m.error, m.agentName, m.channelType, m.channelInstanceId, m.createdAt, m.subject, m.autoSubmitted,
      m.speaker ? `${m.speaker.id}\u0002${m.speaker.name || ''}` : '', m.unsupported ? `${m.unsupported.kind}\u0002${m.unsupported.summary || ''}\u0002${!!m.unsupported.failed}` : '',
      m.origin ? [m.origin.kind, m.origin.reference, m.origin.url, m.origin.title].join('\u0002') : '',
      customerName, state.resending.has(m.id), state.selectedClosed, c && c.status, replyChannels(c).map((r) => r.id).join(','), content.sig, readByCustomer(m, c)].join('\u0001');
    const cached = threadNodes.get(key);
    if (cached && cached.sig === sig) return cached.node;
    const fresh = m.direction === 'note' ? renderNote(m, content.node) : renderMessage(m, customerName, content.node);
    if (!cached) {
      threadNodes.set(key, { sig, node: fresh });
      return fresh;
    }
    // Same node, new parts: the content stays where it is.
    const node = cached.node;
    for (const a of Array.from(node.attributes)) if (!fresh.hasAttribute(a.name)) node.removeAttribute(a.name);
    for (const a of Array.from(fresh.attributes)) node.setAttribute(a.name, a.value);
    const parts = Array.from(fresh.childNodes);
    for (const child of Array.from(node.childNodes)) if (child !== content.node) child.remove();
    let at = node.firstChild;
    for (const part of parts) {
      if (part === at) { at = at.nextSibling; continue; }
      node.insertBefore(part, at);
    }
    cached.sig = sig;
    return node;
  }

  // ------------------------------------------------------------------ rich messages: subjects, HTML, quotes, files
  // The content of a message (its text with quotes folded, its HTML frame, its files) is built once per message
  // and kept while the message is shown (see messageNode).
  const contentNodes = new Map(); // message id -> { sig, node }
  const ATTACHMENT_URL = /^\/api\/attachments\/[A-Za-z0-9._~-]+$/;

  function messageContent(m) {
    const files = hasFiles(m) ? m.attachments : [];
    const html = typeof m.html === 'string' && m.html.trim() ? m.html : '';
    const sig = [m.direction, m.text, html.length, hashText(html), files.map((a) => a.id).join(',')].join('\u0001');
    const cached = contentNodes.get(m.id);
    if (cached && cached.sig === sig) return cached;
    const entry = { sig, node: buildContent(m, html, files) };
    contentNodes.set(m.id, entry);
    return entry;
  }

  function pruneContent(list) {
    const ids = new Set((list || []).map((m) => m.id));
    for (const id of contentNodes.keys()) if (!ids.has(id)) contentNodes.delete(id);
  }

  function hashText(text) {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
    return h;
  }

  function buildContent(m, html, files) {
    if (m.direction === 'note') return el('div', 'msg-bubble', m.text, { 'data-testid': 'desk-message-text' });
    const wrap = el('div', 'msg-content');
    const text = String(m.text || '');
    const bubble = el('div', 'msg-bubble', null, { 'data-testid': 'desk-message-text' });
    fillText(bubble, text);
    if (html) {
      const frame = htmlFrame(m, html);
      const plain = state.plainText.has(m.id);
      frame.box.hidden = plain;
      bubble.hidden = !plain;
      if (!text.trim()) bubble.appendChild(el('span', 'msg-empty', L('（这封邮件没有纯文本版本）', 'This email has no plain text version.')));
      const bar = el('div', 'msg-html-bar');
      const toggle = el('button', 'btn btn-ghost btn-xs', null, { type: 'button', 'data-testid': 'desk-message-plain-toggle' });
      const label = () => {
        const showingPlain = state.plainText.has(m.id);
        toggle.textContent = showingPlain ? L('显示格式', 'Show formatted') : L('纯文本', 'Show plain text');
        toggle.setAttribute('aria-pressed', showingPlain ? 'true' : 'false');
      };
      label();
      toggle.addEventListener('click', () => {
        if (state.plainText.has(m.id)) state.plainText.delete(m.id); else state.plainText.add(m.id);
        const showingPlain = state.plainText.has(m.id);
        frame.box.hidden = showingPlain;
        bubble.hidden = !showingPlain;
        frame.expand.hidden = showingPlain || !frame.tall();
        label();
      });
      bar.append(toggle, frame.expand);
      wrap.append(frame.box, bubble, bar);
    } else if (text || !files.length) {
      wrap.appendChild(bubble);
    }
    if (files.length) wrap.appendChild(renderFiles(files));
    return wrap;
  }

  // ---- plain text: "> " lines and what follows "On … wrote:" / "在 … 写道：" fold behind a toggle
  const ATTRIBUTION = [
    /^\s*On\s.{1,300}\swrote:\s*$/i,
    /^\s*在.{1,300}写道\s*[:：]\s*$/,
    /^\s*-{2,}\s*(Original Message|Forwarded message|原始邮件|转发邮件)\s*-{2,}\s*$/i,
  ];
  function attributionAt(lines, i) {
    const line = lines[i];
    if (ATTRIBUTION.some((re) => re.test(line))) return 1;
    // Mail clients wrap a long "On …, Name <address> wrote:" over two lines.
    if (i + 1 < lines.length && /^\s*On\s/i.test(line) && /\swrote:\s*$/i.test(lines[i + 1]) && line.length + lines[i + 1].length < 300) return 2;
    // Outlook: "From: …" then "Sent:" / "Date:" right below.
    if (/^\s*(From|发件人)\s*[:：]\s*\S/.test(line) && lines.slice(i + 1, i + 4).some((l) => /^\s*(Sent|Date|发送时间|时间)\s*[:：]/.test(l))) return 1;
    return 0;
  }

  /** [{ quoted, text }] in order; nothing folded when everything would be. */
  function splitQuotes(text) {
    const lines = String(text || '').split(/\r?\n/);
    const quoted = lines.map((l) => /^\s*>/.test(l));
    for (let i = 0; i < lines.length; i++) {
      const span = attributionAt(lines, i);
      if (!span) continue;
      let next = i + span;
      while (next < lines.length && !lines[next].trim()) next++;
      if (next < lines.length && quoted[next]) {
        for (let k = i; k < next; k++) quoted[k] = true;
      } else {
        // Top-posted: the rest is the earlier mail, quoted without markers.
        for (let k = i; k < lines.length; k++) quoted[k] = true;
        break;
      }
    }
    // Blank lines inside a quote belong to it.
    for (let i = 0; i < lines.length; i++) {
      if (quoted[i] || lines[i].trim()) continue;
      let a = i - 1; while (a >= 0 && !lines[a].trim() && !quoted[a]) a--;
      let b = i + 1; while (b < lines.length && !lines[b].trim() && !quoted[b]) b++;
      if (a >= 0 && b < lines.length && quoted[a] && quoted[b]) quoted[i] = true;
    }
    if (!lines.some((l, i) => l.trim() && !quoted[i])) return [{ quoted: false, text: lines.join('\n') }];
    const parts = [];
    lines.forEach((line, i) => {
      const last = parts[parts.length - 1];
      if (last && last.quoted === quoted[i]) last.lines.push(line); else parts.push({ quoted: quoted[i], lines: [line] });
    });
    return parts.map((p) => ({ quoted: p.quoted, text: p.lines.join('\n') }));
  }

  function fillText(bubble, text) {
    const parts = splitQuotes(text);
    parts.forEach((part, i) => {
      if (!part.quoted) {
        // The line break before a folded quote is the toggle's own.
        const shown = i + 1 < parts.length ? part.text.replace(/\s+$/, '') : part.text;
        if (shown) appendLinked(bubble, shown);
        return;
      }
      const details = el('details', 'msg-quote', null, { 'data-testid': 'desk-quote' });
      details.appendChild(quoteSummary());
      const quoted = el('div', 'msg-quote-text');
      appendLinked(quoted, part.text.replace(/^\s*\n|\s+$/g, ''));
      details.appendChild(quoted);
      bubble.appendChild(details);
    });
  }

  // ---------------------------------------------------------------- links in message text
  // http(s) addresses become links (text nodes and <a>, never HTML); nothing else does (javascript:, data:). An address
  // ends at a space, at Chinese text or punctuation, and trailing . , ; : ! ? and an unmatched ) stay outside it.
  const URL_IN_TEXT = /https?:\/\/[^\s<>"'`\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/gi;

  function appendLinked(parent, text) {
    let at = 0;
    for (const m of text.matchAll(URL_IN_TEXT)) {
      let url = m[0];
      while (/[.,;:!?'")\]}]$/.test(url)) {
        if (url.endsWith(')') && (url.match(/\(/g) || []).length >= (url.match(/\)/g) || []).length) break;
        url = url.slice(0, -1);
      }
      let parsed = null;
      try { parsed = new URL(url); } catch { parsed = null; }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) continue;
      if (m.index > at) parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      parent.appendChild(el('a', 'msg-link', url, { href: parsed.href, target: '_blank', rel: 'noopener noreferrer nofollow', 'data-testid': 'desk-message-link' }));
      at = m.index + url.length;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function quoteSummary(doc) {
    const d = doc || document;
    const summary = d.createElement('summary');
    summary.setAttribute('data-testid', 'desk-quote-toggle');
    const closed = d.createElement('span');
    closed.className = 'when-closed';
    closed.textContent = L('… 显示引用', '… Show quoted text');
    const open = d.createElement('span');
    open.className = 'when-open';
    open.textContent = L('… 隐藏引用', '… Hide quoted text');
    summary.append(closed, open);
    return summary;
  }

  // ---- HTML: the sanitised body in a frame that runs nothing
  // sandbox without allow-scripts and without allow-same-origin: nothing in the email runs, and the frame is
  // another origin (it reads no cookie, reaches no API). Links open in a new tab, outside the sandbox. The desk
  // cannot read the frame's height (no same origin, no script to post it), so it measures a text-only copy of the
  // body in the page (built element by element, no attribute copied, nothing loads) and sizes the frame to it,
  // up to FRAME_MAX; a longer email scrolls in its frame, and "show all" sizes it whole, quotes open. The desk's own files
  // inside (cid: pictures) go in as data: URLs, read with the agent's cookie, which the frame does not have.
  const FRAME_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";
  const FRAME_MAX = 420;
  const FRAME_FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  const FRAME_STYLE = `html{background:#fff}body{margin:0;padding:10px 14px;font:14px/1.5 ${FRAME_FONT};color:#1b2333;overflow-wrap:anywhere;word-break:break-word}`
    + 'body>:first-child{margin-top:0}body>:last-child{margin-bottom:0}'
    + 'img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}a{color:#1d4fd7}'
    + 'blockquote{margin:4px 0 4px 4px;padding-left:10px;border-left:3px solid #d3d9e3;color:#475467}'
    + 'details.cg-quote{margin:6px 0}details.cg-quote>summary{cursor:pointer;color:#667085;font-size:12.5px;list-style:none;display:inline-block;padding:1px 8px;border-radius:6px;background:#f2f4f7}'
    + 'details.cg-quote>summary::-webkit-details-marker{display:none}details.cg-quote>summary:focus-visible{outline:2px solid #2563eb}'
    + 'details.cg-quote .when-open,details.cg-quote[open] .when-closed{display:none}details.cg-quote[open] .when-open{display:inline}';
  const QUOTES = 'blockquote, .gmail_quote, .yahoo_quoted, .protonmail_quote, div[type="cite"], #divRplyFwdMsg, #appendonsend';
  const pictureData = new Map(); // url -> Promise<{ data, width, height } | null>

  function htmlFrame(m, html) {
    const box = el('div', 'msg-html', null, { 'data-testid': 'desk-message-html' });
    const frame = el('iframe', 'msg-html-frame', null, {
      sandbox: 'allow-popups allow-popups-to-escape-sandbox',
      referrerpolicy: 'no-referrer',
      title: m.subject ? L(`邮件正文：${m.subject}`, `Email: ${m.subject}`) : L('邮件正文', 'Email body'),
      'data-testid': 'desk-message-frame',
    });
    // Until it is measured: about as tall as its plain text.
    frame.style.height = `${Math.min(FRAME_MAX, 44 + 21 * Math.ceil(Math.max(1, String(m.text || '').length) / 70))}px`;
    box.appendChild(frame);
    let full = 0; // measured with its quotes folded
    let whole = 0; // and with them open: what "show all" makes room for
    const expand = el('button', 'btn btn-ghost btn-xs', null, { type: 'button', 'data-testid': 'desk-message-expand' });
    expand.hidden = true;
    const fit = () => {
      const open = state.expanded.has(m.id);
      expand.textContent = open ? L('收起', 'Show less') : L('展开', 'Show all');
      expand.setAttribute('aria-expanded', open ? 'true' : 'false');
      box.dataset.expanded = open ? 'true' : 'false';
      if (full) setFrameHeight(frame, open ? Math.max(full, whole) : Math.min(full, FRAME_MAX));
    };
    expand.addEventListener('click', () => {
      if (state.expanded.has(m.id)) state.expanded.delete(m.id); else state.expanded.add(m.id);
      fit();
    });
    prepareHtml(html).then(({ doc, srcdoc }) => {
      frame.srcdoc = srcdoc;
      const measure = () => {
        full = measureHtml(doc, box, false);
        whole = measureHtml(doc, box, true);
        box.dataset.height = String(full);
        expand.hidden = !tall() || state.plainText.has(m.id);
        fit();
      };
      if (box.isConnected) measure(); else requestAnimationFrame(() => { if (box.isConnected) measure(); });
    }, () => {
      // Unreadable HTML: the plain text stays the agent's view.
      state.plainText.add(m.id);
      box.hidden = true;
      if (box.nextSibling) box.nextSibling.hidden = false;
    });
    const tall = () => Math.max(full, whole) > Math.min(full, FRAME_MAX);
    return { box, expand, tall };
  }

  function setFrameHeight(frame, height) {
    const list = ui.messages;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    frame.style.height = `${height}px`;
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  async function prepareHtml(html) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    // The server sanitised it already; a frame that runs nothing needs none of these either.
    for (const n of doc.querySelectorAll('script, noscript, link, meta, base, iframe, frame, frameset, object, embed, form, input, button, textarea, select')) n.remove();
    for (const a of doc.querySelectorAll('a[href]')) {
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer nofollow');
    }
    foldHtmlQuotes(doc);
    await inlinePictures(doc);
    const srcdoc = '<!doctype html><html><head><meta charset="utf-8">'
      + `<meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}">`
      + `<base target="_blank"><style>${FRAME_STYLE}</style></head><body>${doc.body.innerHTML}</body></html>`;
    return { doc, srcdoc };
  }

  function foldHtmlQuotes(doc) {
    const body = doc.body;
    const groups = [];
    const taken = (node) => groups.some((g) => g.some((n) => n === node || n.contains(node)));
    for (const node of body.querySelectorAll(QUOTES)) {
      if (taken(node)) continue;
      const group = [node];
      if (node.id === 'divRplyFwdMsg' || node.id === 'appendonsend') {
        // Outlook: the header of the earlier mail, then the mail itself, then nothing of the reply.
        const hr = node.previousElementSibling;
        if (hr && hr.tagName === 'HR') group.unshift(hr);
        for (let n = node.nextSibling; n; n = n.nextSibling) group.push(n);
      } else {
        // "On …, X wrote:" just before the quote goes with it.
        const prev = node.previousElementSibling;
        if (prev && !taken(prev) && prev.textContent.length < 400 && (/wrote:\s*$/i.test(prev.textContent.trim() + ' ') || /写道\s*[:：]?\s*$/.test(prev.textContent.trim()) || prev.classList.contains('gmail_attr') || prev.classList.contains('moz-cite-prefix'))) {
          group.unshift(prev);
        }
      }
      groups.push(group);
    }
    for (const group of groups) {
      const details = doc.createElement('details');
      details.className = 'cg-quote';
      details.appendChild(quoteSummary(doc));
      group[0].parentNode.insertBefore(details, group[0]);
      for (const n of group) details.appendChild(n);
    }
    // A mail that is nothing but a quote (a forward) is shown open.
    const rest = body.cloneNode(true);
    for (const d of rest.querySelectorAll('details.cg-quote')) d.remove();
    if (groups.length && !rest.textContent.trim() && !rest.querySelector('img')) {
      for (const d of body.querySelectorAll('details.cg-quote')) d.setAttribute('open', '');
    }
  }

  async function inlinePictures(doc) {
    await Promise.all(Array.from(doc.querySelectorAll('img')).map(async (img) => {
      const src = img.getAttribute('src') || '';
      if (/^data:image\//i.test(src)) return;
      const picture = ATTACHMENT_URL.test(src) ? await pictureAsData(src) : null;
      if (picture) {
        img.setAttribute('src', picture.data);
        img.dataset.cgWidth = String(picture.width);
        img.dataset.cgHeight = String(picture.height);
      } else if (!ATTACHMENT_URL.test(src)) {
        img.removeAttribute('src');
      }
    }));
  }

  function pictureAsData(url) {
    if (!pictureData.has(url)) {
      if (pictureData.size > 100) pictureData.delete(pictureData.keys().next().value);
      pictureData.set(url, (async () => {
        try {
          const res = await fetch(url, { credentials: 'same-origin' });
          if (!res.ok) return null;
          const blob = await res.blob();
          if (!/^image\//i.test(blob.type) || blob.size > 15 * 1024 * 1024) return null;
          const data = await new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve(String(reader.result));
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(blob);
          });
          const probe = new Image();
          probe.src = data;
          await probe.decode().catch(() => {});
          return { data, width: probe.naturalWidth || 0, height: probe.naturalHeight || 0 };
        } catch (e) {
          return null;
        }
      })());
    }
    return pictureData.get(url);
  }

  // A text-only copy of the body, measured at the frame's width: the tags that shape the layout, the text, and
  // boxes the size of the pictures. Nothing is copied but tag names and text, so nothing runs or loads.
  const LAYOUT_TAGS = new Set(['P', 'DIV', 'BR', 'HR', 'TABLE', 'THEAD', 'TBODY', 'TFOOT', 'TR', 'TD', 'TH', 'UL', 'OL', 'LI', 'DL', 'DT', 'DD',
    'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'PRE', 'DETAILS', 'SUMMARY', 'SPAN', 'B', 'STRONG', 'I', 'EM', 'U', 'A', 'FONT', 'SMALL',
    'BIG', 'SUB', 'SUP', 'CODE', 'CENTER', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER', 'MAIN', 'ADDRESS', 'CAPTION', 'FIGURE', 'FIGCAPTION']);
  function layoutCopy(from, into, openAll) {
    for (const child of from.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        into.appendChild(document.createTextNode(child.nodeValue));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName;
        if (tag === 'IMG') {
          const width = Number(child.getAttribute('width')) || Number(child.dataset.cgWidth) || 0;
          const height = Number(child.getAttribute('height')) || Number(child.dataset.cgHeight) || 0;
          const box = document.createElement('span');
          box.className = 'probe-img';
          box.style.width = `${Math.min(width || 200, 4000)}px`;
          box.style.aspectRatio = `${width || 200} / ${height || 20}`;
          into.appendChild(box);
        } else if (LAYOUT_TAGS.has(tag)) {
          const copy = document.createElement(tag);
          if (tag === 'DETAILS' && (openAll || child.hasAttribute('open'))) copy.open = true;
          if (child.classList.contains('cg-quote')) copy.className = 'cg-quote';
          if (child.classList.contains('when-open')) copy.className = 'when-open';
          layoutCopy(child, copy, openAll);
          into.appendChild(copy);
        } else if (!['STYLE', 'TITLE', 'HEAD'].includes(tag)) {
          layoutCopy(child, into, openAll);
        }
      }
    }
  }

  function measureHtml(doc, box, openAll) {
    const probe = el('div', 'msg-html-probe', null, { 'aria-hidden': 'true' });
    probe.style.width = `${box.clientWidth || 600}px`;
    layoutCopy(doc.body, probe, openAll);
    document.body.appendChild(probe);
    const height = Math.ceil(probe.getBoundingClientRect().height);
    probe.remove();
    return Math.max(40, height + 6);
  }

  // ---- files of a message: pictures as thumbnails (larger in the lightbox), the rest as downloads
  function humanSize(bytes) {
    const n = Number(bytes) || 0;
    if (n < 1024) return `${n} B`;
    const units = ['KB', 'MB', 'GB'];
    let v = n / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
  }

  function fileKind(name, type) {
    const ext = (/\.([A-Za-z0-9]{1,5})$/.exec(String(name || '')) || [])[1];
    const t = String(type || '').toLowerCase();
    if (t === 'application/pdf') return 'PDF';
    if (t.startsWith('image/')) return 'IMG';
    if (/word|opendocument\.text|rtf/.test(t)) return 'DOC';
    if (/sheet|excel|csv/.test(t)) return 'XLS';
    if (/presentation|powerpoint/.test(t)) return 'PPT';
    if (/zip|compressed|x-7z|x-rar|gzip|x-tar/.test(t)) return 'ZIP';
    if (t.startsWith('audio/')) return 'AUD';
    if (t.startsWith('video/')) return 'VID';
    if (t.startsWith('text/')) return 'TXT';
    return ext ? ext.toUpperCase().slice(0, 4) : 'FILE';
  }

  function renderFiles(files) {
    const box = el('div', 'msg-files', null, { 'data-testid': 'desk-message-files' });
    const pictures = el('div', 'msg-pictures');
    const others = el('ul', 'msg-file-list');
    for (const a of files) {
      const url = ATTACHMENT_URL.test(String(a.url || '')) ? a.url : null;
      const label = `${a.fileName} · ${humanSize(a.size)}`;
      if (url && a.inline && /^image\//i.test(a.contentType || '')) {
        const b = el('button', 'msg-thumb', null, {
          type: 'button', 'data-testid': 'desk-attachment-image', 'data-attachment-id': a.id, 'aria-label': L(`查看图片 ${label}`, `View picture ${label}`), title: label,
        });
        b.appendChild(el('img', null, null, { src: url, alt: a.fileName, loading: 'lazy', decoding: 'async' }));
        b.addEventListener('click', () => openLightbox(a, url, b));
        pictures.appendChild(b);
        continue;
      }
      const li = el('li');
      const link = el(url ? 'a' : 'span', 'msg-file', null, {
        href: url, download: url ? a.fileName : null, 'data-testid': 'desk-attachment-file', 'data-attachment-id': a.id,
        title: url ? L(`下载 ${label}`, `Download ${label}`) : label,
      });
      const kind = fileKind(a.fileName, a.contentType);
      link.appendChild(el('span', 'file-icon', kind, { 'data-kind': kind.toLowerCase(), 'aria-hidden': 'true' }));
      const meta = el('span', 'file-meta');
      meta.appendChild(el('span', 'file-name', a.fileName, { 'data-testid': 'desk-attachment-name' }));
      meta.appendChild(el('span', 'file-size', humanSize(a.size), { 'data-testid': 'desk-attachment-size' }));
      link.appendChild(meta);
      li.appendChild(link);
      others.appendChild(li);
    }
    if (pictures.childNodes.length) box.appendChild(pictures);
    if (others.childNodes.length) box.appendChild(others);
    return box;
  }

  let lightboxReturn = null;
  function openLightbox(a, url, from) {
    ui.lightboxName.textContent = `${a.fileName} · ${humanSize(a.size)}`;
    ui.lightboxImage.src = url;
    ui.lightboxImage.alt = a.fileName;
    ui.lightboxDownload.href = url;
    ui.lightboxDownload.setAttribute('download', a.fileName);
    lightboxReturn = from || null;
    if (!ui.lightbox.open) ui.lightbox.showModal();
    ui.lightboxClose.focus();
  }
  ui.lightboxClose.addEventListener('click', () => ui.lightbox.close());
  // A click beside the picture (on the backdrop) closes it too; Esc closes a modal dialog by itself.
  ui.lightbox.addEventListener('click', (e) => { if (e.target === ui.lightbox) ui.lightbox.close(); });
  ui.lightbox.addEventListener('close', () => {
    ui.lightboxImage.removeAttribute('src');
    if (lightboxReturn && lightboxReturn.isConnected) lightboxReturn.focus();
    lightboxReturn = null;
  });

  function statusText(m) {
    switch (m.status) {
      case 'pending': return L('发送中…', 'Sending…');
      case 'sent': return L('已发送', 'Sent');
      case 'delivered': return L('已送达', 'Delivered');
      case 'failed': return L('发送失败', 'Failed') + (m.error ? `: ${m.error}` : '');
      case 'resent': return L('未送达', 'Not delivered') + (m.error ? `: ${m.error}` : '') + L(' · 已通过其他渠道重发', ' · sent again on another channel');
      default: return m.status || '';
    }
  }

  function renderNote(m, content) {
    const node = el('div', 'msg msg-note', null, {
      'data-testid': 'desk-message',
      'data-message-id': m.id,
      'data-direction': 'note',
      'data-status': m.status || '',
      role: 'note',
    });
    const box = el('div', 'msg-note-box');
    const label = el('span', 'msg-note-label', L('内部备注', 'Internal note'), { title: L('仅客服可见，客户看不到', 'Only agents see this; the customer does not') });
    label.appendChild(el('span', 'msg-time', time(m.createdAt), { title: dateTime(m.createdAt) }));
    box.appendChild(label);
    box.appendChild(content);
    node.appendChild(box);
    return node;
  }

  function renderMessage(m, customerName, content) {
    const out = m.direction === 'out';
    const node = el('div', 'msg', null, {
      'data-testid': 'desk-message',
      'data-message-id': m.id,
      'data-direction': out ? 'out' : 'in',
      'data-status': m.status || '',
      'data-channel': m.channelType || m.channelInstanceId || '',
      'data-auto': m.autoSubmitted ? 'true' : null,
    });
    const head = el('div', 'msg-head');
    if (!out && m.speaker) {
      // A group chat's message: the member who wrote it, the conversation being the group's.
      head.appendChild(el('span', 'msg-author msg-speaker', m.speaker.name || m.speaker.id, {
        'data-testid': 'desk-message-speaker', title: L(`${customerName} 中的 ${m.speaker.name || m.speaker.id}（群成员；回复会发到整个群）`, `${m.speaker.name || m.speaker.id} in ${customerName} (group member; answers go to the whole group)`),
      }));
    } else {
      head.appendChild(el('span', 'msg-author', out ? (m.agentName || L('客服', 'Agent')) : customerName));
    }
    head.appendChild(channelBadge(m.channelType, m.channelInstanceId));
    if (m.unsupported && m.unsupported.failed) {
      // A file the channel could not fetch from its provider: the customer sent it, nobody here has it.
      head.appendChild(el('span', 'badge badge-failed', L(`${m.unsupported.kind} · 下载失败`, `${m.unsupported.kind} · download failed`), {
        'data-testid': 'desk-message-download-failed', 'data-kind': m.unsupported.kind, role: 'status',
        title: L(`客户发来的 ${m.unsupported.kind} 下载失败${m.unsupported.summary ? '：' + m.unsupported.summary : ''}。请让客户重新发送。`, `The customer sent a ${m.unsupported.kind} that could not be downloaded${m.unsupported.summary ? ': ' + m.unsupported.summary : ''}. Ask them to send it again.`),
      }));
    } else if (m.unsupported) {
      head.appendChild(el('span', 'badge badge-unsupported', L(`${m.unsupported.kind} · 无法在此显示`, `${m.unsupported.kind} · not shown here`), {
        'data-testid': 'desk-message-unsupported', 'data-kind': m.unsupported.kind,
        title: L(`客户发来的 ${m.unsupported.kind} 无法在这里显示${m.unsupported.summary ? '：' + m.unsupported.summary : ''}。请在对应 App 中查看。`, `The customer sent a ${m.unsupported.kind} this channel cannot show here${m.unsupported.summary ? ': ' + m.unsupported.summary : ''}. Open the app to see it.`),
      }));
    }
    if (!out && m.origin) head.appendChild(originBadge(m.origin, 'desk-message-origin'));
    // An event that only tells where the customer came from (a QR code scanned) is no machine's reply: its origin says enough.
    if (m.autoSubmitted && !m.origin) {
      head.appendChild(el('span', 'badge badge-auto', L('自动回复', 'automatic reply'), {
        'data-testid': 'desk-message-auto', title: L('由系统自动发出（如外出自动答复、退信）：不是人写的，也不会被自动回复', 'Sent by a machine (an out-of-office answer, a bounce): nobody wrote it, and it is never answered automatically'),
      }));
    }
    head.appendChild(el('span', 'msg-time', time(m.createdAt), { title: dateTime(m.createdAt) }));
    node.appendChild(head);
    if (m.subject) {
      node.appendChild(el('div', 'msg-subject', m.subject, { 'data-testid': 'desk-message-subject', title: L(`主题：${m.subject}`, `Subject: ${m.subject}`) }));
    }
    node.appendChild(content);
    if (out) {
      const status = el('div', 'msg-status', null, { 'data-status': m.status || '' });
      if (m.status === 'failed') {
        status.appendChild(el('span', null, statusText(m), { 'data-testid': 'desk-message-error', role: 'alert' }));
        const actions = failedActions(m);
        if (actions) node.appendChild(actions);
      } else {
        status.appendChild(el('span', null, statusText(m), { 'data-testid': 'desk-message-status' }));
        if (readByCustomer(m, currentConversation())) status.appendChild(el('span', 'msg-read', L('已读', 'Read'), { 'data-testid': 'desk-message-read' }));
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
    // What a channel proved, and beside it (marked) what the customer typed: never to be taken as proof.
    const both = (verified, declared) => {
      if (!declared || declared === verified) return verified || '—';
      if (!verified) return declaredNode(declared);
      const wrap = el('span');
      wrap.appendChild(el('span', null, verified));
      wrap.appendChild(el('br'));
      wrap.appendChild(declaredNode(declared));
      return wrap;
    };
    const picture = k.avatarUrl
      ? el('img', 'contact-avatar', null, { src: k.avatarUrl, alt: L(`${k.displayName || '客户'}的头像`, `Picture of ${k.displayName || 'the customer'}`), 'data-testid': 'desk-contact-avatar', referrerpolicy: 'no-referrer' })
      : null;
    fill(ui.detailsContact, [
      [L('头像', 'Picture'), picture],
      [L('姓名', 'Name'), both(k.displayName, k.declaredName)],
      [L('手机', 'Phone'), both(k.phone, k.declaredPhone)],
      [L('邮箱', 'Email'), both(k.email, k.declaredEmail)],
      ['VIP', k.isVip ? el('span', 'badge badge-vip', L('VIP 客户', 'VIP customer')) : L('否', 'No')],
      [L('专属客服', 'Personal agent'), k.id ? exclusiveAgentNode(k) : null],
    ]);
    renderMerge(k);
    fill(ui.detailsConversation, [
      [L('状态', 'Status'), state.selectedClosed ? L('已结束', 'closed') : c.status],
      [L('渠道', 'Channel'), channelLabel(c.channelType, c.channelInstanceId) + (c.channelInstanceId && c.channelType && c.channelInstanceId !== c.channelType ? ` (${c.channelInstanceId})` : '')],
      [L('技能组', 'Skill'), c.skill],
      [L('语言', 'Language'), c.language],
      [L('标签', 'Tags'), Array.isArray(c.tags) && c.tags.length ? c.tags.join(', ') : null],
      [L('优先级', 'Priority'), c.priority],
      [L('分配原因', 'Routing'), c.routingReason],
      [L('转接次数', 'Passed on'), Number(c.transferCount) > 0 ? `${c.transferCount}×` : null],
      [L('主管', 'Supervisor'), c.needsSupervisor ? el('span', 'badge badge-supervisor', L('需主管处理', 'needs supervisor')) : null],
      [L('开始时间', 'Started'), dateTime(c.createdAt)],
      [L('最后消息', 'Last message'), dateTime(c.lastMessageAt)],
    ]);
  }

  function declaredNode(value) {
    const wrap = el('span', 'declared');
    wrap.appendChild(el('span', null, value, { 'data-testid': 'desk-declared-value' }));
    wrap.appendChild(el('span', 'badge badge-unverified', L('未验证', 'not verified'), {
      'data-testid': 'desk-not-verified', title: L('客户自己填写的，渠道未验证。请先核实再使用。', 'Typed by the customer: the channel did not prove it. Check before trusting it.'),
    }));
    return wrap;
  }

  // ---------------------------------------------------------------- contact panel
  // Labels, groups, notes, past conversations and what the visitor looks at: contact.js. Asked again when the
  // conversation's details name another contact than the list did (a merge since).
  function showContactPanel(contactId, fromList) {
    const panel = window.deskContact;
    if (!panel || (!fromList && panel.current() === (contactId || null))) return;
    panel.show(contactId || null, state.me);
  }

  // ------------------------------------------------------------------ orders, follow-ups, promises
  const ORDER_STATES = {
    created: L('待付款', 'Unpaid'), paid: L('已付款', 'Paid'), shipped: L('已发货', 'Shipped'), delivered: L('已签收', 'Delivered'),
    'refund-requested': L('退款中', 'Refund requested'), refunded: L('已退款', 'Refunded'), cancelled: L('已取消', 'Cancelled'),
  };
  const FOLLOW_UP_KINDS = {
    'payment-reminder': L('催付', 'Payment reminder'), 'order-confirmation': L('订单确认', 'Order confirmation'), shipped: L('发货通知', 'Shipping notice'),
    'delivery-check-in': L('签收回访', 'Delivery check-in'), 'review-request': L('邀评', 'Review request'), 'return-visit': L('回访', 'Return visit'),
    greeting: L('节日问候', 'Greeting'), callback: L('承诺回复', 'Promise'), survey: L('满意度', 'Survey'),
  };
  const FOLLOW_UP_STATUS = { planned: L('待发', 'Planned'), sent: L('已发', 'Sent'), skipped: L('未发', 'Skipped'), cancelled: L('已取消', 'Cancelled') };
  const OFFSET = /([+-]\d\d:\d\d|Z)$/;

  // The shop's times arrive with the shop's offset: shown as they are (shop time), and remembered to send times back in it.
  function shopTime(iso) {
    if (!iso) return '';
    const m = OFFSET.exec(iso);
    return shopDate(iso, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  // A picker's value (the shop's wall clock) with the shop zone's offset at that time (DST included).
  function withShopOffset(local) { return shopLocalToIso(local); }

  async function loadOrdersAndFollowUps(conversationId, contactId) {
    if (!contactId) return;
    const seq = state.ordersSeq = (state.ordersSeq || 0) + 1;
    let orders;
    let followUps;
    try {
      [orders, followUps] = await Promise.all([
        api('GET', `/api/contacts/${encodeURIComponent(contactId)}/orders`),
        api('GET', `/api/contacts/${encodeURIComponent(contactId)}/follow-ups`),
      ]);
    } catch (err) {
      if (seq !== state.ordersSeq || conversationId !== state.selectedId) return;
      ui.followupsError.textContent = L(`订单和跟进无法加载：${err.message}`, `Could not load orders and follow-ups: ${err.message}`);
      ui.followupsError.hidden = false;
      return;
    }
    if (seq !== state.ordersSeq || conversationId !== state.selectedId) return;
    ui.followupsError.hidden = true;
    renderOrders(Array.isArray(orders) ? orders : []);
    renderFollowUps(conversationId, followUps || {});
  }
  function reloadFollowUps() {
    const c = currentConversation();
    if (c) loadOrdersAndFollowUps(c.id, c.contact && c.contact.id);
  }

  function renderOrders(orders) {
    clear(ui.ordersList);
    ui.ordersEmpty.hidden = orders.length > 0;
    for (const o of orders) {
      const li = el('li', 'order-card', null, { 'data-testid': 'desk-order', 'data-order-id': o.orderId });
      const head = el('div', 'order-head');
      head.appendChild(el('span', 'order-id', orderLabel(o.orderId)));
      head.appendChild(el('span', 'badge chip-state', ORDER_STATES[o.state] || o.state, { 'data-state': o.state, 'data-testid': 'desk-order-state' }));
      li.appendChild(head);
      const items = Array.isArray(o.items) ? o.items : [];
      if (items.length) li.appendChild(el('div', null, items.map((i) => `${i.title} ×${i.quantity}`).join(', '), { 'data-testid': 'desk-order-items' }));
      if (o.amount !== null && o.amount !== undefined) li.appendChild(el('div', null, `${Number(o.amount).toFixed(2)} ${o.currency || ''}`.trim(), { 'data-testid': 'desk-order-amount' }));
      if (o.refundedAmount && o.state !== 'refunded') {
        li.appendChild(el('div', 'order-meta', L(`已退款 ${Number(o.refundedAmount).toFixed(2)} ${o.currency || ''}`, `Refunded ${Number(o.refundedAmount).toFixed(2)} ${o.currency || ''}`).trim(), { 'data-testid': 'desk-order-refunded' }));
      }
      if (o.carrier || o.trackingNumber) {
        li.appendChild(el('div', 'order-meta', [o.carrier, o.trackingNumber].filter(Boolean).join(' · '), { 'data-testid': 'desk-order-tracking' }));
      }
      const when = o.placedAt ? L(`下单于 ${shopTime(o.placedAt)}`, `Placed ${shopTime(o.placedAt)}`) : '';
      if (when) li.appendChild(el('div', 'order-meta', when));
      ui.ordersList.appendChild(li);
    }
  }

  function followUpLine(f) {
    const kind = FOLLOW_UP_KINDS[f.kind] || f.kind;
    const parts = [kind + (f.kind === 'callback' && f.step === 1 ? L('（提醒）', ' (reminder)') : ''), shopTime(f.dueAt)];
    if (f.orderId) parts.push(orderLabel(f.orderId));
    return parts.join(' · ');
  }

  // A shop's order number gets a #; a name that has one already (Shopify's #1001) is shown as it is.
  function orderLabel(id) { return String(id).startsWith('#') ? String(id) : `#${id}`; }

  function renderFollowUps(conversationId, list) {
    const upcoming = Array.isArray(list.upcoming) ? list.upcoming : [];
    const past = Array.isArray(list.past) ? list.past : [];
    clear(ui.followupsUpcoming);
    clear(ui.followupsPast);
    ui.followupsNone.hidden = upcoming.length > 0;
    for (const f of upcoming) {
      // A promise's reminder goes with its promise: cancelling or moving is done on the promise itself.
      if (f.kind === 'callback' && f.step === 1) continue;
      const li = el('li', 'order-card', null, { 'data-testid': 'desk-followup', 'data-kind': f.kind, 'data-id': f.id });
      li.appendChild(el('div', null, followUpLine(f), { 'data-testid': 'desk-followup-line' }));
      if (f.note) li.appendChild(el('div', 'order-meta', f.note));
      const actions = el('div', 'followup-actions');
      const cancel = el('button', 'btn btn-ghost btn-xs', L('取消', 'Cancel'), { type: 'button', 'data-testid': 'desk-followup-cancel' });
      cancel.addEventListener('click', () => changeFollowUp(f, 'cancel', {}));
      const moveTo = el('input', null, null, { type: 'datetime-local', 'aria-label': L('改到', 'Move to (shop time)'), 'data-testid': 'desk-followup-move-at' });
      moveTo.value = shopInputValue(f.dueAt);
      const move = el('button', 'btn btn-secondary btn-xs', L('改期', 'Move'), { type: 'button', 'data-testid': 'desk-followup-move' });
      move.addEventListener('click', () => changeFollowUp(f, 'move', { dueAt: withShopOffset(moveTo.value) }));
      actions.append(cancel, moveTo, move);
      li.appendChild(actions);
      ui.followupsUpcoming.appendChild(li);
    }
    for (const f of past) {
      const li = el('li', 'order-card', null, { 'data-testid': 'desk-followup-past', 'data-kind': f.kind, 'data-status': f.status, 'data-id': f.id });
      const head = el('div', 'order-head');
      head.appendChild(el('span', null, followUpLine(f)));
      head.appendChild(el('span', 'badge badge-status', FOLLOW_UP_STATUS[f.status] || f.status));
      li.appendChild(head);
      if (f.reason) li.appendChild(el('div', 'order-meta', f.reason, { 'data-testid': 'desk-followup-reason' }));
      ui.followupsPast.appendChild(li);
    }
    const promise = upcoming.filter((f) => f.kind === 'callback' && f.step === 2 && f.conversationId === conversationId)
      .sort((a, b) => new Date(a.dueAt) - new Date(b.dueAt))[0];
    ui.promiseShown.hidden = !promise;
    ui.promiseShown.textContent = promise ? L(`已承诺 ${shopTime(promise.dueAt)} 前回复：${promise.note || ''}`, `Promised by ${shopTime(promise.dueAt)}: ${promise.note || ''}`) : '';
  }

  async function changeFollowUp(f, action, body) {
    ui.followupsError.hidden = true;
    try {
      await api('POST', `/api/follow-ups/${encodeURIComponent(f.id)}/${action}`, body);
      toast(action === 'cancel' ? L('跟进已取消', 'Follow-up cancelled') : L('跟进已改期', 'Follow-up moved'));
    } catch (err) {
      if (err.status === 401) return;
      ui.followupsError.textContent = err.message;
      ui.followupsError.hidden = false;
    }
    reloadFollowUps();
  }

  function closePromise() {
    ui.promiseForm.hidden = true;
    ui.promiseError.hidden = true;
    ui.promiseOpen.hidden = false;
  }
  ui.promiseOpen.addEventListener('click', () => {
    ui.promiseForm.hidden = false;
    ui.promiseOpen.hidden = true;
    ui.promiseError.hidden = true;
    ui.promiseNote.value = '';
    pickerDefaults(ui.promiseDue);
    ui.promiseDue.focus();
  });
  ui.promiseCancel.addEventListener('click', closePromise);
  ui.promiseForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const c = currentConversation();
    if (!c || state.selectedClosed) return;
    if (!ui.promiseDue.value || !ui.promiseNote.value.trim()) {
      ui.promiseError.textContent = L('请选择时间并填写承诺内容。', 'Choose a time and say what you promised.');
      ui.promiseError.hidden = false;
      return;
    }
    ui.promiseSave.disabled = true;
    try {
      await api('POST', `/api/conversations/${encodeURIComponent(c.id)}/promises`, { dueAt: withShopOffset(ui.promiseDue.value), note: ui.promiseNote.value.trim() });
      closePromise();
      toast(L('已记录承诺，到时会提醒你。', 'Promise noted: you will be reminded.'));
      reloadFollowUps();
    } catch (err) {
      if (err.status !== 401) {
        ui.promiseError.textContent = err.message;
        ui.promiseError.hidden = false;
      }
    } finally {
      ui.promiseSave.disabled = false;
    }
  });

  // ------------------------------------------------------------------ merging contacts (supervisors)
  function isSupervisor() { return !!(state.me && state.me.role === 'supervisor'); }

  function renderMerge(k) {
    const show = isSupervisor() && !!k.id;
    ui.merge.hidden = !show;
    if (!show) return;
    if (state.mergeFor !== k.id) {
      state.mergeFor = k.id;
      state.mergeFound = [];
      ui.mergeSearch.value = '';
      ui.mergeError.hidden = true;
      renderMergeResults();
      loadMerges(k.id);
    }
  }

  function contactSummary(f) {
    const parts = [];
    const add = (verified, declared) => {
      if (verified) parts.push(verified);
      if (declared && declared !== verified) parts.push(L(`${declared}（未验证）`, `${declared} (not verified)`));
    };
    add(f.displayName, f.declaredName);
    add(f.phone, f.declaredPhone);
    add(f.email, f.declaredEmail);
    const channels = Array.isArray(f.channels) && f.channels.length ? f.channels.map((t) => channelLabel(t, t)).join(', ') : L('无渠道', 'no channel');
    return L(`${parts.join(' · ') || '未知客户'} — ${channels}，${f.conversations} 个会话`, `${parts.join(' · ') || 'Unknown customer'} — ${channels}, ${f.conversations} conversation${f.conversations === 1 ? '' : 's'}`);
  }

  function renderMergeResults() {
    clear(ui.mergeResults);
    for (const f of state.mergeFound || []) {
      const li = el('li', 'merge-item', null, { 'data-testid': 'desk-merge-result', 'data-contact-id': f.id });
      li.appendChild(el('span', 'merge-text', contactSummary(f)));
      if (f.id === state.mergeFor) {
        li.appendChild(el('span', 'merge-note', L('当前客户', 'this customer')));
      } else {
        const b = el('button', 'btn btn-secondary btn-xs', L('合并到当前客户', 'Merge into this customer'), { type: 'button', 'data-testid': 'desk-merge-into' });
        b.disabled = !!state.mergeBusy;
        b.addEventListener('click', () => mergeInto(f));
        li.appendChild(b);
      }
      ui.mergeResults.appendChild(li);
    }
  }

  function renderMerges(merges) {
    clear(ui.mergeDone);
    for (const m of merges) {
      const li = el('li', 'merge-item', null, { 'data-testid': 'desk-merge-done', 'data-merge-id': m.id });
      li.appendChild(el('span', 'merge-text', L(`${dateTime(m.mergedAt)} 已合并：${m.conversations} 个会话，${m.identities} 个渠道身份`, `Merged ${dateTime(m.mergedAt)}: ${m.conversations} conversation${m.conversations === 1 ? '' : 's'}, ${m.identities} channel identit${m.identities === 1 ? 'y' : 'ies'}`)));
      const b = el('button', 'btn btn-ghost btn-xs', L('撤销', 'Undo'), { type: 'button', 'data-testid': 'desk-merge-undo' });
      b.addEventListener('click', () => undoMerge(m));
      li.appendChild(b);
      ui.mergeDone.appendChild(li);
    }
  }

  async function loadMerges(contactId) {
    try {
      const found = await api('GET', `/api/contacts/${encodeURIComponent(contactId)}`);
      if (state.mergeFor === contactId) renderMerges(Array.isArray(found.merges) ? found.merges : []);
    } catch (err) {
      if (err.status !== 401 && state.mergeFor === contactId) showMergeError(err.message);
    }
  }

  function showMergeError(message) {
    ui.mergeError.textContent = message;
    ui.mergeError.hidden = false;
  }

  ui.mergeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = ui.mergeSearch.value.trim();
    ui.mergeError.hidden = true;
    if (q.length < 2) { showMergeError(L('请输入手机号、邮箱或姓名中的至少 2 个字符。', 'Type at least 2 characters of a phone, email or name.')); return; }
    const forId = state.mergeFor;
    try {
      const found = await api('GET', `/api/contacts?q=${encodeURIComponent(q)}`);
      if (state.mergeFor !== forId) return;
      state.mergeFound = Array.isArray(found) ? found : [];
      renderMergeResults();
      if (!state.mergeFound.length) showMergeError(L('没有匹配的客户。', 'No contact matches.'));
    } catch (err) {
      if (err.status !== 401) showMergeError(err.message);
    }
  });

  async function mergeInto(found) {
    const c = currentConversation();
    const intoId = state.mergeFor;
    if (!intoId || state.mergeBusy) return;
    const ok = window.confirm(L(`把 ${contactSummary(found)} 合并到 ${c ? contactName(c) : '当前客户'}？\n\n两者的历史记录会合为一份，回复可能通过任一渠道送达。请确认是同一个人后再合并。合并后可以撤销。`, `Merge ${contactSummary(found)} into ${c ? contactName(c) : 'this customer'}?\n\nTheir histories become one, and replies may reach them on either channel. Only merge when you have checked it is the same person. You can undo it.`));
    if (!ok) return;
    state.mergeBusy = true;
    renderMergeResults();
    try {
      await api('POST', `/api/contacts/${encodeURIComponent(found.id)}/merge`, { into: intoId });
      state.mergeFound = [];
      renderMergeResults();
      toast(L('客户已合并，历史记录已合为一份。', 'Contacts merged. The history now shows both.'));
      await loadMerges(intoId);
      if (state.selectedId) loadDetail(state.selectedId, true);
    } catch (err) {
      if (err.status !== 401) showMergeError(L(`合并失败：${err.message}`, `Could not merge: ${err.message}`));
    } finally {
      state.mergeBusy = false;
      renderMergeResults();
    }
  }

  async function undoMerge(m) {
    if (state.mergeBusy) return;
    state.mergeBusy = true;
    try {
      await api('POST', `/api/contact-merges/${encodeURIComponent(m.id)}/undo`);
      toast(L('已撤销合并。', 'Merge undone.'));
      await loadMerges(m.intoContactId);
      if (state.selectedId) loadDetail(state.selectedId, true);
    } catch (err) {
      if (err.status !== 401) showMergeError(L(`撤销失败：${err.message}`, `Could not undo: ${err.message}`));
    } finally {
      state.mergeBusy = false;
    }
  }

  // The contact's personal agent (专属客服): their conversations come to this agent first.
  function exclusiveAgentNode(k) {
    const wrap = el('div', 'exclusive');
    const id = k.exclusiveAgentId || null;
    const mine = !!(id && state.me && id === state.me.id);
    let label = L('无', 'none');
    if (id) label = mine ? L(`${agentName(id)}（你）`, `${agentName(id)} (you)`) : (agentName(id) || L('其他客服', 'another agent'));
    wrap.appendChild(el('span', null, label, { 'data-testid': 'desk-exclusive-agent', 'data-agent-id': id || '' }));
    // Only supervisors choose a customer's personal agent (the API answers 403 to agents).
    if (!isSupervisor()) return wrap;
    const actions = el('div', 'exclusive-actions');
    if (!mine) {
      const set = el('button', 'btn btn-secondary btn-xs', L('设为我的专属客户', 'Make me their personal agent'), {
        type: 'button', 'data-testid': 'desk-exclusive-set',
        title: L('该客户之后的会话优先分配给你', 'Their next conversations come to you first'),
      });
      set.disabled = state.exclusiveBusy;
      set.addEventListener('click', () => setExclusiveAgent(k.id, state.me && state.me.userName));
      actions.appendChild(set);
    }
    if (id) {
      const remove = el('button', 'btn btn-ghost btn-xs', L('取消专属', 'Remove'), {
        type: 'button', 'data-testid': 'desk-exclusive-remove', title: L('按普通客户分配其会话', 'Route their conversations like anyone else\'s'),
      });
      remove.disabled = state.exclusiveBusy;
      remove.addEventListener('click', () => setExclusiveAgent(k.id, null));
      actions.appendChild(remove);
    }
    wrap.appendChild(actions);
    // A name not known yet: the directory comes with the overview.
    if (id && !mine && !state.agentsById.has(id) && !state.overview) loadOverview();
    return wrap;
  }

  async function setExclusiveAgent(contactId, userName) {
    if (!contactId || state.exclusiveBusy) return;
    state.exclusiveBusy = true;
    ui.exclusiveError.hidden = true;
    const c = currentConversation();
    if (c) renderDetails(c);
    try {
      await api('PUT', `/api/contacts/${encodeURIComponent(contactId)}/exclusive-agent`, { agent: userName || null });
      const agentId = userName ? state.me.id : null;
      const update = (conv) => {
        if (conv && conv.contact && conv.contact.id === contactId) conv.contact = Object.assign({}, conv.contact, { exclusiveAgentId: agentId });
      };
      for (const conv of state.conversations.values()) update(conv);
      update(state.closedSnapshot);
      const name = c && c.contact && c.contact.id === contactId ? contactName(c) : L('该客户', 'this customer');
      toast(userName ? L(`你现在是${name}的专属客服。`, `You are now ${name}'s personal agent.`) : L(`${name}已没有专属客服。`, `${name} no longer has a personal agent.`));
    } catch (err) {
      if (err.status !== 401) {
        ui.exclusiveError.textContent = L(`无法更改专属客服：${err.message}`, `Could not change the personal agent: ${err.message}`);
        ui.exclusiveError.hidden = false;
      }
    } finally {
      state.exclusiveBusy = false;
      const now = currentConversation();
      if (now) renderDetails(now);
    }
  }

  // ------------------------------------------------------------------ reply channels
  // The contact's channels a reply can go out on (GET /api/conversations/{id} replyChannels): the agent's
  // pick for this conversation, else the channel of the customer's latest message (isDefault).
  function replyChannels(c) { return c && Array.isArray(c.replyChannels) ? c.replyChannels : []; }
  function replyTarget(c) {
    const list = replyChannels(c);
    const picked = c && state.via.get(c.id);
    return list.find((r) => r.id === picked) || list.find((r) => r.isDefault) || null;
  }

  const viaSelect = el('select', 'via-select', null, { 'data-testid': 'desk-reply-channel', 'aria-label': L('回复渠道', 'Reply via') });
  viaSelect.addEventListener('change', () => {
    const c = currentConversation();
    if (!c) return;
    const chosen = replyChannels(c).find((r) => r.id === viaSelect.value);
    if (chosen && !chosen.isDefault) state.via.set(c.id, chosen.id); else state.via.delete(c.id);
    renderCount();
  });

  function renderVia(c, closed) {
    const list = replyChannels(c);
    const target = replyTarget(c);
    clear(ui.replyVia);
    if (!list.length || !target) {
      // Not loaded yet, or the customer's channel is not among the contact's (not running): the gateway's default.
      ui.replyVia.appendChild(document.createTextNode(L('回复将通过 ', 'Reply goes out via ')));
      ui.replyVia.appendChild(el('strong', null, channelLabel(c.channelType, c.channelInstanceId), { 'data-testid': 'desk-reply-via' }));
      return;
    }
    ui.replyVia.appendChild(el('span', null, L('回复渠道 ', 'Reply via ')));
    const sig = list.map((r) => `${r.id}\u0000${r.label}\u0000${r.isDefault}`).join('\u0001');
    if (viaSelect.dataset.sig !== sig) {
      clear(viaSelect);
      for (const r of list) {
        viaSelect.appendChild(el('option', null, r.isDefault ? L(`${r.label}（最近）`, `${r.label} (latest)`) : r.label, {
          value: r.id, 'data-channel': r.channelType || '', title: r.isDefault ? L('客户在本会话中最近使用的渠道', 'Where the customer wrote last in this conversation') : null,
        }));
      }
      viaSelect.dataset.sig = sig;
    }
    viaSelect.value = target.id;
    viaSelect.disabled = closed || list.length < 2;
    ui.replyVia.appendChild(viaSelect);
    const chosen = list.find((r) => r.id === viaSelect.value);
    if (chosen && chosen.window) ui.replyVia.appendChild(windowNote(chosen.window));
  }

  /** A channel's window for free-form answers (WhatsApp 24 h): when it closes, or that it has closed. */
  function windowNote(w) {
    const hours = L(`${Math.round(w.hours * 10) / 10} 小时`, `${Math.round(w.hours * 10) / 10} h`);
    if (!w.open) {
      return el('span', 'reply-window reply-window-closed', L(`窗口已关闭${w.closesAt ? ' ' + dateTime(w.closesAt) : ''}`, `window closed${w.closesAt ? ' ' + dateTime(w.closesAt) : ''}`), {
        'data-testid': 'desk-reply-window', 'data-open': 'false',
        title: L(`该渠道只能在客户最后一条消息后的 ${hours} 内自由回复：请改用客户的其他渠道，或等客户再次发消息`, `This channel takes free-form answers only within ${hours} of the customer's last message there: reply on another of their channels, or wait for them to write`),
      });
    }
    return el('span', 'reply-window', L(`窗口开放至 ${dateTime(w.closesAt)}`, `window until ${dateTime(w.closesAt)}`), {
      'data-testid': 'desk-reply-window', 'data-open': 'true',
      title: L(`该渠道只能在客户最后一条消息后的 ${hours} 内自由回复`, `Free-form answers on this channel only within ${hours} of the customer's last message there`),
    });
  }

  // A failed reply: retry on its channel, or send it on another of the customer's channels.
  function failedActions(m) {
    const c = currentConversation();
    // Only in the open conversation: the history also shows the contact's earlier, closed ones.
    if (!c || state.selectedClosed || c.status === 'closed' || (m.conversationId && m.conversationId !== c.id)) return null;
    const box = el('div', 'msg-actions', null, { 'data-testid': 'desk-failed-actions' });
    const busy = state.resending.has(m.id);
    const retry = el('button', 'btn btn-secondary btn-xs', L('重试', 'Retry'), { type: 'button', 'data-testid': 'desk-retry', title: L('通过同一渠道重新发送', 'Send it again on the same channel') });
    retry.disabled = busy;
    retry.addEventListener('click', () => sendAgain(c.id, m, null));
    box.appendChild(retry);
    for (const r of replyChannels(c)) {
      if (r.channelInstanceId === m.channelInstanceId) continue;
      const other = el('button', 'btn btn-ghost btn-xs', L(`改用 ${r.label} 发送`, `Send via ${r.label}`), { type: 'button', 'data-testid': 'desk-resend', 'data-via': r.id, 'data-channel': r.channelType || '' });
      other.disabled = busy;
      other.addEventListener('click', () => sendAgain(c.id, m, r));
      box.appendChild(other);
    }
    return box;
  }

  async function sendAgain(conversationId, m, channel) {
    if (state.resending.has(m.id)) return;
    state.resending.add(m.id);
    renderMessages(currentConversation());
    try {
      const url = `/api/messages/${encodeURIComponent(m.id)}/${channel ? 'resend' : 'retry'}`;
      const msg = await api('POST', url, channel ? { via: channel.id } : undefined);
      const list = state.messages.get(conversationId);
      if (list && msg && msg.id) {
        if (channel) {
          mergeMessage(list, Object.assign({}, m, { status: 'resent' }));
          mergeMessage(list, msg);
        } else {
          // Failed -> pending again (mergeMessage keeps a status from going back to pending otherwise).
          const i = list.findIndex((x) => x.id === msg.id);
          if (i >= 0 && list[i].status === 'failed') list[i] = Object.assign({}, list[i], msg);
        }
        touch(conversationId, msg);
      }
      toast(channel ? L(`已通过 ${channel.label} 重新发送。`, `Sent again via ${channel.label}.`) : L('正在重新发送…', 'Sending it again…'));
    } catch (err) {
      if (err.status !== 401) toast(L(`重新发送失败：${err.message}`, `Could not send it again: ${err.message}`), 'error');
      if (err.status === 409) loadDetail(conversationId);
    } finally {
      state.resending.delete(m.id);
      if (conversationId === state.selectedId) renderMessages(currentConversation());
    }
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
    const target = c ? replyTarget(c) : null;
    if (target ? target.channelType === 'sms' : (c && c.channelType === 'sms')) {
      const n = smsSegments(text);
      label += L(` · ${n} 条短信`, ` · ${n} SMS${n > 1 ? ' segments' : ''}`);
    }
    ui.replyCount.textContent = label;
    ui.replyCount.dataset.over = text.length > REPLY_LIMIT ? 'true' : 'false';
  }

  ui.reply.addEventListener('input', () => {
    renderCount();
    hideGuard();
    cannedFromInput();
    if (!ui.replyError.hidden && ui.reply.value.length <= REPLY_LIMIT) ui.replyError.hidden = true;
  });
  ui.reply.addEventListener('keydown', (e) => {
    if (cannedKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendReply();
    }
  });
  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });

  // confirm: the agent saw the forbidden phrases (服务禁语) and sends anyway; the gateway counts it.
  async function sendReply(confirm) {
    if (acts.noteMode) { sendNote(); return; }
    const id = state.selectedId;
    const text = ui.reply.value;
    const files = uploadsOf(id);
    const ready = files.filter((u) => u.status === 'done');
    if (!id || state.sending || state.selectedClosed) return;
    if (files.some((u) => u.status === 'uploading')) {
      ui.replyError.textContent = L('附件还在上传，请稍候。', 'Wait until the files are uploaded.');
      ui.replyError.hidden = false;
      return;
    }
    if (!text.trim() && !ready.length) return;
    if (text.length > REPLY_LIMIT) {
      ui.replyError.textContent = L(`回复有 ${text.length} 个字，上限为 ${REPLY_LIMIT}。`, `The reply is ${text.length} characters; the limit is ${REPLY_LIMIT}.`);
      ui.replyError.hidden = false;
      return;
    }
    state.sending = true;
    ui.send.disabled = true;
    ui.replyError.hidden = true;
    try {
      const body = { text };
      if (state.via.has(id)) body.via = state.via.get(id); // the agent's pick; otherwise the gateway's default
      if (ready.length) body.attachments = ready.map((u) => u.attachment.id);
      if (confirm === true) body.confirmForbidden = true;
      const msg = await api('POST', `/api/conversations/${encodeURIComponent(id)}/messages`, body);
      hideGuard();
      if (state.selectedId === id && ui.reply.value === text) ui.reply.value = '';
      state.drafts.delete(id);
      // Sent with the reply, or refused when picked (the chip said why): the next reply starts without them.
      dropUploads(id, (u) => ready.includes(u) || u.status === 'error');
      if (state.selectedId === id) renderUploads();
      if (msg && msg.id) {
        const list = state.messages.get(id) || [];
        mergeMessage(list, msg);
        state.messages.set(id, list);
        touch(id, msg);
        state.overdue.delete(id);
      }
      renderCount();
      renderList();
      if (state.selectedId === id) renderMessages(currentConversation(), true);
    } catch (err) {
      // The gateway found forbidden phrases: nothing was sent; the agent edits or confirms.
      if (err.status === 422 && err.data && Array.isArray(err.data.matches) && err.data.matches.length) {
        if (state.selectedId === id && ui.reply.value === text) showGuard(text, err.data.matches);
        return;
      }
      if (state.selectedId === id) {
        ui.replyError.textContent = L(`未发送：${err.message}`, `Not sent: ${err.message}`);
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

  // ------------------------------------------------------------------ canned replies (话术)
  // GET /api/canned-replies?conversationId= gives the shared replies and the agent's own with the variables filled for the
  // conversation. "/" and letters at the start of the composer open the list filtered by them; the Replies button opens it
  // with a search box. Arrow keys and Enter (or a click) insert the filled text; Esc closes.
  const canned = {
    root: $('canned'), search: $('canned-search'), list: $('canned-list'), empty: $('canned-empty'), open: $('canned-open'),
    byConversation: new Map(), // conversation id -> { at, items } (a minute at most, so edits elsewhere show soon)
    mode: null,                // null (closed) | 'slash' | 'panel'
    shown: [],
    active: 0,
    seq: 0,
  };
  const CANNED_FRESH_MS = 60_000;

  async function cannedItems(id) {
    const cached = canned.byConversation.get(id);
    if (cached && Date.now() - cached.at < CANNED_FRESH_MS) return cached.items;
    const items = await api('GET', `/api/canned-replies?conversationId=${encodeURIComponent(id)}`);
    canned.byConversation.set(id, { at: Date.now(), items: Array.isArray(items) ? items : [] });
    return canned.byConversation.get(id).items;
  }

  function slashQuery() {
    const m = /^\/(\S*)$/.exec(ui.reply.value);
    return m && ui.reply.selectionStart === ui.reply.value.length ? m[1] : null;
  }

  function cannedFromInput() {
    if (canned.mode === 'panel') return;
    const q = slashQuery();
    if (q === null || !replyOpen()) { if (canned.mode === 'slash') closeCanned(); return; }
    showCanned('slash', q);
  }

  async function showCanned(mode, query) {
    const id = state.selectedId;
    if (!id) return;
    const seq = ++canned.seq;
    canned.mode = mode;
    canned.root.dataset.mode = mode;
    canned.open.setAttribute('aria-expanded', String(mode === 'panel'));
    let items;
    try {
      items = await cannedItems(id);
    } catch (err) {
      if (seq !== canned.seq) return;
      canned.root.hidden = false;
      clear(canned.list);
      canned.empty.textContent = L(`无法加载话术：${err.message}`, `Could not load canned replies: ${err.message}`);
      canned.empty.hidden = false;
      return;
    }
    if (seq !== canned.seq || canned.mode !== mode || state.selectedId !== id) return;
    renderCanned(items, query);
  }

  function cannedScore(r, q) {
    if (!q) return 1;
    const s = r.shortcut.toLowerCase();
    if (s === q) return 4;
    if (s.startsWith(q)) return 3;
    if (r.title.toLowerCase().includes(q)) return 2;
    return (r.filled || r.text).toLowerCase().includes(q) || r.text.toLowerCase().includes(q) ? 1 : 0;
  }

  function renderCanned(items, query) {
    const q = String(query || '').trim().toLowerCase();
    canned.shown = items
      .map((r, i) => ({ r, i, score: cannedScore(r, q) }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map((x) => x.r);
    canned.active = 0;
    clear(canned.list);
    canned.shown.forEach((r, i) => {
      const li = el('li', 'canned-item', null, {
        role: 'option', id: `canned-${i}`, 'data-testid': 'desk-canned-item', 'data-shortcut': r.shortcut, 'aria-selected': String(i === 0),
      });
      li.appendChild(el('span', 'canned-shortcut', `/${r.shortcut}`));
      li.appendChild(el('span', 'canned-title', r.title));
      const side = el('span', 'canned-scope', r.scope === 'personal' ? L('我的', 'Mine') : (r.skill ? L(`共享 · ${r.skill}`, `Shared · ${r.skill}`) : L('共享', 'Shared')));
      if (r.editable) side.appendChild(cannedActions(r));
      li.appendChild(side);
      li.appendChild(el('span', 'canned-preview', r.filled || r.text));
      if (cannedFiles(r).length) li.appendChild(cannedFilesNote(r));
      li.addEventListener('mousedown', (e) => e.preventDefault()); // keep the focus where it is
      li.addEventListener('click', () => insertCanned(r));
      canned.list.appendChild(li);
    });
    canned.empty.textContent = items.length ? L('没有匹配的话术。', 'No canned reply matches.') : L('还没有话术。', 'No canned replies yet.');
    canned.empty.hidden = canned.shown.length > 0;
    canned.root.hidden = false;
  }

  // Edit and delete for the replies the agent may change (their own; a supervisor's also the shared ones), in the panel.
  function cannedActions(r) {
    const actions = el('span', 'canned-actions');
    const edit = el('button', 'btn btn-ghost btn-xs', L('编辑', 'Edit'), { type: 'button', 'data-testid': 'desk-canned-edit' });
    const del = el('button', 'btn btn-ghost btn-xs', L('删除', 'Delete'), { type: 'button', 'data-testid': 'desk-canned-delete' });
    edit.addEventListener('click', (e) => { e.stopPropagation(); openCannedForm(r); });
    del.addEventListener('click', async (e) => {
      e.stopPropagation();
      // A second click confirms, so a stray click deletes nothing.
      if (del.dataset.confirm !== 'true') { del.dataset.confirm = 'true'; del.textContent = L('确认删除', 'Confirm'); return; }
      try {
        await api('DELETE', `/api/canned-replies/${encodeURIComponent(r.id)}`);
        canned.byConversation.clear();
        showCanned('panel', canned.search.value);
      } catch (err) {
        toast(L(`未删除：${err.message}`, `Not deleted: ${err.message}`), 'error');
      }
    });
    actions.appendChild(edit);
    actions.appendChild(del);
    return actions;
  }

  const cannedForm = {
    root: $('canned-form'), shortcut: $('canned-shortcut'), title: $('canned-title'), text: $('canned-text'),
    sharedWrap: $('canned-shared-wrap'), shared: $('canned-shared'), error: $('canned-error'), save: $('canned-save'), cancel: $('canned-cancel'),
    skillWrap: $('canned-skill-wrap'), skill: $('canned-skill'),
    fileAdd: $('canned-file-add'), fileInput: $('canned-file-input'), fileList: $('canned-files'),
    editing: null,
    files: [],      // the reply's files in the form: { id, fileName, contentType, size, url, inline }, or { uploading: name }
  };

  // New (prefilled with the draft, so a good answer is kept in two clicks) or an existing reply to change.
  function openCannedForm(r) {
    cannedForm.editing = r || null;
    cannedForm.shortcut.value = r ? r.shortcut : '';
    cannedForm.title.value = r ? r.title : '';
    cannedForm.text.value = r ? r.text : (slashQuery() === null ? ui.reply.value : '');
    cannedForm.shared.checked = r ? r.scope === 'shared' : false;
    cannedForm.shared.disabled = !!r;
    cannedForm.sharedWrap.hidden = !isSupervisor();
    cannedForm.files = cannedFiles(r).slice();
    renderCannedFormFiles();
    fillCannedSkills(r ? r.skill : '');
    cannedForm.error.hidden = true;
    canned.list.hidden = true;
    canned.empty.hidden = true;
    cannedForm.root.hidden = false;
    cannedForm.shortcut.focus();
  }

  function closeCannedForm() {
    cannedForm.root.hidden = true;
    cannedForm.editing = null;
    canned.list.hidden = false;
  }

  cannedForm.cancel.addEventListener('click', () => { closeCannedForm(); showCanned('panel', canned.search.value); });
  cannedForm.save.addEventListener('click', async () => {
    const r = cannedForm.editing;
    const body = { shortcut: cannedForm.shortcut.value, title: cannedForm.title.value, text: cannedForm.text.value, shared: cannedForm.shared.checked };
    if (cannedForm.shared.checked && cannedForm.skill.value) body.skill = cannedForm.skill.value;
    if (cannedForm.files.some((f) => f.uploading)) {
      cannedForm.error.textContent = L('文件还在上传', 'Wait until the files are uploaded.');
      cannedForm.error.hidden = false;
      return;
    }
    body.attachmentIds = cannedForm.files.map((f) => f.id);
    cannedForm.save.disabled = true;
    try {
      if (r) await api('PUT', `/api/canned-replies/${encodeURIComponent(r.id)}`, body);
      else await api('POST', '/api/canned-replies', body);
      canned.byConversation.clear();
      closeCannedForm();
      showCanned('panel', canned.search.value);
    } catch (err) {
      cannedForm.error.textContent = err.status === 403 ? L('只有主管可以修改共享话术。', 'Only supervisors change shared replies.') : err.message;
      cannedForm.error.hidden = false;
    } finally {
      cannedForm.save.disabled = false;
    }
  });
  $('canned-new').addEventListener('click', () => openCannedForm(null));

  function moveCanned(step) {
    if (!canned.shown.length) return;
    canned.active = (canned.active + step + canned.shown.length) % canned.shown.length;
    Array.from(canned.list.children).forEach((li, i) => li.setAttribute('aria-selected', String(i === canned.active)));
    const li = canned.list.children[canned.active];
    if (li && li.scrollIntoView) li.scrollIntoView({ block: 'nearest' });
  }

  // Keys while the list is open; true when the key was the list's.
  function cannedKey(e) {
    if (!canned.mode || e.isComposing) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); moveCanned(e.key === 'ArrowDown' ? 1 : -1); return true; }
    if (e.key === 'Escape') { e.preventDefault(); closeCanned(); return true; }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && canned.shown.length) {
      e.preventDefault();
      insertCanned(canned.shown[canned.active]);
      return true;
    }
    return false;
  }

  function insertCanned(r) {
    if (!r || !replyOpen()) return;
    const text = r.filled || r.text;
    const value = ui.reply.value;
    if (slashQuery() !== null) {
      ui.reply.value = text; // "/nh" becomes the reply
    } else {
      const start = ui.reply.selectionStart ?? value.length;
      const end = ui.reply.selectionEnd ?? value.length;
      ui.reply.value = value.slice(0, start) + text + value.slice(end);
    }
    closeCanned();
    ui.reply.focus();
    const caret = ui.reply.value.indexOf(text) + text.length;
    ui.reply.setSelectionRange(caret, caret);
    // A variable the conversation has no value for stays as {order}: select it for the agent to fill.
    const gap = /\{[a-z]+\}/.exec(ui.reply.value);
    if (gap) ui.reply.setSelectionRange(gap.index, gap.index + gap[0].length);
    hideGuard();
    renderCount();
    if (cannedFiles(r).length) attachCannedFiles(r);
  }

  function closeCanned() {
    canned.seq++;
    closeCannedForm();
    canned.mode = null;
    canned.root.hidden = true;
    canned.open.setAttribute('aria-expanded', 'false');
    canned.search.value = '';
  }

  canned.open.addEventListener('click', () => {
    if (canned.mode === 'panel') { closeCanned(); ui.reply.focus(); return; }
    if (!replyOpen()) return;
    canned.search.value = '';
    showCanned('panel', '');
    canned.search.focus();
  });
  canned.search.addEventListener('input', () => {
    const cached = state.selectedId && canned.byConversation.get(state.selectedId);
    if (cached) renderCanned(cached.items, canned.search.value); else showCanned('panel', canned.search.value);
  });
  canned.search.addEventListener('keydown', (e) => {
    if (cannedKey(e)) { if (e.key === 'Escape') ui.reply.focus(); }
  });
  ui.reply.addEventListener('blur', () => { if (canned.mode === 'slash') setTimeout(() => { if (document.activeElement !== ui.reply) closeCanned(); }, 150); });
  document.addEventListener('mousedown', (e) => {
    if (canned.mode && !canned.root.contains(e.target) && e.target !== canned.open && e.target !== ui.reply) closeCanned();
  });

  // ---------------------------------------------------------------- canned replies' files and skill
  // A canned reply may carry files (a size chart, a payment QR code). In the form they are uploaded to
  // POST /api/canned-replies/files and named by id; inserting the reply asks for copies of them for this conversation
  // (POST /api/canned-replies/{id}/copies), which wait as the reply's files like any upload, so Send sends text and files.
  // Supervisors give a shared reply a skill: only that skill's agents are offered it.
  function cannedFiles(r) { return r && Array.isArray(r.attachments) ? r.attachments : []; }

  function cannedFilesNote(r) {
    const files = cannedFiles(r);
    const note = el('span', 'canned-files-note', null, { 'data-testid': 'desk-canned-item-files' });
    for (const f of files.slice(0, 3)) {
      if (f.inline) note.appendChild(el('img', 'canned-file-thumb', null, { src: f.url, alt: f.fileName, title: f.fileName, loading: 'lazy' }));
      else note.appendChild(el('span', 'canned-file-name', `📎 ${f.fileName}`, { title: f.fileName }));
    }
    if (files.length > 3) note.appendChild(el('span', 'canned-file-name', `+${files.length - 3}`));
    return note;
  }

  function fillCannedSkills(current) {
    const select = cannedForm.skill;
    const show = () => { cannedForm.skillWrap.hidden = !(isSupervisor() && cannedForm.shared.checked); };
    show();
    while (select.options.length > 1) select.remove(1);
    const add = (skill) => {
      if (skill && !Array.from(select.options).some((o) => o.value === skill)) select.appendChild(el('option', null, skill, { value: skill }));
    };
    add(current);
    select.value = current || '';
    if (!isSupervisor()) return;
    fetchOverview().then((o) => {
      if (!o) return;
      for (const q of queueTargets(o)) add(q.skill);
      select.value = current || '';
    }).catch(() => { /* the skill already set stays offered */ });
  }
  cannedForm.shared.addEventListener('change', () => { cannedForm.skillWrap.hidden = !(isSupervisor() && cannedForm.shared.checked); });

  function renderCannedFormFiles() {
    clear(cannedForm.fileList);
    for (const f of cannedForm.files) {
      const li = el('li', 'canned-file', null, { 'data-testid': 'desk-canned-file', 'data-name': f.fileName || f.uploading, 'data-state': f.uploading ? 'uploading' : 'done' });
      if (f.inline) li.appendChild(el('img', 'canned-file-thumb', null, { src: f.url, alt: '' }));
      li.appendChild(el('span', 'canned-file-name', f.fileName || `${f.uploading} …`));
      if (!f.uploading) {
        const remove = el('button', 'reply-file-remove', '×', { type: 'button', 'data-testid': 'desk-canned-file-remove', 'aria-label': L(`移除 ${f.fileName}`, `Remove ${f.fileName}`) });
        remove.addEventListener('click', () => { cannedForm.files = cannedForm.files.filter((x) => x !== f); renderCannedFormFiles(); });
        li.appendChild(remove);
      }
      cannedForm.fileList.appendChild(li);
    }
    cannedForm.fileAdd.disabled = cannedForm.files.length >= 5;
  }

  async function uploadCannedFile(file) {
    const pending = { uploading: file.name || 'file' };
    cannedForm.files.push(pending);
    renderCannedFormFiles();
    const form = new FormData();
    form.append('file', file, file.name || 'file');
    let data = null;
    let status = 0;
    try {
      const res = await fetch(`/api/canned-replies/files${cannedForm.shared.checked ? '?shared=true' : ''}`, {
        method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
      status = res.status;
      data = await res.json().catch(() => null);
    } catch { status = 0; }
    cannedForm.files = cannedForm.files.filter((x) => x !== pending);
    if (status === 201 && data && typeof data.id === 'string') cannedForm.files.push(data);
    else {
      cannedForm.error.textContent = data && data.error ? data.error : L('上传失败', 'The upload did not get through.');
      cannedForm.error.hidden = false;
    }
    renderCannedFormFiles();
  }

  cannedForm.fileAdd.addEventListener('click', () => cannedForm.fileInput.click());
  cannedForm.fileInput.addEventListener('change', () => {
    const room = 5 - cannedForm.files.length;
    const picked = Array.from(cannedForm.fileInput.files || []);
    cannedForm.error.hidden = true;
    picked.slice(0, Math.max(0, room)).forEach((f) => uploadCannedFile(f));
    if (picked.length > room) {
      cannedForm.error.textContent = L('一条话术最多 5 个文件', 'A canned reply carries at most 5 files.');
      cannedForm.error.hidden = false;
    }
    cannedForm.fileInput.value = '';
  });

  // The inserted reply's files, copied for this conversation, wait under the draft as its files.
  async function attachCannedFiles(r) {
    const id = state.selectedId;
    const waiting = cannedFiles(r).map((f) => ({
      key: ++uploadSeq, file: null, name: f.fileName, size: f.size, type: f.contentType,
      status: 'uploading', progress: 0, error: null, attachment: null, xhr: null, node: null, preview: null,
    }));
    state.uploads.set(id, uploadsOf(id).concat(waiting));
    renderUploads();
    let copies = null;
    let error = null;
    try {
      copies = await api('POST', `/api/canned-replies/${encodeURIComponent(r.id)}/copies`, { conversationId: id });
    } catch (err) {
      error = err.message;
    }
    waiting.forEach((u, i) => {
      const copy = Array.isArray(copies) ? copies[i] : null;
      if (copy) {
        u.status = 'done';
        u.attachment = copy;
        if (copy.inline) u.preview = copy.url;
      } else {
        u.status = 'error';
        u.error = error || L('文件已不在话术中', 'The file is no longer on this canned reply.');
      }
    });
    if (state.selectedId === id) renderUploads();
  }

  // ------------------------------------------------------------------ forbidden phrases (服务禁语)
  // The gateway refuses a reply carrying a forbidden phrase (422 with the matches) unless the agent confirms: the desk shows
  // the reply with the phrases marked, why, and what to say instead. "Send anyway" sends it confirmed (counted for the
  // supervisors); Edit keeps the text to change it. A reply without such a phrase goes out in its one request.
  const guard = { root: $('guard'), text: $('guard-text'), matches: $('guard-matches'), cancel: $('guard-cancel'), send: $('guard-send'), first: null };

  function showGuard(text, matches) {
    clear(guard.text);
    let at = 0;
    const sorted = matches.slice().filter((m) => m.start >= 0).sort((a, b) => a.start - b.start);
    for (const m of sorted) {
      if (m.start < at) continue;
      if (m.start > at) guard.text.appendChild(document.createTextNode(text.slice(at, m.start)));
      guard.text.appendChild(el('mark', null, text.slice(m.start, m.start + m.length)));
      at = m.start + m.length;
    }
    if (at < text.length) guard.text.appendChild(document.createTextNode(text.slice(at)));
    clear(guard.matches);
    for (const m of matches) {
      const li = el('li', 'guard-match', null, { 'data-testid': 'desk-guard-match' });
      li.appendChild(el('span', 'guard-phrase', `“${m.phrase}”`));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'guard-reason', m.reason, { 'data-testid': 'desk-guard-reason' }));
      li.appendChild(el('div', 'guard-suggestion', m.suggestion, { 'data-testid': 'desk-guard-suggestion' }));
      guard.matches.appendChild(li);
    }
    guard.first = sorted[0] || null;
    guard.root.hidden = false;
    guard.send.focus();
  }

  function hideGuard() {
    guard.root.hidden = true;
    guard.first = null;
  }

  guard.cancel.addEventListener('click', () => {
    const first = guard.first;
    hideGuard();
    ui.reply.focus();
    if (first) ui.reply.setSelectionRange(first.start, first.start + first.length);
  });
  guard.send.addEventListener('click', () => sendReply(true));
  guard.root.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); guard.cancel.click(); } });

  // ------------------------------------------------------------------ files for a reply
  // Each file goes up as soon as it is picked, dropped or pasted (POST /api/conversations/{id}/attachments) and
  // waits as a chip under the draft; Send names the uploaded ones. Kept per conversation, like the draft, until sent.
  let uploadSeq = 0;
  function uploadsOf(id) { return (id && state.uploads.get(id)) || []; }

  function replyOpen() {
    const c = currentConversation();
    return !!(c && state.selectedId && !state.selectedClosed && c.status !== 'closed');
  }

  function pastedName(file) {
    const ext = (/^image\/(png|jpeg|gif|webp)$/i.exec(file.type || '') || [])[1] || 'png';
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `pasted-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.${ext === 'jpeg' ? 'jpg' : ext}`;
  }

  function addFiles(files) {
    const id = state.selectedId;
    if (!replyOpen()) return;
    const list = state.uploads.get(id) || [];
    for (const file of Array.from(files || [])) {
      if (!file) continue;
      const u = {
        key: ++uploadSeq, file, name: file.name || pastedName(file), size: file.size, type: file.type || '',
        status: 'uploading', progress: 0, error: null, attachment: null, xhr: null, node: null,
        preview: /^image\/(png|jpeg|gif|webp|bmp)$/i.test(file.type || '') ? URL.createObjectURL(file) : null,
      };
      list.push(u);
      upload(id, u);
    }
    state.uploads.set(id, list);
    renderUploads();
  }

  function upload(conversationId, u) {
    const xhr = new XMLHttpRequest();
    u.xhr = xhr;
    const done = (status, error, attachment) => {
      u.xhr = null;
      u.status = status;
      u.error = error;
      u.attachment = attachment || null;
      if (conversationId === state.selectedId) renderUploads();
    };
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      u.progress = e.total ? e.loaded / e.total : 0;
      if (u.node) u.node.querySelector('progress').value = u.progress;
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data && typeof data.id === 'string') { done('done', null, data); return; }
      const reason = data && typeof data.error === 'string' && data.error ? data.error : L(`服务器返回 ${xhr.status}。`, `The server answered ${xhr.status}.`);
      done('error', reason);
      if (xhr.status === 401 && state.me) signedOut(L('登录已过期，请重新登录。', 'Your session has ended. Please sign in again.'));
    });
    // A server that refuses a large file early may close the connection before the browser has sent it all.
    xhr.addEventListener('error', () => done('error', L('上传失败（连接已断开；超过大小限制的文件会被截断）。', 'The upload did not get through (the connection closed; a file over the limit is cut off).')));
    xhr.open('POST', `/api/conversations/${encodeURIComponent(conversationId)}/attachments`);
    xhr.setRequestHeader('Accept', 'application/json');
    const form = new FormData();
    form.append('file', u.file, u.name);
    xhr.send(form);
  }

  function removeUpload(conversationId, u) {
    if (u.xhr) u.xhr.abort();
    if (u.preview && u.preview.startsWith('blob:')) URL.revokeObjectURL(u.preview);
    const list = uploadsOf(conversationId).filter((x) => x !== u);
    if (list.length) state.uploads.set(conversationId, list); else state.uploads.delete(conversationId);
  }

  function dropUploads(conversationId, which) {
    for (const u of uploadsOf(conversationId).slice()) if (!which || which(u)) removeUpload(conversationId, u);
  }

  function renderUploads() {
    const id = state.selectedId;
    const list = uploadsOf(id);
    clear(ui.replyFiles);
    ui.replyFiles.hidden = !list.length;
    const open = replyOpen();
    ui.attach.disabled = !open;
    for (const u of list) {
      const li = el('li', 'reply-file', null, { 'data-testid': 'desk-reply-file', 'data-state': u.status, 'data-name': u.name });
      if (u.preview) li.appendChild(el('img', 'reply-file-thumb', null, { src: u.preview, alt: '' }));
      else {
        const kind = fileKind(u.name, u.type);
        li.appendChild(el('span', 'file-icon', kind, { 'data-kind': kind.toLowerCase(), 'aria-hidden': 'true' }));
      }
      const meta = el('span', 'reply-file-meta');
      meta.appendChild(el('span', 'reply-file-name', u.name, { title: u.name }));
      if (u.status === 'uploading') {
        meta.appendChild(el('progress', 'reply-file-progress', null, { max: '1', value: String(u.progress), 'aria-label': L(`上传中 ${u.name}`, `Uploading ${u.name}`) }));
      } else if (u.status === 'error') {
        meta.appendChild(el('span', 'reply-file-error', u.error, { 'data-testid': 'desk-reply-file-error', role: 'alert' }));
      } else {
        meta.appendChild(el('span', 'reply-file-size', humanSize(u.attachment ? u.attachment.size : u.size)));
      }
      li.appendChild(meta);
      const remove = el('button', 'reply-file-remove', '×', {
        type: 'button', 'data-testid': 'desk-reply-file-remove', 'aria-label': L(`移除 ${u.name}`, `Remove ${u.name}`), title: L('移除', 'Remove'),
      });
      remove.addEventListener('click', () => {
        removeUpload(id, u);
        renderUploads();
        ui.reply.focus();
      });
      li.appendChild(remove);
      u.node = li;
      ui.replyFiles.appendChild(li);
    }
  }

  ui.attach.addEventListener('click', () => { if (replyOpen()) ui.attachInput.click(); });
  ui.attachInput.addEventListener('change', () => {
    addFiles(ui.attachInput.files);
    ui.attachInput.value = '';
    ui.reply.focus();
  });

  const draggingFiles = (e) => !!(e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files'));
  ui.composer.addEventListener('dragover', (e) => {
    if (!draggingFiles(e) || !replyOpen()) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    ui.composer.dataset.drop = 'true';
  });
  ui.composer.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget || !ui.composer.contains(e.relatedTarget)) delete ui.composer.dataset.drop;
  });
  ui.composer.addEventListener('drop', (e) => {
    delete ui.composer.dataset.drop;
    if (!draggingFiles(e)) return;
    e.preventDefault();
    addFiles(e.dataTransfer.files);
  });
  // A file dropped beside the reply box would replace the desk with the file: refuse it there.
  window.addEventListener('dragover', (e) => { if (draggingFiles(e) && !ui.composer.contains(e.target)) { e.preventDefault(); e.dataTransfer.dropEffect = 'none'; } });
  window.addEventListener('drop', (e) => { if (draggingFiles(e) && !ui.composer.contains(e.target)) e.preventDefault(); });

  // A pasted picture (a screenshot) is attached; pasted text stays text.
  ui.reply.addEventListener('paste', (e) => {
    const data = e.clipboardData;
    if (!data || Array.from(data.types || []).includes('text/plain')) return;
    const files = Array.from(data.items || []).filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  });

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
      toast(L('会话已结束。', 'Conversation closed.'));
      afterClosedByMe(id);
    } catch (err) {
      if (err.status === 409 || err.status === 404) afterClosedByMe(id);
      else if (err.status !== 401) toast(L(`无法结束会话：${err.message}`, `Could not close the conversation: ${err.message}`), 'error');
    } finally {
      state.closing = false;
      ui.closeConv.disabled = false;
    }
  });

  function afterClosedByMe(id) {
    forgetConversation(id, true);
  }

  // Time pickers are on the shop's clock: labelled with its zone, no earlier than the shop's now, and (when empty) set to the
  // next full hour, so what the agent sees in the picker is what the planned time shows afterwards.
  function labelShopZone() {
    const zone = shopZone();
    for (const e of document.querySelectorAll('[data-shop-zone]')) {
      e.textContent = L(`店铺时间 ${zone}`, `Shop time (${zone})`);
      e.title = L(`按店铺所在时区（${zone}）填写，而不是这台电脑的时区`, `In the shop's time zone (${zone}), not this computer's`);
    }
  }
  function pickerDefaults(input) {
    const now = Date.now();
    input.min = shopInputValue(new Date(now + 60000));
    if (!input.value || input.value < input.min) input.value = shopInputValue(new Date(Math.ceil((now + 60000) / 3600000) * 3600000));
  }

  // ---------------------------------------------------------------- conversation actions (close reasons, notes, snooze, send later)
  // Close with a reason (▾ next to Close), notes any time (the composer's Reply | Note), snooze (挂起) until the customer
  // writes or a time, and replies scheduled for later (the strip above the composer, with Edit and Cancel).
  const acts = {
    closeReasonOpen: $('close-reason-open'), closeMenu: $('close-menu'),
    snoozeOpen: $('snooze-open'), snoozeDialog: $('snooze-dialog'), snoozeReply: $('snooze-reply'), snoozeUntil: $('snooze-until'),
    snoozeError: $('snooze-error'), snoozeCancel: $('snooze-cancel'), snoozeConfirm: $('snooze-confirm'), wake: $('wake-conv'),
    modeReply: $('mode-reply'), modeNote: $('mode-note'),
    laterOpen: $('send-later-open'), later: $('send-later'), laterAt: $('send-later-at'), laterConfirm: $('send-later-confirm'),
    scheduled: $('scheduled'),
    reasons: null,
    noteMode: false,
    editing: null,          // the scheduled reply being edited (its id), or null
    scheduledOf: new Map(), // conversation id -> scheduled replies (planned ones shown)
  };
  const replyPlaceholder = ui.reply.getAttribute('placeholder');

  // A datetime-local value, read on the shop's clock (not the browser's), as a time with its offset, as the API takes it.
  function withOffset(local) { return shopLocalToIso(local) || null; }
  function reasonLabel(id) {
    const r = (acts.reasons || []).find((x) => x.id === id);
    return r ? L(r.zh || r.en, r.en || r.zh) : id;
  }

  async function closeWithReason(reason) {
    const id = state.selectedId;
    if (!id || state.closing) return;
    acts.closeMenu.hidden = true;
    acts.closeReasonOpen.setAttribute('aria-expanded', 'false');
    state.closing = true;
    try {
      await api('POST', `/api/conversations/${encodeURIComponent(id)}/close`, { reason });
      toast(L(`会话已关闭：${reasonLabel(reason)}`, `Conversation closed: ${reasonLabel(reason)}`));
      afterClosedByMe(id);
    } catch (err) {
      if (err.status === 409 || err.status === 404) afterClosedByMe(id);
      else if (err.status !== 401) toast(L(`无法关闭会话：${err.message}`, `Could not close the conversation: ${err.message}`), 'error');
    } finally {
      state.closing = false;
    }
  }

  acts.closeReasonOpen.addEventListener('click', async () => {
    if (!acts.closeMenu.hidden) { acts.closeMenu.hidden = true; acts.closeReasonOpen.setAttribute('aria-expanded', 'false'); return; }
    if (!acts.reasons) {
      try { acts.reasons = await api('GET', '/api/conversations/close-reasons'); } catch (err) { toast(err.message, 'error'); return; }
    }
    clear(acts.closeMenu);
    for (const r of acts.reasons) {
      const b = el('button', 'menu-item', reasonLabel(r.id), { type: 'button', role: 'menuitem', 'data-testid': 'desk-close-reason-item', 'data-reason': r.id });
      b.addEventListener('click', () => closeWithReason(r.id));
      acts.closeMenu.appendChild(b);
    }
    const plain = el('button', 'menu-item menu-item-plain', L('不选原因，直接关闭', 'Close without a reason'), { type: 'button', role: 'menuitem', 'data-testid': 'desk-close-no-reason' });
    plain.addEventListener('click', () => { acts.closeMenu.hidden = true; ui.closeConv.click(); });
    acts.closeMenu.appendChild(plain);
    acts.closeMenu.hidden = false;
    acts.closeReasonOpen.setAttribute('aria-expanded', 'true');
  });

  // Notes: agents only; any time, on a closed conversation too.
  function setNoteMode(on) {
    acts.noteMode = on;
    acts.modeReply.setAttribute('aria-pressed', on ? 'false' : 'true');
    acts.modeNote.setAttribute('aria-pressed', on ? 'true' : 'false');
    ui.composer.classList.toggle('note-mode', on);
    ui.reply.setAttribute('placeholder', on ? L('备注只有客服能看到', 'Only agents see notes') : replyPlaceholder);
    ui.send.textContent = on ? L('添加备注', 'Add note') : 'Send';
    if (on) { acts.later.hidden = true; acts.laterOpen.setAttribute('aria-expanded', 'false'); }
    acts.laterOpen.hidden = on;
    if (state.selectedId) renderThread();
  }
  acts.modeReply.addEventListener('click', () => setNoteMode(false));
  acts.modeNote.addEventListener('click', () => setNoteMode(true));

  async function sendNote() {
    const id = state.selectedId;
    const text = ui.reply.value;
    if (!id || state.sending || !text.trim()) return;
    state.sending = true;
    ui.replyError.hidden = true;
    try {
      const note = await api('POST', `/api/conversations/${encodeURIComponent(id)}/notes`, { text });
      if (state.selectedId === id && ui.reply.value === text) ui.reply.value = '';
      state.drafts.delete(id);
      const list = state.messages.get(id) || [];
      mergeMessage(list, note);
      state.messages.set(id, list);
      renderCount();
      if (state.selectedId === id) renderMessages(currentConversation(), true);
    } catch (err) {
      ui.replyError.textContent = L(`备注未保存：${err.message}`, `Note not saved: ${err.message}`);
      ui.replyError.hidden = false;
    } finally {
      state.sending = false;
      if (state.selectedId === id) ui.send.disabled = false;
    }
  }

  // Snooze (挂起): the conversation stays the agent's; it comes back when the customer writes or at its time.
  function closeSnooze() {
    acts.snoozeDialog.hidden = true;
    acts.snoozeOpen.setAttribute('aria-expanded', 'false');
  }
  acts.snoozeOpen.addEventListener('click', () => {
    if (!acts.snoozeDialog.hidden) { closeSnooze(); return; }
    acts.snoozeError.hidden = true;
    pickerDefaults(acts.snoozeUntil);
    acts.snoozeDialog.hidden = false;
    acts.snoozeOpen.setAttribute('aria-expanded', 'true');
  });
  acts.snoozeCancel.addEventListener('click', closeSnooze);
  async function snooze(until) {
    const id = state.selectedId;
    if (!id) return;
    try {
      const c = await api('POST', `/api/conversations/${encodeURIComponent(id)}/snooze`, { until });
      closeSnooze();
      markSnoozed(id, true, c && c.snoozedUntil);
      toast(until ? L('已挂起，到时会回到列表', 'Snoozed: it comes back at that time') : L('已挂起，客户回复后会回到列表', 'Snoozed until the customer replies'));
    } catch (err) {
      acts.snoozeError.textContent = err.message;
      acts.snoozeError.hidden = false;
    }
  }
  acts.snoozeReply.addEventListener('click', () => snooze(null));
  acts.snoozeConfirm.addEventListener('click', () => {
    const until = withOffset(acts.snoozeUntil.value);
    if (!until) { acts.snoozeError.textContent = L('请选择时间', 'Pick a time.'); acts.snoozeError.hidden = false; return; }
    snooze(until);
  });
  acts.wake.addEventListener('click', async () => {
    const id = state.selectedId;
    if (!id) return;
    try {
      await api('DELETE', `/api/conversations/${encodeURIComponent(id)}/snooze`);
      markSnoozed(id, false, null);
    } catch (err) {
      if (err.status === 409) markSnoozed(id, false, null);
      else toast(err.message, 'error');
    }
  });
  function markSnoozed(id, snoozed, until) {
    const c = state.conversations.get(id);
    if (!c) return;
    c.snoozed = snoozed;
    c.snoozedUntil = snoozed ? until || null : null;
    renderList();
    if (id === state.selectedId) renderThread();
  }
  function snoozeBadge(container, c) {
    if (!c.snoozed) return;
    const text = c.snoozedUntil
      ? L(`挂起至 ${dateTime(c.snoozedUntil)}`, `Snoozed until ${dateTime(c.snoozedUntil)}`)
      : L('挂起至客户回复', 'Snoozed until the customer replies');
    container.appendChild(el('span', 'badge badge-snoozed', text, { 'data-testid': 'desk-snoozed-badge' }));
  }

  // Send later: scheduled through the follow-up scheduler, outside the customers' quiet hours.
  acts.laterOpen.addEventListener('click', () => {
    acts.editing = null;
    pickerDefaults(acts.laterAt);
    acts.later.hidden = !acts.later.hidden;
    acts.laterOpen.setAttribute('aria-expanded', acts.later.hidden ? 'false' : 'true');
    if (!acts.later.hidden) acts.laterAt.focus();
  });
  acts.laterConfirm.addEventListener('click', () => scheduleReply(false));
  async function scheduleReply(confirm) {
    const id = state.selectedId;
    const text = ui.reply.value;
    const sendAt = withOffset(acts.laterAt.value);
    if (!id) return;
    if (!sendAt) { ui.replyError.textContent = L('请选择发送时间', 'Pick when to send it.'); ui.replyError.hidden = false; return; }
    ui.replyError.hidden = true;
    const body = { text, sendAt };
    if (confirm) body.confirmForbidden = true;
    try {
      const base = `/api/conversations/${encodeURIComponent(id)}/scheduled-replies`;
      if (acts.editing) await api('PUT', `${base}/${encodeURIComponent(acts.editing)}`, body);
      else await api('POST', base, body);
      acts.editing = null;
      if (state.selectedId === id && ui.reply.value === text) ui.reply.value = '';
      state.drafts.delete(id);
      acts.later.hidden = true;
      acts.laterOpen.setAttribute('aria-expanded', 'false');
      renderCount();
      await loadScheduled(id);
    } catch (err) {
      if (err.status === 422 && err.data && Array.isArray(err.data.matches) && err.data.matches.length
        && window.confirm(L(`这条回复含有服务禁语：${err.data.matches.map((m) => m.phrase).join('、')}。仍然定时发送？`,
          `This reply has words to avoid: ${err.data.matches.map((m) => m.phrase).join(', ')}. Schedule it anyway?`))) {
        scheduleReply(true);
        return;
      }
      ui.replyError.textContent = L(`未定时：${err.message}`, `Not scheduled: ${err.message}`);
      ui.replyError.hidden = false;
    }
  }
  async function loadScheduled(id) {
    let list = [];
    try { list = await api('GET', `/api/conversations/${encodeURIComponent(id)}/scheduled-replies`); } catch { list = []; }
    acts.scheduledOf.set(id, Array.isArray(list) ? list : []);
    if (state.selectedId === id) renderScheduled();
  }
  function renderScheduled() {
    const planned = (acts.scheduledOf.get(state.selectedId) || []).filter((r) => r.status === 'planned');
    clear(acts.scheduled);
    acts.scheduled.hidden = planned.length === 0;
    for (const r of planned) {
      const li = el('li', 'scheduled-item', null, { 'data-testid': 'desk-scheduled-item', 'data-id': r.id });
      li.appendChild(el('span', 'scheduled-when', L(`定时 ${dateTime(r.sendAt)}`, `Scheduled ${dateTime(r.sendAt)}`), { 'data-testid': 'desk-scheduled-when' }));
      li.appendChild(el('span', 'scheduled-text', r.text, { 'data-testid': 'desk-scheduled-text' }));
      const edit = el('button', 'btn btn-ghost btn-xs', L('编辑', 'Edit'), { type: 'button', 'data-testid': 'desk-scheduled-edit' });
      edit.addEventListener('click', () => {
        acts.editing = r.id;
        setNoteMode(false);
        ui.reply.value = r.text;
        pickerDefaults(acts.laterAt);
        acts.laterAt.value = shopInputValue(r.sendAt);
        acts.later.hidden = false;
        acts.laterOpen.setAttribute('aria-expanded', 'true');
        renderCount();
        ui.reply.focus();
      });
      const cancel = el('button', 'btn btn-ghost btn-xs', L('取消发送', 'Cancel'), { type: 'button', 'data-testid': 'desk-scheduled-cancel' });
      cancel.addEventListener('click', async () => {
        const id = state.selectedId;
        try {
          await api('DELETE', `/api/conversations/${encodeURIComponent(id)}/scheduled-replies/${encodeURIComponent(r.id)}`);
        } catch (err) {
          toast(err.message, 'error');
        }
        await loadScheduled(id);
      });
      li.appendChild(edit);
      li.appendChild(cancel);
      acts.scheduled.appendChild(li);
    }
  }

  // Called by select() and renderThread(): the actions' part of the thread.
  function actionsOnSelect(id) {
    acts.editing = null;
    acts.later.hidden = true;
    acts.laterOpen.setAttribute('aria-expanded', 'false');
    closeSnooze();
    acts.closeMenu.hidden = true;
    renderScheduled();
    loadScheduled(id);
  }
  function actionsOnThread(c, closed) {
    acts.closeReasonOpen.hidden = closed;
    acts.snoozeOpen.hidden = closed || !!c.snoozed;
    acts.wake.hidden = closed || !c.snoozed;
    acts.laterOpen.hidden = closed || acts.noteMode;
    if (closed) { acts.later.hidden = true; closeSnooze(); acts.closeMenu.hidden = true; }
    snoozeBadge(ui.threadBadges, c);
    if (c.closeReason) ui.threadBadges.appendChild(el('span', 'badge badge-status', reasonLabel(c.closeReason), { 'data-testid': 'desk-close-reason-badge' }));
    if (acts.noteMode) { ui.reply.disabled = false; ui.send.disabled = state.sending; }
    renderScheduled();
  }

  // A conversation that left this agent (closed, transferred, requeued, taken by another agent): gone
  // from the list and, if it was open, from the thread; after the agent's own close, on to the next one.
  function forgetConversation(id, selectNext = false) {
    noteLiveChange(id);
    state.conversations.delete(id);
    state.messages.delete(id);
    state.unread.delete(id);
    state.drafts.delete(id);
    dropUploads(id);
    state.via.delete(id);
    state.overdue.delete(id);
    if (state.selectedId === id) {
      closeTransfer();
      state.selectedId = null;
      state.selectedClosed = false;
      state.closedSnapshot = null;
      ui.reply.value = '';
      ui.replyError.hidden = true;
      ui.exclusiveError.hidden = true;
      const next = selectNext && wide() ? sortedConversations()[0] : null;
      if (next) { select(next.id); return; }
      ui.layout.classList.remove('show-thread');
    }
    renderList();
    renderThread();
  }

  // ------------------------------------------------------------------ transfer
  function closeTransfer() {
    if (ui.transferDialog.hidden) return;
    const hadFocus = ui.transferDialog.contains(document.activeElement);
    ui.transferDialog.hidden = true;
    ui.transferOpen.setAttribute('aria-expanded', 'false');
    if (hadFocus && !ui.transferOpen.hidden) ui.transferOpen.focus();
  }

  function openTransfer() {
    const c = currentConversation();
    if (!c || state.selectedClosed || c.status === 'closed') return;
    if (state.transferFor !== state.selectedId) {
      state.transferFor = state.selectedId;
      ui.transferNote.value = '';
      ui.transferTarget.value = '';
    }
    ui.transferError.hidden = true;
    ui.transferDialog.hidden = false;
    ui.transferOpen.setAttribute('aria-expanded', 'true');
    renderTransferCount();
    fillTransferTargets(!state.overview);
    loadOverview().then(() => { if (!ui.transferDialog.hidden) fillTransferTargets(false); }, (err) => {
      if (ui.transferDialog.hidden || err.status === 401) return;
      fillTransferTargets(false);
      ui.transferError.textContent = L(`无法加载客服和队列：${err.message}`, `Could not load agents and queues: ${err.message}`);
      ui.transferError.hidden = false;
    });
    ui.transferTarget.focus();
  }

  function fillTransferTargets(loading) {
    const select = ui.transferTarget;
    const keep = select.value;
    const c = currentConversation();
    const o = state.overview;
    clear(select);
    select.appendChild(el('option', null, loading ? L('正在加载客服和队列…', 'Loading agents and queues…') : L('选择客服或队列…', 'Choose an agent or a queue…'), { value: '' }));
    if (o) {
      const agents = (Array.isArray(o.agents) ? o.agents : []).filter((a) => !state.me || a.userName !== state.me.userName);
      if (agents.length) {
        const group = el('optgroup', null, null, { label: L('客服', 'Agents') });
        for (const a of agents) {
          if (a.presence === undefined) { // an agent's directory: names only
            group.appendChild(el('option', null, a.displayName || a.userName, { value: `agent:${a.userName}` }));
            continue;
          }
          const load = a.maxConcurrent ? `${a.load}/${a.maxConcurrent}` : String(a.load);
          const full = a.maxConcurrent && a.load >= a.maxConcurrent;
          const taking = a.presence === 'online' || a.presence === 'busy';
          group.appendChild(el('option', null, `${a.displayName || a.userName} — ${presenceLabel(a.presence)} · ${load}${full ? L('（已满）', ' (full)') : ''}`, {
            value: `agent:${a.userName}`, 'data-presence': a.presence,
            title: taking && !full ? L(`${a.displayName} 可以接待`, `${a.displayName} can take it`) : L(`${a.displayName} ${full ? '已满' : presenceLabel(a.presence)}：转接很可能被拒绝`, `${a.displayName} is ${full ? 'full' : presenceLabel(a.presence).toLowerCase()}: the transfer will likely be refused`),
          }));
        }
        select.appendChild(group);
      }
      const queues = queueTargets(o);
      if (queues.length) {
        const group = el('optgroup', null, null, { label: L('技能组队列', 'Skill queues') });
        for (const q of queues) {
          const current = c && c.skill === q.skill ? L('（当前所在队列）', ' (its queue now)') : '';
          const counts = [q.waiting != null ? L(`${q.waiting} 人排队`, `${q.waiting} waiting`) : null, q.agentsAvailable != null ? L(`${q.agentsAvailable} 人可接待`, `${q.agentsAvailable} available`) : null].filter(Boolean).join(' · ');
          group.appendChild(el('option', null, `${q.skill}${current}${counts ? ` — ${counts}` : ''}`, {
            value: `skill:${q.skill}`,
          }));
        }
        select.appendChild(group);
      }
    }
    if (keep && Array.from(select.options).some((opt) => opt.value === keep)) select.value = keep;
    else select.value = '';
  }

  function renderTransferCount() {
    const n = ui.transferNote.value.length;
    ui.transferCount.textContent = n ? `${n} / ${NOTE_LIMIT}` : '';
    ui.transferCount.dataset.over = n > NOTE_LIMIT ? 'true' : 'false';
  }

  async function confirmTransfer() {
    const id = state.selectedId;
    if (!id || state.transferringId || state.selectedClosed) return;
    const target = ui.transferTarget.value;
    const note = ui.transferNote.value.trim();
    const showError = (text) => { ui.transferError.textContent = text; ui.transferError.hidden = false; };
    if (!target || !/^(agent|skill):./.test(target)) { showError(L('请选择客服或队列。', 'Choose an agent or a queue.')); ui.transferTarget.focus(); return; }
    if (note.length > NOTE_LIMIT) { showError(L(`备注有 ${note.length} 个字，上限为 ${NOTE_LIMIT}。`, `The note is ${note.length} characters; the limit is ${NOTE_LIMIT}.`)); return; }
    const body = target.startsWith('agent:') ? { toAgent: target.slice(6) } : { toSkill: target.slice(6) };
    if (note) body.note = note;
    const targetName = target.startsWith('agent:')
      ? ((state.overview && state.overview.agents || []).find((a) => a.userName === body.toAgent) || {}).displayName || body.toAgent
      : L(`${body.toSkill} 队列`, `the ${body.toSkill} queue`);
    ui.transferError.hidden = true;
    state.transferringId = id;
    ui.transferConfirm.disabled = true;
    ui.transferOpen.disabled = true;
    ui.transferConfirm.textContent = L('转接中…', 'Transferring…');
    try {
      await api('POST', `/api/conversations/${encodeURIComponent(id)}/transfer`, body);
      state.transferFor = null;
      ui.transferNote.value = '';
      forgetConversation(id);
      toast(L(`已转接给${targetName}。`, `Transferred to ${targetName}.`));
      loadOverview().catch(() => {});
    } catch (err) {
      if (err.status !== 401 && state.selectedId === id) {
        ui.transferDialog.hidden = false;
        showError(L(`未转接：${err.message}`, `Not transferred: ${err.message}`));
      }
    } finally {
      state.transferringId = null;
      ui.transferConfirm.disabled = false;
      ui.transferOpen.disabled = false;
      ui.transferConfirm.textContent = L('转接', 'Transfer');
    }
  }

  ui.transferOpen.addEventListener('click', () => {
    if (ui.transferDialog.hidden) openTransfer(); else closeTransfer();
  });
  ui.transferCancel.addEventListener('click', closeTransfer);
  ui.transferDialog.addEventListener('submit', (e) => { e.preventDefault(); confirmTransfer(); });
  ui.transferDialog.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); closeTransfer(); }
    else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); confirmTransfer(); }
  });
  ui.transferTarget.addEventListener('change', () => { ui.transferError.hidden = true; });
  ui.transferNote.addEventListener('input', renderTransferCount);
  document.addEventListener('mousedown', (e) => {
    if (ui.transferDialog.hidden || state.transferringId) return;
    if (ui.transferDialog.contains(e.target) || ui.transferOpen.contains(e.target)) return;
    closeTransfer();
  });

  // ------------------------------------------------------------------ supervisor view
  function showView(view) {
    state.view = view === 'queues' ? 'queues' : view === 'agents' && isSupervisor() ? 'agents' : 'inbox';
    const queues = state.view === 'queues';
    const agents = state.view === 'agents';
    ui.tabInbox.setAttribute('aria-selected', state.view === 'inbox' ? 'true' : 'false');
    ui.tabQueues.setAttribute('aria-selected', queues ? 'true' : 'false');
    ui.tabAgents.setAttribute('aria-selected', agents ? 'true' : 'false');
    ui.tabInbox.tabIndex = state.view === 'inbox' ? 0 : -1;
    ui.tabQueues.tabIndex = queues ? 0 : -1;
    ui.tabAgents.tabIndex = agents ? 0 : -1;
    ui.layout.hidden = state.view !== 'inbox';
    ui.queuesView.hidden = !queues;
    ui.agentsView.hidden = !agents;
    if (agents) loadAdminAgents();
    if (queues || agents) closeTransfer();
    if (queues && state.overview) renderOverview();
    clearTimeout(state.overviewTimer);
    state.overviewTimer = null;
    if (state.me) pollOverview();
  }

  ui.tabInbox.addEventListener('click', () => showView('inbox'));
  ui.tabQueues.addEventListener('click', () => showView('queues'));
  ui.tabAgents.addEventListener('click', () => showView('agents'));
  for (const tab of [ui.tabInbox, ui.tabQueues, ui.tabAgents]) {
    tab.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      const tabs = [ui.tabInbox, ui.tabQueues, ui.tabAgents].filter((t) => !t.hidden);
      const i = tabs.indexOf(tab);
      const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    });
  }

  // Every 3 s while the Queues view is visible; every 30 s otherwise (names of agents, the count on the tab).
  function pollOverview() {
    clearTimeout(state.overviewTimer);
    state.overviewTimer = null;
    if (!state.me) return;
    const again = () => {
      clearTimeout(state.overviewTimer);
      if (state.me) state.overviewTimer = setTimeout(pollOverview, state.view === 'queues' ? 3000 : 30000);
    };
    if (document.hidden) { again(); return; }
    // The Queues view's "Customers waiting" card is read on the same beat (one poll, not two timers).
    if (state.view === 'queues' && window.deskLifecycle.overviewPolled) window.deskLifecycle.overviewPolled();
    loadOverview().then(again, again);
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.me && state.view === 'queues') pollOverview();
  });

  // Every queue a conversation can be transferred to: all of them for a supervisor; for an agent, the
  // names from /api/queues with the counts of the ones they serve.
  function queueTargets(o) {
    const queues = Array.isArray(o.queues) ? o.queues : [];
    if (!Array.isArray(o.transferQueues)) return queues;
    return o.transferQueues.map((skill) => queues.find((q) => q.skill === skill) || { skill });
  }

  // Agents are not shown the supervisor overview (403): they get their own queues, in the same shape.
  function fetchOverview() {
    const queuesOnly = () => api('GET', '/api/queues').then((q) => q && {
      at: q.at, queues: Array.isArray(q.queues) ? q.queues : [], transferQueues: q.transferQueues,
      agents: Array.isArray(q.transferAgents) ? q.transferAgents : [], flagged: [], alerts: [], queuesOnly: true,
    });
    if (state.queuesOnly) return queuesOnly();
    return api('GET', '/api/supervisor/overview').catch((err) => {
      if (err.status !== 403) throw err;
      state.queuesOnly = true;
      return queuesOnly();
    });
  }

  function loadOverview() {
    if (state.overviewLoading) return state.overviewLoading;
    const seq = ++state.overviewSeq;
    const p = fetchOverview().then((o) => {
      if (seq !== state.overviewSeq || !state.me || !o) return o;
      state.overview = o;
      state.agentsById = new Map((Array.isArray(o.agents) ? o.agents : []).map((a) => [a.id, a]));
      ui.queuesError.hidden = true;
      renderOverview();
      if (!o.queuesOnly && state.view === 'queues') loadSupervisorCards();
      // Names in the contact details may have become known.
      const c = currentConversation();
      if (c && c.contact && c.contact.exclusiveAgentId) renderDetails(c);
      return o;
    }, (err) => {
      if (seq === state.overviewSeq && state.me && err.status !== 401) {
        ui.queuesError.textContent = L(`刷新失败：${err.message}`, `Could not refresh: ${err.message}`);
        ui.queuesError.hidden = false;
      }
      throw err;
    }).finally(() => { if (state.overviewLoading === p) state.overviewLoading = null; });
    state.overviewLoading = p;
    return p;
  }

  // Supervisors: the promised callbacks (open ones and those of the last 7 days, not kept ones marked) and the
  // customers' ratings per agent, refreshed with the overview while the Queues view is shown.
  const PROMISE_STATES = { planned: L('待回复', 'Open'), kept: L('已兑现', 'Kept'), unkept: L('未兑现', 'Not kept'), cancelled: L('已取消', 'Cancelled') };
  function loadSupervisorCards() {
    api('GET', '/api/supervisor/promises').then((list) => renderPromises(Array.isArray(list) ? list : []), () => {});
    api('GET', '/api/supervisor/satisfaction').then((s) => renderSatisfaction(s && Array.isArray(s.agents) ? s.agents : []), () => {});
    api('GET', '/api/replies/overrides').then((o) => renderOverrides(o || {}), () => {});
  }

  // Replies sent despite the forbidden-phrase warning (GET /api/replies/overrides), per agent with their latest phrases.
  function renderOverrides(o) {
    const rows = $('overrides-rows');
    clear(rows);
    const byAgent = Array.isArray(o.byAgent) ? o.byAgent : [];
    const recent = Array.isArray(o.recent) ? o.recent : [];
    $('overrides-empty').hidden = byAgent.length > 0;
    $('overrides-count').textContent = String(Number(o.total) || 0);
    for (const a of byAgent) {
      const tr = el('tr', null, null, { 'data-testid': 'desk-overrides-row', 'data-agent-id': a.agentId });
      tr.appendChild(el('td', null, a.agentName || L('已离职客服', 'A former agent')));
      tr.appendChild(el('td', 'num', String(a.count), { 'data-testid': 'desk-overrides-agent-count' }));
      const phrases = [...new Set(recent.filter((r) => r.agentId === a.agentId).map((r) => r.phrase))].slice(0, 5);
      tr.appendChild(el('td', null, phrases.map((p) => `“${p}”`).join(' '), { 'data-testid': 'desk-overrides-phrases' }));
      rows.appendChild(tr);
    }
  }

  function renderPromises(list) {
    clear(ui.promiseRows);
    ui.promisesEmpty.hidden = list.length > 0;
    ui.promisesCount.textContent = String(list.filter((p) => p.state === 'planned').length);
    const unkept = list.filter((p) => p.state === 'unkept');
    // Not kept first: those customers are still waiting.
    for (const p of [...unkept, ...list.filter((p) => p.state !== 'unkept')]) {
      const tr = el('tr', null, null, { 'data-testid': 'desk-promise-row', 'data-id': p.id, 'data-state': p.state, 'data-conversation-id': p.conversationId || '' });
      tr.appendChild(el('td', null, p.customerName || L('某位客户', 'A customer')));
      tr.appendChild(el('td', null, p.agentName || '—'));
      tr.appendChild(el('td', null, shopTime(p.dueAt), { title: p.dueAt }));
      tr.appendChild(el('td', null, p.note || ''));
      const cell = el('td');
      cell.appendChild(el('span', 'badge chip-state', PROMISE_STATES[p.state] || p.state, { 'data-state': p.state, 'data-testid': 'desk-promise-state', title: p.reason || '' }));
      tr.appendChild(cell);
      ui.promiseRows.appendChild(tr);
    }
  }

  function renderSatisfaction(agents) {
    clear(ui.satisfactionRows);
    ui.satisfactionEmpty.hidden = agents.length > 0;
    ui.satisfactionCount.textContent = String(agents.reduce((n, a) => n + (Number(a.count) || 0), 0));
    for (const a of agents) {
      const tr = el('tr', null, null, { 'data-testid': 'desk-satisfaction-row', 'data-agent': a.userName || a.agentId });
      tr.appendChild(el('td', null, a.displayName || a.userName || L('已离职客服', 'A former agent')));
      tr.appendChild(el('td', 'num', String(a.count), { 'data-testid': 'desk-satisfaction-ratings' }));
      tr.appendChild(el('td', 'num', Number(a.average).toFixed(2), { 'data-testid': 'desk-satisfaction-average' }));
      const d = a.distribution || {};
      tr.appendChild(el('td', null, ['5', '4', '3', '2', '1'].map((n) => d[n] || 0).join(' / '), { 'data-testid': 'desk-satisfaction-distribution' }));
      ui.satisfactionRows.appendChild(tr);
    }
  }

  function renderOverview() {
    const o = state.overview;
    if (!o) return;
    const queues = Array.isArray(o.queues) ? o.queues : [];
    const agents = Array.isArray(o.agents) ? o.agents : [];
    const flagged = Array.isArray(o.flagged) ? o.flagged : [];
    const alerts = Array.isArray(o.alerts) ? o.alerts : [];
    const queuesOnly = !!o.queuesOnly;

    const waiting = queues.reduce((n, q) => n + (Number(q.waiting) || 0), 0);
    const longWait = queues.some((q) => q.oldestWaitSeconds > LONG_WAIT_SECONDS);
    ui.tabQueuesCount.hidden = waiting === 0 && flagged.length === 0 && alerts.length === 0;
    ui.tabQueuesCount.textContent = String(waiting);
    ui.tabQueuesCount.dataset.alert = longWait || flagged.length > 0 || alerts.length > 0 ? 'true' : 'false';
    ui.tabQueues.title = L(`${waiting} 位客户排队中`, `${waiting} customer${waiting === 1 ? '' : 's'} waiting`) + (flagged.length ? L(`；${flagged.length} 个需要主管处理`, `; ${flagged.length} need${flagged.length === 1 ? 's' : ''} a supervisor`) : '')
      + (alerts.length ? L(`；${alerts.length} 位有人能接却仍在等`, `; ${alerts.length} stuck although someone could take them`) : '');
    if (state.view !== 'queues') return;

    ui.queuesTitle.textContent = queuesOnly ? L('我的队列', 'Your queues') : L('各技能组排队客户', 'Waiting customers by skill');
    ui.queuesAgentsHead.hidden = queuesOnly;
    ui.agentsCard.hidden = queuesOnly;
    ui.flaggedCard.hidden = queuesOnly;
    renderAlerts(alerts, o.waitingAlertAfterSeconds);

    const at = new Date(o.at);
    ui.queuesUpdated.textContent = L(`更新于 ${shopDate(isNaN(at) ? new Date() : at, { timeStyle: 'medium', hourCycle: 'h23' })}`, `Updated ${shopDate(isNaN(at) ? new Date() : at, { timeStyle: 'medium', hourCycle: 'h23' })}`);

    clear(ui.queueRows);
    for (const q of queues) {
      const overdue = q.oldestWaitSeconds !== null && q.oldestWaitSeconds !== undefined && q.oldestWaitSeconds > LONG_WAIT_SECONDS;
      const tr = el('tr', null, null, {
        'data-testid': 'desk-queue-row', 'data-skill': q.skill, 'data-waiting': q.waiting,
        'data-overdue': overdue ? 'true' : 'false',
      });
      tr.appendChild(el('td', 'queue-skill', q.skill));
      tr.appendChild(el('td', 'num', q.waiting, { 'data-testid': 'desk-queue-waiting' }));
      tr.appendChild(el('td', 'num wait', formatWait(q.oldestWaitSeconds), {
        'data-testid': 'desk-queue-oldest', title: overdue ? L('已等待超过 5 分钟', 'Waiting longer than 5 minutes') : null,
      }));
      if (!queuesOnly) {
        const none = q.agentsAvailable === 0 && q.waiting > 0;
        tr.appendChild(el('td', 'num' + (none ? ' warn-text' : ''), q.agentsAvailable, {
          'data-testid': 'desk-queue-agents', title: none ? L('没有能接待这些客户的客服在线', 'Nobody who could take these is available') : null,
        }));
      }
      ui.queueRows.appendChild(tr);
    }
    if (!queues.length) {
      const tr = el('tr');
      tr.appendChild(el('td', 'table-empty', queuesOnly ? L('你不负责任何队列。', 'You serve no queue.') : L('尚未配置技能组队列。', 'No skill queues are configured.'), { colspan: queuesOnly ? 3 : 4 }));
      ui.queueRows.appendChild(tr);
    }

    clear(ui.agentRows);
    if (queuesOnly) { clear(ui.flaggedRows); return; } // an agent sees no other agent's details
    for (const a of agents) {
      const me = state.me && a.userName === state.me.userName;
      const tr = el('tr', null, null, { 'data-testid': 'desk-agent-row', 'data-user-name': a.userName, 'data-presence': a.presence });
      const who = el('td');
      const cell = el('div', 'agent-cell');
      const avatar = el('span', 'avatar avatar-sm');
      setAvatar(avatar, a.displayName || a.userName, a.userName);
      cell.appendChild(avatar);
      const names = el('span');
      names.appendChild(el('span', null, (a.displayName || a.userName) + (me ? L('（你）', ' (you)') : '')));
      names.appendChild(el('span', 'sub', a.userName));
      cell.appendChild(names);
      who.appendChild(cell);
      tr.appendChild(who);

      const presence = el('td', null, null, { title: PRESENCE[a.presence] ? PRESENCE[a.presence].hint : null });
      presence.appendChild(el('span', 'pdot', null, { 'data-presence': a.presence, 'aria-hidden': 'true' }));
      presence.appendChild(el('span', null, presenceLabel(a.presence), { 'data-testid': 'desk-agent-presence' }));
      tr.appendChild(presence);

      const loadCell = el('td');
      const max = Number(a.maxConcurrent) || 0;
      const load = Number(a.load) || 0;
      const ratio = max ? Math.min(1, load / max) : 0;
      const bar = el('span', 'loadbar', null, {
        role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': max, 'aria-valuenow': load, 'aria-label': L('接待量', 'Load'),
        'data-level': ratio >= 1 ? 'full' : ratio >= 0.75 ? 'high' : 'ok',
      });
      const fill = el('span');
      fill.style.width = `${Math.round(ratio * 100)}%`;
      bar.appendChild(fill);
      loadCell.appendChild(bar);
      loadCell.appendChild(el('span', 'load-text', max ? `${load} / ${max}` : String(load), { 'data-testid': 'desk-agent-load' }));
      tr.appendChild(loadCell);
      tr.appendChild(el('td', null, Array.isArray(a.skills) && a.skills.length ? a.skills.join(', ') : '—'));
      ui.agentRows.appendChild(tr);
    }

    clear(ui.flaggedRows);
    ui.flaggedCount.textContent = String(flagged.length);
    ui.flaggedEmpty.hidden = flagged.length > 0;
    for (const c of flagged) {
      const mine = !!(state.me && c.assignedAgentId === state.me.id && state.conversations.has(c.id));
      const tr = el('tr', null, null, {
        'data-testid': 'desk-flagged-row', 'data-conversation-id': c.id, 'data-status': c.status,
        'data-clickable': mine ? 'true' : null, title: mine ? L('打开这个会话', 'Open this conversation') : null,
      });
      tr.appendChild(el('td', null, contactName(c)));
      tr.appendChild(el('td', null, c.status));
      tr.appendChild(el('td', null, c.assignedAgentId ? (agentName(c.assignedAgentId) || L('其他客服', 'another agent')) : L('排队中', 'waiting in the queue')));
      tr.appendChild(el('td', null, c.skill));
      tr.appendChild(el('td', 'num', `${Number(c.transferCount) || 0}×`));
      tr.appendChild(el('td', null, ago(c.lastMessageAt || c.createdAt), { title: dateTime(c.lastMessageAt || c.createdAt) }));
      if (mine) {
        tr.tabIndex = 0;
        const open = () => { showView('inbox'); select(c.id); };
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); open(); } });
      }
      ui.flaggedRows.appendChild(tr);
    }
  }

  // Customers waiting too long although someone able to take them is online: on top, impossible to miss.
  function renderAlerts(alerts, afterSeconds) {
    ui.alertsCard.hidden = alerts.length === 0;
    ui.alertsCount.textContent = String(alerts.length);
    if (afterSeconds) ui.alertsSub.textContent = L(`有能接待的客服在线，客户却已等待超过 ${formatWait(afterSeconds)}，本应已被分配：请立即查看。`, `Waiting longer than ${formatWait(afterSeconds)} although an agent who could take them is online. Routing should have placed them: look now.`);
    clear(ui.alertRows);
    for (const a of alerts) {
      const li = el('li', 'alert-row', null, { 'data-testid': 'desk-alert', 'data-conversation-id': a.conversationId, 'data-skill': a.skill });
      li.appendChild(el('span', 'alert-who', a.customerName || L('某位客户', 'A customer')));
      li.appendChild(el('span', null, L(` 在 ${a.skill} 已等待 `, ` waits in ${a.skill} for `)));
      li.appendChild(el('span', 'alert-wait', formatWait(a.waitingSeconds), { 'data-testid': 'desk-alert-wait' }));
      li.appendChild(el('span', 'alert-agents', L(` · ${a.agentsAvailable} 位客服可接待`, ` · ${a.agentsAvailable} agent${a.agentsAvailable === 1 ? '' : 's'} available`)));
      ui.alertRows.appendChild(li);
    }
  }

  // ---------------------------------------------------------------- attention
  // What asks for the agent's attention (a new conversation, a customer's new message, a response-time alert) is told to
  // the page as a 'desk:attention' event; notify.js turns it into a sound and a desktop notification. visible: the
  // conversation is the one in front of the agent, in a tab they are looking at.
  const assignedAt = new Map(); // conversation id -> when its assignment was announced
  function attention(kind, conversationId, message) {
    const c = state.conversations.get(conversationId);
    const text = message ? String(message.text || '').replace(/\s+/g, ' ').trim() : '';
    const files = hasFiles(message) ? `📎 ${message.attachments.map((a) => a.fileName).join(', ')}` : '';
    const preview = text || files;
    window.dispatchEvent(new CustomEvent('desk:attention', {
      detail: {
        kind, conversationId, name: c ? contactName(c) : '', preview: preview.length > 120 ? `${preview.slice(0, 117)}…` : preview,
        visible: conversationId === state.selectedId && !document.hidden,
      },
    }));
  }

  // ------------------------------------------------------------------ live updates
  function setConnection(kind, text) {
    ui.connection.dataset.state = kind;
    ui.connectionText.textContent = text;
  }

  function startHub() {
    if (typeof window.signalR === 'undefined') {
      setConnection('offline', L('实时更新不可用', 'Live updates unavailable'));
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
      // Announced once per assignment, also when a list read (after its first message) brought it in before this push.
      const isNew = !assignedAt.has(id) || Date.now() - assignedAt.get(id) > 60000;
      assignedAt.set(id, Date.now());
      state.conversations.set(id, Object.assign({}, state.conversations.get(id) || {}, withoutMessages(conversation)));
      noteLiveChange(id);
      if (Array.isArray(conversation.messages)) {
        const list = state.messages.get(id) || [];
        for (const m of conversation.messages) mergeMessage(list, m);
        state.messages.set(id, list);
      }
      if (!state.selectedId || state.selectedClosed) {
        select(id);
      } else {
        // Its count at once, as the list would tell it: the customer's messages in it after the agent's read mark (all
        // of them when it waited in the queue or was passed on), not 1 or 0 until the next list read.
        if (id !== state.selectedId) state.unread.set(id, unreadOnArrival(id, conversation.agentReadAt));
        renderList();
        if (id === state.selectedId) renderThread();
      }
      const name = contactName(conversation);
      if (isNew) {
        const msgs = (state.messages.get(id) || []).filter((m) => m.direction === 'in');
        attention('assigned', id, msgs[msgs.length - 1] || null);
      }
      if (id !== state.selectedId || document.hidden) {
        toast(Number(conversation.transferCount) > 0 ? L(`转接给你：${name}`, `Passed on to you: ${name}`) : L(`新会话：${name}`, `New conversation: ${name}`));
      }
    });

    conn.on('messageAdded', (conversationId, message) => onMessage(conversationId, message, true));
    conn.on('messageStatusChanged', (conversationId, message) => onMessage(conversationId, message, false));

    conn.on('conversationSnoozed', (conversationId, until) => markSnoozed(conversationId, true, until));
    conn.on('conversationWoken', (conversationId) => markSnoozed(conversationId, false, null));

    conn.on('conversationClosed', (conversationId) => {
      if (!state.conversations.has(conversationId)) return;
      removeConversation(conversationId);
    });

    // Transferred (by us or a supervisor rule), requeued, or reassigned: no longer this agent's.
    conn.on('conversationRemoved', (conversationId) => {
      if (!conversationId) return;
      if (conversationId === state.transferringId) return; // our own transfer: its answer tidies up
      const known = state.conversations.has(conversationId) || state.selectedId === conversationId;
      if (!known) return;
      forgetConversation(conversationId);
      if (Date.now() > state.quietRemovalsUntil) toast(L('会话已转给其他客服', 'Conversation moved to another agent'));
    });

    conn.on('responseOverdue', (conversationId) => {
      const c = state.conversations.get(conversationId);
      if (!c) return;
      state.overdue.add(conversationId);
      renderList();
      if (conversationId === state.selectedId) renderThread();
      toast(L(`${contactName(c)} 已经等了一段时间，请尽快回复。`, `${contactName(c)} has been waiting for an answer for a while.`), 'warn');
      attention('overdue', conversationId, null);
    });

    conn.on('promiseDue', (p) => {
      if (!p) return;
      const c = state.conversations.get(p.conversationId);
      const who = c ? contactName(c) : '';
      toast(L(`承诺回复即将到期 ${shopTime(p.dueAt)}${who ? ` · ${who}` : ''}：${p.note || ''}`, `Promise due ${shopTime(p.dueAt)}${who ? ` · ${who}` : ''}: ${p.note || ''}`), 'warn');
      if (p.conversationId === state.selectedId) reloadFollowUps();
    });

    conn.on('promiseUnkept', (p) => {
      if (!p) return;
      const by = p.agentName ? `${p.agentName} ` : '';
      toast(L(`承诺未兑现：${by}${shopTime(p.dueAt)} · ${p.note || ''}`, `Promise not kept: ${by}${shopTime(p.dueAt)} · ${p.note || ''}`), 'error');
      // The thread has a note saying why the conversation is flagged.
      if (p.conversationId === state.selectedId) { reloadFollowUps(); loadDetail(p.conversationId).catch(() => {}); }
      if (isSupervisor() && state.view === 'queues') loadOverview();
    });

    onLiveActivity(conn);

        conn.onreconnecting(() => setConnection('reconnecting', L('重新连接中…', 'Reconnecting…')));
    conn.onreconnected(() => {
      setConnection('live', L('已连接', 'Live'));
      refresh();
    });
    conn.onclose(() => {
      if (state.connection !== conn) return;
      setConnection('offline', L('连接断开，正在重试…', 'Disconnected, retrying…'));
      keepTrying(conn, 2000);
    });

    keepTrying(conn, 0);
  }

  async function keepTrying(conn, firstDelay) {
    let delay = firstDelay;
    while (state.connection === conn) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (state.connection !== conn) return;
      setConnection(delay ? 'reconnecting' : 'connecting', delay ? L('重新连接中…', 'Reconnecting…') : L('连接中…', 'Connecting…'));
      try {
        await conn.start();
        if (state.connection !== conn) { conn.stop().catch(() => {}); return; }
        setConnection('live', L('已连接', 'Live'));
        refresh();
        return;
      } catch (err) {
        if (state.connection !== conn) return;
        if (err && err.statusCode === 401) {
          signedOut(L('登录已过期，请重新登录。', 'Your session has ended. Please sign in again.'));
          return;
        }
        setConnection('offline', L('连接断开，正在重试…', 'Disconnected, retrying…'));
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
    const fresh = added && !(list && list.some((m) => m.id === message.id));
    if (list) mergeMessage(list, message);
    else if (added) state.messages.set(conversationId, [message]);
    const switched = added && message.direction === 'in' && message.channelInstanceId && message.channelInstanceId !== (c && c.channelInstanceId);
    if (switched) state.via.delete(conversationId); // the default follows the customer to where they wrote
    // The customer wrote: a snoozed conversation is back (the gateway ended the snooze with this message).
    if (added && message.direction === 'in' && c && c.snoozed) { c.snoozed = false; c.snoozedUntil = null; }
    if (added) {
      touch(conversationId, message);
      if (message.direction === 'in' && (conversationId !== state.selectedId || document.hidden)) state.unread.add(conversationId);
      if (message.direction === 'in') {
        showCustomerTyping(conversationId, false);
        markRead(conversationId);
      }
      if (message.direction === 'out') state.overdue.delete(conversationId);
    }
    renderList();
    if (conversationId === state.selectedId) {
      if ((!list && added) || switched) loadDetail(conversationId);
      renderThread(added && message.direction === 'out');
    }
    if (fresh && message.direction === 'in') attention('message', conversationId, message);
  }

  function refresh() {
    if (!state.me) return;
    // A presence change made while this read was on its way wins over what the read saw.
    const changes = state.presenceChanges || 0;
    api('GET', '/api/agents/me').then((me) => {
      if (state.me && me && !state.presencePending && changes === (state.presenceChanges || 0)) { state.me = me; renderMe(); }
    }).catch(() => {});
    loadConversations();
  }

  // Relative times in the list stay fresh.
  setInterval(() => { if (state.me) renderList(); }, 60000);

  // ------------------------------------------------------------------ boot
  // ------------------------------------------------------------------ roles, password, agent management
  function isSupervisor() { return !!(state.me && state.me.role === 'supervisor'); }

  // Supervisor-only controls are not shown to agents at all (the API refuses them anyway).
  function applyRole() {
    const supervisor = isSupervisor();
    document.body.dataset.role = supervisor ? 'supervisor' : 'agent';
    for (const node of document.querySelectorAll('[data-supervisor-only]')) node.hidden = !supervisor;
  }

  function closePassword() {
    ui.passwordDialog.hidden = true;
    ui.passwordOpen.setAttribute('aria-expanded', 'false');
    ui.passwordCurrent.value = '';
    ui.passwordNew.value = '';
  }
  ui.passwordOpen.addEventListener('click', () => {
    if (!ui.passwordDialog.hidden) { closePassword(); return; }
    ui.passwordError.hidden = true;
    ui.passwordDialog.hidden = false;
    ui.passwordOpen.setAttribute('aria-expanded', 'true');
    ui.passwordCurrent.focus();
  });
  ui.passwordCancel.addEventListener('click', closePassword);
  ui.passwordDialog.addEventListener('keydown', (e) => { if (e.key === 'Escape') { closePassword(); ui.passwordOpen.focus(); } });
  ui.passwordDialog.addEventListener('submit', async (e) => {
    e.preventDefault();
    ui.passwordError.hidden = true;
    try {
      const r = await api('POST', '/api/agents/me/password', { currentPassword: ui.passwordCurrent.value, newPassword: ui.passwordNew.value });
      closePassword();
      const ended = r && r.endedSessions ? r.endedSessions : 0;
      toast(ended ? L(`密码已修改。其他 ${ended} 个工作台已退出登录。`, `Password changed. ${ended} other desk${ended === 1 ? ' was' : 's were'} signed out.`) : L('密码已修改。', 'Password changed.'));
    } catch (err) {
      if (err.status === 401) return;
      ui.passwordError.textContent = err.message;
      ui.passwordError.hidden = false;
    }
  });

  async function loadAdminAgents() {
    if (!isSupervisor()) return;
    ui.agentsError.hidden = true;
    try {
      renderAdminAgents(await api('GET', '/api/admin/agents'));
    } catch (err) {
      if (err.status === 401) return;
      ui.agentsError.textContent = L(`无法加载客服列表：${err.message}`, `Could not load the agents: ${err.message}`);
      ui.agentsError.hidden = false;
    }
  }

  function renderAdminAgents(agents) {
    clear(ui.adminAgentRows);
    for (const a of agents || []) {
      const tr = el('tr', null, null, { 'data-testid': 'desk-admin-agent', 'data-user': a.userName, 'data-enabled': a.enabled ? 'true' : 'false' });
      const who = el('td');
      who.appendChild(el('div', 'me-name', a.displayName));
      who.appendChild(el('div', 'me-skills', a.userName + (a.fromConfiguration ? L(' · 来自配置文件', ' · from configuration') : '')));
      tr.appendChild(who);
      tr.appendChild(el('td', null, a.role === 'supervisor' ? L('主管', 'Supervisor') : L('客服', 'Agent')));
      tr.appendChild(el('td', null, (a.skills || []).join(', ') || '—'));
      tr.appendChild(el('td', 'num', a.maxConcurrent));
      tr.appendChild(el('td', null, a.enabled ? presenceLabel(a.presence || 'offline') : L('已停用', 'Disabled')));
      const actions = el('td');
      const box = el('div', 'admin-actions');
      const self = state.me && a.id === state.me.id;
      const skills = el('button', 'btn btn-secondary btn-xs', L('技能组…', 'Skills…'), { type: 'button', 'data-testid': 'desk-admin-skills' });
      skills.addEventListener('click', () => {
        const value = window.prompt(L(`${a.displayName} 的技能组，用逗号分隔`, `Skills of ${a.displayName}, comma separated`), (a.skills || []).join(', '));
        if (value === null) return;
        updateAgent(a, { skills: value.split(',').map((x) => x.trim()).filter(Boolean) });
      });
      box.appendChild(skills);
      if (!self) {
        const role = el('button', 'btn btn-secondary btn-xs', a.role === 'supervisor' ? L('设为客服', 'Make agent') : L('设为主管', 'Make supervisor'), { type: 'button', 'data-testid': 'desk-admin-role' });
        role.addEventListener('click', () => updateAgent(a, { role: a.role === 'supervisor' ? 'agent' : 'supervisor' }));
        box.appendChild(role);
        const enable = el('button', 'btn btn-secondary btn-xs', a.enabled ? L('停用', 'Disable') : L('启用', 'Enable'), { type: 'button', 'data-testid': 'desk-admin-enable' });
        enable.addEventListener('click', () => updateAgent(a, { enabled: !a.enabled }));
        box.appendChild(enable);
      }
      const reset = el('button', 'btn btn-ghost btn-xs', L('重置密码…', 'Reset password…'), { type: 'button', 'data-testid': 'desk-admin-reset' });
      reset.addEventListener('click', async () => {
        const value = window.prompt(L(`${a.displayName} 的新密码（其所有设备都会退出登录）`, `New password for ${a.displayName} (they are signed out everywhere)`));
        if (!value) return;
        try {
          await api('POST', `/api/admin/agents/${encodeURIComponent(a.id)}/password`, { newPassword: value });
          toast(L(`${a.displayName} 的密码已重置。`, `${a.displayName}'s password was reset.`));
        } catch (err) { if (err.status !== 401) toast(L(`重置密码失败：${err.message}`, `Could not reset the password: ${err.message}`), 'error'); }
      });
      box.appendChild(reset);
      actions.appendChild(box);
      tr.appendChild(actions);
      ui.adminAgentRows.appendChild(tr);
    }
  }

  async function updateAgent(a, change) {
    try {
      await api('PUT', `/api/admin/agents/${encodeURIComponent(a.id)}`, change);
      await loadAdminAgents();
    } catch (err) { if (err.status !== 401) toast(L(`无法修改 ${a.displayName}：${err.message}`, `Could not change ${a.displayName}: ${err.message}`), 'error'); }
  }

  ui.agentCreate.addEventListener('submit', async (e) => {
    e.preventDefault();
    ui.agentCreateError.hidden = true;
    const body = {
      userName: ui.agentCreateUser.value.trim(),
      displayName: ui.agentCreateName.value.trim() || null,
      password: ui.agentCreatePassword.value,
      role: ui.agentCreateRole.value,
      skills: ui.agentCreateSkills.value.split(',').map((x) => x.trim()).filter(Boolean),
    };
    try {
      const created = await api('POST', '/api/admin/agents', body);
      ui.agentCreate.reset();
      toast(L(`${created.displayName} 现在可以登录了。`, `${created.displayName} can sign in now.`));
      await loadAdminAgents();
    } catch (err) {
      if (err.status === 401) return;
      ui.agentCreateError.textContent = err.message;
      ui.agentCreateError.hidden = false;
    }
  });

  (async function boot() {
    await window.deskSettings; // the shop's time zone, for every time shown
    labelShopZone();
    try {
      const me = await api('GET', '/api/agents/me');
      if (me) { startApp(me); return; }
      showLogin(null);
    } catch (err) {
      showLogin(err.status === 0 ? null : (err.status === 401 ? null : err.message));
    }
  })();
})();
