// Long-running worker around the reference (Digital Bazaar) VC stack.
//
// Protocol: one JSON request per line on stdin, one JSON response per line on
// stdout, in request order. A request may carry an "id" (any JSON value); the
// response echoes it. Every response has "ok" and "elapsedMs" (time spent in
// the worker). Errors never end the worker: they come back as
// {"ok": false, "error": {"name", "message", ...}}. See README.md.
//
// Nothing here may reach the network: documents come from ./loader.mjs.
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {createInterface} from 'node:readline';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {
  createSignCryptosuite as createJcsSignCryptosuite,
  createVerifyCryptosuite as createJcsVerifyCryptosuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus as bslCheckStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {createDocumentLoader} from './loader.mjs';

// Keep stdout for protocol lines only: anything a library logs goes to stderr.
for(const level of ['log', 'info', 'debug', 'warn']) {
  console[level] = (...args) => process.stderr.write(
    args.map(a => (typeof a === 'string' ? a : safeJson(a))).join(' ') + '\n');
}
process.on('unhandledRejection', e => {
  process.stderr.write(`worker: unhandled rejection: ${e?.stack || e}\n`);
});
process.on('uncaughtException', e => {
  process.stderr.write(`worker: uncaught exception: ${e?.stack || e}\n`);
});

const SUITES = new Set(['eddsa-rdfc-2022', 'eddsa-jcs-2022']);

class RequestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RequestError';
  }
}

function safeJson(value) {
  try {
    return JSON.stringify(toJsonable(value));
  } catch(e) {
    return String(value);
  }
}

// Turns a library result (with Error objects, Dates, typed arrays, cycles)
// into plain JSON. Errors become {name, message} plus the useful extras
// (`errors` of a VerificationError, `cause`, jsonld.js `details`/`code`).
export function toJsonable(value, seen = new WeakSet(), depth = 0) {
  if(depth > 12) {
    return '[too deep]';
  }
  if(value === null || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if(typeof value === 'number') {
    return Number.isFinite(value) ? value : String(value);
  }
  if(typeof value === 'bigint') {
    return value.toString();
  }
  if(typeof value === 'undefined' || typeof value === 'function' ||
    typeof value === 'symbol') {
    return undefined;
  }
  if(value instanceof Date) {
    return isNaN(value) ? null : value.toISOString();
  }
  if(ArrayBuffer.isView(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  }
  if(seen.has(value)) {
    return '[circular]';
  }
  seen.add(value);
  try {
    if(value instanceof Error) {
      const out = {name: value.name || 'Error', message: String(value.message)};
      if(value.code !== undefined) {
        out.code = toJsonable(value.code, seen, depth + 1);
      }
      if(Array.isArray(value.errors)) {
        out.errors = value.errors.map(e => toJsonable(e, seen, depth + 1));
      }
      if(value.details !== undefined) {
        out.details = toJsonable(value.details, seen, depth + 1);
      }
      if(value.cause !== undefined) {
        out.cause = toJsonable(value.cause, seen, depth + 1);
      }
      return out;
    }
    if(Array.isArray(value)) {
      return value.map(v => {
        const j = toJsonable(v, seen, depth + 1);
        return j === undefined ? null : j;
      });
    }
    if(value instanceof Map) {
      return toJsonable(Object.fromEntries(value), seen, depth + 1);
    }
    const out = {};
    for(const [k, v] of Object.entries(value)) {
      const j = toJsonable(v, seen, depth + 1);
      if(j !== undefined) {
        out[k] = j;
      }
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function requireObject(request, key) {
  const value = request[key];
  if(!(value && typeof value === 'object' && !Array.isArray(value))) {
    throw new RequestError(`"${key}" must be a JSON object.`);
  }
  return value;
}

function optionalString(request, key) {
  const value = request[key];
  if(value !== undefined && value !== null && typeof value !== 'string') {
    throw new RequestError(`"${key}" must be a string when given.`);
  }
  return value ?? undefined;
}

function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: rdfcCryptosuite}),
    new DataIntegrityProof({cryptosuite: createJcsVerifyCryptosuite()})
  ];
}

async function sign(request) {
  const document = structuredClone(requireObject(request, 'document'));
  const suiteName = request.suite ?? 'eddsa-rdfc-2022';
  if(!SUITES.has(suiteName)) {
    throw new RequestError(`Unknown "suite" ${JSON.stringify(suiteName)}.`);
  }
  const publicKeyMultibase = optionalString(request, 'publicKeyMultibase');
  const secretKeyMultibase = optionalString(request, 'secretKeyMultibase');
  if(!publicKeyMultibase || !secretKeyMultibase) {
    throw new RequestError('"publicKeyMultibase" and "secretKeyMultibase" are required.');
  }
  const purpose = request.purpose ?? 'assertionMethod';
  if(purpose !== 'assertionMethod' && purpose !== 'authentication') {
    throw new RequestError(
      `"purpose" must be "assertionMethod" or "authentication", got ${JSON.stringify(purpose)}.`);
  }
  const challenge = optionalString(request, 'challenge');
  const domain = optionalString(request, 'domain');
  const created = optionalString(request, 'created');

  const controller = `did:key:${publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.from({
    type: 'Multikey',
    id: `${controller}#${publicKeyMultibase}`,
    controller,
    publicKeyMultibase,
    secretKeyMultibase
  });
  const cryptosuite = suiteName === 'eddsa-rdfc-2022' ?
    rdfcCryptosuite : createJcsSignCryptosuite();
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), date: created, cryptosuite
  });
  const documentLoader = createDocumentLoader({extraDocuments: request.extraDocuments});

  let signed;
  if(purpose === 'assertionMethod') {
    if(challenge !== undefined || domain !== undefined) {
      throw new RequestError(
        '"challenge"/"domain" are only used with purpose "authentication".');
    }
    signed = await vc.issue({credential: document, suite, documentLoader});
  } else {
    if(challenge === undefined) {
      throw new RequestError('"challenge" is required with purpose "authentication".');
    }
    signed = await vc.signPresentation({
      presentation: document, suite, documentLoader, challenge, domain
    });
  }
  return {document: signed};
}

