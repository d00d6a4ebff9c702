// The reflected IEEE 802.3 polynomial used by zlib, gzip and PNG, so any standard CRC-32
// implementation can check a key's checksum.
const POLYNOMIAL = 0xedb88320;

const TABLE = new Uint32Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
  TABLE[byte] = crc;
}

/**
 * CRC-32 of `text[0, end)`, reading each char code as one byte. That equals the CRC of the
 * UTF-8 bytes only for ASCII text, which is all a well-formed key contains; working on the
 * string directly spares the hot path a Buffer per request.
 */
export function crc32Ascii(text: string, end: number = text.length): number {
  let crc = 0xffffffff;
  for (let i = 0; i < end; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
