package grafana_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// This is a deliberately small PromQL checker: enough to catch a misspelt metric, label, function or
// label value and unbalanced brackets in the dashboard's queries, without depending on Prometheus's
// own parser (a very large module).

// functions are the PromQL functions and aggregations the dashboard may call.
var functions = []string{"rate", "irate", "increase", "histogram_quantile", "sum", "max", "min", "avg",
	"count", "topk", "bottomk", "clamp_min", "clamp_max", "abs", "vector", "scalar", "time", "deriv",
	"delta", "idelta", "changes", "resets", "max_over_time", "min_over_time", "avg_over_time", "label_replace"}

var aggregations = []string{"sum", "max", "min", "avg", "count", "topk", "bottomk"}

var keywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
	"unless", "bool", "offset"}

type token struct {
	kind string // ident, string, number, var, punct
	text string
}

var (
	identRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`)
	varRE    = regexp.MustCompile(`^\$(\{[a-zA-Z_][a-zA-Z0-9_]*\}|[a-zA-Z_][a-zA-Z0-9_]*)`)
	numberRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)
	rangeRE  = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	opRE     = regexp.MustCompile(`^(=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],])`)
)

func tokenize(expr string) ([]token, error) {
	var toks []token
	for s := strings.TrimSpace(expr); s != ""; s = strings.TrimLeft(s, " \t\n") {
		switch {
		case s[0] == '"':
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, fmt.Errorf("unterminated string %s", s)
			}
			toks, s = append(toks, token{"string", s[1:end]}), s[end+1:]
		case varRE.MatchString(s):
			m := varRE.FindString(s)
			toks, s = append(toks, token{"var", strings.Trim(m[1:], "{}")}), s[len(m):]
		case identRE.MatchString(s):
			m := identRE.FindString(s)
			toks, s = append(toks, token{"ident", m}), s[len(m):]
		case numberRE.MatchString(s):
			m := numberRE.FindString(s)
			toks, s = append(toks, token{"number", m}), s[len(m):]
		case opRE.MatchString(s):
			m := opRE.FindString(s)
			toks, s = append(toks, token{"punct", m}), s[len(m):]
		default:
			return nil, fmt.Errorf("unexpected %q", s)
		}
	}
	return toks, nil
}

// usage is what one expression names.
type usage struct {
	metrics  []string // series names
	grouping []string // labels of by (...), without (...), on (...), ignoring (...)
	vars     []string // dashboard variables
}

// checkExpr checks expr's syntax loosely and that every series, label and closed label value it names
// is in the spec. It returns what the expression uses.
func checkExpr(expr string) (usage, error) {
	var u usage
	toks, err := tokenize(expr)
	if err != nil {
		return u, err
	}
	var stack []string
	closer := map[string]string{")": "(", "}": "{", "]": "["}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{}
		}
		switch t.kind {
		case "var":
			u.vars = append(u.vars, t.text)
		case "punct":
			switch t.text {
			case "(", "{", "[":
				stack = append(stack, t.text)
			case ")", "}", "]":
				if len(stack) == 0 || stack[len(stack)-1] != closer[t.text] {
					return u, fmt.Errorf("unbalanced %q", t.text)
				}
				stack = stack[:len(stack)-1]
			}
			if t.text == "[" {
				r := next(1)
				if !(r.kind == "var" || rangeRE.MatchString(r.text)) || next(2).text != "]" {
					return u, fmt.Errorf("bad range [%s...", r.text)
				}
			}
		case "ident":
			switch {
			case slices.Contains(keywords, t.text):
				if slices.Contains([]string{"by", "without", "on", "ignoring"}, t.text) {
					labels, n, err := labelList(toks[i+1:])
					if err != nil {
						return u, fmt.Errorf("%s: %w", t.text, err)
					}
					u.grouping = append(u.grouping, labels...)
					i += n
				}
			case next(1).text == "(" || (slices.Contains(aggregations, t.text) && slices.Contains([]string{"by", "without"}, next(1).text)):
				if !slices.Contains(functions, t.text) {
					return u, fmt.Errorf("unknown function %s", t.text)
				}
			default:
				labels, ok := lookup(t.text)
				if !ok {
					return u, fmt.Errorf("metric %s is not in the metrics spec", t.text)
				}
				u.metrics = append(u.metrics, t.text)
				if next(1).text == "{" {
					n, err := checkMatchers(t.text, labels, toks[i+2:])
					if err != nil {
						return u, err
					}
					i += n + 1 // the matchers and the closing brace; "{" itself was not pushed
				}
			}
		}
	}
	if len(stack) > 0 {
		return u, fmt.Errorf("unclosed %q", stack[len(stack)-1])
	}
	if len(u.metrics) == 0 {
		return u, fmt.Errorf("names no metric")
	}
	return u, nil
}

// labelList reads "(a, b)" and returns the labels and how many tokens it took.
func labelList(toks []token) ([]string, int, error) {
	if len(toks) == 0 || toks[0].text != "(" {
		return nil, 0, fmt.Errorf("want a label list")
	}
	var labels []string
	for i := 1; i < len(toks); i += 2 {
		if toks[i].text == ")" && len(labels) == 0 {
			return labels, i + 1, nil
		}
		if toks[i].kind != "ident" {
			return nil, 0, fmt.Errorf("want a label name, got %q", toks[i].text)
		}
		labels = append(labels, toks[i].text)
		if i+1 < len(toks) && toks[i+1].text == ")" {
			return labels, i + 2, nil
		}
		if i+1 >= len(toks) || toks[i+1].text != "," {
			return nil, 0, fmt.Errorf("want , or ) after %s", toks[i].text)
		}
	}
	return nil, 0, fmt.Errorf("unclosed label list")
}

// checkMatchers reads `label op "value", ... }` after a metric's "{" and returns how many tokens it
// took, the closing brace included.
func checkMatchers(name string, labels []string, toks []token) (int, error) {
	for i := 0; i+2 < len(toks); i += 4 {
		l, op, v := toks[i], toks[i+1], toks[i+2]
		if l.kind != "ident" || !slices.Contains([]string{"=", "!=", "=~", "!~"}, op.text) || v.kind != "string" {
			return 0, fmt.Errorf("%s: bad matcher %s %s %s", name, l.text, op.text, v.text)
		}
		if !slices.Contains(labels, l.text) && !slices.Contains(targetLabels, l.text) {
			return 0, fmt.Errorf("%s has no label %s", name, l.text)
		}
		if closed, ok := labelValues[l.text]; ok && !strings.Contains(v.text, "$") {
			values := []string{v.text}
			if op.text == "=~" || op.text == "!~" {
				values = strings.Split(v.text, "|")
			}
			for _, value := range values {
				if !slices.Contains(closed, value) {
					return 0, fmt.Errorf("%s: %s=%q is not one of %v", name, l.text, value, closed)
				}
			}
		}
		if i+3 >= len(toks) {
			break
		}
		switch toks[i+3].text {
		case "}":
			return i + 4, nil
		case ",":
		default:
			return 0, fmt.Errorf("%s: want , or } after a matcher, got %q", name, toks[i+3].text)
		}
	}
	return 0, fmt.Errorf("%s: unclosed matchers", name)
}
