package tiered

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// An invalidation message is
//
//	version byte (msgVersion) | sender instance id (idLen bytes) | entry...
//	entry = kind byte | uvarint length | text
//
// The id comes first and has a fixed size so that an instance recognises its own echoes by comparing a
// prefix, before decoding anything. A receiver that meets a version or kind it does not know flushes its
// L1, so a newer sender can never leave an older receiver stale.
const (
	msgVersion = 1
	idLen      = 16
	headerLen  = 1 + idLen
	// maxMessage caps the size of one message; a larger batch is split.
	maxMessage = 64 << 10
)

// entryKind says what an entry invalidates.
type entryKind byte

const (
	kindKey     entryKind = 1 // one key
	kindPattern entryKind = 2 // every key matching a Redis glob
	kindFlush   entryKind = 3 // everything (the sender lost invalidations); no text
)

// entry is one invalidation.
type entry struct {
	kind entryKind
	text string
}

var errMalformed = errors.New("malformed invalidation message")

// isEcho reports whether payload was published by the instance with this id.
func isEcho(payload []byte, id *[idLen]byte) bool {
	return len(payload) >= headerLen && payload[0] == msgVersion && bytes.Equal(payload[1:headerLen], id[:])
}

// encode appends messages holding entries to out, each at most maxMessage bytes unless a single entry
// is larger, and returns them.
func encode(out [][]byte, id *[idLen]byte, entries []entry) [][]byte {
	var msg []byte
	for _, e := range entries {
		need := 1 + binary.MaxVarintLen64 + len(e.text)
		if msg != nil && len(msg)+need > maxMessage {
			out = append(out, msg)
			msg = nil
		}
		if msg == nil {
			msg = make([]byte, 0, min(maxMessage, headerLen+need*len(entries)))
			msg = append(msg, msgVersion)
			msg = append(msg, id[:]...)
		}
		msg = append(msg, byte(e.kind))
		msg = binary.AppendUvarint(msg, uint64(len(e.text)))
		msg = append(msg, e.text...)
	}
	if msg != nil {
		out = append(out, msg)
	}
	return out
}

// decode calls fn for each entry of payload, in order. It fails (having called fn for the entries before
// the fault) on a message that is truncated, of an unknown version or holding an unknown kind.
func decode(payload []byte, fn func(kind entryKind, text string)) error {
	if len(payload) < headerLen {
		return fmt.Errorf("%w: %d bytes, shorter than its header", errMalformed, len(payload))
	}
	if payload[0] != msgVersion {
		return fmt.Errorf("%w: version %d, want %d", errMalformed, payload[0], msgVersion)
	}
	p := payload[headerLen:]
	for len(p) > 0 {
		kind := entryKind(p[0])
		if kind < kindKey || kind > kindFlush {
			return fmt.Errorf("%w: unknown entry kind %d", errMalformed, kind)
		}
		n, w := binary.Uvarint(p[1:])
		if w <= 0 || n > uint64(len(p)-1-w) {
			return fmt.Errorf("%w: truncated entry", errMalformed)
		}
		p = p[1+w:]
		fn(kind, string(p[:n]))
		p = p[n:]
	}
	return nil
}
