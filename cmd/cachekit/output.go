package main

import (
	"encoding/json"
	"flag"
	"io"
)

// writeJSON writes v as indented JSON and a newline: every --json output is one JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonFlag registers --json, which every command takes (the shapes are in each command's help).
func jsonFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print one JSON document on stdout instead of text (shape in the help above)")
}
