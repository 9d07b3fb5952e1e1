// edl-qr.js: the holder's part of the live QR code, format EDL1 (docs/qr-format.md), for the web
// wallet. The device key is a WebCrypto ECDSA P-256 CryptoKey (non-extractable, kept in IndexedDB);
// this module builds the bytes it signs (HolderSigned), the payload, the Base45 text, and draws the
// symbol at level M in alphanumeric mode with the vendored qrcode-generator. An ES module with no
// build step; it runs unchanged in the browser and in Node 20 (the unit tests).

import qrcode from '../vendor/qrcode-generator/qrcode.mjs';

/** The prefix that names the format and its version. */
export const PREFIX = 'EDL1:';
/** The domain separator the device signs under. */
export const CONTEXT = 'EDL1';
/** The longest compact credential (bytes), docs/qr-format.md §9. */
export const MAX_CREDENTIAL_BYTES = 2048;
/** The longest challenge a verifier may show (bytes). */
export const MAX_CHALLENGE_BYTES = 32;
/** Purpose codes (docs/qr-format.md §4). */
export const PURPOSES = Object.freeze({
  roadside: 1,
  business_window: 2,
  car_rental: 3,
  transport_company: 4,
  insurer: 5,
});

// ---------------------------------------------------------------------------------------------
// Base45 (RFC 9285)

/** The Base45 alphabet; every character is also a QR alphanumeric character. */
export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/**
 * Base45 (RFC 9285): two bytes to three characters, one trailing byte to two, least significant
 * digit first.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base45Encode(bytes) {
  requireBytes(bytes, 'base45Encode: the input');
  let out = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    const e = (n - d) / 45;
    out += BASE45_ALPHABET[c] + BASE45_ALPHABET[d] + BASE45_ALPHABET[e];
  }
  if (i < bytes.length) {
    const n = bytes[i];
    out += BASE45_ALPHABET[n % 45] + BASE45_ALPHABET[(n - (n % 45)) / 45];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CBOR writer: exactly what the holder builds (RFC 8949 deterministic: definite lengths, shortest
// heads). Unsigned integers, byte strings, text strings and arrays; anything else is refused.

const MAJOR_UINT = 0;
const MAJOR_BSTR = 2;
const MAJOR_TSTR = 3;
const MAJOR_ARRAY = 4;

function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >>> 8, n & 0xff];
  if (n < 0x100000000) return [m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  // Up to 2^53 - 1 (callers check Number.isSafeInteger): split into two 32-bit halves exactly.
  const high = Math.floor(n / 0x100000000);
  const low = n - high * 0x100000000;
  return [
    m | 27,
    (high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff,
    low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff,
  ];
}

function encodeInto(out, value, depth) {
  if (depth > 8) throw new Error('CBOR encoder: nesting deeper than 8');
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`CBOR encoder: only unsigned safe integers are written, not ${value}`);
    }
    out.push(...head(MAJOR_UINT, value));
  } else if (value instanceof Uint8Array) {
    out.push(...head(MAJOR_BSTR, value.length));
    for (const b of value) out.push(b);
  } else if (typeof value === 'string') {
    const utf8 = new TextEncoder().encode(value);
    out.push(...head(MAJOR_TSTR, utf8.length));
    for (const b of utf8) out.push(b);
  } else if (Array.isArray(value)) {
    out.push(...head(MAJOR_ARRAY, value.length));
    for (const item of value) encodeInto(out, item, depth + 1);
  } else {
    throw new Error(`CBOR encoder: cannot write a value of type ${typeof value}`);
  }
}

/**
 * Deterministic CBOR for unsigned integers (Number), byte strings (Uint8Array), text strings and
 * arrays of these.
 * @returns {Uint8Array}
 */
