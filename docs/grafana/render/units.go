package main

import (
	"fmt"
	"math"
	"strings"
)

// format writes v in a panel's unit the way Grafana shows it, roughly.
func format(v float64, unit string, decimals *int) string {
	if math.IsNaN(v) {
		return "–"
	}
	d := -1
	if decimals != nil {
		d = *decimals
	}
	switch unit {
	case "percentunit":
		return num(v*100, d) + "%"
	case "s":
		a := math.Abs(v)
		switch {
		case a == 0:
			return "0 s"
		case a < 1e-3:
			return num(v*1e6, d) + " µs"
		case a < 1:
			return num(v*1e3, d) + " ms"
		case a < 600:
			return num(v, d) + " s"
		default:
			return num(v/60, d) + " min"
		}
	case "bytes":
		for _, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
			if math.Abs(v) < 1024 || u == "TiB" {
				return num(v, d) + " " + u
			}
			v /= 1024
		}
	case "ops":
		return si(v, d) + " ops/s"
	}
	return si(v, d)
}

func si(v float64, d int) string {
	for _, p := range []struct {
		f float64
		s string
	}{{1e9, " G"}, {1e6, " M"}, {1e3, " K"}} {
		if math.Abs(v) >= p.f {
			return num(v/p.f, d) + p.s
		}
	}
	return num(v, d)
}

// num prints v with d decimals, or as few as make sense when d < 0.
func num(v float64, d int) string {
	auto := d < 0
	if auto {
		switch a := math.Abs(v); {
		case a == 0 || a >= 100:
			d = 0
		case a >= 10:
			d = 1
		default:
			d = 2
		}
	}
	s := fmt.Sprintf("%.*f", d, v)
	if strings.Contains(s, ".") && auto {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// niceStep returns a round step (1, 2 or 5 × 10^n) that cuts span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// colors are Grafana's named colors and its classic palette.
var named = map[string]string{"green": "#73BF69", "red": "#F2495C", "orange": "#FF9830", "yellow": "#FADE2A",
	"blue": "#5794F2", "purple": "#B877D9", "text": "#CCCCDC"}

var palette = []string{"#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9",
	"#705DA0", "#37872D", "#FADE2A", "#447EBC", "#C4162A", "#1F78C1", "#BA43A9", "#E0752D", "#6ED0E0"}

func color(name string) string {
	if c, ok := named[name]; ok {
		return c
	}
	if strings.HasPrefix(name, "#") {
		return name
	}
	return named["green"]
}
