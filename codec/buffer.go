package codec

import (
	"fmt"
	"reflect"
	"sync"
)

// appendWriter is an io.Writer (and io.ByteWriter, which msgpack's Encoder wants) that appends to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// Encoding goes into a pooled scratch buffer, and the caller gets one exact-size copy: one allocation of
// the final size instead of the doubling growth of a fresh bytes.Buffer, and no slack capacity kept alive
// by a cache that stores the slice.
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

// appendCodec is implemented by this package's codecs: appendMarshal encodes v after dst, so the envelope
// header and the payload share one buffer.
type appendCodec interface {
	appendMarshal(dst []byte, v any) ([]byte, error)
}

// marshalExact runs appendMarshal into a scratch buffer after prefix and returns an exact-size copy.
func marshalExact(c appendCodec, prefix []byte, v any) ([]byte, error) {
	sp := getScratch()
	buf, err := c.appendMarshal(append((*sp)[:0], prefix...), v)
	if err != nil {
		putScratch(sp, buf)
		return nil, err
	}
	out := make([]byte, len(buf))
	copy(out, buf)
	putScratch(sp, buf)
	return out, nil
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
