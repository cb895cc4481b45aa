package main

import (
	"context"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
)

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func TestTopLevelHelpListsCommandsAndExitCodes(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := newCLI(t).run("", args...).expect(t, exitOK)
		if r.stderr != "" {
			t.Errorf("%v: stderr %q, want empty", args, r.stderr)
		}
		for _, name := range commandNames() {
			if !strings.Contains(r.stdout, "\n  "+name+" ") {
				t.Errorf("%v: help does not list command %q:\n%s", args, name, r.stdout)
			}
		}
		for _, code := range []string{"  0 ", "  1 ", "  2 ", "  3 ", "  4 ", "  130 "} {
			if !strings.Contains(r.stdout, code) {
				t.Errorf("%v: help does not document exit code %q", args, strings.TrimSpace(code))
			}
		}
	}
}

func TestNoArgumentsIsUsageOnStderr(t *testing.T) {
	r := newCLI(t).run("").expect(t, exitUsage)
	if r.stdout != "" || !strings.Contains(r.stderr, "usage: cachekit [global flags] <command>") {
		t.Fatalf("stdout %q, stderr %q: want the usage on stderr only", r.stdout, r.stderr)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	r := newCLI(t).run("", "frobnicate").expect(t, exitUsage)
	if got := lines(r.stderr); len(got) != 2 || got[0] != `cachekit: unknown command "frobnicate"` || !strings.HasPrefix(got[1], "hint: commands: demo, stats,") {
		t.Fatalf("stderr %q: want the unknown command named and a hint listing the commands", r.stderr)
	}
	r = newCLI(t).run("", "help", "frobnicate").expect(t, exitUsage)
	if !strings.Contains(r.stderr, `"frobnicate"`) {
		t.Fatalf("help of an unknown command: stderr %q", r.stderr)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, name := range commandNames() {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}} {
			r := newCLI(t).run("", args...).expect(t, exitOK)
			if !strings.HasPrefix(r.stdout, "usage: cachekit "+name+" [flags]") {
				t.Errorf("%v: help starts %q", args, firstLine(r.stdout))
			}
			for _, f := range []string{"--cache URL", "--namespace", "--codec", "-h, --help", "exit codes:"} {
				if !strings.Contains(r.stdout, f) {
					t.Errorf("%v: help lacks %q", args, f)
				}
			}
			if r.stderr != "" {
				t.Errorf("%v: stderr %q, want empty", args, r.stderr)
			}
		}
	}
}

func TestBadFlagIsUsageOnStderr(t *testing.T) {
	for _, name := range commandNames() {
		r := newCLI(t).run("", name, "--no-such-flag").expect(t, exitUsage)
		if r.stdout != "" {
			t.Errorf("%s: stdout %q, want empty", name, r.stdout)
		}
		want := []string{"cachekit " + name + ": unknown flag --no-such-flag", "hint: run 'cachekit " + name + " --help' for its flags"}
		if got := lines(r.stderr); !slices.Equal(got, want) {
			t.Errorf("%s: stderr %q, want the two lines %q (no help dump)", name, got, want)
		}
	}
	// A flag value of the wrong type is a bad flag too, spelled with two dashes.
	r := newCLI(t).run("", "demo", "--duration", "soon").expect(t, exitUsage)
	if got := lines(r.stderr); len(got) != 2 || !strings.Contains(got[0], "for flag --duration") {
		t.Errorf("bad value: stderr %q", got)
	}
	r = newCLI(t).run("", "keys", "--limit", "many").expect(t, exitUsage)
	if got := lines(r.stderr); len(got) != 2 || !strings.Contains(got[0], "--limit") || strings.Contains(got[0], " -limit") {
		t.Errorf("bad value: stderr %q", got)
	}
	r = newCLI(t).run("", "keys", "--limt", "3").expect(t, exitUsage)
	if !strings.Contains(r.stderr, "unknown flag --limt (did you mean --limit?)") {
		t.Errorf("typo: stderr %q", r.stderr)
	}
}

func TestBadArgumentsAreUsageErrors(t *testing.T) {
	cases := [][]string{
		{"stats", "extra"},
		{"keys", "a*", "b*"},
		{"keys", "--limit", "-1"},
		{"get"},
		{"get", "a", "b"},
		{"get", "bad::key"},
		{"del"},
		{"del", "ok:key", "bad::key"},
		{"clear"},
		{"clear", "--all", "--symbol", "QRL/USDT"},
		{"clear", "--symbol", "QRL:USDT", "--yes"},
		{"clear", "stray", "--all"},
		{"demo", "stray"},
		{"demo", "--duration", "0s"},
		{"demo", "--symbols", "QRLUSDT"},
		{"demo", "--symbols", ","},
		{"demo", "--latency", "-1ms"},
		{"warm"},
		{"warm", "--symbols", "QRL/USDT", "--timeframes", "2m"},
		{"warm", "--symbols", "QRL/USDT", "--candles", "0"},
		{"keys", "--codec", "xml"},
		{"keys", "--namespace", "a:b"},
		{"keys", "--cache", "nosuchscheme://x"},
		{"keys", "--cache", "memory://?bogus=1"},
	}
	for _, args := range cases {
		c := newCLI(t)
		c.env["CACHE_DRIVER"] = "memory" // configured, so each case fails on its own argument
		r := c.run("", args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, r.code, exitUsage, r.stderr)
			continue
		}
		if got := lines(r.stderr); len(got) != 2 || !strings.HasPrefix(got[0], "cachekit "+args[0]+": ") || !strings.HasPrefix(got[1], "hint: ") {
			t.Errorf("%v: stderr %q should be the problem after the command name, then a hint", args, r.stderr)
		}
		if strings.Contains(r.stderr, "no cache configured") {
			t.Errorf("%v: failed on the configuration, not on the argument: %q", args, r.stderr)
		}
	}
}

