package main

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// The page is written by hand rather than through html/template: it is a few fixed elements and numbers,
// every text goes through html.EscapeString, and the output is also well-formed XML (self-closed empty
// elements, no named entities), so a test can read it with encoding/xml.

// kindColors gives each kind one colour in every chart.
var kindColors = map[string]string{
	exchange.KindTicker: "#1f77b4", exchange.KindOHLCV: "#ff7f0e", exchange.KindDeals: "#2ca02c", exchange.KindOrderBook: "#d62728",
}

// reportFile is the page --report writes. It is a temporary file beside the target, created before the
// run so that a path that cannot be written fails at once rather than after the whole run, and renamed
// over the target once the page is complete: an existing file is replaced whole, or not at all.
type reportFile struct {
	path string
	tmp  *os.File
}

// createReport prepares the report page for path, or says why path cannot be written. An existing page
// must be writable, as os.WriteFile would need; a symbolic link is followed, so the page replaces its
// target.
func createReport(path string) (*reportFile, error) {
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, errors.New("that is a directory")
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, bareErr(err)
		}
		f.Close()
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
	}
	dir := filepath.Dir(path)
	for {
		// O_EXCL under a random name, as os.CreateTemp, but with 0644 and the umask, as os.WriteFile.
		name := filepath.Join(dir, fmt.Sprintf(".cachekit-report-%08x.html", rand.Uint32()))
		tmp, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write in directory %s: %w", dir, bareErr(err))
		}
		return &reportFile{path: path, tmp: tmp}, nil
	}
}

