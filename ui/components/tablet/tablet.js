// 乡风 Xiangfeng: the surveyor's checklist, rendered and scored in the browser (ui/tablet.py
// mounts it as a Streamlit component, st.components.v2: in the page's own document, no iframe,
// no third-party code, no build step; rules.js and exif.js come before this text).
//
// Every tap is applied here at once (answer, section and total score, what is missing) and put
// into a queue kept in the tablet's localStorage (keyed by account, round, village and
// surveyor), which is sent in order to the app's own route /tablet/sync (ui/endpoints/tablet.py)
// whenever the link allows: a dropped link, a closed tab or a reload loses nothing, and
// Streamlit's WebSocket is not needed for the work. Photos are made smaller here (long side
// <= 1,600 px, JPEG, upright), hashed (SHA-256 of the original) and kept in IndexedDB until
// they are uploaded, with progress. Everything from data or users is put on the page with
// textContent, never as HTML.
"use strict";

const R = XFRules;
const STORE_PREFIX = "xf-tablet|";
const BATCH_OPS = 200;
const BATCH_BYTES = 1024 * 1024;
const TIMEOUT_MS = 20000;
const RETRY_MS = [1000, 2000, 4000, 8000, 15000];
const PHOTO_BUDGET = 600 * 1024; // bytes of one uploaded photo: under 7 s at 750 kbit/s
const apps = new Map(); // the component's root -> its App (kept across reruns of the page)

// --- small helpers ------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function sha256Hex(bytes) {
  if (window.crypto && crypto.subtle && window.isSecureContext) {
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, "0")).join("");
  }
  return XFPhoto.sha256(bytes);
}

function storageKey(key) {
  return STORE_PREFIX + [key.account, key.round, key.village, key.surveyor].join("|");
}

// --- photos waiting for the link: IndexedDB (blobs) -------------------------------------------

