package redis

import (
	"context"
	"errors"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// TestURLRepeatedOrConflictingOption: a database given twice (repeated db option, or a path database and
// a db option that disagree, on plain and Sentinel URLs), db on a Cluster URL, and any other repeated
// option, ours or go-redis', are errors wrapping ErrInvalidURL that name the option; go-redis would
// silently keep one value. The one repeatable option, addr, and a path and option that agree, are fine.
func TestURLRepeatedOrConflictingOption(t *testing.T) {
	bad := []struct{ url, mention string }{
		{"redis://h/0?db=3&db=4", "db"},
		{"redis://h?db=3&db=3", "db"},
		{"redis://h/5?db=7", "db=7"},
		{"rediss://u:" + secret + "@h/5?db=7", "db=7"},
		{"redis+sentinel://h1/mymaster/5?db=7", "db=7"},
		{"redis+sentinel://h1/mymaster?db=1&db=2", "db"},
		{"redis+cluster://h1:7000?db=2", "db"},
		{"redis://h?client_name=a&client_name=b", "client_name"},
		{"redis://h?protocol=2&protocol=3", "protocol"},
		{"redis://h?dial_timeout=1s&dial_timeout=2s", "dial_timeout"},
		{"redis://h?auto_pipeline=true&auto_pipeline=true", "auto_pipeline"},
		{"redis+sentinel://h1/m?sentinel_auth=true&sentinel_auth=false", "sentinel_auth"},
		{"redis+cluster://h1:7000?addr=h2:7001&read_only=true&read_only=false", "read_only"},
	}
	for _, c := range bad {
		s, err := Open(context.Background(), c.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded, want an error naming %q", store.Redact(c.url), c.mention)
			continue
		}
		if !errors.Is(err, store.ErrInvalidURL) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("Open(%s): %v, want ErrInvalidURL naming %q", store.Redact(c.url), err, c.mention)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open(%s): %q shows the password", store.Redact(c.url), err)
		}
	}
	for _, ok := range []string{
		"redis://h/5?db=5",
		"redis://h?db=4",
		"redis+sentinel://h1/mymaster/2?db=2",
		"redis+cluster://h1:7000?addr=h2:7001&addr=h3:7002",
		"redis+sentinel://h1/mymaster?addr=h2:26379&addr=h3:26379",
	} {
		s, err := Open(context.Background(), ok)
		if err != nil {
			t.Errorf("Open(%s): %v, want success", ok, err)
			continue
		}
		s.Close()
	}
	s := openT(t, "redis://h/5?db=5")
	if db := s.Client().(*goredis.Client).Options().DB; db != 5 {
		t.Errorf("redis://h/5?db=5 selects database %d, want 5", db)
	}
}

// TestMalformedURLSaysWhatIsWrong: a URL that does not parse is reported with url.Parse's reason (bad
// port, invalid escape) after the URL with its password redacted, never as "<unparsable URL>" and never
// showing the password, even the piece of it a reason would quote.
func TestMalformedURLSaysWhatIsWrong(t *testing.T) {
	cases := []struct{ url, want string }{
		{"redis://h:abc/0", `invalid port ":abc" after host`},
		{"redis://u:" + secret + "@h:6379x/0", `invalid port ":6379x" after host`},
		{"redis://u:" + secret + "@h:6379/%zz", `invalid URL escape "%zz"`},
		{"redis://u:" + secret + "%zz@h:6379/0", "invalid URL escape"},
		{"redis://:p/" + secret + "@h:6379/0", "invalid port"}, // an unescaped '/' in the password
		{"redis://h:6379/0\x7f", "invalid control character"},
	}
	for _, c := range cases {
		for name, open := range map[string]func(string) error{
			"redis.Open": func(u string) error { _, err := Open(context.Background(), u); return err },
			"store.Open": func(u string) error { _, err := store.Open(context.Background(), u); return err },
		} {
			err := open(c.url)
			if !errors.Is(err, store.ErrInvalidURL) {
				t.Errorf("%s(%s): %v, want ErrInvalidURL", name, store.Redact(c.url), err)
				continue
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "unparsable") {
				t.Errorf("%s(%s): %q, want it to say %q", name, store.Redact(c.url), msg, c.want)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, "p/") {
				t.Errorf("%s(%s): %q shows (part of) the password", name, store.Redact(c.url), msg)
			}
		}
	}
}

// TestErrorsHaveNoDoubledPrefix: go-redis messages already start with "redis: "; wrapped in ours, which
// say "redis" too, they must not read "redis: redis: ..." (nor "redis: X: redis: ...").
func TestErrorsHaveNoDoubledPrefix(t *testing.T) {
	_, err := Open(context.Background(), "redis://h/notadb") // go-redis: "redis: invalid database number"
	if err == nil || !strings.Contains(err.Error(), "invalid database number") {
		t.Fatalf("Open with a bad database: %v, want go-redis' invalid database number", err)
	}
	if strings.Contains(err.Error(), "redis: redis:") {
		t.Errorf("Open with a bad database: %q has a doubled prefix", err)
	}

	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	_ = client.Close()
	_, err = New(client, Options{AutoPipeline: true}) // go-redis: "redis: client is closed"
	if err == nil {
		t.Fatal("New with a closed client and AutoPipeline succeeded")
	}
	if !errors.Is(err, goredis.ErrClosed) || strings.Count(err.Error(), "redis: ") > 1 {
		t.Errorf("New with a closed client: %q, want one \"redis: \" prefix and errors.Is(err, redis.ErrClosed)", err)
	}
	s, err := New(client, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "k")
	if !errors.Is(err, store.ErrClosed) || strings.Contains(err.Error(), "redis: client is closed") {
		t.Errorf("Get on a closed client: %q, want ErrClosed without go-redis' own prefix", err)
	}
}
