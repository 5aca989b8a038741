package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A short soak end to end: the daemon binary, a fake source, a few
// dashboards; it passes, and says what it measured.
func TestSoakShortRun(t *testing.T) {
	bin := buildPantau(t)
	var out, errs bytes.Buffer
	err := cmdSoak(context.Background(), []string{"-bin", bin, "-duration", "4s", "-rate", "40", "-sources", "2",
		"-clients", "3", "-report", "2s", "-drain", "60s", "-data", t.TempDir()}, &out, &errs)
	if err != nil {
		t.Fatalf("soak: %v\n%s\n%s", err, out.String(), errs.String())
	}
	for _, want := range []string{"heap_inuse=", "rss=", "commit->ws p50=", "soak passed:", "every client got each exactly once"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
