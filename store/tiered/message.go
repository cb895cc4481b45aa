package tiered

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// An invalidation message is
//
//	version byte (msgVersion) | sender instance id (idLen bytes) | [time entry] | entry...
//	entry      = kind byte | uvarint length | text
//	time entry = kindKey | uvarint 14 | "\x00sent:" | 8-byte big-endian UnixNano of the write
//
// The id comes first and has a fixed size so that an instance recognises its own echoes by comparing a
// prefix, before decoding anything. A receiver that meets a version or kind it does not know flushes its
// L1, so a newer sender can never leave an older receiver stale.
//
// The write time travels in the first entry, dressed as a key entry, rather than in a new version or
// kind: a receiver of the first release (which flushes its L1 on either) reads it as the key it looks
// like and drops that key from its L1, where nothing of that name is (it starts with NUL, which no
// keyspace key holds). So senders and receivers of both releases mix during a rolling upgrade without a
// flush per message. A current receiver takes the time from it and drops the "key" all the same, so that
// its correctness never depends on recognising it (an older sender's binary key of that exact form would
// still be dropped; only its lag would read wrong). A message without a time entry (older senders) is
// valid, with no write time.
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
	// kindTime is decode's name for the leading time entry, which is encoded as a kindKey entry; encode
	// writes it from its at argument, never from an entry of this kind.
	kindTime    entryKind = 0
	kindKey     entryKind = 1 // one key
	kindPattern entryKind = 2 // every key matching a Redis glob
	kindFlush   entryKind = 3 // everything (the sender lost invalidations); no text
)

// timePrefix starts the text of a time entry; timeTextLen is the length of that text.
const (
	timePrefix  = "\x00sent:"
	timeTextLen = len(timePrefix) + 8
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
// is larger, and returns them. When at is not zero, every message starts with a time entry holding it.
func encode(out [][]byte, id *[idLen]byte, at time.Time, entries []entry) [][]byte {
	var msg []byte
	for _, e := range entries {
		need := 1 + binary.MaxVarintLen64 + len(e.text)
		if msg != nil && len(msg)+need > maxMessage {
			out = append(out, msg)
			msg = nil
		}
		if msg == nil {
			msg = make([]byte, 0, min(maxMessage, headerLen+2+timeTextLen+need*len(entries)))
			msg = append(msg, msgVersion)
			msg = append(msg, id[:]...)
			if !at.IsZero() {
				msg = append(msg, byte(kindKey), byte(timeTextLen))
				msg = append(msg, timePrefix...)
				msg = binary.BigEndian.AppendUint64(msg, uint64(at.UnixNano()))
			}
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

// decode calls fn for each entry of payload, in order, and returns the write time the message carries
// (zero when it has no time entry). A leading time entry is passed to fn as kindTime with its text; any
// later entry that looks like one is an ordinary key. decode fails (having called fn for the entries
// before the fault) on a message that is truncated, of an unknown version or holding an unknown kind.
func decode(payload []byte, fn func(kind entryKind, text string)) (time.Time, error) {
	var sent time.Time
	if len(payload) < headerLen {
		return sent, fmt.Errorf("%w: %d bytes, shorter than its header", errMalformed, len(payload))
	}
	if payload[0] != msgVersion {
		return sent, fmt.Errorf("%w: version %d, want %d", errMalformed, payload[0], msgVersion)
	}
	p := payload[headerLen:]
	for first := true; len(p) > 0; first = false {
		kind := entryKind(p[0])
		if kind < kindKey || kind > kindFlush {
			return sent, fmt.Errorf("%w: unknown entry kind %d", errMalformed, kind)
		}
		n, w := binary.Uvarint(p[1:])
		if w <= 0 || n > uint64(len(p)-1-w) {
			return sent, fmt.Errorf("%w: truncated entry", errMalformed)
		}
		p = p[1+w:]
		text := string(p[:n])
		p = p[n:]
		if first && kind == kindKey && len(text) == timeTextLen && text[:len(timePrefix)] == timePrefix {
			sent = time.Unix(0, int64(binary.BigEndian.Uint64([]byte(text[len(timePrefix):]))))
			kind = kindTime
		}
		fn(kind, text)
	}
	return sent, nil
}
