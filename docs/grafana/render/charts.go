package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// plot is the drawing area of a chart inside its SVG, and the scales onto it.
type plot struct {
	left, top, width, height float64
	t0, t1, y0, y1           float64
	log                      bool // y0 and y1 are then log10 of the bounds
}

func (p plot) x(t float64) float64 { return p.left + (t-p.t0)/(p.t1-p.t0)*p.width }
func (p plot) y(v float64) float64 {
	if p.log {
		v = math.Log10(v)
	}
	return p.top + p.height - (v-p.y0)/(p.y1-p.y0)*p.height
}

func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// timeAxis draws vertical grid lines and their times.
func timeAxis(b *strings.Builder, p plot) {
	span := p.t1 - p.t0
	step := 30.0
	for _, s := range []float64{15, 30, 60, 120, 300, 600, 1800, 3600} {
		step = s
		if span/s*80 <= p.width { // room for each label
			break
		}
	}
	for t := math.Ceil(p.t0/step) * step; t <= p.t1; t += step {
		x := p.x(t)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#2c3235"/>`, f(x), f(p.top), f(x), f(p.top+p.height))
		if x-p.left < 26 || p.left+p.width-x < 26 { // its label would run into the y axis or off the panel
			continue
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, f(x), f(p.top+p.height+12),
			time.Unix(int64(t), 0).UTC().Format("15:04:05"))
	}
}

