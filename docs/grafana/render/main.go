// Command render draws docs/grafana/cachekit.json as one self-contained HTML page from a running
// Prometheus: each panel's own queries go to /api/v1/query_range ($__rate_interval replaced by
// -rate-interval, every template variable by .*, "All"), and each panel becomes an inline-SVG chart at
// its gridPos. It is not Grafana and does not pretend to be: render.sh screenshots the page with
// headless Chromium for the README's picture, and the page's footer says how it was made.
//
//	go run ./docs/grafana/render -prom http://127.0.0.1:9090 -range 5m -out dashboard.html
//
// It prints the page's height in pixels (for the screenshot's window size) and, on stderr, each
// panel's series count, so an empty panel is seen.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() {
	prom := flag.String("prom", "http://127.0.0.1:9090", "Prometheus base URL (loopback)")
	dash := flag.String("dashboard", "docs/grafana/cachekit.json", "dashboard JSON")
	out := flag.String("out", "dashboard.html", "HTML page to write")
	span := flag.Duration("range", 5*time.Minute, "time range drawn, ending now")
	step := flag.Duration("step", 2*time.Second, "query_range step")
	rateInterval := flag.String("rate-interval", "10s", "what $__rate_interval becomes")
	note := flag.String("note", "", "what was scraped, for the footer")
	flag.Parse()
	if err := run(*prom, *dash, *out, *span, *step, *rateInterval, *note); err != nil {
		log.Fatal(err)
	}
}

func run(prom, dashPath, out string, span, step time.Duration, rateInterval, note string) error {
	u, err := url.Parse(prom)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("-prom %q: want a loopback http URL", prom)
	}
	if span <= 0 || step <= 0 {
		return fmt.Errorf("-range %v and -step %v must be positive", span, step)
	}
	data, err := os.ReadFile(dashPath)
	if err != nil {
		return err
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("%s: %w", dashPath, err)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	stepSeconds = step.Seconds()
	end := time.Now().Truncate(step)
	q := querier{base: strings.TrimRight(prom, "/"), start: end.Add(-span), end: end, step: step}
	pg := page{title: d.Title, vars: vars, start: q.start, end: end, note: note}
	for _, p := range flatten(d.Panels) {
		if p.Type == "row" {
			continue
		}
		drawn := drawnPanel{panel: p}
		for _, t := range p.Targets {
			expr := substitute(t.Expr, rateInterval)
			series, err := q.rangeQuery(expr)
			if err != nil {
				return fmt.Errorf("panel %q query %s: %w", p.Title, t.RefID, err)
			}
			for i := range series {
				series[i].name = legend(t.LegendFormat, series[i].labels)
			}
			sortSeries(series)
			drawn.series = append(drawn.series, series...)
		}
		log.Printf("panel %-30q %2d series, %4d points", p.Title, len(drawn.series), drawn.points())
		pg.panels = append(pg.panels, drawn)
	}
	html, height := pg.render()
	if err := os.WriteFile(out, []byte(html), 0o644); err != nil {
		return err
	}
	fmt.Println(height)
	return nil
}

type dashboard struct {
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	GridPos     struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
		RefID        string `json:"refId"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults fieldDefaults `json:"defaults"`
	} `json:"fieldConfig"`
	Panels []panel `json:"panels"`
}

type fieldDefaults struct {
	Custom struct {
		ScaleDistribution struct {
			Type string  `json:"type"`
			Log  float64 `json:"log"`
		} `json:"scaleDistribution"`
	} `json:"custom"`
	Unit     string   `json:"unit"`
	Min      *float64 `json:"min"`
	Max      *float64 `json:"max"`
	Decimals *int     `json:"decimals"`
	Mappings []struct {
		Options map[string]struct {
			Text  string `json:"text"`
			Color string `json:"color"`
		} `json:"options"`
	} `json:"mappings"`
	Thresholds struct {
		Steps []struct {
			Color string   `json:"color"`
			Value *float64 `json:"value"`
		} `json:"steps"`
	} `json:"thresholds"`
}

// stepSeconds is the query step, for telling a gap in the data from consecutive points.
var stepSeconds float64

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(append(out, p), flatten(p.Panels)...)
	}
	return out
}
