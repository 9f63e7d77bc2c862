// Runs the tablet's browser rules (ui/components/tablet/rules.js, exif.js) under Node for
// tests/test_tablet_rules.py: reads {rubric, grade_order, cases: [...]} as JSON on stdin,
// answers one result per case as JSON on stdout.
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..", "..", "ui", "components", "tablet");
const R = require(path.join(root, "rules.js"));
const P = require(path.join(root, "exif.js"));

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const rubric = R.prepare(job.rubric, job.grade_order);
  const out = job.cases.map((c) => {
    if (c.kind === "partial") {
      const p = R.partial(rubric, c.answers);
      const sections = {};
      Object.keys(p.sections).forEach((k) => { sections[k] = [R.fmt(p.sections[k]), R.fmt(p.section_max[k])]; });
      const draft = {answers: c.answers, notes: c.notes, veto: c.veto, criteria: c.criteria || {}};
      const missing = R.missing(rubric, draft, Object.fromEntries(c.photographed.map((code) => [code, true])));
      const evidence = rubric.items.filter((i) => R.needsEvidence(i, R.answerOf(i, draft))).map((i) => i.code);
      const unmet = {};
      Object.keys(draft.criteria).forEach((code) => {
        if (draft.criteria[code].length) unmet[code] = R.unmetFromMet(draft.criteria[code]);
      });
      const points = rubric.items.filter((i) => R.validAnswer(i, c.answers[i.code]))
        .map((i) => [i.code, R.fmt(R.itemPoints(i, c.answers[i.code]))]);
      return {total: R.fmt(p.total), total_max: R.fmt(p.total_max), answered: p.answered, count: p.count,
              sections, missing: missing.map((m) => [m.kind, m.item]), evidence, points,
              passed: R.cmp(p.total, rubric.pass_mark) >= 0, unmet};
    }
    if (c.kind === "grade") return R.gradeFromCriteria(rubric.byCode[c.item], c.met);
    if (c.kind === "ops") {
      const r = R.applyOps(rubric, c.draft, c.ops);
      return {draft: r.draft, applied: r.applied, stale: r.stale};
    }
    if (c.kind === "fmt") return R.fmt(R.add(R.dec(c.a), R.mul(R.dec(c.b), R.dec(c.c))));
    if (c.kind === "gps") return R.gpsWarnings(c.fix, c.village, c.limits).map((w) => [w.key, w.value, w.limit]);
    if (c.kind === "inspect") {
      const info = P.inspect(new Uint8Array(Buffer.from(c.base64, "base64")));
      return {kind: info.kind, width: info.width, height: info.height, orientation: info.orientation,
              taken: info.taken, gps: info.gps};
    }
    if (c.kind === "sha256") return P.sha256(new Uint8Array(Buffer.from(c.base64, "base64")));
    if (c.kind === "fill") return R.fill(c.template, c.fields);
    throw new Error("unknown case " + c.kind);
  });
  process.stdout.write(JSON.stringify(out));
});
