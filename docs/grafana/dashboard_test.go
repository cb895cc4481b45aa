package grafana_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

type dashboard struct {
	Inputs []struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		PluginID string `json:"pluginId"`
	} `json:"__inputs"`
	SchemaVersion int     `json:"schemaVersion"`
	UID           string  `json:"uid"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string     `json:"name"`
			Datasource datasource `json:"datasource"`
			Definition string     `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource datasource               `json:"datasource"`
	GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
	Targets    []struct {
		Expr       string     `json:"expr"`
		RefID      string     `json:"refId"`
		Datasource datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

type datasource struct{ Type, UID string }

func load(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("cachekit.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("cachekit.json is not valid JSON for a dashboard: %v", err)
	}
	return d
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// TestImportable checks what Grafana's Dashboards → Import needs: one Prometheus datasource input that
// every panel, query and variable uses, and panels laid out on the 24-column grid without overlap.
func TestImportable(t *testing.T) {
	d := load(t)
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].Type != "datasource" || d.Inputs[0].PluginID != "prometheus" {
		t.Fatalf("__inputs = %+v, want one prometheus datasource input DS_PROMETHEUS", d.Inputs)
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion = %d, want 36..41 (Grafana 9.x-11.x)", d.SchemaVersion)
	}
	if d.UID == "" {
		t.Error("no uid: links to the dashboard would change on every import")
	}
	const ds = "${DS_PROMETHEUS}"
	type cell struct{ x, y int }
	taken := map[cell]string{}
	ids := map[int]string{}
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != ds || p.Datasource.Type != "prometheus" {
			t.Errorf("panel %q: datasource %+v, want prometheus %s", p.Title, p.Datasource, ds)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != ds {
				t.Errorf("panel %q query %s: datasource %+v, want %s", p.Title, tg.RefID, tg.Datasource, ds)
			}
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Fatalf("panels %q and %q overlap at %d,%d", other, p.Title, x, y)
				}
				taken[cell{x, y}] = p.Title
			}
		}
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Datasource.UID != ds {
			t.Errorf("variable %s: datasource %+v, want %s", v.Name, v.Datasource, ds)
		}
	}
	for _, want := range []string{"job", "instance", "cache", "kind"} {
		if !slices.Contains(vars, want) {
			t.Errorf("no template variable %s (have %v)", want, vars)
		}
	}
}

// TestQueries checks every panel query (and variable query) with the small PromQL checker: metrics,
// labels and closed label values from the metrics spec, known functions, balanced brackets, grouping
// labels that the query's metrics have, and only defined variables.
func TestQueries(t *testing.T) {
	d := load(t)
	defined := []string{"__rate_interval", "__interval", "__range"}
	for _, v := range d.Templating.List {
		defined = append(defined, v.Name)
	}
	check := func(where, expr string) usage {
		u, err := checkExpr(expr)
		if err != nil {
			t.Errorf("%s: %v\n\t%s", where, err, expr)
			return u
		}
		known := append([]string{"le"}, targetLabels...)
		for _, m := range u.metrics {
			labels, _ := lookup(m)
			known = append(known, labels...)
		}
		for _, l := range u.grouping {
			if !slices.Contains(known, l) {
				t.Errorf("%s: groups by %s, which none of %v has", where, l, u.metrics)
			}
		}
		for _, v := range u.vars {
			if !slices.Contains(defined, v) {
				t.Errorf("%s: variable $%s is not defined", where, v)
			}
		}
		return u
	}
	used := map[string]bool{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			// Every selector narrowed to the chosen instances is narrowed to the chosen caches too.
			if n, m := strings.Count(tg.Expr, `instance=~"$instance"`), strings.Count(tg.Expr, `cache=~"$cache"`); n != m {
				t.Errorf("panel %s query %s: %d selectors by $instance, %d by $cache\n\t%s", p.Title, tg.RefID, n, m, tg.Expr)
			}
			for _, m := range check("panel "+p.Title+" query "+tg.RefID, tg.Expr).metrics {
				used[m] = true
			}
		}
	}
	for _, v := range d.Templating.List {
		// label_values(selector, label): check the selector.
		expr := v.Definition
		if inner, ok := cutSuffix(expr, ")"); ok && len(inner) > len("label_values(") {
			inner = inner[len("label_values("):]
			if i := lastComma(inner); i > 0 {
				check("variable "+v.Name, inner[:i])
				continue
			}
		}
		t.Errorf("variable %s: want label_values(selector, label), got %q", v.Name, expr)
	}
	// What issue 13 asks the dashboard to show.
	for _, m := range []string{"cachekit_operations_total", "cachekit_store_hits_total", "cachekit_store_misses_total",
		"cachekit_operation_duration_seconds_bucket", "cachekit_load_duration_seconds_bucket",
		"cachekit_stale_age_seconds_bucket", "cachekit_invalidation_lag_seconds_bucket", "cachekit_breaker_state",
		"cachekit_store_evictions_total", "cachekit_store_memory_bytes", "cachekit_store_keys"} {
		if !used[m] {
			t.Errorf("no panel queries %s", m)
		}
	}
}

func lastComma(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ',' {
			return i
		}
	}
	return -1
}

// TestCheckerRejects shows the checker fails on the mistakes it exists to catch.
func TestCheckerRejects(t *testing.T) {
	for _, expr := range []string{
		`rate(cachekit_operation_total[1m])`,                                      // misspelt metric
		`rate(cachekit_operations_total{tier="l1"}[1m])`,                          // label of another metric
		`rate(cachekit_operations_total{outcome="hits"}[1m])`,                     // not an Outcome
		`rate(cachekit_operations_total{outcome=~"hit|mis"}[1m])`,                 // not an Outcome, in a regex
		`sum(rate(cachekit_operations_total[1m])`,                                 // unbalanced
		`histogram_quantil(0.9, rate(cachekit_load_duration_seconds_bucket[1m]))`, // unknown function
		`rate(cachekit_load_duration_seconds[1m])`,                                // a histogram without its suffix
		`rate(cachekit_store_keys[1x])`,                                           // bad range
		`cachekit_store_keys{tier="l1" tier="l2"}`,                                // missing comma
		`sum by (kind (rate(cachekit_operations_total[1m]))`,                      // broken label list
		`1 + 2`, // no metric
	} {
		if _, err := checkExpr(expr); err == nil {
			t.Errorf("checkExpr(%s) accepted it", expr)
		}
	}
	if _, err := checkExpr(`sum by (le, op) (rate(cachekit_operation_duration_seconds_bucket{job=~"$job", op!="load"}[$__rate_interval])) > 0`); err != nil {
		t.Errorf("a valid query was refused: %v", err)
	}
}
