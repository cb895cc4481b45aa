package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/cachekit/cachekit"
)

// versionJSON is what "cachekit --version --json" prints. Fields the build does not record are "" (or
// false): "go run" and test binaries carry no VCS stamp, a build from a module cache no revision.
type versionJSON struct {
	Version       string `json:"version"`        // cachekit.Version, the release constant
	Module        string `json:"module"`         // the main module's path
	ModuleVersion string `json:"module_version"` // "(devel)" in a checkout, "v0.1.0" when installed by version
	Revision      string `json:"revision"`       // VCS revision (vcs.revision)
	RevisionTime  string `json:"revision_time"`  // commit time, RFC 3339 (vcs.time)
	Modified      bool   `json:"modified"`       // the working tree had uncommitted changes (vcs.modified)
	Go            string `json:"go"`             // the Go toolchain that built the binary
}

// buildVersion reads the version information of the running binary.
func buildVersion() versionJSON {
	v := versionJSON{Version: cachekit.Version}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module, v.ModuleVersion, v.Go = bi.Main.Path, bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.RevisionTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// text is the one line "cachekit --version" prints.
func (v versionJSON) text() string {
	var parts []string
	if v.Module != "" {
		parts = append(parts, "module "+v.Module+" "+v.ModuleVersion)
	}
	if v.Revision != "" {
		rev := "revision " + v.Revision[:min(12, len(v.Revision))]
		if v.RevisionTime != "" {
			rev += " " + v.RevisionTime
		}
		if v.Modified {
			rev += " (modified)"
		}
		parts = append(parts, rev)
	}
	if v.Go != "" {
		parts = append(parts, v.Go)
	}
	s := "cachekit " + v.Version
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// printVersion prints the version as text or JSON.
func (a *app) printVersion(asJSON bool) int {
	v := buildVersion()
	if asJSON {
		if err := writeJSON(a.stdout, v); err != nil {
			return exitError
		}
		return exitOK
	}
	fmt.Fprintln(a.stdout, v.text())
	return exitOK
}

// versionCommand is "cachekit version [--json]", the same as --version.
func (a *app) versionCommand(args []string) int {
	asJSON := false
	for _, arg := range args {
		switch arg {
		case "--json", "-json":
			asJSON = true
		case "--help", "-h", "-help":
			fmt.Fprint(a.stdout, "usage: cachekit version [--json]\n\nPrints cachekit.Version, the module version, VCS revision and Go version of this build.\n")
			return exitOK
		default:
			return a.usageError("cachekit version", fmt.Errorf("unexpected argument %q", arg), "usage: cachekit version [--json]")
		}
	}
	return a.printVersion(asJSON)
}
