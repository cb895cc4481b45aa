package tiered

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var testEntries = []entry{
	{kindKey, "qrl:v1:ticker:QRL/USDT"},
	{kindPattern, `qrl:v1:ohlcv:\[QRL\]:*`},
	{kindKey, ""},
	{kindKey, "bin\x00\xff\r\n"},
	{kindFlush, ""},
	{kindKey, strings.Repeat("k", 1000)},
}

// decodeAll decodes m, failing t on an error, and returns the write time and the entries other than the
// time entry.
func decodeAll(t *testing.T, m []byte) (time.Time, []entry) {
	t.Helper()
	var got []entry
	sent, err := decode(m, func(k entryKind, text string) {
		if k != kindTime {
			got = append(got, entry{k, text})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent, got
}

func TestMessageRoundTrip(t *testing.T) {
	id := [idLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for name, at := range map[string]time.Time{"WithoutTime": {}, "WithTime": at} {
		t.Run(name, func(t *testing.T) {
			msgs := encode(nil, &id, at, testEntries)
			if len(msgs) != 1 {
				t.Fatalf("encode made %d messages of a small batch, want 1", len(msgs))
			}
			if !isEcho(msgs[0], &id) {
				t.Error("isEcho is false for the sender's own message")
			}
			other := id
			other[15]++
			if isEcho(msgs[0], &other) {
				t.Error("isEcho is true for another instance's id")
			}
			sent, got := decodeAll(t, msgs[0])
			if !sent.Equal(at) {
				t.Errorf("decoded write time %v, want %v", sent, at)
			}
			if len(got) != len(testEntries) {
				t.Fatalf("decoded %d entries, want %d", len(got), len(testEntries))
			}
			for i := range testEntries {
				if got[i] != testEntries[i] {
					t.Errorf("entry %d = %+v, want %+v", i, got[i], testEntries[i])
				}
			}
		})
	}
}

// TestMessageTimeOnlyLeading checks that only the first entry can be the time entry: a key of the same
// form later in a message (or first in an older sender's) is still a key to drop.
func TestMessageTimeOnlyLeading(t *testing.T) {
	var id [idLen]byte
	at := time.Unix(1_700_000_000, 42)
	lookalike := timePrefix + "12345678"
	_, got := decodeAll(t, encode(nil, &id, at, []entry{{kindKey, lookalike}})[0])
	if len(got) != 1 || got[0] != (entry{kindKey, lookalike}) {
		t.Errorf("a later time-like key decoded as %+v, want it as a key", got)
	}
	var kinds []entryKind
	sent, err := decode(encode(nil, &id, time.Time{}, []entry{{kindKey, lookalike}})[0], func(k entryKind, text string) {
		if text != lookalike {
			t.Errorf("decoded text %q, want %q", text, lookalike)
		}
		kinds = append(kinds, k)
	})
	// An older sender's leading key of that form is read as a time, but still handed over (with its
	// text) for the receiver to drop.
	if err != nil || sent.IsZero() || len(kinds) != 1 || kinds[0] != kindTime {
		t.Errorf("decode = %v, %v, kinds %v; want a time and one kindTime entry", sent, err, kinds)
	}
}

// decodeV1 is the decoder of the first release, frozen: it flushes (returns an error) on any version or
// kind it does not know. A message of this release must read on it without error.
func decodeV1(payload []byte, fn func(kind entryKind, text string)) error {
	if len(payload) < headerLen {
		return errMalformed
	}
	if payload[0] != 1 {
		return fmt.Errorf("%w: version %d", errMalformed, payload[0])
	}
	p := payload[headerLen:]
	for len(p) > 0 {
		kind := entryKind(p[0])
		if kind < 1 || kind > 3 {
			return fmt.Errorf("%w: kind %d", errMalformed, kind)
		}
		n, w := binary.Uvarint(p[1:])
		if w <= 0 || n > uint64(len(p)-1-w) {
			return errMalformed
		}
		p = p[1+w:]
		fn(kind, string(p[:n]))
		p = p[n:]
	}
	return nil
}

func TestMessageReadByFirstRelease(t *testing.T) {
	var id [idLen]byte
	var got []entry
	err := decodeV1(encode(nil, &id, time.Now(), testEntries)[0], func(k entryKind, text string) { got = append(got, entry{k, text}) })
	if err != nil {
		t.Fatalf("the first release's decoder fails on a message with a write time (it would flush): %v", err)
	}
	if len(got) != len(testEntries)+1 {
		t.Fatalf("it read %d entries, want the time entry and %d", len(got), len(testEntries))
	}
	if got[0].kind != kindKey || !strings.HasPrefix(got[0].text, "\x00") {
		t.Errorf("it read the time entry as %+v, want a key starting with NUL (no keyspace key can)", got[0])
	}
	for i := range testEntries {
		if got[i+1] != testEntries[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i+1], testEntries[i])
		}
	}
}

func TestMessageSplit(t *testing.T) {
	var id [idLen]byte
	at := time.Now()
	var entries []entry
	for range 200 {
		entries = append(entries, entry{kindKey, strings.Repeat("x", 1000)})
	}
	entries = append(entries, entry{kindKey, strings.Repeat("y", 2*maxMessage)}) // alone in its message
	msgs := encode(nil, &id, at, entries)
	n := 0
	for i, m := range msgs {
		if len(m) > maxMessage && i != len(msgs)-1 {
			t.Errorf("message %d is %d bytes, over %d", i, len(m), maxMessage)
		}
		sent, got := decodeAll(t, m)
		if !sent.Equal(at) {
			t.Errorf("message %d carries write time %v, want %v (every part carries it)", i, sent, at)
		}
		n += len(got)
	}
	if len(msgs) < 4 || n != len(entries) {
		t.Errorf("%d messages holding %d entries; want several holding all %d", len(msgs), n, len(entries))
	}
}

func TestMessageMalformed(t *testing.T) {
	var id [idLen]byte
	good := encode(nil, &id, time.Time{}, []entry{{kindKey, "abc"}})[0]
	timed := encode(nil, &id, time.Now(), []entry{{kindKey, "abc"}})[0]
	for name, p := range map[string][]byte{
		"Empty":         nil,
		"ShortHeader":   good[:5],
		"Version":       append([]byte{msgVersion + 1}, good[1:]...),
		"Kind":          append(append([]byte{}, good[:headerLen]...), 9, 1, 'a'),
		"KindZero":      append(append([]byte{}, good[:headerLen]...), 0, 1, 'a'), // kindTime is never on the wire
		"Truncated":     good[:len(good)-1],
		"TruncatedTime": timed[:headerLen+5],
		"Length":        append(append([]byte{}, good[:headerLen]...), byte(kindKey), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decode(p, func(entryKind, string) {}); !errors.Is(err, errMalformed) {
				t.Errorf("decode = %v, want errMalformed", err)
			}
		})
	}
}

// FuzzDecode checks that decode never panics, and that what it reads re-encodes to the same entries and
// write time.
func FuzzDecode(f *testing.F) {
	var id [idLen]byte
	f.Add(encode(nil, &id, time.Time{}, testEntries)[0])
	f.Add(encode(nil, &id, time.Unix(0, 1), testEntries)[0])
	f.Add([]byte{msgVersion})
	f.Fuzz(func(t *testing.T, p []byte) {
		var got []entry
		sent, err := decode(p, func(k entryKind, text string) {
			if k != kindTime {
				got = append(got, entry{k, text})
			}
		})
		if err != nil || len(got) == 0 {
			return
		}
		msgs := encode(nil, &id, sent, got)
		var again []entry
		var sentAgain time.Time
		for _, m := range msgs {
			s, e := decodeAll(t, m)
			sentAgain = s
			again = append(again, e...)
		}
		if !sentAgain.Equal(sent) || len(again) != len(got) {
			t.Fatalf("re-encoded %d entries at %v, decoded %d at %v", len(got), sent, len(again), sentAgain)
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("entry %d: %+v became %+v", i, got[i], again[i])
			}
		}
	})
}