export function cborEncode(value) {
  const out = [];
  encodeInto(out, value, 0);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// The holder's structures (docs/qr-format.md §3)

/**
 * The bytes the device signs: CBOR `["EDL1", bstr credential, uint generated, uint purpose,
 * bstr challenge]`.
 * @param {Uint8Array} credentialBytes the compact credential, exactly as issued
 * @param {number} generatedSeconds 生成时间, whole seconds since 1970-01-01T00:00:00Z
 * @param {number} purposeCode 1..5
 * @param {Uint8Array} challengeBytes the verifier's challenge, empty when none was shown
 * @returns {Uint8Array}
 */
export function holderSignedBytes(credentialBytes, generatedSeconds, purposeCode, challengeBytes) {
  checkInputs(credentialBytes, generatedSeconds, purposeCode, challengeBytes);
  return cborEncode([CONTEXT, credentialBytes, generatedSeconds, purposeCode, challengeBytes]);
}

/**
 * The QR text `EDL1:` ‖ Base45(CBOR [credential, generated, challenge, signature]), the device
 * signature made with WebCrypto ECDSA P-256 / SHA-256 (r ‖ s, 64 bytes: the COSE form).
 * @param {Uint8Array} credentialBytes
 * @param {number} purposeCode must be the credential's own purpose (claim 1)
 * @param {number} generatedSeconds
 * @param {Uint8Array} challengeBytes
 * @param {CryptoKey} privateKey an ECDSA P-256 private key with usage `sign`
 * @returns {Promise<string>}
 */
export async function makeQrText(credentialBytes, purposeCode, generatedSeconds, challengeBytes, privateKey) {
  checkInputs(credentialBytes, generatedSeconds, purposeCode, challengeBytes);
  const own = purposeOfCredential(credentialBytes);
  if (own !== purposeCode) {
    throw new Error(`makeQrText: the credential is for purpose ${own}, not ${purposeCode}`);
  }
  const signed = holderSignedBytes(credentialBytes, generatedSeconds, purposeCode, challengeBytes);
  const signature = new Uint8Array(
    await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, signed),
  );
  if (signature.length !== 64) {
    throw new Error(`makeQrText: the device signature is ${signature.length} bytes, not 64 (r ‖ s)`);
  }
  const payload = cborEncode([credentialBytes, generatedSeconds, challengeBytes, signature]);
  return PREFIX + base45Encode(payload);
}

function checkInputs(credentialBytes, generatedSeconds, purposeCode, challengeBytes) {
  requireBytes(credentialBytes, 'the credential');
  requireBytes(challengeBytes, 'the challenge');
  if (credentialBytes.length < 1 || credentialBytes.length > MAX_CREDENTIAL_BYTES) {
    throw new Error(`the credential is ${credentialBytes.length} bytes, not 1 to ${MAX_CREDENTIAL_BYTES}`);
  }
  if (challengeBytes.length > MAX_CHALLENGE_BYTES) {
    throw new Error(`the challenge is ${challengeBytes.length} bytes, more than the ${MAX_CHALLENGE_BYTES} allowed`);
  }
  if (!Number.isSafeInteger(generatedSeconds) || generatedSeconds < 0) {
    throw new Error('the generation time must be whole seconds since 1970, not before');
  }
  if (!Number.isInteger(purposeCode) || purposeCode < 1 || purposeCode > 5) {
    throw new Error(`the purpose code must be 1 to 5, not ${purposeCode}`);
  }
}

function requireBytes(value, what) {
  if (!(value instanceof Uint8Array)) throw new Error(`${what} must be a Uint8Array`);
}

// ---------------------------------------------------------------------------------------------
// Reading the purpose out of a compact credential: a strict CBOR reader, just enough for the
// COSE_Sign1 and its claims (definite lengths, shortest heads, no tags, no floats, no trailing
// bytes, every length checked against the bytes left before it is used).

const MAX_DEPTH = 16;

class Reader {
  constructor(bytes, what) {
    this.bytes = bytes;
    this.pos = 0;
    this.what = what;
  }

  fail(why) {
    return new Error(`malformed ${this.what}: ${why} (at byte ${this.pos})`);
  }

  byte() {
    if (this.pos >= this.bytes.length) throw this.fail('it ends too early');
    return this.bytes[this.pos++];
  }

