package tiered

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

func TestOpenURL(t *testing.T) {
	u := tieredURL("memory://?max_bytes=1MiB", "memory://", url.Values{
		"l1_ttl": {"5s"}, "channel": {"fleet-a"}, "l2_timeout": {"250ms"}, "sync_publish": {"true"}, "invalidation": {"false"},
		"l1_fail_safe": {"30s"},
	})
	st, err := store.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", u, err)
	}
	defer st.Close()
	s, ok := st.(*Store)
	if !ok {
		t.Fatalf("store.Open returned %T, want *tiered.Store", st)
	}
	want := Options{L1MaxTTL: 5 * time.Second, Channel: "fleet-a", L2Timeout: 250 * time.Millisecond, SyncPublish: true, DisableInvalidation: true, L1FailSafe: 30 * time.Second}
	if s.opts != want {
		t.Errorf("options = %+v, want %+v", s.opts, want)
	}
	if err := s.Set(t.Context(), "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	mustL1Hit(t, s, "k", "v")
	if got, err := s.l2.Get(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Errorf("L2 holds %q, %v; want the written value", got, err)
	}
	stats, err := s.Stats(t.Context())
	if err != nil || stats.Tiers[0].MaxBytes != 1<<20 {
		t.Errorf("L1 MaxBytes = %d, %v; want the nested URL's 1MiB", stats.Tiers[0].MaxBytes, err)
	}

	// Defaults.
	st2, err := store.Open(t.Context(), tieredURL("memory://", "memory://", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if o := st2.(*Store).opts; o.L1MaxTTL != DefaultL1MaxTTL || o.Channel != DefaultChannel || o.L2Timeout != 0 || o.SyncPublish || o.DisableInvalidation || o.L1FailSafe != 0 {
		t.Errorf("default options = %+v", o)
	}
}

func TestOpenURLErrors(t *testing.T) {
	esc := url.QueryEscape
	mem := esc("memory://")
	secret := esc("redis://user:s3cret@127.0.0.1:1/0?bogus_option=1")
	for _, tc := range []struct {
		name, url string
		mention   []string // the error names these
	}{
		{"NoL2", "tiered://?l1=" + mem, []string{"l1 and l2"}},
		{"NoOptions", "tiered://", []string{"l1 and l2"}},
		{"UnescapedNestedURL", "tiered://?l1=memory://?max_bytes=1MiB&l2=" + mem, []string{"l1", "max_bytes", "QueryEscape"}},
		{"UnescapedNestedURLs", "tiered://?l1=" + mem + "&l2=memory://?max_bytes=1MiB&buffer_items=8", []string{"l2", "max_bytes"}},
		{"LeakedNestedOption", "tiered://?l1=" + mem + "&l2=" + mem + "&max_bytes=1MiB", []string{"max_bytes", "percent-escaped"}},
		{"UnknownOption", "tiered://?l1=" + mem + "&l2=" + mem + "&l1ttl=2s", []string{"l1ttl"}},
		{"ZeroL1TTL", "tiered://?l1=" + mem + "&l2=" + mem + "&l1_ttl=0s", []string{"l1_ttl"}},
		{"BadL1TTL", "tiered://?l1=" + mem + "&l2=" + mem + "&l1_ttl=soon", []string{"l1_ttl"}},
		{"NegativeFailSafe", "tiered://?l1=" + mem + "&l2=" + mem + "&l1_fail_safe=-1s", []string{"l1_fail_safe"}},
		{"BadFailSafe", "tiered://?l1=" + mem + "&l2=" + mem + "&l1_fail_safe=long", []string{"l1_fail_safe"}},
		{"BadBool", "tiered://?l1=" + mem + "&l2=" + mem + "&sync_publish=maybe", []string{"sync_publish"}},
		{"EmptyChannel", "tiered://?l1=" + mem + "&l2=" + mem + "&channel=", []string{"channel"}},
		{"Host", "tiered://somewhere/?l1=" + mem + "&l2=" + mem, []string{"no host"}},
		{"BadNestedOption", "tiered://?l1=" + esc("memory://?bogus=1") + "&l2=" + mem, []string{"l1", "bogus"}},
		{"UnknownNestedScheme", "tiered://?l1=" + mem + "&l2=" + esc("nosuch://x"), []string{"l2", "nosuch"}},
		{"NestedPasswordHidden", "tiered://?l1=" + mem + "&l2=" + secret, []string{"l2", "bogus_option"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.url)
			if err == nil {
				s.Close()
				t.Fatalf("store.Open(%s) succeeded", tc.url)
			}
			if !errors.Is(err, store.ErrInvalidURL) {
				t.Errorf("error %v does not wrap ErrInvalidURL", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	m1, m2 := newMemory(t), newMemory(t)
	defer m1.Close()
	defer m2.Close()
	for name, call := range map[string]func() (*Store, error){
		"NilL1":            func() (*Store, error) { return New(nil, m2, Options{}) },
		"NilL2":            func() (*Store, error) { return New(m1, nil, Options{}) },
		"SameStore":        func() (*Store, error) { return New(m1, m1, Options{}) },
		"NegativeL1MaxTTL": func() (*Store, error) { return New(m1, m2, Options{L1MaxTTL: -time.Second}) },
		"NegativeTimeout":  func() (*Store, error) { return New(m1, m2, Options{L2Timeout: -time.Second}) },
		"NegativeFailSafe": func() (*Store, error) { return New(m1, m2, Options{L1FailSafe: -time.Second}) },
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := call(); !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("New = %v, %v; want an error wrapping ErrInvalidOptions", s, err)
			}
		})
	}
}
