package redis

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
)

// TestPasswordNeverShown collects every error, note and description a Store with a password in its URL
// can produce (bad options, unreachable servers, refused authentication) and greps them for it.
func TestPasswordNeverShown(t *testing.T) {
	srv := redistest.Standalone(t)
	dead := redistest.Dedicated(t)
	dead.Stop(t) // a loopback address that refuses connections
	ctx := context.Background()
	var texts []string
	add := func(what string, v any) {
		if v != nil {
			texts = append(texts, fmt.Sprintf("%s: %v", what, v))
		}
	}
	urls := []string{
		"redis://app:" + secret + "@" + srv.Addr + "/0",                                     // wrong credentials
		"redis://app:" + secret + "@" + dead.Addr + "/0?dial_timeout=100ms",                 // unreachable
		"redis://app:" + secret + "@" + dead.Addr + "/0?eviction_policy=allkeys-lru",        // note at open
		"redis+cluster://app:" + secret + "@" + dead.Addr + "?dial_timeout=100ms",           // unreachable cluster
		"redis+sentinel://app:" + secret + "@" + dead.Addr + "/mymaster?dial_timeout=100ms", // unreachable sentinel
		"redis+sentinel://app:" + secret + "@" + dead.Addr + "/mymaster?sentinel_auth=true&dial_timeout=100ms",
		"redis://app:" + url2(secret) + "@" + dead.Addr + "/0?dial_timeout=100ms",
	}
	for _, u := range urls {
		s, err := Open(ctx, u)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		add("String", s.String())
		_, err = s.Get(ctx, "k")
		add("Get", err)
		add("Set", s.Set(ctx, "k", []byte("v"), time.Hour))
		_, err = s.DeletePattern(ctx, "k*")
		add("DeletePattern", err)
		st, err := s.Stats(ctx)
		add("Stats", err)
		add("PolicyNote", st.PolicyNote)
		add("EnsureEvictionPolicy", s.EnsureEvictionPolicy(ctx, "allkeys-lru"))
		add("Ping", s.Ping(ctx))
		_ = s.Close()
	}
	// A client given to New: its description comes from the client's options, password excluded.
	given := goredis.NewClient(&goredis.Options{Addr: srv.Addr, Username: "app", Password: secret})
	ns, err := New(given, Options{CloseClient: true})
	if err != nil {
		t.Fatal(err)
	}
	add("String of New", ns.String())
	_, err = ns.Get(ctx, "k")
	add("Get via New", err)
	_ = ns.Close()

	for _, bad := range []string{"?bogus=1", "?dial_timeout=x", "/x/y", "?eviction_policy=nope", "?route_by_latency=true"} {
		_, err := Open(ctx, "redis+sentinel://app:"+secret+"@127.0.0.1:1/m"+bad)
		add("Open "+bad, err)
		_, err = Open(ctx, "redis://app:"+secret+"@127.0.0.1:1"+bad)
		add("Open "+bad, err)
	}
	if len(texts) < 40 {
		t.Fatalf("collected only %d texts", len(texts))
	}
	for _, text := range texts {
		for _, form := range []string{secret, url2(secret)} {
			if strings.Contains(text, form) {
				t.Errorf("password visible in %s", text)
			}
		}
	}
	t.Logf("checked %d texts, e.g. %s", len(texts), texts[1])
}

// url2 is a password with characters a URL escapes.
func url2(p string) string { return p + "%2F%40" }

// TestNeverKeysOrFlush parses every Go file of the package, tests included, and fails on a call of
// go-redis' Keys, FlushDB or FlushAll (any variant) or a call argument naming those commands (as in
// Do(ctx, "keys", ...)): the package never blocks a server with KEYS and never flushes one.
func TestNeverKeysOrFlush(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files found: %v", err)
	}
	forbidden := map[string]bool{"keys": true, "flushdb": true, "flushall": true}
	// Files allowed to flush, each with its reason: a test of what a flush does, on a server of its own.
	mayFlush := map[string]string{
		"tracking_test.go": "TestTrackFlushAll runs FLUSHALL on a dedicated server to check the FlushAll event",
	}
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				m := strings.ToLower(sel.Sel.Name)
				for fname := range forbidden { // FlushDBAsync, FlushAllAsync too
					if _, ok := mayFlush[name]; ok && fname != "keys" {
						continue
					}
					if m == fname || (fname != "keys" && strings.HasPrefix(m, fname)) {
						t.Errorf("%s: calls %s", fset.Position(call.Pos()), sel.Sel.Name)
					}
				}
			}
			for _, arg := range call.Args { // Do(ctx, "keys", ...) and the like
				lit, ok := arg.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					continue
				}
				if cmd := strings.ToLower(strings.TrimSpace(s)); forbidden[cmd] && (cmd == "keys" || mayFlush[name] == "") {
					t.Errorf("%s: sends the command %s", fset.Position(lit.Pos()), lit.Value)
				}
			}
			return true
		})
	}
}
