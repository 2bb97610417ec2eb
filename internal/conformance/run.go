package conformance

import (
	"fmt"
	"os"
	"testing"
)

// RunFolder loads the case folder of Dir(repoRoot) and runs each case with
// run, which returns the difference from the recorded calls or "". It
// prints one line per case, "<label> <id> pass|fail <difference>", fails
// tb when any case differs, and skips tb with a message when the folder
// does not exist.
func RunFolder(tb testing.TB, repoRoot, label string, run func(Case) string) {
	tb.Helper()
	dir := Dir(repoRoot)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("no conformance cases at %s (set %s to a folder of cases): %v", dir, EnvDir, err)
	}
	cases, err := Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	failed := 0
	for _, c := range cases {
		diff := run(c)
		status := "pass"
		if diff != "" {
			status = "fail"
			failed++
		}
		fmt.Printf("%s %s %s %s\n", label, c.ID, status, diff)
	}
	if failed > 0 {
		tb.Errorf("%d of %d conformance cases differ; see the lines above", failed, len(cases))
	}
}