// Wraps @digitalbazaar/vc-bitstring-status-list's checkStatus. That library
// reports verified=true whenever it could check the status, and returns the bit
// as results[i].status; here a set bit for the "revocation" or "suspension"
// purpose also makes the status result (and so the credential) not verified.
async function checkBitstringStatus(options) {
  const result = await bslCheckStatus({
    ...options,
    verifyBitstringStatusListCredential: true,
    verifyMatchingIssuers: true
  });
  if(result.verified) {
    const set = (result.results || []).filter(r => r.status === true &&
      ['revocation', 'suspension'].includes(r.credentialStatus?.statusPurpose));
    if(set.length > 0) {
      result.verified = false;
      const error = new Error(set.map(r =>
        `status bit ${r.credentialStatus.statusListIndex} of ` +
        `"${r.credentialStatus.statusListCredential}" is set ` +
        `(statusPurpose "${r.credentialStatus.statusPurpose}")`).join('; '));
      error.name = 'CredentialStatusError';
      result.error = error;
    }
  }
  return result;
}

// Used when the caller does not ask for a status check: @digitalbazaar/vc
// refuses a credential with `credentialStatus` unless a checkStatus function is
// given, so this one passes without looking.
async function skipStatus() {
  return {verified: true, skipped: true};
}

async function verify(request) {
  const document = structuredClone(requireObject(request, 'document'));
  const kind = request.kind ?? 'credential';
  const challenge = optionalString(request, 'challenge');
  const domain = optionalString(request, 'domain');
  const now = optionalString(request, 'now');
  const documentLoader = createDocumentLoader({extraDocuments: request.extraDocuments});
  const checkStatus = request.checkStatus ? checkBitstringStatus : skipStatus;
  const common = {suite: verifySuites(), documentLoader, checkStatus};
  // @digitalbazaar/vc's default purpose for credentials (CredentialIssuancePurpose)
  // also requires the verification method's controller to be the credential's
  // issuer; checkIssuer=false uses a plain AssertionProofPurpose instead.
  if(request.checkIssuer === false) {
    common.purpose = new jsigs.purposes.AssertionProofPurpose();
  } else if(request.checkIssuer !== undefined && request.checkIssuer !== true) {
    throw new RequestError('"checkIssuer" must be a boolean when given.');
  }
  if(now !== undefined) {
    common.now = now;
  }
  let result;
  if(kind === 'credential') {
    if(challenge !== undefined || domain !== undefined) {
      throw new RequestError('"challenge"/"domain" are only used with kind "presentation".');
    }
    result = await vc.verifyCredential({...common, credential: document});
  } else if(kind === 'presentation') {
    const options = {...common, presentation: document, domain};
    if(challenge === undefined) {
      // without a challenge only the embedded credentials can be checked
      options.unsignedPresentation = true;
    } else {
      options.challenge = challenge;
    }
    result = await vc.verify(options);  // vc 7.x: verify() is the presentation verifier
  } else {
    throw new RequestError(
      `"kind" must be "credential" or "presentation", got ${JSON.stringify(kind)}.`);
  }
  return {verified: result.verified === true, result: toJsonable(result)};
}

