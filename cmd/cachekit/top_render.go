package main

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// Terminal control sequences of the live view (VT100/xterm, understood by every terminal in use).
const (
	escAltScreenEnter = "\x1b[?1049h"
	escAltScreenLeave = "\x1b[?1049l"
	escCursorHide     = "\x1b[?25l"
	escCursorShow     = "\x1b[?25h"
	escHomeClear      = "\x1b[H\x1b[2J"
)

// sparkChars are the eight levels of a sparkline, lowest first.
var sparkChars = []rune("▁▂▃▄▅▆▇█")

// sparkline draws ratios (0..1) as one character each, right-aligned in width cells; a nil ratio (no
// lookups in that interval) is a blank.
func sparkline(h []*float64, width int) string {
	if len(h) > width {
		h = h[len(h)-width:]
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(h)))
	for _, r := range h {
		if r == nil {
			b.WriteByte(' ')
			continue
		}
		i := int(*r * float64(len(sparkChars)))
		b.WriteRune(sparkChars[min(max(i, 0), len(sparkChars)-1)])
	}
	return b.String()
}

// kindLabel shows the kind of calls over several keys ("") readably.
func kindLabel(k string) string {
	if k == "" {
		return "(multi-key)"
	}
	return k
}

func rateText(r *float64) string {
	if r == nil {
		return "-"
	}
	return strconv.FormatFloat(*r, 'f', 1, 64)
}

func ratioText(r *float64) string {
	if r == nil {
		return "-"
	}
	return pct(*r)
}

// breakersText summarises circuit breakers: "none", "closed" when all are, else the others' states.
func breakersText(bs []breakerRow, sep string) string {
	return strings.Join(breakerParts(bs), sep)
}

// breakerParts is breakersText's list: ["none"], ["closed"], or one ENDPOINT=STATE per breaker not closed.
func breakerParts(bs []breakerRow) []string {
	if len(bs) == 0 {
		return []string{"none"}
	}
	var odd []string
	for _, b := range bs {
		if b.State != "closed" {
			odd = append(odd, b.Endpoint+"="+b.State)
		}
	}
	if len(odd) == 0 {
		return []string{"closed"}
	}
	return odd
}

// writeLine writes one frame as one line of space-separated NAME=VALUE fields (the documented
// non-terminal format; "-" is an unknown value).
func writeLine(w io.Writer, f topFrame) error {
	fields := []string{"time=" + f.Time.Format(time.RFC3339)}
	add := func(name, value string) { fields = append(fields, name+"="+value) }
	if m := f.Metrics; m != nil {
		if m.Error != "" {
			add("error", strconv.Quote(m.Error))
		} else {
			add("req/s", rateText(m.RequestsPerS))
			add("hit", ratioText(m.HitRatio))
			add("total_hit", ratioText(m.TotalHitRatio))
			add("stale/s", rateText(m.StalePerS))
			add("l1_hits/s", rateText(m.L1HitsPerS))
			add("l2_hits/s", rateText(m.L2HitsPerS))
			add("evictions/s", rateText(m.EvictionsPerS))
			add("mem", strconv.FormatInt(m.MemoryBytes, 10))
			add("inval/s", rateText(m.InvalidationsPerS))
			add("breakers", breakersText(m.Breakers, ","))
			for _, k := range m.Kinds {
				add("hit["+kindLabel(k.Kind)+"]", ratioText(k.HitRatio))
			}
		}
	}
	if s := f.Store; s != nil {
		if s.Error != "" {
			add("store.error", strconv.Quote(s.Error))
		}
		add("store.ns_keys", strconv.FormatInt(s.NamespaceKeys, 10))
		add("store.keys", strconv.FormatInt(s.Keys, 10))
		add("store.mem", strconv.FormatInt(s.UsedBytes, 10))
		add("store.evictions", strconv.FormatInt(s.Evictions, 10))
		policy := s.EvictionPolicy
		if policy == "" {
			policy = "-"
		}
		add("store.policy", policy)
		add("store.breakers", breakersText(s.Breakers, ","))
	}
	_, err := io.WriteString(w, strings.Join(fields, " ")+"\n")
	return err
}

// writeJSONLine writes one frame as one compact JSON object and a newline (JSON Lines).
func writeJSONLine(w io.Writer, f topFrame) error {
	return json.NewEncoder(w).Encode(f)
}
