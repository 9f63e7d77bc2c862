// 乡风 Xiangfeng: the tablet's rules in the browser, built from the rubric's JSON
// (survey.rubric.Rubric.to_json(), as `checklists --json` prints it). The server stays the
// authority: these are the same rules as survey/scoring.py (item points, running totals, the
// grade of a grade item from its criteria, findings) and survey/fieldwork.py (what is still
// missing before a submit; how queued changes apply to a draft), so that a tap shows its effect
// at once, with no round trip. tests/test_tablet_rules.py runs this file under Node and checks
// it against the Python on many generated answer sets and change sequences.
//
// Numbers are exact decimals (a BigInt scaled by a power of ten), as the server's Decimal:
// 84.5 is 84.5, never 84.49999999.
//
// A classic script (no import/export): the component's module (tablet.js) is appended to it,
// and Node loads it with require().
"use strict";

var XFRules = (function () {
  // --- exact decimals: {m: BigInt, e: exponent} is m × 10^-e --------------------------------

  function dec(x) {
    if (x && typeof x === "object" && typeof x.m === "bigint") return x;
    if (typeof x === "bigint") return {m: x, e: 0};
    var text = typeof x === "number" ? numberText(x) : String(x).trim();
    var match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!match || (match[2] === "" && (match[3] || "") === "")) throw new Error("not a number: " + text);
    var digits = (match[2] || "") + (match[3] || "");
    var e = (match[3] || "").length - parseInt(match[4] || "0", 10);
    var m = BigInt(digits || "0");
    if (match[1] === "-") m = -m;
    if (e < 0) { m = m * pow10(-e); e = 0; }
    return {m: m, e: e};
  }

  function numberText(n) {
    if (!isFinite(n)) throw new Error("not a finite number: " + n);
    return String(n); // the shortest text that reads back as the same double: 0.8 is "0.8"
  }

  function pow10(n) {
    var p = 1n;
    for (var i = 0; i < n; i++) p *= 10n;
    return p;
  }

  function align(a, b) {
    if (a.e === b.e) return [a.m, b.m, a.e];
    if (a.e < b.e) return [a.m * pow10(b.e - a.e), b.m, b.e];
    return [a.m, b.m * pow10(a.e - b.e), a.e];
  }

  function add(a, b) { var x = align(a, b); return {m: x[0] + x[1], e: x[2]}; }
  function sub(a, b) { var x = align(a, b); return {m: x[0] - x[1], e: x[2]}; }
  function mul(a, b) { return {m: a.m * b.m, e: a.e + b.e}; }
  function cmp(a, b) { var x = align(a, b); return x[0] < x[1] ? -1 : x[0] > x[1] ? 1 : 0; }
  var ZERO = {m: 0n, e: 0};

  /** A score as people write it, exactly as the server's num(): 32, 84.5 (no trailing zeros). */
  function fmt(a) {
    var negative = a.m < 0n;
    var digits = (negative ? -a.m : a.m).toString();
    var text;
    if (a.e === 0) {
      text = digits;
    } else {
      while (digits.length <= a.e) digits = "0" + digits;
      text = digits.slice(0, digits.length - a.e) + "." + digits.slice(digits.length - a.e);
      text = text.replace(/0+$/, "").replace(/\.$/, "");
    }
    return (negative ? "-" : "") + text;
  }

  // --- the rubric -------------------------------------------------------------------------

  /**
   * The rubric's JSON made ready for the rules: exact numbers, every item with its section,
   * grades in order (best first). `gradeOrder` (item code -> grade names) keeps the order of
   * the server's JSON, which a JavaScript object loses for names that look like integers.
   */
  function prepare(json, gradeOrder) {
    var sections = [];
    var items = [];
    var byCode = {};
    (json.sections || []).forEach(function (s) {
      var section = {code: s.code, name: s.name, name_en: s.name_en || "", points: dec(s.points), items: []};
      (s.items || []).forEach(function (raw) {
        var item = {
          code: raw.code, section: s.code, text: raw.text, text_en: raw.text_en || "", type: raw.type,
          points: dec(raw.points), deduct: raw.deduct == null ? null : dec(raw.deduct),
          criteria: raw.criteria || [], evidence: raw.evidence || "photo", raw: raw, grades: []
        };
        if (raw.type === "grade") {
          var names = (gradeOrder && gradeOrder[raw.code]) || Object.keys(raw.grades || {});
          item.grades = names.map(function (g) { return [g, dec(raw.grades[g])]; });
        }
        section.items.push(item);
        items.push(item);
        byCode[item.code] = item;
      });
      sections.push(section);
    });
    return {
      pass_mark: dec(json.pass_mark), total: dec(json.total), sections: sections, items: items,
      byCode: byCode, veto: json.veto || []
    };
  }

  function gradeNames(item) { return item.grades.map(function (g) { return g[0]; }); }

  function factor(item, grade) {
    for (var i = 0; i < item.grades.length; i++) if (item.grades[i][0] === grade) return item.grades[i][1];
    throw new Error("no grade " + grade + " for " + item.code);
  }

  /** survey.scoring.valid_answer: true is not 1, 1.5 is no count. */
  function validAnswer(item, value) {
    if (item.type === "check") return value === true || value === false;
    if (item.type === "count") return typeof value === "number" && Number.isInteger(value) && value >= 0;
    return typeof value === "string" && gradeNames(item).indexOf(value) >= 0;
  }

  /** survey.scoring.item_points */
  function itemPoints(item, value) {
    if (item.type === "check") return value ? item.points : ZERO;
    if (item.type === "count") {
      var left = sub(item.points, mul(dec(BigInt(value)), item.deduct));
      return cmp(left, ZERO) < 0 ? ZERO : left;
    }
    return mul(item.points, factor(item, value));
  }

  /** survey.scoring.is_finding: a check not met, a count ≥ 1, a grade below the best. */
  function isFinding(item, value) {
    if (item.type === "check") return !value;
    if (item.type === "count") return value >= 1;
    return value !== item.grades[0][0];
  }

  /** survey.scoring.grade_from_criteria: each criterion missed is one grade lower. */
  function gradeFromCriteria(item, met) {
    if (item.type !== "grade" || !item.grades.length) throw new Error(item.code + " is not a grade item");
    if (met.length !== item.criteria.length || met.some(function (m) { return m !== true && m !== false; })) {
      throw new Error(item.code + " takes " + item.criteria.length + " criteria as true/false");
    }
    var missed = met.filter(function (m) { return !m; }).length;
    return item.grades[Math.min(missed, item.grades.length - 1)][0];
  }

  /** survey.scoring.partial: running totals of the valid answers so far. */
  function partial(rubric, answers) {
    var earned = {}, possible = {}, answered = 0;
    rubric.sections.forEach(function (s) { earned[s.code] = ZERO; possible[s.code] = ZERO; });
    rubric.items.forEach(function (item) {
      var value = answers[item.code];
      if (value === undefined || value === null || !validAnswer(item, value)) return;
      answered += 1;
      earned[item.section] = add(earned[item.section], itemPoints(item, value));
      possible[item.section] = add(possible[item.section], item.points);
    });
    var total = ZERO, totalMax = ZERO;
    rubric.sections.forEach(function (s) { total = add(total, earned[s.code]); totalMax = add(totalMax, possible[s.code]); });
    return {sections: earned, section_max: possible, total: total, total_max: totalMax,
            answered: answered, count: rubric.items.length};
  }

  /**
   * survey.fieldwork._value: the item's answer when complete and well typed, else null. A grade
   * item counts only as answered criterion by criterion: its grade derived from every
   * criterion (a grade stored without its criteria, from before they were carried, is answered
   * again).
   */
  function answerOf(item, draft) {
    if (item.type === "grade") {
      var met = (draft.criteria || {})[item.code];
      if (!met || met.length !== item.criteria.length || met.some(function (m) { return m !== true && m !== false; })) return null;
      return gradeFromCriteria(item, met);
    }
    var value = (draft.answers || {})[item.code];
    return value !== undefined && value !== null && validAnswer(item, value) ? value : null;
  }

  /** The 1-based numbers of the criteria answered not met (survey.scoring.unmet_from_met). */
  function unmetFromMet(met) {
    var out = [];
    (met || []).forEach(function (m, i) { if (m === false) out.push(i + 1); });
    return out;
  }

  /** survey.fieldwork.needs_evidence: the answer (answerOf) is a finding. */
  function needsEvidence(item, value) {
    return value !== undefined && value !== null && validAnswer(item, value) && isFinding(item, value);
  }

  /** A finding of this item needs a photo (evidence kind "photo"; a document or an interview
   *  needs the note only). */
  function needsPhoto(item) { return item.evidence === "photo"; }

  /** survey.fieldwork.validate: what keeps the draft from being submitted, in rubric order (a
   *  grade item: every criterion answered; a finding: a note, and a photo for a photo item). */
  function missing(rubric, draft, photographed) {
    var out = [];
    rubric.items.forEach(function (item) {
      var value = answerOf(item, draft);
      if (value === null) {
        out.push({kind: "answer", item: item.code});
      } else if (isFinding(item, value)) {
        if (!((draft.notes || {})[item.code] || "").trim()) out.push({kind: "note", item: item.code});
        if (needsPhoto(item) && !photographed[item.code]) out.push({kind: "photo", item: item.code});
      }
    });
    if (draft.veto === null || draft.veto === undefined) out.push({kind: "veto", item: ""});
    return out;
  }

  // --- changes to a draft (survey.fieldwork.apply_ops) -------------------------------------

  function field(op) {
    if (op.kind === "veto" || op.kind === "fix") return op.kind;
    if (op.kind === "criterion") return "criterion:" + op.item + ":" + op.index;
    return op.kind + ":" + op.item;
  }

  function copyDraft(d) {
    var criteria = {};
    Object.keys(d.criteria || {}).forEach(function (k) { criteria[k] = d.criteria[k].slice(); });
    return {
      id: d.id, answers: Object.assign({}, d.answers || {}), criteria: criteria,
      notes: Object.assign({}, d.notes || {}), veto: d.veto == null ? null : d.veto.slice(),
      fix: d.fix ? Object.assign({}, d.fix) : null, seqs: Object.assign({}, d.seqs || {})
    };
  }

  function applyGrade(item, draft) {
    var met = draft.criteria[item.code] || [];
    var complete = met.length === item.criteria.length && met.every(function (m) { return m !== null && m !== undefined; });
    if (complete) draft.answers[item.code] = gradeFromCriteria(item, met);
    else if (met.some(function (m) { return m !== null && m !== undefined; })) delete draft.answers[item.code];
    else delete draft.criteria[item.code];
  }

  /**
   * The draft with `ops` applied in order, each only when its number is higher than its
   * field's: the same rule as the server's, so that what the tablet shows while changes wait
   * is what the server will store. Returns {draft, applied, stale} (sequence numbers).
   */
  function applyOps(rubric, draft, ops) {
    var d = copyDraft(draft);
    var applied = [], stale = [];
    ops.forEach(function (op) {
      if (op.kind === "photo_delete") return;
      var name = field(op);
      if (op.seq <= (d.seqs[name] || 0)) { stale.push(op.seq); return; }
      d.seqs[name] = op.seq;
      applied.push(op.seq);
      var item = rubric.byCode[op.item];
      if (op.kind === "answer") {
        if (op.value === null || op.value === undefined) {
          delete d.answers[op.item];
          if (item.type === "grade") clearCriteria(item, d, op.seq);
        } else {
          d.answers[op.item] = op.value;
        }
      } else if (op.kind === "criterion") {
        var met = (d.criteria[op.item] || []).slice();
        while (met.length < item.criteria.length) met.push(null);
        met[op.index] = op.value === undefined ? null : op.value;
        d.criteria[op.item] = met.slice(0, item.criteria.length);
        applyGrade(item, d);
      } else if (op.kind === "note") {
        var text = (op.value || "").trim();
        if (text) d.notes[op.item] = text; else delete d.notes[op.item];
      } else if (op.kind === "veto") {
        d.veto = op.value == null ? null : rubric.veto.map(function (v) { return v.code; })
          .filter(function (c) { return op.value.indexOf(c) >= 0; });
      } else if (op.kind === "fix") {
        d.fix = op.value == null ? null : Object.assign({}, op.value,
          op.value.source === "manual" ? {accuracy_m: null} : {});
      }
    });
    return {draft: d, applied: applied, stale: stale};
  }

  function clearCriteria(item, d, seq) {
    var met = (d.criteria[item.code] || []).slice();
    while (met.length < item.criteria.length) met.push(null);
    for (var i = 0; i < met.length; i++) {
      var name = "criterion:" + item.code + ":" + i;
      if ((d.seqs[name] || 0) < seq) { met[i] = null; d.seqs[name] = seq; }
    }
    if (met.some(function (m) { return m !== null; })) d.criteria[item.code] = met;
    else delete d.criteria[item.code];
  }

  // --- the position (survey/gps.py) -------------------------------------------------------

  var EARTH_RADIUS_M = 6371008.8;

  function haversine(lon1, lat1, lon2, lat2) {
    var rad = Math.PI / 180;
    var p1 = lat1 * rad, p2 = lat2 * rad, dp = p2 - p1, dl = (lon2 - lon1) * rad;
    var a = Math.pow(Math.sin(dp / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
  }

  /**
   * `x` with `digits` decimals as Python's format(x, ".Nf") writes it: the double's exact value
   * rounded half to even (JavaScript's toFixed rounds an exact tie up: 150.5 -> "151", where
   * Python writes "150").
   */
  function fixed(x, digits) {
    if (!isFinite(x)) return String(x);
    var negative = x < 0 || (x === 0 && 1 / x < 0);
    var exact = Math.abs(x).toFixed(100); // every double >= 2^-47 in full
    var dot = exact.indexOf(".");
    var whole = exact.slice(0, dot), frac = exact.slice(dot + 1);
    var kept = whole + frac.slice(0, digits), rest = frac.slice(digits);
    var up = false;
    if (rest.charAt(0) > "5" || (rest.charAt(0) === "5" && /[1-9]/.test(rest.slice(1)))) up = true;
    else if (rest.charAt(0) === "5") up = parseInt(kept.charAt(kept.length - 1), 10) % 2 === 1;
    var n = BigInt(kept) + (up ? 1n : 0n);
    var text = n.toString();
    if (digits > 0) {
      while (text.length <= digits) text = "0" + text;
      text = text.slice(0, text.length - digits) + "." + text.slice(text.length - digits);
    }
    return (negative && /[1-9]/.test(text) ? "-" : "") + text;
  }

  /** survey.gps._plain: 100.0 -> "100", 2.5 -> "2.5". */
  function plain(x) { return fixed(x, 3).replace(/0+$/, "").replace(/\.$/, ""); }

  /** survey.gps.check: [{key, value, limit}] for poor accuracy and a point far from the
   *  village, with the county's limits (metres; the distance's limit shown in km). */
  function gpsWarnings(fix, village, limitsOf) {
    var out = [];
    if (!fix) return out;
    if (fix.accuracy_m !== null && fix.accuracy_m !== undefined && fix.accuracy_m > limitsOf.accuracy_m) {
      out.push({key: "gps_accuracy", value: fixed(fix.accuracy_m, 0), limit: plain(limitsOf.accuracy_m)});
    }
    if (village.lon !== null && village.lon !== undefined && village.lat !== null && village.lat !== undefined) {
      var distance = haversine(fix.lon, fix.lat, village.lon, village.lat);
      if (distance > limitsOf.distance_m) {
        out.push({key: "gps_distance", value: fixed(distance / 1000, 1), limit: plain(limitsOf.distance_m / 1000)});
      }
    }
    return out;
  }

  /** A catalogue template filled in (plain text: the page shows it with textContent). */
  function fill(template, fields) {
    return String(template).replace(/\{\{|\}\}|\{(\w+)\}/g, function (whole, name) {
      if (whole === "{{") return "{";
      if (whole === "}}") return "}";
      return fields && fields[name] !== undefined ? String(fields[name]) : whole;
    });
  }

  return {
    dec: dec, add: add, sub: sub, mul: mul, cmp: cmp, fmt: fmt, ZERO: ZERO,
    prepare: prepare, gradeNames: gradeNames, validAnswer: validAnswer, itemPoints: itemPoints,
    isFinding: isFinding, gradeFromCriteria: gradeFromCriteria, partial: partial,
    needsEvidence: needsEvidence, needsPhoto: needsPhoto, answerOf: answerOf, unmetFromMet: unmetFromMet, missing: missing, field: field,
    applyOps: applyOps, copyDraft: copyDraft, haversine: haversine, gpsWarnings: gpsWarnings, fill: fill,
    fixed: fixed
  };
})();

if (typeof module !== "undefined" && module.exports) module.exports = XFRules;
