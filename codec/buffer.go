package codec

import (
	"fmt"
	"reflect"
	"sync"
)

// outWriter is the io.Writer (and io.ByteWriter, which msgpack's Encoder wants) that encoders write into.
// It appends to b; in exact mode the first Write allocates the result at exactly hdr plus what it
// writes, which is the final size when the encoder writes once, as the JSON libraries do.
type outWriter struct {
	b       []byte
	exact   bool
	writes  int
	written int // bytes written by the encoder
	hdr     header
}

func (w *outWriter) Write(p []byte) (int, error) {
	if w.exact && w.writes == 0 {
		n := w.hdr.n
		w.b = make([]byte, n+len(p))
		copy(w.b, w.hdr.b[:n])
		copy(w.b[n:], p)
	} else {
		w.b = append(w.b, p...)
	}
	w.writes++
	w.written += len(p)
	return len(p), nil
}

func (w *outWriter) WriteByte(c byte) error {
	if w.exact && w.writes == 0 {
		_, err := w.Write([]byte{c})
		return err
	}
	w.b = append(w.b, c)
	w.writes++
	w.written++
	return nil
}

// result returns what was written less the encoder's last trim bytes (its newline). In exact mode it is
// a slice of exactly its length: capped when one Write made it, else a copy.
func (w *outWriter) result(trim int) ([]byte, error) {
	if w.written < trim || w.written == 0 {
		return nil, fmt.Errorf("%w: the encoder wrote %d bytes, not a value and its terminator", ErrEncode, w.written)
	}
	b := w.b[:len(w.b)-trim]
	switch {
	case !w.exact:
		return b, nil // the caller's buffer keeps its capacity for the next append
	case w.writes != 1:
		out := make([]byte, len(b))
		copy(out, b)
		return out, nil
	}
	return b[:len(b):len(b)], nil
}

// Encoding into msgpack goes through many small writes into a pooled scratch buffer, and the caller gets
// one exact-size copy: one allocation of the final size instead of the doubling growth of a fresh
// bytes.Buffer, and no slack capacity kept alive by a cache that stores the slice.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledScratch keeps one huge value from pinning a huge buffer in the pool.
const maxPooledScratch = 1 << 20

func getScratch() *[]byte { return scratchPool.Get().(*[]byte) }

func putScratch(b *[]byte, used []byte) {
	if cap(used) > maxPooledScratch {
		return
	}
	*b = used[:0]
	scratchPool.Put(b)
}

// appendCodec is implemented by this package's codecs, the only ones an envelope can name.
type appendCodec interface {
	Codec
	// appendMarshal appends v's encoding to dst. On error it returns dst and an error wrapping ErrEncode.
	appendMarshal(dst []byte, v any) ([]byte, error)
	// marshalAfter returns h's bytes followed by v's encoding, in a new slice of exactly that length.
	// h is passed by value so that a caller's header stays on its stack.
	marshalAfter(h header, v any) ([]byte, error)
	// unmarshal is Unmarshal for a target that checkTarget accepted.
	unmarshal(data []byte, v any) error
}

// checkTarget returns ErrInvalidTarget unless v is a non-nil pointer.
func checkTarget(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%w, got %T", ErrInvalidTarget, v)
	}
	return nil
}

// recoverAs turns a panic inside a codec library (or a type's own marshal method) into an error wrapping
// sentinel. It must be deferred directly.
func recoverAs(err *error, sentinel error, codec string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s panicked: %v", sentinel, codec, r)
	}
}
