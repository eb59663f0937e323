// Capture files (pcap, pcapng) in the browser-safe core.
export * from './errors.js';
export * from './time.js';
export * from './writer.js';
export * from './chunker.js';
export * from './reader.js';
export * from './spec.js';
export {
  LINKTYPE_ETHERNET,
  LINKTYPE_NAMES,
  parseLinkType,
  linkTypeText,
  SNAPLEN,
  PCAP_MAGIC_NSEC,
  PCAP_MAGIC_USEC,
} from './layout.js';
