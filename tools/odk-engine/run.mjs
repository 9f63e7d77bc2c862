// Runs ODK's own form engine (@getodk/xforms-engine, the engine of ODK Web Forms) on an XForm
// under Node, for the tests: many answer sets per call, JSON in on stdin, JSON out on stdout.
//
// In:  {"xform": "<h:html…>", "attachments": {"villages.csv": "…"},
//       "cases": [{"username": "王芳", "set": [["/data/place/township", "429901001"], …],
//                  "read": ["/data/total", …]}]}
//      A value is text: a select_multiple takes its choices separated by spaces, an image
//      question a file name (a tiny JPEG-typed file of that name is attached).
//      "mode": "answer" (default) answers node by node as a surveyor does (setValue,
//      selectValue); "restore" writes the answers into an instance document and loads it
//      (restoreInstance): the same calculations, computed once, for many answer sets quickly
//      ("files": the refs of image questions, whose files come with the document).
// Out: {"load": "success" | "warning", "cases": [{"values": {ref: text}, "hints": {ref: text},
//       "violations": ["ref:required", …], "xml": "<data …>", "error": null}]}
// Exit 2 when the form does not load (the engine's error on stderr).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'node_modules', '@getodk', 'xforms-engine', 'dist');
const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' });
for (const key of ['window', 'document', 'DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document',
  'XMLDocument', 'Text', 'Attr', 'CharacterData', 'Comment', 'ProcessingInstruction',
  'DocumentFragment', 'NodeFilter', 'XPathResult', 'HTMLElement', 'localStorage']) {
  if (globalThis[key] === undefined) globalThis[key] = key === 'window' ? dom.window : dom.window[key];
}
// The engine's tree-sitter (Emscripten) loader finds its .wasm beside __dirname under Node.
globalThis.__dirname = dist;
const { loadForm } = await import(path.join(dist, 'index.js'));

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const attachments = input.attachments ?? {};
const fetchFormAttachment = async (url) => {
  const name = decodeURIComponent(String(url.href ?? url).split('/').pop());
  const text = attachments[name];
  if (text === undefined) return { ok: false, status: 404, text: async () => '', blob: async () => new Blob([]) };
  return { ok: true, status: 200, headers: new Headers({ 'content-type': 'text/csv' }),
           text: async () => text, blob: async () => new Blob([text], { type: 'text/csv' }) };
};
const form = await loadForm(input.xform, { fetchFormAttachment });
if (form.status === 'failure') {
  process.stderr.write(`the engine cannot load the form: ${form.error?.message ?? form.error}\n`);
  process.exit(2);
}

const text = (value) => {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value === 'object' && 'latitude' in value) {
    return [value.latitude, value.longitude, value.altitude, value.accuracy].filter((v) => v != null).join(' ');
  }
  return String(value);
};

// The form's primary instance, every node in order and empty: the document "restore" fills.
const blankInstance = () => {
  const parser = new dom.window.DOMParser();
  const xform = parser.parseFromString(input.xform, 'text/xml');
  const primary = [...xform.getElementsByTagNameNS('*', 'instance')].find((i) => !i.hasAttribute('id'));
  const doc = parser.parseFromString('<x/>', 'text/xml').implementation.createDocument(null, null, null);
  const copy = (src) => {
    const el = doc.createElement(src.localName);
    for (const a of src.attributes) if (!a.name.startsWith('xmlns')) el.setAttribute(a.localName, a.value);
    for (const child of src.children) el.appendChild(copy(child));
    if (src.children.length === 0) el.textContent = src.textContent;
    return el;
  };
  doc.appendChild(copy(primary.firstElementChild));
  return new dom.window.XMLSerializer().serializeToString(doc);
};
let blankXML = null;

const restored = async (c, config) => {
  // The answers written into an instance document, which the engine then loads (odk-instance-load):
  // every calculation is computed by the engine from the answers.
  blankXML ??= blankInstance();
  const doc = new dom.window.DOMParser().parseFromString(blankXML, 'text/xml');
  const data = new FormData();
  for (const [ref, value] of c.set ?? []) {
    let el = doc.documentElement;
    for (const name of ref.split('/').slice(2)) {
      el = [...el.children].find((child) => child.localName === name);
      if (!el) throw new Error(`no node ${ref}`);
    }
    el.textContent = value;
    if (c.files?.includes(ref)) data.append(value, new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], value, { type: 'image/jpeg' }));
  }
  const xml = new dom.window.XMLSerializer().serializeToString(doc);
  data.append('xml_submission_file', new File([xml], 'xml_submission_file', { type: 'text/xml' }));
  return form.restoreInstance({ data: [data] }, config);
};

const runCase = async (c) => {
  const config = { preloadProperties: { username: c.username ?? '' } };
  const instance = c.mode === 'restore' ? await restored(c, config) : form.createInstance(config);
  const nodes = new Map();
  const walk = (node) => {
    nodes.set(node.currentState.reference, node);
    for (const child of node.currentState.children ?? []) walk(child);
  };
  walk(instance.root);
  const node = (ref) => {
    const found = nodes.get(ref);
    if (!found) throw new Error(`no node ${ref}`);
    return found;
  };
  for (const [ref, value] of c.mode === 'restore' ? [] : c.set ?? []) {
    const n = node(ref);
    if (n.nodeType === 'select') {
      if (n.selectType === 'select') n.selectValues(value === '' ? [] : value.split(' '));
      else n.selectValue(value === '' ? null : value);
    } else if (n.nodeType === 'upload') {
      n.setValue(value === '' ? null : new File([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], value, { type: 'image/jpeg' }));
    } else {
      n.setValue(value);
    }
  }
  const values = {}, hints = {};
  for (const ref of c.read ?? []) {
    const n = node(ref);
    values[ref] = text(n.currentState.value);
    const hint = n.currentState.hint ?? n.currentState.label;
    if (hint) hints[ref] = hint.asString;
  }
  const payload = await instance.root.prepareInstancePayload();
  const violations = (payload.violations ?? []).map((v) => `${v.reference}:${v.violation.condition}`);
  return { values, hints, violations, xml: instance.root.instanceState.instanceXML, error: null };
};

const cases = [];
for (const c of input.cases ?? []) {
  try {
    cases.push(await runCase(c));
  } catch (error) {
    cases.push({ values: {}, hints: {}, violations: [], xml: '', error: String(error?.stack ?? error) });
  }
}
process.stdout.write(JSON.stringify({ load: form.status, cases }));