func TestInvalidEnvironmentIsConfigurationError(t *testing.T) {
	for _, env := range []map[string]string{
		{"CACHE_DRIVER": "bogus"},
		{"CACHE_DRIVER": "redis"}, // without REDIS_URL
		{"REDIS_CACHE_TTL": "-5"},
		{"CACHE_CODEC": "xml"},
		{"REDIS_NAMESPACE": "a:b"},
	} {
		c := newCLI(t)
		c.env = env
		r := c.run("", "keys").expect(t, exitUsage)
		if !strings.Contains(r.stderr, "environment") {
			t.Errorf("%v: stderr %q should say the environment is at fault", env, r.stderr)
		}
	}
}

// The CLI follows the library's one rule: sources that give the namespace must agree, and a
// disagreement is a usage error naming both (never a silent choice).
func TestNamespacePrecedence(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		cf       cacheFlags
		env      map[string]string
		want     string   // namespace opened, or "" for a usage error
		mentions []string // what the error must name
	}{
		{"default", cacheFlags{}, nil, "qrl", nil},
		{"env", cacheFlags{}, map[string]string{"REDIS_NAMESPACE": "bot"}, "bot", nil},
		{"url", cacheFlags{url: "memory://?namespace=fromurl"}, nil, "fromurl", nil},
		{"url and env agree", cacheFlags{url: "memory://?namespace=bot"}, map[string]string{"REDIS_NAMESPACE": "bot"}, "bot", nil},
		{"flag and env agree", cacheFlags{namespace: "bot"}, map[string]string{"REDIS_NAMESPACE": "bot"}, "bot", nil},
		{"url vs env", cacheFlags{url: "memory://?namespace=fromurl"}, map[string]string{"REDIS_NAMESPACE": "bot"}, "",
			[]string{"namespace=fromurl", "REDIS_NAMESPACE=bot"}},
		{"REDIS_URL option vs env", cacheFlags{}, map[string]string{"REDIS_URL": "memory://?namespace=foo", "CACHE_DRIVER": "redis", "REDIS_NAMESPACE": "bar"}, "",
			[]string{"REDIS_URL option namespace=foo", "REDIS_NAMESPACE=bar"}},
		{"flag vs url", cacheFlags{url: "memory://?namespace=fromurl", namespace: "flag"}, nil, "",
			[]string{"--namespace=flag", "namespace=fromurl"}},
		{"flag vs env", cacheFlags{namespace: "flag"}, map[string]string{"REDIS_NAMESPACE": "bot"}, "",
			[]string{"--namespace=flag", "REDIS_NAMESPACE=bot"}},
		{"--cache vs REDIS_URL", cacheFlags{url: "memory://"}, map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, "",
			[]string{"--cache=memory://", "REDIS_URL=redis://127.0.0.1:1/0"}},
	}
	for _, tc := range cases {
		a := newApp(nil, nil, nil)
		a.lookupEnv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		cache, err := tc.cf.open(ctx, a)
		if tc.want == "" {
			if code := exitCode(ctx, err); err == nil || code != exitUsage {
				t.Errorf("%s: err %v (exit %d), want a usage error", tc.name, err, code)
				continue
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%s: error %q does not name %q", tc.name, err, m)
				}
			}
			// A flag against the environment: the hint says how to set the variable aside.
			var ee *exitErr
			if strings.HasPrefix(tc.mentions[0], "--") && strings.Contains(tc.mentions[1], "REDIS_") {
				name, _, _ := strings.Cut(tc.mentions[1], "=")
				switch {
				case !errors.As(err, &ee):
					t.Errorf("%s: %v is no usage error with a hint", tc.name, err)
				case !strings.Contains(ee.hint, "env -u "+name+" cachekit"):
					t.Errorf("%s: hint %q; want one naming env -u %s", tc.name, ee.hint, name)
				}
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := cache.Keyspace().Namespace(); got != tc.want {
			t.Errorf("%s: namespace %q, want %q", tc.name, got, tc.want)
		}
		cache.Close()
	}
}

func TestDemoNamespaceIgnoresEnvironment(t *testing.T) {
	var o demoOptions
	o.cache.fixedNamespace = demoNamespace
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.cache.register(fs)
	a := newApp(nil, nil, nil)
	a.lookupEnv = func(k string) (string, bool) {
		v, ok := map[string]string{"REDIS_NAMESPACE": "qrl"}[k]
		return v, ok
	}
	cache, err := o.cache.open(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if got := cache.Keyspace().Namespace(); got != demoNamespace {
		t.Fatalf("demo namespace %q, want %q even with REDIS_NAMESPACE set", got, demoNamespace)
	}
}

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args    []string
		wantPos []string
		wantNS  string
	}{
		{[]string{"KEY", "--namespace", "x"}, []string{"KEY"}, "x"},
		{[]string{"--namespace=x", "A", "B"}, []string{"A", "B"}, "x"},
		{[]string{"A", "--", "--namespace", "B"}, []string{"A", "--namespace", "B"}, ""},
		{nil, nil, ""},
	}
	for _, tc := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		ns := fs.String("namespace", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !slices.Equal(pos, tc.wantPos) || *ns != tc.wantNS {
			t.Errorf("%v: positional %q namespace %q, want %q %q", tc.args, pos, *ns, tc.wantPos, tc.wantNS)
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
