package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestTourRuns runs the tour: what the README shows works as written.
func TestTourRuns(t *testing.T) {
	t.Setenv("REDIS_URL", "") // the in-process L2: the tour needs nothing but Go
	if err := tour(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestREADMEShowsTheTour checks that the README's tour is this file's code between the markers, so
// the README never shows code that does not compile.
func TestREADMEShowsTheTour(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(src), "// tour:begin\n")
	code, _, ok2 := strings.Cut(code, "// tour:end\n")
	if !ok || !ok2 {
		t.Fatal("main.go lacks the tour:begin / tour:end markers")
	}
	_, block, ok := strings.Cut(string(readme), "<!-- tour: examples/tour/main.go -->\n```go\n")
	block, _, ok2 = strings.Cut(block, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md lacks the tour block after <!-- tour: examples/tour/main.go -->")
	}
	if strings.TrimSpace(block) != strings.TrimSpace(code) {
		t.Fatalf("README's tour differs from examples/tour/main.go; copy the code between the markers.\nREADME:\n%s\nmain.go:\n%s", block, code)
	}
}
