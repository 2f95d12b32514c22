// A static JSON-LD document loader for the reference (Digital Bazaar) stack.
//
// It never touches the network. It serves:
//   1. the pinned contexts listed in src/passport_vc/contexts/INDEX.json (the same
//      bytes the Python side uses), parsed with JSON.parse;
//   2. `did:key:` URLs, resolved locally by @digitalbazaar/did-method-key
//      (a bare DID gives the DID document, a DID URL with a fragment gives the
//      verification method with its own `@context`);
//   3. an optional per-call map of extra documents (URL -> document), for
//      did:web documents, status list credentials and the like. A URL with a
//      fragment that is not itself a key of the map is looked up inside the
//      document of its fragment-less URL (a node with that `id` under
//      `verificationMethod` or a verification relationship) and returned with
//      that document's `@context`, like did:key does. An extra document also
//      shadows did:key resolution for its exact URL.
// Anything else throws an Error that names the URL.
//
// The pinned contexts win over `extraDocuments`: jsonld.js caches resolved
// contexts by URL for the life of the process, so a context URL must always
// mean the same bytes within one worker.
import {readFileSync} from 'node:fs';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';

export const CONTEXTS_DIR = new URL('../src/passport_vc/contexts/', import.meta.url);

function loadPinnedContexts() {
  const index = JSON.parse(readFileSync(new URL('INDEX.json', CONTEXTS_DIR), 'utf8'));
  const map = new Map();
  for(const [url, entry] of Object.entries(index.contexts)) {
    const text = readFileSync(new URL(entry.file, CONTEXTS_DIR), 'utf8');
    map.set(url, Object.freeze(JSON.parse(text)));
  }
  return map;
}

export const PINNED_CONTEXTS = loadPinnedContexts();

const didKeyDriver = DidKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

export async function resolveDidKey(url) {
  return didKeyDriver.get({url});
}

function clone(document) {
  return structuredClone(document);
}

const NODE_PROPERTIES = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
];

// Finds the node `url` (base#fragment) inside the controller document `doc`
// served for `base`; ids may be absolute or relative ("#key-1").
function findNode(doc, base, url) {
  const fragment = url.slice(base.length);
  for(const property of NODE_PROPERTIES) {
    const values = doc[property] === undefined ? [] : [].concat(doc[property]);
    for(const node of values) {
      if(node && typeof node === 'object' &&
        (node.id === url || node.id === fragment)) {
        return {'@context': doc['@context'], ...node, id: url};
      }
    }
  }
  return undefined;
}

/**
 * Creates a document loader.
 *
 * @param {object} [options] - Options.
 * @param {object} [options.extraDocuments] - URL -> document (object, or a
 *   JSON string) served in addition to the pinned contexts and did:key.
 * @param {Array<string>} [options.log] - If given, every requested URL is
 *   pushed onto it (handy to see what the library asked for).
 * @returns {Function} An async `documentLoader(url)`.
 */
export function createDocumentLoader({extraDocuments = {}, log} = {}) {
  const extras = new Map(Object.entries(extraDocuments || {}));
  return async function documentLoader(url) {
    if(log) {
      log.push(url);
    }
    if(typeof url !== 'string') {
      throw new TypeError(`Static document loader: URL must be a string, got ${typeof url}.`);
    }
    const pinned = PINNED_CONTEXTS.get(url);
    if(pinned !== undefined) {
      return {contextUrl: null, documentUrl: url, document: clone(pinned)};
    }
    if(extras.has(url)) {
      let document = extras.get(url);
      if(typeof document === 'string') {
        document = JSON.parse(document);
      }
      return {contextUrl: null, documentUrl: url, document: clone(document)};
    }
    const hash = url.indexOf('#');
    if(hash > 0 && extras.has(url.slice(0, hash))) {
      const base = url.slice(0, hash);
      let doc = extras.get(base);
      if(typeof doc === 'string') {
        doc = JSON.parse(doc);
      }
      const node = findNode(doc, base, url);
      if(node === undefined) {
        const error = new Error(
          `Static document loader: "${url}" not found in the extra document for "${base}".`);
        error.name = 'DocumentLoaderError';
        error.url = url;
        throw error;
      }
      return {contextUrl: null, documentUrl: url, document: clone(node)};
    }
    if(url.startsWith('did:key:')) {
      const document = await resolveDidKey(url);
      return {contextUrl: null, documentUrl: url, document};
    }
    const error = new Error(
      `Static document loader: refusing to load "${url}" ` +
      '(not a pinned context, not a did:key, not in extraDocuments; no network).');
    error.name = 'DocumentLoaderError';
    error.url = url;
    throw error;
  };
}