async function load(request) {
  const url = optionalString(request, 'url');
  if(!url) {
    throw new RequestError('"url" is required.');
  }
  const documentLoader = createDocumentLoader({extraDocuments: request.extraDocuments});
  const {document} = await documentLoader(url);
  return {document};
}

// Runs one sign/verify request `iterations` times in-process (after `warmup`
// runs) and reports the throughput without any IPC cost.
async function bench(request) {
  const inner = requireObject(request, 'request');
  if(!['sign', 'verify'].includes(inner.op)) {
    throw new RequestError('"request.op" must be "sign" or "verify".');
  }
  const iterations = Number.isInteger(request.iterations) ? request.iterations : 100;
  const warmup = Number.isInteger(request.warmup) ? request.warmup : 10;
  if(iterations < 1 || iterations > 100000) {
    throw new RequestError('"iterations" must be 1..100000.');
  }
  const handler = OPS[inner.op];
  let last;
  for(let i = 0; i < warmup; ++i) {
    last = await handler(inner);
  }
  const start = process.hrtime.bigint();
  for(let i = 0; i < iterations; ++i) {
    last = await handler(inner);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const out = {
    iterations, seconds, perSecond: iterations / seconds,
    msPerOp: seconds * 1000 / iterations
  };
  if(inner.op === 'verify') {
    out.verified = last.verified;
  }
  return out;
}

const OPS = {
  ping: async () => ({
    node: process.version,
    versions: PACKAGE_VERSIONS
  }),
  sign,
  verify,
  load,
  bench
};

async function packageVersions() {
  const names = [
    '@digitalbazaar/vc',
    '@digitalbazaar/data-integrity',
    '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
    '@digitalbazaar/eddsa-jcs-2022-cryptosuite',
    '@digitalbazaar/ed25519-multikey',
    '@digitalbazaar/did-method-key',
    '@digitalbazaar/vc-bitstring-status-list',
    'jsonld-signatures',
    'jsonld',
    'rdf-canonize'
  ];
  const {readFile} = await import('node:fs/promises');
  const versions = {};
  for(const name of names) {
    try {
      const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
      versions[name] = JSON.parse(await readFile(url, 'utf8')).version;
    } catch(e) {
      versions[name] = null;
    }
  }
  return versions;
}

const PACKAGE_VERSIONS = await packageVersions();

async function handleLine(line) {
  const start = process.hrtime.bigint();
  let id = null;
  let response;
  try {
    let request;
    try {
      request = JSON.parse(line);
    } catch(e) {
      throw new RequestError(`Request is not valid JSON: ${e.message}`);
    }
    if(!(request && typeof request === 'object' && !Array.isArray(request))) {
      throw new RequestError('Request must be a JSON object.');
    }
    id = request.id ?? null;
    const handler = Object.hasOwn(OPS, request.op) ? OPS[request.op] : undefined;
    if(!handler) {
      throw new RequestError(`Unknown "op" ${JSON.stringify(request.op)}.`);
    }
    response = {ok: true, ...(await handler(request))};
  } catch(e) {
    response = {ok: false, error: toJsonable(e instanceof Error ? e : new Error(String(e)))};
  }
  response.id = id;
  response.elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  let text;
  try {
    text = JSON.stringify(response);
  } catch(e) {
    text = JSON.stringify({
      ok: false, id, error: {name: 'SerializationError', message: e.message}
    });
  }
  process.stdout.write(text + '\n');
}

// Requests are handled one at a time, in order.
const lines = createInterface({input: process.stdin, crlfDelay: Infinity});
let queue = Promise.resolve();
lines.on('line', line => {
  if(line.trim() === '') {
    return;
  }
  queue = queue.then(() => handleLine(line));
});
lines.on('close', () => {
  queue.then(() => process.stdout.write('', () => process.exit(0)));
});