func timeSeries(dp drawnPanel, w, h int, start, end time.Time, _ int) string {
	if dp.points() == 0 {
		return noData(w, h)
	}
	names, colors := make([]string, len(dp.series)), make([]string, len(dp.series))
	for i, s := range dp.series {
		names[i], colors[i] = s.name, palette[i%len(palette)]
	}
	lg, lgH := legendHTML(names, colors, w)
	def := dp.FieldConfig.Defaults
	logScale := def.Custom.ScaleDistribution.Type == "log"
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range dp.series {
		for _, v := range s.v {
			if !math.IsNaN(v) && (!logScale || v > 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	p := plot{left: 64, top: 6, width: float64(w) - 78, height: float64(h-lgH) - 24,
		t0: float64(start.Unix()), t1: float64(end.Unix()), log: logScale}
	var ticks []float64
	if logScale { // whole decades, as Grafana's log10 axis
		if math.IsInf(lo, 1) {
			lo, hi = 1, 10
		}
		base, every := 10.0, 1.0
		if def.Unit == "bytes" {
			base, every = 2, 5 // 1 KiB, 32 KiB, 1 MiB, 32 MiB...
		}
		logb := func(v float64) float64 { return math.Log(v) / math.Log(base) }
		e0, e1 := every*math.Floor(logb(lo)/every), every*math.Ceil(logb(hi)/every)
		if e1 <= e0 {
			e1 = e0 + every
		}
		for e := e0; e <= e1; e += every {
			ticks = append(ticks, math.Pow(base, e))
		}
		lo, hi = math.Pow(base, e0), math.Pow(base, e1)
		p.y0, p.y1 = math.Log10(lo), math.Log10(hi)
	} else {
		lo = math.Min(lo, 0)
		if def.Min != nil {
			lo = *def.Min
		}
		if def.Max != nil {
			hi = *def.Max
		}
		if hi <= lo {
			hi = lo + 1
		}
		step := niceStep(hi-lo, 4)
		if def.Max == nil {
			hi = math.Ceil(hi/step) * step
		}
		p.y0, p.y1 = lo, hi
		for v := lo; v <= hi+step/1e6; v += step {
			ticks = append(ticks, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d">`, w, h-lgH)
	var dec *int
	if def.Unit == "percentunit" {
		zero := 0
		dec = &zero
	}
	for _, v := range ticks {
		y := p.y(v)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#2c3235"/>`, f(p.left), f(y), f(p.left+p.width), f(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, f(p.left-6), f(y+3), format(v, def.Unit, dec))
	}
	timeAxis(&b, p)
	for i, s := range dp.series {
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, colors[i], strings.Join(seg, " "))
			} else if len(seg) == 1 {
				xy := strings.Split(seg[0], ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="1.5" fill="%s"/>`, xy[0], xy[1], colors[i])
			}
			seg = seg[:0]
		}
		for j, v := range s.v {
			if math.IsNaN(v) || (logScale && v <= 0) {
				flush()
				continue
			}
			v = math.Max(lo, math.Min(hi, v))
			seg = append(seg, f(p.x(s.t[j]))+","+f(p.y(v)))
		}
		flush()
	}
	b.WriteString(`</svg>`)
	return b.String() + lg
}

// last returns a series' last number, NaN when it has none.
func last(s series) float64 {
	for i := len(s.v) - 1; i >= 0; i-- {
		if !math.IsNaN(s.v[i]) {
			return s.v[i]
		}
	}
	return math.NaN()
}

func stat(dp drawnPanel, w, h int) string {
	if dp.points() == 0 {
		return noData(w, h)
	}
	def := dp.FieldConfig.Defaults
	s := dp.series[0]
	v := last(s)
	c := named["green"]
	for _, st := range def.Thresholds.Steps {
		if st.Value == nil || v >= *st.Value {
			c = color(st.Color)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d">`, w, h)
	// The sparkline, as Grafana's graphMode "area" draws it behind the value.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range s.v {
		if !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	t0, t1 := s.t[0], s.t[len(s.t)-1]
	if t1 <= t0 {
		t1 = t0 + 1
	}
	var pts []string
	for i, x := range s.v {
		if !math.IsNaN(x) {
			pts = append(pts, f((s.t[i]-t0)/(t1-t0)*float64(w))+","+f(float64(h)-(x-lo)/(hi-lo)*float64(h)*0.45))
		}
	}
	if len(pts) > 1 {
		first, lastPt := strings.Split(pts[0], ","), strings.Split(pts[len(pts)-1], ",")
		fmt.Fprintf(&b, `<polygon fill="%s" fill-opacity="0.18" stroke="none" points="%s,%d %s %s,%d"/>`, c, first[0], h, strings.Join(pts, " "), lastPt[0], h)
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-opacity="0.6" stroke-width="1.2" points="%s"/>`, c, strings.Join(pts, " "))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" style="font-size:34px;font-weight:500;fill:%s">%s</text>`,
		w/2, h/2+10, c, format(v, def.Unit, def.Decimals))
	b.WriteString(`</svg>`)
	return b.String()
}

// timeline draws each series as a band colored by the panel's value mappings (state-timeline).
func timeline(dp drawnPanel, w, h int, start, end time.Time) string {
	if dp.points() == 0 {
		return noData(w, h)
	}
	type state struct{ text, color string }
	states := map[string]state{}
	var order []string
	for _, m := range dp.FieldConfig.Defaults.Mappings {
		for k, o := range m.Options {
			states[k] = state{o.Text, color(o.Color)}
		}
	}
	for k := range states {
		order = append(order, k)
	}
	sort.Strings(order)
	names, colors := make([]string, len(order)), make([]string, len(order))
	for i, k := range order {
		names[i], colors[i] = states[k].text, states[k].color
	}
	lg, lgH := legendHTML(names, colors, w)
	labelW := 0
	for _, s := range dp.series {
		labelW = max(labelW, int(6.2*float64(len(s.name))))
	}
	labelW += 14
	p := plot{left: float64(labelW), top: 4, width: float64(w-labelW) - 12, height: float64(h-lgH) - 22,
		t0: float64(start.Unix()), t1: float64(end.Unix())}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg width="%d" height="%d">`, w, h-lgH)
	timeAxis(&b, p)
	band := p.height / float64(len(dp.series))
	for i, s := range dp.series {
		y := p.top + float64(i)*band
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end" style="fill:#ccccdc">%s</text>`, labelW-8, f(y+band/2+3), s.name)
		for j := 0; j < len(s.v); {
			if math.IsNaN(s.v[j]) {
				j++
				continue
			}
			k := j
			// A run of one state, up to a change or a gap in the scrapes.
			for k+1 < len(s.v) && s.v[k+1] == s.v[j] && s.t[k+1]-s.t[k] <= 1.5*stepSeconds {
				k++
			}
			endT := math.Min(s.t[k]+stepSeconds, p.t1)
			st, ok := states[strconv.FormatFloat(s.v[j], 'f', -1, 64)]
			if !ok {
				st = state{strconv.FormatFloat(s.v[j], 'f', -1, 64), named["blue"]}
			}
			x0, x1 := p.x(s.t[j]), p.x(endT)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.85"/>`, f(x0), f(y+band*0.1), f(math.Max(x1-x0, 1)), f(band*0.8), st.color)
			if x1-x0 > 6.5*float64(len(st.text))+8 {
				fmt.Fprintf(&b, `<text x="%s" y="%s" style="fill:#111217;font-size:11px">%s</text>`, f(x0+4), f(y+band/2+4), st.text)
			}
			j = k + 1
		}
	}
	b.WriteString(`</svg>`)
	return b.String() + lg
}
