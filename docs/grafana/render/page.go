package main

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"time"
)

// Layout of Grafana's grid: 24 columns, rows of 30 px with 8 px gaps.
const (
	pageWidth = 1600
	margin    = 8
	colWidth  = float64(pageWidth-2*margin) / 24
	rowHeight = 38
	headerH   = 64
	footerH   = 56
)

type page struct {
	title      string
	vars       []string
	start, end time.Time
	note       string
	panels     []drawnPanel
}

type drawnPanel struct {
	panel
	series []series
}

func (p drawnPanel) points() int {
	n := 0
	for _, s := range p.series {
		for _, v := range s.v {
			if !math.IsNaN(v) {
				n++
			}
		}
	}
	return n
}

// render returns the page and its height in pixels.
func (pg page) render() (string, int) {
	rows := 0
	for _, p := range pg.panels {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	height := headerH + rows*rowHeight + footerH
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s</title><style>
body{margin:0;background:#111217;color:#ccccdc;font:12px Inter,Helvetica,Arial,sans-serif;width:%dpx;height:%dpx;position:relative;overflow:hidden}
.hdr{position:absolute;left:%dpx;top:10px;right:%dpx;height:44px;display:flex;align-items:center;gap:18px}
.hdr h1{font-size:18px;font-weight:500;margin:0;color:#d8d9da}
.var{background:#181b1f;border:1px solid #2c3235;border-radius:2px;padding:4px 8px;color:#ccccdc}
.var b{color:#6e9fff;font-weight:500;margin-right:6px}
.range{margin-left:auto;color:#8e8e8e}
.p{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px;box-sizing:border-box;overflow:hidden}
.p h2{font-size:13px;font-weight:500;margin:0;padding:6px 8px 0;height:22px;color:#d8d9da;white-space:nowrap}
.lg{position:absolute;left:8px;right:8px;bottom:4px;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11px;line-height:15px}
.lg span i{display:inline-block;width:14px;height:4px;border-radius:1px;margin-right:5px;vertical-align:middle}
.ft{position:absolute;left:%dpx;right:%dpx;bottom:10px;color:#8e8e8e;font-size:12px;line-height:17px}
svg text{fill:#9fa7b3;font-size:10px}
</style></head><body>
`, html.EscapeString(pg.title), pageWidth, height, margin, margin, margin, margin)
	b.WriteString(`<div class="hdr"><h1>` + html.EscapeString(pg.title) + `</h1>`)
	for _, v := range pg.vars {
		b.WriteString(`<span class="var"><b>` + html.EscapeString(v) + `</b>All</span>`)
	}
	fmt.Fprintf(&b, `<span class="range">%s to %s UTC</span></div>`, pg.start.UTC().Format("2006-01-02 15:04:05"), pg.end.UTC().Format("15:04:05"))
	for i, p := range pg.panels {
		g := p.GridPos
		x, y := margin+int(float64(g.X)*colWidth), headerH+g.Y*rowHeight
		w, h := int(float64(g.W)*colWidth)-margin, g.H*rowHeight-margin
		fmt.Fprintf(&b, `<div class="p" style="left:%dpx;top:%dpx;width:%dpx;height:%dpx" title="%s"><h2>%s</h2>`,
			x, y, w, h, html.EscapeString(p.Description), html.EscapeString(p.Title))
		switch p.Type {
		case "stat":
			b.WriteString(stat(p, w, h-24))
		case "state-timeline":
			b.WriteString(timeline(p, w, h-24, pg.start, pg.end))
		default:
			b.WriteString(timeSeries(p, w, h-24, pg.start, pg.end, i))
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`<div class="ft">Rendered by docs/grafana/render.sh, not by Grafana: every panel above is drawn from a real ` +
		`Prometheus scrape with the panel's own queries from docs/grafana/cachekit.json ($__rate_interval = 10s, every variable = All). ` +
		html.EscapeString(pg.note) + `</div></body></html>`)
	return b.String(), height
}

// legendHTML writes a legend and returns it with its height.
func legendHTML(names, colors []string, width int) (string, int) {
	if len(names) == 0 {
		return "", 0
	}
	var b strings.Builder
	b.WriteString(`<div class="lg">`)
	line, lines := 0, 1
	for i, n := range names {
		wpx := 24 + int(6.2*float64(len(n)))
		if line > 0 && line+wpx > width-16 {
			lines, line = lines+1, 0
		}
		line += wpx
		fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s</span>`, colors[i], html.EscapeString(n))
	}
	b.WriteString(`</div>`)
	return b.String(), lines*17 + 6
}

func noData(w, h int) string {
	return fmt.Sprintf(`<svg width="%d" height="%d"><text x="%d" y="%d" text-anchor="middle" style="font-size:14px">No data</text></svg>`, w, h, w/2, h/2)
}

// sortSeries orders series by name, so legends and colors are stable.
func sortSeries(ss []series) {
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].name < ss[j].name })
}
