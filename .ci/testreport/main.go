// Command testreport reads `go test -json` output on stdin and prints, per package and top-level test,
// how many (sub)tests passed, failed and were skipped. It exits 1 when anything failed or was skipped,
// or when nothing ran, so CI can show that the Redis conformance subtests really ran.
//
// It lives under .ci/ (ignored by ./...) because only CI uses it: go test -json ... | go run ./.ci/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
}

type tally struct{ pass, fail, skip int }

func main() {
	counts := map[string]*tally{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		top, _, _ := strings.Cut(e.Test, "/")
		key := e.Package + " " + top
		t := counts[key]
		if t == nil {
			t = &tally{}
			counts[key] = t
		}
		switch e.Action {
		case "pass":
			t.pass++
		case "fail":
			t.fail++
		case "skip":
			t.skip++
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bad, ran := false, 0
	for _, k := range keys {
		t := counts[k]
		fmt.Printf("  %-70s %5d passed %3d failed %3d skipped\n", k, t.pass, t.fail, t.skip)
		ran += t.pass
		bad = bad || t.fail > 0 || t.skip > 0
	}
	if ran == 0 || bad {
		fmt.Println("testreport: some tests failed or were skipped, or none ran")
		os.Exit(1)
	}
}
