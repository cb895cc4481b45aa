package cachekitprom_test

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one series of a scrape: a counter's or gauge's value, a histogram's count and sum.
type sample struct {
	typ   string // "COUNTER", "GAUGE", "HISTOGRAM"
	value float64
	count uint64
	sum   float64
}

// scrapeResult is one GET /metrics: the text and its series by "name{k=v,...}" (labels sorted).
type scrapeResult struct {
	text    string
	samples map[string]sample
}

// scrape serves reg through promhttp on a loopback httptest server, GETs /metrics and parses the text
// format, as Prometheus would.
func scrape(t *testing.T, reg *prometheus.Registry) scrapeResult {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	out := scrapeResult{text: string(body), samples: map[string]sample{}}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			s := sample{typ: f.GetType().String()}
			switch {
			case m.GetCounter() != nil:
				s.value = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				s.value = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				s.count, s.sum = m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
			out.samples[series(name, labels)] = s
		}
	}
	return out
}

// series is the key of a series: name{k="v",...} with the labels sorted.
func series(name string, labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+`="`+labels[k]+`"`)
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

// withPrefix returns the series keys of the metric name, sorted.
func (r scrapeResult) withPrefix(name string) []string {
	var out []string
	for k := range r.samples {
		if strings.HasPrefix(k, name+"{") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// value returns the value of a counter or gauge series, failing the test when it is missing.
func (r scrapeResult) value(t *testing.T, key string) float64 {
	t.Helper()
	s, ok := r.samples[key]
	if !ok {
		t.Fatalf("series %s missing from the scrape:\n%s", key, r.text)
	}
	return s.value
}

// hist returns a histogram series, failing the test when it is missing.
func (r scrapeResult) hist(t *testing.T, key string) sample {
	t.Helper()
	s, ok := r.samples[key]
	if !ok || s.typ != "HISTOGRAM" {
		t.Fatalf("histogram %s missing from the scrape:\n%s", key, r.text)
	}
	return s
}

// eventually scrapes until ok holds or 10 s pass, and returns the last scrape.
func eventually(t *testing.T, reg *prometheus.Registry, what string, ok func(scrapeResult) bool) scrapeResult {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := scrape(t, reg)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within 10s; last scrape:\n%s", what, r.text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeClock is a settable clock for cachekit.WithClock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// withoutBuckets drops the histogram bucket lines of a scrape, for a readable log.
func withoutBuckets(text string) string {
	var keep []string
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.Contains(line, "_bucket{") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
