// 乡风 Xiangfeng: what the tablet reads from a photo file before it is made smaller: its kind and
// size from the header (JPEG, PNG, HEIC: the same kinds the server takes; the pixel limit is
// checked before anything is decoded), and from a JPEG's EXIF its orientation, capture time and
// GPS position. And SHA-256 of the original file, for pages where the browser has no
// crypto.subtle (plain HTTP on the LAN). A classic script: appended before tablet.js, loaded by
// Node in tests/test_tablet_rules.py.
"use strict";

var XFPhoto = (function () {
  var MAX_ENTRIES = 512; // an IFD with more entries than this is not a camera's

  /**
   * {kind: "jpeg"|"png"|"heic"|null, width, height, orientation, taken, gps} of a file's first
   * bytes (a Uint8Array). `kind` null: not a photo this app takes. width/height as stored
   * (before the orientation turns it); null when the header does not say (HEIC).
   */
  function inspect(bytes) {
    var out = {kind: null, width: null, height: null, orientation: 1, taken: null, gps: null};
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
      out.kind = "jpeg";
      readJpeg(bytes, out);
    } else if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
               bytes[3] === 0x47 && bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52) {
      out.kind = "png";
      out.width = u32(bytes, 16, false);
      out.height = u32(bytes, 20, false);
    } else if (bytes.length >= 12 && ascii(bytes, 4, 4) === "ftyp" &&
               /^(heic|heix|hevc|hevx|heim|heis|mif1|msf1|avif)$/.test(ascii(bytes, 8, 4))) {
      out.kind = ascii(bytes, 8, 4) === "avif" ? null : "heic";
    }
    return out;
  }

  function u16(b, i, little) { return little ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]; }
  function u32(b, i, little) {
    return little ? (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 16777216
                  : b[i] * 16777216 + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
  }
  function ascii(b, i, n) {
    var s = "";
    for (var k = i; k < i + n && k < b.length; k++) s += String.fromCharCode(b[k]);
    return s;
  }

  function readJpeg(b, out) {
    var i = 2;
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) return;
      var marker = b[i + 1];
      if (marker === 0xff) { i += 1; continue; } // fill bytes
      if (marker === 0xd9 || marker === 0xda) return; // end, or the picture data begins
      if (marker >= 0xd0 && marker <= 0xd7) { i += 2; continue; }
      var length = u16(b, i + 2, false);
      if (length < 2) return;
      var start = i + 4;
      if (marker === 0xe1 && out.taken === null && ascii(b, start, 6) === "Exif\u0000\u0000") {
        try { readTiff(b, start + 6, Math.min(b.length, start + length - 2), out); } catch (e) { /* a broken EXIF is no EXIF */ }
      } else if ((marker >= 0xc0 && marker <= 0xcf) && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        if (start + 5 <= b.length) {
          out.height = u16(b, start + 1, false);
          out.width = u16(b, start + 3, false);
        }
      }
      i = start + length - 2;
    }
  }

  function readTiff(b, base, end, out) {
    var order = ascii(b, base, 2);
    if (order !== "II" && order !== "MM") return;
    var little = order === "II";
    if (u16(b, base + 2, little) !== 42) return;
    var ifd0 = entries(b, base, end, u32(b, base + 4, little), little);
    if (ifd0[0x0112]) {
      var o = ifd0[0x0112].short;
      if (o >= 1 && o <= 8) out.orientation = o;
    }
    if (ifd0[0x8769]) {
      var exif = entries(b, base, end, ifd0[0x8769].long, little);
      var when = exif[0x9003] || exif[0x9004];
      if (when) out.taken = exifTime(when.text, exif[0x9011] ? exif[0x9011].text : "");
    }
    if (ifd0[0x8825]) {
      var g = entries(b, base, end, ifd0[0x8825].long, little);
      var lat = degrees(b, base, end, g[2], little), lon = degrees(b, base, end, g[4], little);
      if (lat !== null && lon !== null) {
        if (g[1] && g[1].text.charAt(0) === "S") lat = -lat;
        if (g[3] && g[3].text.charAt(0) === "W") lon = -lon;
        if (isFinite(lat) && isFinite(lon) && (lat !== 0 || lon !== 0)) out.gps = [lon, lat];
      }
    }
  }

  var SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8};

  function entries(b, base, end, offset, little) {
    var found = {};
    var at = base + offset;
    if (offset < 8 || at + 2 > end) return found;
    var n = u16(b, at, little);
    if (n > MAX_ENTRIES) return found;
    for (var k = 0; k < n; k++) {
      var e = at + 2 + k * 12;
      if (e + 12 > end) break;
      var tag = u16(b, e, little), type = u16(b, e + 2, little), count = u32(b, e + 4, little);
      var size = (SIZES[type] || 0) * count;
      var where = size <= 4 ? e + 8 : base + u32(b, e + 8, little);
      if (!SIZES[type] || where + size > end || count > 65535) continue;
      found[tag] = {
        type: type, count: count, at: where,
        short: u16(b, e + 8, little), long: u32(b, e + 8, little),
        text: type === 2 ? ascii(b, where, count).replace(/\u0000[\s\S]*$/, "") : ""
      };
    }
    return found;
  }

  function degrees(b, base, end, entry, little) {
    if (!entry || entry.type !== 5 || entry.count !== 3) return null;
    var parts = [];
    for (var k = 0; k < 3; k++) {
      var num = u32(b, entry.at + k * 8, little), den = u32(b, entry.at + k * 8 + 4, little);
      if (!den) return null;
      parts.push(num / den);
    }
    return parts[0] + parts[1] / 60 + parts[2] / 3600;
  }

  /** "2026:07:02 10:15:33" (+ "+08:00") -> "2026-07-02T10:15:33" (the camera's clock; the
   *  server shows it as the capture time, marked as from the EXIF). */
  function exifTime(text, offset) {
    var m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(text || "");
    if (!m || m[1] === "0000") return null;
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":" + (m[6] || "00") +
      (/^[+-]\d{2}:\d{2}$/.test(offset || "") ? offset : "");
  }

  // --- SHA-256 (FIPS 180-4), for pages without crypto.subtle --------------------------------

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];

  function sha256(bytes) {
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var n = bytes.length;
    var total = Math.ceil((n + 9) / 64) * 64;
    var tail = new Uint8Array(total - Math.floor(n / 64) * 64);
    tail.set(bytes.subarray(Math.floor(n / 64) * 64));
    tail[n % 64] = 0x80;
    var bits = n * 8;
    for (var k = 0; k < 8; k++) tail[tail.length - 1 - k] = Math.floor(bits / Math.pow(2, 8 * k)) & 0xff;
    var w = new Int32Array(64);
    var blocks = total / 64, full = Math.floor(n / 64);
    for (var blk = 0; blk < blocks; blk++) {
      var src = blk < full ? bytes : tail, off = blk < full ? blk * 64 : (blk - full) * 64;
      for (var t = 0; t < 16; t++) {
        w[t] = (src[off + 4 * t] << 24) | (src[off + 4 * t + 1] << 16) | (src[off + 4 * t + 2] << 8) | src[off + 4 * t + 3];
      }
      for (t = 16; t < 64; t++) {
        var a15 = w[t - 15], a2 = w[t - 2];
        var s0 = ((a15 >>> 7) | (a15 << 25)) ^ ((a15 >>> 18) | (a15 << 14)) ^ (a15 >>> 3);
        var s1 = ((a2 >>> 17) | (a2 << 15)) ^ ((a2 >>> 19) | (a2 << 13)) ^ (a2 >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
    }
    return h.map(function (x) { return ("00000000" + (x >>> 0).toString(16)).slice(-8); }).join("");
  }

  return {inspect: inspect, exifTime: exifTime, sha256: sha256};
})();

if (typeof module !== "undefined" && module.exports) module.exports = XFPhoto;
