package tiered

import (
	"errors"
	"strings"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	id := [idLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	entries := []entry{
		{kindKey, "qrl:v1:ticker:QRL/USDT"},
		{kindPattern, `qrl:v1:ohlcv:\[QRL\]:*`},
		{kindKey, ""},
		{kindKey, "bin\x00\xff\r\n"},
		{kindFlush, ""},
		{kindKey, strings.Repeat("k", 1000)},
	}
	msgs := encode(nil, &id, entries)
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
	var got []entry
	if err := decode(msgs[0], func(k entryKind, text string) { got = append(got, entry{k, text}) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("decoded %d entries, want %d", len(got), len(entries))
	}
	for i := range entries {
		if got[i] != entries[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], entries[i])
		}
	}
}

func TestMessageSplit(t *testing.T) {
	var id [idLen]byte
	var entries []entry
	for range 200 {
		entries = append(entries, entry{kindKey, strings.Repeat("x", 1000)})
	}
	entries = append(entries, entry{kindKey, strings.Repeat("y", 2*maxMessage)}) // alone in its message
	msgs := encode(nil, &id, entries)
	n := 0
	for i, m := range msgs {
		if len(m) > maxMessage && i != len(msgs)-1 {
			t.Errorf("message %d is %d bytes, over %d", i, len(m), maxMessage)
		}
		if err := decode(m, func(entryKind, string) { n++ }); err != nil {
			t.Fatal(err)
		}
	}
	if len(msgs) < 4 || n != len(entries) {
		t.Errorf("%d messages holding %d entries; want several holding all %d", len(msgs), n, len(entries))
	}
}

func TestMessageMalformed(t *testing.T) {
	var id [idLen]byte
	good := encode(nil, &id, []entry{{kindKey, "abc"}})[0]
	for name, p := range map[string][]byte{
		"Empty":       nil,
		"ShortHeader": good[:5],
		"Version":     append([]byte{msgVersion + 1}, good[1:]...),
		"Kind":        append(append([]byte{}, good[:headerLen]...), 9, 1, 'a'),
		"Truncated":   good[:len(good)-1],
		"Length":      append(append([]byte{}, good[:headerLen]...), byte(kindKey), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		t.Run(name, func(t *testing.T) {
			if err := decode(p, func(entryKind, string) {}); !errors.Is(err, errMalformed) {
				t.Errorf("decode = %v, want errMalformed", err)
			}
		})
	}
}
