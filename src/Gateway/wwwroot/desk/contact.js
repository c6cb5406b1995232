// The contact panel beside the chat: what the web visitor is looking at, labels, groups (分组), notes (备注) and past
// conversations. desk.js calls window.deskContact.show(contactId, me) when a conversation's details arrive. Every text
// from customers, agents or the server goes in as text, never as HTML.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const COLORS = ['gray', 'red', 'orange', 'yellow', 'green', 'blue', 'purple'];
  const COLOR_NAMES = {
    gray: L('灰', 'Gray'), red: L('红', 'Red'), orange: L('橙', 'Orange'), yellow: L('黄', 'Yellow'),
    green: L('绿', 'Green'), blue: L('蓝', 'Blue'), purple: L('紫', 'Purple'),
  };
  const STATUS = {
    waiting: L('排队中', 'Waiting'), assigned: L('进行中', 'Open'), closed: L('已结束', 'Closed'), pending: L('待客户回复', 'Pending'),
  };
  const state = { contactId: null, me: null, seq: 0, groups: [], mine: [], labels: [], busy: false, renaming: null };

  function el(tag, cls, text, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, v);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  // On the shop's clock, like every other time on the desk.
  function when(iso) { return iso ? shopDate(iso, { dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }) : ''; }
  const HISTORY_PAGE = 10;
  function isSupervisor() { return !!(state.me && state.me.role === 'supervisor'); }

  async function api(method, url, body) {
    const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch {
      throw new Error(L('无法连接服务器，请检查网络后重试。', 'Cannot reach the server. Check your connection and try again.'));
    }
    const text = await res.text().catch(() => '');
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (!res.ok) {
      const err = new Error(data && typeof data.error === 'string' && data.error ? data.error : L(`服务器返回 ${res.status}。`, `The server answered ${res.status}.`));
      err.status = res.status;
      throw err;
    }
    return data;
  }
  const base = () => `/api/contacts/${encodeURIComponent(state.contactId)}`;

  function showError(node, err) {
    node.hidden = !err;
    node.textContent = err ? (err.message || String(err)) : '';
  }

  // ---------------------------------------------------------------- showing a contact
  async function show(contactId, me) {
    state.me = me || state.me;
    const changed = contactId !== state.contactId;
    state.contactId = contactId || null;
    const seq = ++state.seq;
    const panel = $('contact-panel');
    panel.hidden = !contactId;
    if (changed) {
      for (const id of ['contact-looking', 'contact-labels', 'contact-groups', 'contact-notes', 'contact-history', 'thread-labels']) clear($(id));
      $('contact-looking').hidden = true;
      for (const id of ['contact-label-error', 'contact-group-error', 'contact-note-error']) showError($(id), null);
      $('contact-groups-manage').hidden = !isSupervisor();
    }
    if (!contactId) return;
    const get = (path) => api('GET', path).catch((err) => ({ failed: err }));
    const [labels, groups, mine, notes, history, looking] = await Promise.all([
      get(`${base()}/labels`), get('/api/contact-groups'), get(`${base()}/groups`), get(`${base()}/notes`),
      get(`${base()}/conversations?limit=${HISTORY_PAGE}`), get(`${base()}/looking-at`),
    ]);
    if (seq !== state.seq) return;
    state.labels = Array.isArray(labels) ? labels : [];
    state.groups = Array.isArray(groups) ? groups : [];
    state.mine = Array.isArray(mine) ? mine : [];
    renderLooking(looking && !looking.failed ? looking : null);
    renderLabels();
    renderGroups();
    renderNotes(Array.isArray(notes) ? notes : []);
    renderHistory(Array.isArray(history) ? history : []);
    const failed = [labels, groups, mine, notes, history].find((x) => x && x.failed);
    if (failed && failed.failed.status !== 401) showError($('contact-label-error'), failed.failed);
  }

  // ---------------------------------------------------------------- looking at
  function renderLooking(at) {
    const box = $('contact-looking');
    clear(box);
    const rows = [];
    if (at && at.page) rows.push([L('正在看', 'Looking at'), at.page, 'desk-looking-page']);
    if (at && at.product) rows.push([L('商品', 'Product'), at.product, 'desk-looking-product']);
    if (at && at.cart) rows.push([L('购物车', 'Cart'), at.cart, 'desk-looking-cart']);
    box.hidden = rows.length === 0;
    for (const [label, o, testId] of rows) {
      const line = el('div', 'looking-line', null, { 'data-testid': testId });
      line.appendChild(el('span', 'looking-label', `${label}: `));
      const text = o.title || o.reference || o.url || '';
      // Only http(s) links reach here (the gateway keeps no other); opened apart from the desk, without a referrer.
      if (o.url && /^https?:\/\//i.test(o.url)) {
        line.appendChild(el('a', 'looking-link', text, { href: o.url, target: '_blank', rel: 'noopener noreferrer', title: o.url }));
      } else {
        line.appendChild(el('span', null, text));
      }
      if (o.kind === 'product' && o.reference) line.appendChild(el('span', 'looking-ref', ` #${o.reference}`));
      box.appendChild(line);
    }
  }

  // ---------------------------------------------------------------- labels
  function renderLabels() {
    const box = $('contact-labels');
    clear(box);
    for (const l of state.labels) {
      const chip = el('span', 'badge badge-label', null, { 'data-testid': 'desk-label', 'data-label': l.label });
      chip.appendChild(el('span', null, l.label));
      const remove = el('button', 'chip-remove', '×', {
        type: 'button', 'data-testid': 'desk-label-remove', title: L(`移除标签「${l.label}」`, `Remove the label "${l.label}"`),
        'aria-label': L(`移除标签「${l.label}」`, `Remove the label "${l.label}"`),
      });
      remove.addEventListener('click', () => removeLabel(l.label));
      chip.appendChild(remove);
      box.appendChild(chip);
    }
    if (!state.labels.length) box.appendChild(el('span', 'contact-none', L('暂无标签', 'No labels yet')));
    renderHeaderChips();
  }

  async function addLabel(e) {
    e.preventDefault();
    const input = $('contact-label-input');
    const label = input.value.trim();
    if (!label || !state.contactId) return;
    const id = state.contactId;
    try {
      const labels = await api('POST', `${base()}/labels`, { label });
      if (id !== state.contactId) return;
      state.labels = labels;
      input.value = '';
      showError($('contact-label-error'), null);
      renderLabels();
    } catch (err) {
      showError($('contact-label-error'), err);
    }
  }

  async function removeLabel(label) {
    const id = state.contactId;
    try {
      const labels = await api('DELETE', `${base()}/labels/${encodeURIComponent(label)}`);
      if (id !== state.contactId) return;
      state.labels = labels;
      showError($('contact-label-error'), null);
      renderLabels();
    } catch (err) {
      showError($('contact-label-error'), err);
    }
  }

  // ---------------------------------------------------------------- groups
  function groupChip(g, testId) {
    return el('span', 'badge badge-group', g.name, { 'data-color': g.color, 'data-testid': testId, title: g.description || g.name });
  }

  function renderGroups() {
    const list = $('contact-groups');
    clear(list);
    const mine = new Set(state.mine.map((g) => g.id));
    for (const g of state.groups) {
      const li = el('li', 'contact-group');
      const label = el('label');
      const box = el('input', null, null, { type: 'checkbox', 'data-testid': 'desk-group-toggle', 'data-group': g.name });
      box.checked = mine.has(g.id);
      box.addEventListener('change', () => setGroup(g.id, box.checked));
      label.appendChild(box);
      label.appendChild(groupChip(g, 'desk-group-option'));
      if (g.description) label.title = g.description;
      li.appendChild(label);
      list.appendChild(li);
    }
    if (!state.groups.length) list.appendChild(el('li', 'contact-none', L('商店还没有分组', 'The shop has no groups yet')));
    renderManage();
    renderHeaderChips();
  }

  async function setGroup(groupId, on) {
    if (!state.contactId) return;
    const id = state.contactId;
    const ids = new Set(state.mine.map((g) => g.id));
    if (on) ids.add(groupId); else ids.delete(groupId);
    try {
      const mine = await api('PUT', `${base()}/groups`, { groupIds: Array.from(ids) });
      if (id !== state.contactId) return;
      state.mine = mine;
      showError($('contact-group-error'), null);
    } catch (err) {
      showError($('contact-group-error'), err);
    }
    renderGroups();
  }

  // Supervisors keep the shop's list: create and delete (a deleted group leaves every contact).
  function renderManage() {
    const manage = $('contact-groups-manage');
    manage.hidden = !isSupervisor();
    if (manage.hidden) return;
    const select = $('contact-group-color');
    if (!select.options.length) {
      for (const c of COLORS) select.appendChild(el('option', null, COLOR_NAMES[c], { value: c }));
    }
    const all = $('contact-groups-all');
    clear(all);
    for (const g of state.groups) {
      const li = el('li', 'contact-group-admin', null, { 'data-testid': 'desk-group-admin', 'data-group': g.name });
      if (state.renaming === g.id) {
        li.appendChild(renameForm(g));
        all.appendChild(li);
        continue;
      }
      li.appendChild(groupChip(g, 'desk-group-admin-name'));
      li.appendChild(el('span', 'contact-count', L(`${g.contacts} 位客户`, `${g.contacts} customers`)));
      const rename = el('button', 'btn btn-ghost btn-xs', L('改名', 'Rename'), { type: 'button', 'data-testid': 'desk-group-rename' });
      rename.addEventListener('click', () => {
        state.renaming = g.id;
        showError($('contact-group-error'), null);
        renderManage();
        const input = $('contact-groups-all').querySelector('[data-testid=desk-group-rename-input]');
        if (input) { input.focus(); input.select(); }
      });
      const del = el('button', 'btn btn-ghost btn-xs', L('删除', 'Delete'), { type: 'button', 'data-testid': 'desk-group-delete' });
      del.addEventListener('click', () => deleteGroup(g));
      li.appendChild(rename);
      li.appendChild(del);
      all.appendChild(li);
    }
  }

  // Renamed in place: the server says why a name is refused (empty, too long, another group's), and nothing changes then.
  function renameForm(g) {
    const form = el('form', 'contact-rename', null, { novalidate: '' });
    const input = el('input', null, null, {
      type: 'text', maxlength: '32', 'data-testid': 'desk-group-rename-input', 'aria-label': L(`「${g.name}」的新名称`, `New name for "${g.name}"`),
    });
    input.value = g.name;
    const save = el('button', 'btn btn-primary btn-xs', L('保存', 'Save'), { type: 'submit', 'data-testid': 'desk-group-rename-save' });
    const cancel = el('button', 'btn btn-ghost btn-xs', L('取消', 'Cancel'), { type: 'button', 'data-testid': 'desk-group-rename-cancel' });
    const stop = () => { state.renaming = null; showError($('contact-group-error'), null); renderManage(); };
    cancel.addEventListener('click', stop);
    input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); stop(); } });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (name === g.name) { stop(); return; }
      save.disabled = true;
      try {
        await api('PUT', `/api/contact-groups/${encodeURIComponent(g.id)}`, { name, description: g.description, color: g.color });
        state.renaming = null;
        showError($('contact-group-error'), null);
        await reloadGroups();
      } catch (err) {
        save.disabled = false;
        showError($('contact-group-error'), err);
        input.focus();
      }
    });
    form.append(input, save, cancel);
    return form;
  }

  async function createGroup(e) {
    e.preventDefault();
    const name = $('contact-group-name').value.trim();
    if (!name) return;
    try {
      await api('POST', '/api/contact-groups', { name, color: $('contact-group-color').value });
      $('contact-group-name').value = '';
      showError($('contact-group-error'), null);
      await reloadGroups();
    } catch (err) {
      showError($('contact-group-error'), err);
    }
  }

  async function deleteGroup(g) {
    if (!window.confirm(L(`删除分组「${g.name}」？其中的 ${g.contacts} 位客户将移出该分组。`, `Delete the group "${g.name}"? Its ${g.contacts} customers leave it.`))) return;
    try {
      await api('DELETE', `/api/contact-groups/${encodeURIComponent(g.id)}`);
      showError($('contact-group-error'), null);
      await reloadGroups();
    } catch (err) {
      showError($('contact-group-error'), err);
    }
  }

  async function reloadGroups() {
    const id = state.contactId;
    const [groups, mine] = await Promise.all([api('GET', '/api/contact-groups'), id ? api('GET', `${base()}/groups`) : []]);
    if (id !== state.contactId) return;
    state.groups = groups;
    state.mine = mine;
    renderGroups();
  }

  // The thread's header shows the customer's groups and labels beside the conversation's badges.
  function renderHeaderChips() {
    const box = $('thread-labels');
    if (!box) return;
    clear(box);
    for (const g of state.mine) box.appendChild(groupChip(g, 'desk-thread-group'));
    for (const l of state.labels) box.appendChild(el('span', 'badge badge-label', l.label, { 'data-testid': 'desk-thread-label' }));
  }

  // ---------------------------------------------------------------- notes
  function renderNotes(notes) {
    const list = $('contact-notes');
    clear(list);
    for (const n of notes) {
      const li = el('li', 'contact-note', null, { 'data-testid': 'desk-contact-note' });
      li.appendChild(el('div', 'contact-note-text', n.text, { 'data-testid': 'desk-contact-note-text' }));
      const meta = el('div', 'contact-note-meta');
      meta.appendChild(el('span', null, `${n.agentName} · ${when(n.createdAt)}`, { 'data-testid': 'desk-contact-note-meta' }));
      if (isSupervisor() || (state.me && state.me.id === n.agentId)) {
        const del = el('button', 'btn btn-ghost btn-xs', L('删除', 'Delete'), { type: 'button', 'data-testid': 'desk-note-delete' });
        del.addEventListener('click', () => deleteNote(n));
        meta.appendChild(del);
      }
      li.appendChild(meta);
      list.appendChild(li);
    }
    if (!notes.length) list.appendChild(el('li', 'contact-none', L('暂无备注', 'No notes yet')));
  }

  async function reloadNotes() {
    const id = state.contactId;
    const notes = await api('GET', `${base()}/notes`);
    if (id === state.contactId) renderNotes(notes);
  }

  async function addNote(e) {
    e.preventDefault();
    const input = $('contact-note-input');
    const text = input.value.trim();
    if (!text || !state.contactId) return;
    try {
      await api('POST', `${base()}/notes`, { text });
      input.value = '';
      showError($('contact-note-error'), null);
      await reloadNotes();
    } catch (err) {
      showError($('contact-note-error'), err);
    }
  }

  async function deleteNote(n) {
    if (!window.confirm(L('删除这条备注？', 'Delete this note?'))) return;
    try {
      await api('DELETE', `${base()}/notes/${encodeURIComponent(n.id)}`);
      showError($('contact-note-error'), null);
      await reloadNotes();
    } catch (err) {
      showError($('contact-note-error'), err);
    }
  }

  // ---------------------------------------------------------------- past conversations
  // The newest ten; "Show more" pages back through older ones (before the oldest shown).
  function renderHistory(list) {
    const ul = $('contact-history');
    clear(ul);
    appendHistory(list);
    if (!list.length) ul.appendChild(el('li', 'contact-none', L('没有历史会话', 'No past conversations')));
  }

  function appendHistory(list) {
    const ul = $('contact-history');
    const old = ul.querySelector('[data-testid=desk-contact-history-more]');
    if (old) old.closest('li').remove();
    for (const c of list) {
      const li = el('li', 'contact-past', null, { 'data-testid': 'desk-contact-past', 'data-conversation-id': c.id, 'data-status': c.status });
      const head = el('button', 'contact-past-head', null, { type: 'button', 'aria-expanded': 'false', 'data-testid': 'desk-contact-past-open' });
      head.appendChild(el('span', 'badge badge-status', STATUS[c.status] || c.status, { 'data-testid': 'desk-contact-past-status' }));
      if (c.surveyRating) {
        head.appendChild(el('span', 'badge badge-rating', '★'.repeat(c.surveyRating), {
          'data-testid': 'desk-contact-past-rating', title: L(`满意度 ${c.surveyRating}/5`, `Rated ${c.surveyRating} of 5`),
        }));
      }
      head.appendChild(el('span', 'contact-past-when', when(c.createdAt)));
      li.appendChild(head);
      const meta = [c.channelType || c.channelInstanceId, c.skill, c.agentName].filter(Boolean).join(' · ');
      li.appendChild(el('div', 'contact-past-meta', meta));
      if (c.lastMessage) li.appendChild(el('div', 'contact-past-preview', c.lastMessage));
      const body = el('ol', 'contact-past-messages', null, { 'data-testid': 'desk-contact-past-messages', hidden: '' });
      li.appendChild(body);
      head.addEventListener('click', () => togglePast(c, head, body));
      ul.appendChild(li);
    }
    if (list.length < HISTORY_PAGE) return;
    const li = el('li', 'contact-history-more');
    const more = el('button', 'btn btn-ghost btn-xs', L('查看更早的会话', 'Show older conversations'), { type: 'button', 'data-testid': 'desk-contact-history-more' });
    const oldest = list[list.length - 1].createdAt;
    more.addEventListener('click', async () => {
      const id = state.contactId;
      more.disabled = true;
      try {
        const older = await api('GET', `${base()}/conversations?limit=${HISTORY_PAGE}&before=${encodeURIComponent(oldest)}`);
        if (id !== state.contactId) return;
        const rows = Array.isArray(older) ? older : [];
        appendHistory(rows);
        if (!rows.length) ul.appendChild(el('li', 'contact-none', L('没有更早的会话了', 'No older conversations')));
      } catch (err) {
        more.disabled = false;
        if (err.status !== 401) showError($('contact-label-error'), err);
      }
    });
    li.appendChild(more);
    ul.appendChild(li);
  }

  // Read here, in the panel: the thread stays on the conversation being served.
  async function togglePast(c, head, body) {
    const open = body.hidden;
    body.hidden = !open;
    head.setAttribute('aria-expanded', String(open));
    if (!open || body.dataset.loaded) return;
    clear(body);
    try {
      const detail = await api('GET', `/api/conversations/${encodeURIComponent(c.id)}`);
      body.dataset.loaded = '1';
      const messages = (Array.isArray(detail.messages) ? detail.messages : []).slice(-30);
      for (const m of messages) {
        const who = m.direction === 'in' ? L('客户', 'Customer') : m.direction === 'note' ? L('内部备注', 'Note') : (m.agentName || L('客服', 'Agent'));
        const li = el('li', `contact-past-message dir-${m.direction}`);
        li.appendChild(el('span', 'contact-past-who', `${who}: `));
        li.appendChild(el('span', null, m.text || (m.attachments && m.attachments.length ? L('[文件]', '[file]') : '')));
        body.appendChild(li);
      }
      if (!messages.length) body.appendChild(el('li', 'contact-none', L('没有消息', 'No messages')));
    } catch (err) {
      body.appendChild(el('li', 'contact-none', err.status === 404
        ? L('这个会话不在你名下，请主管查看。', 'This conversation is not one of yours: a supervisor can read it.')
        : err.message));
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('contact-label-form').addEventListener('submit', addLabel);
    $('contact-note-form').addEventListener('submit', addNote);
    $('contact-group-form').addEventListener('submit', createGroup);
  });

  window.deskContact = { show, current: () => state.contactId };
})();
