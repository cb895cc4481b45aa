// Package codec turns cached values into bytes and back: a Codec (JSON, Msgpack) for the payload, and a
// short envelope header that names the codec and carries metadata, so stored bytes are self-describing.
//
// # Envelope format (version 1)
//
//	byte 0   magic 0xC1
//	byte 1   format version: 1
//	byte 2   codec id: 1 = json, 2 = msgpack
//	byte 3   flags:
//	           bit 0  timestamps present
//	           bit 1  compressed
//	           bit 2  encrypted
//	           bit 3  versioned
//	           bits 4-7 must be zero
//	[if bit 3] 8 bytes version, big-endian (at offset 4, so a store's script finds it without decoding)
//	[if bit 0] uvarint WrittenAt, uvarint SoftExpiry: Unix milliseconds, 0 = not recorded
//	[if bit 1] byte algorithm (1 = zstd, 2 = s2), uvarint size of the uncompressed payload
//	[if bit 2] byte n (1-32), n bytes key id
//	payload  the codec's encoding of the value, to the end of the data; if compressed, its compression
//	         (a zstd frame or an s2 block); if encrypted, that as 12-byte nonce, AES-256-GCM ciphertext
//	         and 16-byte tag, the associated data being every header byte followed by the store key
//
// Without timestamps the header is 4 bytes; with them, 16 for present-day times. Compression adds 2 to 4
// bytes, encryption 1 plus the id, and 28 to the payload. 0xC1 cannot start a JSON text (which starts
// with whitespace, {, [, ", a digit, -, t, f or n), cannot occur anywhere in UTF-8 text, and is the one
// code msgpack never uses, so a reader tells an envelope from plain JSON by its first byte. A reader
// rejects, with ErrCorrupt, a header that is truncated or has an unknown version, codec id, flag bit or
// compression algorithm, an uncompressed size above 64 MiB (limits.MaxDecompressed: a decompression bomb
// cannot make a reader allocate more), and a payload that does not decompress to exactly that size.
//
// # Compression and encryption
//
// Encode, EncodeMeta and AppendEncode write neither; an Envelope (NewEnvelope) writes both, as
// configured: compression (Zstd or S2) of payloads from a minimum size that it shrinks, then
// encryption with the first key of a Keyring (ParseKeyring reads CACHEKIT_ENCRYPTION_KEYS' form). The
// package's Decode reads compressed values with no configuration; encrypted ones need the Envelope's
// Decode, given the store key, since the associated data binds every ciphertext to its key and header: a
// value copied to another key, a changed byte, an unknown key id or a value read without keys is
// ErrCorrupt, never a value. A Keyring reads every key it holds and writes with the first, so keys rotate
// without a flush. Keys, Keyrings and Envelopes print ids and a fingerprint only, and no error of this
// package contains key material.
//
// Data that does not start with 0xC1 is read as plain JSON: that is how values written by Python services
// (json.dumps, no envelope) are read, and EncodePlainJSON writes that form for them.
//
// # Value rules
//
// Both codecs, and the cross-codec path (write with one, Decode with a reader configured for the other):
//   - decimal.Decimal round-trips exactly, never through a float. JSON writes it as a string and reads it
//     from a string or a number; msgpack uses its MarshalBinary form.
//   - time.Time round-trips as the same instant, nanoseconds included, and times decode as UTC instants:
//     those reached through exported or embedded fields, pointers, slices, arrays, map values and
//     interfaces. Map keys, and the insides of a type that decodes itself, stay as decoded.
//   - Structs, nested structs, pointers, maps, slices, arrays and []byte round-trip. Both codecs keep nil
//     and empty apart: a nil slice, []byte, map or pointer decodes as nil, an empty slice, []byte or map
//     as empty and non-nil. Unexported fields and fields tagged "-" do not travel.
//   - Values that cannot be encoded — chan, func, complex numbers, unsafe pointers; NaN and ±Inf floats
//     in JSON (msgpack stores them); values that refer back to themselves through pointers, maps, slices
//     or interfaces; nesting deeper than 10000 levels; errors and panics of a type's own marshal
//     method — give an error wrapping ErrEncode. Neither encoding nor decoding ever panics or overflows
//     the stack: a panic inside the codec library is recovered into ErrEncode or ErrCorrupt.
//   - Decoding into interface values follows the library: JSON gives float64 numbers, msgpack gives the
//     integer type it stored and time.Time for times.
//
// # Libraries and cost
//
// JSON runs on goccy/go-json, which writes the bytes encoding/json writes and decodes what it decodes
// (the tests compare the two on every rule above and on fuzzed input), and is faster on trading payloads;
// EncodePlainJSON uses encoding/json itself. Msgpack runs on vmihailenco/msgpack/v5. Encode and Decode
// cost what the library's own Marshal and Unmarshal cost, with no extra allocation: Encode allocates only
// its exact-size result, and AppendEncode, for a caller that owns a buffer, not even that. The figures
// are in bench/RESULTS.md.
//
// The machinery behind these rules (msgpack's structure check, the cycle check, UTC conversion, the
// plain-JSON encoder and the type analysis they share) lives in the packages under codec/internal.
package codec
