// The desk's search, the Closed list with Reopen, and Take in the Queues view. Plain JS; every text from customers,
// agents or the server goes in as text. Reaches the desk through window.deskLifecycle (desk.js).
(function () {
  'use strict';
  const d = window.deskLifecycle;
  if (!d) return;
  const $ = (id) => document.getElementById(id);
  const ui = {
    sidebar: $('sidebar'), search: $('search-input'), listOpen: $('list-open'), listClosed: $('list-closed'),
    closedPane: $('closed-pane'), closedList: $('closed-list'), closedEmpty: $('closed-empty'), closedMore: $('closed-more'),
    closedEveryone: $('closed-everyone'),
    searchPane: $('search-pane'), searchStatus: $('search-status'), searchContactsHead: $('search-contacts-head'),
    searchContacts: $('search-contacts'), searchConversationsHead: $('search-conversations-head'), searchConversations: $('search-conversations'),
    reopen: $('reopen-conv'), closedNote: $('closed-note'),
    queuesView: $('queues-view'), tabQueues: $('tab-queues'), waitingRows: $('waiting-rows'), waitingCount: $('waiting-count'),
    waitingEmpty: $('waiting-empty'),
  };
  const closedNoteText = ui.closedNote.textContent;
  const STATUS = {
    assigned: () => L('进行中', 'Open'), waiting: () => L('排队中', 'Waiting'), pending: () => L('待客户回复', 'Pending'), closed: () => L('已结束', 'Closed'),
  };
  const statusLabel = (s) => (STATUS[s] ? STATUS[s]() : s || '');
  const MATCHED = {
    name: () => L('姓名', 'name'), phone: () => L('电话', 'phone'), email: () => L('邮箱', 'email'), channel: () => L('渠道账号', 'channel id'), order: () => L('订单', 'order'),
  };
  let list = 'open';      // open | closed | search (what the sidebar shows)
  let searchSeq = 0;
  let searchTimer = null;
  let closedSeq = 0;
  let closedNext = null;
  let busy = false;

  function showList(which) {
    list = which;
    ui.sidebar.dataset.list = which;
    ui.listOpen.setAttribute('aria-pressed', which === 'open' ? 'true' : 'false');
    ui.listClosed.setAttribute('aria-pressed', which === 'closed' ? 'true' : 'false');
    ui.closedPane.hidden = which !== 'closed';
    ui.searchPane.hidden = which !== 'search';
  }

  // ---------------------------------------------------------------- search
  function runSearch() {
    clearTimeout(searchTimer);
    const q = ui.search.value.trim();
    if (q.length < 2) {
      searchSeq += 1;
      if (list === 'search') showList('open');
      return;
    }
    const seq = ++searchSeq;
    showList('search');
    ui.searchStatus.textContent = L('搜索中…', 'Searching…');
    d.api('GET', `/api/search?q=${encodeURIComponent(q)}`).then((r) => {
      if (seq === searchSeq) renderResults(r);
    }).catch((err) => {
      if (seq === searchSeq) ui.searchStatus.textContent = L(`搜索失败：${err.message}`, `Search failed: ${err.message}`);
    });
  }

  function renderResults(r) {
    const contacts = Array.isArray(r && r.contacts) ? r.contacts : [];
    const conversations = Array.isArray(r && r.conversations) ? r.conversations : [];
    d.clear(ui.searchContacts);
    d.clear(ui.searchConversations);
    ui.searchStatus.textContent = contacts.length || conversations.length ? '' : L('没有找到', 'Nothing found');
    ui.searchContactsHead.hidden = !contacts.length;
    ui.searchConversationsHead.hidden = !conversations.length;
    for (const hit of contacts) {
      const b = d.el('button', 'conv', null, { type: 'button', 'data-testid': 'desk-search-contact', 'data-contact-id': hit.contact && hit.contact.id });
      const main = d.el('span', 'conv-main');
      const top = d.el('span', 'conv-top');
      top.appendChild(d.el('span', 'conv-name', d.contactName(hit)));
      main.appendChild(top);
      const k = hit.contact || {};
      const sub = [k.phone || k.declaredPhone, k.email || k.declaredEmail, hit.order].filter(Boolean).join(' · ');
      if (sub) main.appendChild(d.el('span', 'conv-sub', sub));
      const badges = d.el('span', 'badges');
      badges.appendChild(d.el('span', 'badge', MATCHED[hit.matchedOn] ? MATCHED[hit.matchedOn]() : hit.matchedOn));
      if (hit.newestConversationStatus) badges.appendChild(d.el('span', 'badge badge-status', statusLabel(hit.newestConversationStatus)));
      main.appendChild(badges);
      b.appendChild(main);
      if (hit.newestConversationId) b.addEventListener('click', () => open(hit.newestConversationId, null));
      else b.disabled = true;
      const li = d.el('li');
      li.appendChild(b);
      ui.searchContacts.appendChild(li);
    }
    for (const c of conversations) {
      const b = d.el('button', 'conv', null, {
        type: 'button', 'data-testid': 'desk-search-conversation', 'data-conversation-id': c.id, 'data-status': c.status,
      });
      const main = d.el('span', 'conv-main');
      const top = d.el('span', 'conv-top');
      top.appendChild(d.el('span', 'conv-name', d.contactName(c)));
      top.appendChild(d.el('span', 'conv-time', d.ago(c.lastMessageAt), { title: d.dateTime(c.lastMessageAt) }));
      main.appendChild(top);
      if (c.snippet) main.appendChild(d.el('span', 'conv-snippet', c.snippet, { 'data-testid': 'desk-search-snippet' }));
      const badges = d.el('span', 'badges');
      badges.appendChild(d.channelBadge(c.channelType, c.channelInstanceId));
      badges.appendChild(d.el('span', 'badge badge-status', statusLabel(c.status)));
      if (c.assignedAgentName && c.status === 'assigned') badges.appendChild(d.el('span', 'badge', c.assignedAgentName));
      if (c.matchedOn === 'order') badges.appendChild(d.el('span', 'badge', L('订单', 'order')));
      main.appendChild(badges);
      b.appendChild(main);
      b.addEventListener('click', () => open(c.id, c));
      const li = d.el('li');
      li.appendChild(b);
      ui.searchConversations.appendChild(li);
    }
  }

  async function open(id, hit) {
    try {
      await d.openOther(id);
    } catch (err) {
      if (err.status === 404 && hit && hit.assignedAgentName) {
        d.toast(L(`${hit.assignedAgentName} 正在处理这个会话`, `${hit.assignedAgentName} has this conversation`), 'warn');
      } else if (err.status === 404) {
        d.toast(L('这个会话正由其他客服处理，或在排队中', 'Another agent has this conversation, or it waits in a queue'), 'warn');
      } else if (err.status !== 401) {
        d.toast(L(`无法打开会话：${err.message}`, `Could not open the conversation: ${err.message}`), 'error');
      }
    }
  }

  ui.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 350);
  });
  ui.search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); runSearch(); }
    if (e.key === 'Escape') { ui.search.value = ''; runSearch(); }
  });
  ui.search.addEventListener('search', runSearch); // the field's own clear button

  // ---------------------------------------------------------------- the Closed list
  async function loadClosed(more) {
    const seq = ++closedSeq;
    const scope = ui.closedEveryone.checked ? 'all' : 'mine';
    const before = more && closedNext ? `&before=${encodeURIComponent(closedNext)}` : '';
    let page;
    try {
      page = await d.api('GET', `/api/conversations/closed?scope=${scope}${before}`);
    } catch (err) {
      if (err.status !== 401) d.toast(L(`无法加载已结束的会话：${err.message}`, `Could not load closed conversations: ${err.message}`), 'error');
      return;
    }
    if (seq !== closedSeq) return;
    if (!more) d.clear(ui.closedList);
    const items = Array.isArray(page && page.items) ? page.items : [];
    for (const c of items) ui.closedList.appendChild(closedRow(c));
    closedNext = page && page.nextBefore;
    ui.closedMore.hidden = !closedNext;
    ui.closedEmpty.hidden = ui.closedList.children.length > 0;
  }

  function closedRow(c) {
    const li = d.el('li', 'side-row');
    const b = d.el('button', 'conv', null, { type: 'button', 'data-testid': 'desk-closed-conversation', 'data-conversation-id': c.id });
    const main = d.el('span', 'conv-main');
    const top = d.el('span', 'conv-top');
    top.appendChild(d.el('span', 'conv-name', d.contactName(c)));
    top.appendChild(d.el('span', 'conv-time', d.ago(c.closedAt), { title: d.dateTime(c.closedAt) }));
    main.appendChild(top);
    if (c.closedByAgentName) main.appendChild(d.el('span', 'conv-sub', L(`${c.closedByAgentName} 结束`, `Closed by ${c.closedByAgentName}`)));
    const badges = d.el('span', 'badges');
    badges.appendChild(d.channelBadge(c.channelType, c.channelInstanceId));
    if (c.skill) badges.appendChild(d.el('span', 'badge badge-skill', c.skill));
    main.appendChild(badges);
    b.appendChild(main);
    b.addEventListener('click', () => open(c.id, null));
    const reopenButton = d.el('button', 'btn btn-secondary btn-sm', L('重新打开', 'Reopen'), { type: 'button', 'data-testid': 'desk-closed-reopen' });
    reopenButton.addEventListener('click', () => reopen(c.id));
    li.appendChild(b);
    li.appendChild(reopenButton);
    return li;
  }

  ui.listOpen.addEventListener('click', () => { ui.search.value = ''; searchSeq += 1; showList('open'); });
  ui.listClosed.addEventListener('click', () => { ui.search.value = ''; searchSeq += 1; showList('closed'); loadClosed(false); });
  ui.closedMore.addEventListener('click', () => loadClosed(true));
  ui.closedEveryone.addEventListener('change', () => loadClosed(false));

  // ---------------------------------------------------------------- reopen
  async function reopen(id) {
    if (busy) return;
    busy = true;
    ui.reopen.disabled = true;
    try {
      await d.api('POST', `/api/conversations/${encodeURIComponent(id)}/reopen`);
      d.toast(L('会话已重新打开，现在由您接待', 'Reopened: the conversation is yours'));
      showList('open');
      ui.search.value = '';
      await d.reload();
      d.open(id);
    } catch (err) {
      if (err.status !== 401) d.toast(L(`无法重新打开：${err.message}`, `Could not reopen: ${err.message}`), 'error');
    } finally {
      busy = false;
      ui.reopen.disabled = false;
    }
  }

  ui.reopen.addEventListener('click', () => {
    const s = d.selected();
    if (s) reopen(s.id);
  });

  // The thread shows Reopen on a closed conversation opened from search or the Closed list; one that is not the agent's
  // (a supervisor reading another agent's) says it is read-only.
  d.threadShown = (c, closed) => {
    const s = d.selected();
    const status = c && c.status;
    ui.reopen.hidden = !(s && s.readOnly && status === 'closed');
    ui.closedNote.textContent = closed && status && status !== 'closed'
      ? L('只读：这个会话不在您的列表中。', 'Read only: this conversation is not in your list.')
      : closedNoteText;
  };

  // ---------------------------------------------------------------- take from a queue
  let waitingSeq = 0;
  async function loadWaiting() {
    const seq = ++waitingSeq;
    let rows;
    try {
      rows = await d.api('GET', '/api/queues/waiting');
    } catch {
      return;
    }
    if (seq !== waitingSeq || !Array.isArray(rows)) return;
    d.clear(ui.waitingRows);
    ui.waitingCount.textContent = String(rows.length);
    ui.waitingEmpty.hidden = rows.length > 0;
    for (const w of rows) {
      const tr = d.el('tr', null, null, { 'data-testid': 'desk-waiting-row', 'data-conversation-id': w.id });
      tr.appendChild(d.el('td', null, w.customerName || L('网站访客', 'Website visitor')));
      tr.appendChild(d.el('td', null, w.skill));
      const channel = d.el('td');
      channel.appendChild(d.channelBadge(w.channelType, w.channelInstanceId));
      tr.appendChild(channel);
      tr.appendChild(d.el('td', 'num', d.formatWait(w.waitingSeconds)));
      const action = d.el('td', 'num');
      if (w.canTake) {
        const take = d.el('button', 'btn btn-primary btn-sm', L('接待', 'Take'), { type: 'button', 'data-testid': 'desk-take' });
        take.addEventListener('click', () => takeIt(w.id, take));
        action.appendChild(take);
      }
      tr.appendChild(action);
      ui.waitingRows.appendChild(tr);
    }
  }

  async function takeIt(id, button) {
    button.disabled = true;
    try {
      await d.api('POST', `/api/conversations/${encodeURIComponent(id)}/take`);
      await d.reload();
      d.open(id);
    } catch (err) {
      if (err.status !== 401) d.toast(L(`无法接待：${err.message}`, `Could not take it: ${err.message}`), 'error');
      loadWaiting();
    } finally {
      button.disabled = false;
    }
  }

  // Read with the overview's poll: on opening the Queues view and every 3 s while it is shown.
  d.overviewPolled = loadWaiting;
})();