  /**
   * A head: { major, value }. An argument beyond 2^53 - 1 (only an integer value can be one, e.g.
   * a 证号) is returned as Infinity: as a length it is longer than any input.
   */
  head() {
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info > 27) throw this.fail('an indefinite length or reserved head');
    if (major === 7) {
      // Simple values: only false, true and null are allowed (no floats, no undefined).
      if (info >= 20 && info <= 22) return { major, value: info };
      throw this.fail('a float or simple value other than false/true/null');
    }
    if (info < 24) return { major, value: info };
    const size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
    if (this.bytes.length - this.pos < size) throw this.fail('it ends inside a head');
    let big = 0n;
    for (let i = 0; i < size; i++) big = (big << 8n) | BigInt(this.bytes[this.pos++]);
    const minimum = [24n, 0x100n, 0x10000n, 0x100000000n][info - 24];
    if (big < minimum) throw this.fail('a head not in its shortest form');
    const value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : Infinity;
    return { major, value };
  }

  /** The content of a byte or text string whose head was read. */
  take(length) {
    if (length > this.bytes.length - this.pos) throw this.fail('a string longer than the bytes left');
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  expect(major, what) {
    const h = this.head();
    if (h.major !== major) throw this.fail(`${what} has the wrong type`);
    return h.value;
  }

  /** Skips one complete item, checking it the same way. */
  skip(depth) {
    if (depth > MAX_DEPTH) throw this.fail(`nested deeper than ${MAX_DEPTH}`);
    const { major, value } = this.head();
    switch (major) {
      case 0: case 1: case 7:
        return;
      case 2:
        this.take(value);
        return;
      case 3:
        utf8(this.take(value), this);
        return;
      case 4:
        // Every item is at least one byte: a count beyond the bytes left is refused before looping.
        if (value > this.bytes.length - this.pos) throw this.fail('an array longer than the bytes left');
        for (let i = 0; i < value; i++) this.skip(depth + 1);
        return;
      case 5: {
        if (value > (this.bytes.length - this.pos) / 2) throw this.fail('a map longer than the bytes left');
        const keys = new Set();
        for (let i = 0; i < value; i++) {
          const start = this.pos;
          this.skip(depth + 1);
          const key = Array.from(this.bytes.subarray(start, this.pos)).join(',');
          if (keys.has(key)) throw this.fail('a duplicate map key');
          keys.add(key);
          this.skip(depth + 1);
        }
        return;
      }
      default: // 6: tags
        throw this.fail('a tag');
    }
  }

  end() {
    if (this.pos !== this.bytes.length) throw this.fail('trailing bytes');
  }
}

function utf8(bytes, reader) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw reader.fail('a text string that is not UTF-8');
  }
}

const PROTECTED_ES256 = [0xa1, 0x01, 0x26];

/**
 * The purpose code (claim 1) of a compact credential (COSE_Sign1 over the claims). Reads the
 * structure strictly and throws an Error saying what is wrong on anything else. Does not verify the
 * issuer's signature: the wallet holds what the platform issued it; verifiers check.
 * @param {Uint8Array} credentialBytes
 * @returns {number} 1..5
 */
export function purposeOfCredential(credentialBytes) {
  requireBytes(credentialBytes, 'the credential');
  if (credentialBytes.length < 1 || credentialBytes.length > MAX_CREDENTIAL_BYTES) {
    throw new Error(`malformed credential: ${credentialBytes.length} bytes, not 1 to ${MAX_CREDENTIAL_BYTES}`);
  }
  const r = new Reader(credentialBytes, 'credential');
  if (r.expect(MAJOR_ARRAY, 'the COSE_Sign1') !== 4) throw r.fail('the COSE_Sign1 is not an array of 4');
  const prot = r.take(r.expect(MAJOR_BSTR, 'the protected header'));
  if (prot.length !== 3 || prot.some((b, i) => b !== PROTECTED_ES256[i])) {
    throw r.fail("the protected header is not exactly h'A10126' (ES256)");
  }
  if (r.expect(5, 'the unprotected header') !== 1) throw r.fail('the unprotected header is not {4: kid}');
  if (r.expect(MAJOR_UINT, 'the unprotected header key') !== 4) throw r.fail('the unprotected header is not {4: kid}');
  if (r.take(r.expect(MAJOR_BSTR, 'the kid')).length !== 8) throw r.fail('the kid is not 8 bytes');
  const claimsBytes = r.take(r.expect(MAJOR_BSTR, 'the payload'));
  if (r.take(r.expect(MAJOR_BSTR, 'the signature')).length !== 64) throw r.fail('the signature is not 64 bytes');
  r.end();

  const c = new Reader(claimsBytes, 'credential claims');
  const entries = c.expect(5, 'the claims');
  if (entries > 6) throw c.fail(`${entries} claims, at most 6 are defined`);
  let purpose = null;
  const seen = new Set();
  for (let i = 0; i < entries; i++) {
    const key = c.expect(MAJOR_UINT, 'a claim key');
    if (key < 1 || key > 6) throw c.fail(`unknown claim key ${key}`);
    if (seen.has(key)) throw c.fail(`claim key ${key} twice`);
    seen.add(key);
    if (key === 1) {
      const value = c.expect(MAJOR_UINT, 'the purpose');
      if (value < 1 || value > 5) throw c.fail(`purpose code ${value}, not 1 to 5`);
      purpose = value;
    } else {
      c.skip(1);
    }
  }
  c.end();
  if (purpose === null) throw c.fail('no purpose (claim 1)');
  return purpose;
}

