package keyspace_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/keyspace"
)

// TestInvalidKeyMessagesAreShort: validation errors quote the offending key, segment or pattern capped
// (its first bytes, then its length), so a 64 KiB or escape-heavy input gives a message under 300 bytes
// that still says why it is invalid.
func TestInvalidKeyMessagesAreShort(t *testing.T) {
	ks, err := keyspace.New("qrl", "v1")
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("a:", 32<<10) // 64 KiB, with separators
	controls := strings.Repeat("\x01", 200)
	_, relErr := keyspace.Rel("ticker", huge)
	_, patErr := ks.Pattern(strings.Repeat("\xff", keyspace.MaxKeyLen))
	_, keyErr := ks.Key("ticker:" + strings.Repeat("\x01b", 400))
	for _, c := range []struct {
		what string
		err  error
		why  string
	}{
		{"ValidateSegment of 64 KiB with ':'", keyspace.ValidateSegment(huge), "contains the separator"},
		{"Rel with a 64 KiB part", relErr, "contains the separator"},
		{"ValidateSegment of control characters", keyspace.ValidateSegment(controls), "control character"},
		{"ValidateRelative of a long segment", keyspace.ValidateRelative("a:" + strings.Repeat("\x01", 300)), "over the 256-byte limit"},
		{"Pattern of invalid UTF-8", patErr, "not valid UTF-8"},
		{"Key with a long segment", keyErr, "over the 256-byte limit"},
	} {
		if !errors.Is(c.err, keyspace.ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", c.what, c.err)
			continue
		}
		if msg := c.err.Error(); len(msg) > 300 || !strings.Contains(msg, c.why) || !strings.Contains(msg, " bytes)") {
			t.Errorf("%s: %d-byte message %q, want under 300 bytes saying %q and the length", c.what, len(msg), msg, c.why)
		}
	}
}
