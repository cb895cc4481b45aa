package main

import (
	"flag"
	"fmt"
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