// ---------------------------------------------------------------------------------------------
// Drawing the symbol (docs/qr-format.md §7): level M, alphanumeric mode, 4-module quiet zone,
// black or dark red on white.

const QR_ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * The QR symbol of a text: its version (1..40), size in modules and a row-major matrix of dark
 * modules. Level M, one alphanumeric segment, the smallest version that holds it.
 * @param {string} text
 * @returns {{version: number, size: number, modules: boolean[][]}}
 */
export function qrMatrix(text) {
  if (typeof text !== 'string' || text.length === 0) throw new Error('qrMatrix: the text must be a non-empty string');
  if (!QR_ALPHANUMERIC.test(text)) {
    throw new Error('qrMatrix: the text has characters outside the QR alphanumeric set (an EDL1 text never does)');
  }
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Alphanumeric');
  try {
    qr.make();
  } catch (thrown) {
    // The vendored encoder throws strings (e.g. "code length overflow").
    throw new Error(`qrMatrix: the text does not fit a QR code at level M (${thrown})`);
  }
  const size = qr.getModuleCount();
  const modules = [];
  for (let row = 0; row < size; row++) {
    const line = [];
    for (let col = 0; col < size; col++) line.push(qr.isDark(row, col));
    modules.push(line);
  }
  return { version: (size - 17) / 4, size, modules };
}

/**
 * The QR code of a text as an SVG document fragment (a standalone `<svg>` element), every module a
 * whole number of pixels, with a 4-module quiet zone.
 * @param {string} text
 * @param {{moduleSize?: number, colour?: string}} [options] moduleSize in px (default 8); colour
 *   `#rrggbb` (default black; `#b00000` for the red code)
 * @returns {string}
 */
export function renderQr(text, options = {}) {
  const moduleSize = options.moduleSize ?? 8;
  const colour = options.colour ?? '#000000';
  if (!Number.isInteger(moduleSize) || moduleSize < 1 || moduleSize > 64) {
    throw new Error('renderQr: moduleSize must be a whole number of pixels, 1 to 64');
  }
  if (!/^#[0-9a-fA-F]{6}$/.test(colour)) throw new Error('renderQr: colour must be #rrggbb');
  const { size, modules } = qrMatrix(text);
  const quiet = 4;
  const total = size + 2 * quiet;
  let path = '';
  for (let row = 0; row < size; row++) {
    let col = 0;
    while (col < size) {
      if (!modules[row][col]) { col++; continue; }
      const start = col;
      while (col < size && modules[row][col]) col++;
      path += `M${start + quiet} ${row + quiet}h${col - start}v1h${start - col}z`;
    }
  }
  const px = total * moduleSize;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}" viewBox="0 0 ${total} ${total}" shape-rendering="crispEdges" role="img" aria-label="电子驾驶证二维码">`
    + `<rect width="${total}" height="${total}" fill="#ffffff"/>`
    + `<path d="${path}" fill="${colour}"/></svg>`;
}
