package codec

import (
	"errors"
	"fmt"
	"strings"
)

// Codec turns values into bytes and back. Implementations are safe for concurrent use.
//
// Marshal returns an error wrapping ErrEncode for any value it cannot encode, and never panics.
// Unmarshal returns an error wrapping ErrCorrupt when data is not a well-formed value of the codec's
// format, ErrTypeMismatch when it is one that does not fit v, and ErrInvalidTarget when v is not a
// non-nil pointer; times it decodes are UTC instants.
type Codec interface {
	// Name is the codec's name as ByName accepts it: "json" or "msgpack".
	Name() string
	// ID is the codec id written in the envelope header: 1 = json, 2 = msgpack.
	ID() byte
	// Marshal returns the bare payload for v (no envelope).
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes a bare payload (no envelope) into v, which must be a non-nil pointer.
	Unmarshal(data []byte, v any) error
}

// Codec ids as written in byte 2 of the envelope header. 0 is never written: Meta.Codec is 0 for a plain,
// envelope-less JSON value.
const (
	idJSON    byte = 1
	idMsgpack byte = 2
)

// Errors. Test them with errors.Is; the wrapping error says what exactly is wrong.
var (
	// ErrCorrupt means stored bytes are not a value this package can read: an unknown or truncated header,
	// an unknown version, codec id or flag, or a payload that is truncated, malformed, has trailing bytes
	// or nests too deeply. No reader can use such bytes: a cache deletes the entry and reports a miss.
	ErrCorrupt = errors.New("codec: corrupt value")
	// ErrTypeMismatch means well-formed bytes whose value does not fit the target type (a number read
	// into a string, an array into a struct, a type's own Unmarshal method refusing it). Another reader
	// with another type may own the value, so a cache keeps the entry. Never wraps ErrCorrupt.
	ErrTypeMismatch = errors.New("codec: value does not fit the type")
	// ErrUnknownCodec means a codec name or id that this package does not know.
	ErrUnknownCodec = errors.New("codec: unknown codec")
	// ErrEncode wraps every failure to encode a value: unsupported kinds (chan, func, complex for json),
	// NaN and ±Inf floats for json, self-referential values, nesting deeper than the limit, and errors
	// returned by a type's own marshal method.
	ErrEncode = errors.New("codec: cannot encode value")
	// ErrInvalidTarget means the value to decode into is not a non-nil pointer. It is a programming error,
	// not a sign of corrupt data, so it never wraps ErrCorrupt.
	ErrInvalidTarget = errors.New("codec: decode target must be a non-nil pointer")
)

var (
	// JSON is the JSON codec (id 1), with encoding/json's rules and output, run by goccy/go-json for
	// speed (see json.go). Decimals are written as JSON strings (shopspring's default) and read from JSON
	// strings or numbers; []byte is base64; times are RFC 3339 with nanoseconds.
	JSON Codec = jsonCodec{goccyJSON}
	// Msgpack is the vmihailenco/msgpack/v5 codec (id 2). Struct fields use the `msgpack` tag and fall
	// back to the `json` tag, so a type tagged for JSON gets the same field names (and "-" skips) in both.
	// Decimals are written through their MarshalBinary (exact); times as the msgpack timestamp extension.
	Msgpack Codec = msgpackCodec{}
)

// ByName returns the codec called name ("json" or "msgpack", case-insensitive). Any other name is an error
// wrapping ErrUnknownCodec that names it and the valid ones.
func ByName(name string) (Codec, error) {
	switch strings.ToLower(name) {
	case "json":
		return JSON, nil
	case "msgpack":
		return Msgpack, nil
	}
	return nil, fmt.Errorf("%w %q (valid: json, msgpack)", ErrUnknownCodec, name)
}

// byID returns the codec for an envelope codec id.
func byID(id byte) (appendCodec, bool) {
	switch id {
	case idJSON:
		return jsonCodec{goccyJSON}, true
	case idMsgpack:
		return msgpackCodec{}, true
	}
	return nil, false
}
