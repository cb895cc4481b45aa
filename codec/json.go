package codec

import (
	stdjson "encoding/json"
	"fmt"
	"io"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/cachekit/cachekit/codec/internal/plainjson"
	"github.com/cachekit/cachekit/codec/internal/utc"
)

// jsonLib is a JSON implementation the json codec can run on. JSON runs on goccy/go-json: on the
// market-data payloads (ticker, candles, order book) it encodes and decodes faster than encoding/json
// (BenchmarkJSONLib; figures in bench/RESULTS.md), is pure Go with the same behaviour on every platform
// and Go version, and writes and reads what encoding/json does for everything this package promises.
// encoding/json stays here so that the tests hold both to the same rules and compare their output,
// results and errors.
type jsonLib struct {
	name       string
	marshal    func(any) ([]byte, error) // returns an exact-size slice
	unmarshal  func([]byte, any) error
	newEncoder func(io.Writer) valueEncoder // HTML escaping on, as marshal
	encoders   sync.Pool                    // *jsonEncoder
}

// valueEncoder is what both libraries' Encoders have in common: Encode writes the value and a newline in
// one Write call.
type valueEncoder interface{ Encode(v any) error }

var (
	goccyJSON = &jsonLib{
		name:       "goccy/go-json",
		marshal:    gojson.Marshal,
		unmarshal:  gojson.Unmarshal,
		newEncoder: func(w io.Writer) valueEncoder { return gojson.NewEncoder(w) },
	}
	stdJSON = &jsonLib{
		name:       "encoding/json",
		marshal:    stdjson.Marshal,
		unmarshal:  stdjson.Unmarshal,
		newEncoder: func(w io.Writer) valueEncoder { return stdjson.NewEncoder(w) },
	}
)

// jsonEncoder pairs an Encoder with the writer it was made for, so both are pooled together.
type jsonEncoder struct {
	w   outWriter
	enc valueEncoder
}

func (l *jsonLib) getEncoder() *jsonEncoder {
	if e, ok := l.encoders.Get().(*jsonEncoder); ok {
		return e
	}
	e := &jsonEncoder{}
	e.enc = l.newEncoder(&e.w)
	return e
}

type jsonCodec struct{ lib *jsonLib }

func (jsonCodec) Name() string { return "json" }
func (jsonCodec) ID() byte     { return idJSON }

func (c jsonCodec) Marshal(v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "json")
	b, err = c.lib.marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrEncode, err)
	}
	return b, nil
}

// appendMarshal appends v's encoding to dst: the library's one Write lands directly after dst.
func (c jsonCodec) appendMarshal(dst []byte, v any) ([]byte, error) {
	return c.encode(outWriter{b: dst}, v)
}

// marshalAfter returns h's bytes followed by v's encoding in a new slice of exactly that length: the
// library's one Write is copied straight into it, as its own Marshal copies its buffer out.
func (c jsonCodec) marshalAfter(h header, v any) ([]byte, error) {
	return c.encode(outWriter{exact: true, hdr: h}, v)
}

func (c jsonCodec) encode(w outWriter, v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "json")
	dst := w.b
	e := c.lib.getEncoder()
	e.w = w
	err = e.enc.Encode(v)
	w, e.w = e.w, outWriter{}
	c.lib.encoders.Put(e) // not reached after a panic: a possibly inconsistent encoder is dropped
	if err != nil {
		return dst, fmt.Errorf("%w: json: %w", ErrEncode, err)
	}
	return w.result(1) // the Encoder ends each value with a newline
}

func (c jsonCodec) Unmarshal(data []byte, v any) error {
	if err := checkTarget(v); err != nil {
		return err
	}
	return c.unmarshal(data, v)
}

// unmarshal is Unmarshal for a target already checked.
func (c jsonCodec) unmarshal(data []byte, v any) (err error) {
	defer recoverAs(&err, ErrCorrupt, "json")
	if err := c.lib.unmarshal(data, v); err != nil {
		// Only the failure path pays for telling malformed JSON from a value of another shape.
		if stdjson.Valid(data) {
			return fmt.Errorf("%w: %w", ErrTypeMismatch, err)
		}
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	utcJSON.Fix(v)
	return nil
}

// utcJSON makes decoded times UTC: both JSON libraries keep the offset the text was written with.
var utcJSON = utc.New(false)

// EncodePlainJSON returns v as bare JSON with no envelope, for readers that know nothing of it (the Python
// services sharing the cache). The output is what json.Marshal writes, with one difference: every
// decimal.Decimal (and valid decimal.NullDecimal) is a JSON number with the decimal's exact digits, not
// shopspring's quoted string, so Python's json.loads(s, parse_float=decimal.Decimal) reads it back exactly
// (and a reader without parse_float gets the float it got from the Python writer). Decimals inside a type
// with its own MarshalJSON or MarshalText are written by that method. Times are RFC 3339 strings with
// their offset, []byte is base64. Errors wrap ErrEncode.
func EncodePlainJSON(v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "json")
	b, err = plainjson.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncode, err)
	}
	return b, nil
}
