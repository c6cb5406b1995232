/*!
 * ChatGateway web chat widget.
 * Embed: <script src="https://gateway.example/channels/webchat/widget.js" data-instance="webchat" async></script>
 * Self-contained: injects its own CSS (every class starts with "cgw-") and defines one global,
 * window.ChatGatewayWidget (and window.ChatGateway.identify for visitors the shop vouches for). Every
 * text from the visitor, agents or the server is inserted as text (textContent / createTextNode), never as HTML.
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------- where we come from
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all.length ? all[all.length - 1] : null;
  })();
  var instanceId = (script && script.getAttribute('data-instance')) || 'webchat';
  var origin;
  try {
    origin = new URL(script && script.src ? script.src : location.href, location.href).origin;
  } catch (e) {
    origin = location.origin;
  }
  if (!origin || origin === 'null') origin = location.origin;
  var base = origin + '/channels/' + encodeURIComponent(instanceId) + '/';
  var wsBase = base.replace(/^http/, 'ws');

  var registry = window.ChatGatewayWidget;
  if (!registry) {
    registry = window.ChatGatewayWidget = {
      version: '1.0.0',
      instances: {},
      /** Opens the chat panel (of the given instance, or the first one). */
      open: function (id) { var w = pick(id); if (w) w.open(); },
      /** Closes the chat panel. */
      close: function (id) { var w = pick(id); if (w) w.close(); },
      /** Opens or closes the chat panel. */
      toggle: function (id) { var w = pick(id); if (w) w.toggle(); }
    };
  }
  function pick(id) {
    if (id) return registry.instances[id];
    for (var k in registry.instances) if (Object.prototype.hasOwnProperty.call(registry.instances, k)) return registry.instances[k];
    return null;
  }
  if (registry.instances[instanceId]) return; // the same instance embedded twice

  // ---------------------------------------------------------------- text
  var T = {
    title: 'Chat with us',
    greeting: 'Hi! How can we help you today?',
    open: 'Open chat',
    close: 'Minimize chat',
    placeholder: 'Type your message\u2026',
    send: 'Send',
    waiting: 'Waiting for an agent\u2026',
    next: 'You\u2019re next',
    inLine: function (position, wait) { return 'You are number ' + position + ' in line \u2014 about ' + wait; },
    allBusy: 'All agents are busy right now; we\u2019ll be with you as soon as we can',
    minutes: function (seconds) {
      var m = Math.max(1, Math.round(seconds / 60));
      if (m < 60) return m + ' min';
      var h = Math.floor(m / 60), r = m % 60;
      return h + ' h' + (r ? ' ' + r + ' min' : '');
    },
    here: ' is here',
    anAgent: 'An agent',
    closed: 'This chat has ended. Send a message to start a new one.',
    connecting: 'Connecting\u2026',
    offline: 'Offline \u2014 reconnecting\u2026',
    sending: 'Sending\u2026',
    notSent: 'Not sent \u2014 ',
    retry: 'Retry',
    rejected: 'Not sent: ',
    sentVia: function (type) {
      var names = { sms: 'SMS', email: 'email', whatsapp: 'WhatsApp', webchat: 'web chat' };
      return 'Sent by ' + (names[type] || String(type));
    },
    you: 'You',
    agent: 'Agent',
    prechatTitle: 'Introduce yourself (optional)',
    prechatHint: 'So our team knows who they are talking to. Signed in to the shop? Your account is used instead.',
    name: 'Your name',
    phone: 'Phone number',
    skip: 'Skip',
    chattingAs: 'Chatting as ',
    addDetails: 'Add your name and phone',
    edit: 'Edit',
    tooLong: function (n, max) { return 'Message is too long: ' + n + ' characters; the limit is ' + max + '.'; },
    tokenFailed: 'Could not start the chat. Please check your connection and try again.',
    choicesLabel: 'Pick one',
    settings: 'Notifications',
    outreachAll: 'All notices',
    outreachNoMarketing: 'No offers',
    outreachNone: 'No notifications',
    outreachHint: 'Replies to your own messages always come.',
    saved: 'Saved',
    notSaved: 'Not saved: ',
    powered: 'Powered by ChatGateway',
    attach: 'Attach a photo or file',
    camera: 'Take a photo',
    remove: function (name) { return 'Remove ' + name; },
    uploading: 'Uploading\u2026',
    dropHere: 'Drop files to attach them',
    fileTooLarge: function (max) { return 'This file is too large: the limit is ' + max + '.'; },
    fileType: 'Files of this kind are not accepted here.',
    uploadFailed: 'Upload failed \u2014 check your connection.',
    tooManyFiles: function (max) { return 'At most ' + max + ' files per message.'; },
    waitUploads: 'Wait for the files to finish uploading.',
    fixUploads: 'Remove the files that could not be uploaded, or retry them.',
    openFull: 'Open full size',
    closeImage: 'Close picture',
    download: 'Download',
    switchTo: '\u4e2d\u6587',
    switchTitle: '\u5207\u6362\u5230\u4e2d\u6587'
  };

  // ---------------------------------------------------------------- language: Chinese (zh) or English (en)
  // The visitor's own choice (the switch in the header), else the page's data-lang, else the instance's Language
  // setting (the gateway writes it on this script's tag), else the browser's languages.
  var LANG_KEY = 'cgw.lang.' + instanceId;
  var ZH = {
    title: '\u5728\u7ebf\u54a8\u8be2',
    greeting: '\u60a8\u597d\uff01\u8bf7\u95ee\u6709\u4ec0\u4e48\u53ef\u4ee5\u5e2e\u60a8\uff1f',
    open: '\u6253\u5f00\u5728\u7ebf\u54a8\u8be2',
    close: '\u6536\u8d77\u5bf9\u8bdd\u6846',
    placeholder: '\u8f93\u5165\u6d88\u606f\u2026',
    send: '\u53d1\u9001',
    waiting: '\u6b63\u5728\u4e3a\u60a8\u63a5\u5165\u5ba2\u670d\u2026',
    next: '\u4e0b\u4e00\u4f4d\u5c31\u662f\u60a8',
    inLine: function (position, wait) { return '\u60a8\u6392\u5728\u7b2c ' + position + ' \u4f4d\uff0c\u9884\u8ba1\u7b49\u5f85\u7ea6 ' + wait; },
    allBusy: '\u5ba2\u670d\u6b63\u5fd9\uff0c\u6211\u4eec\u4f1a\u5c3d\u5feb\u56de\u590d\u60a8',
    minutes: function (seconds) {
      var m = Math.max(1, Math.round(seconds / 60));
      if (m < 60) return m + ' \u5206\u949f';
      var h = Math.floor(m / 60), r = m % 60;
      return h + ' \u5c0f\u65f6' + (r ? ' ' + r + ' \u5206\u949f' : '');
    },
    here: ' \u4e3a\u60a8\u670d\u52a1',
    anAgent: '\u5ba2\u670d',
    closed: '\u672c\u6b21\u4f1a\u8bdd\u5df2\u7ed3\u675f\u3002\u53d1\u9001\u6d88\u606f\u5373\u53ef\u5f00\u59cb\u65b0\u7684\u4f1a\u8bdd\u3002',
    connecting: '\u8fde\u63a5\u4e2d\u2026',
    offline: '\u7f51\u7edc\u5df2\u65ad\u5f00\uff0c\u6b63\u5728\u91cd\u8fde\u2026',
    sending: '\u53d1\u9001\u4e2d\u2026',
    notSent: '\u672a\u53d1\u9001 \u2014 ',
    retry: '\u91cd\u8bd5',
    rejected: '\u672a\u53d1\u9001\uff1a',
    sentVia: function (type) {
      var names = { sms: '\u77ed\u4fe1', email: '\u90ae\u4ef6', whatsapp: 'WhatsApp', webchat: '\u7f51\u9875\u54a8\u8be2' };
      return '\u901a\u8fc7' + (names[type] || String(type)) + '\u53d1\u9001';
    },
    you: '\u6211',
    agent: '\u5ba2\u670d',
    prechatTitle: '\u4ecb\u7ecd\u4e00\u4e0b\u81ea\u5df1\uff08\u9009\u586b\uff09',
    prechatHint: '\u65b9\u4fbf\u5ba2\u670d\u77e5\u9053\u5982\u4f55\u79f0\u547c\u60a8\u3002\u5df2\u767b\u5f55\u5e97\u94fa\uff1f\u5c06\u76f4\u63a5\u4f7f\u7528\u60a8\u7684\u8d26\u53f7\u4fe1\u606f\u3002',
    name: '\u60a8\u7684\u79f0\u547c',
    phone: '\u624b\u673a\u53f7',
    skip: '\u8df3\u8fc7',
    chattingAs: '\u5f53\u524d\u8eab\u4efd\uff1a',
    addDetails: '\u586b\u5199\u79f0\u547c\u548c\u624b\u673a\u53f7',
    edit: '\u4fee\u6539',
    tooLong: function (n, max) { return '\u6d88\u606f\u592a\u957f\uff1a' + n + ' \u4e2a\u5b57\uff0c\u6700\u591a ' + max + ' \u4e2a\u3002'; },
    tokenFailed: '\u65e0\u6cd5\u5f00\u59cb\u5bf9\u8bdd\uff0c\u8bf7\u68c0\u67e5\u7f51\u7edc\u540e\u91cd\u8bd5\u3002',
    choicesLabel: '\u8bf7\u9009\u62e9',
    settings: '\u901a\u77e5\u8bbe\u7f6e',
    outreachAll: '\u63a5\u6536\u6240\u6709\u901a\u77e5',
    outreachNoMarketing: '\u4e0d\u63a5\u6536\u4f18\u60e0\u4fe1\u606f',
    outreachNone: '\u4e0d\u63a5\u6536\u4efb\u4f55\u901a\u77e5',
    outreachHint: '\u5bf9\u60a8\u6d88\u606f\u7684\u56de\u590d\u59cb\u7ec8\u4f1a\u9001\u8fbe\u3002',
    saved: '\u5df2\u4fdd\u5b58',
    notSaved: '\u672a\u4fdd\u5b58\uff1a',
    powered: '\u7531 ChatGateway \u63d0\u4f9b\u652f\u6301',
    attach: '\u53d1\u9001\u56fe\u7247\u6216\u6587\u4ef6',
    camera: '\u62cd\u7167',
    remove: function (name) { return '\u79fb\u9664 ' + name; },
    uploading: '\u4e0a\u4f20\u4e2d\u2026',
    dropHere: '\u62d6\u5230\u8fd9\u91cc\u6dfb\u52a0\u6587\u4ef6',
    fileTooLarge: function (max) { return '\u6587\u4ef6\u592a\u5927\uff0c\u6700\u5927 ' + max + '\u3002'; },
    fileType: '\u4e0d\u652f\u6301\u8fd9\u7c7b\u6587\u4ef6\u3002',
    uploadFailed: '\u4e0a\u4f20\u5931\u8d25\uff0c\u8bf7\u68c0\u67e5\u7f51\u7edc\u3002',
    tooManyFiles: function (max) { return '\u6bcf\u6761\u6d88\u606f\u6700\u591a ' + max + ' \u4e2a\u6587\u4ef6\u3002'; },
    waitUploads: '\u8bf7\u7b49\u6587\u4ef6\u4e0a\u4f20\u5b8c\u6210\u3002',
    fixUploads: '\u8bf7\u79fb\u9664\u4e0a\u4f20\u5931\u8d25\u7684\u6587\u4ef6\uff0c\u6216\u91cd\u8bd5\u3002',
    openFull: '\u67e5\u770b\u5927\u56fe',
    closeImage: '\u5173\u95ed\u56fe\u7247',
    download: '\u4e0b\u8f7d',
    switchTo: 'EN',
    switchTitle: 'Switch to English'
  };
  var EN = {};
  for (var tk in T) if (Object.prototype.hasOwnProperty.call(T, tk)) EN[tk] = T[tk];
  function langOf(tag) {
    var t = String(tag || '').toLowerCase();
    return t.indexOf('zh') === 0 ? 'zh' : t.indexOf('en') === 0 ? 'en' : null;
  }
  var lang = (function () {
    var saved = null;
    try { saved = window.localStorage.getItem(LANG_KEY); } catch (e) { /* storage off */ }
    var chosen = langOf(saved) || langOf(script && script.getAttribute('data-lang')) || langOf(script && script.getAttribute('data-cgw-language'));
    if (chosen) return chosen;
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
    for (var i = 0; i < langs.length; i++) if (langOf(langs[i])) return langOf(langs[i]);
    return 'en';
  })();
  function useLanguage(l) {
    lang = l;
    var d = l === 'zh' ? ZH : EN;
    for (var k in d) if (Object.prototype.hasOwnProperty.call(d, k)) T[k] = d[k];
  }
  useLanguage(lang);

  // ---------------------------------------------------------------- storage (may be unavailable)
  var memory = {};
  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null; }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value);
    } catch (e) {
      if (value === null) delete memory[key]; else memory[key] = value;
    }
  }
  function loadSession(key) { try { return window.sessionStorage.getItem(key); } catch (e) { return null; } }
  function saveSession(key, value) { try { window.sessionStorage.setItem(key, value); } catch (e) { /* ignore */ } }

  var TOKEN_KEY = 'cg.visitor.' + instanceId;
  var PROFILE_KEY = 'cg.profile.' + instanceId;
  var OPEN_KEY = 'cg.open.' + instanceId;

  function readProfile() {
    try {
      var p = JSON.parse(load(PROFILE_KEY) || 'null');
      if (p && typeof p === 'object') return { name: str(p.name), phone: str(p.phone), done: !!p.done };
    } catch (e) { /* ignore */ }
    return { name: '', phone: '', done: false };
  }
  function str(v) { return typeof v === 'string' ? v : ''; }

  // ---------------------------------------------------------------- state
  var state = {
    token: null,
    tokenPromise: null,
    maxLength: 2000,
    title: T.title,
    greeting: T.greeting,
    shopName: '',
    conversationId: null,
    status: null,          // waiting | assigned | closed | null (no conversation yet)
    statusFor: null,       // conversation the status belongs to
    agentName: null,
    queuePosition: null,   // while waiting: 1 = next (from the live status frame)
    estimatedWait: null,   // seconds; null when nobody who could answer is online
    queueKnown: false,     // the frame said where the visitor stands
    items: [],             // messages shown, in order
    open: false,
    unread: 0,
    editingProfile: false,
    profile: readProfile(),
    historySeq: 0,
    maxFileBytes: 10 * 1024 * 1024, // the server's limit, from config (0: this chat takes no files)
    maxFiles: 10,
    tray: [],              // files chosen for the next message: uploading, uploaded, or failed
    connected: false,
    everConnected: false
  };
  // Tokens the gateway issued and signed: a.{id}.{mac} (anonymous) or u.{claims}.{mac} (the shop vouched for them).
  // An older random token is dropped here; the gateway would refuse it anyway.
  var TOKEN_SHAPE = /^[au]\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
  var stored = load(TOKEN_KEY);
  if (stored && TOKEN_SHAPE.test(stored)) state.token = stored; else if (stored) save(TOKEN_KEY, null);
  state.identity = null;   // what the shop's page passed to ChatGateway.identify, signed by the shop's server

  // ---------------------------------------------------------------- helpers
  function uuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b); else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') + '-' + h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  }

  function el(tag, cls, attrs, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function icon(paths, cls) {
    var s = document.createElementNS(SVG, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    if (cls) s.setAttribute('class', cls);
    for (var i = 0; i < paths.length; i++) {
      var p = document.createElementNS(SVG, 'path');
      p.setAttribute('d', paths[i]);
      s.appendChild(p);
    }
    return s;
  }
  var ICON_CHAT = ['M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-4.5 3.6A.9.9 0 0 1 3 20.9V6a2 2 0 0 1 1-2z'];
  var ICON_CLOSE = ['M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z'];
  var ICON_SEND = ['M3.4 20.4 21 12 3.4 3.6 3.4 10.2 15 12 3.4 13.8z'];
  var ICON_DOWN = ['M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z'];
  var ICON_CLIP = ['M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z'];
  var ICON_CAMERA = ['M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z'];
  var ICON_FILE = ['M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5z'];

  /** Pictures a browser shows inline; the server serves these inline too, everything else as a download. */
  var INLINE_IMAGES = { 'image/jpeg': true, 'image/png': true, 'image/gif': true, 'image/webp': true };

  function sizeText(bytes) {
    if (typeof bytes !== 'number' || !isFinite(bytes) || bytes < 0) return '';
    if (bytes >= 1024 * 1024) return (Math.round(bytes / 104857.6) / 10) + ' MB';
    if (bytes >= 1024) return Math.max(1, Math.round(bytes / 1024)) + ' KB';
    return bytes + ' B';
  }

  /** A file link the server gave (relative to this instance: files/{id}?...), made absolute; null for anything else. */
  function fileUrl(url) {
    return typeof url === 'string' && /^files\/[A-Za-z0-9_-]+(\?[^\s]*)?$/.test(url) ? base + url : null;
  }

  /** A file of a message as the server describes it, checked field by field. */
  function cleanFile(f) {
    if (!f || typeof f !== 'object' || typeof f.id !== 'string') return null;
    return {
      id: f.id,
      fileName: typeof f.fileName === 'string' && f.fileName ? f.fileName : 'file',
      contentType: typeof f.contentType === 'string' ? f.contentType : 'application/octet-stream',
      size: typeof f.size === 'number' ? f.size : null,
      url: fileUrl(f.url)
    };
  }
  function cleanFiles(list) {
    return Array.isArray(list) ? list.map(cleanFile).filter(function (f) { return !!f; }).slice(0, 20) : [];
  }

  function timeOf(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    try { return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); } catch (e) { return d.toTimeString().slice(0, 5); }
  }

  function request(method, path, body, timeoutMs) {
    var headers = { 'Accept': 'application/json' };
    if (state.token) headers['X-Visitor-Token'] = state.token;
    var init = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    var timer = null;
    if (typeof AbortController === 'function') {
      var ctl = new AbortController();
      init.signal = ctl.signal;
      timer = setTimeout(function () { ctl.abort(); }, timeoutMs || 20000);
    }
    return fetch(base + path, init).then(function (res) {
      if (timer) clearTimeout(timer);
      return res.text().then(function (t) {
        var data = null;
        if (t) { try { data = JSON.parse(t); } catch (e) { data = null; } }
        return { status: res.status, data: data };
      }, function () { return { status: res.status, data: null }; });
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  function ensureToken() {
    if (state.token) return Promise.resolve(state.token);
    if (state.tokenPromise) return state.tokenPromise;
    var identity = state.identity;
    state.tokenPromise = request('POST', identity ? 'visitors/identify' : 'visitors', identity || undefined).then(function (r) {
      state.tokenPromise = null;
      var t = r.data && r.data.visitorToken;
      if (identity && r.status !== 200 && r.status !== 429 && r.status < 500) {
        // The shop's signature was refused (bad, expired): say why to the shop's developer, chat anonymously.
        if (window.console && console.warn) console.warn('[ChatGateway] identify refused: ' + ((r.data && r.data.error) || ('HTTP ' + r.status)));
        if (state.identity === identity) state.identity = null;
        return ensureToken();
      }
      if (r.status !== 200 || typeof t !== 'string' || !t) throw new Error('no visitor token (HTTP ' + r.status + ')');
      state.token = t;
      save(TOKEN_KEY, t);
      renderPrechat();
      connect();
      return t;
    }, function (err) {
      state.tokenPromise = null;
      throw err;
    });
    return state.tokenPromise;
  }

  function isIdentified() { return !!(state.token && state.token.charAt(0) === 'u'); }

  /** The claims inside an identified token (the gateway checks its signature; this only reads it). */
  function claimsOf(token) {
    try {
      var b = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      while (b.length % 4) b += '=';
      return JSON.parse(decodeURIComponent(Array.prototype.map.call(atob(b), function (ch) {
        return '%' + ('00' + ch.charCodeAt(0).toString(16)).slice(-2);
      }).join('')));
    } catch (e) { return null; }
  }

  /**
   * The shop's page says who the visitor is: { userId, phone, email, name, expires, signature }, signed by
   * the shop's server (see the WebChat README). null signs them out (back to an anonymous chat).
   */
  function identify(identity) {
    if (!identity || typeof identity !== 'object') {
      state.identity = null;
      if (isIdentified()) { dropToken(); resetChat(); }
      return;
    }
    var clean = {};
    ['userId', 'phone', 'email', 'name', 'signature'].forEach(function (k) {
      if (identity[k] !== undefined && identity[k] !== null) clean[k] = String(identity[k]);
    });
    clean.expires = Number(identity.expires);
    state.identity = clean;
    // Already chatting as this user with a token that still has a while to run: nothing to do.
    if (isIdentified()) {
      var c = claimsOf(state.token);
      if (c && c.sub === clean.userId && typeof c.exp === 'number' && c.exp * 1000 > Date.now() + 60000) return;
    }
    if (state.token) { dropToken(); resetChat(); }
    ensureToken().then(function () { loadHistory(); }, function () { /* offline: sending retries */ });
  }

  /** Forgets what the panel shows of the previous visitor's chat. */
  function resetChat() {
    state.items = [];
    state.conversationId = null;
    state.status = null;
    state.statusFor = null;
    state.agentName = null;
    state.historySeq++;
    clearQueue();
    if (typeof renderStatus === 'function') { renderStatus(); render(); renderPrechat(); }
  }

  function dropToken() {
    state.token = null;
    save(TOKEN_KEY, null);
    if (ws) {
      var old = ws;
      ws = null; // its close event is ignored; the new token connects at once
      state.connected = false;
      try { old.close(); } catch (e) { /* ignore */ }
    }
  }

  // ---------------------------------------------------------------- CSS
  var CSS = [
    '.cgw-root{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2430;text-align:left;letter-spacing:normal;-webkit-font-smoothing:antialiased}',
    '.cgw-root *,.cgw-root *::before,.cgw-root *::after{box-sizing:border-box;font-family:inherit;letter-spacing:inherit;text-transform:none}',
    '.cgw-root button{font:inherit;margin:0;cursor:pointer;text-shadow:none;box-shadow:none;min-height:0;min-width:0;width:auto;height:auto;line-height:inherit}',
    '.cgw-root svg{display:block;fill:currentColor}',
    '.cgw-root .cgw-launcher{position:relative;width:58px!important;height:58px!important;border-radius:50%;border:0;padding:0;background:#2f6fed;color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(31,60,140,.35)!important;transition:transform .15s ease,background .15s ease}',
    '.cgw-root .cgw-launcher:hover{background:#245ad0;transform:translateY(-1px)}',
    '.cgw-root .cgw-launcher:focus-visible{outline:3px solid rgba(47,111,237,.45);outline-offset:3px}',
    '.cgw-root .cgw-launcher svg{width:26px;height:26px}',
    '.cgw-root .cgw-badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#e5484d;color:#fff;font-size:11px;font-weight:700;line-height:20px;text-align:center;border:2px solid #fff}',
    '.cgw-root .cgw-panel{position:absolute;right:0;bottom:72px;width:370px;height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(20,30,60,.22),0 2px 6px rgba(20,30,60,.08);display:flex;flex-direction:column;overflow:hidden;border:1px solid rgba(20,30,60,.06);animation:cgw-in .18s ease-out}',
    '.cgw-root .cgw-panel[hidden]{display:none}',
    '@keyframes cgw-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}',
    '.cgw-root .cgw-header{background:linear-gradient(135deg,#2f6fed,#4b5fe0);color:#fff;padding:14px 14px 12px 18px;display:flex;align-items:flex-start;gap:10px;flex:none}',
    '.cgw-root .cgw-head-text{flex:1;min-width:0}',
    '.cgw-root .cgw-title{font-size:16px;font-weight:650;line-height:1.3;margin:0;padding:0;color:#fff;border:0;background:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.cgw-root .cgw-status{color:#fff;font-size:12.5px;opacity:.92;margin-top:3px;display:flex;align-items:center;gap:6px;min-height:18px}',
    '.cgw-root .cgw-status[hidden]{display:none}',
    '.cgw-root .cgw-dot{width:8px;height:8px;border-radius:50%;background:#ffd166;flex:none}',
    '.cgw-root .cgw-status[data-status="assigned"] .cgw-dot{background:#4ade80}',
    '.cgw-root .cgw-status[data-status="closed"] .cgw-dot{background:#cbd5e1}',
    '.cgw-root .cgw-status[data-status="offline"] .cgw-dot{background:#fca5a5}',
    '.cgw-root .cgw-x{border:0;background:rgba(255,255,255,.14);color:#fff;width:30px;height:30px;border-radius:8px;display:flex;align-items:center;justify-content:center;padding:0;flex:none}',
    '.cgw-root .cgw-x:hover{background:rgba(255,255,255,.26)}',
    '.cgw-root .cgw-x svg{width:20px;height:20px}',
    '.cgw-root .cgw-lang{width:auto;min-width:30px;padding:0 8px;margin-right:6px;font-size:12.5px;font-weight:600}',
    '.cgw-root .cgw-body{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#f6f7fb;overscroll-behavior:contain}',
    '.cgw-root .cgw-msg{display:flex;flex-direction:column;margin:0 0 10px;max-width:100%}',
    '.cgw-root .cgw-msg[data-direction="in"]{align-items:flex-end}',
    '.cgw-root .cgw-msg[data-direction="out"]{align-items:flex-start}',
    '.cgw-root .cgw-author{font-size:11.5px;color:#6b7285;margin:0 0 3px 4px;font-weight:600}',
    '.cgw-root .cgw-bubble{max-width:82%;padding:9px 13px;border-radius:16px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere;font-size:14px;line-height:1.45}',
    '.cgw-root .cgw-msg[data-direction="in"] .cgw-bubble{background:#2f6fed;color:#fff;border-bottom-right-radius:5px}',
    '.cgw-root .cgw-msg[data-direction="out"] .cgw-bubble{background:#fff;color:#1f2430;border:1px solid #e6e8f0;border-bottom-left-radius:5px}',
    '.cgw-root .cgw-msg[data-state="sending"] .cgw-bubble{opacity:.7}',
    '.cgw-root .cgw-msg[data-state="failed"] .cgw-bubble,.cgw-root .cgw-msg[data-state="rejected"] .cgw-bubble{background:#fff;color:#1f2430;border:1px solid #f3b4b6}',
    '.cgw-root .cgw-meta{font-size:11px;color:#8a90a2;margin:3px 6px 0;display:flex;align-items:center;gap:6px;flex-wrap:wrap;justify-content:flex-end}',
    '.cgw-root .cgw-msg[data-direction="out"] .cgw-meta{justify-content:flex-start}',
    '.cgw-root .cgw-error{color:#d6383e;font-size:12px;font-weight:500}',
    '.cgw-root .cgw-retry{border:1px solid #d6383e!important;background:#fff;color:#d6383e;border-radius:6px;padding:1px 8px;font-size:12px;font-weight:600}',
    '.cgw-root .cgw-retry:hover{background:#fdecec}',
    '.cgw-root .cgw-greeting .cgw-bubble{background:#fff;border:1px solid #e6e8f0;color:#1f2430;border-bottom-left-radius:5px}',
    '.cgw-root .cgw-prechat{background:#fff;border:1px solid #e6e8f0;border-radius:12px;padding:12px;margin:2px 0 12px}',
    '.cgw-root .cgw-prechat[hidden]{display:none}',
    '.cgw-root .cgw-prechat-head{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-bottom:8px}',
    '.cgw-root .cgw-prechat-title{font-weight:600;font-size:13px;color:#1f2430}',
    '.cgw-root .cgw-link{border:0;background:none;color:#2f6fed;padding:0;font-size:12px;font-weight:600}',
    '.cgw-root .cgw-link:hover{text-decoration:underline}',
    '.cgw-root .cgw-field{display:block;width:100%;margin:0 0 8px;padding:8px 10px;border:1px solid #d9dce6;border-radius:8px;font:inherit;font-size:13.5px;color:#1f2430;background:#fff;outline:none;height:auto;box-shadow:none}',
    '.cgw-root .cgw-field:focus{border-color:#2f6fed;box-shadow:0 0 0 3px rgba(47,111,237,.15)}',
    '.cgw-root .cgw-hint{font-size:11.5px;color:#7a8093;margin:0;line-height:1.4}',
    '.cgw-root .cgw-profile{font-size:12px;color:#6b7285;padding:6px 16px;border-top:1px solid #eef0f5;background:#fff;display:flex;gap:6px;align-items:center;flex:none;white-space:nowrap;overflow:hidden}',
    '.cgw-root .cgw-profile[hidden]{display:none}',
    '.cgw-root .cgw-profile-text{overflow:hidden;text-overflow:ellipsis}',
    '.cgw-root .cgw-composer-error{margin:0;padding:6px 16px 0;background:#fff;flex:none}',
    '.cgw-root .cgw-composer{display:flex;align-items:flex-end;gap:8px;padding:10px 12px 8px;border-top:1px solid #eef0f5;background:#fff;flex:none}',
    '.cgw-root .cgw-input{flex:1;resize:none;border:1px solid #d9dce6;border-radius:12px;padding:9px 12px;font:inherit;font-size:14px;line-height:1.4;color:#1f2430;background:#fff;min-height:40px;max-height:120px;outline:none;margin:0;box-shadow:none;width:auto}',
    '.cgw-root .cgw-input:focus{border-color:#2f6fed;box-shadow:0 0 0 3px rgba(47,111,237,.15)}',
    '.cgw-root .cgw-send{border:0;width:40px!important;height:40px!important;border-radius:50%;background:#2f6fed;color:#fff;display:flex;align-items:center;justify-content:center;padding:0;flex:none;transition:background .15s ease,opacity .15s ease}',
    '.cgw-root .cgw-send:hover{background:#245ad0}',
    '.cgw-root .cgw-send[aria-disabled="true"]{opacity:.45}',
    '.cgw-root .cgw-send svg{width:19px;height:19px;margin-left:2px}',
    '.cgw-root .cgw-foot{display:flex;justify-content:space-between;align-items:center;padding:0 16px 8px;background:#fff;font-size:10.5px;color:#a0a5b5;flex:none}',
    '.cgw-root .cgw-counter[data-over="true"]{color:#d6383e;font-weight:600}',
    '.cgw-root .cgw-greeting{align-items:flex-start}',
    '.cgw-root .cgw-choices{display:flex;gap:6px;flex-wrap:wrap;margin:6px 0 0 2px}',
    '.cgw-root .cgw-choice{border:1px solid #2f6fed!important;background:#fff;color:#2f6fed;border-radius:16px;min-width:36px!important;padding:4px 12px;font-weight:600}',
    '.cgw-root .cgw-choice:hover{background:#eef3fe}',
    '.cgw-root .cgw-settings{background:#fff;border-top:1px solid #eef0f5;padding:8px 16px;font-size:12.5px;flex:none}',
    '.cgw-root .cgw-settings[hidden]{display:none}',
    '.cgw-root .cgw-settings label{display:flex;align-items:center;gap:6px;margin:2px 0;cursor:pointer}',
    '.cgw-root .cgw-settings-note{font-size:11.5px;margin:4px 0 0;color:#7a8093}',
    '.cgw-root .cgw-greeting[hidden]{display:none}',
    '.cgw-root .cgw-clip{border:0;width:36px!important;height:40px!important;border-radius:10px;background:none;color:#6b7285;display:flex;align-items:center;justify-content:center;padding:0;flex:none}',
    '.cgw-root .cgw-clip:hover{background:#eef0f5;color:#2f6fed}',
    '.cgw-root .cgw-clip[hidden]{display:none}',
    '.cgw-root .cgw-clip svg{width:21px;height:21px}',
    '.cgw-root .cgw-file-input{position:absolute!important;width:1px!important;height:1px!important;opacity:0;overflow:hidden;pointer-events:none}',
    '.cgw-root .cgw-tray{display:flex;gap:8px;flex-wrap:wrap;padding:8px 12px 0;background:#fff;border-top:1px solid #eef0f5;flex:none;max-height:150px;overflow-y:auto}',
    '.cgw-root .cgw-tray[hidden]{display:none}',
    '.cgw-root .cgw-chip{position:relative;display:flex;align-items:center;gap:8px;border:1px solid #e1e4ee;border-radius:10px;padding:5px 28px 5px 5px;background:#f8f9fc;max-width:100%;min-width:0}',
    '.cgw-root .cgw-chip[data-state="error"]{border-color:#f3b4b6;background:#fff7f7}',
    '.cgw-root .cgw-chip-thumb{width:44px;height:44px;border-radius:7px;object-fit:cover;flex:none;background:#e8ebf3;display:flex;align-items:center;justify-content:center;color:#6b7285}',
    '.cgw-root .cgw-chip-thumb svg{width:22px;height:22px}',
    '.cgw-root .cgw-chip-text{min-width:0;display:flex;flex-direction:column;font-size:12px;line-height:1.35;max-width:190px}',
    '.cgw-root .cgw-chip-name{font-weight:600;color:#1f2430;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.cgw-root .cgw-chip-size{color:#7a8093}',
    '.cgw-root .cgw-progress{height:3px;background:#e1e4ee;border-radius:2px;margin-top:3px;overflow:hidden}',
    '.cgw-root .cgw-progress span{display:block;height:100%;background:#2f6fed;width:0;transition:width .15s linear}',
    '.cgw-root .cgw-chip-x{position:absolute;top:4px;right:4px;border:0;background:none;color:#6b7285;width:20px;height:20px;border-radius:50%;padding:0;display:flex;align-items:center;justify-content:center}',
    '.cgw-root .cgw-chip-x:hover{background:#e6e8f0;color:#1f2430}',
    '.cgw-root .cgw-chip-x svg{width:14px;height:14px}',
    '.cgw-root .cgw-files{display:flex;flex-direction:column;gap:6px;margin-top:4px;max-width:82%}',
    '.cgw-root .cgw-msg[data-direction="in"] .cgw-files{align-items:flex-end}',
    '.cgw-root .cgw-thumb{display:block;border-radius:12px;overflow:hidden;border:1px solid #e6e8f0;background:#fff;line-height:0;cursor:zoom-in;padding:0}',
    '.cgw-root .cgw-thumb img{display:block;max-width:220px;max-height:220px;min-width:40px;min-height:40px;object-fit:cover}',
    '.cgw-root .cgw-file{display:flex;align-items:center;gap:8px;padding:8px 12px;border:1px solid #e6e8f0;border-radius:12px;background:#fff;color:#1f2430!important;text-decoration:none!important;max-width:100%}',
    '.cgw-root .cgw-file:hover{border-color:#2f6fed}',
    '.cgw-root .cgw-file svg{width:22px;height:22px;color:#2f6fed;flex:none}',
    '.cgw-root .cgw-file-name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0}',
    '.cgw-root .cgw-file-size{color:#7a8093;font-size:12px;flex:none}',
    '.cgw-root .cgw-drop{position:absolute;inset:0;background:rgba(47,111,237,.12);border:2px dashed #2f6fed;border-radius:16px;display:flex;align-items:center;justify-content:center;color:#2f6fed;font-weight:650;font-size:15px;pointer-events:none;z-index:3}',
    '.cgw-root .cgw-drop[hidden]{display:none}',
    '.cgw-root .cgw-lightbox{position:absolute;inset:0;background:rgba(15,20,35,.88);display:flex;flex-direction:column;align-items:center;justify-content:center;gap:10px;z-index:4;padding:44px 14px 14px}',
    '.cgw-root .cgw-lightbox[hidden]{display:none}',
    '.cgw-root .cgw-lightbox img{max-width:100%;max-height:calc(100% - 30px);object-fit:contain;border-radius:6px;background:#fff}',
    '.cgw-root .cgw-lightbox a{color:#fff;font-size:12.5px}',
    '.cgw-root .cgw-lightbox .cgw-x{position:absolute;top:10px;right:10px}',
    '@media (max-width:480px){.cgw-root{right:14px;bottom:14px}.cgw-root .cgw-panel{position:fixed;top:0;left:0;right:0;bottom:0;width:auto;height:auto;max-height:none;border-radius:0;border:0}.cgw-root[data-open="true"] .cgw-launcher{display:none}}',
    '@media (prefers-reduced-motion:reduce){.cgw-root .cgw-panel{animation:none}.cgw-root .cgw-launcher{transition:none}}'
  ].join('\n');

  // The emoji picker's look (see addEmojiPicker).
  var EMOJI_CSS = [
    '.cgw-root .cgw-composer{position:relative}',
    '.cgw-root .cgw-emoji-open{font-size:19px;line-height:1}',
    '.cgw-root .cgw-emoji-picker{position:absolute;left:8px;right:8px;bottom:100%;margin-bottom:4px;max-height:220px;overflow-y:auto;background:#fff;border:1px solid #e3e6ee;border-radius:12px;box-shadow:0 10px 30px rgba(16,24,40,.18);padding:6px;display:grid;grid-template-columns:repeat(8,1fr);gap:2px;z-index:5}',
    '.cgw-root .cgw-emoji-picker[hidden]{display:none}',
    '.cgw-root .cgw-emoji{border:0;background:none;border-radius:6px;font-size:20px;line-height:1;padding:5px 0;cursor:pointer}',
    '.cgw-root .cgw-emoji:hover,.cgw-root .cgw-emoji:focus-visible{background:#eef3ff;outline:none}',
    '.cgw-root .cgw-bubble a{color:inherit;text-decoration:underline;overflow-wrap:anywhere}'
  ].join('\n');

  if (!document.getElementById('cgw-style')) {
    var style = el('style', null, { id: 'cgw-style' });
    style.appendChild(document.createTextNode(CSS));
    style.appendChild(document.createTextNode(EMOJI_CSS));
    (document.head || document.documentElement).appendChild(style);
  }

  // ---------------------------------------------------------------- DOM
  var safeId = instanceId.replace(/[^A-Za-z0-9_-]/g, '_');
  var root = el('div', 'cgw-root', { id: 'cgw-root-' + safeId, 'data-instance': instanceId, 'data-open': 'false' });

  var launcher = el('button', 'cgw-launcher', { type: 'button', 'data-testid': 'cgw-launcher', id: 'cgw-launcher-' + safeId, 'aria-label': T.open, 'aria-expanded': 'false', 'aria-controls': 'cgw-panel-' + safeId });
  var launcherChat = icon(ICON_CHAT);
  var launcherDown = icon(ICON_DOWN);
  launcherDown.style.display = 'none';
  var badge = el('span', 'cgw-badge', { 'data-testid': 'cgw-unread', 'aria-hidden': 'true' });
  badge.hidden = true;
  launcher.appendChild(launcherChat);
  launcher.appendChild(launcherDown);
  launcher.appendChild(badge);

  var panel = el('div', 'cgw-panel', { id: 'cgw-panel-' + safeId, role: 'dialog', 'aria-label': T.title, 'data-testid': 'cgw-panel' });
  panel.hidden = true;

  var header = el('div', 'cgw-header');
  var headText = el('div', 'cgw-head-text');
  var titleEl = el('h2', 'cgw-title', { 'data-testid': 'cgw-title' }, T.title);
  var statusEl = el('div', 'cgw-status', { 'data-testid': 'cgw-status', role: 'status', 'aria-live': 'polite' });
  var statusDot = el('span', 'cgw-dot', { 'aria-hidden': 'true' });
  var statusText = el('span', 'cgw-status-text');
  statusEl.appendChild(statusDot);
  statusEl.appendChild(statusText);
  statusEl.hidden = true;
  headText.appendChild(titleEl);
  headText.appendChild(statusEl);
  var closeBtn = el('button', 'cgw-x', { type: 'button', 'aria-label': T.close, title: T.close, 'data-testid': 'cgw-close', 'data-cgw-t-aria': 'close', 'data-cgw-t-title': 'close' });
  closeBtn.appendChild(icon(ICON_CLOSE));
  var langBtn = el('button', 'cgw-x cgw-lang', { type: 'button', 'data-testid': 'cgw-lang', 'data-lang': lang, 'aria-label': T.switchTitle, title: T.switchTitle, 'data-cgw-t': 'switchTo', 'data-cgw-t-aria': 'switchTitle', 'data-cgw-t-title': 'switchTitle' }, T.switchTo);
  header.appendChild(headText);
  header.appendChild(langBtn);
  header.appendChild(closeBtn);

  var body = el('div', 'cgw-body', { 'data-testid': 'cgw-body' });
  var greetingEl = el('div', 'cgw-msg cgw-greeting', { 'data-testid': 'cgw-greeting' });
  var greetingBubble = el('div', 'cgw-bubble', null, T.greeting);
  greetingEl.appendChild(greetingBubble);

  var prechat = el('form', 'cgw-prechat', { 'data-testid': 'cgw-prechat', novalidate: 'novalidate' });
  var prechatHead = el('div', 'cgw-prechat-head');
  prechatHead.appendChild(el('div', 'cgw-prechat-title', { 'data-cgw-t': 'prechatTitle' }, T.prechatTitle));
  var skipBtn = el('button', 'cgw-link', { type: 'button', 'data-testid': 'cgw-prechat-skip', 'data-cgw-t': 'skip' }, T.skip);
  prechatHead.appendChild(skipBtn);
  var nameInput = el('input', 'cgw-field', { type: 'text', 'data-testid': 'cgw-name', id: 'cgw-name-' + safeId, name: 'name', autocomplete: 'name', maxlength: '100', placeholder: T.name, 'aria-label': T.name, 'data-cgw-t-ph': 'name', 'data-cgw-t-aria': 'name' });
  var phoneInput = el('input', 'cgw-field', { type: 'tel', 'data-testid': 'cgw-phone', id: 'cgw-phone-' + safeId, name: 'phone', autocomplete: 'tel', inputmode: 'tel', maxlength: '40', placeholder: T.phone, 'aria-label': T.phone, 'data-cgw-t-ph': 'phone', 'data-cgw-t-aria': 'phone' });
  nameInput.value = state.profile.name;
  phoneInput.value = state.profile.phone;
  prechat.appendChild(prechatHead);
  prechat.appendChild(nameInput);
  prechat.appendChild(phoneInput);
  prechat.appendChild(el('p', 'cgw-hint', { 'data-cgw-t': 'prechatHint' }, T.prechatHint));

  var list = el('div', 'cgw-messages', { 'data-testid': 'cgw-messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  body.appendChild(greetingEl);
  body.appendChild(prechat);
  body.appendChild(list);

  var profileLine = el('div', 'cgw-profile', { 'data-testid': 'cgw-profile' });
  var profileText = el('span', 'cgw-profile-text');
  var profileEdit = el('button', 'cgw-link', { type: 'button', 'data-testid': 'cgw-profile-edit' }, T.edit);
  profileLine.appendChild(profileText);
  profileLine.appendChild(profileEdit);

  var composerError = el('div', 'cgw-composer-error');
  composerError.hidden = true;

  var composer = el('div', 'cgw-composer');
  var input = el('textarea', 'cgw-input', { 'data-testid': 'cgw-input', id: 'cgw-input-' + safeId, rows: '1', placeholder: T.placeholder, 'aria-label': T.placeholder, 'data-cgw-t-ph': 'placeholder', 'data-cgw-t-aria': 'placeholder' });
  var sendBtn = el('button', 'cgw-send', { type: 'button', 'data-testid': 'cgw-send', id: 'cgw-send-' + safeId, 'aria-label': T.send, title: T.send, 'aria-disabled': 'true', 'data-cgw-t-aria': 'send', 'data-cgw-t-title': 'send' });
  sendBtn.appendChild(icon(ICON_SEND));
  // Files: a picker for photos and PDFs (any file the server takes may also be dropped or pasted), and on phones a
  // second button that opens the camera.
  var fileInput = el('input', 'cgw-file-input', { type: 'file', multiple: 'multiple', accept: 'image/*,application/pdf', 'data-testid': 'cgw-file-input', tabindex: '-1', 'aria-hidden': 'true' });
  var cameraInput = el('input', 'cgw-file-input', { type: 'file', accept: 'image/*', capture: 'environment', 'data-testid': 'cgw-camera-input', tabindex: '-1', 'aria-hidden': 'true' });
  var clipBtn = el('button', 'cgw-clip', { type: 'button', 'data-testid': 'cgw-attach', 'aria-label': T.attach, title: T.attach, 'data-cgw-t-aria': 'attach', 'data-cgw-t-title': 'attach' });
  clipBtn.appendChild(icon(ICON_CLIP));
  var cameraBtn = el('button', 'cgw-clip', { type: 'button', 'data-testid': 'cgw-camera', 'aria-label': T.camera, title: T.camera, 'data-cgw-t-aria': 'camera', 'data-cgw-t-title': 'camera' });
  cameraBtn.appendChild(icon(ICON_CAMERA));
  var touch = false;
  try { touch = !!(window.matchMedia && window.matchMedia('(pointer: coarse)').matches); } catch (e) { /* old browser */ }
  cameraBtn.hidden = !touch;
  composer.appendChild(fileInput);
  composer.appendChild(cameraInput);
  composer.appendChild(clipBtn);
  composer.appendChild(cameraBtn);
  composer.appendChild(input);
  composer.appendChild(sendBtn);
  // The picker's emoji (set before the picker is built).
  var EMOJI = '\ud83d\ude0a \ud83d\ude04 \ud83d\ude01 \ud83d\ude02 \ud83d\ude05 \ud83d\ude09 \ud83d\ude0d \ud83e\udd70 \ud83d\ude18 \ud83e\udd14 \ud83d\ude2e \ud83d\ude22 \ud83d\ude2d \ud83d\ude33 \ud83d\ude44 \ud83e\udd17 ' +
    '\ud83d\udc4d \ud83d\udc4c \ud83d\ude4f \ud83e\udd1d \ud83d\udc4f \ud83d\udcaa \u270c\ufe0f \ud83d\udc4b \u2764\ufe0f \ud83c\udf39 \u2728 \ud83c\udf89 \ud83c\udf81 \ud83d\udd25 \ud83d\udcaf \u2b50 ' +
    '\ud83d\udce6 \ud83d\ude9a \ud83d\uded2 \ud83d\udecd\ufe0f \ud83d\udcb0 \ud83d\udcb3 \ud83d\udccf \ud83d\udc57 \ud83d\udc55 \ud83d\udc5f \u2705 \u274c \u2753 \u23f0 \ud83d\udcf7 \ud83d\udcac';
  addEmojiPicker(composer, input);
  var tray = el('div', 'cgw-tray', { 'data-testid': 'cgw-tray', 'aria-live': 'polite' });
  tray.hidden = true;
  var dropOverlay = el('div', 'cgw-drop', { 'data-testid': 'cgw-drop', 'aria-hidden': 'true', 'data-cgw-t': 'dropHere' }, T.dropHere);
  dropOverlay.hidden = true;
  var lightbox = el('div', 'cgw-lightbox', { 'data-testid': 'cgw-lightbox', role: 'dialog', 'aria-label': T.openFull, 'data-cgw-t-aria': 'openFull' });
  lightbox.hidden = true;
  var lightboxClose = el('button', 'cgw-x', { type: 'button', 'aria-label': T.closeImage, title: T.closeImage, 'data-testid': 'cgw-lightbox-close', 'data-cgw-t-aria': 'closeImage', 'data-cgw-t-title': 'closeImage' });
  lightboxClose.appendChild(icon(ICON_CLOSE));
  var lightboxImg = el('img', null, { alt: '', 'data-testid': 'cgw-lightbox-image' });
  var lightboxLink = el('a', null, { target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cgw-lightbox-open', 'data-cgw-t': 'openFull' }, T.openFull);
  lightbox.appendChild(lightboxClose);
  lightbox.appendChild(lightboxImg);
  lightbox.appendChild(lightboxLink);

  // What the shop may send first (offers, notices): the visitor's choice for all their channels.
  var settingsPanel = el('fieldset', 'cgw-settings', { 'data-testid': 'cgw-settings' });
  settingsPanel.hidden = true;
  settingsPanel.appendChild(el('legend', 'cgw-prechat-title', { 'data-cgw-t': 'settings' }, T.settings));
  var outreachInputs = {};
  [['all', 'outreachAll'], ['no-marketing', 'outreachNoMarketing'], ['none', 'outreachNone']].forEach(function (o) {
    var label = el('label');
    var radio = el('input', null, { type: 'radio', name: 'cgw-outreach-' + safeId, value: o[0], 'data-testid': 'cgw-outreach-' + o[0] });
    radio.addEventListener('change', function () { if (radio.checked) saveOutreach(o[0]); });
    outreachInputs[o[0]] = radio;
    label.appendChild(radio);
    label.appendChild(el('span', null, { 'data-cgw-t': o[1] }, T[o[1]]));
    settingsPanel.appendChild(label);
  });
  var settingsNote = el('p', 'cgw-settings-note', { 'data-testid': 'cgw-settings-note', 'aria-live': 'polite', 'data-cgw-t': 'outreachHint' }, T.outreachHint);
  settingsPanel.appendChild(settingsNote);

  var foot = el('div', 'cgw-foot');
  var counter = el('span', 'cgw-counter', { 'data-testid': 'cgw-counter', 'aria-live': 'off' });
  var settingsLink = el('button', 'cgw-link', { type: 'button', 'data-testid': 'cgw-settings-toggle', 'aria-expanded': 'false', 'data-cgw-t': 'settings' }, T.settings);
  foot.appendChild(el('span', null, { 'data-cgw-t': 'powered' }, T.powered));
  foot.appendChild(settingsLink);
  foot.appendChild(counter);

  panel.appendChild(header);
  panel.appendChild(body);
  panel.appendChild(profileLine);
  panel.appendChild(composerError);
  panel.appendChild(tray);
  panel.appendChild(composer);
  panel.appendChild(settingsPanel);
  panel.appendChild(foot);
  panel.appendChild(dropOverlay);
  panel.appendChild(lightbox);
  root.appendChild(panel);
  root.appendChild(launcher);

  function mount() { (document.body || document.documentElement).appendChild(root); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

  // ---------------------------------------------------------------- rendering
  var nodes = {}; // item key -> element

  function nearBottom() { return body.scrollHeight - body.scrollTop - body.clientHeight < 60; }
  function scrollToBottom() { body.scrollTop = body.scrollHeight; }

  // ---------------------------------------------------------------- links and emoji
  // http(s) addresses in a message become links (text nodes and <a>, never HTML; javascript: and data: never do); an
  // address ends at a space, Chinese text or punctuation, and trailing . , ; : ! ? and an unmatched ) stay outside it.
  var URL_IN_TEXT = /https?:\/\/[^\s<>"'`\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/gi;
  function linkedBubble(text) {
    var bubble = el('div', 'cgw-bubble');
    var value = text == null ? '' : String(text);
    var done = 0;
    var m;
    URL_IN_TEXT.lastIndex = 0;
    while ((m = URL_IN_TEXT.exec(value)) !== null) {
      var url = m[0];
      while (/[.,;:!?'")\]}]$/.test(url)) {
        if (url.charAt(url.length - 1) === ')' && (url.match(/\(/g) || []).length >= (url.match(/\)/g) || []).length) break;
        url = url.slice(0, -1);
      }
      var href = null;
      try { var u = new URL(url); if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname) href = u.href; } catch (e) { href = null; }
      if (!href) continue;
      if (m.index > done) bubble.appendChild(document.createTextNode(value.slice(done, m.index)));
      bubble.appendChild(el('a', null, { href: href, target: '_blank', rel: 'noopener noreferrer nofollow', 'data-testid': 'cgw-message-link' }, url));
      done = m.index + url.length;
      URL_IN_TEXT.lastIndex = done;
    }
    if (done < value.length) bubble.appendChild(document.createTextNode(value.slice(done)));
    return bubble;
  }

  // A small emoji grid beside the message box: a click or Enter puts one at the caret, the arrow keys move, Esc closes.
  function addEmojiPicker(bar, box) {
    var label = lang === 'zh' ? '\u8868\u60c5' : 'Emoji';
    var open = el('button', 'cgw-clip cgw-emoji-open', { type: 'button', 'data-testid': 'cgw-emoji-open', 'aria-label': label, title: label, 'aria-expanded': 'false' }, '\ud83d\ude0a');
    var picker = el('div', 'cgw-emoji-picker', { 'data-testid': 'cgw-emoji-picker', role: 'dialog', 'aria-label': label });
    picker.hidden = true;
    EMOJI.split(' ').forEach(function (emoji) {
      var b = el('button', 'cgw-emoji', { type: 'button', 'data-testid': 'cgw-emoji', 'data-emoji': emoji, 'aria-label': emoji, tabindex: '-1' }, emoji);
      b.addEventListener('mousedown', function (e) { e.preventDefault(); });
      b.addEventListener('click', function () {
        var start = typeof box.selectionStart === 'number' ? box.selectionStart : box.value.length;
        var end = typeof box.selectionEnd === 'number' ? box.selectionEnd : box.value.length;
        box.value = box.value.slice(0, start) + emoji + box.value.slice(end);
        show(false);
        box.focus();
        box.setSelectionRange(start + emoji.length, start + emoji.length);
        box.dispatchEvent(new Event('input', { bubbles: true }));
      });
      picker.appendChild(b);
    });
    function show(on) {
      picker.hidden = !on;
      open.setAttribute('aria-expanded', on ? 'true' : 'false');
      if (on && picker.firstChild) { picker.firstChild.tabIndex = 0; picker.firstChild.focus(); }
    }
    open.addEventListener('mousedown', function (e) { e.preventDefault(); });
    open.addEventListener('click', function () { show(picker.hidden); });
    picker.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); show(false); box.focus(); return; }
      var items = Array.prototype.slice.call(picker.children);
      var i = items.indexOf(document.activeElement);
      var step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[e.key];
      if (i < 0 || !step) return;
      e.preventDefault();
      var next = items[Math.min(items.length - 1, Math.max(0, i + step))];
      items.forEach(function (x) { x.tabIndex = x === next ? 0 : -1; });
      next.focus();
    });
    document.addEventListener('mousedown', function (e) {
      if (!picker.hidden && !picker.contains(e.target) && !open.contains(e.target)) show(false);
    });
    bar.insertBefore(open, box);
    bar.appendChild(picker);
  }

  function renderItem(item, offerChoices) {
    var node = nodes[item.key];
    if (!node) {
      node = el('div', 'cgw-msg', { 'data-testid': 'cgw-message' });
      nodes[item.key] = node;
    }
    var choices = offerChoices && item.direction === 'out' && item.choices && item.choices.length ? item.choices : null;
    var files = item.files || [];
    var read = readByAgent(item);
    var sig = [item.direction, item.state, item.messageId, item.text, item.agentName, item.createdAt, item.error, item.sentVia, choices ? choices.join(',') : '', state.shopName, read,
      files.map(function (f) { return f.id + ' ' + f.url; }).join(',')].join('\u0000');
    if (node.cgwSig === sig) return node; // unchanged: keep the node as it is (focus, screen readers)
    node.cgwSig = sig;
    node.setAttribute('data-direction', item.direction === 'out' ? 'out' : 'in');
    node.setAttribute('data-state', item.state);
    if (item.messageId) node.setAttribute('data-message-id', item.messageId); else node.removeAttribute('data-message-id');
    if (item.clientMessageId) node.setAttribute('data-client-message-id', item.clientMessageId);
    while (node.firstChild) node.removeChild(node.firstChild);

    // The shop's own messages (follow-ups, a survey) carry no agent's name: the shop's name stands there.
    if (item.direction === 'out') node.appendChild(el('div', 'cgw-author', null, item.agentName || state.shopName || T.agent));
    // A photo sent alone has no text: no empty bubble.
    if (item.text || !files.length) node.appendChild(linkedBubble(item.text));
    if (files.length) node.appendChild(renderFiles(files));
    if (choices) {
      // Answers to pick (a survey's 1-5): each sends its text as the visitor's message; gone once the visitor wrote.
      var row = el('div', 'cgw-choices', { 'data-testid': 'cgw-choices', role: 'group', 'aria-label': T.choicesLabel });
      choices.forEach(function (choice) {
        var b = el('button', 'cgw-choice', { type: 'button', 'data-testid': 'cgw-choice', 'data-choice': choice }, choice);
        b.addEventListener('click', function () { sendText(choice); });
        row.appendChild(b);
      });
      node.appendChild(row);
    }

    var meta = el('div', 'cgw-meta');
    if (item.state === 'sending') {
      meta.appendChild(el('span', null, null, T.sending));
    } else if (item.state === 'failed') {
      meta.appendChild(el('span', 'cgw-error', { 'data-testid': 'cgw-error', role: 'alert' }, T.notSent));
      var retry = el('button', 'cgw-retry', { type: 'button', 'data-testid': 'cgw-retry' }, T.retry);
      retry.addEventListener('click', function () { postMessage(item); });
      meta.appendChild(retry);
    } else if (item.state === 'rejected') {
      meta.appendChild(el('span', 'cgw-error', { 'data-testid': 'cgw-error', role: 'alert' }, T.rejected + (item.error || '')));
    } else {
      meta.appendChild(el('span', null, null, timeOf(item.createdAt)));
      // A reply the shop sent on another channel of this conversation (e.g. by SMS) shows here too.
      if (item.direction === 'out' && item.sentVia && item.sentVia !== 'webchat') meta.appendChild(el('span', 'cgw-via', { 'data-testid': 'cgw-sent-via', 'data-channel': item.sentVia }, T.sentVia(item.sentVia)));
      if (read) meta.appendChild(el('span', 'cgw-read', { 'data-testid': 'cgw-read' }, liveText('read')));
    }
    node.appendChild(meta);
    return node;
  }

  /** A message's files: pictures as thumbnails that open full size, everything else as a download link with name and size. */
  function renderFiles(files) {
    var box = el('div', 'cgw-files', { 'data-testid': 'cgw-files' });
    files.forEach(function (f) {
      if (!f.url) {
        box.appendChild(fileLink(f, null));
        return;
      }
      if (INLINE_IMAGES[f.contentType]) {
        var a = el('a', 'cgw-thumb', { href: f.url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cgw-file-image', 'data-attachment-id': f.id, title: f.fileName });
        var img = el('img', null, { src: f.url, alt: f.fileName, loading: 'lazy', decoding: 'async' });
        img.addEventListener('error', function () { refreshLinks(); });
        img.addEventListener('load', function () { if (nearBottom()) scrollToBottom(); });
        a.appendChild(img);
        a.addEventListener('click', function (e) {
          if (e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1) return; // a new tab, as asked
          e.preventDefault();
          openLightbox(f);
        });
        box.appendChild(a);
      } else {
        box.appendChild(fileLink(f, f.url));
      }
    });
    return box;
  }

  function fileLink(f, url) {
    var a = el(url ? 'a' : 'span', 'cgw-file', url ? { href: url, target: '_blank', rel: 'noopener noreferrer', download: f.fileName, 'data-testid': 'cgw-file-link', 'data-attachment-id': f.id, title: T.download + ' ' + f.fileName } : { 'data-testid': 'cgw-file-link' });
    a.appendChild(icon(ICON_FILE));
    a.appendChild(el('span', 'cgw-file-name', null, f.fileName));
    if (typeof f.size === 'number') a.appendChild(el('span', 'cgw-file-size', null, sizeText(f.size)));
    return a;
  }

  function openLightbox(f) {
    lightboxImg.setAttribute('src', f.url);
    lightboxImg.setAttribute('alt', f.fileName);
    lightboxLink.setAttribute('href', f.url);
    lightbox.hidden = false;
    lightboxClose.focus();
  }
  function closeLightbox() {
    lightbox.hidden = true;
    lightboxImg.removeAttribute('src');
  }
  lightboxClose.addEventListener('click', closeLightbox);
  lightbox.addEventListener('click', function (e) { if (e.target === lightbox) closeLightbox(); });

  // File links are signed for a while (the server's FileLinkLifetime): a picture that no longer loads, or links about
  // to run out, are refreshed by reading the history again.
  var linkTimer = null;
  var lastRefresh = 0;
  function refreshLinks() {
    if (Date.now() - lastRefresh < 30000) return;
    lastRefresh = Date.now();
    loadHistory();
  }
  function scheduleLinkRefresh() {
    if (linkTimer) { clearTimeout(linkTimer); linkTimer = null; }
    var soonest = Infinity;
    state.items.forEach(function (x) {
      (x.files || []).forEach(function (f) {
        var m = f.url && /[?&]exp=(\d+)/.exec(f.url);
        if (m) soonest = Math.min(soonest, Number(m[1]) * 1000);
      });
    });
    if (soonest === Infinity) return;
    var wait = Math.max(5000, soonest - Date.now() - 120000);
    linkTimer = setTimeout(function () { linkTimer = null; lastRefresh = 0; refreshLinks(); }, Math.min(wait, 2147483000));
  }

  function render(forceScroll) {
    var stick = forceScroll || nearBottom();
    var keep = {};
    // Choices are offered by the newest message only, and only until the visitor writes after it.
    var offering = -1;
    for (var c = state.items.length - 1; c >= 0; c--) {
      if (state.items[c].direction === 'in') break;
      if (state.items[c].choices && state.items[c].choices.length) { offering = c; break; }
    }
    for (var i = 0; i < state.items.length; i++) {
      var item = state.items[i];
      keep[item.key] = true;
      var node = renderItem(item, i === offering);
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
    }
    for (var k in nodes) {
      if (Object.prototype.hasOwnProperty.call(nodes, k) && !keep[k]) {
        if (nodes[k].parentNode) nodes[k].parentNode.removeChild(nodes[k]);
        delete nodes[k];
      }
    }
    renderPrechat();
    if (stick) scrollToBottom();
  }

  function renderStatus() {
    var s = state.status;
    var text = '';
    if (!state.connected && state.token && state.everConnected) { s = 'offline'; text = T.offline; }
    else if (s === 'waiting') text = waitingText();
    else if (s === 'assigned') text = (state.agentName || T.anAgent) + T.here;
    else if (s === 'closed') text = T.closed;
    statusText.textContent = text;
    statusEl.setAttribute('data-status', s || '');
    if (s === 'waiting' && state.queueKnown && state.queuePosition) statusEl.setAttribute('data-queue-position', String(state.queuePosition));
    else statusEl.removeAttribute('data-queue-position');
    statusEl.hidden = !text;
  }

  function waitingText() {
    if (!state.queueKnown || !state.queuePosition) return T.waiting;
    if (state.estimatedWait === null) return T.allBusy;
    if (state.queuePosition <= 1) return T.next;
    return T.inLine(state.queuePosition, T.minutes(state.estimatedWait));
  }

  function clearQueue() {
    state.queuePosition = null;
    state.estimatedWait = null;
    state.queueKnown = false;
  }

  function renderPrechat() {
    var p = state.profile;
    // A visitor the shop identified is known already: no form to introduce themselves.
    var showForm = !isIdentified() && (state.editingProfile || (!p.done && state.items.length === 0));
    prechat.hidden = !showForm;
    var showLine = !showForm && !isIdentified();
    profileLine.hidden = !showLine;
    if (showLine) {
      var who = [p.name, p.phone].filter(function (x) { return !!x; }).join(' \u00b7 ');
      profileText.textContent = who ? T.chattingAs + who : '';
      profileEdit.textContent = who ? T.edit : T.addDetails;
    }
  }

  function renderCounter() {
    var n = input.value.length;
    var over = n > state.maxLength;
    counter.textContent = n > 0 ? n + ' / ' + state.maxLength : '';
    counter.setAttribute('data-over', over ? 'true' : 'false');
    sendBtn.setAttribute('aria-disabled', input.value.trim() || readyFiles().length ? 'false' : 'true');
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }

  function showComposerError(text) {
    while (composerError.firstChild) composerError.removeChild(composerError.firstChild);
    composerError.appendChild(el('div', 'cgw-error', { 'data-testid': 'cgw-error', role: 'alert' }, text));
    composerError.hidden = false;
  }
  function clearComposerError() {
    while (composerError.firstChild) composerError.removeChild(composerError.firstChild);
    composerError.hidden = true;
  }

  function renderBadge() {
    badge.hidden = state.unread === 0 || state.open;
    badge.textContent = state.unread > 9 ? '9+' : String(state.unread);
  }

  // ---------------------------------------------------------------- open / close
  function openPanel() {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    root.setAttribute('data-open', 'true');
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', T.close);
    launcherChat.style.display = 'none';
    launcherDown.style.display = '';
    state.unread = 0;
    renderBadge();
    saveSession(OPEN_KEY, '1');
    render(true);
    reportVisitorRead();
    autosize();
    if (!state.token) {
      ensureToken().then(function () { loadHistory(); }, function () { showComposerError(T.tokenFailed); });
    }
    setTimeout(function () { try { input.focus({ preventScroll: true }); } catch (e) { input.focus(); } }, 30);
  }
  function closePanel() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    root.setAttribute('data-open', 'false');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', T.open);
    launcherChat.style.display = '';
    launcherDown.style.display = 'none';
    saveSession(OPEN_KEY, '0');
    renderBadge();
  }
  function toggle() { if (state.open) closePanel(); else openPanel(); }

  launcher.addEventListener('click', toggle);
  closeBtn.addEventListener('click', function () { closePanel(); launcher.focus(); });
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !lightbox.hidden) { closeLightbox(); return; }
    if (e.key === 'Escape') { closePanel(); launcher.focus(); }
  });

  // ---------------------------------------------------------------- pre-chat details
  function saveProfile() {
    save(PROFILE_KEY, JSON.stringify(state.profile));
  }
  function profileFromForm() {
    state.profile.name = nameInput.value.trim().slice(0, 100);
    state.profile.phone = phoneInput.value.trim().slice(0, 40);
    saveProfile();
  }
  nameInput.addEventListener('input', profileFromForm);
  phoneInput.addEventListener('input', profileFromForm);
  prechat.addEventListener('submit', function (e) { e.preventDefault(); input.focus(); });
  skipBtn.addEventListener('click', function () {
    profileFromForm();
    state.profile.done = true;
    state.editingProfile = false;
    saveProfile();
    renderPrechat();
    input.focus();
  });
  profileEdit.addEventListener('click', function () {
    state.editingProfile = true;
    nameInput.value = state.profile.name;
    phoneInput.value = state.profile.phone;
    renderPrechat();
    body.scrollTop = 0;
    nameInput.focus();
  });
  [nameInput, phoneInput].forEach(function (f) {
    f.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); input.focus(); }
    });
  });

  // ---------------------------------------------------------------- sending
  function findBy(field, value) {
    if (!value) return -1;
    for (var i = 0; i < state.items.length; i++) if (state.items[i][field] === value) return i;
    return -1;
  }

  function send() {
    var text = input.value;
    var ready = readyFiles();
    if (!text.trim() && !ready.length && !state.tray.length) return;
    if (text.length > state.maxLength) {
      showComposerError(T.tooLong(text.length, state.maxLength));
      return;
    }
    if (state.tray.some(function (t) { return t.state === 'uploading'; })) { showComposerError(T.waitUploads); return; }
    if (state.tray.some(function (t) { return t.state === 'error'; })) { showComposerError(T.fixUploads); return; }
    if (!text.trim() && !ready.length) return;
    clearComposerError();
    input.value = '';
    // The tray's files go with this message; their previews are no longer needed.
    state.tray.forEach(function (t) { if (t.preview) { try { URL.revokeObjectURL(t.preview); } catch (e) { /* ignore */ } } });
    state.tray = [];
    renderTray();
    sendText(text.trim() ? text : '', ready);
  }

  /** Sends a text as the visitor's message (typed, or a choice they picked), with the files uploaded for it. */
  function sendText(text, files) {
    stopVisitorTyping();
    if (!prechat.hidden) profileFromForm();
    if (!state.profile.done || state.editingProfile) {
      state.profile.done = true;
      state.editingProfile = false;
      saveProfile();
    }
    // A rejected attempt is replaced by this one (its text was put back into the box).
    state.items = state.items.filter(function (x) { return x.state !== 'rejected'; });
    var cid = uuid();
    var item = {
      key: 'c:' + cid,
      clientMessageId: cid,
      messageId: null,
      conversationId: null,
      direction: 'in',
      text: text,
      files: files || [],
      agentName: null,
      createdAt: new Date().toISOString(),
      state: 'sending',
      error: null,
      name: state.profile.name,
      phone: state.profile.phone
    };
    state.items.push(item);
    renderCounter();
    autosize();
    render(true);
    postMessage(item);
  }

  // ---------------------------------------------------------------- where the visitor is (page, product, cart)
  // The shop passes a product or the cart through ChatGateway.setContext; the page is the visitor's own. A message carries
  // one part, and only one that changed since the visitor's last message (kept for this tab), so the agent sees where
  // the visitor is without a row stored for every message.
  var CONTEXT_KEY = 'cgw:' + instanceId + ':context';
  var shopContext = { product: null, cart: null };
  function clip(value, max) {
    if (typeof value === 'number' && isFinite(value)) return value;
    if (typeof value !== 'string') return undefined;
    return value.length > max ? value.slice(0, max) : value;
  }
  function cleanProduct(p) {
    if (!p || typeof p !== 'object') return null;
    return { id: clip(p.id, 100), name: clip(p.name, 200), url: clip(p.url, 2000), price: clip(p.price, 30), currency: clip(p.currency, 3), image: clip(p.image, 2000) };
  }
  function cleanCart(c) {
    if (!c || typeof c !== 'object') return null;
    var items = Array.isArray(c.items) ? c.items.slice(0, 100).map(function (i) {
      return i && typeof i === 'object' ? { id: clip(i.id, 100), name: clip(i.name, 200), quantity: clip(i.quantity, 10), price: clip(i.price, 30) } : null;
    }).filter(Boolean) : [];
    return { items: items, total: clip(c.total, 30), currency: clip(c.currency, 3), url: clip(c.url, 2000) };
  }
  /** ChatGateway.setContext({ product: {...} | null, cart: {...} | null }): a key left out keeps what was set. */
  function setContext(context) {
    if (!context || typeof context !== 'object') return;
    if (Object.prototype.hasOwnProperty.call(context, 'product')) shopContext.product = cleanProduct(context.product);
    if (Object.prototype.hasOwnProperty.call(context, 'cart')) shopContext.cart = cleanCart(context.cart);
  }
  function sentContext() {
    try { return JSON.parse(loadSession(CONTEXT_KEY) || '{}') || {}; } catch (e) { return {}; }
  }
  /** The part to send with the next message: { kind, value, json }, or null when nothing changed. */
  function nextContext() {
    var parts = {
      product: shopContext.product,
      cart: shopContext.cart,
      page: { url: String(location.href).slice(0, 2000), title: String(document.title || '').slice(0, 200) }
    };
    var sent = sentContext();
    var kinds = ['product', 'cart', 'page'];
    for (var i = 0; i < kinds.length; i++) {
      var value = parts[kinds[i]];
      if (!value) continue;
      var json = JSON.stringify(value);
      if (sent[kinds[i]] !== json) return { kind: kinds[i], value: value, json: json };
    }
    return null;
  }
  function contextSent(part) {
    if (!part) return;
    var sent = sentContext();
    sent[part.kind] = part.json;
    saveSession(CONTEXT_KEY, JSON.stringify(sent));
  }

  function postMessage(item, authRetried) {
    item.state = 'sending';
    item.error = null;
    render();
    var payload = { clientMessageId: item.clientMessageId, text: item.text };
    if (item.context === undefined) item.context = nextContext();
    if (item.context) { payload.context = {}; payload.context[item.context.kind] = item.context.value; }
    if (item.files && item.files.length) {
      payload.attachments = item.files.map(function (f) { return { id: f.id, receipt: f.receipt }; });
    }
    if (item.name) payload.name = item.name;
    if (item.phone) payload.phone = item.phone;
    ensureToken().then(function () {
      return request('POST', 'messages', payload, 20000);
    }).then(function (r) {
      if (r.status === 202 || r.status === 200) {
        var d = r.data || {};
        item.state = 'sent';
        contextSent(item.context);
        if (d.messageId) {
          var dup = findBy('messageId', d.messageId);
          if (dup >= 0 && state.items[dup] !== item) {
            item.createdAt = state.items[dup].createdAt || item.createdAt;
            state.items.splice(dup, 1);
          }
          item.messageId = d.messageId;
        }
        if (d.conversationId) adoptConversation(d.conversationId, true);
        item.conversationId = d.conversationId || state.conversationId;
        render();
        return;
      }
      if (r.status === 401 && !authRetried) {
        dropToken();
        postMessage(item, true);
        return;
      }
      var reason = (r.data && typeof r.data.error === 'string' && r.data.error) || ('the server answered ' + r.status);
      if (r.status >= 500 || r.status === 408 || r.status === 429) {
        item.state = 'failed';
        item.error = reason;
      } else {
        item.state = 'rejected';
        item.error = reason;
        // Keep what the visitor typed and attached so they can fix it and send again.
        if (!input.value) {
          input.value = item.text;
          renderCounter();
          autosize();
        }
        if (item.files && item.files.length && !state.tray.length) {
          state.tray = item.files.map(function (f) {
            return { key: uuid(), name: f.fileName, size: f.size, type: f.contentType, preview: null, state: 'done', progress: 1, error: null, uploaded: f };
          });
          renderTray();
        }
      }
      render();
    }, function () {
      item.state = 'failed';
      item.error = null;
      render();
    });
  }

  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener('input', function () {
    renderCounter();
    autosize();
    if (!composerError.hidden && input.value.length <= state.maxLength) clearComposerError();
  });
  sendBtn.addEventListener('click', function () { send(); input.focus(); });

  // ---------------------------------------------------------------- conversation state
  function adoptConversation(conversationId, fromSend) {
    if (!conversationId || conversationId === state.conversationId) return;
    state.conversationId = conversationId;
    if (fromSend && state.statusFor !== conversationId) {
      // A new conversation starts out waiting; the live status frame may already have said more.
      state.status = 'waiting';
      state.statusFor = conversationId;
      state.agentName = null;
      clearQueue();
    }
    renderStatus();
  }

  function fromHistory(m, conversationId) {
    return {
      key: 'm:' + m.messageId,
      clientMessageId: null,
      messageId: m.messageId,
      conversationId: conversationId,
      direction: m.direction === 'out' ? 'out' : 'in',
      text: typeof m.text === 'string' ? m.text : '',
      agentName: m.agentName || null,
      sentVia: typeof m.sentVia === 'string' && m.sentVia ? m.sentVia : null,
      choices: Array.isArray(m.choices) ? m.choices.filter(function (x) { return typeof x === 'string' && x; }).slice(0, 10) : null,
      files: cleanFiles(m.attachments),
      createdAt: m.createdAt,
      state: 'sent',
      error: null
    };
  }

  function applyHistory(h) {
    var cid = h.conversationId;
    var msgs = (Array.isArray(h.messages) ? h.messages : []).filter(function (m) { return m && m.direction !== 'note'; });
    var inHistory = {};
    msgs.forEach(function (m) { if (m && m.messageId) inHistory[m.messageId] = true; });

    var older = [];
    var pending = [];
    state.items.forEach(function (x) {
      if (x.messageId && inHistory[x.messageId]) return; // replaced below
      if (x.conversationId && x.conversationId !== cid && x.messageId) older.push(x);  // an earlier chat seen on this page
      else pending.push(x); // not yet accepted, failed, or accepted after the history was read
    });

    var fresh = msgs.filter(function (m) { return m && m.messageId; }).map(function (m) {
      var i = findBy('messageId', m.messageId);
      var item = fromHistory(m, cid);
      if (i >= 0) { item.key = state.items[i].key; item.clientMessageId = state.items[i].clientMessageId; }
      return item;
    });
    state.items = older.concat(fresh, pending);

    if (state.conversationId !== cid) {
      state.conversationId = cid;
    }
    var status = h.status;
    if (status === 'waiting' || status === 'assigned' || status === 'closed') {
      if (status === 'assigned') {
        var name = null;
        for (var j = msgs.length - 1; j >= 0; j--) if (msgs[j] && msgs[j].direction === 'out' && msgs[j].agentName) { name = msgs[j].agentName; break; }
        if (name) state.agentName = name;
        else if (!(state.status === 'assigned' && state.statusFor === cid)) state.agentName = null;
      }
      if (!(status === 'waiting' && state.status === 'waiting' && state.statusFor === cid)) clearQueue();
      state.status = status;
      state.statusFor = cid;
    }
    if (typeof h.readByAgentUpTo === 'string') noteAgentRead(cid, h.readByAgentUpTo);
    renderStatus();
    render();
    scheduleLinkRefresh();
    liveOnMessages(false);
  }

  function loadHistory(authRetried) {
    if (!state.token) return;
    var seq = ++state.historySeq;
    request('GET', 'conversation').then(function (r) {
      if (seq !== state.historySeq) return;
      if (r.status === 200 && r.data) applyHistory(r.data);
      else if (r.status === 204) { render(); renderStatus(); }
      else if (r.status === 401 && !authRetried) {
        dropToken();
        ensureToken().then(function () { loadHistory(true); }, function () { /* offline */ });
      }
    }, function () { /* offline: the reconnect reloads */ });
  }

  function onFrame(frame) {
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'message' && frame.message && frame.message.messageId) {
      var m = frame.message;
      if (m.direction === 'note') return; // internal notes are for agents only
      var i = findBy('messageId', m.messageId);
      var item = fromHistory(m, frame.conversationId || m.conversationId || state.conversationId);
      if (i >= 0) {
        item.key = state.items[i].key;
        item.clientMessageId = state.items[i].clientMessageId;
        state.items[i] = item;
      } else {
        state.items.push(item);
        if (item.direction === 'out' && (!state.open || document.hidden)) {
          if (!state.open) state.unread++;
          renderBadge();
        }
      }
      if (item.direction === 'out' && item.agentName && state.status === 'assigned') {
        state.agentName = item.agentName;
        renderStatus();
      }
      render(item.direction === 'in');
      if (item.files.length) scheduleLinkRefresh();
      liveOnMessages(item.direction === 'out');
    } else if (frame.type === 'typing' || frame.type === 'read') {
      onLiveActivityFrame(frame);
    } else if (frame.type === 'status') {
      var s = frame.status;
      if (s !== 'waiting' && s !== 'assigned' && s !== 'closed') return;
      var cid = frame.conversationId || state.conversationId;
      // A late "closed" for an earlier chat must not end the current one.
      if (s === 'closed' && frame.conversationId && state.conversationId && frame.conversationId !== state.conversationId) return;
      if (cid) state.conversationId = cid;
      state.status = s;
      state.statusFor = cid;
      if (s === 'assigned') state.agentName = frame.agentName || state.agentName;
      if (s === 'waiting') {
        state.agentName = null;
        var pos = frame.queuePosition;
        var est = frame.estimatedWaitSeconds;
        if (typeof pos === 'number' && isFinite(pos) && pos >= 1) {
          state.queuePosition = Math.floor(pos);
          state.estimatedWait = typeof est === 'number' && isFinite(est) && est >= 0 ? est : null;
          state.queueKnown = true;
        } else {
          clearQueue();
        }
      } else {
        clearQueue();
      }
      renderStatus();
    }
  }

  // ---------------------------------------------------------------- files
  function readyFiles() {
    return state.tray.filter(function (t) { return t.state === 'done' && t.uploaded; }).map(function (t) { return t.uploaded; });
  }

  /** Files the visitor picked, dropped or pasted: each is checked (size, an obvious wrong type) and uploaded at once. */
  function addFiles(list) {
    if (!list || !list.length || !state.maxFileBytes) return;
    clearComposerError();
    for (var i = 0; i < list.length; i++) {
      var file = list[i];
      if (!file || typeof file.size !== 'number') continue;
      if (state.tray.length >= state.maxFiles) { showComposerError(T.tooManyFiles(state.maxFiles)); break; }
      var name = file.name && file.name !== 'image.png' ? file.name : pastedName(file.type);
      var t = { key: uuid(), file: file, name: name, size: file.size, type: file.type || '', preview: null, state: 'uploading', progress: 0, error: null, retry: false, uploaded: null };
      if (INLINE_IMAGES[t.type] && window.URL && URL.createObjectURL) {
        try { t.preview = URL.createObjectURL(file); } catch (e) { t.preview = null; }
      }
      state.tray.push(t);
      // Only a convenience: the server reads the type from the bytes and decides.
      if (file.size > state.maxFileBytes) { fail(t, T.fileTooLarge(sizeText(state.maxFileBytes)), false); continue; }
      if (/^(text\/html|image\/svg|application\/(x-)?(msdownload|javascript))/.test(t.type)) { fail(t, T.fileType, false); continue; }
      upload(t);
    }
    renderTray();
    renderCounter();
  }

  function pastedName(type) {
    var ext = { 'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif', 'image/webp': '.webp' }[type] || '';
    var d = new Date();
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return 'pasted-' + d.getFullYear() + two(d.getMonth() + 1) + two(d.getDate()) + '-' + two(d.getHours()) + two(d.getMinutes()) + two(d.getSeconds()) + ext;
  }

  function fail(t, message, retry) {
    t.state = 'error';
    t.error = message;
    t.retry = !!retry;
  }

  /** Uploads one file (XMLHttpRequest: it reports progress), then keeps what the server answered for the message. */
  function upload(t, authRetried) {
    t.state = 'uploading';
    t.progress = 0;
    t.error = null;
    renderTray();
    ensureToken().then(function () {
      if (state.tray.indexOf(t) < 0) return; // removed meanwhile
      var xhr = new XMLHttpRequest();
      t.xhr = xhr;
      xhr.open('POST', base + 'files');
      xhr.setRequestHeader('X-Visitor-Token', state.token);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.timeout = 120000;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable && e.total) { t.progress = e.loaded / e.total; renderProgress(t); }
      };
      xhr.onload = function () {
        t.xhr = null;
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        var reason = data && typeof data.error === 'string' && data.error;
        if (xhr.status === 201 && data && typeof data.id === 'string' && typeof data.receipt === 'string') {
          var f = cleanFile(data);
          f.receipt = data.receipt;
          t.uploaded = f;
          t.state = 'done';
          t.progress = 1;
        } else if (xhr.status === 401 && !authRetried) {
          dropToken();
          upload(t, true);
          return;
        } else if (xhr.status === 413) {
          fail(t, reason || T.fileTooLarge(sizeText(state.maxFileBytes)), false);
        } else if (xhr.status === 415) {
          fail(t, reason || T.fileType, false);
        } else if (xhr.status === 429 || xhr.status >= 500) {
          fail(t, reason || T.uploadFailed, true);
        } else {
          fail(t, reason || ('the server answered ' + xhr.status), false);
        }
        renderTray();
        renderCounter();
      };
      xhr.onerror = xhr.ontimeout = function () {
        t.xhr = null;
        fail(t, T.uploadFailed, true);
        renderTray();
        renderCounter();
      };
      var form = new FormData();
      form.append('file', t.file, t.name);
      xhr.send(form);
    }, function () {
      fail(t, T.uploadFailed, true);
      renderTray();
      renderCounter();
    });
  }

  function removeFromTray(t) {
    if (t.xhr) { try { t.xhr.abort(); } catch (e) { /* ignore */ } t.xhr = null; }
    if (t.preview) { try { URL.revokeObjectURL(t.preview); } catch (e) { /* ignore */ } }
    state.tray = state.tray.filter(function (x) { return x !== t; });
    if (!state.tray.some(function (x) { return x.state === 'error'; })) clearComposerError();
    renderTray();
    renderCounter();
    input.focus();
  }

  function renderProgress(t) {
    if (t.bar) t.bar.style.width = Math.round(Math.max(0, Math.min(1, t.progress)) * 100) + '%';
  }

  function renderTray() {
    while (tray.firstChild) tray.removeChild(tray.firstChild);
    tray.hidden = state.tray.length === 0;
    state.tray.forEach(function (t) {
      var chip = el('div', 'cgw-chip', { 'data-testid': 'cgw-attachment-preview', 'data-state': t.state });
      if (t.preview) {
        chip.appendChild(el('img', 'cgw-chip-thumb', { src: t.preview, alt: t.name, 'data-testid': 'cgw-attachment-thumb' }));
      } else {
        var ph = el('span', 'cgw-chip-thumb');
        ph.appendChild(icon(ICON_FILE));
        chip.appendChild(ph);
      }
      var text = el('div', 'cgw-chip-text');
      text.appendChild(el('span', 'cgw-chip-name', { title: t.name }, t.name));
      if (t.state === 'error') {
        text.appendChild(el('span', 'cgw-error', { 'data-testid': 'cgw-attachment-error', role: 'alert' }, t.error));
        if (t.retry && t.file) {
          var retry = el('button', 'cgw-retry', { type: 'button', 'data-testid': 'cgw-attachment-retry' }, T.retry);
          retry.addEventListener('click', function () { upload(t); });
          text.appendChild(retry);
        }
      } else {
        text.appendChild(el('span', 'cgw-chip-size', null, t.state === 'uploading' ? T.uploading + ' ' + sizeText(t.size) : sizeText(t.size)));
      }
      if (t.state === 'uploading') {
        var progress = el('div', 'cgw-progress', { 'data-testid': 'cgw-attachment-progress', role: 'progressbar', 'aria-label': T.uploading });
        t.bar = el('span');
        progress.appendChild(t.bar);
        text.appendChild(progress);
        renderProgress(t);
      } else {
        t.bar = null;
      }
      chip.appendChild(text);
      var x = el('button', 'cgw-chip-x', { type: 'button', 'data-testid': 'cgw-attachment-remove', 'aria-label': T.remove(t.name), title: T.remove(t.name) });
      x.appendChild(icon(ICON_CLOSE));
      x.addEventListener('click', function () { removeFromTray(t); });
      chip.appendChild(x);
      tray.appendChild(chip);
    });
  }

  clipBtn.addEventListener('click', function () { fileInput.click(); });
  cameraBtn.addEventListener('click', function () { cameraInput.click(); });
  [fileInput, cameraInput].forEach(function (picker) {
    picker.addEventListener('change', function () {
      var picked = picker.files ? Array.prototype.slice.call(picker.files) : [];
      picker.value = ''; // the same file may be picked again
      addFiles(picked);
    });
  });

  // A picture pasted into the chat (a screenshot) is attached like a picked one; pasted text stays text.
  panel.addEventListener('paste', function (e) {
    var data = e.clipboardData;
    if (!data) return;
    var files = [];
    if (data.files && data.files.length) files = Array.prototype.slice.call(data.files);
    else if (data.items) {
      for (var i = 0; i < data.items.length; i++) {
        if (data.items[i].kind === 'file') { var f = data.items[i].getAsFile(); if (f) files.push(f); }
      }
    }
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  });

  // Files dropped anywhere on the open panel.
  var dragDepth = 0;
  function hasFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    if (!types) return false;
    for (var i = 0; i < types.length; i++) if (types[i] === 'Files') return true;
    return false;
  }
  panel.addEventListener('dragenter', function (e) {
    if (!hasFiles(e) || !state.maxFileBytes) return;
    e.preventDefault();
    dragDepth++;
    dropOverlay.hidden = false;
  });
  panel.addEventListener('dragover', function (e) {
    if (!hasFiles(e) || !state.maxFileBytes) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  panel.addEventListener('dragleave', function (e) {
    if (!hasFiles(e)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) dropOverlay.hidden = true;
  });
  panel.addEventListener('drop', function (e) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    dropOverlay.hidden = true;
    addFiles(e.dataTransfer.files ? Array.prototype.slice.call(e.dataTransfer.files) : []);
  });

  // ---------------------------------------------------------------- notification settings
  function showOutreach(value) {
    for (var k in outreachInputs) if (Object.prototype.hasOwnProperty.call(outreachInputs, k)) outreachInputs[k].checked = k === value;
  }
  function loadOutreach() {
    if (!state.token) return;
    request('GET', 'preferences').then(function (r) {
      if (r.status === 200 && r.data && typeof r.data.outreach === 'string') showOutreach(r.data.outreach);
    }, function () { /* offline */ });
  }
  function saveOutreach(value) {
    settingsNote.textContent = T.outreachHint;
    settingsPanel.removeAttribute('data-saved');
    ensureToken().then(function () {
      return request('POST', 'preferences', { outreach: value });
    }).then(function (r) {
      if (r.status === 200) {
        settingsNote.textContent = T.saved;
        settingsPanel.setAttribute('data-saved', value);
        return;
      }
      settingsNote.textContent = T.notSaved + ((r.data && typeof r.data.error === 'string' && r.data.error) || ('HTTP ' + r.status));
      loadOutreach();
    }, function () {
      settingsNote.textContent = T.notSaved + T.offline;
    });
  }
  settingsLink.addEventListener('click', function () {
    settingsPanel.hidden = !settingsPanel.hidden;
    settingsLink.setAttribute('aria-expanded', settingsPanel.hidden ? 'false' : 'true');
    if (!settingsPanel.hidden) { settingsNote.textContent = T.outreachHint; loadOutreach(); }
  });

  // ---------------------------------------------------------------- typing and read receipts
  // Texts of this part, both languages side by side; the widget's language picks one.
  var LIVE_TEXT = {
    agentTyping: { zh: '客服正在输入\u2026', en: 'Agent is typing\u2026' },
    read: { zh: '已读', en: 'Read' }
  };
  function liveText(key) {
    return LIVE_TEXT[key][lang === 'zh' ? 'zh' : 'en'];
  }
  var TYPING_REPEAT_MS = 2000;   // "typing" again at most this often while the visitor types
  var TYPING_IDLE_MS = 5000;     // "stopped" after this long without a key
  var TYPING_SHOWN_MS = 6000;    // the agent's typing shows this long without a new signal
  var live = { typingSentAt: 0, typing: false, idleTimer: null, agentTypingTimer: null, agentReadAt: 0, agentReadFor: null, readReported: null, readTimer: null, readSentAt: 0 };

  var agentTypingEl = el('div', 'cgw-typing', { 'data-testid': 'cgw-agent-typing', role: 'status', 'aria-live': 'polite' });
  agentTypingEl.hidden = true;
  list.parentNode.insertBefore(agentTypingEl, list.nextSibling);
  if (!document.getElementById('cgw-style-live')) {
    var liveStyle = el('style', null, { id: 'cgw-style-live' });
    liveStyle.appendChild(document.createTextNode([
      '.cgw-root .cgw-typing{font-size:12px;color:#6b7285;font-style:italic;margin:0 0 8px 4px}',
      '.cgw-root .cgw-typing[hidden]{display:none}',
      '.cgw-root .cgw-read{color:#2f6fed;font-weight:600}'
    ].join('\n')));
    (document.head || document.documentElement).appendChild(liveStyle);
  }

  function sendTypingFrame(typing) {
    if (!ws || ws.readyState !== 1) return;
    try { ws.send(JSON.stringify({ type: 'typing', typing: typing })); } catch (e) { /* the socket is closing */ }
  }

  /** The visitor pressed a key: "typing" now and every 2 s while they go on, "stopped" after 5 s idle. */
  function noteVisitorTyping() {
    if (!input.value.trim()) { stopVisitorTyping(); return; }
    var now = Date.now();
    if (!live.typing || now - live.typingSentAt >= TYPING_REPEAT_MS) {
      live.typing = true;
      live.typingSentAt = now;
      sendTypingFrame(true);
    }
    if (live.idleTimer) clearTimeout(live.idleTimer);
    live.idleTimer = setTimeout(stopVisitorTyping, TYPING_IDLE_MS);
  }

  function stopVisitorTyping() {
    if (live.idleTimer) { clearTimeout(live.idleTimer); live.idleTimer = null; }
    if (!live.typing) return;
    live.typing = false;
    sendTypingFrame(false);
  }
  input.addEventListener('input', noteVisitorTyping);

  function showAgentTyping(typing) {
    if (live.agentTypingTimer) { clearTimeout(live.agentTypingTimer); live.agentTypingTimer = null; }
    var stick = nearBottom();
    agentTypingEl.textContent = typing ? liveText('agentTyping') : '';
    agentTypingEl.hidden = !typing;
    if (typing) live.agentTypingTimer = setTimeout(function () { showAgentTyping(false); }, TYPING_SHOWN_MS);
    if (stick) scrollToBottom();
  }

  /** The agent's read mark moved (live, or from the history): "Read" under the visitor's messages up to it. */
  function noteAgentRead(conversationId, upTo) {
    var at = Date.parse(upTo);
    if (!isFinite(at)) return;
    if (live.agentReadFor !== conversationId) { live.agentReadFor = conversationId; live.agentReadAt = 0; }
    if (at <= live.agentReadAt) return;
    live.agentReadAt = at;
    render();
  }

  /** Whether the agent has read this message of the visitor's (drawn by renderItem). */
  function readByAgent(item) {
    if (item.direction !== 'in' || item.state !== 'sent' || !item.messageId || !live.agentReadAt) return false;
    if (item.conversationId && live.agentReadFor && item.conversationId !== live.agentReadFor) return false;
    var at = Date.parse(item.createdAt);
    return isFinite(at) && at <= live.agentReadAt;
  }

  /** The visitor sees the chat: the agent's desk is told they have read the replies (at most once a second, once per reply). */
  function reportVisitorRead() {
    if (!state.open || document.hidden || !state.token || !state.conversationId) return;
    var newest = null;
    for (var i = state.items.length - 1; i >= 0; i--) {
      var x = state.items[i];
      if (x.direction === 'out' && x.messageId && (!x.conversationId || x.conversationId === state.conversationId)) { newest = x.messageId; break; }
    }
    if (!newest || newest === live.readReported || live.readTimer) return;
    var wait = Math.max(0, live.readSentAt + 1100 - Date.now());
    live.readTimer = setTimeout(function () {
      live.readTimer = null;
      if (!state.open || document.hidden) return;
      live.readReported = newest;
      live.readSentAt = Date.now();
      request('POST', 'conversations/' + encodeURIComponent(state.conversationId) + '/read').then(function (r) {
        if (r.status !== 204) live.readReported = null; // told again with the next reply or when the chat is seen again
      }, function () { live.readReported = null; });
    }, wait);
  }
  document.addEventListener('visibilitychange', function () { if (!document.hidden) reportVisitorRead(); });

  /** A frame about the agent's activity: typing, or their read mark. */
  function onLiveActivityFrame(frame) {
    if (frame.conversationId && state.conversationId && frame.conversationId !== state.conversationId) return;
    if (frame.type === 'typing') showAgentTyping(frame.typing === true);
    else if (frame.type === 'read' && typeof frame.readUpTo === 'string') noteAgentRead(frame.conversationId || state.conversationId, frame.readUpTo);
  }

  /** A message came (history or live): an agent's reply ends their typing and may be read now. */
  function liveOnMessages(replied) {
    if (replied) showAgentTyping(false);
    reportVisitorRead();
  }

  // ---------------------------------------------------------------- live connection
  var ws = null;
  var attempt = 0;
  var reconnectTimer = null;
  var openedAt = 0;

  function connect() {
    if (!state.token || ws || typeof WebSocket !== 'function') return;
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    var socket;
    try {
      socket = new WebSocket(wsBase + 'ws?token=' + encodeURIComponent(state.token));
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = socket;
    socket.onopen = function () {
      if (ws !== socket) return;
      openedAt = Date.now();
      state.connected = true;
      state.everConnected = true;
      renderStatus();
      loadHistory();
    };
    socket.onmessage = function (e) {
      if (ws !== socket || typeof e.data !== 'string') return;
      var frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      onFrame(frame);
    };
    socket.onclose = function () {
      if (ws !== socket) return;
      var neverOpened = !openedAt;
      ws = null;
      state.connected = false;
      renderStatus();
      // Refused before it opened: perhaps the token is no longer good. The history call finds out (a 401
      // there gets a new token, which connects at once).
      if (neverOpened) loadHistory();
      // A connection that lived a while starts the back-off again from 1 s.
      if (openedAt && Date.now() - openedAt > 10000) attempt = 0;
      openedAt = 0;
      scheduleReconnect();
    };
    socket.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (reconnectTimer || !state.token) return;
    var delay = Math.min(1000 * Math.pow(2, attempt), 15000);
    attempt++;
    reconnectTimer = setTimeout(function () { reconnectTimer = null; connect(); }, delay);
  }

  function reconnectNow() {
    if (ws || !state.token) return;
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    attempt = 0;
    connect();
  }
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) reconnectNow(); });

  // ---------------------------------------------------------------- language switch
  // The shop's title and greeting in the widget's language (config: by language; null: the widget's own).
  function showTitleAndGreeting() {
    var title = (state.titles && typeof state.titles[lang] === 'string' && state.titles[lang]) || T.title;
    var greeting = state.greetings && typeof state.greetings[lang] === 'string' ? state.greetings[lang] : T.greeting;
    state.title = title;
    state.greeting = greeting;
    titleEl.textContent = title;
    panel.setAttribute('aria-label', title);
    greetingBubble.textContent = greeting;
    greetingEl.hidden = !greeting;
  }
  langBtn.addEventListener('click', function () {
    var next = lang === 'zh' ? 'en' : 'zh';
    try { window.localStorage.setItem(LANG_KEY, next); } catch (e) { /* this page only */ }
    useLanguage(next);
    langBtn.setAttribute('data-lang', next);
    var all = root.querySelectorAll('[data-cgw-t], [data-cgw-t-aria], [data-cgw-t-title], [data-cgw-t-ph]');
    for (var i = 0; i < all.length; i++) {
      var n = all[i];
      if (n.getAttribute('data-cgw-t')) n.textContent = T[n.getAttribute('data-cgw-t')];
      if (n.getAttribute('data-cgw-t-aria')) n.setAttribute('aria-label', T[n.getAttribute('data-cgw-t-aria')]);
      if (n.getAttribute('data-cgw-t-title')) n.setAttribute('title', T[n.getAttribute('data-cgw-t-title')]);
      if (n.getAttribute('data-cgw-t-ph')) n.setAttribute('placeholder', T[n.getAttribute('data-cgw-t-ph')]);
    }
    launcher.setAttribute('aria-label', state.open ? T.close : T.open);
    showTitleAndGreeting();
    renderCounter();
    renderStatus();
    render();
  });

  // ---------------------------------------------------------------- start
  request('GET', 'config').then(function (r) {
    if (r.status !== 200 || !r.data) return;
    var c = r.data;
    if (typeof c.maxMessageLength === 'number' && c.maxMessageLength > 0) state.maxLength = c.maxMessageLength;
    if (c.titles && typeof c.titles === 'object') state.titles = c.titles;
    else if (typeof c.title === 'string' && c.title) state.titles = { zh: c.title, en: c.title };
    if (c.greetings && typeof c.greetings === 'object') state.greetings = c.greetings;
    else if (typeof c.greeting === 'string') state.greetings = { zh: c.greeting, en: c.greeting };
    showTitleAndGreeting();
    if (typeof c.shopName === 'string' && c.shopName) { state.shopName = c.shopName; render(); }
    if (typeof c.maxFileBytes === 'number' && c.maxFileBytes >= 0) state.maxFileBytes = c.maxFileBytes;
    if (typeof c.maxFiles === 'number' && c.maxFiles > 0) state.maxFiles = c.maxFiles;
    clipBtn.hidden = !state.maxFileBytes;
    cameraBtn.hidden = !state.maxFileBytes || !touch;
    renderCounter();
  }, function () { /* defaults */ });

  // ChatGateway.identify: callable before this script loaded (queued in ChatGateway.q) and after.
  var api = window.ChatGateway = window.ChatGateway || {};
  var pending = Array.isArray(api.q) ? api.q : [];
  api.q = [];
  var others = api.identify && api.identify.instances ? api.identify.instances : [];
  var identifyAll = function (identity) { for (var i = 0; i < identifyAll.instances.length; i++) identifyAll.instances[i](identity); };
  identifyAll.instances = others.concat([identify]);
  api.identify = identifyAll;
  registry.identify = identifyAll;
  // ChatGateway.setContext: the product or cart the visitor is looking at (a context set before this script loaded, as
  // window.ChatGateway.context, is taken too).
  var otherContexts = api.setContext && api.setContext.instances ? api.setContext.instances : [];
  var setContextAll = function (context) { for (var i = 0; i < setContextAll.instances.length; i++) setContextAll.instances[i](context); };
  setContextAll.instances = otherContexts.concat([setContext]);
  api.setContext = setContextAll;
  registry.setContext = setContextAll;
  if (api.context) setContext(api.context);

  renderCounter();
  renderStatus();
  render();
  renderBadge();
  for (var qi = 0; qi < pending.length; qi++) identify(pending[qi]);
  if (state.token && !state.tokenPromise) {
    loadHistory();
    connect();
  }
  if (loadSession(OPEN_KEY) === '1') openPanel();

  registry.instances[instanceId] = { open: openPanel, close: closePanel, toggle: toggle, instanceId: instanceId };
})();
