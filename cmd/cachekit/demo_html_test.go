package main

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// page is what the report test reads from the HTML.
type page struct {
	elements map[string]int    // element name → count
	series   map[string]int    // data-series → number of points of its polyline
	faults   int               // shaded fault windows (data-fault)
	links    []string          // every src/href attribute value, and any url( or @import in text
	parents  map[string]string // first parent seen of each element name
}

// readPage parses the report strictly as XML (the page is written to be well-formed), so an unclosed
// element or a stray named entity fails the test.
func readPage(t *testing.T, data []byte) page {
	t.Helper()
	p := page{elements: map[string]int{}, series: map[string]int{}, parents: map[string]string{}}
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	dec.Strict = true
	var stack []string
	series := "" // the data-series group being read
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the report is not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := el.Name.Local
			p.elements[name]++
			if _, ok := p.parents[name]; !ok && len(stack) > 0 {
				p.parents[name] = stack[len(stack)-1]
			}
			stack = append(stack, name)
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "src", "href":
					p.links = append(p.links, a.Value)
				case "data-series":
					series = a.Value
					p.series[series] = 0
				case "data-fault":
					p.faults++
				case "points":
					if name == "polyline" {
						p.series[series] = len(strings.Fields(a.Value))
					}
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if txt := string(el); strings.Contains(txt, "url(") || strings.Contains(txt, "@import") {
				p.links = append(p.links, strings.TrimSpace(txt))
			}
		}
	}
	return p
}

func TestDemoHTMLReport(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	c.env["REDIS_CACHE_TTL_TICKER"] = "300ms"
	file := filepath.Join(t.TempDir(), "demo.html")
	r := c.run("", "demo", "--duration", "3s", "--latency", "1ms", "--jitter", "1ms", "--symbols", "QRL/USDT",
		"--fault", "fail@1s+1s", "--no-progress", "--report", file).expect(t, exitOK)
	if !strings.Contains(r.stderr, "report written to "+file) {
		t.Errorf("stderr %q", r.stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "<!DOCTYPE html>") {
		t.Fatalf("no doctype: %.40q", data)
	}
	p := readPage(t, data)
	for name, want := range map[string]int{"html": 1, "head": 1, "title": 1, "style": 1, "body": 1, "svg": 3, "table": 2} {
		if p.elements[name] != want {
			t.Errorf("%d <%s> elements, want %d", p.elements[name], name, want)
		}
	}
	for _, banned := range []string{"script", "link", "img", "iframe", "object", "embed"} {
		if p.elements[banned] > 0 {
			t.Errorf("the page has <%s>: it must be self-contained", banned)
		}
	}
	if p.parents["svg"] != "body" || p.parents["polyline"] != "g" {
		t.Errorf("svg inside %q, polyline inside %q", p.parents["svg"], p.parents["polyline"])
	}
	for _, l := range p.links {
		t.Errorf("the page refers to something outside it: %q", l)
	}
	var want []string
	for _, k := range []string{"ticker", "ohlcv", "deals", "orderbook"} {
		want = append(want, "from-cache/"+k, "p99/"+k)
	}
	want = append(want, "upstream/with-cache", "upstream/without-cache", "upstream/served-stale")
	for _, s := range want {
		n, ok := p.series[s]
		if !ok {
			t.Errorf("series %s missing", s)
		}
		if (s == "from-cache/ticker" || strings.HasPrefix(s, "upstream/")) && n != 3 {
			t.Errorf("series %s has %d points, want one per second (3)", s, n)
		}
	}
	if p.faults != 3 {
		t.Errorf("%d fault windows, want one per chart (3)", p.faults)
	}

	// Without a fault there is no window; a file name that is not .html is refused before the run.
	file2 := filepath.Join(t.TempDir(), "plain.html")
	c.run("", "demo", "--duration", "1s", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT", "--no-progress", "--report", file2).expect(t, exitOK)
	data, err = os.ReadFile(file2)
	if err != nil {
		t.Fatal(err)
	}
	if p := readPage(t, data); p.faults != 0 || p.elements["table"] != 1 {
		t.Errorf("no fault: %d windows, %d tables", p.faults, p.elements["table"])
	}
	c.run("", "demo", "--report", filepath.Join(t.TempDir(), "x.png")).expect(t, exitUsage)
}

// A --report path that cannot be written is refused before the run (nothing printed on stdout, a
// two-line usage error); an existing page is replaced whole, and no temporary file is left beside it.
func TestDemoHTMLReportPath(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	dir := t.TempDir()
	for _, bad := range []string{filepath.Join(dir, "missing", "r.html"), filepath.Join(dir, "sub.html")} {
		if strings.HasSuffix(bad, "sub.html") {
			if err := os.Mkdir(bad, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		r := c.run("", "demo", "--duration", "30s", "--no-progress", "--report", bad).expect(t, exitUsage)
		if r.stdout != "" || !strings.Contains(r.stderr, "--report "+bad+": ") || !strings.Contains(r.stderr, "hint: ") {
			t.Errorf("--report %s: stdout %q, stderr %q; want nothing run, the path named and a hint", bad, r.stdout, r.stderr)
		}
	}
	page := filepath.Join(dir, "page.html")
	if err := os.WriteFile(page, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("", "demo", "--duration", "1s", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT", "--no-progress", "--report", page).expect(t, exitOK)
	data, err := os.ReadFile(page)
	if err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") {
		t.Errorf("the existing page after the run: %.40q, %v; want the new report", data, err)
	}
	// A symbolic link is followed: the page replaces its target, and the link stays.
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(page, link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("", "demo", "--duration", "1s", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT", "--no-progress", "--report", link).expect(t, exitOK)
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link after the run: %v, %v; want it still a link", st, err)
	}
	if data, err := os.ReadFile(page); err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") {
		t.Errorf("the link's target after the run: %.40q, %v; want the new report", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "page.html" && e.Name() != "sub.html" && e.Name() != "link.html" {
			t.Errorf("left in the report's directory: %s", e.Name())
		}
	}
}
