package codec

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit/cachekit/codec/internal/cyclecheck"
	"github.com/cachekit/cachekit/codec/internal/mpscan"
	"github.com/cachekit/cachekit/codec/internal/utc"
)

type msgpackCodec struct{}

// utcMsgpack makes msgpack's decoded times, which time.Unix made Local, UTC.
var utcMsgpack = utc.New(true)

func (msgpackCodec) Name() string { return "msgpack" }
func (msgpackCodec) ID() byte     { return idMsgpack }

// The library's own Marshal/Unmarshal build a bytes.Buffer / bytes.Reader per call; pooling an Encoder
// with its writer (and a Decoder with its reader) avoids that and lets the envelope share the buffer.

type msgpackEncoder struct {
	w   outWriter
	enc *msgpack.Encoder
}

var msgpackEncoders = sync.Pool{New: func() any {
	e := &msgpackEncoder{}
	e.enc = msgpack.NewEncoder(&e.w)
	e.enc.SetCustomStructTag("json")
	return e
}}

type msgpackDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var msgpackDecoders = sync.Pool{New: func() any {
	d := &msgpackDecoder{}
	d.dec = msgpack.NewDecoder(&d.r) // a bytes.Reader is an io.ByteScanner: no extra buffering
	d.dec.SetCustomStructTag("json")
	return d
}}

func (c msgpackCodec) Marshal(v any) ([]byte, error) { return c.marshalAfter(header{}, v) }

func (c msgpackCodec) marshalAfter(h header, v any) ([]byte, error) {
	sp := getScratch()
	buf, err := c.appendMarshal(append((*sp)[:0], h.b[:h.n]...), v)
	if err != nil {
		putScratch(sp, buf)
		return nil, err
	}
	out := make([]byte, len(buf))
	copy(out, buf)
	putScratch(sp, buf)
	return out, nil
}

func (msgpackCodec) appendMarshal(dst []byte, v any) (b []byte, err error) {
	defer recoverAs(&err, ErrEncode, "msgpack")
	// msgpack has no cycle detection: a self-referential value would overflow the stack, unrecoverably.
	if err := cyclecheck.Check(v); err != nil {
		return dst, fmt.Errorf("%w: %w", ErrEncode, err)
	}
	e := msgpackEncoders.Get().(*msgpackEncoder)
	e.w = outWriter{b: dst}
	err = e.enc.Encode(v)
	b, e.w = e.w.b, outWriter{}
	msgpackEncoders.Put(e) // not reached after a panic: a possibly inconsistent encoder is dropped
	if err != nil {
		return dst, fmt.Errorf("%w: msgpack: %w", ErrEncode, err)
	}
	return b, nil
}

func (c msgpackCodec) Unmarshal(data []byte, v any) error {
	if err := checkTarget(v); err != nil {
		return err
	}
	return c.unmarshal(data, v)
}

func (msgpackCodec) unmarshal(data []byte, v any) (err error) {
	// msgpack has no depth or allocation limit: corrupt bytes could overflow the stack or claim 2^32 items.
	if err := mpscan.Check(data); err != nil {
		return fmt.Errorf("%w: msgpack: %w", ErrCorrupt, err)
	}
	defer recoverAs(&err, ErrCorrupt, "msgpack")
	d := msgpackDecoders.Get().(*msgpackDecoder)
	d.r.Reset(data)
	err = d.dec.Decode(v)
	rest := d.r.Len()
	d.r.Reset(nil)
	msgpackDecoders.Put(d)
	if err != nil {
		// mpscan.Check has proven the bytes well formed: what fails now is the value's shape.
		return fmt.Errorf("%w: %w", ErrTypeMismatch, err) // the library says "msgpack: ..."
	}
	if rest != 0 {
		return fmt.Errorf("%w: msgpack: %d bytes left after the value", ErrCorrupt, rest)
	}
	utcMsgpack.Fix(v)
	return nil
}
