package main

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// parseInterspersed parses flags anywhere among the arguments ("get KEY --namespace x" as well as
// "get --namespace x KEY") and returns the positional arguments in order. After "--" everything is
// positional. It returns flag.ErrHelp for -h/--help.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// synopsis is the command's usage line.
func synopsis(c command) string {
	s := "usage: cachekit " + c.name + " [flags]"
	if c.args != "" {
		s += " " + c.args
	}
	return s + "\n"
}

// commandUsage is a command's help: synopsis, description and flags, with "--" spelling.
func commandUsage(c command, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(synopsis(c))
	fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(c.about))
	b.WriteString("\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		fmt.Fprintf(&b, "  %-22s %s", left, usage)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	fmt.Fprintf(&b, "  %-22s %s\n", "-h, --help", "show this help")
	b.WriteString("\nexit codes: 0 ok, 1 error, 2 usage/configuration, 3 not found, 4 aborted, 130 interrupted\n")
	return b.String()
}

// globalValueFlags and globalBoolFlags are the flags accepted before the command as well as after it.
// Every command registers the value flags (cacheFlags) and --json, so handing them over is enough.
var (
	globalValueFlags = []string{"cache", "namespace", "codec", "metrics-addr"}
	globalBoolFlags  = []string{"json", "help", "version"}
)

// splitGlobalFlags takes the global flags that come before the command off args. It returns them
// normalised ("--name=value", "--json", "--help", "--version") and the rest, starting with the command.
// A flag before the command that is not global is an error naming it.
func splitGlobalFlags(args []string) (globals, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || !strings.HasPrefix(arg, "-") || arg == "-" {
			return globals, args[i:], nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case name == "h":
			name = "help"
		case name == "V":
			name = "version"
		}
		switch {
		case slices.Contains(globalBoolFlags, name):
			if hasValue {
				return nil, nil, fmt.Errorf("--%s takes no value, got %q", name, arg)
			}
			globals = append(globals, "--"+name)
		case slices.Contains(globalValueFlags, name):
			if !hasValue {
				if i+1 == len(args) {
					return nil, nil, fmt.Errorf("--%s needs a value", name)
				}
				i++
				value = args[i]
			}
			globals = append(globals, "--"+name+"="+value)
		default:
			return nil, nil, fmt.Errorf("unknown global flag --%s (global flags: --%s, --%s)", name,
				strings.Join(globalValueFlags, ", --"), strings.Join(globalBoolFlags, ", --"))
		}
	}
	return globals, nil, nil
}

// flagPattern finds a flag name spelled with one dash in the flag package's messages.
var flagPattern = regexp.MustCompile(`(^|[ :])-([A-Za-z][A-Za-z0-9-]*)`)

// flagError rewrites an error of the flag package in this CLI's spelling: two dashes, "unknown flag",
// and the nearest flag name when the unknown one looks like a typo.
func flagError(err error, fs *flag.FlagSet) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		if near := nearestFlag(fs, name); near != "" {
			msg += fmt.Sprintf(" (did you mean --%s?)", near)
		}
		return errors.New(msg)
	}
	return errors.New(flagPattern.ReplaceAllString(msg, "$1--$2"))
}

// nearestFlag returns the flag of fs closest to name when at most two edits away, else "".
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestDist := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// onceValue is a string flag that may be given more than once only with the same value: a global flag
// before the command and the same flag after it must agree (one configuration truth, as in the library).
type onceValue struct {
	name  string
	value *string
	set   bool
}

func (o *onceValue) String() string {
	if o == nil || o.value == nil {
		return ""
	}
	return *o.value
}

func (o *onceValue) Set(s string) error {
	if o.set && s != *o.value {
		return fmt.Errorf("given twice with different values (%q and %q); give it once", *o.value, s)
	}
	*o.value, o.set = s, true
	return nil
}
