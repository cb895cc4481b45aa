package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// querier runs range queries against one Prometheus over one time range.
type querier struct {
	base       string
	start, end time.Time
	step       time.Duration
}

// series is one result series: times in Unix seconds, NaN where the query gave no number.
type series struct {
	name   string
	labels map[string]string
	t, v   []float64
}

var client = &http.Client{Timeout: 30 * time.Second}

func (q querier) rangeQuery(expr string) ([]series, error) {
	form := url.Values{"query": {expr},
		"start": {strconv.FormatInt(q.start.Unix(), 10)}, "end": {strconv.FormatInt(q.end.Unix(), 10)},
		"step": {strconv.FormatFloat(q.step.Seconds(), 'f', -1, 64)}}
	resp, err := client.PostForm(q.base+"/api/v1/query_range", form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d, unreadable answer: %w", resp.StatusCode, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s (%s)", r.Error, expr)
	}
	var out []series
	for _, res := range r.Data.Result {
		s := series{labels: res.Metric}
		for _, pair := range res.Values {
			ts, _ := pair[0].(float64)
			str, _ := pair[1].(string)
			v, err := strconv.ParseFloat(str, 64)
			if err != nil || math.IsInf(v, 0) {
				v = math.NaN()
			}
			s.t, s.v = append(s.t, ts), append(s.v, v)
		}
		out = append(out, s)
	}
	return out, nil
}

var (
	varRE    = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)
	legendRE = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
)

// substitute does what Grafana does to a query before sending it, for the "All" choice of every
// variable: $__rate_interval becomes rateInterval, every other variable .* (the dashboard's allValue).
func substitute(expr, rateInterval string) string {
	return varRE.ReplaceAllStringFunc(expr, func(m string) string {
		switch varRE.FindStringSubmatch(m)[1] {
		case "__rate_interval", "__interval", "__range":
			return rateInterval
		}
		return ".*"
	})
}

// legend fills a legendFormat's {{label}}s; an empty format names the series by its labels.
func legend(format string, labels map[string]string) string {
	if format == "" {
		b, _ := json.Marshal(labels)
		return string(b)
	}
	return legendRE.ReplaceAllStringFunc(format, func(m string) string {
		return labels[legendRE.FindStringSubmatch(m)[1]]
	})
}