// bareErr is the reason of a file operation's error, without the path (the message names the path
// given, not a temporary one).
func bareErr(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

// write renders the run's report page and moves it into place.
func (r *reportFile) write(res demoJSON) error {
	tmp := r.tmp
	r.tmp = nil
	_, err := tmp.WriteString(demoHTML(res))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// discard removes the page when the run ended before write; after write it does nothing.
func (r *reportFile) discard() {
	if r != nil && r.tmp != nil {
		_ = r.tmp.Close()
		_ = os.Remove(r.tmp.Name())
		r.tmp = nil
	}
}

// demoHTML renders the report: a self-contained page (inline CSS and SVG, no script, nothing loaded
// from elsewhere) with the summary table, three per-second charts and the fault's phases.
func demoHTML(res demoJSON) string {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>cachekit demo report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 16px; margin: 22px 0 4px 0; }
p.meta { color: #555; margin: 2px 0; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 600; border-top: 2px solid #999; }
svg { display: block; margin-top: 4px; }
svg text { font-size: 11px; fill: #444; }
.grid { stroke: #e5e5e5; stroke-width: 1; }
.axis { stroke: #888; stroke-width: 1; }
.fault { fill: #d62728; fill-opacity: 0.10; }
.faultlabel { fill: #b22222; font-weight: 600; }
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>cachekit demo %s</h1>\n", esc(cachekit.Version))
	fmt.Fprintf(&b, "<p class=\"meta\">A simulated bot polling %s for %v through the cache.</p>\n",
		esc(strings.Join(res.Symbols, ", ")), time.Duration(res.DurationMs)*time.Millisecond)
	fmt.Fprintf(&b, "<p class=\"meta\">upstream: %s</p>\n<p class=\"meta\">cache: %s, namespace %s</p>\n",
		esc(res.Upstream), esc(res.Cache), esc(res.Namespace))
	if res.Fault != nil {
		fmt.Fprintf(&b, "<p class=\"meta\">fault: %s (shaded in the charts)</p>\n", esc(res.Fault.Text))
	}

	b.WriteString("<h2>Per kind</h2>\n<table id=\"summary\">\n<tr><th>kind</th><th>requests</th><th>upstream calls</th><th>without cache</th><th>from cache</th><th>errors</th><th>p50</th><th>p99</th></tr>\n")
	row := func(k demoKindJSON, class string) {
		fmt.Fprintf(&b, "<tr%s><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>\n",
			class, esc(k.Kind), k.Requests, k.UpstreamCalls, k.WithoutCache, esc(fmtPercent(k.FromCache)), k.Errors,
			esc(msText(k.P50Ms)), esc(msText(k.P99Ms)))
	}
	for _, k := range res.Kinds {
		row(k, "")
	}
	row(res.Total, ` class="total"`)
	b.WriteString("</table>\n")
	fmt.Fprintf(&b, "<p class=\"meta\">upstream calls: %d with the cache, %d without it (%d saved)</p>\n",
		res.Total.UpstreamCalls, res.Total.Requests, max(res.Total.Requests-res.Total.UpstreamCalls, 0))

	var hit, p99 []chartSeries
	for _, k := range res.Kinds {
		h := chartSeries{id: "from-cache/" + k.Kind, name: k.Kind, color: kindColors[k.Kind]}
		l := chartSeries{id: "p99/" + k.Kind, name: k.Kind, color: kindColors[k.Kind]}
		for _, s := range res.Seconds {
			sk := s.Kinds[k.Kind]
			if sk.Requests > 0 {
				h.points = append(h.points, chartPoint{float64(s.Second) + 0.5, 100 * sk.FromCache})
			}
			if sk.P99Ms >= 0 {
				l.points = append(l.points, chartPoint{float64(s.Second) + 0.5, sk.P99Ms})
			}
		}
		hit, p99 = append(hit, h), append(p99, l)
	}
	with := chartSeries{id: "upstream/with-cache", name: "with the cache", color: "#1f77b4"}
	without := chartSeries{id: "upstream/without-cache", name: "without (1 per request)", color: "#888888", dashed: true}
	stale := chartSeries{id: "upstream/served-stale", name: "served stale", color: "#ff7f0e"}
	for _, s := range res.Seconds {
		stale.points = append(stale.points, chartPoint{float64(s.Second) + 0.5, float64(s.ServedStale)})
		with.points = append(with.points, chartPoint{float64(s.Second) + 0.5, float64(s.UpstreamCalls)})
		without.points = append(without.points, chartPoint{float64(s.Second) + 0.5, float64(s.Requests)})
	}
	seconds := float64(max(len(res.Seconds), 1))

	b.WriteString("<h2>Served from the cache, per second</h2>\n")
	b.WriteString(renderChart("chart-from-cache", seconds, hit, linearAxis{max: 100, unit: "%"}, res.Fault))
	b.WriteString("<h2>p99 request latency, per second (log scale)</h2>\n")
	b.WriteString(renderChart("chart-p99", seconds, p99, logAxis{}, res.Fault))
	b.WriteString("<h2>Upstream calls per second, with and without the cache, and values served stale</h2>\n")
	b.WriteString(renderChart("chart-upstream", seconds, []chartSeries{without, with, stale}, linearAxis{}, res.Fault))

	if f := res.Fault; f != nil {
		b.WriteString("<h2>Before, during and after the fault</h2>\n<table id=\"phases\">\n<tr><th>phase</th><th>requests</th><th>errors seen</th><th>served stale</th><th>upstream calls</th>")
		for _, k := range res.Kinds {
			fmt.Fprintf(&b, "<th>%s p99</th>", esc(k.Kind))
		}
		b.WriteString("</tr>\n")
		for _, p := range f.Phases {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>", esc(p.Phase), p.Requests, p.ErrorsSeen, p.ServedStale, p.UpstreamCalls)
			for _, k := range res.Kinds {
				fmt.Fprintf(&b, "<td>%s</td>", esc(msText(p.P99Ms[k.Kind])))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	fmt.Fprintf(&b, "<p class=\"meta\">cached at the end: %d entries, %s; backend %s</p>\n",
		res.Cached.Entries, esc(fmtBytes(res.Cached.Bytes)), esc(res.Cached.Backend))
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

type chartPoint struct{ x, y float64 }

// chartSeries is one line of a chart; id names it in the page (data-series) for tests and readers.
type chartSeries struct {
	id, name, color string
	dashed          bool
	points          []chartPoint
}

// yAxis maps values to [0, 1] of the plot's height and names its ticks.
type yAxis interface {
	scale(series []chartSeries) (pos func(float64) float64, ticks []float64, label func(float64) string)
}

// linearAxis runs from 0 to max (the data's maximum when 0), in unit.
type linearAxis struct {
	max  float64
	unit string
}

func (a linearAxis) scale(series []chartSeries) (func(float64) float64, []float64, func(float64) string) {
	top := a.max
	if top == 0 {
		for _, s := range series {
			for _, p := range s.points {
				top = max(top, p.y)
			}
		}
		top = niceCeil(max(top, 1))
	}
	step := niceCeil(top / 5)
	var ticks []float64
	for v := 0.0; v <= top+1e-9; v += step {
		ticks = append(ticks, v)
	}
	return func(v float64) float64 { return v / top }, ticks,
		func(v float64) string { return trimFloat(v) + a.unit }
}

// logAxis is a latency axis in milliseconds over whole decades.
type logAxis struct{}

func (logAxis) scale(series []chartSeries) (func(float64) float64, []float64, func(float64) string) {
	lo, hi := math.Inf(1), 0.0
	for _, s := range series {
		for _, p := range s.points {
			if p.y > 0 {
				lo, hi = min(lo, p.y), max(hi, p.y)
			}
		}
	}
	if hi == 0 {
		lo, hi = 0.001, 1
	}
	l0, l1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if l1 <= l0 {
		l1 = l0 + 1
	}
	var ticks []float64
	for e := l0; e <= l1; e++ {
		ticks = append(ticks, math.Pow(10, e))
	}
	return func(v float64) float64 {
			if v <= 0 {
				return 0
			}
			return (math.Log10(v) - l0) / (l1 - l0)
		}, ticks,
		func(v float64) string { return fmtLatency(time.Duration(v * float64(time.Millisecond))) }
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p+1e-9 {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                      = 960, 230
	padLeft, padRight, padTop, padBelow = 64, 190, 14, 34
)

// renderChart draws series over seconds 0..seconds with the y axis, a legend on the right and the fault
// window shaded.
func renderChart(id string, seconds float64, series []chartSeries, axis yAxis, f *demoFaultJSON) string {
	var b strings.Builder
	esc := html.EscapeString
	pw, ph := float64(chartW-padLeft-padRight), float64(chartH-padTop-padBelow)
	xOf := func(x float64) float64 { return padLeft + pw*x/seconds }
	pos, ticks, label := axis.scale(series)
	yOf := func(v float64) float64 { return padTop + ph*(1-min(max(pos(v), 0), 1)) }

	fmt.Fprintf(&b, `<svg id="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img">`+"\n",
		esc(id), chartW, chartH, chartW, chartH)
	if f != nil {
		x0 := xOf(min(float64(f.StartMs)/1000, seconds))
		x1 := xOf(min(float64(f.StartMs+f.DurationMs)/1000, seconds))
		fmt.Fprintf(&b, `<rect class="fault" data-fault="%s" x="%.1f" y="%d" width="%.1f" height="%.1f"/>`+"\n", esc(f.Mode), x0, padTop, x1-x0, ph)
		fmt.Fprintf(&b, `<text class="faultlabel" x="%.1f" y="%d">fault: upstream %s</text>`+"\n", x0+4, padTop+12, map[string]string{"fail": "failing", "slow": "slow"}[f.Mode])
	}
	for _, t := range ticks {
		y := yOf(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", padLeft, y, padLeft+pw, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padLeft-6, y+4, esc(label(t)))
	}
	step := math.Max(1, niceCeil(seconds/12))
	for s := 0.0; s <= seconds+1e-9; s += step {
		x := xOf(s)
		fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", x, padTop+ph, x, padTop+ph+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%ss</text>`+"\n", x, padTop+ph+17, trimFloat(s))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%.1f" x2="%.1f" y2="%.1f"/>`+"\n", padLeft, padTop+ph, padLeft+pw, padTop+ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">second of the run</text>`+"\n", padLeft+pw/2, chartH-2)
	for i, s := range series {
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		pts := make([]string, len(s.points))
		for j, p := range s.points {
			pts[j] = fmt.Sprintf("%.1f,%.1f", xOf(p.x), yOf(p.y))
		}
		fmt.Fprintf(&b, `<g data-series="%s"><polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`,
			esc(s.id), s.color, dash, strings.Join(pts, " "))
		for _, p := range s.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, xOf(p.x), yOf(p.y), s.color)
		}
		b.WriteString("</g>\n")
		ly := padTop + 10 + 18*i
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"%s/>`, padLeft+pw+14, ly, padLeft+pw+38, ly, s.color, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", padLeft+pw+44, ly+4, esc(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