const photoDb = {
  db: null,
  open() {
    if (this.db) return this.db;
    this.db = new Promise((resolve, reject) => {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      const request = indexedDB.open("xiangfeng-tablet", 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore("photos", {keyPath: "id"});
        store.createIndex("key", "key");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  },
  async run(mode, work) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("photos", mode);
      const result = work(tx.objectStore("photos"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  },
  put(entry) { return this.run("readwrite", (s) => s.put(entry)); },
  remove(id) { return this.run("readwrite", (s) => s.delete(id)); },
  list(key) { return this.run("readonly", (s) => s.index("key").getAll(key)); },
};

// --- the checklist of one village -------------------------------------------------------------

class App {
  constructor(root, data, trigger) {
    this.root = root;
    this.trigger = trigger;
    this.inflight = new Set(); // sequence numbers being sent
    this.pumping = null;
    this.uploading = false;
    this.retry = 0;
    this.timer = null;
    this.link = "idle"; // idle | online | offline | signed_out | no_routes
    this.wasDown = false;
    this.localPhotos = [];
    this.progress = {};
    this.showMissing = false;
    this.done = null;
    this.gpsWaiting = false;
    this.gpsRefused = null;
    this.setData(data);
    this.record = this.load();
    this.wasDown = this.record.queue.length > 0; // answers left from before (a drop, a reload)
    this.adopt(data);
    this.build();
    this.onOnline = () => this.kick(true);
    window.addEventListener("online", this.onOnline);
    this.onStorage = (e) => { if (e.key === this.storeKey) { this.record = this.load(); this.refresh(); } };
    window.addEventListener("storage", this.onStorage);
    holdTheWork(true);
    this.refresh();
    photoDb.list(this.storeKey).then((list) => {
      this.localPhotos = (list || []).sort((a, b) => a.created - b.created);
      this.localPhotos.forEach((p) => { p.url = URL.createObjectURL(p.blob); });
      this.refresh();
      this.kick(true);
    }, () => { this.noIndexedDb = true; this.kick(true); });
  }

  setData(data) {
    this.data = data;
    this.t = data.text;
    this.rubric = R.prepare(data.rubric, data.grade_order);
    this.key = data.key;
    this.storeKey = storageKey(data.key);
    this.api = data.api;
  }

  /** A new run of the page (the village unchanged): take the server's newer state. */
  update(data, trigger) {
    this.trigger = trigger;
    this.setData(data);
    this.record = this.load();
    this.adopt(data);
    this.refresh();
    this.kick(true);
  }

  destroy() {
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("storage", this.onStorage);
    clearTimeout(this.timer);
    holdTheWork(false);
    this.node.remove();
  }

  // --- what is kept on the tablet -------------------------------------------------------------

  load() {
    try {
      const text = localStorage.getItem(this.storeKey);
      const record = text ? JSON.parse(text) : null;
      if (record && record.v === 1) return record;
    } catch (e) { /* unreadable: start again from the server's draft */ }
    return {v: 1, draft: null, server: null, photos: [], queue: [], clock: 0, some: false};
  }

  save() {
    try {
      localStorage.setItem(this.storeKey, JSON.stringify(this.record));
      this.storageBroken = false;
    } catch (e) {
      this.storageBroken = true; // full or forbidden: the banner says the tablet cannot keep answers
    }
  }

  /** Take the server's draft from the page's data when it is news to the tablet. */
  adopt(data) {
    const rec = this.record;
    const server = data.draft;
    if (!rec.server || rec.server.id !== server.id) {
      if (!rec.queue.length || !rec.server) {
        rec.server = server;
        rec.photos = data.photos || [];
        rec.draft = server.id;
      }
    } else if ((server.seq || 0) >= (rec.server.seq || 0)) {
      rec.server = server;
      rec.photos = data.photos || [];
    }
    rec.draft = rec.draft || server.id;
    rec.clock = Math.max(rec.clock || 0, server.seq || 0);
    this.save();
  }

  /** The draft as the surveyor sees it: the server's, with the changes still waiting. */
  view() {
    return R.applyOps(this.rubric, this.record.server, this.record.queue).draft;
  }

  nextSeq() {
    const rec = this.record;
    rec.clock = Math.max((rec.clock || 0) + 1, Date.now());
    return rec.clock;
  }

  /** A change: applied at once, kept on the tablet, sent when the link allows. */
  change(kind, item, value, index) {
    this.record = this.load(); // another tab of this village may have added changes
    const rec = this.record;
    const op = {seq: this.nextSeq(), kind, item: item || "", value: value === undefined ? null : value,
                draft: rec.draft};
    if (kind === "criterion") op.index = index;
    const field = R.field(op);
    const last = rec.queue[rec.queue.length - 1];
    if (last && R.field(last) === field && last.draft === op.draft && !this.inflight.has(last.seq)) {
      rec.queue[rec.queue.length - 1] = op; // typing: the newer text replaces the unsent one
    } else {
      rec.queue.push(op);
    }
    this.save();
    if (this.link === "online" || this.link === "idle") this.link = "pending";
    this.refresh();
    this.kick(false);
  }

  // --- sending -------------------------------------------------------------------------------

  kick(now) {
    clearTimeout(this.timer);
    if (now) this.retry = 0;
    this.timer = setTimeout(() => this.pump(), 0);
  }

  later() {
    clearTimeout(this.timer);
    const wait = RETRY_MS[Math.min(this.retry, RETRY_MS.length - 1)];
    this.retry += 1;
    this.timer = setTimeout(() => this.pump(), wait);
  }

  async request(method, path, body, headers) {
    const controller = new AbortController();
    const stop = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const answer = await fetch(this.api + path, {
        method, body, credentials: "same-origin", cache: "no-store", signal: controller.signal,
        headers: Object.assign({"Content-Type": "application/json"}, headers || {}),
      });
      let json = null;
      try { json = await answer.json(); } catch (e) { json = null; }
      return {status: answer.status, json};
    } finally {
      clearTimeout(stop);
    }
  }

  /** Send the queue in order, then the photos; on a dead link, try again later. One at a
   *  time: a call while sending waits for the sending under way. */
  pump() {
    if (!this.pumping) this.pumping = this.send().finally(() => { this.pumping = null; });
    return this.pumping;
  }

  async send() {
    {
      while (true) {
        this.record = this.load();
        const queue = this.record.queue;
        if (!queue.length) break;
        const draftId = queue[0].draft;
        const slice = [];
        let size = 0;
        for (const op of queue) {
          if (op.draft !== draftId || slice.length >= BATCH_OPS) break;
          size += JSON.stringify(op).length * 3;
          if (slice.length && size > BATCH_BYTES) break;
          slice.push(op);
        }
        const ops = coalesce(slice).map((op) => {
          const out = {seq: op.seq, kind: op.kind, item: op.item, value: op.value};
          if (op.kind === "criterion") out.index = op.index;
          return out;
        });
        slice.forEach((op) => this.inflight.add(op.seq));
        let answer;
        try {
          answer = await this.request("POST", "/sync", JSON.stringify({
            lang: this.data.lang, round: this.key.round, village: this.key.village, surveyor: this.key.surveyor,
            draft: draftId, ops}));
        } catch (e) {
          answer = null;
        } finally {
          slice.forEach((op) => this.inflight.delete(op.seq));
        }
        if (!this.handled(answer, slice)) return;
      }
      if (this.link !== "online") {
        this.link = "online";
        this.refresh();
      }
      await this.pumpPhotos();
    }
  }

  /** Deal with the answer to a batch: true to go on sending. */
  handled(answer, slice) {
    const sent = new Set(slice.map((op) => op.seq));
    if (!answer || answer.status === 0 || answer.status >= 500 || answer.status === 408 || answer.status === 429) {
      this.down("offline");
      return false;
    }
    if (answer.status === 401) { this.down("signed_out"); return false; }
    const json = answer.json || {};
    if (answer.status !== 200 || !json.draft) {
      if (!json.error) { this.down("no_routes"); return false; }
      // refused whole (forbidden, unknown village): this batch can never be stored
      this.notice(json.error.message);
      this.drop(sent);
      return true;
    }
    const rec = this.load();
    rec.queue = rec.queue.filter((op) => !sent.has(op.seq));
    if (json.refused_all) {
      rec.queue = rec.queue.filter((op) => op.draft !== slice[0].draft);
      this.notice(json.refused_all.message);
    }
    (json.refused || []).forEach((r) => this.notice(r.message));
    rec.server = json.draft;
    rec.photos = json.photos || [];
    rec.draft = json.draft.id;
    rec.clock = Math.max(rec.clock || 0, json.draft.seq || 0);
    this.record = rec;
    this.save();
    this.retry = 0;
    if (this.link !== "online") { this.link = "online"; }
    this.refresh();
    return true;
  }

  drop(seqs) {
    const rec = this.load();
    rec.queue = rec.queue.filter((op) => !seqs.has(op.seq));
    this.record = rec;
    this.save();
    this.refresh();
  }

  down(state) {
    this.link = state;
    this.wasDown = true;
    this.refresh();
    this.later();
  }

  /** Messages for the surveyor, kept per village while the page is open: a batch answered after
   *  the page re-ran (the link came back) still reaches the App showing that village. */
  get notices() { return noticesByKey.get(this.storeKey) || []; }

  set notices(list) { noticesByKey.set(this.storeKey, list); }

  notice(message) {
    if (!message || this.notices.indexOf(message) >= 0) return;
    this.notices = this.notices.concat([message]);
    for (const app of apps.values()) {
      if (app !== this && app.storeKey === this.storeKey && app.noticeBox) app.refreshNotices();
    }
  }

  // --- photos --------------------------------------------------------------------------------

  async addFiles(item, files) {
    for (const file of Array.from(files)) {
      try {
        await this.addFile(item, file);
      } catch (e) {
        this.notice(R.fill(this.t.tab_photo_unreadable, {name: file.name}));
      }
      this.refresh();
    }
    this.kick(true);
  }

  async addFile(item, file) {
    const limits = this.data.limits;
    if (file.size > limits.photo_bytes) {
      this.notice(R.fill(this.t.tab_photo_bytes, {name: file.name, limit: limits.photo_bytes_text}));
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const info = XFPhoto.inspect(bytes);
    if (!info.kind) {
      this.notice(R.fill(this.t.tab_photo_not_image, {name: file.name}));
      return;
    }
    if (info.width && info.height && info.width * info.height > limits.photo_pixels) {
      this.notice(R.fill(this.t.tab_photo_pixels, {
        name: file.name, mp: (info.width * info.height / 1e6).toFixed(1),
        size: `${info.width}×${info.height}`, limit: (limits.photo_pixels / 1e6).toFixed(1)}));
      return;
    }
    const sha256 = await sha256Hex(bytes);
    let small = null;
    try {
      small = await shrink(file, limits.max_side, info);
    } catch (e) {
      small = null;
    }
    if (!small && info.kind !== "heic") {
      this.notice(R.fill(this.t.tab_photo_not_image, {name: file.name}));
      return;
    }
    const entry = {
      id: uuid(), key: this.storeKey, draft: this.record.draft, item: item.code, sha256,
      taken: info.taken, gps: info.gps, name: file.name || "photo.jpg", created: Date.now(),
      blob: small ? small.blob : file, width: small ? small.width : null, height: small ? small.height : null,
      original: small ? null : true,
    };
    try {
      await photoDb.put(entry);
    } catch (e) {
      entry.volatile = true; // no IndexedDB: kept while the page is open
    }
    entry.url = URL.createObjectURL(entry.blob);
    this.localPhotos.push(entry);
  }

  async pumpPhotos() {
    if (this.uploading) return;
    this.uploading = true;
    try {
      while (this.localPhotos.length) {
        const entry = this.localPhotos[0];
        const answer = await this.upload(entry);
        if (answer.status === 200 && answer.json && answer.json.id) {
          const rec = this.load();
          rec.photos = (rec.photos || []).filter((p) => p.id !== answer.json.id).concat([answer.json]);
          this.record = rec;
          this.save();
          await this.forget(entry);
        } else if (answer.status === 401) {
          this.down("signed_out");
          return;
        } else if (answer.status === 0 || answer.status >= 500 || answer.status === 408 || answer.status === 429) {
          this.down("offline");
          return;
        } else {
          this.notice(`${entry.name}: ${answer.json && answer.json.error ? answer.json.error.message : answer.status}`);
          await this.forget(entry);
        }
        this.refresh();
      }
    } finally {
      this.uploading = false;
      this.refresh();
    }
  }

  async forget(entry) {
    this.localPhotos = this.localPhotos.filter((p) => p !== entry);
    delete this.progress[entry.id];
    if (entry.url) URL.revokeObjectURL(entry.url);
    if (!entry.volatile) { try { await photoDb.remove(entry.id); } catch (e) { /* gone */ } }
  }

  upload(entry) {
    const q = new URLSearchParams({
      lang: this.data.lang, round: this.key.round, village: this.key.village, surveyor: this.key.surveyor,
      draft: entry.draft, item: entry.item, sha256: entry.sha256, name: entry.name});
    if (entry.taken) q.set("taken", entry.taken);
    if (entry.gps) { q.set("lon", String(entry.gps[0])); q.set("lat", String(entry.gps[1])); }
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${this.api}/photo?${q}`);
      xhr.timeout = 120000;
      xhr.withCredentials = true;
      xhr.setRequestHeader("Content-Type", entry.blob.type || "application/octet-stream");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) { this.progress[entry.id] = Math.round(100 * e.loaded / e.total); this.refreshPhotos(); }
      };
      const fail = () => resolve({status: 0, json: null});
      xhr.onerror = fail;
      xhr.ontimeout = fail;
      xhr.onabort = fail;
      xhr.onload = () => {
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        resolve({status: xhr.status, json});
      };
      this.progress[entry.id] = 0;
      this.refreshPhotos();
      xhr.send(entry.blob);
    });
  }

  removePhoto(photo, local) {
    if (local) {
      this.forget(photo).then(() => this.refresh());
      return;
    }
    this.change("photo_delete", photo.id, null);
  }

  // --- submitting ------------------------------------------------------------------------------

  async submit() {
    const draft = this.view();
    const missing = R.missing(this.rubric, draft, this.photographed(draft));
    this.showMissing = true;
    if (missing.length) {
      this.refresh();
      this.node.querySelector(".missing").scrollIntoView({block: "center"});
      return;
    }
    this.submitting = true;
    this.refresh();
    try {
      await this.pump();
      if (this.load().queue.length) await this.pump(); // a change made while the last batch was out
      if (this.load().queue.length || this.localPhotos.length) {
        this.notice(this.t.tab_submit_offline);
        return;
      }
      let answer = null;
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          answer = await this.request("POST", "/submit", JSON.stringify({
            lang: this.data.lang, round: this.key.round, village: this.key.village, surveyor: this.key.surveyor,
            draft: this.record.draft}));
        } catch (e) {
          answer = null;
        }
        if (!(answer && answer.status === 409 && answer.json && answer.json.error &&
              answer.json.error.key === "tablet_draft_stale")) break;
        await this.fetchState();
      }
      if (!answer || answer.status === 0 || answer.status >= 500) {
        this.notice(this.t.tab_submit_offline);
        this.down("offline");
      } else if (answer.status === 401) {
        this.down("signed_out");
      } else if (answer.status !== 200) {
        this.notice(answer.json && answer.json.error ? answer.json.error.message : String(answer.status));
      } else if (answer.json.missing.length) {
        this.serverMissing = answer.json.missing;
      } else {
        this.done = {draft: this.record.draft, outcome: answer.json};
        doneByKey.set(this.storeKey, this.done);
        try { this.trigger("event", {kind: "submitted", draft: this.record.draft}); } catch (e) { /* no rerun */ }
      }
    } finally {
      this.submitting = false;
      this.refresh();
    }
  }

  async fetchState() {
    const answer = await this.request("POST", "/sync", JSON.stringify({
      lang: this.data.lang, round: this.key.round, village: this.key.village, surveyor: this.key.surveyor,
      draft: this.record.draft, ops: []}));
    if (answer.status === 200 && answer.json && answer.json.draft) this.handled(answer, []);
  }

  again() {
    this.done = null;
    doneByKey.delete(this.storeKey);
    this.showMissing = false;
    this.serverMissing = null;
    const rec = this.load();
    if (!rec.queue.length) { rec.server = this.data.draft; rec.photos = this.data.photos || []; rec.draft = this.data.draft.id; }
    this.record = rec;
    this.save();
    this.refresh();
  }

  photographed(draft) {
    const out = {};
    const gone = new Set(this.record.queue.filter((op) => op.kind === "photo_delete").map((op) => op.item));
    (this.record.photos || []).forEach((p) => { if (!gone.has(p.id)) out[p.item] = true; });
    this.localPhotos.forEach((p) => { if (p.draft === draft.id || p.draft === this.record.draft) out[p.item] = true; });
    return out;
  }

  // --- the page ------------------------------------------------------------------------------

  text(item) { return this.data.lang === "en" && item.text_en ? item.text_en : item.text; }

  build() {
    const t = this.t;
    this.node = el("div", {class: "xf", "data-testid": "xf-tablet"});
    this.bar = el("div", {class: "bar", role: "region", "aria-label": t.tab_bar_label});
    this.totalLine = el("div", {class: "total", "data-testid": "xf-total"});
    // a veto the county office confirmed applies already; the surveyor's own is a report
    this.officeLine = el("div", {class: "veto-warn", "data-testid": "xf-office-applies", text: t.tab_office_veto_applies});
    this.officeLine.hidden = !(this.data.office_vetoes || []).length;
    this.vetoLine = el("div", {class: "veto-warn", "data-testid": "xf-veto-reported", text: t.sv_veto_reported});
    this.missingLine = el("div", {class: "todo", "data-testid": "xf-todo"});
    this.netLine = el("div", {class: "net", role: "status", "aria-live": "polite", "data-testid": "xf-net"});
    this.bar.append(this.totalLine, this.officeLine, this.vetoLine, this.missingLine, this.netLine);
    this.noticeBox = el("div", {class: "notices", role: "alert", "data-testid": "xf-notices"});
    this.node.append(this.bar, this.noticeBox);
    this.main = el("div", {class: "main"});
    const office = this.data.office_vetoes || [];
    if (office.length) { // before anything the surveyor answers
      this.main.append(el("div", {class: "office-veto", role: "note", "data-testid": "xf-office-veto"},
        el("b", {text: t.tab_office_veto}), ...office.map((v) => el("div", {text: v}))));
    }
    this.items = {};
    this.sectionHeads = {};
    for (const section of this.rubric.sections) {
      const head = el("h3", {class: "section-head"});
      this.sectionHeads[section.code] = head;
      const box = el("section", {class: "section", "data-section": section.code}, head);
      const aside = (this.data.asides || {})[section.code];
      if (aside && aside.length) {
        box.append(el("div", {class: "aside", "data-testid": `xf-aside-${section.code}`},
          ...aside.map((line) => el("div", {text: line}))));
      }
      for (const item of section.items) box.append(this.buildItem(item));
      this.main.append(box);
    }
    this.main.append(this.buildVeto(), this.buildGps());
    this.missingBox = el("div", {class: "missing", role: "alert", "data-testid": "xf-missing"});
    this.submitButton = el("button", {class: "primary submit", type: "button", "data-testid": "xf-submit",
                                      text: t.sv_submit, onclick: () => this.submit()});
    this.main.append(this.missingBox, this.submitButton);
    this.doneBox = el("div", {class: "done", "data-testid": "xf-done"});
    this.node.append(this.main, this.doneBox);
    this.root.append(this.node);
  }

  buildItem(item) {
    const t = this.t;
    const box = el("div", {class: "item", "data-item": item.code, "data-testid": `xf-item-${item.code}`});
    const head = el("div", {class: "item-head"}, el("b", {text: item.code}), " ", el("span", {text: this.text(item)}));
    const parts = {box, controls: {}};
    box.append(head);
    if (item.type === "check") {
      const group = el("div", {class: "choices", role: "radiogroup", "aria-label": `${item.code} ${t.sv_answer}`});
      for (const [value, label] of [[true, t.sv_met], [false, t.sv_not_met]]) {
        const button = el("button", {type: "button", role: "radio", "aria-checked": "false", class: "choice",
                                     text: label, onclick: () => this.change("answer", item.code, value)});
        parts.controls[String(value)] = button;
        group.append(button);
      }
      box.append(group);
    } else if (item.type === "count") {
      const input = el("input", {type: "number", inputmode: "numeric", min: "0", step: "1",
                                 class: "count", placeholder: t.sv_count_placeholder, "aria-label": t.sv_count});
      input.addEventListener("input", () => {
        const text = input.value.trim();
        if (text === "") { this.change("answer", item.code, null); return; }
        const n = Number(text);
        if (Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER) this.change("answer", item.code, n);
      });
      const step = (delta) => {
        const now = this.view().answers[item.code];
        const next = Math.max(0, (typeof now === "number" ? now : delta > 0 ? -1 : 1) + delta);
        this.change("answer", item.code, next);
      };
      const minus = el("button", {type: "button", class: "step", "aria-label": t.tab_step_minus, text: "−", onclick: () => step(-1)});
      const plus = el("button", {type: "button", class: "step", "aria-label": t.tab_step_plus, text: "+", onclick: () => step(1)});
      parts.input = input;
      box.append(el("div", {class: "stepper"}, minus, input, plus),
                 el("div", {class: "caption", text: R.fill(t.rule_count, {deduct: R.fmt(item.deduct)})}));
    } else {
      const list = el("ol", {class: "criteria"});
      parts.criteria = [];
      item.criteria.forEach((criterion, index) => {
        const group = el("div", {class: "choices small", role: "radiogroup", "aria-label": `${item.code} ${index + 1}`});
        const buttons = {};
        for (const [value, label] of [[true, t.sv_met], [false, t.sv_not_met]]) {
          buttons[String(value)] = el("button", {type: "button", role: "radio", "aria-checked": "false", class: "choice",
                                                 text: label, onclick: () => this.change("criterion", item.code, value, index)});
          group.append(buttons[String(value)]);
        }
        parts.criteria.push(buttons);
        list.append(el("li", {class: "criterion", "data-testid": `xf-criterion-${item.code}-${index}`},
                       el("div", {class: "criterion-text", text: criterion}), group));
      });
      parts.grade = el("div", {class: "grade", "data-testid": `xf-grade-${item.code}`});
      box.append(el("div", {class: "caption", text: t.sv_criteria}), list, parts.grade);
    }
    parts.clear = el("button", {type: "button", class: "clear", text: t.tab_clear,
                                "aria-label": `${t.tab_clear} ${item.code}`,
                                onclick: () => this.change("answer", item.code, null)});
    parts.flags = el("div", {class: "flags"});
    box.append(el("div", {class: "item-foot"}, parts.flags, parts.clear));
    // the evidence a finding needs
    const note = el("textarea", {class: "note", rows: "3", maxlength: String(this.data.limits.note_chars),
                                 placeholder: t.sv_note_placeholder, "aria-label": `${t.sv_note} ${item.code}`});
    const sendNote = (e) => { if (!(e && e.isComposing)) this.change("note", item.code, note.value); };
    note.addEventListener("input", sendNote);
    note.addEventListener("compositionend", sendNote);
    note.addEventListener("change", sendNote);
    const file = el("input", {type: "file", accept: "image/jpeg,image/png,image/heic,image/heif,.jpg,.jpeg,.png,.heic,.heif",
                              multiple: true, class: "file", "aria-label": `${t.sv_photo} ${item.code}`});
    file.addEventListener("change", () => { const files = file.files; this.addFiles(item, files).then(() => { file.value = ""; }); });
    parts.note = note;
    parts.photos = el("div", {class: "photos"});
    parts.evidenceLabel = el("div", {class: "evidence-label"});
    const photoLabel = el("label", {class: "button photo-button"}, el("span", {text: t.sv_photo}), file);
    parts.photoRow = el("div", {class: "photo-row"}, photoLabel);
    parts.evidence = el("div", {class: "evidence", hidden: true}, parts.evidenceLabel,
                        el("label", {class: "note-label", text: t.sv_note}), note, parts.photos, parts.photoRow);
    box.append(parts.evidence);
    this.items[item.code] = parts;
    return box;
  }

  buildVeto() {
    const t = this.t;
    const box = el("section", {class: "section veto", "data-testid": "xf-veto"}, el("h3", {class: "section-head", text: t.sv_veto_title}));
    const en = this.data.lang === "en";
    box.append(el("ul", {class: "veto-list"}, ...this.rubric.veto.map((v) =>
      el("li", {}, el("b", {text: v.code}), " ", el("span", {text: en && v.text_en ? v.text_en : v.text})))));
    const group = el("div", {class: "choices", role: "radiogroup", "aria-label": t.sv_veto_question});
    this.vetoNone = el("button", {type: "button", role: "radio", class: "choice", "aria-checked": "false", text: t.sv_veto_none,
                                  onclick: () => { this.setSome(false); this.change("veto", "", []); }});
    this.vetoSome = el("button", {type: "button", role: "radio", class: "choice", "aria-checked": "false", text: t.sv_veto_some,
                                  onclick: () => {
                                    const now = this.view().veto;
                                    this.setSome(true);
                                    if (!now || !now.length) this.change("veto", "", null); else this.refresh();
                                  }});
    group.append(this.vetoNone, this.vetoSome);
    this.vetoPicks = el("div", {class: "picks", role: "group", "aria-label": t.sv_veto_pick});
    this.vetoChips = {};
    for (const v of this.rubric.veto) {
      const chip = el("button", {type: "button", role: "checkbox", "aria-checked": "false", class: "chip",
                                 text: `${v.code} ${v.name || ""}`, onclick: () => {
                                   const now = new Set(this.view().veto || []);
                                   if (now.has(v.code)) now.delete(v.code); else now.add(v.code);
                                   this.change("veto", "", now.size ? Array.from(now) : null);
                                 }});
      this.vetoChips[v.code] = chip;
      this.vetoPicks.append(chip);
    }
    box.append(el("div", {class: "question", text: t.sv_veto_question}), group,
               el("div", {class: "caption picks-label", text: t.sv_veto_pick}), this.vetoPicks);
    return box;
  }

  setSome(value) {
    this.record = this.load();
    this.record.some = value;
    this.save();
  }

  buildGps() {
    const t = this.t;
    const box = el("section", {class: "section gps", "data-testid": "xf-gps"}, el("h3", {class: "section-head", text: t.sv_gps_title}));
    this.gpsText = el("div", {class: "gps-text", "data-testid": "xf-gps-text"});
    this.gpsWarn = el("div", {class: "gps-warn"});
    const ask = el("button", {type: "button", class: "button", text: t.sv_gps_button, onclick: () => this.locate()});
    const lon = el("input", {type: "number", inputmode: "decimal", step: "0.000001", min: "73", max: "136",
                             "aria-label": t.sv_lon, placeholder: t.sv_lon});
    const lat = el("input", {type: "number", inputmode: "decimal", step: "0.000001", min: "3", max: "54",
                             "aria-label": t.sv_lat, placeholder: t.sv_lat});
    const save = el("button", {type: "button", class: "button", text: t.sv_gps_save, onclick: () => {
      const x = Number(lon.value), y = Number(lat.value);
      if (lon.value === "" || lat.value === "" || !(x >= 73 && x <= 136) || !(y >= 3 && y <= 54)) {
        this.gpsRefused = t.tab_gps_range;
        this.refresh();
        return;
      }
      this.gpsRefused = null;
      this.change("fix", "", {lon: x, lat: y, accuracy_m: null, source: "manual"});
    }});
    const manual = el("details", {class: "manual"}, el("summary", {text: t.sv_gps_manual}),
                      el("label", {text: t.sv_lon}), lon, el("label", {text: t.sv_lat}), lat, save);
    box.append(this.gpsText, this.gpsWarn, ask, manual);
    return box;
  }

  locate() {
    if (!navigator.geolocation) { this.gpsRefused = R.fill(this.t.sv_gps_refused, {message: "—"}); this.refresh(); return; }
    this.gpsWaiting = true;
    this.gpsRefused = null;
    this.refresh();
    navigator.geolocation.getCurrentPosition((p) => {
      this.gpsWaiting = false;
      const c = p.coords;
      if (!isFinite(c.longitude) || !isFinite(c.latitude)) return;
      this.change("fix", "", {lon: c.longitude, lat: c.latitude,
                              accuracy_m: isFinite(c.accuracy) && c.accuracy >= 0 ? c.accuracy : null, source: "browser"});
    }, (e) => {
      this.gpsWaiting = false;
      this.gpsRefused = R.fill(this.t.sv_gps_refused, {message: e.message || String(e.code)});
      this.refresh();
    }, {enableHighAccuracy: true, timeout: 60000, maximumAge: 0});
  }

  // --- showing the state -----------------------------------------------------------------------

  refresh() {
    if (!this.node) return;
    const t = this.t;
    const draft = this.view();
    const photographed = this.photographed(draft);
    const running = R.partial(this.rubric, draft.answers);
    const missing = R.missing(this.rubric, draft, photographed);
    const done = this.done || doneByKey.get(this.storeKey) || null;
    this.done = done;
    this.main.hidden = !!done;
    this.doneBox.hidden = !done;
    if (done) this.showDone(done);
    this.totalLine.textContent = R.fill(t.tab_total, {
      total: R.fmt(running.total), answered: running.answered, count: running.count,
      total_max: R.fmt(running.total_max), pass_mark: R.fmt(this.rubric.pass_mark)});
    this.vetoLine.hidden = !(draft.veto && draft.veto.length);
    const counts = {answer: 0, note: 0, photo: 0, veto: 0};
    missing.forEach((m) => { counts[m.kind] += 1; });
    this.missingLine.textContent = missing.length
      ? R.fill(t.tab_todo, {answer: counts.answer, note: counts.note, photo: counts.photo}) + (counts.veto ? t.tab_todo_veto : "")
      : t.tab_todo_none;
    this.missingLine.className = missing.length ? "todo" : "todo complete";
    for (const section of this.rubric.sections) {
      const answered = section.items.filter((i) => draft.answers[i.code] !== undefined && R.validAnswer(i, draft.answers[i.code])).length;
      this.sectionHeads[section.code].textContent = R.fill(t.sv_section_score, {
        name: this.data.lang === "en" && section.name_en ? section.name_en : section.name,
        earned: R.fmt(running.sections[section.code]), points: R.fmt(section.points),
        answered, count: section.items.length});
    }
    const flagsOf = {};
    missing.forEach((m) => { (flagsOf[m.item] = flagsOf[m.item] || []).push(m.kind); });
    for (const item of this.rubric.items) this.refreshItem(item, draft, flagsOf[item.code] || []);
    this.refreshVeto(draft);
    this.refreshGps(draft);
    this.refreshPhotos();
    this.refreshNet();
    this.refreshNotices();
    this.refreshMissing(missing);
  }

  refreshItem(item, draft, flags) {
    const t = this.t;
    const parts = this.items[item.code];
    const value = draft.answers[item.code];
    const answered = value !== undefined && value !== null;
    parts.box.classList.toggle("answered", answered);
    if (item.type === "check") {
      for (const key of ["true", "false"]) parts.controls[key].setAttribute("aria-checked", String(answered && String(value) === key));
    } else if (item.type === "count") {
      if (parts.input.getRootNode().activeElement !== parts.input) parts.input.value = answered ? String(value) : "";
    } else {
      const met = (draft.criteria || {})[item.code] || [];
      parts.criteria.forEach((buttons, index) => {
        for (const key of ["true", "false"]) buttons[key].setAttribute("aria-checked", String(met[index] !== undefined && met[index] !== null && String(met[index]) === key));
      });
      if (answered && R.validAnswer(item, value)) {
        const legacy = !met.some((m) => m !== null && m !== undefined);
        parts.grade.textContent = R.fill(legacy ? t.tab_grade_legacy : t.tab_grade, {
          grade: value, points: R.fmt(R.itemPoints(item, value))});
      } else {
        const left = item.criteria.length - met.filter((m) => m !== null && m !== undefined).length;
        parts.grade.textContent = met.some((m) => m !== null && m !== undefined) ? R.fill(t.tab_grade_pending, {n: left}) : "";
      }
    }
    parts.clear.disabled = !answered && !((draft.criteria || {})[item.code]);
    const finding = R.needsEvidence(item, R.answerOf(item, draft)); // a grade: from every criterion
    parts.evidence.hidden = !finding;
    parts.box.classList.toggle("finding", finding);
    // a note always; a photo only when the item's evidence is a photo (optional otherwise)
    parts.evidenceLabel.textContent = R.needsPhoto(item) ? t.sv_evidence
      : t[`sv_evidence_${item.evidence}`] || t.tab_evidence_note;
    parts.photoRow.hidden = false;
    const root = parts.note.getRootNode();
    if (root.activeElement !== parts.note) parts.note.value = (draft.notes || {})[item.code] || "";
    parts.flags.textContent = flags.filter((f) => f !== "answer").map((f) => t[`tab_flag_${f}`]).join(" · ");
  }

  refreshPhotos() {
    if (!this.node) return;
    const t = this.t;
    const gone = new Set(this.record.queue.filter((op) => op.kind === "photo_delete").map((op) => op.item));
    const q = new URLSearchParams({round: this.key.round, village: this.key.village, surveyor: this.key.surveyor});
    for (const item of this.rubric.items) {
      const parts = this.items[item.code];
      const tiles = [];
      for (const p of this.record.photos || []) {
        if (p.item !== item.code || gone.has(p.id)) continue;
        tiles.push(this.tile(`server-${p.id}`, `${this.api}/photo/${p.id}?${q}`, t.tab_photo_saved, () => this.removePhoto(p, false)));
      }
      for (const p of this.localPhotos) {
        if (p.item !== item.code) continue;
        const pct = this.progress[p.id];
        const status = pct === undefined ? t.tab_photo_waiting : R.fill(t.tab_photo_progress, {percent: pct});
        tiles.push(this.tile(`local-${p.id}`, p.url, status, () => this.removePhoto(p, true), pct));
      }
      const ids = tiles.map((x) => x.dataset.tile).join(",");
      if (parts.photos.dataset.ids !== ids) {
        parts.photos.replaceChildren(...tiles);
        parts.photos.dataset.ids = ids;
      } else {
        tiles.forEach((tile, n) => { // only the status text and the progress change
          const old = parts.photos.children[n];
          old.querySelector(".tile-status").textContent = tile.querySelector(".tile-status").textContent;
          const bar = old.querySelector("progress");
          const fresh = tile.querySelector("progress");
          if (bar && fresh) bar.value = fresh.value;
        });
      }
    }
  }

  tile(id, url, status, remove, pct) {
    const t = this.t;
    const img = el("img", {alt: status, loading: "lazy"});
    if (url) img.src = url;
    return el("div", {class: "tile", "data-tile": id},
      img,
      el("div", {class: "tile-status", text: status}),
      pct === undefined ? null : el("progress", {max: "100", value: String(pct)}),
      el("button", {type: "button", class: "clear", text: t.sv_photo_delete, onclick: remove}));
  }

  refreshVeto(draft) {
    const some = !!(draft.veto && draft.veto.length) || (draft.veto === null && !!this.record.some);
    this.vetoNone.setAttribute("aria-checked", String(!!draft.veto && draft.veto.length === 0));
    this.vetoSome.setAttribute("aria-checked", String(some));
    this.vetoPicks.hidden = !some;
    this.vetoPicks.previousElementSibling.hidden = !some;
    const chosen = new Set(draft.veto || []);
    for (const [code, chip] of Object.entries(this.vetoChips)) chip.setAttribute("aria-checked", String(chosen.has(code)));
  }

  refreshGps(draft) {
    const t = this.t;
    const fix = draft.fix;
    if (this.gpsWaiting) this.gpsText.textContent = t.sv_gps_waiting;
    else if (!fix) this.gpsText.textContent = t.sv_gps_none;
    else if (fix.accuracy_m === null || fix.accuracy_m === undefined) {
      this.gpsText.textContent = R.fill(t.sv_gps_fix_manual, {lon: R.fixed(fix.lon, 6), lat: R.fixed(fix.lat, 6)});
    } else {
      this.gpsText.textContent = R.fill(t.sv_gps_fix, {lon: R.fixed(fix.lon, 6), lat: R.fixed(fix.lat, 6),
                                                      accuracy: R.fixed(fix.accuracy_m, 0)});
    }
    const warnings = R.gpsWarnings(fix, this.data.village, this.data.gps).map((w) => R.fill(t[w.key], {value: w.value, limit: w.limit}));
    if (this.gpsRefused) warnings.push(this.gpsRefused);
    this.gpsWarn.replaceChildren(...warnings.map((w) => el("div", {text: w})));
  }

  refreshNet() {
    const t = this.t;
    const waiting = this.record.queue.length;
    const photos = this.localPhotos.length;
    let text, state;
    if (this.storageBroken) { text = t.tab_no_storage; state = "bad"; }
    else if (this.link === "signed_out") { text = R.fill(t.tab_net_signed_out, {n: waiting}); state = "bad"; }
    else if (this.link === "no_routes") { text = t.tab_no_routes; state = "bad"; }
    else if (this.link === "offline") { text = R.fill(t.tab_net_offline, {n: waiting}); state = "bad"; }
    else if (waiting) { text = R.fill(t.tab_net_sending, {n: waiting}); state = "busy"; }
    else if (photos) { text = ""; state = "busy"; }
    else if (this.wasDown) { text = t.tab_net_back; state = "good"; }
    else { text = t.tab_net_saved; state = "good"; }
    if (photos) text = (text ? text + "；" : "") + R.fill(t.tab_photos_waiting, {n: photos});
    this.netLine.textContent = text;
    this.netLine.dataset.state = state;
    this.netLine.dataset.waiting = String(waiting);
    this.netLine.dataset.photos = String(photos);
    this.netLine.dataset.link = this.link;
  }

  refreshNotices() {
    const t = this.t;
    this.noticeBox.hidden = !this.notices.length;
    this.noticeBox.replaceChildren(...this.notices.map((message) => el("div", {class: "notice"},
      el("span", {text: message}),
      el("button", {type: "button", class: "clear", text: t.tab_dismiss, onclick: () => {
        this.notices = this.notices.filter((m) => m !== message);
        this.refreshNotices();
      }}))));
  }

  refreshMissing(missing) {
    const t = this.t;
    const shown = this.showMissing ? (this.serverMissing && !missing.length ? this.serverMissing : missing) : [];
    this.missingBox.hidden = !shown.length;
    this.submitButton.disabled = !!this.submitting;
    if (!shown.length) { this.missingBox.replaceChildren(); return; }
    const line = (m) => {
      if (m.kind === "veto") return t.sv_missing_veto;
      const item = this.rubric.byCode[m.item];
      return R.fill(t[`sv_missing_${m.kind}`], {item: m.item, text: item ? this.text(item) : ""});
    };
    this.missingBox.replaceChildren(el("div", {text: R.fill(t.sv_missing_title, {n: shown.length})}),
      el("ul", {}, ...shown.map((m) => el("li", {text: line(m)}))));
  }

  showDone(done) {
    const t = this.t;
    const score = done.outcome.score;
    const verdict = score.vetoed ? t.sv_vetoed : score.passed ? t.sv_passed : t.sv_failed;
    const names = {};
    this.rubric.sections.forEach((s) => { names[s.code] = this.data.lang === "en" && s.name_en ? s.name_en : s.name; });
    const sections = Object.entries(score.sections).map(([code, points]) => `${names[code] || code} ${points}`).join("，");
    this.doneBox.replaceChildren(
      el("div", {class: "done-head", text: R.fill(t.sv_done, {village: this.data.village.name, total: score.total, result: verdict}) +
                 (done.outcome.added ? "" : t.sv_done_repeat)}),
      el("div", {class: "caption", text: R.fill(t.sv_done_sections, {sections})}),
      el("button", {type: "button", class: "button", text: t.sv_again, onclick: () => this.again()}));
  }
}

const doneByKey = new Map(); // a submit's outcome, kept while the page reruns
const noticesByKey = new Map(); // storage key -> the messages shown, kept while the page reruns

/** The changes to send: for each field, the latest only (the server would skip the others). */
function coalesce(ops) {
  const last = new Map();
  ops.forEach((op) => last.set(R.field(op), op.seq));
  return ops.filter((op) => op.kind === "photo_delete" || last.get(R.field(op)) === op.seq);
}

/** The photo made smaller: long side <= maxSide, JPEG, upright by its EXIF, within the budget.
 *  `info` (XFPhoto.inspect) gives the stored size and orientation: the browser is asked to decode
 *  straight to the smaller size (much faster than decoding 12 MP and shrinking on a canvas). */
async function shrink(file, maxSide, info) {
  const turned = info && info.orientation >= 5;
  const fullW = info && info.width ? (turned ? info.height : info.width) : null;
  const fullH = info && info.height ? (turned ? info.width : info.height) : null;
  let bitmap = null;
  if (fullW && fullH && Math.max(fullW, fullH) > maxSide) {
    const k = maxSide / Math.max(fullW, fullH);
    const want = [Math.max(1, Math.round(fullW * k)), Math.max(1, Math.round(fullH * k))];
    try {
      bitmap = await createImageBitmap(file, {imageOrientation: "from-image", resizeWidth: want[0],
                                              resizeHeight: want[1], resizeQuality: "high"});
    } catch (e) {
      bitmap = null;
    }
    if (bitmap && (bitmap.width !== want[0] || bitmap.height !== want[1])) { bitmap.close(); bitmap = null; }
  }
  if (!bitmap) bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  if (bitmap.close) bitmap.close();
  let blob = null;
  for (const quality of [0.85, 0.75, 0.65, 0.55, 0.45]) {
    blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (!blob || blob.size <= PHOTO_BUDGET) break;
  }
  if (!blob) throw new Error("the browser could not encode the photo");
  return {blob, width, height};
}

/**
 * While the checklist holds the work, Streamlit's own "Connection error" box must not cover
 * it: the box is hidden and dismissed at once (its modal makes the rest of the page inert),
 * and the tablet's own banner says what the link is doing.
 */
let holders = 0;
let watcher = null;

function holdTheWork(on) {
  holders += on ? 1 : -1;
  const html = document.documentElement;
  if (holders > 0) {
    html.classList.add("xf-holds-work");
    if (!document.getElementById("xf-tablet-page-style")) {
      const style = document.createElement("style");
      style.id = "xf-tablet-page-style";
      style.textContent = "html.xf-holds-work [data-testid='stDialog'][data-xf-dismissed]{display:none !important}";
      document.head.append(style);
    }
    if (!watcher) {
      watcher = new MutationObserver(dismiss);
      watcher.observe(document.body, {childList: true, subtree: true});
    }
    dismiss();
  } else {
    holders = 0;
    html.classList.remove("xf-holds-work");
    if (watcher) { watcher.disconnect(); watcher = null; }
  }
}

function dismiss() {
  for (const dialog of document.querySelectorAll("[data-testid='stDialog'] [role='dialog']")) {
    const title = dialog.querySelector("h2");
    if (title && /connection error/i.test(title.textContent || "")) {
      const box = dialog.closest("[data-testid='stDialog']");
      if (box) box.setAttribute("data-xf-dismissed", "");
      const close = dialog.querySelector("button[aria-label='Close']");
      if (close) close.click();
    }
  }
}

export default function (component) {
  const {data, parentElement, setTriggerValue} = component;
  const trigger = (name, value) => setTriggerValue(name, value);
  let app = apps.get(parentElement);
  if (app && app.storeKey === storageKey(data.key) && app.data.rubric_version === data.rubric_version) {
    app.update(data, trigger);
  } else {
    if (app) app.destroy();
    app = new App(parentElement, data, trigger);
    apps.set(parentElement, app);
  }
  return () => {
    // called before the next render of the same component too: end only when it left the page
    setTimeout(() => {
      const current = apps.get(parentElement);
      if (current && !parentElement.isConnected) {
        current.destroy();
        apps.delete(parentElement);
      }
    }, 0);
  };
}
