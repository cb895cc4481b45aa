package keyquote

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteShortKeyIsPercentQ(t *testing.T) {
	for _, s := range []string{"", "qrl:v1:ticker:QRL/USDT", "a\x00b", strings.Repeat("x", MaxBytes)} {
		if got, want := Quote(s), strconv.Quote(s); got != want {
			t.Errorf("Quote(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestQuoteCapsLongKeys(t *testing.T) {
	for name, s := range map[string]string{
		"ascii":             strings.Repeat("a", 64<<10),
		"control":           strings.Repeat("\x00", 64<<10),
		"utf8":              strings.Repeat("é", 32<<10),
		"invalid":           strings.Repeat("\xff", 64<<10),
		"short-but-escaped": strings.Repeat("\x01", MaxBytes),
	} {
		got := Quote(s)
		if len(got) > 160 {
			t.Errorf("%s: Quote gave %d bytes, want at most 160: %s", name, len(got), got)
		}
		if !strings.HasSuffix(got, "…("+strconv.Itoa(len(s))+" bytes)") {
			t.Errorf("%s: Quote = %s, want it to end with the key's length", name, got)
		}
		prefix := got[:strings.LastIndex(got, "…(")]
		uq, err := strconv.Unquote(prefix)
		if err != nil || !strings.HasPrefix(s, uq) || uq == "" {
			t.Errorf("%s: quoted part %s is not a non-empty prefix of the key (%v)", name, prefix, err)
		}
		if name == "utf8" && !utf8.ValidString(uq) {
			t.Errorf("utf8: prefix %q splits a character", uq)
		}
	}
}
