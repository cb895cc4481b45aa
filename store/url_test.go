package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/store"
)

// TestParseURLSaysWhatIsWrong: a URL that url.Parse rejects is an error wrapping ErrInvalidURL that
// shows the URL with its password redacted and url.Parse's reason, not "<unparsable URL>"; a piece of
// the password that the reason would quote is redacted too. store.Open reports the same.
func TestParseURLSaysWhatIsWrong(t *testing.T) {
	const pw = "Pa55w0rd"
	cases := []struct{ raw, want string }{
		{"memory://h:port", `memory://h:port: invalid port ":port" after host`},
		{"redis://app:" + pw + "@h:63a79/0", `redis://app:xxxxx@h:63a79/0: invalid port ":63a79" after host`},
		{"redis://app:" + pw + "@h/%zz", `redis://app:xxxxx@h/%zz: invalid URL escape "%zz"`},
		{"redis://app:" + pw + "%q1@h/0", `redis://app:xxxxx@h/0: invalid URL escape "xxxxx"`},
		{"redis://app:" + pw + "/x@h/0", `redis://app:xxxxx@h/0: invalid port "xxxxx" after host`},
	}
	for _, c := range cases {
		_, err := store.ParseURL(c.raw)
		if !errors.Is(err, store.ErrInvalidURL) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("ParseURL(%s): %v, want ErrInvalidURL ending %q", store.Redact(c.raw), err, c.want)
		}
		_, err2 := store.Open(context.Background(), c.raw)
		if err2 == nil || err2.Error() != err.Error() {
			t.Errorf("store.Open(%s): %v, want the same error as ParseURL", store.Redact(c.raw), err2)
		}
		for _, e := range []error{err, err2} {
			if e != nil && (strings.Contains(e.Error(), pw) || strings.Contains(e.Error(), "unparsable")) {
				t.Errorf("%q shows the password or says <unparsable URL>", e)
			}
		}
	}
	if u, err := store.ParseURL("redis://app:" + pw + "@h:6379/0"); err != nil || u.Host != "h:6379" {
		t.Errorf("ParseURL of a valid URL = %v, %v", u, err)
	}
}

// TestRedact: the password goes, whether the URL parses or not.
func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://u:secret@h:6379/0":  "redis://u:xxxxx@h:6379/0",
		"redis://u:sec/ret@h:6379/0": "redis://u:xxxxx@h:6379/0", // does not parse: '/' in the password
		"redis://u:s@c@h:bad/0":      "redis://u:xxxxx@h:bad/0",
		"redis://h:bad/0":            "redis://h:bad/0",
		"redis:u:secret@h":           "redis:xxxxx@h", // opaque: the "//" is missing
		"redis:u:se\x7f@h":           "<unparsable URL>",
		"memory://?max_bytes=1MiB":   "memory://?max_bytes=1MiB", // no password: unchanged (url.URL.String would drop the empty "//")
	} {
		if got := store.Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

// A URL without a password comes back exactly as given.
func TestRedactKeepsURLsWithoutPassword(t *testing.T) {
	for _, u := range []string{"memory://", "redis://127.0.0.1:6379/0", "tiered://?l1=memory%3A%2F%2F"} {
		if got := store.Redact(u); got != u {
			t.Errorf("Redact(%q) = %q; want it unchanged", u, got)
		}
	}
}
