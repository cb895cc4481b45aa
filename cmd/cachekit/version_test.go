package main

import (
	"os"
	"strings"
	"testing"

	"github.com/cachekit/cachekit"
)

// TestReleaseFiles holds the tagging rule: the CHANGELOG has a section for cachekit.Version (and an
// Unreleased one), and the LICENSE is the Apache License 2.0 the README names.
func TestReleaseFiles(t *testing.T) {
	changelog, err := os.ReadFile("../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n## [Unreleased]\n", "\n## [" + cachekit.Version + "] - ", "\n[" + cachekit.Version + "]: "} {
		if !strings.Contains(string(changelog), want) {
			t.Errorf("CHANGELOG.md lacks %q: a release sets Version and its section together", strings.TrimSpace(want))
		}
	}
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(license), "Apache License\n                           Version 2.0, January 2004") {
		t.Error("LICENSE is not the Apache License 2.0")
	}
}
